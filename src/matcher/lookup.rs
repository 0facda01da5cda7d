//! Finding statements by a short, possibly misspelt or cut-off fragment.
//!
//! A reader types what they remember: "suspend communications with us security agen". The
//! fragment is tokenized like any quote; each content word is then widened to the indexed words
//! it could be: itself, words within a small edit distance (typos), and, for the last word only,
//! words it is a prefix of (truncation). Clusters holding those terms are candidates, ranked by
//! the share of the fragment's content words they contain.
//!
//! The store reproduces this with its own index: keep a [`Vocabulary`] of the folded words of
//! indexed quotes, call [`fragment_terms`], look each alternative up in the key → cluster index
//! built from [`super::index_keys`], and score clusters with [`fragment_coverage`].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{is_content, term_id, Prepared};
use crate::normalize;

/// Folded words of indexed quotes with their term ids, for typo- and truncation-tolerant search.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Vocabulary {
    words: HashMap<String, u64>,
}

impl Vocabulary {
    /// Adds the content words of a quote text.
    pub fn add(&mut self, text: &str, lang: Option<&str>) {
        let (toks, lang) = normalize::tokens_lang(text, lang);
        for t in toks {
            if !normalize::is_stopword(&t.norm, lang) && !self.words.contains_key(&t.norm) {
                let id = term_id(&t.stem, true);
                self.words.insert(t.norm, id);
            }
        }
    }

    /// Number of distinct words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True when no word was added.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// One group of alternatives per content word of `fragment`: its own term id plus those of
/// vocabulary words within edit distance 1 (words of 4–7 letters) or 2 (8 or more), and for the
/// last word those of vocabulary words it begins (at least 3 letters typed).
pub fn fragment_terms(fragment: &str, lang: Option<&str>, vocab: &Vocabulary) -> Vec<Vec<u64>> {
    let (toks, lang) = normalize::tokens_lang(fragment, lang);
    let content: Vec<_> = toks
        .into_iter()
        .filter(|t| !normalize::is_stopword(&t.norm, lang))
        .collect();
    let last = content.len().saturating_sub(1);
    content
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut alts = vec![term_id(&t.stem, true)];
            let n = t.norm.chars().count();
            let max_edits = match n {
                0..=3 => 0,
                4..=7 => 1,
                _ => 2,
            };
            for (w, &id) in &vocab.words {
                if alts.contains(&id) {
                    continue;
                }
                let truncated = i == last && n >= 3 && w.starts_with(&t.norm);
                let typo = max_edits > 0
                    && w.chars().count().abs_diff(n) <= max_edits
                    && within_edits(&t.norm, w, max_edits);
                if truncated || typo {
                    alts.push(id);
                }
            }
            alts
        })
        .collect()
}

/// Share of the fragment's word groups with at least one alternative among `p`'s terms.
pub fn fragment_coverage(groups: &[Vec<u64>], p: &Prepared) -> f32 {
    if groups.is_empty() {
        return 0.0;
    }
    let hit = groups
        .iter()
        .filter(|alts| {
            alts.iter()
                .any(|t| is_content(*t) && p.set.binary_search(t).is_ok())
        })
        .count();
    hit as f32 / groups.len() as f32
}

/// Levenshtein distance of `a` and `b` is at most `k` (banded, on chars).
fn within_edits(a: &str, b: &str, k: usize) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
            row_min = row_min.min(cur[j]);
        }
        if row_min > k {
            return false;
        }
        prev = cur;
    }
    prev[b.len()] <= k
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::prepare;

    #[test]
    fn edit_distance_bound() {
        assert!(within_edits("agencies", "agnecies", 2));
        assert!(within_edits("security", "securty", 1));
        assert!(!within_edits("security", "secrets", 1));
    }

    #[test]
    fn forgives_case_typos_and_truncation() {
        let text = "an order has been given to suspend communications and other dealings with US security agencies";
        let mut vocab = Vocabulary::default();
        vocab.add(text, Some("en"));
        let p = prepare(text, Some("en"), None);
        let groups = fragment_terms(
            "SUSPEND comunications with U.S. securty agen",
            Some("en"),
            &vocab,
        );
        assert_eq!(groups.len(), 5);
        assert_eq!(fragment_coverage(&groups, &p), 1.0);
        let other = prepare("obey the orders of humanity", Some("en"), None);
        assert_eq!(fragment_coverage(&groups, &other), 0.0);
    }
}
