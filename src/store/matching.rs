//! Clustering inside the store: the decision of [`crate::matcher::Clusterer`], run against the
//! persisted index instead of an in-memory one, so that `ingest` groups quotes as
//! `quotetrace cluster` does.
//!
//! What `Clusterer` keeps in memory, the store keeps in records: each cluster's representatives,
//! canonical member and speaker keys in its [`ClusterRec`]; the key → cluster postings under
//! `K`; exact-wording postings under `X`; the term statistics under `T`. The rules are the same:
//! - the term statistics observe every quote before it is placed;
//! - a quote whose folded words equal a stored wording joins that cluster if the speakers agree;
//! - otherwise candidates are the clusters posted under the quote's rarest keys
//!   ([`matcher::query_keys`]), the most recent postings per key first, scored by key weight;
//! - a quote joins the best candidate whose canonical member it matches as an excerpt (exact,
//!   containment or alignment), or whose representatives it matches as the matcher's link rule
//!   asks ([`matcher::Thresholds::link`]); else it starts a cluster;
//! - publication days constrain as in [`crate::matcher::Clusterer::assign_at`]: a short quote
//!   joins only a cluster whose dated members stay within the time window
//!   ([`matcher::time_compatible`]), and across the window only an excerpt of the canonical
//!   wording joins ([`matcher::within_window`]);
//! - a scare quote (`term`) joins only a cluster holding the same words with the same holder,
//!   and only a term joins a cluster of terms: one or two words in quotation marks are evidence
//!   of a shared source only when they are literally the same and attributed alike
//!   ([`holder_ok`]);
//! - a quote of fewer than [`MIN_EVIDENCE_CONTENT`] content words joins only the same words
//!   ("We got this!" is not "Got it"), and an unattributed scare quote of one content word
//!   ("boring") joins nothing. These rules are the store's own, not `Clusterer`'s: in news,
//!   even exact repeats of one-content-word quotes are 92% coincidences (measured on AllSides,
//!   see `eval/provenance.md`), and a news store knows each occurrence's kind.
//!
//! One difference: `Clusterer` reads a key's postings in the order they were added, the store
//! in cluster-number order (newest cluster first). They agree except when a representative of
//! an old cluster is replaced late, which only changes which 256 postings a very common key
//! reads.

use crate::matcher::{self, Day, Link, Prepared, Span, Stage, TermStats, Thresholds};

use super::records::ClusterRec;

/// Representatives kept per cluster, as in `matcher::Clusterer`.
pub const REPS: usize = 4;
/// Rarest keys of a new quote that are looked up, as in `matcher::Clusterer`.
pub const QUERY_KEYS: usize = 8;
/// Most recent postings read per key, as in `matcher::Clusterer`.
pub const POSTING_CAP: usize = 256;
/// Candidate clusters fully compared per new quote, as in `matcher::Clusterer`.
pub const CANDIDATES: usize = 8;

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
        if let Some(m) = matcher::same_statement_with(p, r, stats, th) {
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

/// Adds `p` to the cluster's representatives as `Clusterer` does, and widens its span by the
/// quote's day. Returns the index keys that must be newly posted for the cluster.
pub fn add_rep(c: &mut ClusterRec, p: Prepared, q: QuoteFacts) -> Vec<u64> {
    c.span = Span::widen(c.span, q.day);
    c.terms_only = if c.occurrences <= 1 {
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
        c.reps.push(p);
        c.reps.len() - 1
    } else if longer {
        let (drop, _) = c
            .reps
            .iter()
            .enumerate()
            .min_by_key(|(_, r)| r.content)
            .expect("reps is full");
        c.reps[drop] = p;
        drop
    } else {
        return Vec::new();
    };
    if longer {
        c.canonical_rep = slot as u32;
    }
    let known: Vec<u64> = c
        .reps
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != slot)
        .flat_map(|(_, r)| matcher::index_keys(r))
        .collect();
    matcher::index_keys(&c.reps[slot])
        .into_iter()
        .filter(|k| !known.contains(k))
        .collect()
}
