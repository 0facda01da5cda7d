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
    pub keys: HashMap<u64, Vec<ClusterId>>,
    /// Exact-wording hash → clusters.
    pub exact: HashMap<u64, Vec<ClusterId>>,
    /// Lookup vocabulary with document frequencies.
    pub vocab: HashMap<String, u32>,
}

/// Staged articles, and every read that must see them before they are committed.
#[derive(Default)]
pub(crate) struct Pending {
    pub articles: HashSet<ArticleId>,
    /// Write-once records: articles, occurrences, credit edges.
    pub puts: BTreeMap<Vec<u8>, Vec<u8>>,
    pub clusters: HashMap<ClusterId, ClusterRec>,
    pub variants: HashMap<Vec<u8>, Variant>,
    pub outlets: HashMap<String, OutletRec>,
    /// New lookup postings.
    pub terms: HashMap<String, Vec<ClusterId>>,
    pub vocab_dirty: HashSet<String>,
    pub stats_dirty: HashSet<u64>,
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
        if self.pending.articles.contains(&id) || self.has_article(&id)? {
            report.already_present = true;
            return Ok(report);
        }
        if self.session.is_none() {
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
        let mut seen_starts = HashSet::new();
        for (q, p) in quotes.iter().zip(prepared) {
            let wording = q.quote.text.trim();
            let Some(p) = p else { continue };
            if !seen_starts.insert(q.quote.start) {
                continue;
            }
            let speaker = q.speaker.as_ref().map(|s| s.name.as_str());
            let cluster = self.assign(p, wording, article.meta.lang.as_deref(), speaker)?;
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
            self.pending
                .puts
                .insert(occurrence_key(cluster, &id, start), encode(&occ));
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
        self.pending.articles.insert(id);
        Ok(report)
    }

    /// Number of articles staged and not yet committed.
    pub fn staged(&self) -> usize {
        self.pending.articles.len()
    }

    /// Writes every staged article in one atomic batch and makes it durable.
    ///
    /// On error nothing of the staged articles is stored, and they are dropped from the stage.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        if self.pending.articles.is_empty() {
            return self.backend.flush();
        }
        let pending = std::mem::take(&mut self.pending);
        let mut batch = WriteBatch::default();
        for (k, v) in pending.puts {
            batch.put(k, v);
        }
        for (cid, c) in &pending.clusters {
            batch.put(cluster_key(*cid), encode(c));
        }
        for (k, v) in &pending.variants {
            batch.put(k.clone(), encode(v));
        }
        for (k, o) in &pending.outlets {
            batch.put(outlet_rec_key(k), encode(o));
        }
        let seq = self.commits + 1;
        for (term, list) in &pending.terms {
            batch.put(term_key(term, seq), encode(list));
        }
        if let Some(session) = &self.session {
            for term in &pending.vocab_dirty {
                let n = session.vocab.get(term).copied().unwrap_or(0);
                batch.put(vocab_key(term), n.to_be_bytes().to_vec());
            }
            for t in &pending.stats_dirty {
                batch.put(
                    term_stats_key(*t),
                    session.stats.df(*t).to_be_bytes().to_vec(),
                );
            }
            batch.put(
                META_STATS_DOCS.to_vec(),
                session.stats.docs().to_be_bytes().to_vec(),
            );
        }
        batch.put(META_COMMITS.to_vec(), seq.to_be_bytes().to_vec());
        let new_count = self.cluster_count + pending.new_clusters;
        batch.put(
            META_NEXT_CLUSTER.to_vec(),
            self.next_cluster.to_be_bytes().to_vec(),
        );
        batch.put(
            META_CLUSTER_COUNT.to_vec(),
            new_count.to_be_bytes().to_vec(),
        );
        let result = self
            .backend
            .apply(batch)
            .and_then(|()| self.backend.flush());
        match result {
            Ok(()) => {
                self.cluster_count = new_count;
                self.commits = seq;
                Ok(())
            }
            Err(e) => {
                // Give back the cluster numbers the batch took, and reload the session from
                // what is stored.
                if let Some(n) = pending.next_cluster_before {
                    self.next_cluster = n;
                }
                self.session = None;
                Err(e)
            }
        }
    }

    fn note_outlet(&mut self, raw: &str, url: Option<&str>) -> Result<String, StoreError> {
        let key = outlet_key(raw);
        let raw = raw.trim().to_owned();
        let is_domain = looks_like_domain(&raw.to_lowercase());
        let stored = match self.pending.outlets.remove(&key) {
            Some(o) => Some(o),
            None => self.outlet(&key)?,
        };
        let mut rec = stored.unwrap_or_else(|| OutletRec {
            key: key.clone(),
            name: crate::parse::resolve_outlet(&raw)
                .unwrap_or(&raw)
                .to_owned(),
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
        let mut df = HashMap::new();
        for r in self.backend.scan_prefix(&[prefix::TERM_STATS]) {
            let (k, v) = r?;
            let id =
                trailing_cluster(&k).ok_or_else(|| StoreError::Corrupt("bad term key".into()))?;
            df.insert(id, be_u32(&v)?);
        }
        let json = serde_json::to_value(Raw { docs, df })
            .map_err(|e| StoreError::Corrupt(format!("term statistics: {e}")))?;
        let stats: TermStats = serde_json::from_value(json)
            .map_err(|e| StoreError::Corrupt(format!("term statistics: {e}")))?;
        // The matcher keys and exact wordings are not stored as such: they are what
        // `Clusterer` derives from each cluster's representatives and wordings, and deriving
        // them here costs less than writing them on every commit.
        let mut keys: HashMap<u64, Vec<ClusterId>> = HashMap::new();
        for c in self.clusters() {
            let c = c?;
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
        let mut exact: HashMap<u64, Vec<ClusterId>> = HashMap::new();
        for r in self.backend.scan_prefix(&[prefix::VARIANT]) {
            let (k, v) = r?;
            let cid = k
                .get(1..9)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| StoreError::Corrupt("bad variant key".into()))?;
            let v: Variant = decode("variant", &v)?;
            let list = exact.entry(v.exact).or_default();
            if !list.contains(&cid) {
                list.push(cid);
            }
        }
        let mut vocab = HashMap::new();
        for r in self.backend.scan_prefix(&[prefix::VOCAB]) {
            let (k, v) = r?;
            vocab.insert(String::from_utf8_lossy(&k[1..]).into_owned(), be_u32(&v)?);
        }
        Ok(Session {
            stats,
            keys,
            exact,
            vocab,
        })
    }

    fn load_cluster(&self, id: ClusterId) -> Result<Option<ClusterRec>, StoreError> {
        if let Some(c) = self.pending.clusters.get(&id) {
            return Ok(Some(c.clone()));
        }
        self.cluster(id)
    }

    /// Finds the cluster of a new wording, or starts one, and records the wording in it.
    /// The decision is `matcher::Clusterer`'s (see [`matching`]).
    fn assign(
        &mut self,
        p: Prepared,
        wording: &str,
        lang: Option<&str>,
        speaker: Option<&str>,
    ) -> Result<ClusterId, StoreError> {
        let session = self.session.take().expect("loaded by stage");
        let mut session = session;
        session.stats.observe(&p);
        self.pending.stats_dirty.extend(p.set.iter().copied());
        let chosen = self.choose(&p, &session);
        let result = chosen.and_then(|c| self.place(c, p, wording, lang, speaker, &mut session));
        self.session = Some(session);
        result
    }

    /// Records a wording in the cluster chosen for it, or in a new one.
    fn place(
        &mut self,
        chosen: Option<ClusterId>,
        p: Prepared,
        wording: &str,
        lang: Option<&str>,
        speaker: Option<&str>,
        session: &mut Session,
    ) -> Result<ClusterId, StoreError> {
        let (cid, mut rec) = match chosen {
            Some(cid) => {
                let rec = self
                    .load_cluster(cid)?
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
        let (vkey, variant) = self.load_variant(cid, wording)?;
        let new_variant = variant.is_none();
        let variant = match variant {
            Some(mut v) => {
                v.count += 1;
                v
            }
            None => {
                rec.variants += 1;
                Variant {
                    wording: wording.to_owned(),
                    count: 1,
                    content,
                    exact: p.exact,
                }
            }
        };
        self.pending.variants.insert(vkey, variant);
        if rec.occurrences == 1 || super::is_better_canonical((content, wording), &rec) {
            rec.canonical = wording.to_owned();
            rec.canonical_content = content;
        }
        let exact = session.exact.entry(p.exact).or_default();
        if !exact.contains(&cid) {
            exact.push(cid);
        }
        let words = new_variant.then(|| lookup::terms_of_folded(&p.folded));
        for k in matching::add_rep(&mut rec, p) {
            let list = session.keys.entry(k).or_default();
            if !list.contains(&cid) {
                list.push(cid);
                if list.len() > matching::POSTING_CAP {
                    list.remove(0);
                }
            }
        }
        if let Some(words) = words {
            let lang = lang.unwrap_or("en");
            let mut seen = HashSet::new();
            for term in words {
                if !lookup::indexed(&term, lang) || !seen.insert(term.clone()) {
                    continue;
                }
                let staged = self.pending.terms.entry(term.clone()).or_default();
                if staged.contains(&cid) {
                    continue;
                }
                staged.push(cid);
                // Counts a cluster again when a later commit gives it another wording with the
                // same word: document frequencies are approximate, which ranking tolerates.
                *session.vocab.entry(term.clone()).or_default() += 1;
                self.pending.vocab_dirty.insert(term);
            }
        }
        self.pending.clusters.insert(cid, rec);
        Ok(cid)
    }

    /// The cluster `p` joins, if any.
    fn choose(&self, p: &Prepared, session: &Session) -> Result<Option<ClusterId>, StoreError> {
        let stats = &session.stats;
        // Identical folded words: only the speaker constraint is left to check.
        for &cid in session.exact.get(&p.exact).into_iter().flatten() {
            if let Some(c) = self.load_cluster(cid)? {
                if matching::speaker_ok(&c, p) {
                    return Ok(Some(cid));
                }
            }
        }
        let mut score: HashMap<ClusterId, f32> = HashMap::new();
        for k in matcher::query_keys(p, stats, matching::QUERY_KEYS) {
            let w = stats.weight(k);
            for &c in session.keys.get(&k).into_iter().flatten() {
                *score.entry(c).or_insert(0.0) += w;
            }
        }
        let mut ranked: Vec<(ClusterId, f32)> = score.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(matching::CANDIDATES);
        let mut best: Option<(ClusterId, f32)> = None;
        for (cid, _) in ranked {
            let Some(c) = self.load_cluster(cid)? else {
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

    /// The stored (or staged) record of one wording of a cluster, with its key.
    fn load_variant(
        &self,
        cluster: ClusterId,
        wording: &str,
    ) -> Result<(Vec<u8>, Option<Variant>), StoreError> {
        for probe in 0..=u8::MAX {
            let key = variant_key(cluster, wording, probe);
            let found = match self.pending.variants.get(&key) {
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
