//! Clustering variants of one statement.
//!
//! A remark reaches readers in many wordings: quoted whole or in part, translated by different
//! outlets, lightly edited. [`prepare`] reduces a quote to what the decision needs (its folded
//! text, its stems in order, its speaker); [`same_statement`] decides whether two prepared quotes
//! are one statement, through a cascade of ever looser tests; [`Clusterer`] groups quotes
//! incrementally, finding candidates through [`index_keys`] so cost grows linearly.
//!
//! The cascade, first hit wins:
//!
//! 1. **exact**: the same folded words (see [`crate::normalize::fold`]);
//! 2. **containment**: the shorter quote's stems occur contiguously in the longer one, and the
//!    shorter one has at least [`MIN_FRAGMENT_CONTENT`] content words (so a one-word scare quote
//!    is never swallowed by a sentence that happens to contain the word);
//! 3. **alignment**: the shorter quote is a lightly edited excerpt of the longer one: the
//!    cheapest word-level edit script (a missing, extra or substituted word costs 1, or 1/2 for a
//!    function word) turning it into some stretch of the longer quote costs at most
//!    1 − [`ALIGN_THRESHOLD`] of its own length, and it has [`MIN_FRAGMENT_CONTENT`] content words;
//! 4. **overlap**: the weighted Dice coefficient of the two stem sets is at least
//!    [`OVERLAP_THRESHOLD`] after damping by the square root of the length ratio, and they share
//!    at least [`MIN_SHARED_CONTENT`] content words. Weights are smoothed IDF from [`TermStats`],
//!    with function words damped by a prior ([`STOP_WEIGHT`]) so the rule is sensible before any
//!    statistics exist.
//!
//! In a batch ([`cluster_prepared`]) the overlap stage asks for [`BATCH_OVERLAP_THRESHOLD`]
//! instead, except between two quotes that are each other's best match in the batch, which
//! need only [`MUTUAL_THRESHOLD`] (still with the shared-content minimum): a relative criterion,
//! since renderings of one remark are each other's closest wording far more often than they
//! clear an absolute cut-off.
//!
//! Two quotes whose speakers are both known and share no name word are never one statement.
//! When publication times are known ([`Clusterer::assign_at`]), a short quote only joins a
//! cluster whose dated members stay within [`TIME_WINDOW_DAYS`] (see [`time_compatible`]), and
//! across that window a quote joins only as an excerpt of the canonical wording, not as a
//! rewording (see [`within_window`]).
//!
//! ```
//! use quotetrace::matcher::{prepare, same_statement, Stage, TermStats};
//!
//! let stats = TermStats::default();
//! let whole = prepare("He emphasized the suspension will remain in force as long as the missile attacks on boats continue.", Some("en"), Some("Gustavo Petro"));
//! let part = prepare("as long as the missile attacks on boats continue", Some("en"), Some("Petro"));
//! assert_eq!(same_statement(&whole, &part, &stats).unwrap().stage, Stage::Containment);
//!
//! let other = prepare("as long as the missile attacks on boats continue", Some("en"), Some("Marco Rubio"));
//! assert!(same_statement(&whole, &other, &stats).is_none());
//! ```

mod cluster;
pub mod embed;
mod lookup;
mod similarity;
mod time;

pub use cluster::{
    cluster_dated, cluster_dated_with, cluster_jsonl, cluster_jsonl_opts, cluster_jsonl_with,
    cluster_prepared, cluster_prepared_with, ClusterOptions, ClusterSummary, Clusterer,
    CrossLanguage, ModelSource, Paraphrase, SkippedLine,
};
pub use embed::{EmbedError, Embedder};
pub use lookup::{fragment_coverage, fragment_terms, Vocabulary};
pub(crate) use similarity::align_bound;
pub use similarity::{
    features, same_statement, same_statement_with, speakers_compatible, Features, Link, Thresholds,
};
pub use time::{
    day_of, time_compatible, within_window, Day, Span, TIMELESS_CONTENT, TIME_WINDOW_DAYS,
};

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use crate::normalize;

/// Identifies a cluster: one statement with all its wordings.
pub type ClusterId = u64;

/// Minimum number of content words a fragment needs before containment may attach it.
pub const MIN_FRAGMENT_CONTENT: u32 = 3;
/// Share of the shorter quote's weight a local alignment must cover.
pub const ALIGN_THRESHOLD: f32 = 0.80;
/// Weighted Dice coefficient above which two quotes are rewordings of one statement.
pub const OVERLAP_THRESHOLD: f32 = 0.375;
/// Weight factor of function words relative to content words, before any statistics exist.
pub const STOP_WEIGHT: f32 = 0.2;
/// How many observed quotes the function-word prior is worth (see [`TermStats::weight`]).
pub const STOP_PRIOR_DOCS: f32 = 1000.0;
/// [`OVERLAP_THRESHOLD`] in batch clustering ([`Thresholds::batch`]), where reciprocal best
/// matches ([`MUTUAL_THRESHOLD`]) recover the rewordings a stricter absolute cut-off loses.
pub const BATCH_OVERLAP_THRESHOLD: f32 = 0.42;
/// Affinity (see `similarity::affinity`) from which two quotes that are each other's best match
/// in a batch are one statement even below [`OVERLAP_THRESHOLD`] (batch clustering only).
pub const MUTUAL_THRESHOLD: f32 = 0.2;
/// Content words two quotes must share before the overlap stage may call them one statement.
pub const MIN_SHARED_CONTENT: usize = 2;

/// Errors of the batch clustering entry points.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error("reading input: {0}")]
    Read(#[source] std::io::Error),
    #[error("writing output: {0}")]
    Write(#[source] std::io::Error),
}

/// Everything the decision needs about one quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepared {
    /// [`normalize::fold`] of the quote text.
    pub folded: String,
    /// Language used for stemming.
    pub lang: String,
    /// Folded speaker name, when known.
    pub speaker: Option<String>,
    /// Term ids of the words in text order (see [`term_id`]).
    pub terms: Vec<u64>,
    /// The distinct term ids, sorted.
    pub set: Vec<u64>,
    /// Hash of the folded words: equal for quotes equal up to case, marks and punctuation.
    pub exact: u64,
    /// Number of content (non-function) words.
    pub content: u32,
}

/// A decision that two quotes are one statement.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// The cascade stage that decided.
    pub stage: Stage,
    /// Strength of the evidence at that stage, 0..=1.
    pub score: f32,
}

/// Stages of the matching cascade, strictest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Exact,
    Containment,
    Alignment,
    Overlap,
}

/// Stable 64-bit id of a stem; the lowest bit is 1 for content words, 0 for function words.
///
/// FNV-1a, because ids are persisted by the store and must not change between builds.
pub fn term_id(stem: &str, content: bool) -> u64 {
    (fnv1a(stem.as_bytes()) & !1) | u64::from(content)
}

/// Is this term id a content word?
pub fn is_content(id: u64) -> bool {
    id & 1 == 1
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Prepares one quote for matching.
pub fn prepare(text: &str, lang: Option<&str>, speaker: Option<&str>) -> Prepared {
    let (toks, lang, folded) = normalize::tokens_and_fold(text, lang);
    let mut terms = Vec::with_capacity(toks.len());
    let mut exact: u64 = 0xcbf2_9ce4_8422_2325;
    let mut content = 0;
    for t in &toks {
        let is_content = !normalize::is_stopword(&t.norm, lang);
        content += u32::from(is_content);
        terms.push(term_id(&t.stem, is_content));
        exact = (exact ^ fnv1a(t.norm.as_bytes())).wrapping_mul(0x0100_0000_01b3);
    }
    let mut set = terms.clone();
    set.sort_unstable();
    set.dedup();
    Prepared {
        folded,
        lang: lang.to_string(),
        speaker: speaker.map(speaker_key).filter(|s| !s.is_empty()),
        terms,
        set,
        exact,
        content,
    }
}

/// Folded speaker name without titles, used for the speaker constraint.
fn speaker_key(name: &str) -> String {
    const TITLES: &[&str] = &[
        "president",
        "mr",
        "mrs",
        "ms",
        "dr",
        "sen",
        "senator",
        "secretary",
        "minister",
        "rep",
        "gov",
        "governor",
        "gen",
        "general",
        "prime",
        "vice",
        "treasury",
        "defense",
        "state",
        "the",
        "of",
        "former",
        "presidente",
        "sr",
        "sra",
        "don",
        "dona",
    ];
    normalize::fold(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1 && !TITLES.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Candidate-generation keys: the quote's distinct content terms (all terms when it has none).
///
/// Two quotes that can match share at least one key, because every stage of the cascade needs
/// shared content words, except for a quote made only of function words, whose keys are all its
/// terms. An index maps each key to the clusters holding it; at query time look up only the
/// rarest keys of the new quote (see [`query_keys`]) so common words never make cost quadratic.
pub fn index_keys(p: &Prepared) -> Vec<u64> {
    let content: Vec<u64> = p.set.iter().copied().filter(|&t| is_content(t)).collect();
    if content.is_empty() {
        p.set.clone()
    } else {
        content
    }
}

/// The at most `max` rarest [`index_keys`] of a quote, rarest first: the keys worth looking up.
pub fn query_keys(p: &Prepared, stats: &TermStats, max: usize) -> Vec<u64> {
    let mut keys = index_keys(p);
    keys.sort_by_key(|&k| (stats.df(k), k));
    keys.truncate(max);
    keys
}

/// Hasher for keys that are already well-mixed 64-bit hashes (term ids) or small integers:
/// one multiply instead of SipHash, which dominated look-ups in profiles.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}

pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Document frequencies for rare-word weighting, updated one quote at a time.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TermStats {
    docs: u64,
    df: IdMap<u64, u32>,
}

impl TermStats {
    /// Counts the distinct terms of one more quote.
    pub fn observe(&mut self, p: &Prepared) {
        self.docs += 1;
        for &t in &p.set {
            *self.df.entry(t).or_insert(0) += 1;
        }
    }

    /// Number of quotes observed.
    pub fn docs(&self) -> u64 {
        self.docs
    }

    /// Number of observed quotes containing `term`.
    pub fn df(&self, term: u64) -> u32 {
        self.df.get(&term).copied().unwrap_or(0)
    }

    /// Smoothed IDF, `ln((N+1)/(df+1)) + 1`, times a function-word factor.
    ///
    /// The factor is a prior worth [`STOP_PRIOR_DOCS`] quotes: [`STOP_WEIGHT`] while the
    /// statistics are empty, rising towards 1 as observed document frequencies take over the job
    /// of damping common words (on the dev sets pure IDF did best once thousands of quotes were
    /// seen, while a handful of quotes needs the prior).
    pub fn weight(&self, term: u64) -> f32 {
        let idf = ((self.docs as f32 + 1.0) / (self.df(term) as f32 + 1.0)).ln() + 1.0;
        if is_content(term) {
            idf
        } else {
            let n = self.docs as f32;
            idf * (n + STOP_PRIOR_DOCS * STOP_WEIGHT) / (n + STOP_PRIOR_DOCS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_is_stable_under_folding() {
        let a = prepare("“Communications” with U.S. agencies", Some("en"), None);
        let b = prepare("communication with US agencies", Some("en"), None);
        assert_eq!(a.set, b.set);
        assert_ne!(
            a.exact, b.exact,
            "communications vs communication differ before stemming"
        );
        let c = prepare(
            "COMMUNICATIONS — with the United States agencies!",
            Some("en"),
            None,
        );
        assert_eq!(a.content, c.content);
    }

    #[test]
    fn speaker_titles_are_dropped() {
        assert_eq!(
            speaker_key("Treasury Secretary Scott Bessent"),
            "scott bessent"
        );
        assert_eq!(speaker_key("President Gustavo Petro"), "gustavo petro");
    }

    #[test]
    fn empty_stats_weigh_content_over_function_words() {
        let s = TermStats::default();
        assert_eq!(s.weight(term_id("drug", true)), 1.0);
        assert!(s.weight(term_id("the", false)) < 0.5);
        let big = TermStats {
            docs: 1_000_000,
            ..TermStats::default()
        };
        assert!(big.weight(term_id("the", false)) > 0.9 * big.weight(term_id("drug", true)));
    }

    #[test]
    fn function_word_only_quotes_still_have_keys() {
        let p = prepare("what is it that you", Some("en"), None);
        assert!(p.content == 0 && !index_keys(&p).is_empty());
    }
}
