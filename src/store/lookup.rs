//! Finding clusters by a fragment of any of their wordings.
//!
//! The fragment and every stored wording are cut into folded words ([`terms`]). Candidates
//! come from the persisted term index (`W term cluster`), so a lookup reads only the postings
//! of its own words and never loads the whole store. Each query word may also match:
//! - a stored word one edit away (two for words of 8 letters or more): small typos;
//! - for the last query word, any stored word it begins: a truncated fragment.
//!
//! Candidates are scored by the share of the fragment's word weight (rarer words weigh more)
//! they contain, then re-ranked by how much of the fragment appears in order in their best
//! wording.

use std::collections::HashMap;

use super::records::{self, prefix, ClusterId};
use super::{Store, StoreError};

/// Words rarer than this are scanned first; a word in more clusters than this is only used for
/// ranking once rarer words have produced candidates.
const COMMON_DF: u32 = 20_000;
/// How many stored words a truncated last word may expand to.
const MAX_PREFIX_EXPANSIONS: usize = 64;
/// How many vocabulary entries a typo search may read.
const MAX_TYPO_SCAN: usize = 30_000;
/// How well a completion of a truncated last word stands for it.
const PREFIX_QUALITY: f64 = 0.9;
/// The same, when there were more completions than were read.
const PARTIAL_PREFIX_QUALITY: f64 = 0.89;
/// Wordings of one cluster compared with the fragment.
const MAX_VARIANTS_RANKED: usize = 256;
/// Candidates re-ranked in full.
const RERANK: usize = 100;
/// Below this share of the fragment's weight, a cluster is not a match.
const MIN_SCORE: f64 = 0.5;

/// A ranked lookup result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LookupHit {
    pub cluster: ClusterId,
    /// 0–1: the share of the fragment found in the cluster's best wording.
    pub score: f64,
}

/// Folded words of a text: [`crate::normalize::fold`] (the form the store indexes), split at
/// anything that is not a letter or digit.
pub fn terms(text: &str) -> Vec<String> {
    terms_of_folded(&crate::normalize::fold(text))
}

/// [`terms`] of a text, each once, in order of first appearance.
pub fn distinct_terms(text: &str) -> Vec<String> {
    let mut words = terms(text);
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
    words
}

/// [`terms`] of a text that is already folded.
pub fn terms_of_folded(folded: &str) -> Vec<String> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether a word goes in the term index. Function words ("the", "have", "de") are left out:
/// they would be the largest posting lists and never narrow a search; lookup still uses them
/// to rank.
pub fn indexed(term: &str, lang: &str) -> bool {
    term.chars().count() >= 2 && !crate::normalize::is_stopword(term, lang)
}

/// Optimal string alignment distance, giving up past `max`.
pub fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let mut row_min = usize::MAX;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
    }
    let v = d[a.len() * w + b.len()];
    (v <= max).then_some(v)
}

fn typo_budget(word: &str) -> usize {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// How well a stored word stands for a query word: 1 exact, less for a typo or a completion.
fn word_match(query: &str, stored: &str, is_last: bool) -> f64 {
    if query == stored {
        return 1.0;
    }
    if is_last && query.len() >= 2 && stored.starts_with(query) {
        return PREFIX_QUALITY;
    }
    let budget = typo_budget(query);
    // Cheap filters first: this runs for every word pair of every candidate wording.
    if budget == 0 || query.len().abs_diff(stored.len()) > budget {
        return 0.0;
    }
    let (mut q, mut s) = (query.chars(), stored.chars());
    let (q0, s0) = (q.next(), s.next());
    if q0 != s0 && q.next() != s.next() {
        return 0.0;
    }
    match edit_distance(query, stored, budget) {
        Some(0) => 1.0,
        Some(1) => 0.8,
        Some(_) => 0.6,
        None => 0.0,
    }
}

struct QueryWord {
    word: String,
    weight: f64,
    /// Stored words it may stand for, with how well, and how many clusters use each.
    expansions: Vec<(String, f64, u32)>,
}

impl Store {
    /// Ranks clusters by how well one of their wordings contains `fragment`.
    pub fn lookup(&self, fragment: &str, limit: usize) -> Result<Vec<LookupHit>, StoreError> {
        let words = distinct_terms(fragment);
        if words.is_empty() {
            return Ok(vec![]);
        }
        let n = self.wording_count().max(1) as f64;
        let last = words.len() - 1;
        let mut query = Vec::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            if !indexed(w, "en") || !indexed(w, "es") {
                // A function word: not in the index, weighed like the matcher weighs them.
                query.push(QueryWord {
                    word: w.clone(),
                    weight: 0.2,
                    expansions: Vec::new(),
                });
                continue;
            }
            let expansions = self.expand(w, i == last)?;
            // A word that is only near stored words (a typo, or a truncated last word) weighs
            // little more than an ordinary word: the guess may be wrong. A word the store has
            // never seen, nor anything near it, cannot be matched by any cluster; it counts
            // like an ordinary word so that it does not veto the others.
            let exact = expansions.first().is_some_and(|e| e.1 == 1.0);
            let weight = match expansions.iter().map(|e| e.2).max() {
                Some(df) if exact => (1.0 + n / f64::from(df.max(1))).ln(),
                Some(df) => (1.0 + n / f64::from(df.max(1))).ln().min(1.5),
                None => 1.0,
            };
            query.push(QueryWord {
                word: w.clone(),
                weight,
                expansions,
            });
        }
        let total: f64 = query.iter().map(|q| q.weight).sum();

        // Rarest words first: they give the fewest, best candidates.
        let mut order: Vec<usize> = (0..query.len()).collect();
        order.sort_by(|&a, &b| query[b].weight.total_cmp(&query[a].weight));
        let mut found: HashMap<ClusterId, Vec<f64>> = HashMap::new();
        for &qi in &order {
            let q = &query[qi];
            if q.expansions.is_empty() {
                continue;
            }
            let common = q.expansions.iter().all(|e| e.2 > COMMON_DF);
            if common && !found.is_empty() {
                continue;
            }
            // When a truncated last word has more completions than are read (they are read
            // alphabetically), the ones read only propose candidates if no other word can;
            // ranking still credits the right completion.
            let others = query
                .iter()
                .enumerate()
                .any(|(j, o)| j != qi && !o.expansions.is_empty());
            for (stored, quality, _) in &q.expansions {
                if *quality == PARTIAL_PREFIX_QUALITY && others {
                    continue;
                }
                let mut taken = 0usize;
                self.term_runs(stored, |(_, list)| {
                    taken += list.len();
                    for cid in list {
                        let slot = found.entry(cid).or_insert_with(|| vec![0.0; query.len()]);
                        slot[qi] = slot[qi].max(*quality);
                    }
                    !(common && taken >= COMMON_DF as usize)
                })?;
            }
        }
        let mut rough: Vec<(ClusterId, f64)> = found
            .into_iter()
            .map(|(cid, m)| {
                let s: f64 = m.iter().zip(&query).map(|(m, q)| m * q.weight).sum();
                (cid, s / total)
            })
            .filter(|(_, s)| *s >= MIN_SCORE * 0.8)
            .collect();
        rough.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        rough.truncate(RERANK);

        let mut hits = Vec::new();
        for (cid, _) in rough {
            let Some(c) = self.cluster(cid)? else {
                continue;
            };
            let variants = super::sorted_wordings(c.wordings);
            let best = variants
                .iter()
                .take(MAX_VARIANTS_RANKED)
                .map(|v| in_order_score(&query, &terms(&v.wording)) / total)
                .fold(0.0, f64::max);
            if best >= MIN_SCORE {
                hits.push((
                    LookupHit {
                        cluster: cid,
                        score: best,
                    },
                    c.occurrences,
                ));
            }
        }
        hits.sort_by(|a, b| {
            b.0.score
                .total_cmp(&a.0.score)
                .then(b.1.cmp(&a.1))
                .then(a.0.cluster.cmp(&b.0.cluster))
        });
        Ok(hits.into_iter().take(limit).map(|h| h.0).collect())
    }

    fn expand(&self, word: &str, is_last: bool) -> Result<Vec<(String, f64, u32)>, StoreError> {
        let mut out = Vec::new();
        let df = self.vocab_df(word)?;
        if df > 0 {
            out.push((word.to_owned(), 1.0, df));
        }
        if is_last && word.chars().count() >= 2 {
            let p = records::vocab_key(word);
            for r in self
                .backend()
                .scan_prefix(&p)
                .take(MAX_PREFIX_EXPANSIONS + 1)
            {
                let (k, _) = r?;
                let stored = String::from_utf8_lossy(&k[1..]).into_owned();
                if stored != word {
                    let df = self.vocab_df(&stored)?;
                    out.push((stored, PREFIX_QUALITY, df));
                }
            }
        }
        let budget = typo_budget(word);
        if df == 0 && budget > 0 {
            // A typo rarely hits the first two letters; scanning only words that share them
            // keeps this to a few thousand vocabulary entries.
            let head: String = word.chars().take(2).collect();
            let mut p = vec![prefix::VOCAB];
            p.extend_from_slice(head.as_bytes());
            for r in self.backend().scan_prefix(&p).take(MAX_TYPO_SCAN) {
                let (k, _) = r?;
                let stored = String::from_utf8_lossy(&k[1..]).into_owned();
                if let Some(d) = edit_distance(word, &stored, budget) {
                    if d > 0 && !out.iter().any(|e| e.0 == stored) {
                        let df = self.vocab_df(&stored)?;
                        out.push((stored, if d == 1 { 0.8 } else { 0.6 }, df));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// The heaviest in-order alignment of query words onto a wording's words (each query word
/// matched at most once, in order, gaps allowed), weighted by word weight and match quality.
fn in_order_score(query: &[QueryWord], words: &[String]) -> f64 {
    let last = query.len().saturating_sub(1);
    let cols = words.len() + 1;
    let mut d = vec![0.0f64; (query.len() + 1) * cols];
    for i in 1..=query.len() {
        for j in 1..=words.len() {
            let m = word_match(&query[i - 1].word, &words[j - 1], i - 1 == last);
            let diag = d[(i - 1) * cols + j - 1] + m * query[i - 1].weight;
            d[i * cols + j] = diag.max(d[(i - 1) * cols + j]).max(d[i * cols + j - 1]);
        }
    }
    d[query.len() * cols + words.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_fold_case_punctuation_and_accents() {
        assert_eq!(
            terms("“Fight AGAINST drugs,” Pétro’s"),
            vec!["fight", "against", "drugs", "petro", "s"]
        );
    }

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("carrying", "carrying", 2), Some(0));
        assert_eq!(edit_distance("carrying", "carryign", 2), Some(1));
        assert_eq!(edit_distance("fish", "fist", 1), Some(1));
        assert_eq!(edit_distance("fish", "drugs", 1), None);
    }

    #[test]
    fn last_word_may_be_truncated() {
        assert_eq!(word_match("carr", "carrying", true), 0.9);
        assert_eq!(word_match("carr", "carrying", false), 0.0);
    }
}
