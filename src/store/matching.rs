//! Clustering inside the store: the decision of [`crate::matcher::Clusterer`] (complete
//! link, excerpts of the canonical wording, speakers, time window), applied to one connected
//! component of the store's match graph at a time, in a fixed order, so that the clusters are
//! a function of the set of stored quotes (see `ingest.rs` for how components are found and
//! kept).
//!
//! - Every decision uses [`fixed_stats`]: content words weigh 1, function words
//!   [`matcher::STOP_WEIGHT`]. Document frequencies would make a decision depend on what else
//!   was stored when it was made, which is arrival order.
//! - The match graph links two wordings with the same folded words, or two wordings of at
//!   least [`MIN_EVIDENCE_CONTENT`] content words that the cascade matches ([`linked`]), with
//!   the store's rule that a rewording (overlap stage) shares at least
//!   [`MIN_SHARED_REWORDING`] content words ([`store_match`]).
//! - [`cluster_component`] visits the distinct quotes of a component ([`Item`]: wording,
//!   language, speaker, day, kind) most content words first, then longest, then by wording;
//!   each joins a cluster holding the same folded words if the constraints allow
//!   ([`may_join`]), else the best-scoring cluster whose canonical member it matches as an
//!   excerpt (exact, containment or alignment) or whose representatives it all matches
//!   ([`join_score`]), else starts a cluster. So A~B and B~C never put A and C together
//!   through B alone.
//! - Publication days constrain as in [`crate::matcher::Clusterer::assign_at`]: a short quote
//!   joins only a cluster whose dated members stay within the time window
//!   ([`matcher::time_compatible`]), and across the window only an excerpt of the canonical
//!   wording joins ([`matcher::within_window`]).
//! - A scare quote (`term`) joins only a cluster holding the same words with the same holder,
//!   and only a term joins a cluster of terms: one or two words in quotation marks are evidence
//!   of a shared source only when they are literally the same and attributed alike
//!   ([`holder_ok`]).
//! - A quote of fewer than [`MIN_EVIDENCE_CONTENT`] content words joins only the same words
//!   ("We got this!" is not "Got it"), and an unattributed scare quote of one content word
//!   ("boring") joins nothing. These rules are the store's own, not `Clusterer`'s: in news,
//!   even exact repeats of one-content-word quotes are 92% coincidences (measured on AllSides,
//!   see `eval/provenance.md`), and a news store knows each occurrence's kind.
//! - A cluster's id is [`seed_id`] of its first item in that order.

use crate::matcher::{self, Day, Link, Prepared, Span, Stage, TermStats, Thresholds};

use super::records::ClusterRec;

/// Representatives kept per cluster, as in `matcher::Clusterer`.
pub const REPS: usize = 4;
/// Most recent postings kept per key in the candidate index of an ingest.
pub const POSTING_CAP: usize = 256;

/// What the join decision knows of a new quote besides its words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuoteFacts {
    /// The publication day of its article, when known.
    pub day: Option<Day>,
    /// Extraction labelled it a scare quote (`QuoteKind::Term`).
    pub term: bool,
}

/// What the join decision reads of a cluster: the part of [`ClusterRec`] an ingest keeps in
/// memory for every cluster, so that comparing a quote with its candidates never reads a record
/// back from the backend (that was a fifth of ingest time).
#[derive(Debug, Clone, Default)]
pub struct MatchState {
    /// Representatives without their folded text and language, which the decision never reads.
    pub reps: Vec<Prepared>,
    pub canonical_rep: u32,
    pub speaker_keys: Vec<String>,
    /// First and last publication day of the dated members.
    pub span: Option<Span>,
    /// Every member is a scare quote.
    pub terms_only: bool,
}

impl MatchState {
    pub fn of(c: &ClusterRec) -> MatchState {
        MatchState {
            reps: c
                .reps
                .iter()
                .map(|r| Prepared {
                    folded: String::new(),
                    lang: String::new(),
                    ..r.clone()
                })
                .collect(),
            canonical_rep: c.canonical_rep,
            speaker_keys: c.speaker_keys.clone(),
            span: c.span,
            terms_only: c.terms_only,
        }
    }

    fn canonical_content(&self) -> u32 {
        self.reps
            .get(self.canonical_rep as usize)
            .map_or(0, |r| r.content)
    }
}

/// Whether every known speaker of the cluster is compatible with the quote's speaker.
pub fn speaker_ok(c: &MatchState, p: &Prepared) -> bool {
    c.speaker_keys
        .iter()
        .all(|k| matcher::speakers_compatible(Some(k.as_str()), p.speaker.as_deref()))
}

/// Content words a quote needs before anything but the same words from the same named
/// speaker can join it to others.
pub const MIN_EVIDENCE_CONTENT: u32 = 2;

/// The holder rule for scare quotes, whose words alone say little about where they came from:
/// when the quote or every member of the cluster is a term, they join only with the same holder
/// (both unattributed, or both attributed to compatible names), and an unattributed term of
/// fewer than [`MIN_EVIDENCE_CONTENT`] content words joins nothing.
///
/// The words must be the same too: [`join_score`] never joins a term.
pub fn holder_ok(c: &MatchState, p: &Prepared, q: QuoteFacts) -> bool {
    if !(q.term || c.terms_only) {
        return true;
    }
    let named = p.speaker.is_some();
    q.term == c.terms_only
        && named != c.speaker_keys.is_empty()
        && (named || p.content >= MIN_EVIDENCE_CONTENT)
}

/// The constraints no similarity can override: speakers, time, and scare quotes. This is all
/// a quote with the same folded words as a member of the cluster has to pass.
pub fn may_join(c: &MatchState, p: &Prepared, q: QuoteFacts, th: &Thresholds) -> bool {
    speaker_ok(c, p)
        && holder_ok(c, p, q)
        && matcher::time_compatible(c.span, c.canonical_content(), p, q.day, th)
}

/// The score with which `p` would join `c` (other than by an exact match), or `None` if it may
/// not, as `matcher::Clusterer` decides.
pub fn join_score(
    c: &MatchState,
    p: &Prepared,
    q: QuoteFacts,
    stats: &TermStats,
    th: &Thresholds,
) -> Option<f32> {
    if c.reps.is_empty()
        || q.term
        || c.terms_only
        || p.content.min(c.canonical_content()) < MIN_EVIDENCE_CONTENT
        || !may_join(c, p, q, th)
    {
        return None;
    }
    let mut hits = 0;
    let mut sum = 0.0;
    let mut excerpt = false;
    for (i, r) in c.reps.iter().enumerate() {
        if let Some(m) = store_match(p, r, stats, th) {
            hits += 1;
            sum += m.score;
            excerpt |= i == c.canonical_rep as usize && m.stage != Stage::Overlap;
        }
    }
    let linked = match th.link {
        Link::Complete => hits == c.reps.len(),
        Link::Majority => 2 * hits > c.reps.len(),
    };
    // Across the time window only an excerpt of the canonical wording recurs.
    let linked = linked && matcher::within_window(c.span, q.day, th);
    (excerpt || linked).then(|| sum / c.reps.len() as f32)
}

/// The term statistics of every decision the store makes. Fixed (no document frequencies),
/// so that whether two wordings match depends on the two wordings only, never on what else
/// the store holds or held when they met: that is what makes the match graph, and with it
/// the clusters, a function of the set of stored quotes. Content words weigh 1, function
/// words [`matcher::STOP_WEIGHT`], as in `matcher::TermStats` before it has seen a quote.
pub fn fixed_stats() -> &'static TermStats {
    static STATS: std::sync::OnceLock<TermStats> = std::sync::OnceLock::new();
    STATS.get_or_init(TermStats::default)
}

/// Is there an edge between two wordings in the store's match graph? The same folded words,
/// or, for two wordings of at least [`MIN_EVIDENCE_CONTENT`] content words, a match of the
/// cascade under [`fixed_stats`]. Speakers, dates and kinds are left to the clustering of a
/// component, so this is a superset of every join the clustering can make.
pub fn linked(a: &Prepared, b: &Prepared, th: &Thresholds) -> bool {
    a.exact == b.exact
        || (a.content.min(b.content) >= MIN_EVIDENCE_CONTENT
            && store_match(a, b, fixed_stats(), th).is_some())
}

/// What [`may_match`] reads of a wording besides its term set, worked out once per wording
/// instead of once per compared pair: ingest compares each new quote with hundreds of stored
/// wordings, and summing both sides' weights on every comparison was a third of the filter.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    /// Weight of the term set under [`fixed_stats`] (content 1, function words
    /// [`matcher::STOP_WEIGHT`]), summed in set order.
    weight: f32,
    /// The alignment bound's cost of the whole text (content 1, function words 0.5, every
    /// occurrence).
    align_total: f32,
    /// Per element of the term set: its alignment cost times its occurrences in the text.
    align_cost: Vec<f32>,
}

/// Alignment cost of a term, as `matcher::align_bound` counts it. Costs are 1 and 0.5, so
/// their sums are exact in any order.
fn align_cost(t: u64) -> f32 {
    if matcher::is_content(t) {
        1.0
    } else {
        0.5
    }
}

fn dice_weight(t: u64) -> f32 {
    if matcher::is_content(t) {
        1.0
    } else {
        matcher::STOP_WEIGHT
    }
}

impl Shape {
    pub fn of(p: &Prepared) -> Shape {
        Shape {
            weight: p.set.iter().map(|&t| dice_weight(t)).sum(),
            align_total: p.terms.iter().map(|&t| align_cost(t)).sum(),
            align_cost: p
                .set
                .iter()
                .map(|&t| align_cost(t) * p.terms.iter().filter(|&&u| u == t).count() as f32)
                .collect(),
        }
    }
}

/// A necessary condition for the cascade to match two different wordings under
/// [`fixed_stats`], without allocating: an overlap needs a weighted Dice of at least the
/// threshold before damping, an excerpt needs the shorter wording's words found in the longer
/// one (the cascade's own bound). Most candidate pairs fail it. Ingest uses
/// [`may_match_shaped`], the same decision with each side's sums worked out once.
pub fn may_match(a: &Prepared, b: &Prepared, th: &Thresholds) -> bool {
    let ta: f32 = a.set.iter().map(|&t| dice_weight(t)).sum();
    let tb: f32 = b.set.iter().map(|&t| dice_weight(t)).sum();
    let (mut i, mut j, mut shared) = (0, 0, 0.0f32);
    while i < a.set.len() && j < b.set.len() {
        match a.set[i].cmp(&b.set[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += dice_weight(a.set[i]);
                i += 1;
                j += 1;
            }
        }
    }
    // A little slack for rounding: this only decides whether to ask the cascade.
    if ta + tb > 0.0 && 2.0 * shared / (ta + tb) >= th.overlap - 1e-4 {
        return true;
    }
    let (short, long) = if ta <= tb { (a, b) } else { (b, a) };
    if short.content < th.min_fragment_content {
        return false;
    }
    matcher::align_bound(short, long) >= th.align - 1e-4
}

/// [`may_match`] with each side's [`Shape`] worked out beforehand. One pass over both term
/// sets gives the shared weight and both sides' found alignment cost.
pub fn may_match_shaped(
    a: &Prepared,
    sa: &Shape,
    b: &Prepared,
    sb: &Shape,
    th: &Thresholds,
) -> bool {
    let (ta, tb) = (sa.weight, sb.weight);
    let (mut i, mut j, mut shared) = (0, 0, 0.0f32);
    let (mut found_a, mut found_b) = (0.0f32, 0.0f32);
    while i < a.set.len() && j < b.set.len() {
        match a.set[i].cmp(&b.set[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += dice_weight(a.set[i]);
                found_a += sa.align_cost[i];
                found_b += sb.align_cost[j];
                i += 1;
                j += 1;
            }
        }
    }
    // A little slack for rounding: this only decides whether to ask the cascade.
    if ta + tb > 0.0 && 2.0 * shared / (ta + tb) >= th.overlap - 1e-4 {
        return true;
    }
    let (short, found, total) = if ta <= tb {
        (a, found_a, sa.align_total)
    } else {
        (b, found_b, sb.align_total)
    };
    if short.content < th.min_fragment_content {
        return false;
    }
    let bound = if total > 0.0 { found / total } else { 0.0 };
    bound >= th.align - 1e-4
}

/// Small numbers standing for the matcher's 64-bit term ids, given out in order of first use
/// during one ingest. Only [`Packed`] uses them, for decisions that are the same whatever the
/// numbering.
#[derive(Debug, Default)]
pub struct TermNumbers {
    ids: rustc_hash::FxHashMap<u64, u32>,
    terms: Vec<u64>,
}

impl TermNumbers {
    /// The number of a term; `None` once 2^24 terms were numbered (then the wording is left
    /// unpacked, see [`Packed`]).
    fn number(&mut self, t: u64) -> Option<u32> {
        let next = self.terms.len() as u32;
        let n = *self.ids.entry(t).or_insert_with(|| {
            self.terms.push(t);
            next
        });
        (n < 1 << 24).then_some(n)
    }

    fn term(&self, n: u32) -> u64 {
        self.terms[n as usize]
    }
}

/// Words of a packed wording: exact (2), content, weight, alignment total, set size, number of
/// terms.
const PACKED_HEAD: usize = 7;
/// Set size (or number of terms) of a wording that could not be packed.
const UNPACKED: u32 = u32::MAX;

/// What the store's match decision reads of the wordings of a cluster that ingest compares
/// with a new quote, in a few bytes per word, so that ingest can keep it for every cluster in
/// memory and never reads a record back to compare a candidate.
///
/// Per wording: its `exact` hash, content words, [`Shape`] weight and alignment total; its
/// term set as numbers of [`TermNumbers`], each with its alignment cost (half units, times
/// its occurrences) and whether it is a content word in the low 8 bits, sorted by number; and
/// its terms in text order, as one-byte positions in that set. The filter
/// ([`PackedWording::may_match`]) is the decision of [`may_match_shaped`]: the shared weight
/// is summed in another order, which the filter's slack of 1e-4 absorbs many times over
/// (weights are 1 and 0.2, sets have at most a few hundred terms). A wording whose costs do
/// not fit in 7 bits, or whose terms ran out of numbers, always passes the filter, and one of
/// more than 256 distinct terms has no text order ([`PackedWording::prepared`] is `None`):
/// the caller reads its record.
#[derive(Debug, Clone, Default)]
pub struct Packed(Box<[u32]>);

/// One wording of a [`Packed`] view.
#[derive(Debug, Clone, Copy)]
pub struct PackedWording<'a> {
    pub exact: u64,
    pub content: u32,
    weight: f32,
    align_total: f32,
    /// `None`: not packed, the filter passes.
    set: Option<&'a [u32]>,
    /// Positions in `set`, four to a word, and how many.
    order: Option<(&'a [u32], usize)>,
}

impl Packed {
    /// Packs wordings given as prepared quotes (speaker and text are not read).
    pub fn of<'p>(wordings: impl Iterator<Item = &'p Prepared>, numbers: &mut TermNumbers) -> Self {
        let mut out: Vec<u32> = Vec::new();
        for p in wordings {
            let shape = Shape::of(p);
            out.extend([
                p.exact as u32,
                (p.exact >> 32) as u32,
                p.content,
                shape.weight.to_bits(),
                shape.align_total.to_bits(),
                UNPACKED,
                UNPACKED,
            ]);
            let head = out.len() - 2;
            let start = out.len();
            let mut ok = true;
            for (&t, &cost) in p.set.iter().zip(&shape.align_cost) {
                let half = (cost * 2.0) as u32;
                match numbers.number(t) {
                    Some(n) if half < 128 => {
                        out.push(n << 8 | u32::from(matcher::is_content(t)) << 7 | half)
                    }
                    _ => ok = false,
                }
            }
            if !ok {
                out.truncate(start);
                continue;
            }
            out[start..].sort_unstable();
            let n = out.len() - start;
            out[head] = n as u32;
            if n > 256 {
                continue;
            }
            // Text order: each term's position in the packed set.
            let set = out[start..].to_vec();
            let mut word = 0u32;
            for (k, &t) in p.terms.iter().enumerate() {
                let num = numbers.ids[&t];
                let at = set.partition_point(|&e| e >> 8 < num) as u32;
                word |= at << (8 * (k % 4));
                if k % 4 == 3 {
                    out.push(word);
                    word = 0;
                }
            }
            if p.terms.len() % 4 != 0 {
                out.push(word);
            }
            out[head + 1] = p.terms.len() as u32;
        }
        Packed(out.into_boxed_slice())
    }

    /// Its wordings, in the order they were packed.
    pub fn wordings(&self) -> impl Iterator<Item = PackedWording<'_>> {
        let mut rest: &[u32] = &self.0;
        std::iter::from_fn(move || {
            if rest.len() < PACKED_HEAD {
                return None;
            }
            let h = &rest[..PACKED_HEAD];
            let (n, nt) = (h[5], h[6]);
            let len = if n == UNPACKED { 0 } else { n as usize };
            let words = if nt == UNPACKED {
                0
            } else {
                (nt as usize).div_ceil(4)
            };
            let body = &rest[PACKED_HEAD..];
            let w = PackedWording {
                exact: u64::from(h[0]) | u64::from(h[1]) << 32,
                content: h[2],
                weight: f32::from_bits(h[3]),
                align_total: f32::from_bits(h[4]),
                set: (n != UNPACKED).then(|| &body[..len]),
                order: (nt != UNPACKED).then(|| (&body[len..len + words], nt as usize)),
            };
            rest = &body[len + words..];
            Some(w)
        })
    }
}

impl PackedWording<'_> {
    /// The wording as the decision reads it (no speaker, text or language), when its text
    /// order was packed.
    pub fn prepared(&self, numbers: &TermNumbers) -> Option<Prepared> {
        let (set, (order, n)) = (self.set?, self.order?);
        let terms: Vec<u64> = (0..n)
            .map(|k| {
                let at = (order[k / 4] >> (8 * (k % 4))) & 0xff;
                numbers.term(set[at as usize] >> 8)
            })
            .collect();
        let mut sorted: Vec<u64> = set.iter().map(|&e| numbers.term(e >> 8)).collect();
        sorted.sort_unstable();
        Some(Prepared {
            folded: String::new(),
            lang: String::new(),
            speaker: None,
            terms,
            set: sorted,
            exact: self.exact,
            content: self.content,
        })
    }

    /// [`may_match_shaped`] on two packed wordings. Comparing one wording with many others,
    /// build its [`Probe`] once instead.
    pub fn may_match(&self, b: &PackedWording<'_>, th: &Thresholds) -> bool {
        Probe::new(*self).may_match(b, th)
    }

    /// The filter's decision from the shared weight and both sides' found alignment costs.
    fn decide(
        &self,
        b: &PackedWording<'_>,
        shared: f32,
        found_a: u32,
        found_b: u32,
        th: &Thresholds,
    ) -> bool {
        let (ta, tb) = (self.weight, b.weight);
        if ta + tb > 0.0 && 2.0 * shared / (ta + tb) >= th.overlap - 1e-4 {
            return true;
        }
        let (content, found, total) = if ta <= tb {
            (self.content, found_a, self.align_total)
        } else {
            (b.content, found_b, b.align_total)
        };
        if content < th.min_fragment_content {
            return false;
        }
        // Half units: exact in f32 for any realistic length.
        let bound = if total > 0.0 {
            found as f32 / 2.0 / total
        } else {
            0.0
        };
        bound >= th.align - 1e-4
    }
}

/// A packed wording set up to be compared with many others by the filter of
/// [`may_match_shaped`]: its terms sit in a small hash table, so that each comparison is one
/// probe per term of the other wording instead of a merge of the two sorted sets, whose
/// branches the processor could not predict (the merge was a sixth of the clustering thread's
/// instructions). The other wording's set is walked in order, so shared terms are summed in
/// the same order as a merge would, and every decision is the same.
#[derive(Debug)]
pub struct Probe<'a> {
    me: PackedWording<'a>,
    /// Term number + 1 per slot, 0 for an empty one.
    keys: Vec<u32>,
    /// The packed set entry of `keys[i]`.
    entries: Vec<u32>,
    /// `keys.len()` is `1 << (32 - shift)`.
    shift: u32,
    /// One bit per [`Probe::bit`] of a held term: most terms of the other wording are not
    /// held, and this answers for them without a probe.
    bits: [u64; 4],
}

impl<'a> Probe<'a> {
    pub fn new(me: PackedWording<'a>) -> Self {
        let n = me.set.map_or(0, <[u32]>::len);
        let size = (2 * n).next_power_of_two().max(16);
        let mut p = Probe {
            me,
            keys: vec![0; size],
            entries: vec![0; size],
            shift: 32 - size.trailing_zeros(),
            bits: [0; 4],
        };
        for &x in me.set.unwrap_or_default() {
            let b = Self::bit(x >> 8);
            p.bits[b / 64] |= 1 << (b % 64);
            let mut i = p.slot(x >> 8);
            while p.keys[i] != 0 {
                i = (i + 1) & (size - 1);
            }
            p.keys[i] = (x >> 8) + 1;
            p.entries[i] = x;
        }
        p
    }

    /// The `exact` hash of the wording this probe holds.
    pub fn exact(&self) -> u64 {
        self.me.exact
    }

    /// A term number's bit in `bits`.
    fn bit(number: u32) -> usize {
        (number.wrapping_mul(0x85eb_ca6b) >> 24) as usize
    }

    fn slot(&self, number: u32) -> usize {
        (number.wrapping_mul(0x9e37_79b1) >> self.shift) as usize
    }

    /// The entry of term `number` in this wording's set, if it holds it.
    fn get(&self, number: u32) -> Option<u32> {
        let b = Self::bit(number);
        if self.bits[b / 64] & 1 << (b % 64) == 0 {
            return None;
        }
        let mask = self.keys.len() - 1;
        let mut i = self.slot(number);
        loop {
            match self.keys[i] {
                0 => return None,
                k if k == number + 1 => return Some(self.entries[i]),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Whether the filter lets the wording this probe holds and `b` go on to the cascade.
    pub fn may_match(&self, b: &PackedWording<'_>, th: &Thresholds) -> bool {
        let (Some(_), Some(sb)) = (self.me.set, b.set) else {
            return true;
        };
        let mut shared = 0.0f32;
        let (mut found_a, mut found_b) = (0u32, 0u32);
        for &y in sb {
            if let Some(x) = self.get(y >> 8) {
                shared += if x & 0x80 != 0 {
                    1.0
                } else {
                    matcher::STOP_WEIGHT
                };
                found_a += x & 0x7f;
                found_b += y & 0x7f;
            }
        }
        self.me.decide(b, shared, found_a, found_b, th)
    }
}

/// Content words a rewording (the cascade's overlap stage) must share with the quote it
/// matches, unless the shorter of the two has fewer. Under [`fixed_stats`] two common words
/// weigh as much as two rare ones: "It happens more often than people think" and "I don't
/// think that's supposed to happen" share "think" and "happen", and were one cluster across
/// two Giveme5W1H events before this rule.
pub const MIN_SHARED_REWORDING: usize = 3;

/// The cascade's decision, with the store's rule for rewordings ([`MIN_SHARED_REWORDING`]).
pub fn store_match(
    a: &Prepared,
    b: &Prepared,
    stats: &TermStats,
    th: &Thresholds,
) -> Option<matcher::Match> {
    // The store's statistics are always `fixed_stats`, for which `may_match` is a sound
    // filter.
    if a.exact != b.exact && !may_match(a, b, th) {
        return None;
    }
    store_match_unfiltered(a, b, stats, th)
}

/// [`store_match`] for a pair that passed [`may_match`] (or has the same folded words).
pub(crate) fn store_match_unfiltered(
    a: &Prepared,
    b: &Prepared,
    stats: &TermStats,
    th: &Thresholds,
) -> Option<matcher::Match> {
    let m = matcher::same_statement_with(a, b, stats, th)?;
    if m.stage != Stage::Overlap {
        return Some(m);
    }
    let content = |p: &Prepared| p.set.iter().filter(|&&t| matcher::is_content(t)).count();
    let need = MIN_SHARED_REWORDING.min(content(a)).min(content(b));
    let shared = a
        .set
        .iter()
        .filter(|&&t| matcher::is_content(t) && b.set.binary_search(&t).is_ok())
        .count();
    (shared >= need).then_some(m)
}

/// A wording as the decision reads it, rebuilt from its stored record.
pub fn variant_prepared(v: &super::records::Variant, speaker: Option<&str>) -> Prepared {
    let mut set = v.terms.clone();
    set.sort_unstable();
    set.dedup();
    Prepared {
        folded: String::new(),
        lang: String::new(),
        speaker: speaker.map(str::to_owned),
        terms: v.terms.clone(),
        set,
        exact: v.exact,
        content: v.content,
    }
}

/// [`variant_prepared`] into an existing value, reusing its buffers (no speaker).
pub fn fill_prepared(buf: &mut Prepared, v: &super::records::Variant) {
    buf.terms.clear();
    buf.terms.extend_from_slice(&v.terms);
    buf.set.clear();
    buf.set.extend_from_slice(&v.terms);
    buf.set.sort_unstable();
    buf.set.dedup();
    buf.exact = v.exact;
    buf.content = v.content;
    buf.speaker = None;
}

/// One distinct quote of a component: every occurrence with the same wording, language,
/// speaker, day and kind.
#[derive(Debug, Clone)]
pub struct Item {
    /// Its words as the decision reads them, with the speaker's key.
    pub prepared: Prepared,
    pub wording: String,
    pub lang: Option<String>,
    pub speaker: Option<String>,
    pub facts: QuoteFacts,
    /// Its occurrences: (article, start).
    pub at: Vec<(super::records::ArticleId, u32)>,
}

impl Item {
    /// The order of [`cluster_component`]: most content words first, then the longest, then
    /// by wording and the rest, so the result never depends on arrival.
    fn order_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.prepared.content),
            std::cmp::Reverse(self.wording.chars().count()),
            self.wording.as_str(),
            self.lang.as_deref(),
            self.speaker.as_deref(),
            self.facts.day,
            self.facts.term,
        )
    }
}

/// Merges items with the same wording, language, speaker, day and kind.
pub fn merge_items(mut items: Vec<Item>) -> Vec<Item> {
    items.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let mut out: Vec<Item> = Vec::with_capacity(items.len());
    for it in items {
        match out.last_mut() {
            Some(last) if last.order_key().cmp(&it.order_key()).is_eq() => {
                last.at.extend(it.at);
            }
            _ => out.push(it),
        }
    }
    for it in &mut out {
        it.at.sort_unstable();
        it.at.dedup();
    }
    out
}

/// The id a cluster gets from its first item in [`cluster_component`] order (its canonical
/// wording with that item's language, speaker, day and kind): no two clusters share a first
/// item, and it does not depend on arrival. 53 bits, so JSON readers keep it exact.
pub fn seed_id(it: &Item) -> super::records::ClusterId {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    eat(it.wording.as_bytes());
    eat(it.lang.as_deref().unwrap_or("").as_bytes());
    eat(it.speaker.as_deref().unwrap_or("").as_bytes());
    eat(&it.facts.day.map_or([0xff; 8], |d| d.to_be_bytes()));
    eat(&[u8::from(it.facts.term)]);
    (h & ((1 << 53) - 1)).max(1)
}

/// Adds a quote to the decision state of a cluster, as `matcher::Clusterer` does: its day
/// widens the span, its speaker joins the speaker keys, and it becomes a representative while
/// there are fewer than [`REPS`], or replaces the one with fewest content words when it has
/// more than the canonical one (which it then becomes).
fn absorb(c: &mut MatchState, p: &Prepared, q: QuoteFacts, first: bool) {
    c.span = Span::widen(c.span, q.day);
    c.terms_only = if first {
        q.term
    } else {
        c.terms_only && q.term
    };
    if let Some(s) = &p.speaker {
        if !c.speaker_keys.contains(s) {
            c.speaker_keys.push(s.clone());
        }
    }
    let canonical = c.canonical_rep as usize;
    let longer = c.reps.is_empty() || p.content > c.reps[canonical].content;
    let slot = if c.reps.len() < REPS {
        c.reps.push(p.clone());
        c.reps.len() - 1
    } else if longer {
        let (drop, _) = c
            .reps
            .iter()
            .enumerate()
            .min_by_key(|(_, r)| r.content)
            .expect("reps is full");
        c.reps[drop] = p.clone();
        drop
    } else {
        return;
    };
    if longer {
        c.canonical_rep = slot as u32;
    }
}

/// Which cluster an item joins given the clusters built so far, by the rules of
/// [`may_join`] and [`join_score`]: a cluster holding the same folded words first, else the
/// best-scoring one (the earliest on a tie).
pub fn choose_among<'a>(
    states: impl Iterator<Item = (&'a MatchState, &'a [u64])>,
    p: &Prepared,
    q: QuoteFacts,
    th: &Thresholds,
) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    let mut exact: Option<usize> = None;
    for (i, (c, exacts)) in states.enumerate() {
        if exacts.contains(&p.exact) {
            if may_join(c, p, q, th) {
                exact = Some(i);
                break;
            }
            continue;
        }
        if q.term || p.content < MIN_EVIDENCE_CONTENT {
            continue;
        }
        if let Some(s) = join_score(c, p, q, fixed_stats(), th) {
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((i, s));
            }
        }
    }
    exact.or(best.map(|(i, _)| i))
}

/// Clusters the items of one connected component of the match graph: in a fixed order (most
/// content words first, see [`Item`]), each item joins the cluster [`choose_among`] picks, or
/// starts one. The result depends on the set of items only. Returns the groups of item
/// indexes, each in that order.
pub fn cluster_component(items: &[Item], th: &Thresholds) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| items[a].order_key().cmp(&items[b].order_key()));
    let mut states: Vec<(MatchState, Vec<u64>)> = Vec::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in order {
        let it = &items[i];
        let p = &it.prepared;
        let chosen = choose_among(
            states.iter().map(|(s, e)| (s, e.as_slice())),
            p,
            it.facts,
            th,
        );
        match chosen {
            Some(g) => {
                absorb(&mut states[g].0, p, it.facts, false);
                if !states[g].1.contains(&p.exact) {
                    states[g].1.push(p.exact);
                }
                groups[g].push(i);
            }
            None => {
                let mut s = MatchState::default();
                absorb(&mut s, p, it.facts, true);
                states.push((s, vec![p.exact]));
                groups.push(vec![i]);
            }
        }
    }
    groups
}

/// The record of a cluster made of `group` (indexes into `items`, the first one its seed), as
/// [`cluster_component`] built it.
pub fn build_record(
    items: &[Item],
    group: &[usize],
    id: super::records::ClusterId,
    component: u64,
) -> super::records::ClusterRec {
    use super::records::{ClusterRec, Member, Variant};
    let seed = &items[group[0]];
    let mut state = MatchState::default();
    let mut wordings: Vec<Variant> = Vec::new();
    let mut speakers: Vec<(String, u32)> = Vec::new();
    for (n, &i) in group.iter().enumerate() {
        let it = &items[i];
        absorb(&mut state, &it.prepared, it.facts, n == 0);
        let count = it.at.len() as u32;
        match wordings
            .iter_mut()
            .find(|v| v.wording == it.wording && v.lang == it.lang)
        {
            Some(v) => v.count += count,
            None => wordings.push(Variant {
                wording: it.wording.clone(),
                count,
                content: it.prepared.content,
                exact: it.prepared.exact,
                lang: it.lang.clone(),
                terms: it.prepared.terms.clone(),
            }),
        }
        if let Some(s) = &it.speaker {
            match speakers.iter_mut().find(|(name, _)| name == s) {
                Some((_, k)) => *k += count,
                None => speakers.push((s.clone(), count)),
            }
        }
    }
    wordings.sort_by(|a, b| (&a.wording, &a.lang).cmp(&(&b.wording, &b.lang)));
    speakers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    speakers.truncate(super::MAX_SPEAKERS);
    let mut members = Vec::new();
    for &i in group {
        let it = &items[i];
        let variant = wordings
            .binary_search_by(|v| (&v.wording, &v.lang).cmp(&(&it.wording, &it.lang)))
            .expect("every item's wording is listed") as u32;
        for &(article, start) in &it.at {
            members.push(Member {
                article,
                start,
                variant,
                speaker: it.speaker.clone(),
                speaker_key: it.prepared.speaker.clone(),
                day: it.facts.day,
                term: it.facts.term,
            });
        }
    }
    members.sort_by_key(|m| (m.article, m.start));
    ClusterRec {
        id,
        canonical: seed.wording.clone(),
        lang: seed.lang.clone(),
        speakers,
        variants: wordings.len() as u32,
        canonical_content: seed.prepared.content,
        occurrences: members.len() as u32,
        reps: state.reps,
        canonical_rep: state.canonical_rep,
        speaker_keys: state.speaker_keys,
        span: state.span,
        terms_only: state.terms_only,
        wordings,
        members,
        component,
    }
}

/// What tells a cluster's distinct quotes apart: wording (its index in the cluster), speaker,
/// day and kind.
type QuoteOf<'a> = (u32, Option<&'a str>, Option<Day>, bool);

/// The items of stored clusters, for clustering their component again: one per distinct
/// quote of each cluster (members with the same wording, speaker, day and kind share one), so
/// a cluster of a thousand occurrences of a few wordings costs a few items, not a thousand.
pub fn items_of(recs: &[super::records::ClusterRec]) -> Vec<Item> {
    let mut out = Vec::new();
    for c in recs {
        let first = out.len();
        let mut seen: rustc_hash::FxHashMap<QuoteOf<'_>, usize> = rustc_hash::FxHashMap::default();
        for m in &c.members {
            let key = (m.variant, m.speaker.as_deref(), m.day, m.term);
            if let Some(&i) = seen.get(&key) {
                let it: &mut Item = &mut out[i];
                it.at.push((m.article, m.start));
                continue;
            }
            seen.insert(key, out.len());
            let v = &c.wordings[m.variant as usize];
            out.push(Item {
                prepared: variant_prepared(v, m.speaker_key.as_deref()),
                wording: v.wording.clone(),
                lang: v.lang.clone(),
                speaker: m.speaker.clone(),
                facts: QuoteFacts {
                    day: m.day,
                    term: m.term,
                },
                at: vec![(m.article, m.start)],
            });
        }
        debug_assert!(out[first..].iter().all(|it| !it.at.is_empty()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shaped_filter_decides_as_the_matchers_bound() {
        let texts = [
            "He may have been carrying fish",
            "he may have been carrying fish in the boat, the the the",
            "We will continue the fight against drugs with full respect for human rights",
            "the fight against drug trafficking, with full respect",
            "fight against drugs",
            "It is what it is and it is not what it is not",
            "what it is",
            "Suspend all intelligence sharing with the agencies",
            "intelligence sharing with the agencies of the United States",
            "a completely different sentence about the weather today",
        ];
        let th = Thresholds::default();
        let prepared: Vec<Prepared> = texts
            .iter()
            .map(|t| matcher::prepare(t, Some("en"), None))
            .collect();
        let mut numbers = TermNumbers::default();
        for a in &prepared {
            for b in &prepared {
                let shaped = may_match_shaped(a, &Shape::of(a), b, &Shape::of(b), &th);
                assert_eq!(
                    shaped,
                    may_match(a, b, &th),
                    "{:?} / {:?}",
                    a.terms,
                    b.terms
                );
                let (pa, pb) = (
                    Packed::of(std::iter::once(a), &mut numbers),
                    Packed::of(std::iter::once(b), &mut numbers),
                );
                let (wa, wb) = (pa.wordings().next().unwrap(), pb.wordings().next().unwrap());
                assert_eq!((wa.exact, wa.content), (a.exact, a.content));
                let back = wa.prepared(&numbers).unwrap();
                assert_eq!((&back.terms, &back.set), (&a.terms, &a.set));
                assert_eq!(
                    shaped,
                    wa.may_match(&wb, &th),
                    "{:?} / {:?}",
                    a.terms,
                    b.terms
                );
                assert_eq!(
                    shaped,
                    Probe::new(wa).may_match(&wb, &th),
                    "probe: {:?} / {:?}",
                    a.terms,
                    b.terms
                );
            }
        }
        let all = Packed::of(prepared.iter(), &mut numbers);
        let exacts: Vec<(u64, u32)> = all.wordings().map(|w| (w.exact, w.content)).collect();
        let want: Vec<(u64, u32)> = prepared.iter().map(|p| (p.exact, p.content)).collect();
        assert_eq!(exacts, want);
    }
}
