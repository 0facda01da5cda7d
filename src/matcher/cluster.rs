//! Incremental clustering on top of [`prepare`], [`index_keys`] and [`same_statement`].

use std::collections::HashMap;
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use super::{
    index_keys, prepare, query_keys, same_statement_with, speakers_compatible, ClusterId, Link,
    MatchError, Prepared, Stage, TermStats, Thresholds,
};

/// Representatives kept per cluster: the canonical (most content words) plus earlier members.
const REPS: usize = 4;
/// Rarest keys of a new quote that are looked up in the index.
const QUERY_KEYS: usize = 8;
/// Most recent postings read per key, so a common word costs a bounded amount.
const POSTING_CAP: usize = 256;
/// Candidate clusters fully compared per new quote.
const CANDIDATES: usize = 8;

#[derive(Debug)]
struct Cluster {
    /// At most [`REPS`] members the decision compares against.
    reps: Vec<Prepared>,
    /// Index into `reps` of the member with the most content words.
    canonical: usize,
    /// Every distinct known speaker of the members.
    speakers: Vec<String>,
    size: u32,
}

/// Incremental clustering: each quote joins its best existing cluster or starts a new one.
///
/// A quote joins a cluster only if it matches the cluster's canonical member (the one with the
/// most content words) or a strict majority of its representatives, so A~B and B~C does not pull
/// C into A's cluster through B alone. Candidates come from an inverted index from
/// [`index_keys`] to clusters, read through the new quote's rarest keys only, so the cost per
/// quote is bounded and total cost grows linearly.
///
/// Results depend on arrival order where a fragment arrives before the quote it is part of and
/// matches nothing else yet: it starts its own cluster. [`cluster_prepared`] avoids this by
/// feeding longer quotes first.
///
/// ```
/// use quotetrace::matcher::{prepare, Clusterer};
///
/// let mut c = Clusterer::new();
/// let (a, new_a) = c.assign(prepare("There was no need to murder him.", None, Some("Petro")));
/// let (b, new_b) = c.assign(prepare("“There was no need to murder him”", None, None));
/// assert!(new_a && !new_b && a == b);
/// ```
#[derive(Debug, Default)]
pub struct Clusterer {
    stats: TermStats,
    thresholds: Thresholds,
    /// When set, `stats` were computed over the whole batch beforehand and stay fixed.
    fixed_stats: bool,
    clusters: Vec<Cluster>,
    postings: HashMap<u64, Vec<u32>>,
    exact: HashMap<u64, Vec<u32>>,
}

impl Clusterer {
    /// An empty clusterer whose term statistics grow with every quote assigned.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty clusterer using fixed, precomputed term statistics (e.g. of a whole batch).
    pub fn with_stats(stats: TermStats) -> Self {
        Self {
            stats,
            fixed_stats: true,
            ..Self::default()
        }
    }

    /// Uses other cascade thresholds than the calibrated defaults.
    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// Number of clusters.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    /// True when no quote was assigned yet.
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    /// The term statistics in use.
    pub fn stats(&self) -> &TermStats {
        &self.stats
    }

    /// Number of quotes in a cluster.
    pub fn size(&self, id: ClusterId) -> u32 {
        self.clusters.get(id as usize).map_or(0, |c| c.size)
    }

    /// The canonical member of a cluster: the one with the most content words.
    pub fn canonical(&self, id: ClusterId) -> Option<&Prepared> {
        self.clusters.get(id as usize).map(|c| &c.reps[c.canonical])
    }

    /// Puts a quote in its best matching cluster, or a new one; `true` when the cluster is new.
    pub fn assign(&mut self, p: Prepared) -> (ClusterId, bool) {
        if !self.fixed_stats {
            self.stats.observe(&p);
        }
        let best = self.best_cluster(&p);
        match best {
            Some(c) => {
                self.join(c, p);
                (c as ClusterId, false)
            }
            None => {
                let c = self.clusters.len();
                self.clusters.push(Cluster {
                    reps: Vec::with_capacity(1),
                    canonical: 0,
                    speakers: Vec::new(),
                    size: 0,
                });
                self.join(c, p);
                (c as ClusterId, true)
            }
        }
    }

    /// Clusters worth comparing with `p`, most shared rare-key weight first.
    fn candidates(&self, p: &Prepared) -> Vec<usize> {
        let mut score: HashMap<u32, f32> = HashMap::new();
        for k in query_keys(p, &self.stats, QUERY_KEYS) {
            let Some(list) = self.postings.get(&k) else {
                continue;
            };
            let w = self.stats.weight(k);
            for &c in &list[list.len().saturating_sub(POSTING_CAP)..] {
                *score.entry(c).or_insert(0.0) += w;
            }
        }
        let mut ranked: Vec<(u32, f32)> = score.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(CANDIDATES);
        ranked.into_iter().map(|(c, _)| c as usize).collect()
    }

    fn speaker_ok(&self, c: &Cluster, p: &Prepared) -> bool {
        let s = p.speaker.as_deref();
        c.speakers
            .iter()
            .all(|k| speakers_compatible(Some(k.as_str()), s))
    }

    fn best_cluster(&self, p: &Prepared) -> Option<usize> {
        // Identical folded words: no comparison needed beyond the speaker constraint.
        if let Some(list) = self.exact.get(&p.exact) {
            if let Some(&c) = list
                .iter()
                .find(|&&c| self.speaker_ok(&self.clusters[c as usize], p))
            {
                return Some(c as usize);
            }
        }
        let mut best: Option<(usize, f32)> = None;
        for c in self.candidates(p) {
            let cl = &self.clusters[c];
            if !self.speaker_ok(cl, p) {
                continue;
            }
            let mut hits = 0;
            let mut sum = 0.0;
            let mut excerpt = false;
            for (i, r) in cl.reps.iter().enumerate() {
                if let Some(m) = same_statement_with(p, r, &self.stats, &self.thresholds) {
                    hits += 1;
                    sum += m.score;
                    excerpt |= i == cl.canonical && m.stage != Stage::Overlap;
                }
            }
            let linked = match self.thresholds.link {
                Link::Complete => hits == cl.reps.len(),
                Link::Majority => 2 * hits > cl.reps.len(),
            };
            if !(excerpt || linked) {
                continue;
            }
            let score = sum / cl.reps.len() as f32;
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((c, score));
            }
        }
        best.map(|(c, _)| c)
    }

    fn join(&mut self, c: usize, p: Prepared) {
        let cl = &mut self.clusters[c];
        cl.size += 1;
        if let Some(s) = &p.speaker {
            if !cl.speakers.contains(s) {
                cl.speakers.push(s.clone());
            }
        }
        let list = self.exact.entry(p.exact).or_default();
        if !list.contains(&(c as u32)) {
            list.push(c as u32);
        }
        let longer = cl.reps.is_empty() || p.content > cl.reps[cl.canonical].content;
        let slot = if cl.reps.len() < REPS {
            cl.reps.push(p);
            cl.reps.len() - 1
        } else if longer {
            // Keep the new canonical; drop the representative with the fewest content words.
            let (drop, _) = cl
                .reps
                .iter()
                .enumerate()
                .min_by_key(|(_, r)| r.content)
                .expect("reps is full");
            cl.reps[drop] = p;
            drop
        } else {
            return;
        };
        if longer {
            cl.canonical = slot;
        }
        let known: Vec<u64> = cl
            .reps
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != slot)
            .flat_map(|(_, r)| index_keys(r))
            .collect();
        for k in index_keys(&cl.reps[slot]) {
            if !known.contains(&k) {
                self.postings.entry(k).or_default().push(c as u32);
            }
        }
    }
}

/// Clusters a whole batch independently of its order: term statistics are computed over the
/// batch first, then quotes are assigned longest first (most content words, then most words,
/// then folded text), so a full quote is in place before its fragments arrive.
///
/// Returns one cluster id per input, in input order. Cluster ids are numbered in processing
/// order, so a permutation of the input yields the same ids for the same quotes.
pub fn cluster_prepared(items: Vec<Prepared>) -> Vec<ClusterId> {
    cluster_prepared_with(items, Thresholds::default())
}

/// [`cluster_prepared`] with explicit thresholds, for calibration.
pub fn cluster_prepared_with(items: Vec<Prepared>, thresholds: Thresholds) -> Vec<ClusterId> {
    let mut stats = TermStats::default();
    for p in &items {
        stats.observe(p);
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&items[a], &items[b]);
        y.content
            .cmp(&x.content)
            .then(y.terms.len().cmp(&x.terms.len()))
            .then_with(|| x.folded.cmp(&y.folded))
            .then_with(|| x.speaker.cmp(&y.speaker))
    });
    let mut slots: Vec<Option<Prepared>> = items.into_iter().map(Some).collect();
    let mut out = vec![0; slots.len()];
    let mut clusterer = Clusterer::with_stats(stats).with_thresholds(thresholds);
    for i in order {
        let p = slots[i].take().expect("each item is taken once");
        out[i] = clusterer.assign(p).0;
    }
    out
}

/// One input line of [`cluster_jsonl`].
#[derive(Deserialize)]
struct InputLine {
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    speaker: Option<String>,
}

#[derive(Serialize)]
struct OutputLine<'a> {
    id: &'a serde_json::Value,
    cluster: ClusterId,
}

/// An input line that could not be used, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedLine {
    /// 1-based line number.
    pub line: usize,
    pub error: String,
}

/// What a [`cluster_jsonl`] run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClusterSummary {
    /// Quotes clustered.
    pub items: usize,
    /// Clusters formed.
    pub clusters: usize,
    /// Malformed lines, skipped.
    pub skipped: Vec<SkippedLine>,
}

/// Reads `{"id","text","lang"?,"speaker"?}` lines and writes `{"id","cluster"}` lines in input
/// order, clustering with [`cluster_prepared`]. A malformed line is recorded in the summary and
/// skipped; only I/O failures are errors.
pub fn cluster_jsonl<R: BufRead, W: Write>(
    input: R,
    mut output: W,
) -> Result<ClusterSummary, MatchError> {
    let mut ids = Vec::new();
    let mut items = Vec::new();
    let mut summary = ClusterSummary::default();
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(MatchError::Read)?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<InputLine>(&line) {
            Ok(rec) => {
                items.push(prepare(
                    &rec.text,
                    rec.lang.as_deref(),
                    rec.speaker.as_deref(),
                ));
                ids.push(rec.id);
            }
            Err(e) => summary.skipped.push(SkippedLine {
                line: n + 1,
                error: e.to_string(),
            }),
        }
    }
    let clusters = cluster_prepared(items);
    for (id, &cluster) in ids.iter().zip(&clusters) {
        let rec = OutputLine { id, cluster };
        serde_json::to_writer(&mut output, &rec).map_err(|e| MatchError::Write(e.into()))?;
        output.write_all(b"\n").map_err(MatchError::Write)?;
    }
    output.flush().map_err(MatchError::Write)?;
    summary.items = ids.len();
    let mut distinct = clusters.clone();
    distinct.sort_unstable();
    distinct.dedup();
    summary.clusters = distinct.len();
    Ok(summary)
}
