//! The provenance store: every quote ever ingested, grouped into clusters of one statement,
//! with where and when each outlet carried it and whom it credited.
//!
//! # Example
//!
//! ```
//! use quotetrace::article::{Article, Meta};
//! use quotetrace::parse::{Quote, QuoteKind, Span};
//! use quotetrace::store::Store;
//!
//! let mut store = Store::in_memory();
//! let article = Article {
//!     id: "a.txt".into(),
//!     meta: Meta { outlet: Some("Al Jazeera".into()), published: Some("2025-11-12".into()), ..Meta::default() },
//!     body: "“We will not back down,” Petro wrote.".into(),
//! };
//! let quote = Quote {
//!     quote: Span { start: 3, end: 25, text: "We will not back down,".into() },
//!     kind: QuoteKind::Full, speaker: None, cue: None, channel: None, credits: vec![],
//! };
//! let report = store.ingest_article(&article, &[quote]).unwrap();
//! assert_eq!(report.new_clusters, 1);
//! store.flush().unwrap();
//! let hits = store.lookup("we will not bakc down", 5).unwrap();
//! assert_eq!(hits[0].cluster, report.clusters[0]);
//! ```
//!
//! # Schema (version 1)
//!
//! One ordered key space. The first byte of a key names the record kind; values are
//! `postcard`-encoded structs from [`records`]. Integers in keys are big-endian so that keys sort
//! numerically.
//!
//! | key | value | what |
//! |---|---|---|
//! | `M schema` | u32 BE | schema version; a store without it, or with another version, is refused |
//! | `M next_cluster`, `M cluster_count` | u64 BE | counters |
//! | `A` article-id(16) | [`ArticleRec`] | article: id = first 16 bytes of SHA-256(outlet key, NUL, body), outlet, url, published, title, lang |
//! | `O` outlet-key | [`OutletRec`] | outlet: display name, aliases, domains |
//! | `C` cluster-id(8) | [`ClusterRec`] | cluster: canonical wording, speakers, matcher representatives |
//! | `Y` cluster-id wording-hash(8) probe(1) | [`Variant`] | every distinct wording of a cluster, with its count |
//! | `Q` cluster-id article-id start(4) | [`OccurrenceRec`] | occurrence: wording, span, kind, speaker, cue, channel, credits |
//! | `E` from 0 to 0 article-id start index(2) | [`CreditEdgeRec`] | one edge per explicit credit |
//! | `K` matcher-key(8) cluster-id | empty | candidate index for clustering (`matcher::index_keys`) |
//! | `W` term 0 cluster-id | empty | lookup index: folded word → clusters using it |
//! | `V` term | u32 BE | lookup vocabulary: number of clusters using the word |
//! | `X` exact-hash(8) cluster-id | empty | clusters holding a wording with these folded words |
//! | `T` term-id(8) | u32 BE | matcher term statistics (document frequency); `M stats_docs` holds N |
//!
//! Provenance (first carrier, credits, chains) is not stored: it is derived from occurrences
//! and article dates when asked for (see [`crate::provenance`]), which is why the answers do not
//! depend on the order articles were ingested in.
//!
//! # Writes
//!
//! Every record of one article goes in one atomic batch, so after a crash an article is either
//! whole or absent. [`Store::ingest_article`] applies the batch; [`Store::flush`] makes it durable.
//! A caller reports articles as done only after a flush (the CLI flushes per group of articles:
//! group commit, because one fsync per article would cost more than all the other work).
//! Re-ingesting an article (same outlet and body) changes nothing.
//!
//! Only one process may open a store at a time; a second gets [`StoreError::Locked`].

pub mod backend;
pub mod lookup;
pub mod matching;
pub mod records;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::article::Article;
use crate::matcher::{self, Prepared, TermStats};
use crate::parse::Quote;

pub use backend::{Backend, MemBackend, SledBackend, WriteBatch};
pub use lookup::LookupHit;
pub use records::*;

/// Distinct speaker names counted per cluster.
const MAX_SPEAKERS: usize = 32;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

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
    backend: Box<dyn Backend>,
    path: Option<PathBuf>,
    next_cluster: ClusterId,
    cluster_count: u64,
    /// The matcher's term statistics, loaded on first ingest.
    stats: Option<TermStats>,
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

fn looks_like_domain(s: &str) -> bool {
    !s.contains(char::is_whitespace)
        && s.contains('.')
        && s.rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

fn alnum(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
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

fn u64_value(bytes: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("bad counter".into()))?;
    Ok(u64::from_be_bytes(arr))
}

/// Writes of one article, and reads that must see them before they are applied.
#[derive(Default)]
struct Pending {
    batch: WriteBatch,
    clusters: HashMap<ClusterId, ClusterRec>,
    new_keys: HashMap<u64, Vec<ClusterId>>,
    exact_new: HashMap<u64, Vec<ClusterId>>,
    terms: HashSet<(String, ClusterId)>,
    vocab: HashMap<String, u32>,
    stats_dirty: HashSet<u64>,
    variants: HashMap<Vec<u8>, Variant>,
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
        let next_cluster = match backend.get(META_NEXT_CLUSTER)? {
            Some(v) => u64_value(&v)?,
            None => 1,
        };
        let cluster_count = match backend.get(META_CLUSTER_COUNT)? {
            Some(v) => u64_value(&v)?,
            None => 0,
        };
        Ok(Store {
            backend,
            path,
            next_cluster,
            cluster_count,
            stats: None,
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Makes every ingested article durable. Report articles as done only after this returns.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.backend.flush()
    }

    pub fn size_on_disk(&self) -> Result<Option<u64>, StoreError> {
        self.backend.size_on_disk()
    }

    pub fn cluster_count(&self) -> u64 {
        self.cluster_count
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

    /// Every occurrence of a cluster, in key order (article id, then position).
    pub fn occurrences(&self, cluster: ClusterId) -> Result<Vec<OccurrenceRec>, StoreError> {
        self.backend
            .scan_prefix(&occurrence_prefix(cluster))
            .map(|r| r.and_then(|(_, v)| decode("occurrence", &v)))
            .collect()
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
        Ok(Counts {
            articles: count(prefix::ARTICLE)?,
            outlets: count(prefix::OUTLET)?,
            clusters: count(prefix::CLUSTER)?,
            occurrences: count(prefix::OCCURRENCE)?,
            credit_edges: count(prefix::CREDIT_EDGE)?,
        })
    }

    /// Checks that every article is whole: each has exactly the occurrences it was written
    /// with, and every occurrence belongs to a stored article and cluster. Returns the problems
    /// found (none in a sound store).
    pub fn check(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        let mut per_article: HashMap<ArticleId, u32> = HashMap::new();
        let mut clusters_seen: HashSet<ClusterId> = HashSet::new();
        for r in self.backend.scan_prefix(&[prefix::OCCURRENCE]) {
            let (_, v) = r?;
            let occ: OccurrenceRec = decode("occurrence", &v)?;
            *per_article.entry(occ.article).or_default() += 1;
            if clusters_seen.insert(occ.cluster) && self.cluster(occ.cluster)?.is_none() {
                problems.push(format!(
                    "cluster {} has occurrences but no record",
                    occ.cluster
                ));
            }
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

    /// Adds one article and its quotes as one atomic batch. Call [`Store::flush`] before
    /// reporting it done. An article already present is left as it is.
    pub fn ingest_article(
        &mut self,
        article: &Article,
        quotes: &[Quote],
    ) -> Result<IngestReport, StoreError> {
        let id = article_id(article);
        let mut report = IngestReport {
            article: id,
            ..IngestReport::default()
        };
        if self.has_article(&id)? {
            report.already_present = true;
            return Ok(report);
        }
        if self.stats.is_none() {
            self.stats = Some(self.load_term_stats()?);
        }
        let mut pending = Pending::default();
        let outlet = match &article.meta.outlet {
            Some(raw) if !outlet_key(raw).is_empty() => {
                Some(self.note_outlet(raw, article.meta.url.as_deref(), &mut pending)?)
            }
            _ => None,
        };
        let next_before = self.next_cluster;
        let mut seen_starts = HashSet::new();
        for q in quotes {
            let wording = q.quote.text.trim();
            if lookup::terms(wording).is_empty() || !seen_starts.insert(q.quote.start) {
                continue;
            }
            let speaker = q.speaker.as_ref().map(|s| s.name.as_str());
            let cluster =
                self.assign(wording, article.meta.lang.as_deref(), speaker, &mut pending)?;
            let start = q.quote.start as u32;
            let credits: Vec<CreditRec> = q
                .credits
                .iter()
                .map(|c| CreditRec {
                    outlet: c.outlet.clone(),
                    outlet_key: outlet_key(&c.outlet),
                    phrase: c.phrase.clone(),
                    start: c.start as u32,
                    end: c.end as u32,
                })
                .collect();
            for (i, c) in credits.iter().enumerate() {
                let edge = CreditEdgeRec {
                    from: outlet.clone(),
                    to: c.outlet_key.clone(),
                    cluster,
                    article: id,
                    phrase: c.phrase.clone(),
                };
                pending.batch.put(
                    credit_edge_key(outlet.as_deref(), &c.outlet_key, &id, start, i as u16),
                    encode(&edge),
                );
            }
            let span = |s: &crate::parse::Span| SpanRec {
                start: s.start as u32,
                end: s.end as u32,
                text: s.text.clone(),
            };
            let occ = OccurrenceRec {
                cluster,
                article: id,
                quote: SpanRec {
                    start,
                    end: q.quote.end as u32,
                    text: wording.to_owned(),
                },
                kind: kind_name(q.kind).to_owned(),
                speaker: speaker.map(str::to_owned),
                speaker_mention: q.speaker.as_ref().map(|s| span(&s.mention)),
                cue: q.cue.as_ref().map(span),
                channel: q.channel.as_ref().map(span),
                credits,
            };
            pending
                .batch
                .put(occurrence_key(cluster, &id, start), encode(&occ));
            report.quotes += 1;
            report.clusters.push(cluster);
        }
        report.new_clusters = (self.next_cluster - next_before) as usize;
        let rec = ArticleRec {
            id,
            source: article.id.clone(),
            outlet,
            url: article.meta.url.clone(),
            published: article.meta.published.clone(),
            title: article.meta.title.clone(),
            lang: article.meta.lang.clone(),
            occurrences: report.quotes as u32,
        };
        let Pending {
            mut batch,
            clusters,
            vocab,
            stats_dirty,
            variants,
            ..
        } = pending;
        for (k, v) in &variants {
            batch.put(k.clone(), encode(v));
        }
        for (cid, c) in &clusters {
            batch.put(cluster_key(*cid), encode(c));
        }
        if let Some(stats) = &self.stats {
            for t in stats_dirty {
                batch.put(term_stats_key(t), stats.df(t).to_be_bytes().to_vec());
            }
            batch.put(
                META_STATS_DOCS.to_vec(),
                stats.docs().to_be_bytes().to_vec(),
            );
        }
        for (term, n) in vocab {
            batch.put(vocab_key(&term), n.to_be_bytes().to_vec());
        }
        let new_count = self.cluster_count + report.new_clusters as u64;
        batch.put(
            META_NEXT_CLUSTER.to_vec(),
            self.next_cluster.to_be_bytes().to_vec(),
        );
        batch.put(
            META_CLUSTER_COUNT.to_vec(),
            new_count.to_be_bytes().to_vec(),
        );
        batch.put(article_key(&id), encode(&rec));
        if let Err(e) = self.backend.apply(batch) {
            // Nothing of this article landed: give back the cluster numbers it took, and let
            // the statistics be reloaded from what is stored.
            self.next_cluster = next_before;
            self.stats = None;
            return Err(e);
        }
        self.cluster_count = new_count;
        Ok(report)
    }

    fn note_outlet(
        &self,
        raw: &str,
        url: Option<&str>,
        pending: &mut Pending,
    ) -> Result<String, StoreError> {
        let key = outlet_key(raw);
        let raw = raw.trim().to_owned();
        let is_domain = looks_like_domain(&raw.to_lowercase());
        let mut rec = self.outlet(&key)?.unwrap_or_else(|| OutletRec {
            key: key.clone(),
            name: raw.clone(),
            aliases: vec![],
            domains: vec![],
            articles: 0,
        });
        rec.articles += 1;
        if is_domain {
            push_unique(&mut rec.domains, raw.to_lowercase());
        } else if looks_like_domain(&rec.name.to_lowercase()) {
            // A real name beats a domain as the name shown.
            let old = std::mem::replace(&mut rec.name, raw.clone());
            push_unique(&mut rec.domains, old.to_lowercase());
        } else if rec.name != raw {
            push_unique(&mut rec.aliases, raw.clone());
        }
        if let Some(host) = url.and_then(url_host) {
            if outlet_key(&host) == key {
                push_unique(&mut rec.domains, host);
            }
        }
        pending.batch.put(outlet_rec_key(&key), encode(&rec));
        Ok(key)
    }

    /// Loads the matcher's term statistics, persisted under `T`.
    fn load_term_stats(&self) -> Result<TermStats, StoreError> {
        // TermStats only grows through `observe`; rebuild it through its serde form.
        #[derive(serde::Serialize)]
        struct Raw {
            docs: u64,
            df: HashMap<u64, u32>,
        }
        let docs = match self.backend.get(META_STATS_DOCS)? {
            Some(v) => u64_value(&v)?,
            None => 0,
        };
        let mut df = HashMap::new();
        for r in self.backend.scan_prefix(&[prefix::TERM_STATS]) {
            let (k, v) = r?;
            let id =
                trailing_cluster(&k).ok_or_else(|| StoreError::Corrupt("bad term key".into()))?;
            df.insert(id, be_u32(&v)?);
        }
        let json = serde_json::to_value(Raw { docs, df })
            .map_err(|e| StoreError::Corrupt(format!("term statistics: {e}")))?;
        serde_json::from_value(json)
            .map_err(|e| StoreError::Corrupt(format!("term statistics: {e}")))
    }

    fn load_cluster(
        &self,
        id: ClusterId,
        pending: &Pending,
    ) -> Result<Option<ClusterRec>, StoreError> {
        if let Some(c) = pending.clusters.get(&id) {
            return Ok(Some(c.clone()));
        }
        self.cluster(id)
    }

    /// Finds the cluster of a new wording, or starts one, and records the wording in it.
    /// The decision is `matcher::Clusterer`'s (see [`matching`]).
    fn assign(
        &mut self,
        wording: &str,
        lang: Option<&str>,
        speaker: Option<&str>,
        pending: &mut Pending,
    ) -> Result<ClusterId, StoreError> {
        let p = matcher::prepare(wording, lang, speaker);
        let mut stats = self.stats.take().unwrap_or_default();
        stats.observe(&p);
        pending.stats_dirty.extend(p.set.iter().copied());
        let chosen = self.choose(&p, &stats, pending);
        self.stats = Some(stats);
        let chosen = chosen?;

        let (cid, mut rec) = match chosen {
            Some(cid) => {
                let rec = self
                    .load_cluster(cid, pending)?
                    .ok_or_else(|| StoreError::Corrupt(format!("cluster {cid} vanished")))?;
                (cid, rec)
            }
            None => {
                let cid = self.next_cluster;
                self.next_cluster += 1;
                (
                    cid,
                    ClusterRec {
                        id: cid,
                        canonical: wording.to_owned(),
                        lang: lang.map(str::to_owned),
                        speakers: vec![],
                        variants: 0,
                        canonical_content: 0,
                        occurrences: 0,
                        reps: vec![],
                        canonical_rep: 0,
                        speaker_keys: vec![],
                    },
                )
            }
        };
        rec.occurrences += 1;
        if let Some(s) = speaker {
            let full = rec.speakers.len() >= MAX_SPEAKERS;
            match rec.speakers.iter_mut().find(|(n, _)| n == s) {
                Some((_, n)) => *n += 1,
                // Bounded: the record is rewritten on every occurrence.
                None if !full => rec.speakers.push((s.to_owned(), 1)),
                None => {}
            }
        }
        let content = p.content;
        let (vkey, mut variant) = self.load_variant(cid, wording, pending)?;
        let new_variant = variant.is_none();
        match &mut variant {
            Some(v) => v.count += 1,
            None => {
                rec.variants += 1;
                variant = Some(Variant {
                    wording: wording.to_owned(),
                    count: 1,
                    content,
                });
            }
        }
        pending.variants.insert(vkey, variant.expect("set above"));
        if rec.occurrences == 1 || is_better_canonical((content, wording), &rec) {
            rec.canonical = wording.to_owned();
            rec.canonical_content = content;
        }
        let exact = p.exact;
        let exact_posted = pending
            .exact_new
            .get(&exact)
            .is_some_and(|v| v.contains(&cid))
            || self.backend.contains(&exact_key(exact, cid))?;
        if !exact_posted {
            pending.batch.put(exact_key(exact, cid), Vec::new());
            pending.exact_new.entry(exact).or_default().push(cid);
        }
        for k in matching::add_rep(&mut rec, p) {
            let posted = pending.new_keys.get(&k).is_some_and(|v| v.contains(&cid));
            if !posted && !self.backend.contains(&match_key(k, cid))? {
                pending.batch.put(match_key(k, cid), Vec::new());
                pending.new_keys.entry(k).or_default().push(cid);
            }
        }
        if new_variant {
            for term in lookup::terms(wording) {
                if pending.terms.contains(&(term.clone(), cid)) {
                    continue;
                }
                let key = term_key(&term, cid);
                if self.backend.contains(&key)? {
                    continue;
                }
                pending.batch.put(key, Vec::new());
                let df = match pending.vocab.get(&term) {
                    Some(n) => *n,
                    None => self.vocab_df(&term)?,
                };
                pending.vocab.insert(term.clone(), df + 1);
                pending.terms.insert((term, cid));
            }
        }
        pending.clusters.insert(cid, rec);
        Ok(cid)
    }

    /// The cluster `p` joins, if any.
    fn choose(
        &self,
        p: &Prepared,
        stats: &TermStats,
        pending: &Pending,
    ) -> Result<Option<ClusterId>, StoreError> {
        // Identical folded words: only the speaker constraint is left to check.
        let mut exact: Vec<ClusterId> = Vec::new();
        for r in self.backend.scan_prefix(&exact_prefix(p.exact)) {
            exact.extend(trailing_cluster(&r?.0));
        }
        exact.extend(pending.exact_new.get(&p.exact).into_iter().flatten());
        for cid in exact {
            if let Some(c) = self.load_cluster(cid, pending)? {
                if matching::speaker_ok(&c, p) {
                    return Ok(Some(cid));
                }
            }
        }
        let mut score: HashMap<ClusterId, f32> = HashMap::new();
        for k in matcher::query_keys(p, stats, matching::QUERY_KEYS) {
            let w = stats.weight(k);
            let fresh = pending.new_keys.get(&k).map(Vec::as_slice).unwrap_or(&[]);
            for &c in fresh.iter().rev().take(matching::POSTING_CAP) {
                *score.entry(c).or_insert(0.0) += w;
            }
            let room = matching::POSTING_CAP.saturating_sub(fresh.len());
            for r in self
                .backend
                .scan_prefix_rev(&match_key_prefix(k))
                .take(room)
            {
                if let Some(c) = trailing_cluster(&r?.0) {
                    *score.entry(c).or_insert(0.0) += w;
                }
            }
        }
        let mut ranked: Vec<(ClusterId, f32)> = score.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(matching::CANDIDATES);
        let mut best: Option<(ClusterId, f32)> = None;
        for (cid, _) in ranked {
            let Some(c) = self.load_cluster(cid, pending)? else {
                continue;
            };
            if let Some(s) = matching::join_score(&c, p, stats) {
                if best.is_none_or(|(_, b)| s > b) {
                    best = Some((cid, s));
                }
            }
        }
        Ok(best.map(|(c, _)| c))
    }

    /// In how many clusters a lookup term occurs.
    pub fn vocab_df(&self, term: &str) -> Result<u32, StoreError> {
        Ok(match self.backend.get(&vocab_key(term))? {
            Some(v) => v
                .as_slice()
                .try_into()
                .map(u32::from_be_bytes)
                .map_err(|_| StoreError::Corrupt("bad vocabulary count".into()))?,
            None => 0,
        })
    }

    /// Every distinct wording of a cluster.
    pub fn variants(&self, cluster: ClusterId) -> Result<Vec<Variant>, StoreError> {
        self.backend
            .scan_prefix(&variant_prefix(cluster))
            .map(|r| r.and_then(|(_, v)| decode("variant", &v)))
            .collect()
    }

    /// The stored (or pending) record of one wording of a cluster, with its key.
    fn load_variant(
        &self,
        cluster: ClusterId,
        wording: &str,
        pending: &Pending,
    ) -> Result<(Vec<u8>, Option<Variant>), StoreError> {
        for probe in 0..=u8::MAX {
            let key = variant_key(cluster, wording, probe);
            let found = match pending.variants.get(&key) {
                Some(v) => Some(v.clone()),
                None => self
                    .backend
                    .get(&key)?
                    .map(|v| decode::<Variant>("variant", &v))
                    .transpose()?,
            };
            match found {
                Some(v) if v.wording != wording => continue,
                other => return Ok((key, other)),
            }
        }
        Err(StoreError::Corrupt(format!(
            "cluster {cluster}: too many wordings share one hash"
        )))
    }

    pub(crate) fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }
}

/// Most content words wins, then the longest, so partial quotes read as fragments of the
/// canonical one; last ties go to the smaller string, so the canonical wording does not depend
/// on ingest order.
fn is_better_canonical((content, wording): (u32, &str), rec: &ClusterRec) -> bool {
    let key = |c: u32, w: &str| (c, w.chars().count());
    let (a, b) = (
        key(content, wording),
        key(rec.canonical_content, &rec.canonical),
    );
    a > b || (a == b && wording < rec.canonical.as_str())
}

fn be_u32(v: &[u8]) -> Result<u32, StoreError> {
    v.try_into()
        .map(u32::from_be_bytes)
        .map_err(|_| StoreError::Corrupt("bad counter".into()))
}

fn kind_name(k: crate::parse::QuoteKind) -> &'static str {
    match k {
        crate::parse::QuoteKind::Full => "full",
        crate::parse::QuoteKind::Partial => "partial",
        crate::parse::QuoteKind::Term => "term",
    }
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?.to_lowercase();
    let host = host.trim_start_matches("www.").to_owned();
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests;
