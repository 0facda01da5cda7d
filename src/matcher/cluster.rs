//! Incremental clustering on top of [`prepare`], [`index_keys`] and [`same_statement`].

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use super::embed::{self, EmbedError, Embedder};
use super::lookup::{fragment_coverage, fragment_terms, Vocabulary};
use super::similarity::{
    affinity, decide, neighbourhood, set_weight_vec, sums, sums_of, Sums, NO_NEIGHBOUR,
};
use super::{
    day_of, index_keys, prepare, query_keys, speakers_compatible, time_compatible, within_window,
    ClusterId, Day, IdMap, Link, MatchError, Prepared, Span, Stage, TermStats, Thresholds,
};

/// Representatives kept per cluster: the canonical (most content words) plus earlier members.
const REPS: usize = 4;
/// Rarest keys of a new quote that are looked up in the index.
const QUERY_KEYS: usize = 8;
/// Most recent postings read per key, so a common word costs a bounded amount.
const POSTING_CAP: usize = 64;
/// Candidate clusters fully compared per new quote.
const CANDIDATES: usize = 8;

#[derive(Debug)]
struct Cluster {
    /// At most [`REPS`] members the decision compares against.
    reps: Vec<Prepared>,
    /// Weight totals of each representative, looked up once (valid while statistics are fixed).
    weights: Vec<Sums>,
    /// Index into `reps` of the member with the most content words.
    canonical: usize,
    /// Every distinct known speaker of the members.
    speakers: Vec<String>,
    /// First and last day of the dated members.
    span: Option<Span>,
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
    postings: IdMap<u64, Vec<u32>>,
    exact: IdMap<u64, Vec<u32>>,
    /// Words of the representatives, kept only when fragment look-up was asked for.
    vocab: Option<Vocabulary>,
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

    /// Keeps a [`Vocabulary`] of the representatives' words so [`Clusterer::lookup`] can
    /// forgive typos and truncation (costs one more tokenization per representative).
    pub fn with_lookup(mut self) -> Self {
        self.vocab = Some(Vocabulary::default());
        self
    }

    /// Clusters whose representatives contain at least 60% of the fragment's content words,
    /// allowing for case, punctuation, small typos and a cut-off last word; best first, with the
    /// covered share. Without [`Clusterer::with_lookup`] the vocabulary is rebuilt per call.
    pub fn lookup(&self, fragment: &str, limit: usize) -> Vec<(ClusterId, f32)> {
        let built;
        let vocab = match &self.vocab {
            Some(v) => v,
            None => {
                let mut v = Vocabulary::default();
                for r in self.clusters.iter().flat_map(|c| &c.reps) {
                    v.add(&r.folded, Some(&r.lang));
                }
                built = v;
                &built
            }
        };
        let groups = fragment_terms(fragment, None, vocab);
        let mut seen: Vec<u32> = groups
            .iter()
            .flatten()
            .filter_map(|k| self.postings.get(k))
            .flat_map(|list| {
                list[list.len().saturating_sub(POSTING_CAP)..]
                    .iter()
                    .copied()
            })
            .collect();
        seen.sort_unstable();
        seen.dedup();
        let mut found: Vec<(ClusterId, f32)> = seen
            .into_iter()
            .filter_map(|c| {
                let cl = &self.clusters[c as usize];
                let cover = cl
                    .reps
                    .iter()
                    .map(|r| fragment_coverage(&groups, r))
                    .fold(0.0, f32::max);
                (cover >= 0.6).then_some((ClusterId::from(c), cover))
            })
            .collect();
        found.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then(self.size(b.0).cmp(&self.size(a.0)))
                .then(a.0.cmp(&b.0))
        });
        found.truncate(limit);
        found
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
    /// The quote's time is unknown: the time constraint does not apply to it.
    pub fn assign(&mut self, p: Prepared) -> (ClusterId, bool) {
        self.assign_at(p, None)
    }

    /// [`Clusterer::assign`] for a quote published on day `time` (see [`day_of`]): a short
    /// quote then only joins a cluster whose dated members stay within the time window
    /// ([`time_compatible`]).
    pub fn assign_at(&mut self, p: Prepared, time: Option<Day>) -> (ClusterId, bool) {
        self.assign_with_mate(p, time, None)
    }

    /// [`Clusterer::assign_at`] for a quote whose reciprocal best match in the batch (see
    /// `similarity::neighbourhood`) is already in cluster `mate`: that cluster may take it
    /// when every representative has at least `Thresholds::mutual` affinity to it.
    fn assign_with_mate(
        &mut self,
        p: Prepared,
        time: Option<Day>,
        mate: Option<ClusterId>,
    ) -> (ClusterId, bool) {
        if !self.fixed_stats {
            self.stats.observe(&p);
        }
        let wp = set_weight_vec(&p, &self.stats);
        let sp = sums(&p, &wp);
        let best = self.best_cluster(&p, &wp, sp, time, mate.map(|c| c as usize));
        match best {
            Some(c) => {
                self.join(c, p, sp, time);
                (c as ClusterId, false)
            }
            None => {
                let c = self.clusters.len();
                self.clusters.push(Cluster {
                    reps: Vec::with_capacity(1),
                    weights: Vec::with_capacity(1),
                    canonical: 0,
                    speakers: Vec::new(),
                    span: None,
                    size: 0,
                });
                self.join(c, p, sp, time);
                (c as ClusterId, true)
            }
        }
    }

    /// Clusters worth comparing with `p`, most shared rare-key weight first.
    fn candidates(&self, p: &Prepared) -> Vec<usize> {
        let mut score: IdMap<u32, f32> =
            IdMap::with_capacity_and_hasher(4 * POSTING_CAP, Default::default());
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
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > CANDIDATES {
            ranked.select_nth_unstable_by(CANDIDATES, order);
            ranked.truncate(CANDIDATES);
        }
        ranked.sort_unstable_by(order);
        ranked.into_iter().map(|(c, _)| c as usize).collect()
    }

    /// The speaker and time constraints, which no similarity can override.
    fn may_join(&self, c: &Cluster, p: &Prepared, time: Option<Day>) -> bool {
        let s = p.speaker.as_deref();
        c.speakers
            .iter()
            .all(|k| speakers_compatible(Some(k.as_str()), s))
            && time_compatible(
                c.span,
                c.reps[c.canonical].content,
                p,
                time,
                &self.thresholds,
            )
    }

    fn best_cluster(
        &self,
        p: &Prepared,
        wp: &[f32],
        sp: Sums,
        time: Option<Day>,
        mate: Option<usize>,
    ) -> Option<usize> {
        // Identical folded words: no comparison needed beyond the speaker and time constraints.
        if let Some(list) = self.exact.get(&p.exact) {
            if let Some(&c) = list
                .iter()
                .find(|&&c| self.may_join(&self.clusters[c as usize], p, time))
            {
                return Some(c as usize);
            }
        }
        let mut best: Option<(usize, f32)> = None;
        let mut candidates = self.candidates(p);
        if let Some(m) = mate.filter(|m| !candidates.contains(m)) {
            candidates.push(m);
        }
        for c in candidates {
            let cl = &self.clusters[c];
            if !self.may_join(cl, p, time) {
                continue;
            }
            let mut hits = 0;
            let mut sum = 0.0;
            let mut excerpt = false;
            // Every representative is close enough for a reciprocal best match to join.
            let mut mutual = mate == Some(c);
            for (i, r) in cl.reps.iter().enumerate() {
                let sr = if self.fixed_stats {
                    cl.weights[i]
                } else {
                    sums_of(r, &self.stats)
                };
                if let Some(m) = decide(p, wp, sp, r, sr, &self.thresholds) {
                    hits += 1;
                    sum += m.score;
                    excerpt |= i == cl.canonical && m.stage != Stage::Overlap;
                } else if mutual {
                    mutual = affinity(p, wp, sp, r, sr, &self.thresholds) >= self.thresholds.mutual;
                }
            }
            let linked = mutual
                || match self.thresholds.link {
                    Link::Complete => hits == cl.reps.len(),
                    Link::Majority => 2 * hits > cl.reps.len(),
                };
            // Across the time window only an excerpt of the canonical wording recurs.
            let linked = linked && within_window(cl.span, time, &self.thresholds);
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

    /// Adds `p` (whose weight totals are `w`) to cluster `c`.
    fn join(&mut self, c: usize, p: Prepared, w: Sums, time: Option<Day>) {
        let cl = &mut self.clusters[c];
        cl.size += 1;
        cl.span = Span::widen(cl.span, time);
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
            cl.weights.push(w);
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
            cl.weights[drop] = w;
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
        if let Some(v) = &mut self.vocab {
            v.add(&cl.reps[slot].folded, Some(&cl.reps[slot].lang));
        }
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
/// Knowing the whole batch also gives a relative criterion: two quotes that are each other's
/// best match (`similarity::neighbourhood`) form one statement from an affinity of
/// [`super::MUTUAL_THRESHOLD`], while any other rewording needs the stricter
/// [`super::BATCH_OVERLAP_THRESHOLD`] ([`Thresholds::batch`]).
///
/// Returns one cluster id per input, in input order. Cluster ids are numbered in processing
/// order, so a permutation of the input yields the same ids for the same quotes.
pub fn cluster_prepared(items: Vec<Prepared>) -> Vec<ClusterId> {
    cluster_prepared_with(items, Thresholds::batch())
}

/// [`cluster_prepared`] with explicit thresholds, for calibration.
pub fn cluster_prepared_with(items: Vec<Prepared>, thresholds: Thresholds) -> Vec<ClusterId> {
    let times = vec![None; items.len()];
    cluster_dated_with(items, times, thresholds)
}

/// [`cluster_prepared`] for quotes with publication days (`times[i]` is the day of
/// `items[i]`), under the time constraint of [`time_compatible`]. Still independent of input
/// order: equally long quotes are taken in order of folded text, speaker, then day, so the
/// occurrences of one short wording are placed oldest first and split into windows the same
/// way whatever the input order.
///
/// # Panics
/// When `times` and `items` differ in length.
pub fn cluster_dated(items: Vec<Prepared>, times: Vec<Option<Day>>) -> Vec<ClusterId> {
    cluster_dated_with(items, times, Thresholds::batch())
}

/// [`cluster_dated`] with explicit thresholds, for calibration.
///
/// # Panics
/// When `times` and `items` differ in length.
pub fn cluster_dated_with(
    items: Vec<Prepared>,
    times: Vec<Option<Day>>,
    thresholds: Thresholds,
) -> Vec<ClusterId> {
    cluster_batch(items, times, thresholds, 0).0
}

/// [`cluster_dated_with`], also returning each quote's `near` closest lexical neighbours (see
/// `similarity::neighbourhood`) for the paraphrase stage.
fn cluster_batch(
    items: Vec<Prepared>,
    times: Vec<Option<Day>>,
    thresholds: Thresholds,
    near: usize,
) -> (Vec<ClusterId>, Vec<(u32, f32)>) {
    assert_eq!(items.len(), times.len(), "one time per item");
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
            .then_with(|| times[a].cmp(&times[b]))
    });
    let (mates, near) = neighbourhood(&items, &order, &stats, &thresholds, near);
    let mut slots: Vec<Option<Prepared>> = items.into_iter().map(Some).collect();
    let mut out = vec![0; slots.len()];
    let mut done = vec![false; slots.len()];
    let mut clusterer = Clusterer::with_stats(stats).with_thresholds(thresholds);
    for i in order {
        let p = slots[i].take().expect("each item is taken once");
        let mate = mates[i].filter(|&j| done[j]).map(|j| out[j]);
        out[i] = clusterer.assign_with_mate(p, times[i], mate).0;
        done[i] = true;
    }
    (out, near)
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
    /// Publication date or date-time (RFC 3339), as `extract` writes it; enables the time
    /// constraint for this quote.
    #[serde(default)]
    published: Option<String>,
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
    /// What the cross-language stage did.
    pub cross_language: CrossLanguage,
    /// What the paraphrase stage did.
    pub paraphrase: Paraphrase,
}

/// The cross-language stage of one [`cluster_jsonl_with`] run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CrossLanguage {
    /// The batch is in one language: nothing was embedded.
    #[default]
    NotNeeded,
    /// The batch mixes languages but no model could be used: clustering is lexical only.
    Off { reason: String },
    /// Clusters of different languages were compared through their embeddings.
    On {
        /// Texts embedded (see [`embed::LinkReport::embedded`]).
        embedded: usize,
        /// Cross-language merges made.
        linked: usize,
    },
}

/// The paraphrase stage of one [`cluster_jsonl_with`] run (see [`embed::link_paraphrases`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Paraphrase {
    /// No split pair of close lexical neighbours: nothing was embedded.
    #[default]
    NotNeeded,
    /// There were such pairs but no model could be used: they stay apart.
    Off { reason: String },
    /// Embedding them would cost more than the budget (see [`ClusterOptions`]): they stay
    /// apart.
    Skipped {
        /// Texts the stage would embed (at least this many).
        texts: usize,
        /// The budget, in texts.
        budget: usize,
    },
    /// The whole batch was embedded and refined by nearest neighbours in meaning (see
    /// [`embed::refine_by_neighbours`]).
    Whole {
        /// Quotes embedded.
        embedded: usize,
        /// Lexical clusters split.
        split: usize,
        /// Merges made.
        linked: usize,
    },
    /// The pairs were compared through their embeddings.
    On {
        /// Pairs looked at.
        pairs: usize,
        /// Quotes embedded.
        embedded: usize,
        /// Merges made.
        linked: usize,
    },
}

/// Why an embedding stage could not run: the model did not load, or embedding failed.
enum StageError {
    Load(String),
    Embed(EmbedError),
}

impl From<EmbedError> for StageError {
    fn from(e: EmbedError) -> Self {
        Self::Embed(e)
    }
}

/// The model of a [`ModelSource`], loaded on first use and at most once.
struct LazyModel<'a> {
    source: Option<ModelSource<'a>>,
    loaded: Option<Result<Box<dyn Embedder + 'a>, String>>,
}

impl<'a> LazyModel<'a> {
    fn get(&mut self) -> Result<&(dyn Embedder + 'a), String> {
        if self.loaded.is_none() {
            self.loaded = Some(match self.source.take() {
                None => Err("no embedding model given".into()),
                Some(load) => load().map_err(|e| e.to_string()),
            });
        }
        match self.loaded.as_ref().expect("set above") {
            Ok(m) => Ok(m.as_ref()),
            Err(e) => Err(e.clone()),
        }
    }
}

/// Supplies the embedding model for [`cluster_jsonl_with`]; called at most once, and only for
/// a batch that mixes languages, so a one-language batch never pays for loading the model.
pub type ModelSource<'a> = Box<dyn FnOnce() -> Result<Box<dyn Embedder + 'a>, EmbedError> + 'a>;

/// Reads `{"id","text","lang"?,"speaker"?,"published"?}` lines and writes `{"id","cluster"}`
/// lines in input order, clustering with [`cluster_dated`] (without `published` anywhere this is
/// exactly [`cluster_prepared`]). A malformed line, including one whose `published` is not a
/// date, is recorded in the summary and skipped; only I/O failures are errors.
pub fn cluster_jsonl<R: BufRead, W: Write>(
    input: R,
    output: W,
) -> Result<ClusterSummary, MatchError> {
    cluster_jsonl_with(input, output, None)
}

/// [`cluster_jsonl`], then, when the batch mixes languages and `model` yields an embedder,
/// the cross-language stage ([`embed::link_clusters`] with its calibrated thresholds). A quote's
/// language is its `lang` field, else whatlang's reliable guess, else the stemming language.
/// When the model cannot be loaded, the summary says why and clustering stays lexical.
pub fn cluster_jsonl_with<R: BufRead, W: Write>(
    input: R,
    output: W,
    model: Option<ModelSource<'_>>,
) -> Result<ClusterSummary, MatchError> {
    cluster_jsonl_opts(input, output, model, ClusterOptions::default())
}

/// Choices of [`cluster_jsonl_opts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterOptions {
    /// Most texts the paraphrase stage may embed; above this it is skipped (and says so).
    /// 0 turns it off, `usize::MAX` always runs it. See [`embed::PARAPHRASE_BUDGET`].
    pub paraphrase_budget: usize,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            paraphrase_budget: embed::PARAPHRASE_BUDGET,
        }
    }
}

/// [`cluster_jsonl_with`] with explicit [`ClusterOptions`].
pub fn cluster_jsonl_opts<R: BufRead, W: Write>(
    input: R,
    mut output: W,
    model: Option<ModelSource<'_>>,
    options: ClusterOptions,
) -> Result<ClusterSummary, MatchError> {
    let mut texts = Vec::new();
    let mut langs = Vec::new();
    let mut ids = Vec::new();
    let mut items = Vec::new();
    let mut times = Vec::new();
    let mut summary = ClusterSummary::default();
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(MatchError::Read)?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<InputLine>(&line)
            .map_err(|e| e.to_string())
            .and_then(
                |rec| match rec.published.as_deref().map(|d| (d, day_of(d))) {
                    Some((d, None)) => Err(format!("published: not a date: {d:?}")),
                    Some((_, day)) => Ok((rec, day)),
                    None => Ok((rec, None)),
                },
            );
        match parsed {
            Ok((rec, day)) => {
                times.push(day);
                let p = prepare(&rec.text, rec.lang.as_deref(), rec.speaker.as_deref());
                langs.push(embed::quote_lang(&rec.text, rec.lang.as_deref(), &p.folded));
                items.push(p);
                texts.push(rec.text);
                ids.push(rec.id);
            }
            Err(error) => summary.skipped.push(SkippedLine { line: n + 1, error }),
        }
    }
    let multilingual = embed::is_multilingual(langs.iter().map(String::as_str));
    // Only what the embedding stages need is kept past the lexical stage.
    let shape: Vec<(u32, usize, Option<String>)> = items
        .iter()
        .map(|p| (p.content, p.terms.len(), p.speaker.clone()))
        .collect();
    let days = times.clone();
    let (mut clusters, neighbours) =
        cluster_batch(items, times, Thresholds::batch(), embed::GRAY_NEIGHBOURS);
    let mut model = LazyModel {
        source: model,
        loaded: None,
    };
    // A batch with a real share of other languages has every unit compared within its language
    // by the cross-language stage already (see `embed::link_clusters`).
    let mut count: std::collections::HashMap<&str, usize> = Default::default();
    for l in &langs {
        *count.entry(l.as_str()).or_default() += 1;
    }
    let dominant = count.values().copied().max().unwrap_or(0);
    let compared_anyway =
        multilingual && dominant <= embed::SMALL_SHARE_RATIO * (langs.len() - dominant);
    // Close lexical neighbours in one language; those split by the lexical stage where one is
    // the other's closest neighbour are the paraphrase stage's work, the rest its context.
    let near = embed::GRAY_NEIGHBOURS;
    let top = |x: usize| neighbours[x * near].0 as usize;
    let gray_pair = |k: usize| {
        let (i, (j, c)) = (k / near, neighbours[k]);
        let j = j as usize;
        (j != NO_NEIGHBOUR as usize
            && c >= embed::GRAY_FLOOR
            && langs[i] == langs[j]
            && (clusters[i] == clusters[j] || top(i) == j || top(j) == i))
            .then_some((i.min(j), i.max(j)))
    };
    // Quotes with a split pair of their own: at least that many texts to embed. Counted first
    // so a batch far over the budget (large news batches) builds nothing more.
    let split = (0..langs.len())
        .filter(|&i| {
            (i * near..(i + 1) * near)
                .filter_map(gray_pair)
                .any(|(a, b)| clusters[a] != clusters[b])
        })
        .count();
    // A batch small enough to embed whole is refined by nearest neighbours in meaning, which
    // separates same-story sentences far better than a look at the gray pairs alone (see
    // `embed::refine_by_neighbours`); it runs on the same trigger, a split gray pair.
    let whole = !multilingual && split > 0 && langs.len() <= options.paraphrase_budget;
    let (gray, work) = if compared_anyway || split == 0 || whole {
        (Vec::new(), 0)
    } else if split > options.paraphrase_budget {
        (Vec::new(), split)
    } else {
        let gray: Vec<(usize, usize)> = (0..neighbours.len()).filter_map(gray_pair).collect();
        let work = embed::paraphrase_work(&clusters, &gray);
        (gray, work)
    };
    drop(neighbours);
    let quotes = || -> Vec<embed::Quote<'_>> {
        shape
            .iter()
            .zip(texts.iter().zip(&days))
            .map(|((_, _, speaker), (text, &day))| embed::Quote {
                text,
                speaker: speaker.as_deref(),
                day,
            })
            .collect()
    };
    if whole {
        summary.paraphrase = match model.get() {
            Err(reason) => Paraphrase::Off { reason },
            Ok(embedder) => match embed::refine_by_neighbours(
                &quotes(),
                &mut clusters,
                embedder,
                embed::NEIGHBOUR_THRESHOLD,
            ) {
                Ok(r) => Paraphrase::Whole {
                    embedded: r.embedded,
                    split: r.split,
                    linked: r.linked + r.grouped,
                },
                Err(e) => Paraphrase::Off {
                    reason: e.to_string(),
                },
            },
        };
    } else if work > 0 {
        summary.paraphrase = if work > options.paraphrase_budget {
            Paraphrase::Skipped {
                texts: work,
                budget: options.paraphrase_budget,
            }
        } else {
            match model.get() {
                Err(reason) => Paraphrase::Off { reason },
                Ok(embedder) => {
                    match embed::link_paraphrases(
                        &quotes(),
                        &mut clusters,
                        &gray,
                        embedder,
                        embed::ParaphraseThresholds::default(),
                    ) {
                        Ok(r) => Paraphrase::On {
                            pairs: r.pairs,
                            embedded: r.embedded,
                            linked: r.linked,
                        },
                        Err(e) => Paraphrase::Off {
                            reason: e.to_string(),
                        },
                    }
                }
            }
        };
    }
    if multilingual {
        let members: Vec<embed::Member<'_>> = shape
            .iter()
            .zip(texts.iter().zip(&langs))
            .map(|((content, words, speaker), (text, lang))| embed::Member {
                text,
                lang,
                content: *content,
                words: *words,
                speaker: speaker.as_deref(),
            })
            .collect();
        let model = &mut model;
        summary.cross_language = match embed::link_clusters_lazy(
            &members,
            &mut clusters,
            move || model.get().map_err(StageError::Load),
            embed::LinkThresholds::default(),
        ) {
            Ok(r) => CrossLanguage::On {
                embedded: r.embedded,
                linked: r.linked,
            },
            Err(StageError::Load(reason)) => CrossLanguage::Off { reason },
            Err(StageError::Embed(e)) => CrossLanguage::Off {
                reason: e.to_string(),
            },
        };
    }
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use proptest::prelude::*;

    /// Issue 3's seed renderings, as quoted in the issue, plus the look-alikes that must stay apart.
    const SEED_QUOTES: &[(&str, usize)] = &[
        ("all levels of the public security force’s intelligence services", 0),
        ("I have instructed all levels of the public security apparatus to suspend communication and intelligence sharing with U.S. security agencies.", 0),
        ("communications and other agreements with U.S. security agencies", 0),
        ("All levels of law enforcement intelligence are ordered to suspend communications and other dealings with U.S. security agencies,", 0),
        ("an order has been given at all levels of the public security force’s intelligence services to suspend communications and other dealings with US security agencies,", 0),
        ("the fight against drugs must be subordinated to the human rights of the Caribbean people.", 1),
        ("The fight against drug trafficking must be carried out with full respect for the human rights of the Caribbean people", 1),
        ("as long as the missile attacks on boats continue.", 2),
        ("will remain in force as long as the missile attacks on boats continue.", 2),
        ("has allowed drug cartels to flourish and refused to stop this activity,", 3),
        ("President Trump is taking strong action to protect our nation and make clear that we will not tolerate the trafficking of drugs into our nation.", 4),
        ("disobey the orders of Trump", 5),
        ("obey the orders of humanity", 6),
        ("narcoterrorists", 7),
        ("separate and distinct", 8),
        ("foreign terrorist groups", 9),
    ];

    fn partition(ids: &[ClusterId]) -> Vec<Vec<usize>> {
        let mut groups: HashMap<ClusterId, Vec<usize>> = HashMap::new();
        for (i, &c) in ids.iter().enumerate() {
            groups.entry(c).or_default().push(i);
        }
        let mut out: Vec<Vec<usize>> = groups.into_values().collect();
        out.sort();
        out
    }

    #[test]
    fn issue_quotes_form_the_expected_groups() {
        let items = SEED_QUOTES
            .iter()
            .map(|(t, _)| prepare(t, Some("en"), Some("Petro")))
            .collect();
        let ids = cluster_prepared(items);
        for (i, (ti, gi)) in SEED_QUOTES.iter().enumerate() {
            for (j, (tj, gj)) in SEED_QUOTES.iter().enumerate() {
                assert_eq!(ids[i] == ids[j], gi == gj, "{ti:?} vs {tj:?}");
            }
        }
    }

    #[test]
    fn incremental_clusterer_merges_copies_and_respects_speakers() {
        let mut c = Clusterer::new();
        let (a, _) = c.assign(prepare(
            "He may have been carrying fish, or he may have been carrying cocaine",
            None,
            Some("Gustavo Petro"),
        ));
        let (b, new) = c.assign(prepare(
            "“He may have been carrying fish, or he may have been carrying cocaine”",
            None,
            Some("Petro"),
        ));
        assert!(!new && a == b);
        let (d, new) = c.assign(prepare(
            "He may have been carrying fish, or he may have been carrying cocaine",
            None,
            Some("Scott Bessent"),
        ));
        assert!(new && d != a);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn lookup_finds_a_cluster_from_a_sloppy_fragment() {
        let mut c = Clusterer::new().with_lookup();
        for (t, _) in SEED_QUOTES {
            c.assign(prepare(t, Some("en"), None));
        }
        let want = c.assign(prepare(SEED_QUOTES[4].0, Some("en"), None)).0;
        let hits = c.lookup(
            "Suspend comunications and other dealings with US securty agen",
            3,
        );
        assert_eq!(hits.first().map(|h| h.0), Some(want));
        assert!(c.lookup("completely unrelated words here", 3).is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

        /// Batch clustering puts the same quotes together whatever the input order.
        #[test]
        fn batch_partition_is_order_independent(perm in Just((0..SEED_QUOTES.len()).collect::<Vec<_>>()).prop_shuffle()) {
            let items: Vec<Prepared> = SEED_QUOTES.iter().map(|(t, _)| prepare(t, Some("en"), None)).collect();
            let base = partition(&cluster_prepared(items.clone()));
            let shuffled: Vec<Prepared> = perm.iter().map(|&i| items[i].clone()).collect();
            let ids = cluster_prepared(shuffled);
            let mut back = vec![0; ids.len()];
            for (k, &i) in perm.iter().enumerate() {
                back[i] = ids[k];
            }
            prop_assert_eq!(partition(&back), base);
        }
    }
}
