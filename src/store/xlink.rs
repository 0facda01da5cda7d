//! Cross-language links made at ingest (issue 6): a Spanish quote stored from a Spanish
//! article is linked to the English cluster of its renderings, so that `lookup` of either shows
//! the other, and the provenance of a translated quote reaches back to the original.
//!
//! Clustering in the store is lexical and cannot see a translation. So an ingest records each
//! quote that is not English as *pending* (`P` records, written before the article's own
//! commit, so a crash can lose the link work but never the fact that it is owed), and after its
//! last commit links every pending quote:
//! - candidates are the clusters that share the quote's anchors, as for a cross-language
//!   lookup ([`super::xlookup`]): names, numbers, words spelt alike, cognate prefixes;
//! - of those, English clusters whose speakers are compatible with the quote's, at most
//!   [`MAX_COMPARED`];
//! - the quote and each candidate's canonical wording are embedded (once: embeddings are kept in
//!   `Z` records) and a pair at or above [`XLING_THRESHOLD`] is linked, in both directions
//!   (`L` records keyed by each side's text).
//!
//! Links name texts, not cluster ids, because a cluster's id changes when an earlier rendering
//! joins it; a text stays in its cluster for good. [`Store::translations`] resolves them.
//!
//! An English-only corpus never records a pending quote, so it never loads the model. A quote
//! whose article was not committed (the run was killed) stays pending until a later ingest
//! stores it; a quote left pending because the weights were missing is linked by the next
//! ingest that has them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::records::{decode, encode, ClusterId, ClusterRec};
use super::xlookup::CrossLookupError;
use super::{Store, StoreError, WriteBatch};
use crate::matcher::embed::{self, Embedder, XLING_THRESHOLD};
use crate::matcher::speakers_compatible;

/// `P text-key` → [`ForeignQuote`]: a quote outside English waiting to be linked.
pub const PENDING: u8 = b'P';
/// `L text-key` → postcard `Vec<`[`LinkRec`]`>`: the texts in other languages this text was
/// linked to.
pub const LINK: u8 = b'L';
/// `Z text-key` → postcard `Vec<f32>`: the embedding of a text, computed once.
pub const EMBEDDING: u8 = b'Z';

/// English candidate clusters embedded per pending quote, those sharing the most anchors.
pub const MAX_COMPARED: usize = 8;

/// A stored quote that is not in English, as the link pass needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForeignQuote {
    /// The stored wording (the quote's text, trimmed).
    pub text: String,
    /// Its language (`embed::quote_lang`).
    pub lang: String,
    /// The matcher's folded speaker key (`Prepared::speaker`).
    pub speaker: Option<String>,
}

/// One side of a link, as stored under the other side's text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkRec {
    pub text: String,
    pub lang: String,
    pub cosine: f32,
}

/// A cluster in another language that says the same as the asked one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Translation {
    pub cluster: ClusterId,
    pub lang: String,
    pub canonical: String,
    /// Cosine of the linked texts' embeddings.
    pub cosine: f32,
}

/// What one link pass did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LinkReport {
    /// Pending quotes whose cluster is stored, all of which were compared.
    pub compared: usize,
    /// Of those, quotes linked to at least one English cluster.
    pub linked: usize,
    /// Texts embedded (the rest came from `Z` records).
    pub embedded: usize,
    /// Pending quotes left for a later ingest: their article is not stored yet.
    pub waiting: usize,
}

fn text_key(prefix: u8, text: &str) -> Vec<u8> {
    let digest = Sha256::digest(text.as_bytes());
    let mut key = Vec::with_capacity(9);
    key.push(prefix);
    key.extend_from_slice(&digest[..8]);
    key
}

impl Store {
    /// Records quotes outside English as owed a link pass. Call before the commit that stores
    /// their article, so that a stored article never has an unrecorded foreign quote.
    pub fn mark_foreign(&self, quotes: &[ForeignQuote]) -> Result<(), StoreError> {
        if quotes.is_empty() {
            return Ok(());
        }
        let mut batch = WriteBatch::default();
        for q in quotes {
            batch.put(text_key(PENDING, &q.text), encode(q));
        }
        self.backend().apply(batch)
    }

    /// Quotes waiting for a link pass.
    pub fn pending_foreign(&self) -> Result<Vec<ForeignQuote>, StoreError> {
        let mut out = Vec::new();
        for entry in self.backend().scan_prefix(&[PENDING]) {
            let (_, value) = entry?;
            out.push(decode("pending foreign quote", &value)?);
        }
        Ok(out)
    }

    /// Links every pending quote whose cluster is stored (see the module docs) and makes the
    /// result durable. Idempotent: a linked quote is no longer pending, and linking the same
    /// pair again stores nothing new.
    pub fn link_foreign(&self, model: &dyn Embedder) -> Result<LinkReport, CrossLookupError> {
        let mut report = LinkReport::default();
        for q in self.pending_foreign()? {
            let Some(own) = self.cluster_of_text(&q.text)?.map(|c| c.id) else {
                report.waiting += 1;
                continue;
            };
            let mut compared: Vec<(ClusterId, String)> = Vec::new();
            for cid in self.anchor_candidates_apart_from(&q.text, &q.lang, Some(own))? {
                if cid == own || compared.len() >= MAX_COMPARED {
                    continue;
                }
                let Some(c) = self.cluster(cid)? else {
                    continue;
                };
                let english = embed::quote_lang(
                    &c.canonical,
                    c.lang.as_deref(),
                    &crate::normalize::fold(&c.canonical),
                ) == "en";
                let speakers = c.speaker_keys.is_empty()
                    || c.speaker_keys
                        .iter()
                        .any(|k| speakers_compatible(q.speaker.as_deref(), Some(k)));
                if english && speakers {
                    compared.push((cid, c.canonical));
                }
            }
            let mut batch = WriteBatch::default();
            if !compared.is_empty() {
                let mut texts: Vec<&str> = vec![q.text.as_str()];
                texts.extend(compared.iter().map(|(_, t)| t.as_str()));
                let vectors = self.embeddings(&texts, model, &mut batch, &mut report)?;
                let mut links = Links::default();
                for ((_, canonical), v) in compared.iter().zip(&vectors[1..]) {
                    let cosine = embed::cosine(&vectors[0], v);
                    if cosine < XLING_THRESHOLD {
                        continue;
                    }
                    links.add(self, &q.text, canonical, "en", cosine)?;
                    links.add(self, canonical, &q.text, &q.lang, cosine)?;
                }
                report.linked += usize::from(!links.0.is_empty());
                links.write(&mut batch);
            }
            report.compared += 1;
            batch.delete(text_key(PENDING, &q.text));
            self.backend().apply(batch)?;
        }
        self.backend().flush()?;
        Ok(report)
    }

    /// The clusters in other languages linked to `cluster`, most similar first.
    pub fn translations(&self, cluster: ClusterId) -> Result<Vec<Translation>, StoreError> {
        // A store without links (any English-only corpus) answers with one seek, not one
        // read per wording.
        if self.backend().scan_prefix(&[LINK]).next().is_none() {
            return Ok(Vec::new());
        }
        let Some(c) = self.cluster(cluster)? else {
            return Ok(Vec::new());
        };
        let mut out: Vec<Translation> = Vec::new();
        for w in &c.wordings {
            let Some(bytes) = self.backend().get(&text_key(LINK, &w.wording))? else {
                continue;
            };
            let links: Vec<LinkRec> = decode("cross-language link", &bytes)?;
            for l in links {
                let Some(other) = self.cluster_of_text(&l.text)? else {
                    continue;
                };
                if other.id == cluster {
                    continue;
                }
                match out.iter_mut().find(|t| t.cluster == other.id) {
                    Some(t) => t.cosine = t.cosine.max(l.cosine),
                    None => out.push(Translation {
                        cluster: other.id,
                        lang: l.lang,
                        canonical: other.canonical,
                        cosine: l.cosine,
                    }),
                }
            }
        }
        out.sort_by(|a, b| {
            b.cosine
                .total_cmp(&a.cosine)
                .then(a.cluster.cmp(&b.cluster))
        });
        Ok(out)
    }

    /// The cluster holding the wording `text`: word lookup ranks it first or close to it.
    fn cluster_of_text(&self, text: &str) -> Result<Option<ClusterRec>, StoreError> {
        for hit in self.lookup(text, 8)? {
            if let Some(c) = self.cluster(hit.cluster)? {
                if c.wordings.iter().any(|w| w.wording == text) {
                    return Ok(Some(c));
                }
            }
        }
        Ok(None)
    }

    /// Embeddings of `texts`, from `Z` records where kept, else computed and added to `batch`.
    fn embeddings(
        &self,
        texts: &[&str],
        model: &dyn Embedder,
        batch: &mut WriteBatch,
        report: &mut LinkReport,
    ) -> Result<Vec<Vec<f32>>, CrossLookupError> {
        let mut out: Vec<Option<Vec<f32>>> = Vec::with_capacity(texts.len());
        let mut missing: Vec<&str> = Vec::new();
        for t in texts {
            match self.backend().get(&text_key(EMBEDDING, t))? {
                Some(bytes) => out.push(Some(decode("embedding", &bytes)?)),
                None => {
                    out.push(None);
                    missing.push(t);
                }
            }
        }
        if !missing.is_empty() {
            let mut fresh = model.embed(&missing)?.into_iter();
            report.embedded += missing.len();
            for (slot, t) in out.iter_mut().zip(texts) {
                if slot.is_none() {
                    let v = fresh.next().expect("one vector per text");
                    batch.put(text_key(EMBEDDING, t), encode(&v));
                    *slot = Some(v);
                }
            }
        }
        Ok(out.into_iter().map(|v| v.expect("filled")).collect())
    }
}

/// The link lists one quote's pass changes, read from the store on first use: a list written
/// to a batch cannot be read back before the batch is applied.
#[derive(Default)]
struct Links(std::collections::BTreeMap<Vec<u8>, Vec<LinkRec>>);

impl Links {
    /// Adds `other` to the links of `text`, unless it is there already.
    fn add(
        &mut self,
        store: &Store,
        text: &str,
        other: &str,
        lang: &str,
        cosine: f32,
    ) -> Result<(), StoreError> {
        let key = text_key(LINK, text);
        if !self.0.contains_key(&key) {
            let stored = match store.backend().get(&key)? {
                Some(bytes) => decode("cross-language link", &bytes)?,
                None => Vec::new(),
            };
            self.0.insert(key.clone(), stored);
        }
        let links = self.0.get_mut(&key).expect("just inserted");
        if !links.iter().any(|l| l.text == other) {
            links.push(LinkRec {
                text: other.to_string(),
                lang: lang.to_string(),
                cosine,
            });
        }
        Ok(())
    }

    fn write(self, batch: &mut WriteBatch) {
        for (key, links) in self.0 {
            batch.put(key, encode(&links));
        }
    }
}
