//! The paraphrase stage: a second look, through sentence embeddings, at the few pairs of
//! quotes the lexical cascade left in different clusters although they share rare words.
//!
//! Two renderings of one remark can share too few words for the cascade ("He died on the
//! spot" / "The driver was killed instantly"), while two sentences of one story can share most
//! of theirs. Words alone cannot separate these; meaning can, but embedding every quote costs
//! far more than the lexical cascade (about 50 quotes a second per core against 20,000). So
//! only *gray* pairs are embedded: a quote and its closest lexical neighbours (see
//! `similarity::neighbourhood`) whose damped weighted Dice is at least [`GRAY_FLOOR`] and
//! which ended up in different clusters. In news, where most quotes have no rendering but
//! their own copies, that is a small share of the batch; the stage is skipped (and the model
//! never loaded) when there is none.
//!
//! A gray pair joins its two clusters when the two quotes are each other's closest gray
//! partner in meaning (a relative criterion, like the lexical stage's reciprocal best match),
//! their cosine is at least [`PARAPHRASE_THRESHOLD`], and every embedded member of one cluster
//! is that close to every embedded member of the other (complete link, so no chaining).

use super::{cosine, EmbedError, Embedder};
use crate::matcher::{speakers_compatible, ClusterId, Day, Span, TIME_WINDOW_DAYS};
use std::collections::HashMap;
use std::hash::Hash;

/// Damped weighted Dice (the overlap stage's score, without its shared-content minimum) from
/// which a split pair of lexical neighbours is looked at again.
pub const GRAY_FLOOR: f32 = 0.1;
/// Closest lexical neighbours of each quote that may form gray pairs.
pub const GRAY_NEIGHBOURS: usize = 2;
/// Cosine of multilingual-e5-small embeddings (`query: ` prefix) at or above which a gray pair
/// of mutual closest partners is one statement.
pub const PARAPHRASE_THRESHOLD: f32 = 0.9;
/// How much looser than the tighter of its two parts (lowest cosine between embedded members)
/// a merged cluster may be.
pub const PARAPHRASE_MARGIN: f32 = 0.03;
/// Most texts `quotetrace cluster` embeds for the paraphrase stage by default: about 200 s of
/// one core at ~20 ms a text (100 s on two). A batch of at most this many quotes is embedded
/// whole ([`refine_by_neighbours`]: the wmt21 sets, 2,000 quotes each, and fisher-dev, 8,124);
/// a larger one only in its gray zone ([`link_paraphrases`]), when that is within the budget.
/// Gray zones of news are larger (46,000+ texts for 100,000 AllSides quotes), so a large news
/// batch stays lexical (with a note) unless the caller raises the budget; 0 turns the stage
/// off. At 2,500 fisher-dev (pairwise F1 0.844 lexically, 0.928 embedded whole) was never
/// embedded.
pub const PARAPHRASE_BUDGET: usize = 10_000;

/// One quote of the batch, as the paraphrase stage sees it.
#[derive(Clone, Copy, Debug)]
pub struct Quote<'a> {
    /// The original wording.
    pub text: &'a str,
    /// Speaker key, when known.
    pub speaker: Option<&'a str>,
    /// Publication day, when known: a rewording joins only within the time window
    /// ([`TIME_WINDOW_DAYS`]), as in the lexical stage.
    pub day: Option<Day>,
}

/// What [`link_paraphrases`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParaphraseReport {
    /// Gray pairs looked at.
    pub pairs: usize,
    /// Quotes embedded.
    pub embedded: usize,
    /// Cluster merges made.
    pub linked: usize,
}

/// Tunable cut-offs of [`link_paraphrases`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParaphraseThresholds {
    /// See [`PARAPHRASE_THRESHOLD`].
    pub cosine: f32,
    /// Only pairs that are each other's closest gray partner may join.
    pub mutual: bool,
    /// See [`PARAPHRASE_MARGIN`].
    pub margin: f32,
}

impl Default for ParaphraseThresholds {
    fn default() -> Self {
        Self {
            cosine: PARAPHRASE_THRESHOLD,
            mutual: true,
            margin: PARAPHRASE_MARGIN,
        }
    }
}

/// How many texts [`link_paraphrases`] would embed for these `ids` and `pairs`: 0 when no
/// pair is split.
pub fn paraphrase_work(ids: &[ClusterId], pairs: &[(usize, usize)]) -> usize {
    work(ids, pairs).1.len()
}

/// The pairs worth looking at and the quotes to embed: the split pairs, and the pairs within a
/// cluster that touch a quote of a split pair (a quote may only leave for a quote of another
/// cluster that is closer in meaning than its own close neighbours are).
fn work(ids: &[ClusterId], pairs: &[(usize, usize)]) -> (Vec<(usize, usize)>, Vec<usize>) {
    let mut pairs: Vec<(usize, usize)> = pairs
        .iter()
        .map(|&(a, b)| (a.min(b), a.max(b)))
        .filter(|&(a, b)| a != b)
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut ends: Vec<usize> = pairs
        .iter()
        .filter(|&&(a, b)| ids[a] != ids[b])
        .flat_map(|&(a, b)| [a, b])
        .collect();
    ends.sort_unstable();
    ends.dedup();
    if ends.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let touches = |i: usize| ends.binary_search(&i).is_ok();
    let pairs: Vec<(usize, usize)> = pairs
        .into_iter()
        .filter(|&(a, b)| touches(a) || touches(b))
        .collect();
    let mut ends: Vec<usize> = pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
    ends.sort_unstable();
    ends.dedup();
    (pairs, ends)
}

/// Joins clusters through gray `pairs` (indices into `quotes` and `ids`) whose embeddings agree
/// (see the module docs), rewriting `ids`; a merged cluster takes the smaller id, so the result
/// is as independent of input order as `ids` and `pairs` are.
///
/// # Panics
/// When `quotes` and `ids` differ in length or a pair is out of range.
pub fn link_paraphrases(
    quotes: &[Quote<'_>],
    ids: &mut [ClusterId],
    pairs: &[(usize, usize)],
    embedder: &dyn Embedder,
    t: ParaphraseThresholds,
) -> Result<ParaphraseReport, EmbedError> {
    assert_eq!(quotes.len(), ids.len(), "one id per quote");
    let (pairs, ends) = work(ids, pairs);
    if ends.is_empty() {
        return Ok(ParaphraseReport::default());
    }
    let slot = |i: usize| ends.binary_search(&i).expect("an end of some pair");
    let texts: Vec<&str> = ends.iter().map(|&i| quotes[i].text).collect();
    let vecs = embedder.embed(&texts)?;
    let cos = |a: usize, b: usize| cosine(&vecs[slot(a)], &vecs[slot(b)]);

    // Each quote's closest neighbour in meaning, in its cluster or not.
    let mut best: Vec<Option<(usize, f32)>> = vec![None; ends.len()];
    let mut scored: Vec<(f32, usize, usize)> = Vec::with_capacity(pairs.len());
    for &(a, b) in &pairs {
        let s = cos(a, b);
        for (x, y) in [(a, b), (b, a)] {
            let e = &mut best[slot(x)];
            if e.is_none_or(|(z, v)| s > v || (s == v && y < z)) {
                *e = Some((y, s));
            }
        }
        if s >= t.cosine && ids[a] != ids[b] {
            scored.push((s, a, b));
        }
    }
    scored.sort_unstable_by(|p, q| q.0.total_cmp(&p.0).then((p.1, p.2).cmp(&(q.1, q.2))));

    // Embedded members and speakers per cluster, looked up by current id.
    let mut members: HashMap<ClusterId, Vec<usize>> = Default::default();
    for &i in &ends {
        members.entry(ids[i]).or_default().push(i);
    }
    let mut bounds = Constraints::default();
    for (q, &id) in quotes.iter().zip(ids.iter()) {
        bounds.add(id, q);
    }
    let mut parent: HashMap<ClusterId, ClusterId> = Default::default();
    let find = |parent: &HashMap<ClusterId, ClusterId>, mut c: ClusterId| {
        while let Some(&p) = parent.get(&c) {
            c = p;
        }
        c
    };
    let mut linked = 0;
    for &(_, a, b) in &scored {
        if t.mutual
            && !(best[slot(a)].is_some_and(|(y, _)| y == b)
                && best[slot(b)].is_some_and(|(y, _)| y == a))
        {
            continue;
        }
        let (ca, cb) = (find(&parent, ids[a]), find(&parent, ids[b]));
        if ca == cb {
            continue;
        }
        let empty = Vec::new();
        let (ma, mb) = (
            members.get(&ca).unwrap_or(&empty),
            members.get(&cb).unwrap_or(&empty),
        );
        let cross = ma
            .iter()
            .flat_map(|&x| mb.iter().map(move |&y| (x, y)))
            .map(|(x, y)| cos(x, y))
            .fold(f32::INFINITY, f32::min);
        if cross < t.cosine {
            continue;
        }
        // Relative: the merged cluster may not be looser than its parts.
        let intra = |m: &[usize]| {
            let mut v = f32::INFINITY;
            for (k, &x) in m.iter().enumerate() {
                for &y in &m[k + 1..] {
                    v = v.min(cos(x, y));
                }
            }
            v
        };
        let tight = intra(ma).min(intra(mb));
        if tight.is_finite() && cross < tight - t.margin {
            continue;
        }
        if !bounds.may_join(ca, cb) {
            continue;
        }
        let (keep, gone) = (ca.min(cb), ca.max(cb));
        bounds.join(keep, gone);
        parent.insert(gone, keep);
        let moved = members.remove(&gone).unwrap_or_default();
        members.entry(keep).or_default().extend(moved);
        linked += 1;
    }
    if linked > 0 {
        for id in ids.iter_mut() {
            *id = find(&parent, *id);
        }
    }
    Ok(ParaphraseReport {
        pairs: scored.len(),
        embedded: ends.len(),
        linked,
    })
}

/// What a merge of two groups of quotes must respect, kept per group (a cluster id or a
/// union-find root): every named speaker must be compatible with every speaker of the other
/// group, and the dated members of both together must stay within [`TIME_WINDOW_DAYS`], as in
/// the lexical stage.
struct Constraints<'a, K> {
    speakers: HashMap<K, Vec<&'a str>>,
    spans: HashMap<K, Span>,
    /// Per group: the names its members hold ([`names_of`]) and every word prefix they hold.
    names: HashMap<K, Names>,
}

impl<K> Default for Constraints<'_, K> {
    fn default() -> Self {
        Constraints {
            speakers: HashMap::new(),
            spans: HashMap::new(),
            names: HashMap::new(),
        }
    }
}

/// Texts of at most this many words must agree on their names to join by meaning: in a short
/// quote a name is much of what it says, and its embedding does not weigh it enough ("disobey
/// the orders of Trump" sits next to "obey the orders of humanity"). Longer renderings are left
/// to their embeddings: translators vary names and capitals too much ("Kyjev", "Kiev"; "the
/// Czech Republic", "the country"). On the variant sets the rule keeps apart 3, 8 and 90 of
/// the 1,000, 1,000 and 12,186 gold pairs of wmt21-cs-en, wmt21-de-en and fisher-dev; at 12
/// words it would be 32, 22 and 315.
const SHORT_TEXT_WORDS: usize = 8;

/// Letters of a word compared by the names rule: "Colombia" and "Colombian", "Trump" and
/// "Trump's" agree.
const NAME_PREFIX: usize = 5;

/// The names of a group and the word prefixes of all its texts, lower-cased, [`NAME_PREFIX`]
/// letters long at most.
#[derive(Default)]
struct Names {
    names: Vec<String>,
    words: std::collections::HashSet<String>,
    /// Words of the group's longest text.
    longest: usize,
}

impl Names {
    fn add(&mut self, text: &str) {
        self.longest = self.longest.max(text.split_whitespace().count());
        for name in names_of(text) {
            if !self.names.contains(&name) {
                self.names.push(name);
            }
        }
        for w in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            self.words.insert(prefix(w));
        }
    }

    /// Every name of one side is a word of the other: two renderings of one statement name
    /// the same people and places. An embedding alone puts "disobey the orders of Trump" next
    /// to "obey the orders of humanity"; the name Trump tells them apart.
    fn agree(&self, other: &Names) -> bool {
        self.longest.max(other.longest) > SHORT_TEXT_WORDS
            || (self.names.iter().all(|n| other.words.contains(n))
                && other.names.iter().all(|n| self.words.contains(n)))
    }

    fn absorb(&mut self, other: Names) {
        self.longest = self.longest.max(other.longest);
        for n in other.names {
            if !self.names.contains(&n) {
                self.names.push(n);
            }
        }
        self.words.extend(other.words);
    }
}

fn prefix(word: &str) -> String {
    word.chars()
        .take(NAME_PREFIX)
        .flat_map(char::to_lowercase)
        .collect()
}

/// Capitalized words that do not open a sentence, other than the pronoun I: the names a
/// rendering keeps whatever its wording.
fn names_of(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut opens_sentence = true;
    for token in text.split_whitespace() {
        let word: &str = token.trim_matches(|c: char| !c.is_alphanumeric());
        let capital = word.chars().next().is_some_and(char::is_uppercase);
        let pronoun = word == "I" || word.starts_with("I'") || word.starts_with("I’");
        if capital && !opens_sentence && !pronoun {
            let p = prefix(word);
            if !out.contains(&p) {
                out.push(p);
            }
        }
        if !word.is_empty() || token.chars().any(char::is_alphanumeric) {
            opens_sentence = token.ends_with(['.', '!', '?', ':', '"', '“', '”']);
        }
    }
    out
}

impl<'a, K: Copy + Eq + Hash> Constraints<'a, K> {
    fn add(&mut self, group: K, q: &Quote<'a>) {
        if let Some(s) = q.speaker {
            let list = self.speakers.entry(group).or_default();
            if !list.contains(&s) {
                list.push(s);
            }
        }
        let span = Span::widen(self.spans.get(&group).copied(), q.day);
        if let Some(span) = span {
            self.spans.insert(group, span);
        }
        self.names.entry(group).or_default().add(q.text);
    }

    fn may_join(&self, a: K, b: K) -> bool {
        let none: &[&str] = &[];
        let (sa, sb) = (
            self.speakers.get(&a).map_or(none, Vec::as_slice),
            self.speakers.get(&b).map_or(none, Vec::as_slice),
        );
        let speakers_agree = sa
            .iter()
            .all(|&x| sb.iter().all(|&y| speakers_compatible(Some(x), Some(y))));
        let names_agree = match (self.names.get(&a), self.names.get(&b)) {
            (Some(x), Some(y)) => x.agree(y),
            _ => true,
        };
        speakers_agree
            && names_agree
            && self
                .joined_span(a, b)
                .is_none_or(|s| s.days() <= TIME_WINDOW_DAYS)
    }

    fn joined_span(&self, a: K, b: K) -> Option<Span> {
        match (self.spans.get(&a), self.spans.get(&b)) {
            (Some(x), Some(y)) => Some(Span {
                first: x.first.min(y.first),
                last: x.last.max(y.last),
            }),
            (x, y) => x.or(y).copied(),
        }
    }

    /// Records that group `gone` now belongs to group `keep`.
    fn join(&mut self, keep: K, gone: K) {
        let span = self.joined_span(keep, gone);
        self.spans.remove(&gone);
        if let Some(span) = span {
            self.spans.insert(keep, span);
        }
        if let Some(names) = self.names.remove(&gone) {
            self.names.entry(keep).or_default().absorb(names);
        }
        let moved = self.speakers.remove(&gone).unwrap_or_default();
        let list = self.speakers.entry(keep).or_default();
        for s in moved {
            if !list.contains(&s) {
                list.push(s);
            }
        }
    }
}

/// Cosine at or above which two quotes that are each other's nearest neighbour in meaning
/// over a whole embedded batch are one statement ([`refine_by_neighbours`]). Calibrated on
/// wmt21-de-en and wmt21-cs-en with the lexical stage in front: pairwise F1 0.9905 / 0.963 at
/// 0.86, 0.9895 / 0.959 at 0.90, and 0.973 / 0.934 without these merges.
pub const NEIGHBOUR_THRESHOLD: f32 = 0.88;
/// Cosine at or above which two quotes the lexical stage put together stay together whatever
/// their neighbours: copies and close excerpts embed this close (exact copies at 1.0).
pub const KEEP_THRESHOLD: f32 = 0.97;

/// Cosine that every pair across two groups must reach for the groups to join in the group
/// step of [`refine_by_neighbours`] (complete link). Step 2 joins pairs only: four renderings
/// of one remark end up as two pairs that are each other's closest group but not each
/// other's nearest neighbours. Calibrated on fisher-dev (groups of four) against wmt21-de-en and
/// wmt21-cs-en (pairs, where a merge of two same-story pairs is the error): pairwise F1
/// fisher-dev / de-en / cs-en 0.938 / 0.975 / 0.956 at 0.93, 0.928 / 0.981 / 0.964 at 0.935,
/// 0.916 / 0.989 / 0.964 at 0.94, 0.896 / 0.9905 / 0.964 at 0.95.
pub const GROUP_THRESHOLD: f32 = 0.935;
/// Nearest neighbours kept per quote: the group step's candidates, and the quote's local
/// background (the mean cosine to them), which every pair across two joining groups must
/// exceed. Short conversational sentences sit in a denser part of the embedding space (mean
/// cosine to the 10 nearest 0.91 in fisher-dev against 0.87 in wmt21), where a high cosine says
/// less; the background guard keeps fisher-dev's precision at 0.985 instead of 0.977.
pub const GROUP_NEIGHBOURS: usize = 10;

/// What [`refine_by_neighbours`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefineReport {
    /// Quotes embedded (the whole batch).
    pub embedded: usize,
    /// Lexical clusters split.
    pub split: usize,
    /// Merges of reciprocal nearest neighbours.
    pub linked: usize,
    /// Merges of groups in the group step.
    pub grouped: usize,
}

/// The `k` nearest neighbours of every vector (by cosine, closest first; ties to the
/// alphabetically first text, then the lower index, so equal texts in any order give the same
/// lists), by brute force on both cores.
fn nearest(vecs: &[Vec<f32>], texts: &[&str], k: usize) -> Vec<Vec<(usize, f32)>> {
    use rayon::prelude::*;
    let n = vecs.len();
    (0..n)
        .into_par_iter()
        .map(|i| {
            let mut top: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
            let before = |a: (usize, f32), b: (usize, f32)| {
                a.1 > b.1 || (a.1 == b.1 && (texts[a.0], a.0) < (texts[b.0], b.0))
            };
            for j in 0..n {
                if j == i {
                    continue;
                }
                let e = (j, cosine(&vecs[i], &vecs[j]));
                if top.len() == k && !before(e, top[k - 1]) {
                    continue;
                }
                let at = top.iter().position(|&t| before(e, t)).unwrap_or(top.len());
                top.insert(at, e);
                top.truncate(k);
            }
            top
        })
        .collect()
}

/// The paraphrase stage for a batch small enough to embed whole: every quote's nearest
/// neighbour in meaning over the batch decides.
///
/// A relative criterion, like the lexical stage's reciprocal best match: two sentences of one
/// story share words and embed about as close as two renderings of one sentence do (cosines
/// 0.93-0.97 in wmt21-cs-en for both), but a rendering is almost always the *nearest*
/// neighbour of its other renderings (1,936 of 2,000 wmt21-cs-en sentences). So:
///
/// 1. inside each lexical cluster, two members stay linked only when one is the other's nearest
///    neighbour in the batch, or their cosine is at least [`KEEP_THRESHOLD`]; a cluster whose
///    members fall apart into several components is split (a same-story merge);
/// 2. two quotes in different clusters that are each other's nearest neighbour with cosine at
///    least `threshold` join their clusters, when speakers and the time window allow;
/// 3. groups that are each other's closest group by complete link join while every pair
///    across them has cosine at least [`GROUP_THRESHOLD`] and above the two quotes' local
///    background (see [`GROUP_NEIGHBOURS`]): step 2 joins pairs, this joins the pairs of a
///    statement rendered more than twice.
///
/// Ids are rewritten so that they still depend only on the quotes, not on their order: a
/// component keeps its lexical cluster's id when it holds the cluster's alphabetically first
/// text, other components get fresh ids after the largest one, in order of that text.
///
/// # Panics
/// When `quotes` and `ids` differ in length.
pub fn refine_by_neighbours(
    quotes: &[Quote<'_>],
    ids: &mut [ClusterId],
    embedder: &dyn Embedder,
    threshold: f32,
) -> Result<RefineReport, EmbedError> {
    assert_eq!(quotes.len(), ids.len(), "one id per quote");
    let n = quotes.len();
    if n < 2 {
        return Ok(RefineReport::default());
    }
    let texts: Vec<&str> = quotes.iter().map(|q| q.text).collect();
    let vecs = embedder.embed(&texts)?;
    let near = nearest(&vecs, &texts, GROUP_NEIGHBOURS);
    let nn: Vec<(usize, f32)> = near.iter().map(|t| t[0]).collect();
    let mut parent: Vec<usize> = (0..n).collect();
    // 1. Links inside lexical clusters that the neighbours confirm.
    let mut members: HashMap<ClusterId, Vec<usize>> = Default::default();
    for (i, &c) in ids.iter().enumerate() {
        members.entry(c).or_default().push(i);
    }
    for list in members.values() {
        for (k, &a) in list.iter().enumerate() {
            for &b in &list[k + 1..] {
                if nn[a].0 == b || nn[b].0 == a || cosine(&vecs[a], &vecs[b]) >= KEEP_THRESHOLD {
                    union(&mut parent, a, b);
                }
            }
        }
    }
    let mut split = 0;
    for list in members.values() {
        let mut roots: Vec<usize> = list.iter().map(|&i| find(&mut parent, i)).collect();
        roots.sort_unstable();
        roots.dedup();
        split += usize::from(roots.len() > 1);
    }
    // Components after step 1, for the constraints of step 2.
    let mut bounds = Constraints::default();
    for (i, q) in quotes.iter().enumerate() {
        let r = find(&mut parent, i);
        bounds.add(r, q);
    }
    // 2. Reciprocal nearest neighbours across components, closest first.
    let mut mutual: Vec<(f32, usize, usize)> = (0..n)
        .filter_map(|i| {
            let (j, s) = nn[i];
            (j != usize::MAX && i < j && nn[j].0 == i && s >= threshold).then_some((s, i, j))
        })
        .collect();
    mutual.sort_unstable_by(|p, q| {
        q.0.total_cmp(&p.0)
            .then((texts[p.1], texts[p.2]).cmp(&(texts[q.1], texts[q.2])))
    });
    let mut linked = 0;
    for &(_, a, b) in &mutual {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra == rb {
            continue;
        }
        if !bounds.may_join(ra, rb) {
            continue;
        }
        union(&mut parent, ra, rb);
        let keep = find(&mut parent, ra);
        bounds.join(keep, if keep == ra { rb } else { ra });
        linked += 1;
    }
    // 3. Groups that are each other's closest group, tight throughout.
    let grouped = join_groups(&mut parent, &vecs, &near, &texts, &mut bounds);
    // Order-independent ids: key each component by (smallest lexical id, first text).
    let mut key: HashMap<usize, (ClusterId, &str)> = Default::default();
    for i in 0..n {
        let r = find(&mut parent, i);
        let k = (ids[i], texts[i]);
        let e = key.entry(r).or_insert(k);
        if k < *e {
            *e = k;
        }
    }
    let mut keys: Vec<(ClusterId, &str)> = key.values().copied().collect();
    keys.sort_unstable();
    keys.dedup();
    let next = ids.iter().copied().max().map_or(0, |m| m + 1);
    let mut fresh = next;
    let mut id_of: HashMap<(ClusterId, &str), ClusterId> = Default::default();
    let mut prev: Option<ClusterId> = None;
    for k in keys {
        let id = if prev == Some(k.0) {
            fresh += 1;
            fresh - 1
        } else {
            k.0
        };
        prev = Some(k.0);
        id_of.insert(k, id);
    }
    let out: Vec<ClusterId> = (0..n)
        .map(|i| {
            let r = find(&mut parent, i);
            id_of[&key[&r]]
        })
        .collect();
    ids.copy_from_slice(&out);
    Ok(RefineReport {
        embedded: n,
        split,
        linked,
        grouped,
    })
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

/// The group step of [`refine_by_neighbours`]: agglomerative clustering by complete link over
/// the components `parent` holds, merging in rounds the pairs of components that are each
/// other's closest (reciprocal nearest neighbours by their lowest cross cosine, which for
/// complete link gives the same result as merging the closest pair first) while that lowest
/// cosine is at least [`GROUP_THRESHOLD`] and above both quotes' local background; speakers
/// and the time window bind as in step 2. Returns the number of merges.
///
/// Complete link because two same-story sentences may each have a rendering close to the
/// other's: only a group whose every pair is close is one statement. Candidates are the
/// components of each member's [`GROUP_NEIGHBOURS`] nearest neighbours at or above the
/// threshold (a component reached only below it could not join anyway), so the cost stays
/// near linear in the batch.
fn join_groups(
    parent: &mut [usize],
    vecs: &[Vec<f32>],
    near: &[Vec<(usize, f32)>],
    texts: &[&str],
    bounds: &mut Constraints<'_, usize>,
) -> usize {
    let n = vecs.len();
    let background: Vec<f32> = near
        .iter()
        .map(|t| t.iter().map(|e| e.1).sum::<f32>() / t.len().max(1) as f32)
        .collect();
    // Lowest cosine across two groups, or `None` once some pair is below the threshold.
    let complete = |a: &[usize], b: &[usize]| {
        let mut low = f32::INFINITY;
        for &x in a {
            for &y in b {
                let c = cosine(&vecs[x], &vecs[y]);
                if c < GROUP_THRESHOLD {
                    return None;
                }
                low = low.min(c);
            }
        }
        Some(low)
    };
    let above_background = |a: &[usize], b: &[usize]| {
        a.iter().all(|&x| {
            b.iter()
                .all(|&y| cosine(&vecs[x], &vecs[y]) >= (background[x] + background[y]) / 2.0)
        })
    };
    let mut joined = 0;
    loop {
        let root: Vec<usize> = (0..n).map(|i| find(parent, i)).collect();
        let mut comps: HashMap<usize, Vec<usize>> = Default::default();
        for (i, &r) in root.iter().enumerate() {
            comps.entry(r).or_default().push(i);
        }
        // A component's first text (then index) breaks ties, so that they do not depend on
        // input order.
        let first = |r: usize| {
            comps[&r]
                .iter()
                .map(|&i| (texts[i], i))
                .min()
                .expect("a component has members")
        };
        let mut best: HashMap<usize, (usize, f32)> = Default::default();
        for (&r, mem) in &comps {
            let mut cands: Vec<usize> = mem
                .iter()
                .flat_map(|&a| near[a].iter())
                .filter(|e| e.1 >= GROUP_THRESHOLD)
                .map(|e| root[e.0])
                .filter(|&c| c != r)
                .collect();
            cands.sort_unstable();
            cands.dedup();
            let mut top: Option<(usize, f32)> = None;
            for c in cands {
                let Some(s) = complete(mem, &comps[&c]) else {
                    continue;
                };
                let better = top.is_none_or(|(t, v)| s > v || (s == v && first(c) < first(t)));
                if better {
                    top = Some((c, s));
                }
            }
            if let Some(t) = top {
                best.insert(r, t);
            }
        }
        let mut pairs: Vec<(usize, usize)> = best
            .iter()
            .filter(|&(&r, &(o, _))| r < o && best.get(&o).is_some_and(|&(back, _)| back == r))
            .map(|(&r, &(o, _))| (r, o))
            .collect();
        pairs.sort_unstable();
        let mut merged = 0;
        for (a, b) in pairs {
            if !above_background(&comps[&a], &comps[&b]) || !bounds.may_join(a, b) {
                continue;
            }
            union(parent, a, b);
            let keep = find(parent, a);
            bounds.join(keep, if keep == a { b } else { a });
            merged += 1;
        }
        if merged == 0 {
            return joined;
        }
        joined += merged;
    }
}

#[cfg(test)]
mod tests {
    fn names(texts: &[&str]) -> Names {
        let mut n = Names::default();
        for t in texts {
            n.add(t);
        }
        n
    }

    #[test]
    fn names_are_capitals_inside_a_sentence_but_not_i() {
        assert_eq!(names_of("disobey the orders of Trump"), ["trump"]);
        assert_eq!(
            names_of("Yes. I think Colombia's army, I'm sure"),
            ["colom"]
        );
        assert!(names_of("Obey the orders. Humanity first!").is_empty());
    }

    #[test]
    fn short_renderings_must_agree_on_names() {
        let trump = names(&["disobey the orders of Trump"]);
        assert!(!trump.agree(&names(&["obey the orders of humanity."])));
        assert!(trump.agree(&names(&["we will disobey Trump’s orders"])));
        // A longer text is left to its embedding: translators vary names.
        let long = names(&["the president of the Czech Republic said on Monday that Kyjev"]);
        assert!(long.agree(&names(&[
            "the president said on Monday that the capital Kiev"
        ])));
    }

    use super::*;

    use crate::matcher::embed::test_table::Table;

    fn quotes<'a>(texts: &[&'a str]) -> Vec<Quote<'a>> {
        texts
            .iter()
            .map(|&text| Quote {
                text,
                speaker: None,
                day: None,
            })
            .collect()
    }

    #[test]
    fn a_split_pair_close_in_meaning_joins() {
        let table = Table(vec![
            ("a", vec![1.0, 0.1, 0.0]),
            ("b", vec![1.0, 0.15, 0.0]),
            ("c", vec![0.0, 0.0, 1.0]),
        ]);
        let q = quotes(&["a", "b", "c"]);
        let mut ids = vec![0, 1, 2];
        let r = link_paraphrases(
            &q,
            &mut ids,
            &[(0, 1), (1, 2)],
            &table,
            ParaphraseThresholds::default(),
        )
        .unwrap();
        assert_eq!(ids, vec![0, 0, 2]);
        assert_eq!((r.embedded, r.linked), (3, 1));
    }

    #[test]
    fn whole_batch_splits_a_same_story_merge_and_joins_nearest_neighbours() {
        // a1/a2 render one sentence, b1/b2 another of the same story: lexically all four were
        // merged, but each one's nearest neighbour is its own rendering. c1/c2 were left apart
        // lexically and are each other's nearest neighbour; d is alone and far from everything.
        let table = Table(vec![
            ("a1", vec![1.0, 0.0, 0.0, 0.0]),
            ("a2", vec![1.0, 0.05, 0.0, 0.0]),
            ("b1", vec![1.0, 0.50, 0.0, 0.0]),
            ("b2", vec![1.0, 0.55, 0.0, 0.0]),
            ("c1", vec![0.0, 0.0, 1.0, 0.20]),
            ("c2", vec![0.0, 0.0, 1.0, 0.25]),
            ("d", vec![0.0, 1.0, 0.0, 0.0]),
        ]);
        let q = quotes(&["a1", "a2", "b1", "b2", "c1", "c2", "d"]);
        let mut ids = vec![0, 0, 0, 0, 1, 2, 3];
        let r = refine_by_neighbours(&q, &mut ids, &table, NEIGHBOUR_THRESHOLD).unwrap();
        assert_eq!((r.embedded, r.split, r.linked), (7, 1, 1));
        assert_eq!(ids[0], ids[1]);
        assert_eq!(ids[2], ids[3]);
        assert_ne!(ids[0], ids[2]);
        assert_eq!(ids[4], ids[5]);
        assert!(ids[6] != ids[0] && ids[6] != ids[2] && ids[6] != ids[4]);
        // Ids depend on the quotes, not on their order.
        let rev: Vec<&str> = ["a1", "a2", "b1", "b2", "c1", "c2", "d"]
            .into_iter()
            .rev()
            .collect();
        let mut rids = vec![3, 2, 1, 0, 0, 0, 0];
        refine_by_neighbours(&quotes(&rev), &mut rids, &table, NEIGHBOUR_THRESHOLD).unwrap();
        rids.reverse();
        assert_eq!(rids, ids);
    }

    /// Four renderings of one remark (two tight pairs, cosine about 0.97 across them) and an
    /// unrelated quote. Two same-story pairs look the same but 0.91 apart across.
    fn four_renderings(across: f32) -> Table {
        Table(vec![
            ("r1", vec![1.0, 0.0, 0.0, 0.0]),
            ("r2", vec![1.0, 0.05, 0.0, 0.0]),
            ("r3", vec![1.0, 0.0, across, 0.0]),
            ("r4", vec![1.0, 0.05, across, 0.0]),
            ("far", vec![0.0, 0.0, 0.0, 1.0]),
        ])
    }

    #[test]
    fn four_renderings_split_into_pairs_join_as_one_group() {
        let table = four_renderings(0.25);
        let q = quotes(&["r1", "r2", "r3", "r4", "far"]);
        let mut ids = vec![0, 1, 2, 3, 4];
        let r = refine_by_neighbours(&q, &mut ids, &table, NEIGHBOUR_THRESHOLD).unwrap();
        // Step 2 makes the two pairs, step 3 joins them.
        assert_eq!((r.linked, r.grouped), (2, 1));
        assert!(ids[..4].iter().all(|&c| c == ids[0]), "{ids:?}");
        assert_ne!(ids[4], ids[0]);
    }

    #[test]
    fn two_same_story_pairs_stay_two_groups() {
        let table = four_renderings(0.45);
        let q = quotes(&["r1", "r2", "r3", "r4", "far"]);
        let mut ids = vec![0, 1, 2, 3, 4];
        let r = refine_by_neighbours(&q, &mut ids, &table, NEIGHBOUR_THRESHOLD).unwrap();
        assert_eq!((r.linked, r.grouped), (2, 0));
        assert_eq!(ids[0], ids[1]);
        assert_eq!(ids[2], ids[3]);
        assert_ne!(ids[0], ids[2]);
    }

    #[test]
    fn groups_of_different_speakers_stay_apart() {
        let table = four_renderings(0.25);
        let said = |text, speaker| Quote {
            text,
            speaker: Some(speaker),
            day: None,
        };
        let q = [
            said("r1", "marco rubio"),
            said("r2", "marco rubio"),
            said("r3", "gustavo petro"),
            said("r4", "gustavo petro"),
            said("far", "gustavo petro"),
        ];
        let mut ids = vec![0, 1, 2, 3, 4];
        let r = refine_by_neighbours(&q, &mut ids, &table, NEIGHBOUR_THRESHOLD).unwrap();
        assert_eq!(r.grouped, 0);
        assert_ne!(ids[0], ids[2]);
    }

    #[test]
    fn a_group_below_its_local_background_stays_apart() {
        // The same two pairs, but in a dense neighbourhood: each quote's nearest neighbours
        // average 0.99, so 0.97 across the pairs is no sign of one statement.
        let table = four_renderings(0.25);
        let texts = ["r1", "r2", "r3", "r4", "far"];
        let vecs = table.embed(&texts).unwrap();
        let mut near: Vec<Vec<(usize, f32)>> = (0..5)
            .map(|i| {
                let mut t: Vec<(usize, f32)> = (0..5)
                    .filter(|&j| j != i)
                    .map(|j| (j, cosine(&vecs[i], &vecs[j])))
                    .collect();
                t.sort_by(|a, b| b.1.total_cmp(&a.1));
                t
            })
            .collect();
        let group = |near: &[Vec<(usize, f32)>]| {
            let mut parent = vec![0, 0, 2, 2, 4];
            let mut bounds = Constraints::default();
            for (i, q) in quotes(&texts).iter().enumerate() {
                bounds.add(parent[i], q);
            }
            let joined = join_groups(&mut parent, &vecs, near, &texts, &mut bounds);
            (joined, parent)
        };
        assert_eq!(group(&near).0, 1);
        for t in near.iter_mut().take(4) {
            t.extend(std::iter::repeat_n((4, 0.99), 6));
            for e in t.iter_mut().filter(|e| e.0 == 4) {
                e.1 = 0.99;
            }
        }
        let (joined, parent) = group(&near);
        assert_eq!(joined, 0);
        assert_eq!(parent, vec![0, 0, 2, 2, 4]);
    }

    /// "x" and "y", said by two different named people.
    fn two_speakers() -> [Quote<'static>; 2] {
        let said = |text, speaker| Quote {
            text,
            speaker: Some(speaker),
            day: None,
        };
        [said("x", "marco rubio"), said("y", "gustavo petro")]
    }

    #[test]
    fn whole_batch_keeps_speakers_apart() {
        let table = Table(vec![("x", vec![1.0, 0.0]), ("y", vec![1.0, 0.01])]);
        let q = two_speakers();
        let mut ids = vec![0, 1];
        let r = refine_by_neighbours(&q, &mut ids, &table, NEIGHBOUR_THRESHOLD).unwrap();
        assert_eq!((ids, r.linked), (vec![0, 1], 0));
    }

    #[test]
    fn a_rewording_never_joins_across_the_time_window() {
        let table = Table(vec![
            ("a", vec![1.0, 0.1, 0.0]),
            ("b", vec![1.0, 0.15, 0.0]),
        ]);
        let q = [
            Quote {
                text: "a",
                speaker: None,
                day: Some(0),
            },
            Quote {
                text: "b",
                speaker: None,
                day: Some(TIME_WINDOW_DAYS + 1),
            },
        ];
        let mut ids = vec![0, 1];
        link_paraphrases(
            &q,
            &mut ids,
            &[(0, 1)],
            &table,
            ParaphraseThresholds::default(),
        )
        .unwrap();
        assert_eq!(ids, vec![0, 1]);
    }

    #[test]
    fn a_quote_closer_to_its_own_cluster_stays() {
        // a1/a2 and b1/b2 are two statements of one story: a1 is close to b1, but closer to
        // its own cluster-mate a2, so the clusters stay apart.
        let table = Table(vec![
            ("a1", vec![1.0, 0.2, 0.0]),
            ("a2", vec![1.0, 0.25, 0.0]),
            ("b1", vec![1.0, 0.4, 0.0]),
            ("b2", vec![1.0, 0.45, 0.0]),
        ]);
        let q = quotes(&["a1", "a2", "b1", "b2"]);
        let mut ids = vec![0, 0, 1, 1];
        let pairs = [(0, 1), (2, 3), (0, 2)];
        let t = ParaphraseThresholds {
            cosine: 0.9,
            ..ParaphraseThresholds::default()
        };
        link_paraphrases(&q, &mut ids, &pairs, &table, t).unwrap();
        assert_eq!(ids, vec![0, 0, 1, 1]);
    }

    #[test]
    fn nothing_split_embeds_nothing_and_speakers_bind() {
        let table = Table(vec![
            ("x", vec![1.0, 0.0, 0.0]),
            ("y", vec![1.0, 0.01, 0.0]),
        ]);
        let mut ids = vec![0, 0];
        assert_eq!(paraphrase_work(&ids, &[(0, 1)]), 0);
        let r = link_paraphrases(
            &quotes(&["x", "y"]),
            &mut ids,
            &[(0, 1)],
            &table,
            ParaphraseThresholds::default(),
        )
        .unwrap();
        assert_eq!(r, ParaphraseReport::default());
        let q = two_speakers();
        let mut ids = vec![0, 1];
        link_paraphrases(
            &q,
            &mut ids,
            &[(0, 1)],
            &table,
            ParaphraseThresholds::default(),
        )
        .unwrap();
        assert_eq!(ids, vec![0, 1]);
    }
}
