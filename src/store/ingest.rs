//! Writing articles: staging, clustering, and the atomic commit.
//!
//! Articles are staged in memory ([`Pending`]) and written by [`Store::commit`] as one atomic
//! batch holding every record of every staged article, then flushed. So an article is either
//! wholly in the store or not at all, and its index entries are merged with those of the other
//! staged articles: a popular cluster or a common word is written once per commit, not once per
//! article.
//!
//! Index records are append-only (a posting is written once, never rewritten), because sled is
//! log-structured: rewriting a growing posting list on every commit multiplies the bytes written
//! and the size on disk. The indexes clustering reads on every quote (matcher keys, exact
//! wordings, term statistics, vocabulary) are loaded into memory once per ingest session
//! ([`Session`]), as `matcher::Clusterer` keeps them; lookups never load them.

use std::collections::{BTreeMap, HashMap, HashSet};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::article::Article;
use crate::matcher::{self, Prepared, TermStats};
use crate::parse::Quote;

use super::records::*;
use super::{
    article_id, be_u32, kind_name, looks_like_domain, lookup, matching, outlet_key, push_unique,
    u64_value, url_host, IngestReport, Store, StoreError, WriteBatch, MAX_SPEAKERS,
};

/// What clustering reads on every quote, loaded once per ingest session.
pub(crate) struct Session {
    pub stats: TermStats,
    /// Matcher key → clusters, oldest first, at most [`matching::POSTING_CAP`].
    pub keys: FxHashMap<u64, Vec<ClusterId>>,
    /// Exact-wording hash → clusters.
    pub exact: FxHashMap<u64, Vec<ClusterId>>,
    /// What the join decision reads of the newest [`MATCH_WINDOW`] clusters, so that most
    /// candidates are not read back from the backend.
    pub matches: FxHashMap<ClusterId, matching::MatchState>,
    /// (cluster, [`wording_hash`]) of every stored or staged wording: most wordings are new,
    /// and this tells so without searching the cluster's list.
    pub wordings: FxHashSet<(ClusterId, u64)>,
    /// Lookup vocabulary with document frequencies.
    pub vocab: FxHashMap<String, u32>,
    /// Candidate scores of the quote being placed: kept between quotes so that its table is
    /// allocated once, not grown from empty for every quote (a tenth of ingest time).
    pub scratch: FxHashMap<ClusterId, f32>,
}

/// How many of the newest clusters keep their [`matching::MatchState`] in memory during an
/// ingest. Keeping all of them made ingest 2x faster than reading candidates back, but cost
/// about 1 KB per cluster (300 MB on AllSides); most candidates are recent clusters, since a
/// key's postings keep its most recent clusters. Older ones are read back. 50,000 rather than
/// 100,000 since commits overlap with staging, which holds two commit groups in memory. Which clusters are
/// cached changes only the speed, never a decision.
pub(crate) const MATCH_WINDOW: u64 = 50_000;

fn in_window(cid: ClusterId, next_cluster: ClusterId) -> bool {
    cid + MATCH_WINDOW >= next_cluster
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
    handle: std::thread::JoinHandle<Result<(), StoreError>>,
    /// What to roll back to if it fails.
    next_cluster_before: ClusterId,
    cluster_count_before: u64,
    commits_before: u64,
}

/// The records of a commit in flight that staging may read before they are stored.
struct Shipped {
    articles: HashSet<ArticleId>,
    clusters: HashMap<ClusterId, ClusterRec>,
    outlets: HashMap<String, OutletRec>,
}

/// The rest of a commit in flight, which only the writer thread reads.
struct Payload {
    puts: BTreeMap<Vec<u8>, Vec<u8>>,
    terms: FxHashMap<String, Vec<ClusterId>>,
    vocab: Vec<(String, u32)>,
    /// Growth of the matcher's term statistics, and their new document count.
    stats: Option<(Vec<(u64, u32)>, u64)>,
    seq: u64,
    next_cluster: ClusterId,
    cluster_count: u64,
}

impl Payload {
    /// The one atomic batch of a commit. Encoding the cluster records happens here, on the
    /// writer thread.
    fn into_batch(self, shared: &Shipped) -> WriteBatch {
        let mut batch = WriteBatch::default();
        for (k, v) in self.puts {
            batch.put(k, v);
        }
        for (cid, c) in &shared.clusters {
            batch.put(cluster_key(*cid), encode(c));
        }
        for (k, o) in &shared.outlets {
            batch.put(outlet_rec_key(k), encode(o));
        }
        for (term, list) in &self.terms {
            batch.put(term_key(term, self.seq), encode(list));
        }
        for (term, n) in &self.vocab {
            batch.put(vocab_key(term), n.to_be_bytes().to_vec());
        }
        if let Some((delta, docs)) = &self.stats {
            batch.put(term_stats_key(self.seq), encode(delta));
            batch.put(META_STATS_DOCS.to_vec(), docs.to_be_bytes().to_vec());
        }
        batch.put(META_COMMITS.to_vec(), self.seq.to_be_bytes().to_vec());
        batch.put(
            META_NEXT_CLUSTER.to_vec(),
            self.next_cluster.to_be_bytes().to_vec(),
        );
        batch.put(
            META_CLUSTER_COUNT.to_vec(),
            self.cluster_count.to_be_bytes().to_vec(),
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
    pub outlets: HashMap<String, OutletRec>,
    /// New lookup postings.
    pub terms: FxHashMap<String, Vec<ClusterId>>,
    pub vocab_dirty: FxHashSet<String>,
    /// How much each term's document frequency grew: one `T` record per commit.
    pub stats_delta: FxHashMap<u64, u32>,
    /// Cluster numbering before the first staged article, to roll back on failure.
    pub next_cluster_before: Option<ClusterId>,
    pub new_clusters: u64,
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
        prepared: Vec<Option<Prepared>>,
    ) -> Result<IngestReport, StoreError> {
        let result = self.stage(article, quotes, prepared);
        if result.is_err() {
            self.discard();
        }
        result
    }

    /// Drops every staged article.
    pub fn discard(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        if let Some(n) = pending.next_cluster_before {
            self.next_cluster = n;
        }
        // The session saw the dropped articles: reload it from what is stored.
        self.session = None;
    }

    fn stage(
        &mut self,
        article: &Article,
        quotes: &[Quote],
        prepared: Vec<Option<Prepared>>,
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
        self.pending
            .next_cluster_before
            .get_or_insert(self.next_cluster);
        let next_before = self.next_cluster;
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
            let cluster = self.assign(
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
                    cluster,
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
            occurrences.push(occ);
            report.quotes += 1;
            report.clusters.push(cluster);
        }
        report.new_clusters = (self.next_cluster - next_before) as usize;
        self.pending.new_clusters += report.new_clusters as u64;
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
    /// in flight (see [`Store::commit_in_background`]).
    ///
    /// On error nothing of the staged articles is stored, and they are dropped from the stage.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        self.commit_in_background()?;
        self.wait_for_commit()
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
        if let Err(e) = result {
            self.pending = Pending::default();
            self.next_cluster = f.next_cluster_before;
            self.cluster_count = f.cluster_count_before;
            self.commits = f.commits_before;
            self.session = None;
            return Err(e);
        }
        Ok(())
    }

    /// Ships every staged article to a writer thread, which writes them in one atomic batch
    /// and flushes it, while the caller stages the next articles. Returns once the previous
    /// commit is durable (its result); the one shipped now is durable after the next call of
    /// this, [`Store::commit`] or [`Store::wait_for_commit`] returns `Ok`.
    pub fn commit_in_background(&mut self) -> Result<(), StoreError> {
        self.wait_for_commit()?;
        if self.pending.articles.is_empty() {
            return self.backend.flush();
        }
        let pending = std::mem::take(&mut self.pending);
        let seq = self.commits + 1;
        let new_count = self.cluster_count + pending.new_clusters;
        let mut vocab = Vec::with_capacity(pending.vocab_dirty.len());
        let mut stats = None;
        if let Some(session) = &self.session {
            for term in pending.vocab_dirty {
                let n = session.vocab.get(&term).copied().unwrap_or(0);
                vocab.push((term, n));
            }
            // Growth only, sorted so that the record is the same whatever the hash order.
            let mut delta: Vec<(u64, u32)> =
                pending.stats_delta.iter().map(|(&t, &n)| (t, n)).collect();
            delta.sort_unstable();
            stats = Some((delta, session.stats.docs()));
        }
        let shared = std::sync::Arc::new(Shipped {
            articles: pending.articles,
            clusters: pending.clusters,
            outlets: pending.outlets,
        });
        let payload = Payload {
            puts: pending.puts,
            terms: pending.terms,
            vocab,
            stats,
            seq,
            next_cluster: self.next_cluster,
            cluster_count: new_count,
        };
        let backend = std::sync::Arc::clone(&self.backend);
        let reader = std::sync::Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("quotetrace-commit".into())
            .spawn(move || {
                let batch = payload.into_batch(&reader);
                drop(reader);
                backend.apply(batch).and_then(|()| backend.flush())
            })
            .map_err(|e| StoreError::Backend(format!("cannot start a writer thread: {e}")))?;
        self.inflight = Some(InFlight {
            shared,
            handle,
            next_cluster_before: pending.next_cluster_before.unwrap_or(self.next_cluster),
            cluster_count_before: self.cluster_count,
            commits_before: self.commits,
        });
        self.cluster_count = new_count;
        self.commits = seq;
        Ok(())
    }

    /// Whether an article is stored, staged or being committed.
    fn known_article(&self, id: &ArticleId) -> Result<bool, StoreError> {
        Ok(self.pending.articles.contains(id)
            || self
                .inflight
                .as_ref()
                .is_some_and(|f| f.shared.articles.contains(id))
            || self.has_article(id)?)
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
                None => self.outlet(&key)?,
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
        self.pending.outlets.insert(key.clone(), rec);
        Ok(key)
    }

    /// Loads what clustering reads on every quote: term statistics, matcher keys, exact
    /// wordings, the lookup vocabulary.
    fn load_session(&self) -> Result<Session, StoreError> {
        // TermStats can only be built through `observe` or serde; go through serde.
        #[derive(serde::Serialize)]
        struct Raw {
            docs: u64,
            df: HashMap<u64, u32>,
        }
        let docs = match self.backend.get(META_STATS_DOCS)? {
            Some(v) => u64_value(&v)?,
            None => 0,
        };
        let mut df: HashMap<u64, u32> = HashMap::new();
        for r in self.backend.scan_prefix(&[prefix::TERM_STATS]) {
            let (_, v) = r?;
            let delta: Vec<(u64, u32)> = decode("term statistics", &v)?;
            for (t, n) in delta {
                *df.entry(t).or_default() += n;
            }
        }
        let json = serde_json::to_value(Raw { docs, df })
            .map_err(|e| StoreError::Corrupt(format!("term statistics: {e}")))?;
        let stats: TermStats = serde_json::from_value(json)
            .map_err(|e| StoreError::Corrupt(format!("term statistics: {e}")))?;
        // The matcher keys and exact wordings are not stored as such: they are what
        // `Clusterer` derives from each cluster's representatives and wordings, and deriving
        // them here costs less than writing them on every commit.
        let mut keys: FxHashMap<u64, Vec<ClusterId>> = FxHashMap::default();
        let mut matches = FxHashMap::default();
        let mut exact: FxHashMap<u64, Vec<ClusterId>> = FxHashMap::default();
        let mut wordings = FxHashSet::default();
        for c in self.clusters() {
            let c = c?;
            if in_window(c.id, self.next_cluster) {
                matches.insert(c.id, matching::MatchState::of(&c));
            }
            for v in &c.wordings {
                wordings.insert((c.id, wording_hash(&v.wording)));
                let list = exact.entry(v.exact).or_default();
                if !list.contains(&c.id) {
                    list.push(c.id);
                }
            }
            let mut posted: Vec<u64> = Vec::new();
            for r in &c.reps {
                for k in matcher::index_keys(r) {
                    if !posted.contains(&k) {
                        posted.push(k);
                        let list = keys.entry(k).or_default();
                        list.push(c.id);
                        if list.len() > matching::POSTING_CAP {
                            list.remove(0);
                        }
                    }
                }
            }
        }
        let mut vocab = FxHashMap::default();
        for r in self.backend.scan_prefix(&[prefix::VOCAB]) {
            let (k, v) = r?;
            vocab.insert(String::from_utf8_lossy(&k[1..]).into_owned(), be_u32(&v)?);
        }
        Ok(Session {
            stats,
            keys,
            exact,
            matches,
            wordings,
            vocab,
            scratch: FxHashMap::default(),
        })
    }

    /// Takes a cluster out of the stage (it goes back once updated), or reads it: a popular
    /// cluster holds many wordings, so it is moved rather than copied.
    fn take_cluster(&mut self, id: ClusterId) -> Result<Option<ClusterRec>, StoreError> {
        if let Some(c) = self.pending.clusters.remove(&id) {
            return Ok(Some(c));
        }
        if let Some(c) = self
            .inflight
            .as_ref()
            .and_then(|f| f.shared.clusters.get(&id))
        {
            return Ok(Some(c.clone()));
        }
        self.cluster(id)
    }

    /// Finds the cluster of a new wording, or starts one, and records the wording in it.
    /// The decision is `matcher::Clusterer`'s (see [`matching`]).
    fn assign(&mut self, p: Prepared, q: Quoted<'_>) -> Result<ClusterId, StoreError> {
        let session = self.session.take().expect("loaded by stage");
        let mut session = session;
        session.stats.observe(&p);
        for &t in &p.set {
            *self.pending.stats_delta.entry(t).or_default() += 1;
        }
        let chosen = self.choose(&p, q.facts, &mut session);
        let result = chosen.and_then(|c| self.place(c, p, q, &mut session));
        self.session = Some(session);
        result
    }

    /// Records a wording in the cluster chosen for it, or in a new one.
    fn place(
        &mut self,
        chosen: Option<ClusterId>,
        p: Prepared,
        q: Quoted<'_>,
        session: &mut Session,
    ) -> Result<ClusterId, StoreError> {
        let Quoted {
            wording,
            lang,
            speaker,
            at,
            facts,
        } = q;
        let (cid, mut rec) = match chosen {
            Some(cid) => {
                let rec = self
                    .take_cluster(cid)?
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
                        span: None,
                        terms_only: false,
                        wordings: vec![],
                        carriers: vec![],
                    },
                )
            }
        };
        rec.occurrences += 1;
        if let Err(i) = rec.carriers.binary_search(&at) {
            rec.carriers.insert(i, at);
        }
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
        let known = !session.wordings.insert((cid, wording_hash(wording)));
        let found = if known {
            rec.wordings.iter_mut().find(|v| v.wording == wording)
        } else {
            None
        };
        let new_variant = match found {
            Some(v) => {
                v.count += 1;
                false
            }
            None => {
                rec.variants += 1;
                rec.wordings.push(Variant {
                    wording: wording.to_owned(),
                    count: 1,
                    content,
                    exact: p.exact,
                });
                true
            }
        };
        if rec.occurrences == 1 || super::is_better_canonical((content, wording), &rec) {
            rec.canonical = wording.to_owned();
            rec.canonical_content = content;
        }
        let exact = session.exact.entry(p.exact).or_default();
        if !exact.contains(&cid) {
            exact.push(cid);
        }
        let words = new_variant.then(|| lookup::terms_of_folded(&p.folded));
        for k in matching::add_rep(&mut rec, p, facts) {
            let list = session.keys.entry(k).or_default();
            if !list.contains(&cid) {
                list.push(cid);
                if list.len() > matching::POSTING_CAP {
                    list.remove(0);
                }
            }
        }
        if in_window(cid, self.next_cluster) {
            session.matches.insert(cid, matching::MatchState::of(&rec));
        }
        if chosen.is_none() && cid >= MATCH_WINDOW {
            session.matches.remove(&(cid - MATCH_WINDOW));
        }
        if let Some(words) = words {
            let lang = lang.unwrap_or("en");
            // A word already in one of the cluster's earlier wordings is already posted and
            // counted. Deciding this from the wordings, not from what the current commit
            // staged, keeps the vocabulary counts exact, so lookup weights do not depend on
            // where commits fell (which the 2 s commit timer makes depend on thread timing).
            let earlier = &rec.wordings[..rec.wordings.len() - 1];
            let mut seen: FxHashSet<String> = earlier
                .iter()
                .flat_map(|v| lookup::terms(&v.wording))
                .collect();
            for term in words {
                if !lookup::indexed(&term, lang) || !seen.insert(term.clone()) {
                    continue;
                }
                // Looked up before inserting: most words are already there, and an entry
                // would need its own copy of the word.
                match self.pending.terms.get_mut(&term) {
                    Some(list) => list.push(cid),
                    None => {
                        self.pending.terms.insert(term.clone(), vec![cid]);
                    }
                }
                match session.vocab.get_mut(&term) {
                    Some(n) => *n += 1,
                    None => {
                        session.vocab.insert(term.clone(), 1);
                    }
                }
                self.pending.vocab_dirty.insert(term);
            }
        }
        self.pending.clusters.insert(cid, rec);
        Ok(cid)
    }

    /// What the join decision reads of a cluster: from memory for recent clusters, else from
    /// the stage or the backend.
    fn match_state<'s>(
        &self,
        cid: ClusterId,
        session: &'s Session,
    ) -> Result<Option<std::borrow::Cow<'s, matching::MatchState>>, StoreError> {
        use std::borrow::Cow;
        if let Some(m) = session.matches.get(&cid) {
            return Ok(Some(Cow::Borrowed(m)));
        }
        if let Some(c) = self.pending.clusters.get(&cid).or_else(|| {
            self.inflight
                .as_ref()
                .and_then(|f| f.shared.clusters.get(&cid))
        }) {
            return Ok(Some(Cow::Owned(matching::MatchState::of(c))));
        }
        Ok(self
            .cluster(cid)?
            .map(|c| Cow::Owned(matching::MatchState::of(&c))))
    }

    /// The cluster `p` joins, if any.
    fn choose(
        &self,
        p: &Prepared,
        facts: matching::QuoteFacts,
        session: &mut Session,
    ) -> Result<Option<ClusterId>, StoreError> {
        let th = matcher::Thresholds::default();
        // Identical folded words: only the speaker, time and scare-quote constraints are left
        // to check.
        for &cid in session.exact.get(&p.exact).into_iter().flatten() {
            if let Some(c) = self.match_state(cid, session)? {
                if matching::may_join(&c, p, facts, &th) {
                    return Ok(Some(cid));
                }
            }
        }
        if facts.term || p.content < matching::MIN_EVIDENCE_CONTENT {
            return Ok(None);
        }
        let mut score = std::mem::take(&mut session.scratch);
        score.clear();
        let stats = &session.stats;
        for k in matcher::query_keys(p, stats, matching::QUERY_KEYS) {
            let w = stats.weight(k);
            for &c in session.keys.get(&k).into_iter().flatten() {
                *score.entry(c).or_insert(0.0) += w;
            }
        }
        // A total order, so selecting the best few and sorting only them gives what sorting
        // everything would (a common word can post thousands of candidates).
        let order =
            |a: &(ClusterId, f32), b: &(ClusterId, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        let mut ranked: Vec<(ClusterId, f32)> = Vec::with_capacity(matching::CANDIDATES + 1);
        for (&c, &s) in &score {
            let e = (c, s);
            if ranked.len() < matching::CANDIDATES {
                ranked.push(e);
                ranked.sort_by(order);
            } else if order(&e, &ranked[matching::CANDIDATES - 1]).is_lt() {
                ranked[matching::CANDIDATES - 1] = e;
                ranked.sort_by(order);
            }
        }
        session.scratch = score;
        let mut best: Option<(ClusterId, f32)> = None;
        for (cid, _) in ranked {
            let Some(c) = self.match_state(cid, session)? else {
                continue;
            };
            if let Some(s) = matching::join_score(&c, p, facts, &session.stats, &th) {
                if best.is_none_or(|(_, b)| s > b) {
                    best = Some((cid, s));
                }
            }
        }
        Ok(best.map(|(c, _)| c))
    }
}

/// Prepares each quote of an article for matching; `None` for a quote with no words to match.
pub fn prepare_quotes(article: &Article, quotes: &[Quote]) -> Vec<Option<Prepared>> {
    quotes
        .iter()
        .map(|q| {
            let wording = q.quote.text.trim();
            let speaker = q.speaker.as_ref().map(|s| s.name.as_str());
            let p = matcher::prepare(wording, article.meta.lang.as_deref(), speaker);
            (!lookup::terms_of_folded(&p.folded).is_empty()).then_some(p)
        })
        .collect()
}
