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
//! - a quote joins the best candidate whose canonical member it matches, or a strict majority
//!   of whose representatives it matches ([`matcher::same_statement`]); else it starts a cluster.
//!
//! One difference: `Clusterer` reads a key's postings in the order they were added, the store
//! in cluster-number order (newest cluster first). They agree except when a representative of
//! an old cluster is replaced late, which only changes which 256 postings a very common key
//! reads.

use crate::matcher::{self, Prepared, TermStats};

use super::records::ClusterRec;

/// Representatives kept per cluster, as in `matcher::Clusterer`.
pub const REPS: usize = 4;
/// Rarest keys of a new quote that are looked up, as in `matcher::Clusterer`.
pub const QUERY_KEYS: usize = 8;
/// Most recent postings read per key, as in `matcher::Clusterer`.
pub const POSTING_CAP: usize = 256;
/// Candidate clusters fully compared per new quote, as in `matcher::Clusterer`.
pub const CANDIDATES: usize = 8;

/// What the join decision reads of a cluster: the part of [`ClusterRec`] an ingest keeps in
/// memory for every cluster, so that comparing a quote with its candidates never reads a record
/// back from the backend (that was a fifth of ingest time).
#[derive(Debug, Clone, Default)]
pub struct MatchState {
    /// Representatives without their folded text and language, which the decision never reads.
    pub reps: Vec<Prepared>,
    pub canonical_rep: u32,
    pub speaker_keys: Vec<String>,
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
        }
    }
}

/// Whether every known speaker of the cluster is compatible with the quote's speaker.
pub fn speaker_ok(c: &MatchState, p: &Prepared) -> bool {
    c.speaker_keys
        .iter()
        .all(|k| matcher::speakers_compatible(Some(k.as_str()), p.speaker.as_deref()))
}

/// The score with which `p` would join `c`, or `None` if it may not.
pub fn join_score(c: &MatchState, p: &Prepared, stats: &TermStats) -> Option<f32> {
    if !speaker_ok(c, p) || c.reps.is_empty() {
        return None;
    }
    let mut hits = 0;
    let mut sum = 0.0;
    let mut canon = false;
    for (i, r) in c.reps.iter().enumerate() {
        if let Some(m) = matcher::same_statement(p, r, stats) {
            hits += 1;
            sum += m.score;
            canon |= i == c.canonical_rep as usize;
        }
    }
    (canon || 2 * hits > c.reps.len()).then(|| sum / c.reps.len() as f32)
}

/// Adds `p` to the cluster's representatives as `Clusterer` does. Returns the index keys that
/// must be newly posted for the cluster.
pub fn add_rep(c: &mut ClusterRec, p: Prepared) -> Vec<u64> {
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
