//! Records as stored, and the key layout.
//!
//! Values are `postcard`-encoded serde structs: compact and fast. postcard is not
//! self-describing, so a field added or reordered here is a schema change and must bump
//! [`super::SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};

use super::StoreError;

/// A cluster's number, as shown to users (`quotetrace chain 42`).
pub type ClusterId = u64;

/// The first 16 bytes of an article's SHA-256 content hash.
pub type ArticleId = [u8; 16];

/// One byte in front of every key tells the record kind apart.
pub mod prefix {
    /// `M name` → metadata (schema version, counters).
    pub const META: u8 = b'M';
    /// `A article-id` → [`super::ArticleRec`].
    pub const ARTICLE: u8 = b'A';
    /// `O outlet-key` → [`super::OutletRec`].
    pub const OUTLET: u8 = b'O';
    /// `C cluster-id` → [`super::ClusterRec`].
    pub const CLUSTER: u8 = b'C';
    /// `Q article-id` → every [`super::OccurrenceRec`] of one article, in quote order. A
    /// cluster finds its occurrences through [`super::ClusterRec::members`].
    pub const OCCURRENCE: u8 = b'Q';
    /// `E from-outlet 0 to-outlet 0 article-id start index` → [`super::CreditEdgeRec`].
    pub const CREDIT_EDGE: u8 = b'E';
    /// `W term 0 commit` → [`super::TermSegment`]: the lookup term index, one segment per
    /// compaction of the term deltas.
    pub const TERM: u8 = b'W';
    /// `D commit` → [`super::TermDelta`]: the lookup postings of one commit, not yet compacted
    /// into `W` segments.
    pub const DELTA: u8 = b'D';
    /// `V term` → u32 number of distinct wordings with the term: lookup vocabulary and weights.
    pub const VOCAB: u8 = b'V';
}

pub const META_SCHEMA: &[u8] = b"Mschema";
pub const META_CLUSTER_COUNT: &[u8] = b"Mcluster_count";
pub const META_WORDINGS: &[u8] = b"Mwordings";
pub const META_COMMITS: &[u8] = b"Mcommits";

/// An outlet: what articles name as their publisher, and what credits name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutletRec {
    /// The key it is stored under (see [`crate::store::outlet_key`]).
    pub key: String,
    /// The display name: the first non-domain name seen, else the first domain.
    pub name: String,
    /// Every other name seen for it.
    pub aliases: Vec<String>,
    /// Web domains seen for it.
    pub domains: Vec<String>,
    pub articles: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleRec {
    pub id: ArticleId,
    /// Where it was read from the first time (path or `path:line`).
    pub source: String,
    /// Outlet key, when the input names an outlet.
    pub outlet: Option<String>,
    pub url: Option<String>,
    /// As given by the input (RFC 3339 date or date-time).
    pub published: Option<String>,
    pub title: Option<String>,
    pub lang: Option<String>,
    /// Number of occurrences written with it: lets a check prove the article is whole.
    pub occurrences: u32,
}

/// One distinct wording of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub wording: String,
    pub count: u32,
    /// Content words, as the matcher counts them: the wording with most is the canonical one.
    pub content: u32,
    /// The matcher's hash of its folded words (`Prepared::exact`).
    pub exact: u64,
    /// The language it was prepared in (the article's, when given).
    pub lang: Option<String>,
    /// The matcher's term ids in text order (`Prepared::terms`): re-clustering compares
    /// wordings without preparing them again.
    pub terms: Vec<u64>,
}

/// One occurrence as its cluster knows it: where it is, and what clustering reads of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub article: ArticleId,
    /// Byte offset of the quote in the article body.
    pub start: u32,
    /// Index into the cluster's `wordings`.
    pub variant: u32,
    /// The speaker's name as extracted.
    pub speaker: Option<String>,
    /// The matcher's key of that name (`Prepared::speaker`).
    pub speaker_key: Option<String>,
    /// Publication day of the article.
    pub day: Option<crate::matcher::Day>,
    /// Extraction labelled it a scare quote.
    pub term: bool,
}

/// A cluster. Stored in the compact form of [`stored_cluster`], which says each thing once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "stored_cluster::Stored", try_from = "stored_cluster::Stored")]
pub struct ClusterRec {
    pub id: ClusterId,
    /// The wording with the most content words (then the longest): partial quotes are
    /// fragments of it. Chosen among all variants, so it does not depend on ingest order.
    pub canonical: String,
    pub lang: Option<String>,
    /// Named speakers with how many occurrences name each; the most named is the speaker.
    pub speakers: Vec<(String, u32)>,
    /// Number of distinct wordings (the length of `wordings`).
    pub variants: u32,
    /// Content words of the canonical wording.
    pub canonical_content: u32,
    pub occurrences: u32,
    /// The matcher's state for this cluster, as `matcher::Clusterer` keeps it: up to four
    /// representatives, which of them is canonical, and the folded speaker keys. Derived from
    /// the members by `store::matching::cluster_component`.
    pub reps: Vec<crate::matcher::Prepared>,
    pub canonical_rep: u32,
    pub speaker_keys: Vec<String>,
    /// First and last publication day of the dated occurrences: the matcher's time constraint
    /// reads it (see `matcher::time_compatible`).
    pub span: Option<crate::matcher::Span>,
    /// Every occurrence is a scare quote (`kind: term`): only terms with the same holder join.
    pub terms_only: bool,
    /// Every distinct wording, sorted by (wording, language). Kept in this record rather than
    /// one record each: group commit rewrites a touched cluster once per commit anyway, and on
    /// sled the cost of a write is mostly per record, not per byte.
    pub wordings: Vec<Variant>,
    /// Every occurrence, sorted by (article, start). The occurrences themselves are in the
    /// article's `Q` record.
    pub members: Vec<Member>,
    /// The connected component of the match graph the cluster belongs to (see
    /// `store::matching`): an internal number, never shown.
    pub component: u64,
}

impl ClusterRec {
    /// Where each occurrence is: (article, start of the quote), sorted.
    pub fn carriers(&self) -> impl Iterator<Item = (ArticleId, u32)> + '_ {
        self.members.iter().map(|m| (m.article, m.start))
    }

    pub fn speaker(&self) -> Option<&str> {
        self.speakers
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|s| s.0.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanRec {
    pub start: u32,
    pub end: u32,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRec {
    /// Outlet name as resolved by the parser.
    pub outlet: String,
    /// Key of that outlet in the store's outlet table.
    pub outlet_key: String,
    pub phrase: String,
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceRec {
    pub article: ArticleId,
    /// The wording this article used, with its byte span in the article body.
    pub quote: SpanRec,
    /// `full`, `partial` or `term`.
    pub kind: String,
    pub speaker: Option<String>,
    pub speaker_mention: Option<SpanRec>,
    pub cue: Option<SpanRec>,
    pub channel: Option<SpanRec>,
    pub credits: Vec<CreditRec>,
}

/// What one commit added to a word's postings: how many distinct wordings with the word it
/// stored, and the clusters that got the word (a cluster replaced since is skipped by lookup).
pub type PostingRun = (u32, Vec<ClusterId>);

/// A `W` segment: the sum of its runs' wording counts (read alone by
/// [`crate::store::Store::vocab_df`]), then the runs of the commits it compacted, oldest first.
/// Lookup reads a word's runs in commit order, so it finds the same clusters whether they are
/// still in deltas or already compacted.
pub type TermSegment = (u32, Vec<PostingRun>);

/// A `D` record: every word one commit posted, sorted by word, each with its run.
pub type TermDelta = Vec<(String, PostingRun)>;

/// "`from` credited `to` for the quote at `article`, `start`" (the key holds the start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditEdgeRec {
    pub from: Option<String>,
    pub to: String,
    pub article: ArticleId,
    pub phrase: String,
}

/// The stored form of a [`ClusterRec`]: every text once. A representative is the index of
/// its wording (whose terms it shares) and its speaker key, the canonical wording is an index
/// too, and members name their speaker by an index into the cluster's distinct (speaker,
/// speaker key) pairs. Cluster records are rewritten whenever their cluster changes, so their
/// size is most of what ingest writes: this form is about half of saying everything in place.
mod stored_cluster {
    use super::{ClusterRec, Member, Variant};
    use crate::matcher::{Prepared, Span};
    use serde::{Deserialize, Serialize};

    /// A representative: by reference to a wording when it is one (always, for records built
    /// by clustering), else in full.
    #[derive(Serialize, Deserialize)]
    enum Rep {
        Wording {
            variant: u32,
            speaker: Option<String>,
        },
        Full {
            terms: Vec<u64>,
            exact: u64,
            content: u32,
            speaker: Option<String>,
        },
    }

    #[derive(Serialize, Deserialize)]
    struct StoredMember {
        article: super::ArticleId,
        start: u32,
        variant: u32,
        /// Index into `people`.
        person: u32,
        day: Option<crate::matcher::Day>,
        term: bool,
    }

    #[derive(Serialize, Deserialize)]
    pub(super) struct Stored {
        id: u64,
        /// Index of the canonical wording in `wordings`, or the wording itself when it is none
        /// of them.
        canonical: Result<u32, String>,
        lang: Option<String>,
        speakers: Vec<(String, u32)>,
        canonical_content: u32,
        reps: Vec<Rep>,
        canonical_rep: u32,
        speaker_keys: Vec<String>,
        span: Option<Span>,
        terms_only: bool,
        wordings: Vec<Variant>,
        /// Distinct (speaker, speaker key) pairs of the members.
        people: Vec<(Option<String>, Option<String>)>,
        members: Vec<StoredMember>,
        component: u64,
    }

    impl From<ClusterRec> for Stored {
        fn from(c: ClusterRec) -> Stored {
            let canonical = c
                .wordings
                .iter()
                .position(|v| v.wording == c.canonical && v.lang == c.lang)
                .map(|i| i as u32)
                .ok_or(c.canonical);
            let reps = c
                .reps
                .into_iter()
                .map(|r| {
                    match c.wordings.iter().position(|v| {
                        v.exact == r.exact && v.content == r.content && v.terms == r.terms
                    }) {
                        Some(i) => Rep::Wording {
                            variant: i as u32,
                            speaker: r.speaker,
                        },
                        None => Rep::Full {
                            terms: r.terms,
                            exact: r.exact,
                            content: r.content,
                            speaker: r.speaker,
                        },
                    }
                })
                .collect();
            let mut people: Vec<(Option<String>, Option<String>)> = Vec::new();
            let members = c
                .members
                .into_iter()
                .map(|m| {
                    let pair = (m.speaker, m.speaker_key);
                    let person = match people.iter().position(|p| *p == pair) {
                        Some(i) => i,
                        None => {
                            people.push(pair);
                            people.len() - 1
                        }
                    } as u32;
                    StoredMember {
                        article: m.article,
                        start: m.start,
                        variant: m.variant,
                        person,
                        day: m.day,
                        term: m.term,
                    }
                })
                .collect();
            Stored {
                id: c.id,
                canonical,
                lang: c.lang,
                speakers: c.speakers,
                canonical_content: c.canonical_content,
                reps,
                canonical_rep: c.canonical_rep,
                speaker_keys: c.speaker_keys,
                span: c.span,
                terms_only: c.terms_only,
                wordings: c.wordings,
                people,
                members,
                component: c.component,
            }
        }
    }

    fn prepared(terms: Vec<u64>, exact: u64, content: u32, speaker: Option<String>) -> Prepared {
        let mut set = terms.clone();
        set.sort_unstable();
        set.dedup();
        Prepared {
            folded: String::new(),
            lang: String::new(),
            speaker,
            terms,
            set,
            exact,
            content,
        }
    }

    impl TryFrom<Stored> for ClusterRec {
        type Error = String;

        fn try_from(s: Stored) -> Result<ClusterRec, String> {
            let wording = |i: u32| {
                s.wordings
                    .get(i as usize)
                    .ok_or_else(|| format!("cluster {}: no wording {i}", s.id))
            };
            let canonical = match s.canonical {
                Ok(i) => wording(i)?.wording.clone(),
                Err(text) => text,
            };
            let mut reps = Vec::with_capacity(s.reps.len());
            for r in s.reps {
                reps.push(match r {
                    Rep::Wording { variant, speaker } => {
                        let v = wording(variant)?;
                        prepared(v.terms.clone(), v.exact, v.content, speaker)
                    }
                    Rep::Full {
                        terms,
                        exact,
                        content,
                        speaker,
                    } => prepared(terms, exact, content, speaker),
                });
            }
            let mut members = Vec::with_capacity(s.members.len());
            for m in s.members {
                let (speaker, speaker_key) = s
                    .people
                    .get(m.person as usize)
                    .cloned()
                    .ok_or_else(|| format!("cluster {}: no person {}", s.id, m.person))?;
                members.push(Member {
                    article: m.article,
                    start: m.start,
                    variant: m.variant,
                    speaker,
                    speaker_key,
                    day: m.day,
                    term: m.term,
                });
            }
            Ok(ClusterRec {
                id: s.id,
                canonical,
                lang: s.lang,
                speakers: s.speakers,
                variants: s.wordings.len() as u32,
                canonical_content: s.canonical_content,
                occurrences: members.len() as u32,
                reps,
                canonical_rep: s.canonical_rep,
                speaker_keys: s.speaker_keys,
                span: s.span,
                terms_only: s.terms_only,
                wordings: s.wordings,
                members,
                component: s.component,
            })
        }
    }
}

pub fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_stdvec(v).expect("records always serialize")
}

pub fn decode<T: for<'de> Deserialize<'de>>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt(format!("bad {what} record: {e}")))
}

pub fn cluster_key(id: ClusterId) -> Vec<u8> {
    let mut k = vec![prefix::CLUSTER];
    k.extend_from_slice(&id.to_be_bytes());
    k
}

pub fn article_key(id: &ArticleId) -> Vec<u8> {
    let mut k = vec![prefix::ARTICLE];
    k.extend_from_slice(id);
    k
}

pub fn outlet_rec_key(key: &str) -> Vec<u8> {
    let mut k = vec![prefix::OUTLET];
    k.extend_from_slice(key.as_bytes());
    k
}

/// The key of an article's occurrences.
pub fn occurrences_key(article: &ArticleId) -> Vec<u8> {
    let mut k = vec![prefix::OCCURRENCE];
    k.extend_from_slice(article);
    k
}

pub fn credit_edge_key(
    from: Option<&str>,
    to: &str,
    article: &ArticleId,
    start: u32,
    index: u16,
) -> Vec<u8> {
    let mut k = vec![prefix::CREDIT_EDGE];
    k.extend_from_slice(from.unwrap_or("").as_bytes());
    k.push(0);
    k.extend_from_slice(to.as_bytes());
    k.push(0);
    k.extend_from_slice(article);
    k.extend_from_slice(&start.to_be_bytes());
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// FNV-1a of a wording: stable across builds, so it orders a cluster's wordings the same way
/// in every store.
pub fn wording_hash(wording: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in wording.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

pub fn term_prefix(term: &str) -> Vec<u8> {
    let mut k = vec![prefix::TERM];
    k.extend_from_slice(term.as_bytes());
    k.push(0);
    k
}

/// One segment of a term's posting list: the runs compacted by the commit `commit`.
pub fn term_key(term: &str, commit: u64) -> Vec<u8> {
    let mut k = term_prefix(term);
    k.extend_from_slice(&commit.to_be_bytes());
    k
}

/// The key of a commit's [`TermDelta`].
pub fn delta_key(commit: u64) -> Vec<u8> {
    let mut k = vec![prefix::DELTA];
    k.extend_from_slice(&commit.to_be_bytes());
    k
}

pub fn vocab_key(term: &str) -> Vec<u8> {
    let mut k = vec![prefix::VOCAB];
    k.extend_from_slice(term.as_bytes());
    k
}

/// The cluster id at the end of a posting key.
pub fn trailing_cluster(key: &[u8]) -> Option<ClusterId> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

pub fn hex(id: &ArticleId) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn parse_hex(s: &str) -> Option<ArticleId> {
    if s.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let id: ArticleId = [0, 1, 2, 254, 255, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 171];
        assert_eq!(parse_hex(&hex(&id)), Some(id));
        assert_eq!(parse_hex("zz"), None);
    }

    #[test]
    fn keys_end_in_their_number() {
        assert_eq!(trailing_cluster(&term_key("drugs", 77)), Some(77));
    }

    #[test]
    fn term_prefix_does_not_match_longer_terms() {
        assert!(!term_key("drugstore", 1).starts_with(&term_prefix("drug")));
    }
}
