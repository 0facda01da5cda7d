//! Writing articles: staging, clustering, and the atomic commit.
//!
//! Articles are staged in memory ([`Pending`]) and written by [`Store::commit`] as one atomic
//! batch holding every record of every staged article, then flushed. So an article is either
//! wholly in the store or not at all, and its index entries are merged with those of the other
//! staged articles: a popular cluster or a common word is written once per commit, not once per
//! article.
//!
//! # Clustering that does not depend on arrival order
//!
//! The store's match graph links two wordings when [`matching::linked`] says so: a decision on
//! the two wordings alone (fixed term weights, no statistics of the rest of the store). The
//! graph is therefore a function of the set of stored quotes, and so are its connected
//! components. Every component is clustered by [`matching::cluster_component`], which visits
//! its quotes in a fixed order (most content words first, then by wording), never in arrival
//! order, with the matcher's complete-link rule (no chaining: A~B and B~C do not put A and C
//! together unless C matches all of the cluster's representatives).
//!
//! When a quote arrives, the clusters it links to are found through the candidate index
//! ([`Session::keys`], [`Session::exact`]); their components and the new quote make one new
//! component, which is clustered again from scratch, and its clusters replace the old ones in
//! the same commit. A cluster's id is derived from its first quote in that order
//! ([`matching::seed_id`]), so ids do not depend on arrival either (they change when a longer
//! rendering of the statement arrives). Components of more than [`COMPONENT_OCCURRENCES`]
//! occurrences or [`COMPONENT_WORDINGS`] wordings are not clustered again: a quote joins one
//! of them as `matcher::Clusterer` would (its best cluster, or a new one), which can depend
//! on arrival order. So can candidate retrieval beyond its bounds (a key's newest
//! [`matching::POSTING_CAP`] postings, [`NEIGHBOUR_CANDIDATES`] candidates,
//! [`VARIANTS_COMPARED`] wordings each); a set of quotes that stays within the bounds clusters
//! the same in every order.
//!
//! Index records are never rewritten as they grow, because sled is log-structured: rewriting a
//! growing posting list on every commit multiplies the bytes written and the size on disk. A
//! commit's postings are written once in its delta, and once more when
//! [`DELTAS_PER_COMPACTION`] deltas are compacted into per-word segments (see
//! [`compact_deltas`]); a segment is never rewritten. A posting of a cluster that was later
//! replaced is left in place; lookup skips it. The indexes clustering reads on every quote are
//! loaded into memory once per ingest session ([`Session`]); lookups never load them.

use std::collections::{BTreeMap, HashMap, HashSet};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::article::Article;
use crate::matcher::{self, Prepared};
use crate::parse::Quote;

use super::records::*;
use super::{
    article_id, kind_name, looks_like_domain, lookup, matching, outlet_key, push_unique, url_host,
    IngestReport, Store, StoreError, WriteBatch,
};

/// Occurrences beyond which a component is no longer clustered again as a whole.
pub const COMPONENT_OCCURRENCES: u32 = 1_000;
/// Distinct wordings beyond which a component is no longer clustered again as a whole.
pub const COMPONENT_WORDINGS: u32 = 64;
/// Candidate clusters whose wordings are compared with a new quote.
pub const NEIGHBOUR_CANDIDATES: usize = 32;
/// Wordings of one candidate cluster compared with a new quote.
pub const VARIANTS_COMPARED: usize = 24;
/// Cluster records kept in memory during an ingest besides the staged ones. Which clusters
/// are cached changes only the speed, never a decision.
pub(crate) const CACHE_CLUSTERS: usize = 4_000;
/// Commits whose lookup postings wait in one `D` record each before they are compacted into
/// `W` segments. Posting one key per word per commit was 62% of the keys an ingest wrote and
/// 60% of the writer thread's time on 8,000 AllSides articles (sled's cost is per key: each
/// write copies a tree node); a word used in several of the commits of a compaction gets one
/// key for all of them. Lookups read the deltas too, so nothing is missing in between.
pub(crate) const DELTAS_PER_COMPACTION: u64 = 32;
/// `W` segments written per batch of a compaction. A batch is held in memory twice while it
/// is applied (as the batch and as its journal, see `SledBackend`), so a compaction of
/// 30,000 keys is written in pieces of this size rather than in one.
const COMPACTION_BATCH: usize = 4_096;

/// Cluster ids, one of them without an allocation: most wordings are in one cluster, and most
/// components are one cluster.
pub(crate) type Ids = smallvec::SmallVec<[ClusterId; 1]>;

/// A connected component of the match graph, as the session tracks it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Component {
    pub clusters: Ids,
    pub occurrences: u32,
    pub wordings: u32,
}

impl Component {
    fn too_big(&self) -> bool {
        self.occurrences > COMPONENT_OCCURRENCES || self.wordings > COMPONENT_WORDINGS
    }
}

/// What clustering reads on every quote, loaded once per ingest session.
pub(crate) struct Session {
    /// Matcher key of any wording → slots of the clusters holding it, oldest first, at most
    /// [`matching::POSTING_CAP`].
    pub keys: FxHashMap<u64, Vec<u32>>,
    /// Every indexed cluster has a slot, a small number reused once the cluster is replaced,
    /// so that postings take 4 bytes and a candidate's score is an array cell, not a hash
    /// table entry (scoring candidates was a fifth of the clustering thread's time).
    pub slot_of: FxHashMap<ClusterId, u32>,
    /// Slot → cluster (0: free).
    pub slots: Vec<ClusterId>,
    pub free_slots: Vec<u32>,
    /// Exact-wording hash → clusters (almost always one, kept inline).
    pub exact: FxHashMap<u64, Ids>,
    /// Cluster → its component.
    pub component_of: FxHashMap<ClusterId, u64>,
    pub components: FxHashMap<u64, Component>,
    pub next_component: u64,
    /// Committed cluster records read recently, with when they were last used.
    pub cache: FxHashMap<ClusterId, (ClusterRec, u64)>,
    /// By slot: the decision's view of the first [`VARIANTS_COMPARED`] wordings of every
    /// cluster, so that comparing a candidate never reads its record (reading records back
    /// from sled was a third of the clustering thread's time when only the views of recent
    /// clusters were kept).
    pub views: Vec<matching::Packed>,
    /// The numbering of terms in `views`.
    pub numbers: matching::TermNumbers,
    pub tick: u64,
    /// Lookup vocabulary: every word with a `V` record (stored or staged).
    pub vocab: FxHashSet<String>,
    /// [`wording_key`] of every stored or staged wording.
    pub wordings_seen: FxHashSet<u64>,
    /// [`quote_key`] of every stored or staged distinct quote: a quote not in it is new to
    /// every cluster, and no record needs reading to find that out.
    pub quotes_seen: FxHashSet<u64>,
    /// By slot: candidate scores of the quote being placed (shared keys, weight), valid when
    /// stamped with `stamp`.
    pub scores: Vec<(u32, u32, f32)>,
    pub stamp: u32,
    /// Every stored or staged article, and the newest record of every stored or staged
    /// outlet: staging reads them for every article. (When the backend still used sled
    /// batches, each such read waited for the whole commit being applied, about a tenth of
    /// the staging thread's time on 8,000 AllSides articles; see `SledBackend`.)
    pub articles: FxHashSet<ArticleId>,
    pub outlets: FxHashMap<String, OutletRec>,
    /// Buffers of candidate retrieval, kept between quotes.
    pub qualified: Vec<u32>,
    pub ranked: Vec<(u32, f32, u32)>,
}

/// One quote being placed in a cluster.
struct Quoted<'a> {
    wording: &'a str,
    lang: Option<&'a str>,
    speaker: Option<&'a str>,
    /// Its article and start: where the cluster finds the occurrence.
    at: (ArticleId, u32),
    facts: matching::QuoteFacts,
}

/// A commit being written by a writer thread.
pub(crate) struct InFlight {
    /// What staging reads of it until it is stored.
    shared: std::sync::Arc<Shipped>,
    /// `Err`: the commit failed. `Ok(Some(_))`: the commit is durable, but compacting the
    /// term deltas after it failed.
    handle: std::thread::JoinHandle<Result<Option<StoreError>, StoreError>>,
    /// What to roll back to if it fails: the cluster and wording counts.
    counts_before: (u64, u64),
    commits_before: u64,
    deltas_before: u64,
}

/// The records of a commit in flight that staging may read before they are stored.
struct Shipped {
    articles: HashSet<ArticleId>,
    clusters: HashMap<ClusterId, ClusterRec>,
    deleted: HashSet<ClusterId>,
    outlets: HashMap<String, OutletRec>,
}

/// The rest of a commit in flight, which only the writer thread reads.
struct Payload {
    puts: BTreeMap<Vec<u8>, Vec<u8>>,
    terms: FxHashMap<String, Vec<ClusterId>>,
    /// Distinct wordings each word gained in this commit.
    added: FxHashMap<String, u32>,
    /// Words new to the vocabulary.
    new_words: Vec<String>,
    seq: u64,
    cluster_count: u64,
    wording_count: u64,
    /// Compact the term deltas once this commit is durable.
    compact: bool,
}

/// Compacts every stored term delta into `W` segments numbered as the newest delta, and
/// deletes the deltas: in several batches (see [`COMPACTION_BATCH`]), so a crash can leave a
/// compaction half done. That loses nothing and counts nothing twice, because a word's delta
/// runs up to the number of its newest segment are in that segment: lookup skips them
/// ([`Store::term_runs`]), and so does the next compaction.
///
/// The deltas are merged word by word as they are decoded (each is sorted by word), so a
/// compaction holds the encoded deltas and one batch, not every posting of its commits decoded
/// at once.
pub(crate) fn compact_deltas(backend: &dyn super::Backend) -> Result<(), StoreError> {
    let mut deltas: Vec<(Vec<u8>, u64, Vec<u8>)> = Vec::new();
    for r in backend.scan_prefix(&[prefix::DELTA]) {
        let (k, v) = r?;
        let seq = key_number(&k)?;
        deltas.push((k, seq, v));
    }
    let Some(&(_, seq, _)) = deltas.last() else {
        return Ok(());
    };
    let mut heads: Vec<DeltaReader<'_>> = deltas
        .iter()
        .map(|(_, s, v)| DeltaReader::new(*s, v))
        .collect::<Result<_, _>>()?;
    let mut batch = WriteBatch::default();
    // The smallest word at the head of any delta; the deltas are in commit order.
    while let Some(term) = heads
        .iter()
        .filter_map(|h| h.head.as_ref().map(|(t, _)| t))
        .min()
        .cloned()
    {
        let done = match backend.scan_prefix_rev(&term_prefix(&term)).next() {
            Some(r) => Some(key_number(&r?.0)?),
            None => None,
        };
        let mut runs: Vec<PostingRun> = Vec::new();
        for h in &mut heads {
            if h.head.as_ref().is_some_and(|(t, _)| *t == term) {
                let (_, run) = h.advance()?.expect("the head was checked");
                if done.is_none_or(|d| h.seq > d) {
                    runs.push(run);
                }
            }
        }
        if runs.is_empty() {
            continue;
        }
        let total = runs.iter().fold(0u32, |n, r| n.saturating_add(r.0));
        batch.put(term_key(&term, seq), encode(&(total, runs)));
        if batch.len() >= COMPACTION_BATCH {
            backend.apply(std::mem::take(&mut batch))?;
        }
    }
    drop(heads);
    for (k, _, _) in deltas {
        batch.delete(k);
    }
    backend.apply(batch)?;
    backend.flush()
}

/// Reads an encoded [`TermDelta`] one word at a time.
struct DeltaReader<'a> {
    seq: u64,
    head: Option<(String, PostingRun)>,
    rest: &'a [u8],
    left: u64,
}

impl<'a> DeltaReader<'a> {
    fn new(seq: u64, bytes: &'a [u8]) -> Result<Self, StoreError> {
        // postcard writes a sequence as its length (a varint) and then its elements.
        let (left, rest): (u64, &[u8]) = postcard::take_from_bytes(bytes)
            .map_err(|e| StoreError::Corrupt(format!("bad term delta: {e}")))?;
        let mut r = DeltaReader {
            seq,
            head: None,
            rest,
            left,
        };
        r.advance()?;
        Ok(r)
    }

    /// Returns the head and reads the next word.
    fn advance(&mut self) -> Result<Option<(String, PostingRun)>, StoreError> {
        let next = if self.left == 0 {
            None
        } else {
            let (item, rest): ((String, PostingRun), &[u8]) = postcard::take_from_bytes(self.rest)
                .map_err(|e| StoreError::Corrupt(format!("bad term delta: {e}")))?;
            self.rest = rest;
            self.left -= 1;
            Some(item)
        };
        Ok(std::mem::replace(&mut self.head, next))
    }
}

/// The number at the end of a `W` or `D` key.
pub(crate) fn key_number(key: &[u8]) -> Result<u64, StoreError> {
    trailing_cluster(key).ok_or_else(|| StoreError::Corrupt("bad posting key".into()))
}

impl Payload {
    /// The one atomic batch of a commit. Encoding the cluster records happens here, on the
    /// writer thread.
    fn into_batch(self, shared: &Shipped) -> WriteBatch {
        let mut batch = WriteBatch::default();
        for (k, v) in self.puts {
            batch.put(k, v);
        }
        for cid in &shared.deleted {
            batch.delete(cluster_key(*cid));
        }
        for (cid, c) in &shared.clusters {
            batch.put(cluster_key(*cid), encode(c));
        }
        for (k, o) in &shared.outlets {
            batch.put(outlet_rec_key(k), encode(o));
        }
        // A word's run carries how many distinct wordings it gained with its postings, so that
        // the vocabulary count is not a record rewritten on every commit.
        let mut added = self.added;
        let mut own: BTreeMap<String, PostingRun> = BTreeMap::new();
        for (term, list) in self.terms {
            let n = added.remove(&term).unwrap_or(0);
            own.insert(term, (n, list));
        }
        for (term, n) in added {
            own.insert(term, (n, Vec::new()));
        }
        let own: TermDelta = own.into_iter().collect();
        batch.put(delta_key(self.seq), encode(&own));
        for term in &self.new_words {
            batch.put(vocab_key(term), Vec::new());
        }
        batch.put(META_COMMITS.to_vec(), self.seq.to_be_bytes().to_vec());
        batch.put(
            META_CLUSTER_COUNT.to_vec(),
            self.cluster_count.to_be_bytes().to_vec(),
        );
        batch.put(
            META_WORDINGS.to_vec(),
            self.wording_count.to_be_bytes().to_vec(),
        );
        batch
    }
}

/// Staged articles, and every read that must see them before they are committed.
#[derive(Default)]
pub(crate) struct Pending {
    pub articles: HashSet<ArticleId>,
    /// Write-once records: articles, occurrences, credit edges.
    pub puts: BTreeMap<Vec<u8>, Vec<u8>>,
    pub clusters: HashMap<ClusterId, ClusterRec>,
    /// Clusters replaced since the last commit.
    pub deleted: HashSet<ClusterId>,
    pub outlets: HashMap<String, OutletRec>,
    /// New lookup postings.
    pub terms: FxHashMap<String, Vec<ClusterId>>,
    /// Distinct wordings each word gained.
    pub vocab_added: FxHashMap<String, u32>,
    /// Words new to the vocabulary.
    pub new_words: Vec<String>,
    /// The cluster and wording counts before the first staged article, to roll back on
    /// failure.
    pub count_before: Option<(u64, u64)>,
    /// The article being staged, and the cluster of each of its quotes so far (by start).
    pub current: Option<(ArticleId, FxHashMap<u32, ClusterId>)>,
}

/// What tells distinct wordings apart for the lookup vocabulary: the text and its language.
fn wording_key(wording: &str, lang: Option<&str>) -> u64 {
    wording_hash(wording) ^ wording_hash(lang.unwrap_or("")).rotate_left(1)
}

/// What tells distinct quotes apart (as `matching::merge_items` does): wording, language,
/// speaker, day and kind, hashed.
fn quote_key(
    wording: &str,
    lang: Option<&str>,
    speaker: Option<&str>,
    day: Option<matcher::Day>,
    term: bool,
) -> u64 {
    let mut h = wording_key(wording, lang);
    for part in [
        wording_hash(speaker.unwrap_or("\u{0}none")),
        day.map_or(u64::MAX, |d| d as u64),
        u64::from(term),
    ] {
        h = (h ^ part).wrapping_mul(0x0100_0000_01b3).rotate_left(17);
    }
    h
}

/// The lookup words of a wording: its indexed folded words, each once.
fn wording_words(folded: &str, lang: Option<&str>) -> Vec<String> {
    words_of_terms(lookup::terms_of_folded(folded), lang)
}

/// [`wording_words`] given the folded words.
fn words_of_terms(terms: Vec<String>, lang: Option<&str>) -> Vec<String> {
    let lang = lang.unwrap_or("en");
    let mut words: Vec<String> = terms
        .into_iter()
        .filter(|t| lookup::indexed(t, lang))
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// The matcher keys of every wording of a cluster, each once: its distinct content terms
/// (all terms of a wording without any, as `matcher::index_keys`).
fn cluster_keys(c: &ClusterRec) -> Vec<u64> {
    let mut keys: Vec<u64> = Vec::new();
    for v in &c.wordings {
        if v.terms.iter().any(|&t| matcher::is_content(t)) {
            keys.extend(v.terms.iter().copied().filter(|&t| matcher::is_content(t)));
        } else {
            keys.extend(&v.terms);
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Trims a cache whose entries carry the tick of their last use back to its `keep` newest
/// once it has grown a fifth past that, so the sort of ticks is paid rarely.
fn keep_newest<V>(map: &mut FxHashMap<ClusterId, (V, u64)>, keep: usize) {
    if map.len() > keep + keep / 5 {
        let mut ticks: Vec<u64> = map.values().map(|(_, t)| *t).collect();
        let cut = ticks.len() - keep;
        let (_, &mut at, _) = ticks.select_nth_unstable(cut);
        map.retain(|_, (_, t)| *t >= at);
    }
}

fn remove_id<T: PartialEq + Copy>(map: &mut FxHashMap<u64, Vec<T>>, key: u64, id: T) {
    if let Some(list) = map.get_mut(&key) {
        list.retain(|&c| c != id);
        if list.is_empty() {
            map.remove(&key);
        }
    }
}

fn add_id<T: PartialEq + Copy>(map: &mut FxHashMap<u64, Vec<T>>, key: u64, id: T, cap: usize) {
    let list = map.entry(key).or_default();
    if !list.contains(&id) {
        list.push(id);
        if list.len() > cap {
            list.remove(0);
        }
    }
}

/// The filter's view of the wordings of a cluster that a new quote is compared with.
fn packed_view(c: &ClusterRec, numbers: &mut matching::TermNumbers) -> matching::Packed {
    let prepared: Vec<Prepared> = c
        .wordings
        .iter()
        .take(VARIANTS_COMPARED)
        .map(|v| matching::variant_prepared(v, None))
        .collect();
    matching::Packed::of(prepared.iter(), numbers)
}

impl Session {
    /// Indexes a cluster record for candidate retrieval.
    fn index(&mut self, c: &ClusterRec) {
        let slot = match self.slot_of.get(&c.id) {
            Some(&slot) => slot,
            None => {
                let slot = self.free_slots.pop().unwrap_or_else(|| {
                    self.slots.push(0);
                    self.views.push(matching::Packed::default());
                    self.scores.push((0, 0, 0.0));
                    self.slots.len() as u32 - 1
                });
                self.slot_of.insert(c.id, slot);
                self.slots[slot as usize] = c.id;
                slot
            }
        };
        self.views[slot as usize] = packed_view(c, &mut self.numbers);
        for k in cluster_keys(c) {
            add_id(&mut self.keys, k, slot, matching::POSTING_CAP);
        }
        for v in &c.wordings {
            let list = self.exact.entry(v.exact).or_default();
            if !list.contains(&c.id) {
                list.push(c.id);
            }
        }
        self.component_of.insert(c.id, c.component);
    }

    fn unindex(&mut self, c: &ClusterRec) {
        if let Some(slot) = self.slot_of.remove(&c.id) {
            for k in cluster_keys(c) {
                remove_id(&mut self.keys, k, slot);
            }
            self.slots[slot as usize] = 0;
            self.views[slot as usize] = matching::Packed::default();
            self.free_slots.push(slot);
        }
        for v in &c.wordings {
            if let Some(list) = self.exact.get_mut(&v.exact) {
                list.retain(|x| *x != c.id);
                if list.is_empty() {
                    self.exact.remove(&v.exact);
                }
            }
        }
        self.component_of.remove(&c.id);
        self.cache.remove(&c.id);
    }

    fn remember(&mut self, c: ClusterRec) {
        self.tick += 1;
        self.cache.insert(c.id, (c, self.tick));
        keep_newest(&mut self.cache, CACHE_CLUSTERS);
    }
}

impl Store {
    /// Stages one article and its quotes. Nothing is visible to readers, nor durable, until
    /// [`Store::commit`]; report the article as done only after that returns. An article already
    /// stored (or staged) is left as it is.
    ///
    /// On error (the store could not be read) every staged article is dropped, since the stage
    /// may hold part of this one: re-ingest them.
    pub fn ingest_article(
        &mut self,
        article: &Article,
        quotes: &[Quote],
    ) -> Result<IngestReport, StoreError> {
        let prepared = prepare_quotes(article, quotes);
        self.ingest_prepared(article, quotes, prepared)
    }

    /// [`Store::ingest_article`], with the quotes already prepared by [`prepare_quotes`]
    /// (which is pure, so a caller can run it on another thread).
    pub fn ingest_prepared(
        &mut self,
        article: &Article,
        quotes: &[Quote],
        prepared: Vec<Option<PreparedQuote>>,
    ) -> Result<IngestReport, StoreError> {
        let result = self.stage(article, quotes, prepared);
        self.pending.current = None;
        if result.is_err() {
            self.discard();
        }
        result
    }

    /// Frees what ingest keeps in memory between articles (every cluster's comparison view,
    /// the candidate index) once no more articles come, so that later work in the same process
    /// (the cross-language link pass loads a model) does not add to it. Waits for the commit in
    /// flight; a later ingest reloads the session from the store.
    pub fn release_session(&mut self) -> Result<(), StoreError> {
        self.wait_for_commit()?;
        self.session = None;
        Ok(())
    }

    /// Drops every staged article.
    pub fn discard(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        if let Some((clusters, wordings)) = pending.count_before {
            self.cluster_count = clusters;
            self.wording_count = wordings;
        }
        // The session saw the dropped articles: reload it from what is stored.
        self.session = None;
    }

    fn stage(
        &mut self,
        article: &Article,
        quotes: &[Quote],
        prepared: Vec<Option<PreparedQuote>>,
    ) -> Result<IngestReport, StoreError> {
        if prepared.len() != quotes.len() {
            return Err(StoreError::Backend(
                "ingest_prepared: one prepared entry per quote is required".into(),
            ));
        }
        let id = article_id(article);
        let mut report = IngestReport {
            article: id,
            ..IngestReport::default()
        };
        if self.known_article(&id)? {
            report.already_present = true;
            return Ok(report);
        }
        if self.session.is_none() {
            // The session is loaded from what is stored, so the commit in flight must land.
            self.wait_for_commit()?;
            self.session = Some(self.load_session()?);
        }
        if let Some(s) = self.session.as_mut() {
            s.articles.insert(id);
        }
        self.pending
            .count_before
            .get_or_insert((self.cluster_count, self.wording_count));
        self.pending.current = Some((id, FxHashMap::default()));
        let count_before = self.cluster_count;
        let outlet = match &article.meta.outlet {
            Some(raw) if !outlet_key(raw).is_empty() => {
                Some(self.note_outlet(raw, article.meta.url.as_deref())?)
            }
            _ => None,
        };
        let day = article.meta.published.as_deref().and_then(matcher::day_of);
        let mut seen_starts = HashSet::new();
        let mut occurrences = Vec::new();
        for (q, p) in quotes.iter().zip(prepared) {
            let wording = q.quote.text.trim();
            let Some(p) = p else { continue };
            if !seen_starts.insert(q.quote.start) {
                continue;
            }
            let speaker = q.speaker.as_ref().map(|s| s.name.as_str());
            let start = q.quote.start as u32;
            self.assign(
                p,
                Quoted {
                    wording,
                    lang: article.meta.lang.as_deref(),
                    speaker,
                    at: (id, start),
                    facts: matching::QuoteFacts {
                        day,
                        term: q.kind == crate::parse::QuoteKind::Term,
                    },
                },
            )?;
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
                    article: id,
                    phrase: c.phrase.clone(),
                };
                self.pending.puts.insert(
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
            occurrences.push(occ);
            report.quotes += 1;
        }
        // Clusters of this article's quotes as they stand after all of them were placed
        // (a later quote of the same article can re-cluster an earlier one's component).
        let placed = self
            .pending
            .current
            .as_ref()
            .map(|(_, m)| m.clone())
            .unwrap_or_default();
        report.clusters = occurrences
            .iter()
            .map(|o| placed.get(&o.quote.start).copied().unwrap_or(0))
            .collect();
        report.new_clusters = self.cluster_count.saturating_sub(count_before) as usize;
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
        self.pending.puts.insert(article_key(&id), encode(&rec));
        if !occurrences.is_empty() {
            self.pending
                .puts
                .insert(occurrences_key(&id), encode(&occurrences));
        }
        self.pending.articles.insert(id);
        Ok(report)
    }

    /// Number of articles staged and not yet committed.
    pub fn staged(&self) -> usize {
        self.pending.articles.len()
    }

    /// Writes every staged article in one atomic batch and makes it durable, after the commit
    /// in flight (see [`Store::commit_in_background`]). It also compacts the lookup postings
    /// that commits in the background left in deltas, so a store is in its compact form after
    /// an ingest's last commit.
    ///
    /// On error nothing of the staged articles is stored, and they are dropped from the stage.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        self.ship(true)?;
        self.wait_for_commit()?;
        if self.deltas > 0 {
            // Nothing was staged: the deltas are compacted on their own.
            self.compact_deltas()?;
        }
        Ok(())
    }

    /// Compacts every stored term delta (see [`compact_deltas`]).
    fn compact_deltas(&mut self) -> Result<(), StoreError> {
        compact_deltas(self.backend.as_ref())?;
        self.deltas = 0;
        Ok(())
    }

    /// Waits for the commit in flight, if any. `Ok` means its articles are durable.
    ///
    /// On error nothing of it is stored, and every article staged since is dropped too (it
    /// may build on clusters of the lost commit).
    pub fn wait_for_commit(&mut self) -> Result<(), StoreError> {
        let Some(f) = self.inflight.take() else {
            return Ok(());
        };
        let result = f.handle.join().unwrap_or_else(|_| {
            Err(StoreError::Backend(
                "the writer thread of a commit failed unexpectedly".into(),
            ))
        });
        let compaction = match result {
            Ok(c) => c,
            Err(e) => {
                self.pending = Pending::default();
                (self.cluster_count, self.wording_count) = f.counts_before;
                self.commits = f.commits_before;
                self.deltas = f.deltas_before;
                self.session = None;
                return Err(e);
            }
        };
        if let Some(e) = compaction {
            // The commit is stored and its delta too: lookups read it, and the next commit
            // tries the compaction again. The error is still reported, so that a caller stops
            // (over-reporting a loss is safe: a re-ingest skips what is stored).
            self.deltas = f.deltas_before + 1;
            self.discard();
            return Err(e);
        }
        // Its clusters are stored now; keep the ones staging may read again in memory. A cluster
        // of one occurrence is the most common kind and the least likely to be joined again:
        // kept, they pushed the clusters that get joined over and over out of the cache.
        if let (Some(session), Ok(shipped)) =
            (self.session.as_mut(), std::sync::Arc::try_unwrap(f.shared))
        {
            for (id, c) in shipped.clusters {
                if c.occurrences > 1
                    && session.component_of.contains_key(&id)
                    && !self.pending.clusters.contains_key(&id)
                    && !self.pending.deleted.contains(&id)
                {
                    session.remember(c);
                }
            }
        }
        Ok(())
    }

    /// Ships every staged article to a writer thread, which writes them in one atomic batch
    /// and flushes it, while the caller stages the next articles. Returns once the previous
    /// commit is durable (its result); the one shipped now is durable after the next call of
    /// this, [`Store::commit`] or [`Store::wait_for_commit`] returns `Ok`.
    pub fn commit_in_background(&mut self) -> Result<(), StoreError> {
        self.ship(false)
    }

    /// [`Store::commit_in_background`]; with `compact_all` the writer compacts the term deltas
    /// once the commit is durable, whatever their number.
    fn ship(&mut self, compact_all: bool) -> Result<(), StoreError> {
        self.wait_for_commit()?;
        if self.pending.articles.is_empty() {
            return self.backend.flush();
        }
        let pending = std::mem::take(&mut self.pending);
        let seq = self.commits + 1;
        let shared = std::sync::Arc::new(Shipped {
            articles: pending.articles,
            clusters: pending.clusters,
            deleted: pending.deleted,
            outlets: pending.outlets,
        });
        let compact = compact_all || self.deltas + 1 >= DELTAS_PER_COMPACTION;
        let payload = Payload {
            puts: pending.puts,
            terms: pending.terms,
            added: pending.vocab_added,
            new_words: pending.new_words,
            seq,
            cluster_count: self.cluster_count,
            wording_count: self.wording_count,
            compact,
        };
        let backend = std::sync::Arc::clone(&self.backend);
        let reader = std::sync::Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("quotetrace-commit".into())
            .spawn(move || {
                crate::store::yield_to_staging();
                let compact = payload.compact;
                let batch = payload.into_batch(&reader);
                drop(reader);
                backend.apply(batch)?;
                backend.flush()?;
                Ok(compact
                    .then(|| compact_deltas(backend.as_ref()).err())
                    .flatten())
            })
            .map_err(|e| StoreError::Backend(format!("cannot start a writer thread: {e}")))?;
        self.inflight = Some(InFlight {
            shared,
            handle,
            counts_before: pending
                .count_before
                .unwrap_or((self.cluster_count, self.wording_count)),
            commits_before: self.commits,
            deltas_before: self.deltas,
        });
        self.commits = seq;
        self.deltas = if compact { 0 } else { self.deltas + 1 };
        Ok(())
    }

    /// Whether an article is stored, staged or being committed.
    fn known_article(&self, id: &ArticleId) -> Result<bool, StoreError> {
        Ok(self.pending.articles.contains(id)
            || self
                .inflight
                .as_ref()
                .is_some_and(|f| f.shared.articles.contains(id))
            || match &self.session {
                Some(s) => s.articles.contains(id),
                None => self.has_article(id)?,
            })
    }

    fn note_outlet(&mut self, raw: &str, url: Option<&str>) -> Result<String, StoreError> {
        let key = outlet_key(raw);
        let raw = raw.trim().to_owned();
        let is_domain = looks_like_domain(&raw.to_lowercase());
        let stored = match self.pending.outlets.remove(&key) {
            Some(o) => Some(o),
            None => match self
                .inflight
                .as_ref()
                .and_then(|f| f.shared.outlets.get(&key))
            {
                Some(o) => Some(o.clone()),
                None => match &self.session {
                    Some(s) => s.outlets.get(&key).cloned(),
                    None => self.outlet(&key)?,
                },
            },
        };
        // The name a raw name stands for: the canonical one when `grammar/outlets.tsv` knows it.
        let candidate = crate::parse::resolve_outlet(&raw)
            .unwrap_or(&raw)
            .to_owned();
        let mut rec = stored.unwrap_or_else(|| OutletRec {
            key: key.clone(),
            name: candidate.clone(),
            aliases: vec![],
            domains: vec![],
            articles: 0,
        });
        rec.articles += 1;
        if is_domain {
            push_unique(&mut rec.domains, raw.to_lowercase());
        } else if rec.name != raw {
            push_unique(&mut rec.aliases, raw.clone());
        }
        // The name shown must not depend on which article came first: a real name beats a
        // domain, a canonical name beats others, then the smallest string wins.
        let rank = |n: &str| {
            (
                looks_like_domain(&n.to_lowercase()),
                crate::parse::resolve_outlet(n) != Some(n),
                n.to_owned(),
            )
        };
        if rank(&candidate) < rank(&rec.name) {
            let old = std::mem::replace(&mut rec.name, candidate);
            if looks_like_domain(&old.to_lowercase()) {
                push_unique(&mut rec.domains, old.to_lowercase());
            } else {
                push_unique(&mut rec.aliases, old);
            }
        }
        rec.aliases.retain(|a| *a != rec.name);
        if let Some(host) = url.and_then(url_host) {
            if outlet_key(&host) == key {
                push_unique(&mut rec.domains, host);
            }
        }
        rec.aliases.sort();
        rec.domains.sort();
        if let Some(s) = self.session.as_mut() {
            s.outlets.insert(key.clone(), rec.clone());
        }
        self.pending.outlets.insert(key.clone(), rec);
        Ok(key)
    }

    /// Loads what clustering reads on every quote: the candidate and exact-wording indexes,
    /// the components, the lookup vocabulary.
    fn load_session(&self) -> Result<Session, StoreError> {
        // The indexes are not stored as such: they are derived from each cluster's wordings,
        // and deriving them here costs less than writing them on every commit.
        let mut session = Session {
            keys: FxHashMap::default(),
            exact: FxHashMap::default(),
            component_of: FxHashMap::default(),
            components: FxHashMap::default(),
            next_component: 1,
            cache: FxHashMap::default(),
            views: Vec::new(),
            numbers: matching::TermNumbers::default(),
            tick: 0,
            vocab: FxHashSet::default(),
            wordings_seen: FxHashSet::default(),
            quotes_seen: FxHashSet::default(),
            slot_of: FxHashMap::default(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            scores: Vec::new(),
            stamp: 0,
            qualified: Vec::new(),
            ranked: Vec::new(),
            articles: self.pending.articles.iter().copied().collect(),
            outlets: FxHashMap::default(),
        };
        for r in self.backend.scan_prefix(&[prefix::ARTICLE]) {
            let (k, _) = r?;
            let id: ArticleId = k
                .get(1..17)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| StoreError::Corrupt("bad article key".into()))?;
            session.articles.insert(id);
        }
        for r in self.backend.scan_prefix(&[prefix::OUTLET]) {
            let (k, v) = r?;
            let o: OutletRec = decode("outlet", &v)?;
            session
                .outlets
                .insert(String::from_utf8_lossy(&k[1..]).into_owned(), o);
        }
        for (k, o) in &self.pending.outlets {
            session.outlets.insert(k.clone(), o.clone());
        }
        for c in self.clusters() {
            let c = c?;
            session.index(&c);
            for v in &c.wordings {
                session
                    .wordings_seen
                    .insert(wording_key(&v.wording, v.lang.as_deref()));
            }
            for m in &c.members {
                let v = &c.wordings[m.variant as usize];
                session.quotes_seen.insert(quote_key(
                    &v.wording,
                    v.lang.as_deref(),
                    m.speaker.as_deref(),
                    m.day,
                    m.term,
                ));
            }
            let comp = session.components.entry(c.component).or_default();
            comp.clusters.push(c.id);
            comp.occurrences += c.occurrences;
            comp.wordings += c.variants;
            session.next_component = session.next_component.max(c.component + 1);
        }
        for r in self.backend.scan_prefix(&[prefix::VOCAB]) {
            let (k, _) = r?;
            session
                .vocab
                .insert(String::from_utf8_lossy(&k[1..]).into_owned());
        }
        Ok(session)
    }

    /// Runs `f` on the current record of a cluster (staged, in flight, cached, or stored)
    /// without copying it.
    fn with_cluster<R>(
        &self,
        session: &mut Session,
        id: ClusterId,
        f: impl FnOnce(&ClusterRec) -> R,
    ) -> Result<Option<R>, StoreError> {
        if let Some(staged) = self.staged_cluster(id) {
            return Ok(staged.map(f));
        }
        session.tick += 1;
        let tick = session.tick;
        if let Some((c, t)) = session.cache.get_mut(&id) {
            *t = tick;
            return Ok(Some(f(c)));
        }
        let Some(c) = self.cluster(id)? else {
            return Ok(None);
        };
        let r = f(&c);
        session.remember(c);
        Ok(Some(r))
    }

    /// A cluster as staged for the next commit or in the commit being written: `Some(None)`
    /// when deleted there, `None` when neither holds it (its record is then in sled).
    fn staged_cluster(&self, id: ClusterId) -> Option<Option<&ClusterRec>> {
        if let Some(c) = self.pending.clusters.get(&id) {
            return Some(Some(c));
        }
        if self.pending.deleted.contains(&id) {
            return Some(None);
        }
        let fl = self.inflight.as_ref()?;
        if let Some(c) = fl.shared.clusters.get(&id) {
            return Some(Some(c));
        }
        fl.shared.deleted.contains(&id).then_some(None)
    }

    /// The current record of a cluster that is about to be replaced ([`Store::install`] takes
    /// it): moved out of the session's cache rather than copied, since installing it puts it
    /// back there or drops it.
    fn take_cluster(&self, session: &mut Session, id: ClusterId) -> Result<ClusterRec, StoreError> {
        if self.staged_cluster(id).is_none() {
            if let Some((c, _)) = session.cache.remove(&id) {
                return Ok(c);
            }
        }
        self.load_cluster(session, id)
    }

    /// A copy of the current record of a cluster.
    fn load_cluster(&self, session: &mut Session, id: ClusterId) -> Result<ClusterRec, StoreError> {
        self.with_cluster(session, id, ClusterRec::clone)?
            .ok_or_else(|| StoreError::Corrupt(format!("cluster {id} vanished")))
    }

    /// Places a quote: finds the clusters it links to, and clusters their components with it
    /// again (see the module docs).
    fn assign(&mut self, p: PreparedQuote, q: Quoted<'_>) -> Result<(), StoreError> {
        let mut session = self.session.take().expect("loaded by stage");
        let result = self.assign_in(&mut session, p, q);
        self.session = Some(session);
        result
    }

    fn assign_in(
        &mut self,
        s: &mut Session,
        p: PreparedQuote,
        q: Quoted<'_>,
    ) -> Result<(), StoreError> {
        let th = matcher::Thresholds::default();
        // The lookup vocabulary counts distinct wordings, whatever their clusters.
        let PreparedQuote { prepared: p, words } = p;
        if s.wordings_seen.insert(wording_key(q.wording, q.lang)) {
            self.wording_count += 1;
            for w in &words {
                match self.pending.vocab_added.get_mut(w) {
                    Some(n) => *n += 1,
                    None => {
                        self.pending.vocab_added.insert(w.clone(), 1);
                    }
                }
                if !s.vocab.contains(w) {
                    s.vocab.insert(w.clone());
                    self.pending.new_words.push(w.clone());
                }
            }
        }
        let neighbours = self.neighbours(s, &p, &th)?;
        let p_exact = p.exact;
        let item = matching::Item {
            prepared: Prepared {
                folded: String::new(),
                lang: String::new(),
                ..p
            },
            wording: q.wording.to_owned(),
            lang: q.lang.map(str::to_owned),
            speaker: q.speaker.map(str::to_owned),
            facts: q.facts,
            at: vec![q.at],
        };
        let mut memo: FxHashMap<String, Vec<String>> = FxHashMap::default();
        memo.insert(item.wording.clone(), words);

        // The same wording, speaker, day and kind as a stored quote: the set of distinct
        // quotes is unchanged, and so is the clustering; the occurrence joins that quote's
        // cluster.
        // Only a cluster holding a wording with the same folded words can hold this wording,
        // and only a quote seen before can be in one.
        let seen_before = !s.quotes_seen.insert(quote_key(
            q.wording,
            q.lang,
            q.speaker,
            q.facts.day,
            q.facts.term,
        ));
        let holders: Vec<ClusterId> = if seen_before {
            s.exact
                .get(&p_exact)
                .map(|l| l.to_vec())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        for &cid in neighbours.iter().filter(|c| holders.contains(c)) {
            let same = self.with_cluster(s, cid, |c| {
                c.members.iter().any(|m| {
                    let v = &c.wordings[m.variant as usize];
                    v.wording == item.wording
                        && v.lang == item.lang
                        && m.speaker == item.speaker
                        && m.day == item.facts.day
                        && m.term == item.facts.term
                })
            })?;
            if same == Some(true) {
                let old = self.take_cluster(s, cid)?;
                let mut items = matching::items_of(std::slice::from_ref(&old));
                items.push(item);
                let items = matching::merge_items(items);
                let group: Vec<usize> = (0..items.len()).collect();
                let new = matching::build_record(&items, &group, old.id, old.component);
                if let Some(comp) = s.components.get_mut(&old.component) {
                    comp.occurrences += 1;
                }
                return self.install(s, vec![old], vec![new], &mut memo);
            }
        }

        let mut comps: Vec<u64> = neighbours
            .iter()
            .filter_map(|c| s.component_of.get(c).copied())
            .collect();
        comps.sort_unstable();
        comps.dedup();
        let mut merged = Component {
            clusters: Ids::new(),
            occurrences: 1,
            wordings: 1,
        };
        for c in &comps {
            if let Some(comp) = s.components.get(c) {
                merged.clusters.extend(comp.clusters.iter().copied());
                merged.occurrences += comp.occurrences;
                merged.wordings += comp.wordings;
            }
        }
        if merged.too_big() {
            return self.join_big(s, item, &neighbours, comps[0], &th, &mut memo);
        }
        let mut old = Vec::with_capacity(merged.clusters.len());
        for &cid in &merged.clusters {
            old.push(self.take_cluster(s, cid)?);
        }
        let mut items = matching::items_of(&old);
        items.push(item);
        let items = matching::merge_items(items);
        let groups = matching::cluster_component(&items, &th);
        let component = match comps.first() {
            Some(&c) => c,
            None => {
                s.next_component += 1;
                s.next_component - 1
            }
        };
        for c in &comps {
            s.components.remove(c);
        }
        let old_ids: FxHashSet<ClusterId> = old.iter().map(|c| c.id).collect();
        let mut new: Vec<ClusterRec> = Vec::with_capacity(groups.len());
        for g in &groups {
            let mut id = matching::seed_id(&items[g[0]]);
            // Two clusters with the same id: a 53-bit hash collision (or two first wordings
            // alike in a component too big to cluster again). Rare; the next free id is taken.
            while (s.component_of.contains_key(&id) && !old_ids.contains(&id))
                || new.iter().any(|c| c.id == id)
            {
                id = (id + 1) & ((1 << 53) - 1);
            }
            new.push(matching::build_record(&items, g, id, component));
        }
        merged.clusters = new.iter().map(|c| c.id).collect();
        merged.wordings = new.iter().map(|c| c.variants).sum();
        s.components.insert(component, merged);
        self.install(s, old, new, &mut memo)
    }

    /// A quote joining a component too big to cluster again: it joins its best cluster among
    /// those it links to, as `matcher::Clusterer` would, or starts one in that component.
    fn join_big(
        &mut self,
        s: &mut Session,
        item: matching::Item,
        neighbours: &[ClusterId],
        component: u64,
        th: &matcher::Thresholds,
        memo: &mut FxHashMap<String, Vec<String>>,
    ) -> Result<(), StoreError> {
        let mut cands = Vec::new();
        for &cid in neighbours {
            cands.push(self.load_cluster(s, cid)?);
        }
        let states: Vec<(matching::MatchState, Vec<u64>)> = cands
            .iter()
            .map(|c| {
                (
                    matching::MatchState::of(c),
                    c.wordings.iter().map(|v| v.exact).collect(),
                )
            })
            .collect();
        let chosen = matching::choose_among(
            states.iter().map(|(m, e)| (m, e.as_slice())),
            &item.prepared,
            item.facts,
            th,
        );
        let comp = s.components.entry(component).or_default();
        comp.occurrences += 1;
        comp.wordings += 1;
        match chosen {
            Some(i) => {
                let old = cands.swap_remove(i);
                let mut items = matching::items_of(std::slice::from_ref(&old));
                items.push(item);
                let items = matching::merge_items(items);
                // The cluster keeps its id; its record is rebuilt from all its quotes.
                let group: Vec<usize> = (0..items.len()).collect();
                let new = matching::build_record(&items, &group, old.id, old.component);
                self.install(s, vec![old], vec![new], memo)
            }
            None => {
                let mut id = matching::seed_id(&item);
                while s.component_of.contains_key(&id) {
                    id = (id + 1) & ((1 << 53) - 1);
                }
                let new = matching::build_record(&[item], &[0], id, component);
                s.components.entry(component).or_default().clusters.push(id);
                self.install(s, vec![], vec![new], memo)
            }
        }
    }

    /// Replaces the records of `old` clusters by `new` ones: candidate indexes, lookup
    /// postings, and the stage.
    fn install(
        &mut self,
        s: &mut Session,
        old: Vec<ClusterRec>,
        new: Vec<ClusterRec>,
        memo: &mut FxHashMap<String, Vec<String>>,
    ) -> Result<(), StoreError> {
        let new_ids: FxHashSet<ClusterId> = new.iter().map(|c| c.id).collect();
        let mut before: FxHashMap<ClusterId, ClusterRec> = FxHashMap::default();
        for c in old {
            if !new_ids.contains(&c.id) {
                s.unindex(&c);
                self.pending.clusters.remove(&c.id);
                self.pending.deleted.insert(c.id);
            } else {
                before.insert(c.id, c);
            }
        }
        let current = self.pending.current.as_ref().map(|(a, _)| *a);
        for c in new {
            let had = before.remove(&c.id);
            // Post the words of the wordings this id did not have before (a posting is
            // never removed: a replaced cluster's postings are skipped by lookup).
            for v in &c.wordings {
                let known = had.as_ref().is_some_and(|h| {
                    h.wordings
                        .iter()
                        .any(|w| w.wording == v.wording && w.lang == v.lang)
                });
                if known {
                    continue;
                }
                let words = memo.entry(v.wording.clone()).or_insert_with(|| {
                    wording_words(&crate::normalize::fold(&v.wording), v.lang.as_deref())
                });
                for w in words.iter() {
                    match self.pending.terms.get_mut(w) {
                        Some(list) => {
                            if list.last() != Some(&c.id) {
                                list.push(c.id)
                            }
                        }
                        None => {
                            self.pending.terms.insert(w.clone(), vec![c.id]);
                        }
                    }
                }
            }
            if let Some(a) = current {
                let at = c.members.partition_point(|m| m.article < a);
                for m in c.members[at..].iter().take_while(|m| m.article == a) {
                    if let Some((_, map)) = self.pending.current.as_mut() {
                        map.insert(m.start, c.id);
                    }
                }
            }
            match had {
                Some(h) if h == c => {
                    // Unchanged: nothing to index or write.
                    if !self.pending.clusters.contains_key(&c.id) {
                        s.remember(c);
                    }
                }
                Some(h) => {
                    if h.wordings.len() != c.wordings.len()
                        || h.wordings
                            .iter()
                            .zip(&c.wordings)
                            .any(|(a, b)| a.exact != b.exact)
                    {
                        s.unindex(&h);
                        s.index(&c);
                    } else {
                        s.cache.remove(&c.id);
                        s.component_of.insert(c.id, c.component);
                    }
                    self.pending.deleted.remove(&c.id);
                    self.pending.clusters.insert(c.id, c);
                }
                None => {
                    s.index(&c);
                    self.pending.deleted.remove(&c.id);
                    self.pending.clusters.insert(c.id, c);
                }
            }
        }
        self.cluster_count = s.component_of.len() as u64;
        Ok(())
    }

    /// Every cluster holding a wording the new quote links to ([`matching::linked`]): all of
    /// them as long as candidate retrieval stays within its bounds.
    fn neighbours(
        &self,
        s: &mut Session,
        p: &Prepared,
        th: &matcher::Thresholds,
    ) -> Result<Vec<ClusterId>, StoreError> {
        let mut out: Vec<ClusterId> = s
            .exact
            .get(&p.exact)
            .map(|l| l.to_vec())
            .unwrap_or_default();
        if p.content >= matching::MIN_EVIDENCE_CONTENT {
            s.stamp = s.stamp.wrapping_add(1);
            if s.stamp == 0 {
                s.scores.iter_mut().for_each(|e| *e = (0, 0, 0.0));
                s.stamp = 1;
            }
            let stamp = s.stamp;
            // With fixed weights, two wordings sharing one content word can match only when
            // both have at most two.
            let one_is_enough = p.content <= matching::MIN_EVIDENCE_CONTENT;
            let enough = if one_is_enough { 1 } else { 2 };
            // Clusters are noted as they reach `enough` shared keys, so that ranking reads
            // those only, not every cluster sharing one common word.
            let mut qualified = std::mem::take(&mut s.qualified);
            qualified.clear();
            for k in matcher::index_keys(p) {
                let Some(list) = s.keys.get(&k) else {
                    continue;
                };
                // Rarer keys say more; the length of a (capped) posting list stands for rarity.
                let w = 1.0 / (1.0 + list.len() as f32).ln_1p();
                for &slot in list {
                    let e = &mut s.scores[slot as usize];
                    if e.0 != stamp {
                        *e = (stamp, 0, 0.0);
                    }
                    e.1 += 1;
                    e.2 += w;
                    if e.1 == enough {
                        qualified.push(slot);
                    }
                }
            }
            // Ranked by (shared keys, weight, cluster id); the id is read only to break a tie,
            // since reading it for every qualified slot was a cache miss each.
            let exact_slots: Ids = out
                .iter()
                .filter_map(|c| s.slot_of.get(c).copied())
                .map(u64::from)
                .collect();
            let mut ranked = std::mem::take(&mut s.ranked);
            ranked.clear();
            ranked.extend(
                qualified
                    .iter()
                    .filter(|&&slot| !exact_slots.contains(&u64::from(slot)))
                    .map(|&slot| {
                        let (_, n, w) = s.scores[slot as usize];
                        (n, w, slot)
                    }),
            );
            s.qualified = qualified;
            let slots = &s.slots;
            let order = |a: &(u32, f32, u32), b: &(u32, f32, u32)| {
                b.0.cmp(&a.0)
                    .then(b.1.total_cmp(&a.1))
                    .then_with(|| slots[a.2 as usize].cmp(&slots[b.2 as usize]))
            };
            if ranked.len() > NEIGHBOUR_CANDIDATES {
                ranked.select_nth_unstable_by(NEIGHBOUR_CANDIDATES, order);
                ranked.truncate(NEIGHBOUR_CANDIDATES);
            }
            ranked.sort_by(order);
            let bare = Prepared {
                speaker: None,
                folded: String::new(),
                lang: String::new(),
                terms: p.terms.clone(),
                set: p.set.clone(),
                exact: p.exact,
                content: p.content,
            };
            let packed = matching::Packed::of(std::iter::once(&bare), &mut s.numbers);
            let me = packed.wordings().next().expect("one wording was packed");
            let probe = matching::Probe::new(me);
            for &(_, _, slot) in &ranked {
                let cid = s.slots[slot as usize];
                let hit = match verdict(&s.views[slot as usize], &s.numbers, &probe, &bare, th) {
                    Verdict::Hit => true,
                    Verdict::Miss => false,
                    Verdict::Record(unpacked) => self
                        .with_cluster(s, cid, |c| {
                            unpacked.iter().any(|&i| {
                                let v = matching::variant_prepared(&c.wordings[i], None);
                                matching::store_match_unfiltered(
                                    &bare,
                                    &v,
                                    matching::fixed_stats(),
                                    th,
                                )
                                .is_some()
                            })
                        })?
                        .unwrap_or(false),
                };
                if hit {
                    out.push(cid);
                }
            }
            s.ranked = ranked;
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

/// A quote prepared for the store: what the matcher reads of it, and its lookup words.
/// Neither depends on what the store holds, so [`prepare_quotes`] can make it on another
/// thread than the one that stages articles.
#[derive(Debug, Clone)]
pub struct PreparedQuote {
    pub prepared: Prepared,
    /// [`wording_words`] of the quote: its indexed folded words, each once, sorted.
    words: Vec<String>,
}

/// What a candidate cluster's comparison view says of a new quote.
enum Verdict {
    /// A wording of the cluster links to it.
    Hit,
    Miss,
    /// No packed wording links to it, but these wordings (indexes in the record) passed the
    /// filter and have no packed text order: decided on the cluster's record.
    Record(Vec<usize>),
}

/// Whether a wording of a cluster's view links to a new quote, as [`matching::linked`]: the
/// same folded words, or the cascade.
fn verdict(
    view: &matching::Packed,
    numbers: &matching::TermNumbers,
    me: &matching::Probe<'_>,
    bare: &Prepared,
    th: &matcher::Thresholds,
) -> Verdict {
    let mut unpacked: Vec<usize> = Vec::new();
    for (i, v) in view.wordings().enumerate() {
        if v.content < matching::MIN_EVIDENCE_CONTENT {
            continue;
        }
        if v.exact == me.exact() {
            return Verdict::Hit;
        }
        if bare.content < matching::MIN_EVIDENCE_CONTENT || !me.may_match(&v, th) {
            continue;
        }
        match v.prepared(numbers) {
            Some(v) => {
                if matching::store_match_unfiltered(bare, &v, matching::fixed_stats(), th).is_some()
                {
                    return Verdict::Hit;
                }
            }
            None => unpacked.push(i),
        }
    }
    if unpacked.is_empty() {
        Verdict::Miss
    } else {
        Verdict::Record(unpacked)
    }
}

/// Prepares each quote of an article for matching; `None` for a quote with no words to match.
pub fn prepare_quotes(article: &Article, quotes: &[Quote]) -> Vec<Option<PreparedQuote>> {
    let lang = article.meta.lang.as_deref();
    quotes
        .iter()
        .map(|q| {
            let wording = q.quote.text.trim();
            let speaker = q.speaker.as_ref().map(|s| s.name.as_str());
            let p = matcher::prepare(wording, lang, speaker);
            let terms = lookup::terms_of_folded(&p.folded);
            (!terms.is_empty()).then(|| PreparedQuote {
                words: words_of_terms(terms, lang),
                prepared: p,
            })
        })
        .collect()
}
