//! The provenance store: every quote ever ingested, grouped into clusters of one statement,
//! with where and when each outlet carried it and whom it credited.
//!
//! # Example
//!
//! ```
//! use quotetrace::article::{Article, Meta};
//! use quotetrace::store::Store;
//!
//! let mut store = Store::in_memory();
//! let article = Article {
//!     id: "a.txt".into(),
//!     meta: Meta {
//!         outlet: Some("Al Jazeera".into()),
//!         published: Some("2025-11-12".into()),
//!         ..Meta::default()
//!     },
//!     body: "“Suspend all intelligence sharing with the agencies,” Petro wrote.".into(),
//! };
//! let quotes = quotetrace::parse::extract(&article.body);
//! let report = store.ingest_article(&article, &quotes).unwrap();
//! assert_eq!(report.new_clusters, 1);
//! store.commit().unwrap();
//! // Case, punctuation, a typo and a truncated last word are forgiven.
//! let hits = store.lookup("INTELLIGENCE sharnig with the agen", 5).unwrap();
//! assert_eq!(hits[0].cluster, report.clusters[0]);
//! ```
//!
//! # Schema (version 6)
//!
//! One ordered key space. The first byte of a key names the record kind; values are
//! `postcard`-encoded structs from [`records`]. Integers in keys are big-endian so that keys sort
//! numerically.
//!
//! | key | value | what |
//! |---|---|---|
//! | `M schema` | u32 BE | schema version; a store without it, or with another version, is refused |
//! | `M cluster_count`, `M wordings`, `M commits` | u64 BE | counters: live clusters, distinct wordings (text and language), commits |
//! | `A` article-id(16) | [`ArticleRec`] | article: id = first 16 bytes of SHA-256(outlet key, NUL, body), outlet, url, published, title, lang |
//! | `O` outlet-key | [`OutletRec`] | outlet: display name, aliases, domains |
//! | `C` cluster-id(8) | [`ClusterRec`] | cluster: canonical wording, speakers, matcher representatives, first and last publication day, whether all its occurrences are scare quotes, every distinct wording (with its count, language and the matcher's term ids), every member occurrence (article id, start, wording, speaker, day, kind), and its match-graph component; stored in a compact form that says each text once (representatives and the canonical wording as indexes into the wordings, members' speakers as indexes into the cluster's distinct speakers) |
//! | `Q` article-id(16) | postcard `Vec<`[`OccurrenceRec`]`>` | an article's occurrences: wording, span, kind, speaker, cue, channel, credits |
//! | `E` from 0 to 0 article-id start index(2) | [`CreditEdgeRec`] | one edge per explicit credit |
//! | `W` term 0 commit(8) | [`TermSegment`] | lookup index, one segment per compaction: the sum of its runs' counts, then one run per commit it compacted ([`PostingRun`]: how many distinct wordings with the folded word the commit added, and the clusters that got the word); may name clusters since replaced, which lookup skips |
//! | `D` commit(8) | [`TermDelta`] | the runs of one commit not compacted yet, by word; lookup reads them after the word's segments, skipping those of commits up to its newest segment's number |
//! | `V` term | empty | lookup vocabulary: every folded word of a stored wording (its count is the sum of its `W` segments' first numbers) |
//! | `P` text-key(8) | [`xlink::ForeignQuote`] | a quote outside English waiting for the cross-language link pass (text-key = first 8 bytes of SHA-256 of the text) |
//! | `L` text-key(8) | postcard `Vec<`[`xlink::LinkRec`]`>` | the texts in other languages linked to this one, with their cosine |
//! | `Z` text-key(8) | postcard `Vec<f32>` | a text's embedding, computed once by the link pass |
//!
//! Cluster ids are 53-bit hashes of each cluster's first member in the order clustering visits
//! them (see `ingest.rs`), so they do not depend on ingest order; a cluster gets a new id when
//! a rendering that comes first in that order joins it.
//!
//! The matcher's candidate index (clusters by `matcher::index_keys` of their wordings), the
//! exact-wording index and the components are not stored as such: an ingest derives them from
//! the `C` records when it starts (see `ingest.rs`).
//!
//! Version 2 cut the records written per quote from about four to about one: wordings live in
//! their cluster's record and occurrences in one record per article. On sled a write costs
//! mostly per record (each copies a tree node), so this took most of the write time out of
//! ingest. Version 3 added to each cluster the span of its publication days and whether it
//! holds only scare quotes, which the matcher's time and scare-quote rules read (see
//! [`matching`]). Version 4 made clustering independent of ingest order: a cluster lists its
//! members with what clustering reads of them (so that a component can be clustered again),
//! an occurrence and a credit edge no longer name their cluster (the cluster's members say
//! where each occurrence is), ids are derived from contents, the store decides with fixed term
//! weights (the `T` term-statistics records are gone), and the vocabulary counts wordings.
//! Version 5 cut what an ingest writes by a third: a cluster record says each text once
//! (it is rewritten whenever its cluster changes, so its size is most of the bytes written),
//! and a word's count of wordings moved from its `V` record, which every commit that used the
//! word rewrote, into the commit's `W` segment, which that commit writes anyway; `V` is
//! written once per word. Version 6 stopped writing a `W` key per word per commit, which were
//! most of the keys an ingest wrote: a commit writes its postings as one `D` record, and every
//! `ingest::DELTAS_PER_COMPACTION` commits (and at the end of every [`Store::commit`]) the
//! deltas are merged into one `W` segment per word, which keeps each commit's run apart so that
//! lookups read the same runs in the same order as before.
//!
//! The `P`, `L` and `Z` records (see [`xlink`]) came after version 5 without changing it:
//! they are only ever added, and a build that does not know them ignores them.
//!
//! Provenance (first carrier, credits, chains) is not stored: it is derived from occurrences
//! and article dates when asked for (see [`crate::provenance`]). Clusters are a function of
//! the set of stored quotes too (see `ingest.rs` for how, and for the bounds beyond which
//! arrival order can still matter), so the answers do not depend on the order articles were
//! ingested in.
//!
//! # Writes
//!
//! [`Store::ingest_article`] stages an article; [`Store::commit`] writes every staged article in
//! one atomic batch and flushes it. So after a crash each article is either whole or absent, and
//! a caller reports articles as done only after the commit returns. Committing a group of
//! articles at once (the CLI's `--commit-every`, 128 by default) is group commit: one fsync and
//! one write of each touched index entry per group instead of per article, which is most of
//! the cost on sled. Re-ingesting an article (same outlet and body) changes nothing.
//!
//! [`Store::commit_in_background`] writes and flushes a group on another thread while the
//! next group is staged, so that clustering and sled's writes use both cores; it returns once
//! the previous group is durable, which is when a caller may report that group's articles as
//! done. At most one group is in flight.
//!
//! Only one process may open a store at a time; a second gets [`StoreError::Locked`].

pub mod backend;
mod ingest;
pub use ingest::{prepare_quotes, PreparedQuote};
pub mod lookup;
pub mod matching;
pub mod records;
pub mod xlink;
pub mod xlookup;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::article::Article;

pub use backend::{Backend, Entry, MemBackend, SledBackend, WriteBatch};
pub use lookup::LookupHit;
pub use records::*;

/// Distinct speaker names counted per cluster.
pub(crate) const MAX_SPEAKERS: usize = 32;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 6;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the store at {path} is in use by another quotetrace process; wait for it to finish \
         (or pass another --db)"
    )]
    Locked { path: PathBuf },
    #[error("there is no store at {path}; run `quotetrace ingest` first (or pass --db)")]
    Missing { path: PathBuf },
    #[error("{path} is not a quotetrace store: {reason}")]
    NotAStore { path: PathBuf, reason: String },
    #[error(
        "the store at {path} has schema version {found}, newer than this quotetrace \
         understands ({supported}); upgrade quotetrace"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "the store at {path} has schema version {found}, which this quotetrace cannot read \
         (it reads {supported}); re-ingest into a new store"
    )]
    OlderSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("cannot open the store at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot write to the store: {0}; nothing of the articles not yet reported done was \
         stored (fix the cause, e.g. free disk space, and run the same ingest again)"
    )]
    Write(#[source] std::io::Error),
    #[error("the store is damaged: {0}")]
    Corrupt(String),
    #[error("storage engine error: {0}")]
    Backend(String),
}

/// What ingesting one article did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub article: ArticleId,
    /// The article was already in the store; nothing was written.
    pub already_present: bool,
    /// Occurrences written.
    pub quotes: usize,
    pub new_clusters: usize,
    /// The cluster of each written occurrence, in quote order.
    pub clusters: Vec<ClusterId>,
}

/// Counts of records in a store.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub articles: u64,
    pub outlets: u64,
    pub clusters: u64,
    pub occurrences: u64,
    pub credit_edges: u64,
}

/// The provenance store. See the module docs for the schema.
pub struct Store {
    /// Shared with the writer thread of a background commit.
    backend: std::sync::Arc<dyn Backend>,
    path: Option<PathBuf>,
    cluster_count: u64,
    /// Distinct wordings stored: the N of lookup weights.
    wording_count: u64,
    /// What clustering reads on every quote, loaded on first ingest.
    session: Option<ingest::Session>,
    /// Commits so far: numbers the segments of the term index.
    commits: u64,
    /// Term deltas stored and not compacted yet (see `ingest::DELTAS_PER_COMPACTION`).
    deltas: u64,
    /// Articles staged for the next commit.
    pending: ingest::Pending,
    /// The commit being written by a background thread, if any.
    inflight: Option<ingest::InFlight>,
}

/// The key an outlet is stored under, so that an article's `source_domain` and a credit's
/// outlet name meet: names, aliases and domains known to `grammar/outlets.tsv` resolve to their
/// canonical name first (`apnews.com`, `AP` → Associated Press). The key is then lower-case
/// letters and digits only, with unknown web domains cut to their distinctive label
/// (`news.example.co.uk` → `example`) and a parenthesised remark, an AllSides " - News" suffix
/// or a leading "The" dropped.
///
/// ```
/// use quotetrace::store::outlet_key;
/// assert_eq!(outlet_key("apnews.com"), outlet_key("AP"));
/// assert_eq!(outlet_key("www.aljazeera.com"), "aljazeera");
/// assert_eq!(outlet_key("Daily Example (Online) - News"), "dailyexample");
/// ```
pub fn outlet_key(raw: &str) -> String {
    let resolved = crate::parse::resolve_outlet(raw).unwrap_or(raw);
    let s = resolved.trim().to_lowercase();
    let s = s
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let s = s.split('/').next().unwrap_or("");
    if looks_like_domain(s) {
        const SUFFIXES: &[&str] = &[
            "com", "org", "net", "co", "uk", "gov", "edu", "io", "news", "tv", "info", "us", "ca",
            "au", "de", "fr", "es", "in", "ie", "nz", "int", "eu", "biz", "ac",
        ];
        let labels: Vec<&str> = s.split('.').filter(|l| !l.is_empty()).collect();
        let mut end = labels.len();
        while end > 1 && SUFFIXES.contains(&labels[end - 1]) {
            end -= 1;
        }
        return alnum(labels[end - 1]);
    }
    let s = s.split(" - ").next().unwrap_or(s);
    let mut name = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => name.push(c),
            _ => {}
        }
    }
    let name = name.trim();
    let name = name.strip_prefix("the ").unwrap_or(name);
    alnum(name)
}

pub(crate) fn looks_like_domain(s: &str) -> bool {
    !s.contains(char::is_whitespace)
        && s.contains('.')
        && s.rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

fn alnum(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Lowers the calling thread's scheduling priority (Linux: nice is per thread), for the
/// helper threads of ingest, so that the staging thread, which all of ingest waits for, gets a
/// core when three threads want two.
pub fn yield_to_staging() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with who = 0 changes only the calling thread's nice value.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 5);
    }
}

/// The content hash that identifies an article: the same body from the same outlet is the same
/// article, while a wire story carried by two outlets is two articles (two carriers).
pub fn article_id(article: &Article) -> ArticleId {
    let mut h = Sha256::new();
    h.update(
        article
            .meta
            .outlet
            .as_deref()
            .map(outlet_key)
            .unwrap_or_default()
            .as_bytes(),
    );
    h.update([0]);
    h.update(article.body.as_bytes());
    let digest = h.finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    id
}

pub(crate) fn u64_value(bytes: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("bad counter".into()))?;
    Ok(u64::from_be_bytes(arr))
}

impl Store {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let existed = path.exists();
        let backend = SledBackend::open(path)?;
        Store::from_backend(Box::new(backend), Some(path.to_owned()), existed)
    }

    /// Opens the store at `path`, which must exist: for commands that only read.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_owned(),
            });
        }
        Store::open(path)
    }

    /// Opens (or creates) the store at `path`, creating its parent directories.
    pub fn create(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        Store::open(path)
    }

    /// A store on any [`Backend`]: how another engine (or a test's faulty one) is plugged in.
    /// An empty backend becomes a new store.
    pub fn with_backend(backend: Box<dyn Backend>) -> Result<Store, StoreError> {
        Store::from_backend(backend, None, true)
    }

    /// A store that lives in memory only.
    pub fn in_memory() -> Store {
        Store::from_backend(Box::new(MemBackend::default()), None, false)
            .expect("an empty in-memory store always opens")
    }

    fn from_backend(
        backend: Box<dyn Backend>,
        path: Option<PathBuf>,
        existed: bool,
    ) -> Result<Store, StoreError> {
        let shown = path.clone().unwrap_or_else(|| PathBuf::from("(memory)"));
        match backend.get(META_SCHEMA)? {
            Some(v) => {
                let found = v
                    .as_slice()
                    .try_into()
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::NotAStore {
                        path: shown.clone(),
                        reason: "its schema marker is unreadable".into(),
                    })?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema {
                        path: shown,
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                if found < SCHEMA_VERSION {
                    return Err(StoreError::OlderSchema {
                        path: shown,
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
            }
            None => {
                if existed && backend.scan_prefix(b"").next().is_some() {
                    return Err(StoreError::NotAStore {
                        path: shown,
                        reason: "it holds data but no quotetrace schema marker".into(),
                    });
                }
                let mut b = WriteBatch::default();
                b.put(META_SCHEMA.to_vec(), SCHEMA_VERSION.to_be_bytes().to_vec());
                backend.apply(b)?;
                backend.flush()?;
            }
        }
        let commits = match backend.get(META_COMMITS)? {
            Some(v) => u64_value(&v)?,
            None => 0,
        };
        let cluster_count = match backend.get(META_CLUSTER_COUNT)? {
            Some(v) => u64_value(&v)?,
            None => 0,
        };
        let wording_count = match backend.get(META_WORDINGS)? {
            Some(v) => u64_value(&v)?,
            None => 0,
        };
        let mut deltas = 0;
        for r in backend.scan_prefix(&[prefix::DELTA]) {
            r?;
            deltas += 1;
        }
        Ok(Store {
            backend: backend.into(),
            path,
            cluster_count,
            wording_count,
            session: None,
            commits,
            deltas,
            pending: Default::default(),
            inflight: None,
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Commits every staged article (see [`Store::commit`]).
    pub fn flush(&mut self) -> Result<(), StoreError> {
        self.commit()
    }

    pub fn size_on_disk(&self) -> Result<Option<u64>, StoreError> {
        self.backend.size_on_disk()
    }

    pub fn cluster_count(&self) -> u64 {
        self.cluster_count
    }

    /// Number of distinct wordings (text and language) stored.
    pub fn wording_count(&self) -> u64 {
        self.wording_count
    }

    pub fn has_article(&self, id: &ArticleId) -> Result<bool, StoreError> {
        self.backend.contains(&article_key(id))
    }

    pub fn article(&self, id: &ArticleId) -> Result<Option<ArticleRec>, StoreError> {
        self.backend
            .get(&article_key(id))?
            .map(|v| decode("article", &v))
            .transpose()
    }

    pub fn outlet(&self, key: &str) -> Result<Option<OutletRec>, StoreError> {
        self.backend
            .get(&outlet_rec_key(key))?
            .map(|v| decode("outlet", &v))
            .transpose()
    }

    pub fn cluster(&self, id: ClusterId) -> Result<Option<ClusterRec>, StoreError> {
        self.backend
            .get(&cluster_key(id))?
            .map(|v| decode("cluster", &v))
            .transpose()
    }

    /// Every occurrence of a cluster, ordered by article id, then position.
    pub fn occurrences(&self, cluster: ClusterId) -> Result<Vec<OccurrenceRec>, StoreError> {
        let Some(c) = self.cluster(cluster)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(c.members.len());
        for run in c.members.chunk_by(|a, b| a.article == b.article) {
            let starts: Vec<u32> = run.iter().map(|m| m.start).collect();
            let mut occs: Vec<OccurrenceRec> = self.article_occurrences(&run[0].article)?;
            occs.retain(|o| starts.binary_search(&o.quote.start).is_ok());
            occs.sort_by_key(|o| o.quote.start);
            out.extend(occs);
        }
        Ok(out)
    }

    /// Every occurrence in one article, in quote order.
    pub fn article_occurrences(&self, id: &ArticleId) -> Result<Vec<OccurrenceRec>, StoreError> {
        Ok(match self.backend.get(&occurrences_key(id))? {
            Some(v) => decode("occurrences", &v)?,
            None => Vec::new(),
        })
    }

    /// Every cluster, in id order.
    pub fn clusters(&self) -> impl Iterator<Item = Result<ClusterRec, StoreError>> + '_ {
        self.backend
            .scan_prefix(&[prefix::CLUSTER])
            .map(|r| r.and_then(|(_, v)| decode("cluster", &v)))
    }

    pub fn articles(&self) -> impl Iterator<Item = Result<ArticleRec, StoreError>> + '_ {
        self.backend
            .scan_prefix(&[prefix::ARTICLE])
            .map(|r| r.and_then(|(_, v)| decode("article", &v)))
    }

    pub fn outlets(&self) -> impl Iterator<Item = Result<OutletRec, StoreError>> + '_ {
        self.backend
            .scan_prefix(&[prefix::OUTLET])
            .map(|r| r.and_then(|(_, v)| decode("outlet", &v)))
    }

    pub fn credit_edges(&self) -> impl Iterator<Item = Result<CreditEdgeRec, StoreError>> + '_ {
        self.backend
            .scan_prefix(&[prefix::CREDIT_EDGE])
            .map(|r| r.and_then(|(_, v)| decode("credit edge", &v)))
    }

    pub fn counts(&self) -> Result<Counts, StoreError> {
        let count = |p: u8| -> Result<u64, StoreError> {
            let mut n = 0;
            for r in self.backend.scan_prefix(&[p]) {
                r?;
                n += 1;
            }
            Ok(n)
        };
        let mut occurrences = 0;
        for r in self.backend.scan_prefix(&[prefix::OCCURRENCE]) {
            let (_, v) = r?;
            occurrences += decode::<Vec<OccurrenceRec>>("occurrences", &v)?.len() as u64;
        }
        Ok(Counts {
            articles: count(prefix::ARTICLE)?,
            outlets: count(prefix::OUTLET)?,
            clusters: count(prefix::CLUSTER)?,
            occurrences,
            credit_edges: count(prefix::CREDIT_EDGE)?,
        })
    }

    /// Checks that every article is whole: each has exactly the occurrences it was written
    /// with, and every occurrence belongs to a stored article and cluster. Returns the problems
    /// found (none in a sound store).
    pub fn check(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        // Every occurrence a cluster lists, with its cluster.
        let mut listed: HashMap<(ArticleId, u32), ClusterId> = HashMap::new();
        for c in self.clusters() {
            let c = c?;
            for m in &c.members {
                if let Some(other) = listed.insert((m.article, m.start), c.id) {
                    problems.push(format!(
                        "the occurrence at {} in article {} is in clusters {other} and {}",
                        m.start,
                        hex(&m.article),
                        c.id
                    ));
                }
            }
        }
        let mut per_article: HashMap<ArticleId, u32> = HashMap::new();
        for r in self.backend.scan_prefix(&[prefix::OCCURRENCE]) {
            let (_, v) = r?;
            let occs: Vec<OccurrenceRec> = decode("occurrences", &v)?;
            for occ in occs {
                *per_article.entry(occ.article).or_default() += 1;
                if listed.remove(&(occ.article, occ.quote.start)).is_none() {
                    problems.push(format!(
                        "the occurrence at {} in article {} is in no cluster",
                        occ.quote.start,
                        hex(&occ.article)
                    ));
                }
            }
        }
        for ((article, start), c) in listed {
            problems.push(format!(
                "cluster {c} lists an occurrence at {start} in article {}, which is not stored",
                hex(&article)
            ));
        }
        for a in self.articles() {
            let a = a?;
            let found = per_article.remove(&a.id).unwrap_or(0);
            if found != a.occurrences {
                problems.push(format!(
                    "article {} ({}) has {found} of its {} occurrences",
                    hex(&a.id),
                    a.source,
                    a.occurrences
                ));
            }
        }
        for (id, n) in per_article {
            problems.push(format!(
                "{n} occurrences belong to article {}, which is not stored",
                hex(&id)
            ));
        }
        Ok(problems)
    }

    /// How many distinct wordings use a lookup word: the sum of what each commit added, from
    /// the compacted segments (only the first number of each is decoded) and the deltas not
    /// compacted yet.
    pub fn vocab_df(&self, term: &str) -> Result<u32, StoreError> {
        let mut n = 0u32;
        let mut newest = None;
        for r in self.backend.scan_prefix(&term_prefix(term)) {
            let (k, v) = r?;
            let (added, _): (u32, &[u8]) = postcard::take_from_bytes(&v)
                .map_err(|e| StoreError::Corrupt(format!("bad posting list: {e}")))?;
            n = n.saturating_add(added);
            newest = Some(ingest::key_number(&k)?);
        }
        for (seq, delta) in self.term_deltas()? {
            if newest.is_some_and(|s| seq <= s) {
                continue;
            }
            if let Some((added, _)) = delta_run(&delta, term) {
                n = n.saturating_add(*added);
            }
        }
        Ok(n)
    }

    /// Calls `f` on every run of a word's postings, oldest commit first, until it returns
    /// `false`: the runs of the compacted `W` segments, then those of the deltas newer than
    /// the word's newest segment (older ones are in it: a compaction interrupted by a crash
    /// deletes its deltas last).
    pub(crate) fn term_runs(
        &self,
        term: &str,
        mut f: impl FnMut(PostingRun) -> bool,
    ) -> Result<(), StoreError> {
        let mut newest = None;
        for r in self.backend.scan_prefix(&term_prefix(term)) {
            let (k, v) = r?;
            newest = Some(ingest::key_number(&k)?);
            let (_, runs): TermSegment = decode("posting list", &v)?;
            for run in runs {
                if !f(run) {
                    return Ok(());
                }
            }
        }
        for (seq, delta) in self.term_deltas()? {
            if newest.is_some_and(|s| seq <= s) {
                continue;
            }
            if let Some(run) = delta_run(&delta, term) {
                if !f(run.clone()) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The term deltas not compacted yet, with their commit numbers, oldest first. There are
    /// none once an ingest has finished (its last commit compacts them), so this is one empty
    /// scan in the usual case.
    fn term_deltas(&self) -> Result<Vec<(u64, TermDelta)>, StoreError> {
        self.backend
            .scan_prefix(&[prefix::DELTA])
            .map(|r| r.and_then(|(k, v)| Ok((ingest::key_number(&k)?, decode("term delta", &v)?))))
            .collect()
    }

    /// Every distinct wording of a cluster, in [`wording_hash`] order: an order that does not
    /// depend on which wording came first.
    pub fn variants(&self, cluster: ClusterId) -> Result<Vec<Variant>, StoreError> {
        Ok(self
            .cluster(cluster)?
            .map(|c| sorted_wordings(c.wordings))
            .unwrap_or_default())
    }

    pub(crate) fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }
}

impl Drop for Store {
    /// Waits for a commit in flight: its writer thread holds the backend, and a store closed
    /// and reopened in the same process must not find it still locked. A failure here was
    /// never reported as done, so it loses nothing a caller was told is stored.
    fn drop(&mut self) {
        let _ = self.wait_for_commit();
    }
}

/// A word's run in a delta (sorted by word).
fn delta_run<'d>(delta: &'d TermDelta, term: &str) -> Option<&'d PostingRun> {
    delta
        .binary_search_by(|(t, _)| t.as_str().cmp(term))
        .ok()
        .map(|i| &delta[i].1)
}

pub(crate) fn sorted_wordings(mut w: Vec<Variant>) -> Vec<Variant> {
    w.sort_by_cached_key(|v| (wording_hash(&v.wording), v.wording.clone()));
    w
}

pub(crate) fn kind_name(k: crate::parse::QuoteKind) -> &'static str {
    match k {
        crate::parse::QuoteKind::Full => "full",
        crate::parse::QuoteKind::Partial => "partial",
        crate::parse::QuoteKind::Term => "term",
    }
}

pub(crate) fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

pub(crate) fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?.to_lowercase();
    let host = host.trim_start_matches("www.").to_owned();
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests;
