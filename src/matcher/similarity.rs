//! The pairwise decision: are two prepared quotes one statement?

use serde::{Deserialize, Serialize};

use super::{
    is_content, query_keys, IdMap, Match, Prepared, Stage, TermStats, ALIGN_THRESHOLD,
    BATCH_OVERLAP_THRESHOLD, MIN_FRAGMENT_CONTENT, MIN_SHARED_CONTENT, MUTUAL_THRESHOLD,
    OVERLAP_THRESHOLD,
};

/// Can two speakers have said the same words? Unknown speakers are compatible with anyone;
/// two known ones must share a name word ("Petro" and "Gustavo Petro" do).
pub fn speakers_compatible(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        // Equal names first: most compared quotes of a known speaker are by the same one.
        (Some(a), Some(b)) => a == b || a.split(' ').any(|w| b.split(' ').any(|v| v == w)),
        _ => true,
    }
}

/// The matching cascade (see the [module docs](super)): `None` means different statements.
pub fn same_statement(a: &Prepared, b: &Prepared, stats: &TermStats) -> Option<Match> {
    same_statement_with(a, b, stats, &Thresholds::default())
}

/// The cut-offs of the cascade; [`Default`] holds the calibrated values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// See [`ALIGN_THRESHOLD`].
    pub align: f32,
    /// See [`OVERLAP_THRESHOLD`].
    pub overlap: f32,
    /// See [`MIN_FRAGMENT_CONTENT`].
    pub min_fragment_content: u32,
    /// How many of a cluster's representatives a rewording must match to join it.
    pub link: Link,
    /// See [`super::TIME_WINDOW_DAYS`].
    pub time_window: super::Day,
    /// See [`super::TIMELESS_CONTENT`].
    pub timeless_content: u32,
    /// See [`MUTUAL_THRESHOLD`]; only batch clustering can use it.
    #[serde(default = "default_mutual")]
    pub mutual: f32,
}

fn default_mutual() -> f32 {
    MUTUAL_THRESHOLD
}

impl Thresholds {
    /// The calibrated cut-offs for clustering a whole batch at once ([`super::cluster_prepared`]):
    /// the overlap stage asks for [`BATCH_OVERLAP_THRESHOLD`] because a pair of reciprocal best
    /// matches needs only [`MUTUAL_THRESHOLD`]. [`Default`] holds the cut-offs for a decision
    /// without that context (one pair, or a store growing quote by quote).
    pub fn batch() -> Self {
        Self {
            overlap: BATCH_OVERLAP_THRESHOLD,
            ..Self::default()
        }
    }
}

/// Cluster membership rule for quotes that are not an excerpt of the cluster's canonical member.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Link {
    /// Every representative (complete link): no chaining at all.
    #[default]
    Complete,
    /// More than half of them.
    Majority,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            align: ALIGN_THRESHOLD,
            overlap: OVERLAP_THRESHOLD,
            min_fragment_content: MIN_FRAGMENT_CONTENT,
            link: Link::default(),
            time_window: super::TIME_WINDOW_DAYS,
            timeless_content: super::TIMELESS_CONTENT,
            mutual: MUTUAL_THRESHOLD,
        }
    }
}

/// [`same_statement`] with explicit thresholds, for calibration.
pub fn same_statement_with(
    a: &Prepared,
    b: &Prepared,
    stats: &TermStats,
    t: &Thresholds,
) -> Option<Match> {
    let wa = set_weight_vec(a, stats);
    decide(a, &wa, sums(a, &wa), b, sums_of(b, stats), t)
}

/// The weight of each term of `p.set`, in order.
pub(crate) fn set_weight_vec(p: &Prepared, stats: &TermStats) -> Vec<f32> {
    p.set.iter().map(|&t| stats.weight(t)).collect()
}

/// What the cascade needs of the weights of the other quote of a comparison: their totals.
/// (The weights of shared terms are read from the first quote's weights, since a term weighs
/// the same in both.) Keeping these two numbers per quote instead of a weight per term means a
/// quote compared with many others has its weights looked up once, not once per comparison.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Sums {
    /// Weight of the whole term set.
    pub(crate) total: f32,
    /// Weight of its content terms.
    pub(crate) content: f32,
}

/// [`Sums`] of `p` from its set weights `w` (see [`set_weight_vec`]).
pub(crate) fn sums(p: &Prepared, w: &[f32]) -> Sums {
    let mut s = Sums::default();
    for (&t, &w) in p.set.iter().zip(w) {
        s.total += w;
        if is_content(t) {
            s.content += w;
        }
    }
    s
}

/// [`Sums`] of `p` straight from the statistics, without building the weight vector.
pub(crate) fn sums_of(p: &Prepared, stats: &TermStats) -> Sums {
    let mut s = Sums::default();
    for &t in &p.set {
        let w = stats.weight(t);
        s.total += w;
        if is_content(t) {
            s.content += w;
        }
    }
    s
}

/// The cascade on precomputed weights: `wa[i]` is the weight of `a.set[i]`, `sa` and `sb` the
/// [`Sums`] of both quotes, so a caller comparing one quote with many looks each weight up once.
pub(crate) fn decide(
    a: &Prepared,
    wa: &[f32],
    sa: Sums,
    b: &Prepared,
    sb: Sums,
    t: &Thresholds,
) -> Option<Match> {
    if !speakers_compatible(a.speaker.as_deref(), b.speaker.as_deref()) {
        return None;
    }
    if a.terms.is_empty() || b.terms.is_empty() {
        return None;
    }
    if a.exact == b.exact {
        return Some(Match {
            stage: Stage::Exact,
            score: 1.0,
        });
    }
    let (ta, tb, shared) = (sa.total, sb.total, shared_weight(a, wa, b));
    let (short, long) = if ta <= tb { (a, b) } else { (b, a) };
    if short.content >= t.min_fragment_content && align_bound(short, long) >= t.align {
        if contains(&long.terms, &short.terms) {
            return Some(Match {
                stage: Stage::Containment,
                score: 1.0,
            });
        }
        let cover = align(short, long);
        if cover >= t.align {
            return Some(Match {
                stage: Stage::Alignment,
                score: cover.min(1.0),
            });
        }
    }
    let score = overlap_score(2.0 * shared / (ta + tb), a, b);
    // One shared content word is never enough evidence of a rewording ("obey the orders of
    // humanity" / "disobey the orders of Trump").
    (score >= t.overlap && enough_content(a, wa, sa, b, sb)).then_some(Match {
        stage: Stage::Overlap,
        score: score.min(1.0),
    })
}

/// Graded evidence that `a` and `b` are one statement, for ranking a quote's neighbours: 1 plus
/// the stage score for an excerpt (exact, containment, alignment), the damped weighted Dice for
/// a rewording sharing enough content words (whatever its size), else 0.
pub(crate) fn affinity(
    a: &Prepared,
    wa: &[f32],
    sa: Sums,
    b: &Prepared,
    sb: Sums,
    t: &Thresholds,
) -> f32 {
    let loose = Thresholds { overlap: 0.0, ..*t };
    match decide(a, wa, sa, b, sb, &loose) {
        Some(m) if m.stage == Stage::Overlap => m.score,
        Some(m) => 1.0 + m.score,
        None => 0.0,
    }
}

/// Rarest keys of a quote looked up by [`neighbourhood`].
const MATE_KEYS: usize = 8;
/// Postings read per key by [`neighbourhood`]: those nearest to the quote in processing order.
const MATE_POSTINGS: usize = 64;
/// Neighbours fully compared per quote by [`neighbourhood`].
const MATE_CANDIDATES: usize = 8;

/// For each quote of a batch, its reciprocal best match (`mates`): `Some(j)` when `j` is the quote with
/// the highest [`affinity`] to `i` among its candidates, `i` is likewise `j`'s best, and the
/// affinity is at least `t.mutual`.
///
/// A relative criterion: two renderings of one remark share fewer words than the absolute
/// overlap threshold asks for more often than two different remarks are each other's closest
/// wording. Candidates come from an inverted index over the rarest keys, reading at most
/// [`MATE_POSTINGS`] postings per key, those nearest in `order` (the batch's processing order,
/// itself independent of input order), so cost is linear and the result order-independent.
///
/// Also returns, for each quote, its `near` closest candidates by [`closeness`]
/// (closest first, each with its closeness; only speaker-compatible ones sharing some content
/// word): the pairs a later stage may look at again with other evidence. They come flat,
/// `near` slots per quote (quote `i` at `i * near ..`), an empty slot holding [`NO_NEIGHBOUR`].
pub(crate) fn neighbourhood(
    items: &[Prepared],
    order: &[usize],
    stats: &TermStats,
    t: &Thresholds,
    near: usize,
) -> (Vec<Option<usize>>, Vec<(u32, f32)>) {
    let n = items.len();
    let mut rank = vec![0u32; n];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r as u32;
    }
    // key -> ranks of the quotes holding it, ascending.
    let mut postings: IdMap<u64, Vec<u32>> = IdMap::default();
    for &i in order {
        for k in super::index_keys(&items[i]) {
            postings.entry(k).or_default().push(rank[i]);
        }
    }
    // Each quote's weight totals, looked up once; its full weight vector is built only while it
    // is the quote being matched.
    let totals: Vec<Sums> = items.iter().map(|p| sums_of(p, stats)).collect();
    let mut best: Vec<Option<(usize, f32)>> = vec![None; n];
    let mut close: Vec<(u32, f32)> = vec![(NO_NEIGHBOUR, 0.0); n * near];
    let mut mine: Vec<(usize, f32)> = Vec::new();
    let mut score: IdMap<u32, f32> = IdMap::default();
    for (i, p) in items.iter().enumerate() {
        score.clear();
        mine.clear();
        let me = rank[i];
        for k in query_keys(p, stats, MATE_KEYS) {
            let Some(list) = postings.get(&k) else {
                continue;
            };
            let at = list.partition_point(|&r| r < me);
            let lo = at.saturating_sub(MATE_POSTINGS / 2);
            let hi = (lo + MATE_POSTINGS).min(list.len());
            let lo = hi.saturating_sub(MATE_POSTINGS);
            let w = stats.weight(k);
            for &r in &list[lo..hi] {
                if r != me {
                    *score.entry(r).or_insert(0.0) += w;
                }
            }
        }
        let mut ranked: Vec<(u32, f32)> = score.iter().map(|(&r, &s)| (r, s)).collect();
        let by = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > MATE_CANDIDATES {
            ranked.select_nth_unstable_by(MATE_CANDIDATES, by);
            ranked.truncate(MATE_CANDIDATES);
        }
        let wp = set_weight_vec(p, stats);
        let sp = totals[i];
        for (r, _) in ranked {
            let j = order[r as usize];
            let sj = totals[j];
            let a = affinity(p, &wp, sp, &items[j], sj, t);
            // Ties go to the quote earlier in processing order, so the choice is order-free.
            let better = match best[i] {
                None => a > 0.0,
                Some((b, s)) => a > s || (a == s && rank[j] < rank[b]),
            };
            if better {
                best[i] = Some((j, a));
            }
            if near > 0 {
                let c = if a > 0.0 {
                    a
                } else {
                    closeness(p, &wp, sp, &items[j], sj)
                };
                if c > 0.0 {
                    mine.push((j, c));
                }
            }
        }
        if near > 0 {
            mine.sort_by(|a, b| b.1.total_cmp(&a.1).then(rank[a.0].cmp(&rank[b.0])));
            for (slot, &(j, c)) in close[i * near..(i + 1) * near].iter_mut().zip(&mine) {
                *slot = (j as u32, c);
            }
        }
    }
    let mates = (0..n)
        .map(|i| {
            let (j, a) = best[i]?;
            (a >= t.mutual && best[j].is_some_and(|(k, _)| k == i)).then_some(j)
        })
        .collect();
    (mates, close)
}

/// An empty slot of [`neighbourhood`]'s neighbour list.
pub(crate) const NO_NEIGHBOUR: u32 = u32::MAX;

/// The damped weighted Dice of two speaker-compatible quotes sharing at least one content
/// word, whatever the cascade says; 0 otherwise. A looser, graded version of [`affinity`] for
/// finding pairs worth a second look.
pub(crate) fn closeness(a: &Prepared, wa: &[f32], sa: Sums, b: &Prepared, sb: Sums) -> f32 {
    if !speakers_compatible(a.speaker.as_deref(), b.speaker.as_deref()) {
        return 0.0;
    }
    let (ta, tb, shared) = (sa.total, sb.total, shared_weight(a, wa, b));
    if ta + tb <= 0.0 || !shares_content(a, b) {
        return 0.0;
    }
    overlap_score(2.0 * shared / (ta + tb), a, b)
}

fn shares_content(a: &Prepared, b: &Prepared) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.set.len() && j < b.set.len() {
        match a.set[i].cmp(&b.set[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if is_content(a.set[i]) {
                    return true;
                }
                i += 1;
                j += 1;
            }
        }
    }
    false
}

/// Weighted Dice damped by the square root of the length ratio: two renderings of one remark
/// are about equally long, while a headline and the story sentence it summarises share many
/// rare words but differ in length (calibrated on the wmt21 and fisher dev sets).
fn overlap_score(dice: f32, a: &Prepared, b: &Prepared) -> f32 {
    let (la, lb) = (edit_length(a), edit_length(b));
    if la <= 0.0 || lb <= 0.0 {
        return 0.0;
    }
    dice * (la.min(lb) / la.max(lb)).sqrt()
}

/// Length in the units of [`align`]: 1 per content word, 1/2 per function word.
fn edit_length(p: &Prepared) -> f32 {
    p.content as f32 + 0.5 * (p.terms.len() as f32 - p.content as f32)
}

/// The raw evidence the cascade weighs, for calibration and diagnostics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Features {
    /// Weighted Dice coefficient of the two term sets, damped by the length ratio.
    pub dice: f32,
    /// Share of the lighter quote's set weight found in the other.
    pub cover: f32,
    /// Local alignment coverage of the lighter quote (see `align`).
    pub align: f32,
    /// Content words of the lighter quote.
    pub short_content: u32,
}

/// Computes [`Features`] for a pair, ignoring speakers.
pub fn features(a: &Prepared, b: &Prepared, stats: &TermStats) -> Features {
    let w = set_weight_vec(a, stats);
    let (wa, wb, shared) = (
        sums(a, &w).total,
        sums_of(b, stats).total,
        shared_weight(a, &w, b),
    );
    let (short, long, w_short) = if wa <= wb { (a, b, wa) } else { (b, a, wb) };
    Features {
        dice: if wa + wb > 0.0 {
            2.0 * shared / (wa + wb)
        } else {
            0.0
        },
        cover: if w_short > 0.0 { shared / w_short } else { 0.0 },
        align: align(short, long),
        short_content: short.content,
    }
}

/// Weight of the terms `a` and `b` share, from `a`'s set weights `wa`.
fn shared_weight(a: &Prepared, wa: &[f32], b: &Prepared) -> f32 {
    let (mut i, mut j, mut shared) = (0, 0, 0.0);
    while i < a.set.len() && j < b.set.len() {
        match a.set[i].cmp(&b.set[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += wa[i];
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

/// The shared content words are [`MIN_SHARED_CONTENT`] or more, or carry at least half the
/// content weight of the quote with less of it (a short turn may hinge on one word).
fn enough_content(a: &Prepared, wa: &[f32], sa: Sums, b: &Prepared, sb: Sums) -> bool {
    let (mut i, mut j, mut n, mut w) = (0, 0, 0, 0.0);
    while i < a.set.len() && j < b.set.len() {
        match a.set[i].cmp(&b.set[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if is_content(a.set[i]) {
                    n += 1;
                    w += wa[i];
                }
                i += 1;
                j += 1;
            }
        }
    }
    n >= MIN_SHARED_CONTENT || (n > 0 && 2.0 * w > sa.content.min(sb.content))
}

fn contains(long: &[u64], short: &[u64]) -> bool {
    short.len() <= long.len() && long.windows(short.len()).any(|w| w == short)
}

/// How nearly `short` occurs verbatim in `long`: 1 minus the cheapest token edit cost of
/// turning `short` into some stretch of `long`, over the cost of deleting all of `short`.
///
/// Approximate substring matching (semi-global alignment) over stems. Every edit (a word of
/// `short` missing, an extra word inside the stretch of `long`, or a substitution) costs 1 for
/// a content word and 1/2 for a function word; deliberately unweighted by rarity, because the
/// question here is "is this a lightly edited excerpt?", not "do they share rare words?".
fn align(short: &Prepared, long: &Prepared) -> f32 {
    // Costs are counted in half words (content 2, function 1) so that the table holds
    // integers: the sums of halves were exact in `f32` too, so the score is the same, and
    // integer minima are cheaper than float ones in the innermost loop of clustering.
    let cost = |t: u64| if is_content(t) { 2u32 } else { 1 };
    let total: u32 = short.terms.iter().map(|&t| cost(t)).sum();
    if total == 0 {
        return 0.0;
    }
    let m = long.terms.len();
    ALIGN_ROWS.with(|rows| {
        let mut rows = rows.borrow_mut();
        let (long_cost, rest) = {
            rows.clear();
            rows.extend(long.terms.iter().map(|&t| cost(t)));
            rows.resize(m + 2 * (m + 1), 0);
            rows.split_at_mut(m)
        };
        // prev[j]: cost of aligning the first i words of `short` to a stretch ending at long[j-1].
        let (mut prev, mut cur) = rest.split_at_mut(m + 1);
        for &s in &short.terms {
            let cs = cost(s);
            cur[0] = prev[0] + cs;
            // cur[j - 1] and prev[j - 1], carried along so the loop indexes nothing.
            let (mut left, mut up_left) = (cur[0], prev[0]);
            let cells = cur[1..].iter_mut().zip(&prev[1..]);
            for ((c, &up), (&l, &cl)) in cells.zip(long.terms.iter().zip(long_cost.iter())) {
                let diag = up_left + if l == s { 0 } else { cs.max(cl) };
                let miss = up + cs;
                let extra = left + cl;
                left = diag.min(miss).min(extra);
                *c = left;
                up_left = up;
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        let best = prev.iter().copied().min().unwrap_or(0);
        // Both are exact in `f32` (below 2^24), so the quotient rounds as the halves' did.
        1.0 - best as f32 / total as f32
    })
}

thread_local! {
    /// [`align`]'s rows, kept between calls: it runs for most compared pairs.
    static ALIGN_ROWS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Upper bound of [`align`]: the share of `short`'s edit cost whose words occur in `long` at all.
pub(crate) fn align_bound(short: &Prepared, long: &Prepared) -> f32 {
    let cost = |t: u64| if is_content(t) { 1.0f32 } else { 0.5 };
    let (mut found, mut total) = (0.0, 0.0);
    for &t in &short.terms {
        total += cost(t);
        if long.set.binary_search(&t).is_ok() {
            found += cost(t);
        }
    }
    if total > 0.0 {
        found / total
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::prepare;

    fn m(a: &str, b: &str) -> Option<Match> {
        let stats = TermStats::default();
        same_statement(
            &prepare(a, Some("en"), None),
            &prepare(b, Some("en"), None),
            &stats,
        )
    }

    #[test]
    fn exact_after_folding() {
        assert_eq!(
            m(
                "“He may have been carrying fish”",
                "he may have been carrying FISH,"
            )
            .unwrap()
            .stage,
            Stage::Exact
        );
    }

    #[test]
    fn one_word_term_is_not_contained() {
        assert!(m(
            "narcoterrorists",
            "The administration has claimed it is targeting narcoterrorists in the Caribbean"
        )
        .is_none());
    }

    #[test]
    fn substituted_word_aligns() {
        let r = m(
            "communications and other agreements with U.S. security agencies",
            "an order has been given at all levels of the public security force’s intelligence services to suspend communications and other dealings with US security agencies,",
        )
        .unwrap();
        assert_eq!(r.stage, Stage::Alignment);
    }

    #[test]
    fn opposite_orders_stay_apart() {
        assert!(m("obey the orders of humanity", "disobey the orders of Trump").is_none());
    }

    #[test]
    fn different_speakers_never_match() {
        assert!(!speakers_compatible(
            Some("scott bessent"),
            Some("gustavo petro")
        ));
        assert!(speakers_compatible(Some("petro"), Some("gustavo petro")));
        assert!(speakers_compatible(None, Some("gustavo petro")));
    }
}
