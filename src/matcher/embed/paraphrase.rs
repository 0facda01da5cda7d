//! The paraphrase stage: a second look, through sentence embeddings, at the few pairs of
//! quotes the lexical cascade left in different clusters although they share rare words.
//!
//! Two renderings of one remark can share too few words for the cascade ("He died on the
//! spot" / "The driver was killed instantly"), while two sentences of one story can share most
//! of theirs. Words alone cannot separate these; meaning can, but embedding every quote costs
//! far more than the lexical cascade (about 50 quotes a second per core against 20,000). So
//! only *gray* pairs are embedded: a quote and its closest lexical neighbours (see
//! `similarity::neighbourhood`) whose damped weighted Dice is at least [`GRAY_FLOOR`] and
//! which ended up in different clusters. In news, where most quotes have no rendering but
//! their own copies, that is a small share of the batch; the stage is skipped (and the model
//! never loaded) when there is none.
//!
//! A gray pair joins its two clusters when the two quotes are each other's closest gray
//! partner in meaning (a relative criterion, like the lexical stage's reciprocal best match),
//! their cosine is at least [`PARAPHRASE_THRESHOLD`], and every embedded member of one cluster
//! is that close to every embedded member of the other (complete link, so no chaining).

use super::{cosine, EmbedError, Embedder};
use crate::matcher::{speakers_compatible, ClusterId, Day, Span, TIME_WINDOW_DAYS};
use std::collections::HashMap;
use std::hash::Hash;

/// Damped weighted Dice (the overlap stage's score, without its shared-content minimum) from
/// which a split pair of lexical neighbours is looked at again.
pub const GRAY_FLOOR: f32 = 0.1;
/// Closest lexical neighbours of each quote that may form gray pairs.
pub const GRAY_NEIGHBOURS: usize = 2;
/// Cosine of multilingual-e5-small embeddings (`query: ` prefix) at or above which a gray pair
/// of mutual closest partners is one statement.
pub const PARAPHRASE_THRESHOLD: f32 = 0.9;
/// How much looser than the tighter of its two parts (lowest cosine between embedded members)
/// a merged cluster may be.
pub const PARAPHRASE_MARGIN: f32 = 0.03;
/// Most texts `quotetrace cluster` embeds for the paraphrase stage by default: about 50 s of
/// one core (25 s on two). A batch of at most this many quotes is embedded whole
/// ([`refine_by_neighbours`]: the wmt21 sets, 2,000 quotes each); a larger one only in its
/// gray zone ([`link_paraphrases`]), when that is within the budget. Measured gray zones:
/// 3,437 texts for fisher-dev (8,124 quotes), 4,522 for 10,000 AllSides news quotes and
/// 46,000+ for 100,000, where it would cost minutes for a few dozen links; so a larger gray
/// zone is skipped (with a note) unless the caller raises the budget.
pub const PARAPHRASE_BUDGET: usize = 2_500;

/// One quote of the batch, as the paraphrase stage sees it.
#[derive(Clone, Copy, Debug)]
pub struct Quote<'a> {
    /// The original wording.
    pub text: &'a str,
    /// Speaker key, when known.
    pub speaker: Option<&'a str>,
    /// Publication day, when known: a rewording joins only within the time window
    /// ([`TIME_WINDOW_DAYS`]), as in the lexical stage.
    pub day: Option<Day>,
}

/// What [`link_paraphrases`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParaphraseReport {
    /// Gray pairs looked at.
    pub pairs: usize,
    /// Quotes embedded.
    pub embedded: usize,
    /// Cluster merges made.
    pub linked: usize,
}

/// Tunable cut-offs of [`link_paraphrases`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParaphraseThresholds {
    /// See [`PARAPHRASE_THRESHOLD`].
    pub cosine: f32,
    /// Only pairs that are each other's closest gray partner may join.
    pub mutual: bool,
    /// See [`PARAPHRASE_MARGIN`].
    pub margin: f32,
}

impl Default for ParaphraseThresholds {
    fn default() -> Self {
        Self {
            cosine: PARAPHRASE_THRESHOLD,
            mutual: true,
            margin: PARAPHRASE_MARGIN,
        }
    }
}

/// How many texts [`link_paraphrases`] would embed for these `ids` and `pairs`: 0 when no
/// pair is split.
pub fn paraphrase_work(ids: &[ClusterId], pairs: &[(usize, usize)]) -> usize {
    work(ids, pairs).1.len()
}

/// The pairs worth looking at and the quotes to embed: the split pairs, and the pairs within a
/// cluster that touch a quote of a split pair (a quote may only leave for a quote of another
/// cluster that is closer in meaning than its own close neighbours are).
fn work(ids: &[ClusterId], pairs: &[(usize, usize)]) -> (Vec<(usize, usize)>, Vec<usize>) {
    let mut pairs: Vec<(usize, usize)> = pairs
        .iter()
        .map(|&(a, b)| (a.min(b), a.max(b)))
        .filter(|&(a, b)| a != b)
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut ends: Vec<usize> = pairs
        .iter()
        .filter(|&&(a, b)| ids[a] != ids[b])
        .flat_map(|&(a, b)| [a, b])
        .collect();
    ends.sort_unstable();
    ends.dedup();
    if ends.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let touches = |i: usize| ends.binary_search(&i).is_ok();
    let pairs: Vec<(usize, usize)> = pairs
        .into_iter()
        .filter(|&(a, b)| touches(a) || touches(b))
        .collect();
    let mut ends: Vec<usize> = pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
    ends.sort_unstable();
    ends.dedup();
    (pairs, ends)
}

/// Joins clusters through gray `pairs` (indices into `quotes` and `ids`) whose embeddings agree
/// (see the module docs), rewriting `ids`; a merged cluster takes the smaller id, so the result
/// is as independent of input order as `ids` and `pairs` are.
///
/// # Panics
/// When `quotes` and `ids` differ in length or a pair is out of range.
pub fn link_paraphrases(
    quotes: &[Quote<'_>],
    ids: &mut [ClusterId],
    pairs: &[(usize, usize)],
    embedder: &dyn Embedder,
    t: ParaphraseThresholds,
) -> Result<ParaphraseReport, EmbedError> {
    assert_eq!(quotes.len(), ids.len(), "one id per quote");
    let (pairs, ends) = work(ids, pairs);
    if ends.is_empty() {
        return Ok(ParaphraseReport::default());
    }
    let slot = |i: usize| ends.binary_search(&i).expect("an end of some pair");
    let texts: Vec<&str> = ends.iter().map(|&i| quotes[i].text).collect();
    let vecs = embedder.embed(&texts)?;
    let cos = |a: usize, b: usize| cosine(&vecs[slot(a)], &vecs[slot(b)]);

    // Each quote's closest neighbour in meaning, in its cluster or not.
    let mut best: Vec<Option<(usize, f32)>> = vec![None; ends.len()];
    let mut scored: Vec<(f32, usize, usize)> = Vec::with_capacity(pairs.len());
    for &(a, b) in &pairs {
        let s = cos(a, b);
        for (x, y) in [(a, b), (b, a)] {
            let e = &mut best[slot(x)];
            if e.is_none_or(|(z, v)| s > v || (s == v && y < z)) {
                *e = Some((y, s));
            }
        }
        if s >= t.cosine && ids[a] != ids[b] {
            scored.push((s, a, b));
        }
    }
    scored.sort_unstable_by(|p, q| q.0.total_cmp(&p.0).then((p.1, p.2).cmp(&(q.1, q.2))));

    // Embedded members and speakers per cluster, looked up by current id.
    let mut members: HashMap<ClusterId, Vec<usize>> = Default::default();
    for &i in &ends {
        members.entry(ids[i]).or_default().push(i);
    }
    let mut bounds = Constraints::default();
    for (q, &id) in quotes.iter().zip(ids.iter()) {
        bounds.add(id, q);
    }
    let mut parent: HashMap<ClusterId, ClusterId> = Default::default();
    let find = |parent: &HashMap<ClusterId, ClusterId>, mut c: ClusterId| {
        while let Some(&p) = parent.get(&c) {
            c = p;
        }
        c
    };
    let mut linked = 0;
    for &(_, a, b) in &scored {
        if t.mutual
            && !(best[slot(a)].is_some_and(|(y, _)| y == b)
                && best[slot(b)].is_some_and(|(y, _)| y == a))
        {
            continue;
        }
        let (ca, cb) = (find(&parent, ids[a]), find(&parent, ids[b]));
        if ca == cb {
            continue;
        }
        let empty = Vec::new();
        let (ma, mb) = (
            members.get(&ca).unwrap_or(&empty),
            members.get(&cb).unwrap_or(&empty),
        );
        let cross = ma
            .iter()
            .flat_map(|&x| mb.iter().map(move |&y| (x, y)))
            .map(|(x, y)| cos(x, y))
            .fold(f32::INFINITY, f32::min);
        if cross < t.cosine {
            continue;
        }
        // Relative: the merged cluster may not be looser than its parts.
        let intra = |m: &[usize]| {
            let mut v = f32::INFINITY;
            for (k, &x) in m.iter().enumerate() {
                for &y in &m[k + 1..] {
                    v = v.min(cos(x, y));
                }
            }
            v
        };
        let tight = intra(ma).min(intra(mb));
        if tight.is_finite() && cross < tight - t.margin {
            continue;
        }
        if !bounds.may_join(ca, cb) {
            continue;
        }
        let (keep, gone) = (ca.min(cb), ca.max(cb));
        bounds.join(keep, gone);
        parent.insert(gone, keep);
        let moved = members.remove(&gone).unwrap_or_default();
        members.entry(keep).or_default().extend(moved);
        linked += 1;
    }
    if linked > 0 {
        for id in ids.iter_mut() {
            *id = find(&parent, *id);
        }
    }
    Ok(ParaphraseReport {
        pairs: scored.len(),
        embedded: ends.len(),
        linked,
    })
}

/// What a merge of two groups of quotes must respect, kept per group (a cluster id or a
/// union-find root): every named speaker must be compatible with every speaker of the other
/// group, and the dated members of both together must stay within [`TIME_WINDOW_DAYS`], as in
/// the lexical stage.
struct Constraints<'a, K> {
    speakers: HashMap<K, Vec<&'a str>>,
    spans: HashMap<K, Span>,
}

impl<K> Default for Constraints<'_, K> {
    fn default() -> Self {
        Constraints {
            speakers: HashMap::new(),
            spans: HashMap::new(),
        }
    }
}

impl<'a, K: Copy + Eq + Hash> Constraints<'a, K> {
    fn add(&mut self, group: K, q: &Quote<'a>) {
        if let Some(s) = q.speaker {
            let list = self.speakers.entry(group).or_default();
            if !list.contains(&s) {
                list.push(s);
            }
        }
        let span = Span::widen(self.spans.get(&group).copied(), q.day);
        if let Some(span) = span {
            self.spans.insert(group, span);
        }
    }

    fn may_join(&self, a: K, b: K) -> bool {
        let none: &[&str] = &[];
        let (sa, sb) = (
            self.speakers.get(&a).map_or(none, Vec::as_slice),
            self.speakers.get(&b).map_or(none, Vec::as_slice),
        );
        let speakers_agree = sa
            .iter()
            .all(|&x| sb.iter().all(|&y| speakers_compatible(Some(x), Some(y))));
        speakers_agree
            && self
                .joined_span(a, b)
                .is_none_or(|s| s.days() <= TIME_WINDOW_DAYS)
    }

    fn joined_span(&self, a: K, b: K) -> Option<Span> {
        match (self.spans.get(&a), self.spans.get(&b)) {
            (Some(x), Some(y)) => Some(Span {
                first: x.first.min(y.first),
                last: x.last.max(y.last),
            }),
            (x, y) => x.or(y).copied(),
        }
    }

    /// Records that group `gone` now belongs to group `keep`.
    fn join(&mut self, keep: K, gone: K) {
        let span = self.joined_span(keep, gone);
        self.spans.remove(&gone);
        if let Some(span) = span {
            self.spans.insert(keep, span);
        }
        let moved = self.speakers.remove(&gone).unwrap_or_default();
        let list = self.speakers.entry(keep).or_default();
        for s in moved {
            if !list.contains(&s) {
                list.push(s);
            }
        }
    }
}

/// Cosine at or above which two quotes that are each other's nearest neighbour in meaning
/// over a whole embedded batch are one statement ([`refine_by_neighbours`]). Calibrated on
/// wmt21-de-en and wmt21-cs-en with the lexical stage in front: pairwise F1 0.9905 / 0.963 at
/// 0.86, 0.9895 / 0.959 at 0.90, and 0.973 / 0.934 without these merges.
pub const NEIGHBOUR_THRESHOLD: f32 = 0.88;
/// Cosine at or above which two quotes the lexical stage put together stay together whatever
/// their neighbours: copies and close excerpts embed this close (exact copies at 1.0).
pub const KEEP_THRESHOLD: f32 = 0.97;

/// What [`refine_by_neighbours`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefineReport {
    /// Quotes embedded (the whole batch).
    pub embedded: usize,
    /// Lexical clusters split.
    pub split: usize,
    /// Merges of reciprocal nearest neighbours.
    pub linked: usize,
}

/// The paraphrase stage for a batch small enough to embed whole: every quote's nearest
/// neighbour in meaning over the batch decides.
///
/// A relative criterion, like the lexical stage's reciprocal best match: two sentences of one
/// story share words and embed about as close as two renderings of one sentence do (cosines
/// 0.93-0.97 in wmt21-cs-en for both), but a rendering is almost always the *nearest*
/// neighbour of its other renderings (1,936 of 2,000 wmt21-cs-en sentences). So:
///
/// 1. inside each lexical cluster, two members stay linked only when one is the other's nearest
///    neighbour in the batch, or their cosine is at least [`KEEP_THRESHOLD`]; a cluster whose
///    members fall apart into several components is split (a same-story merge);
/// 2. two quotes in different clusters that are each other's nearest neighbour with cosine at
///    least `threshold` join their clusters, when speakers and the time window allow.
///
/// Ids are rewritten so that they still depend only on the quotes, not on their order: a
/// component keeps its lexical cluster's id when it holds the cluster's alphabetically first
/// text, other components get fresh ids after the largest one, in order of that text.
///
/// # Panics
/// When `quotes` and `ids` differ in length.
pub fn refine_by_neighbours(
    quotes: &[Quote<'_>],
    ids: &mut [ClusterId],
    embedder: &dyn Embedder,
    threshold: f32,
) -> Result<RefineReport, EmbedError> {
    use rayon::prelude::*;
    assert_eq!(quotes.len(), ids.len(), "one id per quote");
    let n = quotes.len();
    if n < 2 {
        return Ok(RefineReport::default());
    }
    let texts: Vec<&str> = quotes.iter().map(|q| q.text).collect();
    let vecs = embedder.embed(&texts)?;
    // Nearest neighbour of each quote (ties to the alphabetically first text, then the lower
    // index, so equal texts in any order give the same partition).
    let nn: Vec<(usize, f32)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut best = (usize::MAX, f32::NEG_INFINITY);
            for j in 0..n {
                if j == i {
                    continue;
                }
                let s = cosine(&vecs[i], &vecs[j]);
                let better = best.0 == usize::MAX
                    || s > best.1
                    || (s == best.1 && (texts[j], j) < (texts[best.0], best.0));
                if better {
                    best = (j, s);
                }
            }
            best
        })
        .collect();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    fn union(parent: &mut [usize], a: usize, b: usize) {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    // 1. Links inside lexical clusters that the neighbours confirm.
    let mut members: HashMap<ClusterId, Vec<usize>> = Default::default();
    for (i, &c) in ids.iter().enumerate() {
        members.entry(c).or_default().push(i);
    }
    for list in members.values() {
        for (k, &a) in list.iter().enumerate() {
            for &b in &list[k + 1..] {
                if nn[a].0 == b || nn[b].0 == a || cosine(&vecs[a], &vecs[b]) >= KEEP_THRESHOLD {
                    union(&mut parent, a, b);
                }
            }
        }
    }
    let mut split = 0;
    for list in members.values() {
        let mut roots: Vec<usize> = list.iter().map(|&i| find(&mut parent, i)).collect();
        roots.sort_unstable();
        roots.dedup();
        split += usize::from(roots.len() > 1);
    }
    // Components after step 1, for the constraints of step 2.
    let mut bounds = Constraints::default();
    for (i, q) in quotes.iter().enumerate() {
        let r = find(&mut parent, i);
        bounds.add(r, q);
    }
    // 2. Reciprocal nearest neighbours across components, closest first.
    let mut mutual: Vec<(f32, usize, usize)> = (0..n)
        .filter_map(|i| {
            let (j, s) = nn[i];
            (j != usize::MAX && i < j && nn[j].0 == i && s >= threshold).then_some((s, i, j))
        })
        .collect();
    mutual.sort_unstable_by(|p, q| {
        q.0.total_cmp(&p.0)
            .then((texts[p.1], texts[p.2]).cmp(&(texts[q.1], texts[q.2])))
    });
    let mut linked = 0;
    for &(_, a, b) in &mutual {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra == rb {
            continue;
        }
        if !bounds.may_join(ra, rb) {
            continue;
        }
        union(&mut parent, ra, rb);
        let keep = find(&mut parent, ra);
        bounds.join(keep, if keep == ra { rb } else { ra });
        linked += 1;
    }
    // Order-independent ids: key each component by (smallest lexical id, first text).
    let mut key: HashMap<usize, (ClusterId, &str)> = Default::default();
    for i in 0..n {
        let r = find(&mut parent, i);
        let k = (ids[i], texts[i]);
        let e = key.entry(r).or_insert(k);
        if k < *e {
            *e = k;
        }
    }
    let mut keys: Vec<(ClusterId, &str)> = key.values().copied().collect();
    keys.sort_unstable();
    keys.dedup();
    let next = ids.iter().copied().max().map_or(0, |m| m + 1);
    let mut fresh = next;
    let mut id_of: HashMap<(ClusterId, &str), ClusterId> = Default::default();
    let mut prev: Option<ClusterId> = None;
    for k in keys {
        let id = if prev == Some(k.0) {
            fresh += 1;
            fresh - 1
        } else {
            k.0
        };
        prev = Some(k.0);
        id_of.insert(k, id);
    }
    let out: Vec<ClusterId> = (0..n)
        .map(|i| {
            let r = find(&mut parent, i);
            id_of[&key[&r]]
        })
        .collect();
    ids.copy_from_slice(&out);
    Ok(RefineReport {
        embedded: n,
        split,
        linked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::matcher::embed::test_table::Table;

    fn quotes<'a>(texts: &[&'a str]) -> Vec<Quote<'a>> {
        texts
            .iter()
            .map(|&text| Quote {
                text,
                speaker: None,
                day: None,
            })
            .collect()
    }

    #[test]
    fn a_split_pair_close_in_meaning_joins() {
        let table = Table(vec![
            ("a", vec![1.0, 0.1, 0.0]),
            ("b", vec![1.0, 0.15, 0.0]),
            ("c", vec![0.0, 0.0, 1.0]),
        ]);
        let q = quotes(&["a", "b", "c"]);
        let mut ids = vec![0, 1, 2];
        let r = link_paraphrases(
            &q,
            &mut ids,
            &[(0, 1), (1, 2)],
            &table,
            ParaphraseThresholds::default(),
        )
        .unwrap();
        assert_eq!(ids, vec![0, 0, 2]);
        assert_eq!((r.embedded, r.linked), (3, 1));
    }

    #[test]
    fn whole_batch_splits_a_same_story_merge_and_joins_nearest_neighbours() {
        // a1/a2 render one sentence, b1/b2 another of the same story: lexically all four were
        // merged, but each one's nearest neighbour is its own rendering. c1/c2 were left apart
        // lexically and are each other's nearest neighbour; d is alone and far from everything.
        let table = Table(vec![
            ("a1", vec![1.0, 0.0, 0.0, 0.0]),
            ("a2", vec![1.0, 0.05, 0.0, 0.0]),
            ("b1", vec![1.0, 0.50, 0.0, 0.0]),
            ("b2", vec![1.0, 0.55, 0.0, 0.0]),
            ("c1", vec![0.0, 0.0, 1.0, 0.20]),
            ("c2", vec![0.0, 0.0, 1.0, 0.25]),
            ("d", vec![0.0, 1.0, 0.0, 0.0]),
        ]);
        let q = quotes(&["a1", "a2", "b1", "b2", "c1", "c2", "d"]);
        let mut ids = vec![0, 0, 0, 0, 1, 2, 3];
        let r = refine_by_neighbours(&q, &mut ids, &table, NEIGHBOUR_THRESHOLD).unwrap();
        assert_eq!((r.embedded, r.split, r.linked), (7, 1, 1));
        assert_eq!(ids[0], ids[1]);
        assert_eq!(ids[2], ids[3]);
        assert_ne!(ids[0], ids[2]);
        assert_eq!(ids[4], ids[5]);
        assert!(ids[6] != ids[0] && ids[6] != ids[2] && ids[6] != ids[4]);
        // Ids depend on the quotes, not on their order.
        let rev: Vec<&str> = ["a1", "a2", "b1", "b2", "c1", "c2", "d"]
            .into_iter()
            .rev()
            .collect();
        let mut rids = vec![3, 2, 1, 0, 0, 0, 0];
        refine_by_neighbours(&quotes(&rev), &mut rids, &table, NEIGHBOUR_THRESHOLD).unwrap();
        rids.reverse();
        assert_eq!(rids, ids);
    }

    /// "x" and "y", said by two different named people.
    fn two_speakers() -> [Quote<'static>; 2] {
        let said = |text, speaker| Quote {
            text,
            speaker: Some(speaker),
            day: None,
        };
        [said("x", "marco rubio"), said("y", "gustavo petro")]
    }

    #[test]
    fn whole_batch_keeps_speakers_apart() {
        let table = Table(vec![("x", vec![1.0, 0.0]), ("y", vec![1.0, 0.01])]);
        let q = two_speakers();
        let mut ids = vec![0, 1];
        let r = refine_by_neighbours(&q, &mut ids, &table, NEIGHBOUR_THRESHOLD).unwrap();
        assert_eq!((ids, r.linked), (vec![0, 1], 0));
    }

    #[test]
    fn a_rewording_never_joins_across_the_time_window() {
        let table = Table(vec![
            ("a", vec![1.0, 0.1, 0.0]),
            ("b", vec![1.0, 0.15, 0.0]),
        ]);
        let q = [
            Quote {
                text: "a",
                speaker: None,
                day: Some(0),
            },
            Quote {
                text: "b",
                speaker: None,
                day: Some(TIME_WINDOW_DAYS + 1),
            },
        ];
        let mut ids = vec![0, 1];
        link_paraphrases(
            &q,
            &mut ids,
            &[(0, 1)],
            &table,
            ParaphraseThresholds::default(),
        )
        .unwrap();
        assert_eq!(ids, vec![0, 1]);
    }

    #[test]
    fn a_quote_closer_to_its_own_cluster_stays() {
        // a1/a2 and b1/b2 are two statements of one story: a1 is close to b1, but closer to
        // its own cluster-mate a2, so the clusters stay apart.
        let table = Table(vec![
            ("a1", vec![1.0, 0.2, 0.0]),
            ("a2", vec![1.0, 0.25, 0.0]),
            ("b1", vec![1.0, 0.4, 0.0]),
            ("b2", vec![1.0, 0.45, 0.0]),
        ]);
        let q = quotes(&["a1", "a2", "b1", "b2"]);
        let mut ids = vec![0, 0, 1, 1];
        let pairs = [(0, 1), (2, 3), (0, 2)];
        let t = ParaphraseThresholds {
            cosine: 0.9,
            ..ParaphraseThresholds::default()
        };
        link_paraphrases(&q, &mut ids, &pairs, &table, t).unwrap();
        assert_eq!(ids, vec![0, 0, 1, 1]);
    }

    #[test]
    fn nothing_split_embeds_nothing_and_speakers_bind() {
        let table = Table(vec![
            ("x", vec![1.0, 0.0, 0.0]),
            ("y", vec![1.0, 0.01, 0.0]),
        ]);
        let mut ids = vec![0, 0];
        assert_eq!(paraphrase_work(&ids, &[(0, 1)]), 0);
        let r = link_paraphrases(
            &quotes(&["x", "y"]),
            &mut ids,
            &[(0, 1)],
            &table,
            ParaphraseThresholds::default(),
        )
        .unwrap();
        assert_eq!(r, ParaphraseReport::default());
        let q = two_speakers();
        let mut ids = vec![0, 1];
        link_paraphrases(
            &q,
            &mut ids,
            &[(0, 1)],
            &table,
            ParaphraseThresholds::default(),
        )
        .unwrap();
        assert_eq!(ids, vec![0, 1]);
    }
}
