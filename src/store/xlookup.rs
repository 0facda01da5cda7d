//! Lookup by a fragment in another language than the stored wordings (issue 6): a Spanish
//! fragment finds the cluster of Petro's post even when the store holds only English
//! renderings of it.
//!
//! Word lookup ([`Store::lookup`]) cannot see a translation: "la lucha contra las drogas"
//! shares no word with "the fight against drugs". So a fragment that is not English is also
//! compared in meaning, with the embedding model, against a bounded set of candidates:
//! - candidates are the clusters that share the fragment's anchors: words that the store also
//!   has (names such as Petro or Trump, numbers, words spelt alike in both languages), and the
//!   first [`COGNATE_PREFIX`] letters of longer words, which catch cognates (caribeño →
//!   Caribbean, subordinarse → subordinated, humanos → human);
//! - at most [`CANDIDATES`] clusters, those sharing the most anchors, are embedded with the
//!   fragment, and those whose canonical wording is at least
//!   [`crate::matcher::embed::XLING_THRESHOLD`] close in meaning are hits.
//!
//! English fragments never load the model, so English lookups keep their latency. The cost of a
//! cross-language lookup is the model's load and about [`CANDIDATES`] embeddings (measured in
//! the README).

use std::collections::HashMap;

use crate::matcher::embed::{self, EmbedError, Embedder, XLING_THRESHOLD};

use super::lookup::{distinct_terms, indexed, terms, LookupHit};
use super::records::ClusterId;
use super::{Store, StoreError};

/// Clusters compared in meaning with one fragment.
pub const CANDIDATES: usize = 32;
/// Anchor probes run per fragment.
const PROBES: usize = 8;
/// Clusters read per probe.
const PER_PROBE: usize = 64;
/// Letters of a longer word that probe for its cognates.
pub const COGNATE_PREFIX: usize = 5;
/// Spanish function words that make a fragment Spanish.
const MIN_FUNCTION_WORDS: usize = 2;

/// Why a cross-language lookup failed.
#[derive(Debug, thiserror::Error)]
pub enum CrossLookupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cross-language lookup: {0}")]
    Embed(#[from] EmbedError),
}

/// The language of a lookup fragment: Spanish when at least [`MIN_FUNCTION_WORDS`] Spanish
/// function words outnumber the English ones; else, with no function word at all, as
/// [`embed::quote_lang`] decides (a reliable trigram guess on 8 words or more); else English. Unlike [`embed::quote_lang`], short
/// fragments are guessed too: a user typing "la lucha contra las drogas" means Spanish. One
/// function word is not enough: English fragments drawn from news ("para 11 million") hold
/// words that are also Spanish, and each false guess costs a model load.
pub fn fragment_lang(fragment: &str) -> String {
    let words = terms(fragment);
    let count = |lang| {
        words
            .iter()
            .filter(|w| crate::normalize::is_stopword(w, lang))
            .count()
    };
    let (es, en) = (count("es"), count("en"));
    if es >= MIN_FUNCTION_WORDS && es > en {
        return "es".to_string();
    }
    if en == 0 && es == 0 {
        return embed::quote_lang(fragment, None, &crate::normalize::fold(fragment));
    }
    "en".to_string()
}

impl Store {
    /// [`Store::lookup`], and for a fragment that is not English, the clusters whose
    /// canonical wording means the same in another language (see the module docs). `model`
    /// is asked for only when the fragment needs it; when it gives `None` (no weights), the
    /// result is the word lookup alone.
    pub fn lookup_across_languages<'m>(
        &self,
        fragment: &str,
        limit: usize,
        model: impl FnOnce() -> Option<&'m dyn Embedder>,
    ) -> Result<Vec<LookupHit>, CrossLookupError> {
        let mut hits = self.lookup(fragment, limit)?;
        let lang = fragment_lang(fragment);
        if !embed::needs_embedding(&lang) {
            return Ok(hits);
        }
        let candidates = self.anchor_candidates(fragment, &lang)?;
        if candidates.is_empty() {
            return Ok(hits);
        }
        let Some(model) = model() else {
            return Ok(hits);
        };
        let mut wordings = Vec::with_capacity(candidates.len());
        for cid in candidates {
            if let Some(c) = self.cluster(cid)? {
                wordings.push((cid, c.canonical));
            }
        }
        let mut texts: Vec<&str> = vec![fragment];
        texts.extend(wordings.iter().map(|(_, w)| w.as_str()));
        let vectors = model.embed(&texts)?;
        let (query, rest) = vectors.split_first().expect("the fragment was embedded");
        for ((cid, _), v) in wordings.iter().zip(rest) {
            let score = embed::cosine(query, v);
            if score < XLING_THRESHOLD {
                continue;
            }
            let score = f64::from(score);
            match hits.iter_mut().find(|h| h.cluster == *cid) {
                Some(h) => h.score = h.score.max(score),
                None => hits.push(LookupHit {
                    cluster: *cid,
                    score,
                }),
            }
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.cluster.cmp(&b.cluster)));
        hits.truncate(limit);
        Ok(hits)
    }

    /// Clusters sharing the most anchors with `fragment`, best first, at most [`CANDIDATES`].
    fn anchor_candidates(&self, fragment: &str, lang: &str) -> Result<Vec<ClusterId>, StoreError> {
        self.anchor_candidates_apart_from(fragment, lang, None)
    }

    /// [`Store::anchor_candidates`] for a stored wording of cluster `own`, which is left out:
    /// a word the store knows only from `own` (a Spanish word stored with the quote itself)
    /// is no anchor, so it probes for cognates as an unknown word would.
    pub(crate) fn anchor_candidates_apart_from(
        &self,
        fragment: &str,
        lang: &str,
        own: Option<ClusterId>,
    ) -> Result<Vec<ClusterId>, StoreError> {
        let words = distinct_terms(fragment);
        // Whole words the store knows, rarest first; then cognate prefixes of the longest
        // words the store does not know.
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for w in words {
            if !indexed(&w, lang) {
                continue;
            }
            match self.vocab_df(&w)? {
                0 => unknown.push(w),
                _ if own.is_some()
                    && self.lookup(&w, 2)?.iter().all(|h| Some(h.cluster) == own) =>
                {
                    unknown.push(w)
                }
                df => known.push((df, w)),
            }
        }
        known.sort();
        unknown.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        let mut probes: Vec<String> = known.into_iter().map(|(_, w)| w).collect();
        probes.extend(
            unknown
                .into_iter()
                .filter(|w| w.chars().count() > COGNATE_PREFIX)
                .map(|w| w.chars().take(COGNATE_PREFIX).collect()),
        );
        // Two long words may share their cognate prefix.
        let mut seen = std::collections::HashSet::new();
        probes.retain(|p| seen.insert(p.clone()));
        probes.truncate(PROBES);

        let mut shared: HashMap<ClusterId, usize> = HashMap::new();
        for probe in &probes {
            // A one-word lookup reads the word's postings, and a word it does not know as a
            // truncation of the stored words it begins.
            for hit in self.lookup(probe, PER_PROBE)? {
                *shared.entry(hit.cluster).or_default() += 1;
            }
        }
        let mut ranked: Vec<(ClusterId, usize)> = shared
            .into_iter()
            .filter(|(c, _)| Some(*c) != own)
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(ranked
            .into_iter()
            .take(CANDIDATES)
            .map(|(cid, _)| cid)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_language_from_function_words() {
        assert_eq!(fragment_lang("la lucha contra las drogas"), "es");
        assert_eq!(fragment_lang("the fight against drugs"), "en");
        assert_eq!(fragment_lang("Petro"), "en");
        assert_eq!(fragment_lang("para 11 million"), "en");
        assert_eq!(fragment_lang("de la"), "es");
    }
}
