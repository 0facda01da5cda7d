//! The cross-language stage: joining lexical clusters of different languages that embed close
//! together.
//!
//! It runs after the lexical cascade, on its clusters, and only when the batch holds more than
//! one language: a one-language batch embeds nothing. A cluster of the batch's dominant
//! language (most quotes) is represented by its canonical member (most content words); a
//! cluster of any other language is taken apart into its members, because the cascade merges
//! unrelated conversational Spanish turns on shared function words, and such a false merge
//! would otherwise pull two English statements together. So one text is embedded per
//! dominant-language cluster plus one per other-language quote, and every unit is compared with
//! every other by brute force: `O(units² × 384)` multiply-adds, about 10¹⁰ for the 5,000 units
//! of fisher-dev-xling (a second or two on two cores), but quadratic, so beyond some 30,000
//! units an approximate nearest-neighbour index would be needed.
//!
//! Pairs at or above their threshold are taken best first: [`XLING_THRESHOLD`] across
//! languages and the stricter [`SAME_LANG_THRESHOLD`] within one, because cross-language cosines
//! run lower than same-language ones for the same meaning. Two groups merge only when every
//! pair of their members is at or above its threshold (complete link, so no chaining through a
//! translation) and their speakers are compatible. The same-language threshold lets a Spanish
//! quote bring together English renderings the lexical cascade left apart (it calls a
//! paraphrase two statements when it shares too few words); it only acts in a batch that
//! mixes languages, since a one-language batch is never embedded.

use rayon::prelude::*;

use super::{cosine, EmbedError, Embedder};
use crate::matcher::{speakers_compatible, ClusterId};

/// Cosine of canonical wordings at or above which two clusters in different languages are one
/// statement. Calibrated on fisher-dev-xling (Spanish turns and their English translations)
/// for multilingual-e5-small with the `query: ` prefix: with [`SAME_LANG_THRESHOLD`] at 0.94,
/// pairwise F1 is 0.899, 0.898 and 0.891 at 0.84, 0.86 and 0.88.
pub const XLING_THRESHOLD: f32 = 0.86;
/// Cosine at or above which two units in one language are one statement, in a batch that
/// mixes languages. Calibrated with [`XLING_THRESHOLD`] on fisher-dev-xling: F1 0.901 at 0.93,
/// 0.898 at 0.94, 0.887 at 0.95, and without the stage for one language (1.01) far lower; the
/// value above the peak is kept because F1 falls off faster below it (0.850 at 0.92 in an
/// earlier calibration).
pub const SAME_LANG_THRESHOLD: f32 = 0.94;

/// The two cut-offs of [`link_clusters`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkThresholds {
    /// See [`XLING_THRESHOLD`].
    pub cross: f32,
    /// See [`SAME_LANG_THRESHOLD`].
    pub same: f32,
}

impl Default for LinkThresholds {
    fn default() -> Self {
        Self {
            cross: XLING_THRESHOLD,
            same: SAME_LANG_THRESHOLD,
        }
    }
}

/// One clustered quote, as the cross-language stage sees it.
#[derive(Clone, Copy, Debug)]
pub struct Member<'a> {
    /// The original wording (embeddings see accents and case).
    pub text: &'a str,
    /// Language code (see [`super::quote_lang`]).
    pub lang: &'a str,
    /// Content words, to pick the canonical member.
    pub content: u32,
    /// All words, the next tie-break.
    pub words: usize,
    /// Speaker key, when known.
    pub speaker: Option<&'a str>,
}

/// What [`link_clusters`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkReport {
    /// Texts embedded (one per dominant-language cluster and one per other-language quote;
    /// 0 for a one-language batch).
    pub embedded: usize,
    /// Cluster merges made across languages.
    pub linked: usize,
}

/// Does a batch hold more than one language, so that [`link_clusters`] has work to do?
pub fn is_multilingual<'a>(langs: impl IntoIterator<Item = &'a str>) -> bool {
    let mut it = langs.into_iter();
    match it.next() {
        Some(first) => it.any(|l| l != first),
        None => false,
    }
}

/// The dominant language may outnumber the others by this much before only its units that
/// share a name or number with them are compared (fisher-dev-xling: 4 to 1).
pub const SMALL_SHARE_RATIO: usize = 20;

/// How many dominant-language units one other-language unit is compared with when the
/// other languages are a small share of the batch.
pub const CANDIDATES_PER_UNIT: usize = 32;

/// How many times longer (in words) than an other-language quote a dominant-language cluster
/// may be and still be embedded as a candidate translation of it, when the other languages are
/// a small share of the batch. In fisher-dev-xling, 99% of Spanish/English renderings of one
/// turn are within 2.0 times each other's length and 99.9% within 3.5. Long texts are what
/// embedding costs most (attention grows with the square of the length): in 100k AllSides
/// quotes, two 300-word passages sharing a name with a one-line Spanish quote took most of the
/// cross-language stage's time.
pub const MAX_LENGTH_RATIO: usize = 4;

/// Words that survive translation: capitalized words after the first, and numbers, lower-cased.
fn anchor_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .skip(1)
        .filter(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                || w.chars().all(|c| c.is_ascii_digit())
        })
        .map(str::to_lowercase)
}

/// Joins clusters whose canonical members embed at least as close as `t` asks, rewriting `ids`
/// (one per member; a merged cluster takes the smallest id). Does nothing, and embeds nothing,
/// unless the clusters span more than one language.
///
/// # Panics
/// When `members` and `ids` differ in length.
pub fn link_clusters(
    members: &[Member<'_>],
    ids: &mut [ClusterId],
    embedder: &dyn Embedder,
    t: LinkThresholds,
) -> Result<LinkReport, EmbedError> {
    link_clusters_lazy(members, ids, || Ok::<_, EmbedError>(embedder), t)
}

/// [`link_clusters`] with the embedder asked for only when some pair of units can be compared:
/// a batch whose few other-language quotes share no name or number with any speaker-compatible
/// cluster (a lone Spanish line in 100k English news quotes) never loads the model. The
/// embedder's own error, or an [`EmbedError`] while embedding, comes back as `E`.
///
/// # Panics
/// When `members` and `ids` differ in length.
pub fn link_clusters_lazy<'m, E: From<EmbedError>>(
    members: &[Member<'_>],
    ids: &mut [ClusterId],
    embedder: impl FnOnce() -> Result<&'m dyn Embedder, E>,
    t: LinkThresholds,
) -> Result<LinkReport, E> {
    assert_eq!(members.len(), ids.len(), "one id per member");
    if !is_multilingual(members.iter().map(|m| m.lang)) {
        return Ok(LinkReport::default());
    }
    // Dense cluster index, canonical member and speakers of every cluster, in id order.
    let mut order: Vec<ClusterId> = ids.to_vec();
    order.sort_unstable();
    order.dedup();
    let dense = |id: ClusterId| order.binary_search(&id).expect("id is listed");
    let mut canonical: Vec<usize> = vec![usize::MAX; order.len()];
    let mut speakers: Vec<Vec<&str>> = vec![Vec::new(); order.len()];
    for (i, m) in members.iter().enumerate() {
        let c = dense(ids[i]);
        let better = match canonical[c] {
            usize::MAX => true,
            j => {
                let o = &members[j];
                (m.content, m.words, std::cmp::Reverse(m.text))
                    > (o.content, o.words, std::cmp::Reverse(o.text))
            }
        };
        if better {
            canonical[c] = i;
        }
        if let Some(s) = m.speaker {
            if !speakers[c].contains(&s) {
                speakers[c].push(s);
            }
        }
    }
    // The units compared: a cluster of the dominant language is one unit, its canonical
    // member. A cluster of any other language is split into its members, so that a lexical
    // merge there (function words of conversational Spanish are enough to fool the cascade)
    // is only kept when the embeddings confirm it at the same-language threshold.
    let mut count: Vec<(&str, usize)> = Vec::new();
    for m in members {
        match count.iter_mut().find(|(l, _)| *l == m.lang) {
            Some(e) => e.1 += 1,
            None => count.push((m.lang, 1)),
        }
    }
    let dominant = count
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|e| e.0)
        .expect("members are not empty");
    let mut by_cluster: Vec<Vec<usize>> = vec![Vec::new(); order.len()];
    for (i, &id) in ids.iter().enumerate() {
        by_cluster[dense(id)].push(i);
    }
    let rank_key = |i: usize| {
        let m = &members[i];
        (std::cmp::Reverse((m.content, m.words)), m.text)
    };
    // (representative member, speakers, (lexical id, rank)) per unit; `unit_of[i]` for member i.
    let mut units: Vec<(usize, Vec<&str>, (ClusterId, usize))> = Vec::new();
    let mut unit_of = vec![0usize; members.len()];
    for (c, list) in by_cluster.iter_mut().enumerate() {
        if members[canonical[c]].lang == dominant {
            for &i in list.iter() {
                unit_of[i] = units.len();
            }
            units.push((canonical[c], speakers[c].clone(), (order[c], 0)));
        } else {
            list.sort_by(|&a, &b| {
                (a != canonical[c], rank_key(a)).cmp(&(b != canonical[c], rank_key(b)))
            });
            for (rank, &i) in list.iter().enumerate() {
                unit_of[i] = units.len();
                units.push((
                    i,
                    members[i].speaker.into_iter().collect(),
                    (order[c], rank),
                ));
            }
        }
    }
    let lang: Vec<&str> = units.iter().map(|u| members[u.0].lang).collect();
    if !is_multilingual(lang.iter().copied()) {
        return Ok(LinkReport::default());
    }
    // Which units are embedded and compared. When the other languages are a small share of a
    // large batch (a few Spanish originals among English news), embedding every cluster of the
    // dominant language would cost far more than the few links it can make: only the dominant
    // units that share a name or a number with some other-language unit are compared (names and
    // numbers survive translation). A batch where the other languages are a real share compares
    // everything.
    let foreign = lang.iter().filter(|&&l| l != dominant).count();
    let comparable_length = |a: usize, b: usize| {
        let (x, y) = (members[units[a].0].words, members[units[b].0].words);
        x.max(y) <= MAX_LENGTH_RATIO * x.min(y).max(1)
    };
    let compatible = |a: usize, b: usize| {
        units[a].1.iter().all(|&x| {
            units[b]
                .1
                .iter()
                .all(|&y| speakers_compatible(Some(x), Some(y)))
        })
    };
    let compared: Vec<usize> = if units.len() - foreign <= SMALL_SHARE_RATIO * foreign {
        (0..units.len()).collect()
    } else {
        // Each other-language unit brings at most CANDIDATES_PER_UNIT dominant units: those
        // sharing the most anchor words with it, so the cost stays proportional to the number
        // of other-language quotes whatever the size of the batch.
        // Only the anchors of the other-language units are indexed: a few hundred words, not
        // every name in a large batch.
        let mut by_anchor: std::collections::HashMap<String, Vec<usize>> = (0..units.len())
            .filter(|&u| lang[u] != dominant)
            .flat_map(|u| anchor_words(members[units[u].0].text))
            .map(|w| (w, Vec::new()))
            .collect();
        for u in (0..units.len()).filter(|&u| lang[u] == dominant) {
            let mut words: Vec<String> = anchor_words(members[units[u].0].text)
                .filter(|w| by_anchor.contains_key(w))
                .collect();
            words.sort_unstable();
            words.dedup();
            for w in words {
                by_anchor.get_mut(&w).expect("filtered above").push(u);
            }
        }
        let mut chosen: Vec<usize> = Vec::new();
        for f in (0..units.len()).filter(|&u| lang[u] != dominant) {
            chosen.push(f);
            let mut shared: std::collections::HashMap<usize, usize> = Default::default();
            let mut words: Vec<String> = anchor_words(members[units[f].0].text).collect();
            words.sort_unstable();
            words.dedup();
            for w in &words {
                // A cluster of another speaker can never join, and one far longer or shorter
                // is no translation of this quote (see MAX_LENGTH_RATIO): neither is worth
                // embedding.
                for &u in by_anchor.get(w).map_or(&[][..], Vec::as_slice) {
                    if compatible(f, u) && comparable_length(f, u) {
                        *shared.entry(u).or_default() += 1;
                    }
                }
            }
            let mut ranked: Vec<(usize, usize)> = shared.into_iter().collect();
            ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            chosen.extend(ranked.into_iter().take(CANDIDATES_PER_UNIT).map(|(u, _)| u));
        }
        chosen.sort_unstable();
        chosen.dedup();
        chosen
    };
    // Nothing to compare (one unit, or only units of speakers who can never share a
    // statement): the model is not even loaded.
    let any_pair = compared
        .iter()
        .enumerate()
        .any(|(k, &a)| compared[k + 1..].iter().any(|&b| compatible(a, b)));
    if !any_pair {
        return Ok(LinkReport::default());
    }
    let texts: Vec<&str> = compared.iter().map(|&u| members[units[u].0].text).collect();
    let embedded = embedder()?.embed(&texts)?;
    let mut vecs: Vec<Vec<f32>> = vec![Vec::new(); units.len()];
    for (&u, v) in compared.iter().zip(embedded) {
        vecs[u] = v;
    }
    let vecs = &vecs;
    let speakers: Vec<&[&str]> = units.iter().map(|u| u.1.as_slice()).collect();

    let threshold = |a: usize, b: usize| if lang[a] == lang[b] { t.same } else { t.cross };
    let close = |a: usize, b: usize| cosine(&vecs[a], &vecs[b]) >= threshold(a, b);
    // Candidate pairs, best first.
    let n = units.len();
    let m = compared.len();
    let compared = &compared;
    let mut pairs: Vec<(f32, usize, usize)> = (0..m)
        .into_par_iter()
        .flat_map_iter(|i| {
            let a = compared[i];
            let (va, threshold) = (&vecs[a], &threshold);
            compared[i + 1..].iter().filter_map(move |&b| {
                let s = cosine(va, &vecs[b]);
                (s >= threshold(a, b)).then_some((s, a, b))
            })
        })
        .collect();
    pairs.sort_unstable_by(|p, q| q.0.total_cmp(&p.0).then((p.1, p.2).cmp(&(q.1, q.2))));

    // Greedy complete-link merging of groups of units.
    let mut group: Vec<usize> = (0..n).collect();
    let mut groups: Vec<Vec<usize>> = (0..n).map(|u| vec![u]).collect();
    let mut linked = 0;
    for &(_, a, b) in &pairs {
        let (ga, gb) = (group[a], group[b]);
        if ga == gb {
            continue;
        }
        let ok = groups[ga].iter().all(|&x| {
            groups[gb].iter().all(|&y| {
                close(x, y)
                    && speakers[x].iter().all(|&s| {
                        speakers[y]
                            .iter()
                            .all(|&t| speakers_compatible(Some(s), Some(t)))
                    })
            })
        });
        if !ok {
            continue;
        }
        let (keep, gone) = if groups[ga].len() >= groups[gb].len() {
            (ga, gb)
        } else {
            (gb, ga)
        };
        let moved = std::mem::take(&mut groups[gone]);
        for &u in &moved {
            group[u] = keep;
        }
        groups[keep].extend(moved);
        linked += 1;
    }
    // A group keeps the lexical id of its first unit when that unit leads its lexical cluster;
    // groups made of split-off members get fresh ids after the largest lexical id, in key
    // order, so the numbering does not depend on input order.
    let key = |g: usize| {
        groups[g]
            .iter()
            .map(|&u| units[u].2)
            .min()
            .expect("a group holds its units")
    };
    let mut fresh: Vec<(ClusterId, usize)> = (0..n)
        .filter(|&g| !groups[g].is_empty() && key(g).1 != 0)
        .map(key)
        .collect();
    fresh.sort_unstable();
    let next = order.last().map_or(0, |&m| m + 1);
    let group_id = |g: usize| {
        let k = key(g);
        if k.1 == 0 {
            k.0
        } else {
            next + fresh.binary_search(&k).expect("listed above") as ClusterId
        }
    };
    for (i, id) in ids.iter_mut().enumerate() {
        *id = group_id(group[unit_of[i]]);
    }
    Ok(LinkReport {
        embedded: texts.len(),
        linked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::matcher::embed::test_table::Table;

    fn member<'a>(text: &'a str, lang: &'a str, speaker: Option<&'a str>) -> Member<'a> {
        Member {
            text,
            lang,
            content: 3,
            words: 5,
            speaker,
        }
    }

    #[test]
    fn one_language_embeds_nothing() {
        let table = Table(vec![]);
        let ms = [member("a", "en", None), member("b", "en", None)];
        let mut ids = vec![0, 1];
        let r = link_clusters(
            &ms,
            &mut ids,
            &table,
            LinkThresholds {
                cross: 0.9,
                same: 0.99,
            },
        )
        .unwrap();
        assert_eq!(r, LinkReport::default());
        assert_eq!(ids, vec![0, 1]);
    }

    #[test]
    fn translation_joins_its_cluster_without_chaining() {
        // es1 is close to en1 and to en2, but en1 and en2 were kept apart lexically: es1 joins
        // the closer one only. es2 is far from everything.
        let table = Table(vec![
            ("en1", vec![1.0, 0.0, 0.0]),
            ("en2", vec![0.9, 0.44, 0.0]),
            ("es1", vec![0.98, 0.2, 0.0]),
            ("es2", vec![0.0, 0.0, 1.0]),
        ]);
        let ms = [
            member("en1", "en", None),
            member("en2", "en", None),
            member("es1", "es", None),
            member("es2", "es", None),
        ];
        let mut ids = vec![0, 1, 2, 3];
        let r = link_clusters(
            &ms,
            &mut ids,
            &table,
            LinkThresholds {
                cross: 0.9,
                same: 0.99,
            },
        )
        .unwrap();
        assert_eq!(r.linked, 1);
        assert_eq!(r.embedded, 4);
        assert_eq!(ids, vec![0, 1, 0, 3]);
    }

    #[test]
    fn a_lexical_merge_in_the_minority_language_must_be_confirmed() {
        // es1 and es2 were merged lexically but mean different things: each joins its own
        // English cluster. es3 is a copy of es1 and stays with it.
        let table = Table(vec![
            ("en1", vec![1.0, 0.0, 0.0]),
            ("en2", vec![0.0, 1.0, 0.0]),
            ("en3", vec![0.0, 0.0, 1.0]),
            ("es1", vec![0.95, 0.1, 0.0]),
            ("es2", vec![0.1, 0.95, 0.0]),
            ("es3", vec![0.95, 0.1, 0.0]),
        ]);
        let ms = [
            member("en1", "en", None),
            member("en2", "en", None),
            member("en3", "en", None),
            member("es1", "es", None),
            member("es2", "es", None),
            member("es3", "es", None),
        ];
        let mut ids = vec![0, 1, 2, 3, 3, 3];
        let t = LinkThresholds {
            cross: 0.9,
            same: 0.99,
        };
        link_clusters(&ms, &mut ids, &table, t).unwrap();
        assert_eq!(ids, vec![0, 1, 2, 0, 1, 0]);
    }

    #[test]
    fn different_speakers_are_never_linked() {
        let table = Table(vec![("en", vec![1.0, 0.0]), ("es", vec![1.0, 0.01])]);
        let ms = [
            member("en", "en", Some("marco rubio")),
            member("es", "es", Some("gustavo petro")),
        ];
        let mut ids = vec![0, 1];
        link_clusters(
            &ms,
            &mut ids,
            &table,
            LinkThresholds {
                cross: 0.9,
                same: 0.99,
            },
        )
        .unwrap();
        assert_eq!(ids, vec![0, 1]);
    }
}
