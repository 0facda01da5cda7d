//! Resolving pronouns, role nouns and surnames to the person they stand for
//! (grammar/README.md §5, "Resolution").

use rustc_hash::FxHashMap;

use super::attribution::{classify_np, Np};
use super::token::Tok;

#[derive(Debug, Clone)]
struct Entity {
    name: String,
    titles: Vec<String>,
    /// Person or organisation, when known. Most names are never the antecedent of a pronoun,
    /// so the organisation test runs only when a pronoun asks ([`Entity::is_person`]).
    person: std::cell::Cell<Option<bool>>,
    /// Was named as a speaker: pronouns prefer speakers over people merely mentioned.
    speaker: bool,
    /// Byte offset of the latest mention: recency decides between candidates.
    seen: usize,
}

/// What runs of text name, by the run's text. What a run names depends on its text alone, and
/// articles name the same people over and over, within an article and from one to the next:
/// tokenizing and classifying each mention again was a sixth of all extraction work. Kept
/// from article to article on each thread (see [`Resolver::new`]), and emptied when it holds
/// [`NameCache::MAX`] runs, so memory stays bounded whatever the input size.
#[derive(Debug, Default)]
struct NameCache {
    /// Capitalized runs of running text ([`Resolver::observe_text`]): their names, each with
    /// its byte offset from the run's start.
    text_runs: FxHashMap<Box<str>, Vec<Named>>,
    /// Capitalized runs of tokens ([`names_in`]): the name each holds, if any, with its byte
    /// offset from the run's start.
    token_runs: FxHashMap<Box<str>, Option<Named>>,
    /// The emptied collections of the last article's [`Resolver`]: grown again from nothing
    /// for each article, their tables were rehashed a dozen times per article.
    spare: Spare,
}

#[derive(Debug, Default)]
struct Spare {
    entities: Vec<Entity>,
    by_name: FxHashMap<String, usize>,
    by_last: FxHashMap<String, Vec<usize>>,
}

impl NameCache {
    const MAX: usize = 1 << 15;
    /// Collections with room for more entities than this are not kept for the next article.
    const MAX_SPARE: usize = 1 << 12;
}

thread_local! {
    /// The [`NameCache`] between two articles of this thread.
    static NAME_CACHE: std::cell::RefCell<NameCache> = std::cell::RefCell::default();
}

/// Names seen so far in one article, most recent last.
#[derive(Debug)]
pub(crate) struct Resolver {
    entities: Vec<Entity>,
    /// Index of `entities` by name, and by last word of the name (for "Petro" -> "Gustavo
    /// Petro"): every capitalized run of an article is looked up, so no linear scans.
    by_name: FxHashMap<String, usize>,
    by_last: FxHashMap<String, Vec<usize>>,
    cache: NameCache,
}

impl Resolver {
    /// A resolver for a new article, with the name cache of the articles before it.
    pub fn new() -> Resolver {
        let mut cache = NAME_CACHE.with(|c| c.take());
        let spare = std::mem::take(&mut cache.spare);
        if cache.text_runs.len() + cache.token_runs.len() >= NameCache::MAX {
            cache = NameCache::default();
        }
        Resolver {
            entities: spare.entities,
            by_name: spare.by_name,
            by_last: spare.by_last,
            cache,
        }
    }
}

impl Drop for Resolver {
    /// Hands the name cache and the emptied collections on to the next article.
    fn drop(&mut self) {
        let mut cache = std::mem::take(&mut self.cache);
        if self.by_name.capacity() <= NameCache::MAX_SPARE {
            let mut spare = Spare {
                entities: std::mem::take(&mut self.entities),
                by_name: std::mem::take(&mut self.by_name),
                by_last: std::mem::take(&mut self.by_last),
            };
            spare.entities.clear();
            spare.by_name.clear();
            spare.by_last.clear();
            cache.spare = spare;
        }
        NAME_CACHE.with(|c| *c.borrow_mut() = cache);
    }
}

/// A name found in a run of text: its byte offset from the run's start, the name and its titles.
type Named = (usize, String, Vec<String>);

/// Capitalized words that open sentences without naming anyone: the function words the
/// tokenizer already flags, and a few more.
fn not_a_name(t: &Tok) -> bool {
    use super::attribution::flag;
    t.flags
        & (flag::DETERMINERS
            | flag::PRONOUNS
            | flag::LEADING_NOISE
            | flag::PREPOSITIONS
            | flag::CALENDAR
            | flag::SUBORDINATORS)
        != 0
        || {
            let w = t.text.trim_end_matches('.');
            w.len() <= 5
                && [
                    "there", "here", "what", "why", "how", "who", "where", "mr", "mrs", "ms", "dr",
                ]
                .iter()
                .any(|x| w.eq_ignore_ascii_case(x))
        }
}

/// Words that make a name an organisation or an institution, not a person. A `match` on
/// the word rather than a scan of a list: every new name is tested against all of them.
fn is_org_word(w: &str) -> bool {
    matches!(
        w,
        "house"
            | "department"
            | "ministry"
            | "party"
            | "committee"
            | "council"
            | "agency"
            | "office"
            | "administration"
            | "government"
            | "company"
            | "inc"
            | "corp"
            | "university"
            | "times"
            | "post"
            | "news"
            | "union"
            | "court"
            | "congress"
            | "senate"
            | "police"
            | "army"
            | "navy"
            | "force"
            | "forces"
            | "bank"
            | "fund"
            | "organization"
            | "association"
            | "group"
            | "institute"
            | "center"
            | "centre"
            | "foundation"
            | "commission"
            | "board"
            | "service"
            | "network"
            | "nations"
            | "states"
            | "pentagon"
            | "kremlin"
            | "campaign"
            | "coalition"
            | "guard"
            | "command"
            | "press"
            | "journal"
            | "review"
            | "images"
            | "photos"
            | "school"
            | "college"
            | "hospital"
            | "airport"
    )
}

/// An organisation or a place: a name that pronouns for people never stand for.
fn is_org(name: &str) -> bool {
    let lower = name.to_lowercase();
    // The cheap test first; the result is the same in any order.
    lower
        .split_whitespace()
        .any(|w| is_org_word(w.trim_end_matches('.')))
        || super::lexicon::lexicon().places.contains(&lower)
        || super::lexicon::resolve_outlet(name).is_some()
}

/// 'f', 'm', or None when neither the given name nor a title tells.
fn gender_of(name: &str, titles: &[String]) -> Option<char> {
    for t in titles {
        match t.as_str() {
            "mrs" | "ms" | "miss" | "congresswoman" | "spokeswoman" | "chairwoman" | "queen"
            | "princess" | "lady" | "dame" | "sister" => return Some('f'),
            "mr" | "congressman" | "spokesman" | "chairman" | "king" | "prince" | "lord"
            | "sir" | "father" => return Some('m'),
            _ => {}
        }
    }
    let first = name.split_whitespace().next()?.to_lowercase();
    super::lexicon::lexicon().first_names.get(&first).copied()
}

fn starts_particle(b: &[u8]) -> bool {
    // Every particle opens with one of these letters: most words are ruled out by their first.
    matches!(b.first(), Some(b'd' | b'v' | b'b' | b'a' | b'l'))
        && [
            "de ", "del ", "da ", "van ", "von ", "bin ", "al ", "la ", "le ", "di ",
        ]
        .iter()
        .any(|p| b.starts_with(p.as_bytes()))
}

/// "… told Reuters. The next …": a longer word with a period ends its sentence, unlike
/// "Sen." or "U.S.".
fn ends_sentence(word: &str) -> bool {
    word.len() > 4 && word.strip_suffix('.').is_some_and(|w| !is_title_word(w))
}

fn is_title_word(w: &str) -> bool {
    super::lexicon::word_flags(w) & super::attribution::flag::TITLE != 0
}

/// A short line without a sentence end is a headline or a caption: title case names nobody
/// reliably there.
fn is_headline(body: &str, at: usize) -> bool {
    let b = body.as_bytes();
    let start = memchr::memrchr(b'\n', &b[..at]).map_or(0, |k| k + 1);
    let end = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |k| at + k);
    let line = body[start..end].trim_end();
    line.len() < 150 && !line.ends_with(['.', '"', '”', '?', '!', ':'])
}

/// The index of the first ASCII capital of `b`, eight bytes per step: this scan runs over
/// all the quote-free text of an article, most of its length.
fn first_capital(b: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::MAX / 0xff;
    let mut chunks = b.chunks_exact(8);
    let mut offset = 0;
    for c in &mut chunks {
        let x = u64::from_le_bytes(c.try_into().expect("eight bytes"));
        // With the top bit of each byte cleared no sum carries; bytes of UTF-8 sequences
        // (top bit set) are then left out by `!x`.
        let low = x & (ONES * 0x7f);
        let at_least_a = low + ONES * u64::from(0x80 - b'A');
        let past_z = low + ONES * u64::from(0x80 - b'Z' - 1);
        let capitals = at_least_a & !past_z & !x & (ONES * 0x80);
        if capitals != 0 {
            return Some(offset + (capitals.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(u8::is_ascii_uppercase)
        .map(|k| offset + k)
}

fn last_word(name: &str) -> &str {
    name.split_whitespace()
        .rev()
        .find(|w| !matches!(*w, "Jr." | "Sr." | "Jr" | "Sr" | "II" | "III"))
        .unwrap_or(name)
}

thread_local! {
    /// [`is_org`] by name, kept from article to article like [`NAME_CACHE`]: the test lower-cases
    /// the name and looks it up as a place and as an outlet, about a thousand instructions,
    /// for the same few hundred names in every article.
    static ORG_NAMES: std::cell::RefCell<FxHashMap<Box<str>, bool>> =
        std::cell::RefCell::default();
}

/// [`is_org`], through [`ORG_NAMES`].
fn is_org_cached(name: &str) -> bool {
    ORG_NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some(&org) = names.get(name) {
            return org;
        }
        let org = is_org(name);
        if names.len() >= NameCache::MAX {
            names.clear();
        }
        names.insert(name.into(), org);
        org
    })
}

impl Entity {
    fn is_person(&self) -> bool {
        match self.person.get() {
            Some(p) => p,
            None => {
                let p = !is_org_cached(&self.name);
                self.person.set(Some(p));
                p
            }
        }
    }
}

impl Resolver {
    /// Records a mention of `name` at `at`. `person` is worked out from the name when not given,
    /// and only for a name not seen before: most mentions are of known entities.
    fn touch(
        &mut self,
        name: &str,
        titles: &[String],
        person: Option<bool>,
        at: usize,
        speaker: bool,
    ) {
        if let Some(&k) = self.by_name.get(name) {
            self.touch_entity(k, titles, at, speaker);
            return;
        }
        self.by_name.insert(name.to_string(), self.entities.len());
        self.by_last
            .entry(last_word(name).to_string())
            .or_default()
            .push(self.entities.len());
        self.entities.push(Entity {
            name: name.to_string(),
            titles: titles.to_vec(),
            person: std::cell::Cell::new(person),
            speaker,
            seen: at,
        });
    }

    /// Records a mention of the known entity `k` at `at`.
    fn touch_entity(&mut self, k: usize, titles: &[String], at: usize, speaker: bool) {
        let e = &mut self.entities[k];
        e.seen = at;
        e.speaker |= speaker;
        for t in titles {
            if !e.titles.contains(t) {
                e.titles.push(t.clone());
            }
        }
    }

    fn most_recent(&self, pred: impl Fn(&Entity) -> bool) -> Option<&Entity> {
        self.entities
            .iter()
            .filter(|e| pred(e))
            .max_by_key(|e| e.seen)
    }

    /// The full name a surname or short form was introduced with ("Petro" -> "Gustavo Petro").
    fn full_name(&self, name: &str) -> Option<&Entity> {
        self.full_name_index(name).map(|k| &self.entities[k])
    }

    /// [`Resolver::full_name`], as an index of `entities`.
    fn full_name_index(&self, name: &str) -> Option<usize> {
        self.by_last
            .get(last_word(name))?
            .iter()
            .copied()
            .filter(|&k| {
                let e = &self.entities[k];
                e.name != name
                    && e.name.len() > name.len()
                    && name
                        .split_whitespace()
                        .all(|w| e.name.split_whitespace().any(|x| x == w))
            })
            .max_by_key(|&k| self.entities[k].seen)
    }

    /// Records the names in running text without quotes. Only runs of two or more capitalized
    /// words can name someone here, so the scan stops only at capitals that start a word and
    /// tokenizes just those runs. Title-case lines (headlines) are skipped.
    pub fn observe_text(&mut self, body: &str, from: usize, to: usize) {
        let b = body.as_bytes();
        let word_end = |mut i: usize| {
            while i < to && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            i
        };
        // Room for a long run from the start: grown from nothing, it was reallocated in most
        // calls.
        let mut toks = Vec::with_capacity(32);
        // Out of `self` while names are recorded from it.
        let mut cache = std::mem::take(&mut self.cache);
        let mut i = from;
        while i < to {
            let Some(k) = first_capital(&b[i..to]) else {
                break;
            };
            i += k;
            let at_word_start = i == 0 || matches!(b[i - 1], b' ' | b'\n' | b'\t' | b'(' | b'"');
            if !at_word_start {
                i = word_end(i);
                continue;
            }
            let start = i;
            let mut word_start = i;
            let mut end = word_end(i);
            let mut words = 1;
            while end + 1 < to
                && b[end] == b' '
                && (b[end + 1].is_ascii_uppercase() || starts_particle(&b[end + 1..to]))
                && !matches!(b[end - 1], b',' | b';' | b':')
                && !(words == 1 && ends_sentence(&body[word_start..end]))
            {
                word_start = end + 1;
                end = word_end(end + 1);
                words += 1;
            }
            i = end;
            if words < 2 || is_headline(body, start) {
                continue;
            }
            let key = &body[start..end];
            if let Some(names) = cache.text_runs.get(key) {
                for (at, name, titles) in names {
                    self.observe_name(name, titles, start + at);
                }
                continue;
            }
            toks.clear();
            super::token::tokenize(body, start, end, &mut toks);
            let mut names: Vec<Named> = Vec::new();
            names_in(body, &toks, &mut cache.token_runs, |at, name, titles| {
                names.push((at - start, name.to_string(), titles.to_vec()));
            });
            for (at, name, titles) in &names {
                self.observe_name(name, titles, start + at);
            }
            cache.text_runs.insert(key.into(), names);
        }
        self.cache = cache;
    }

    /// Records the names of person-like capitalized runs in `toks` (split into `sentences`),
    /// tokens of `body`.
    pub fn observe_names(&mut self, body: &str, toks: &[Tok], sentences: &[(usize, usize)]) {
        for &(lo, hi) in sentences {
            let (words, caps) = toks[lo..hi].iter().fold((0, 0), |(w, c), t| {
                (w + usize::from(t.is_word()), c + usize::from(t.is_cap()))
            });
            if words >= 3 && caps * 4 >= words * 3 {
                continue; // a headline in title case names nobody reliably
            }
            let mut cache = std::mem::take(&mut self.cache.token_runs);
            names_in(body, &toks[lo..hi], &mut cache, |at, name, titles| {
                self.observe_name(name, titles, at);
            });
            self.cache.token_runs = cache;
        }
    }

    /// Records a name seen in running text at `at`, completed to the full name it was
    /// introduced with.
    fn observe_name(&mut self, name: &str, titles: &[String], at: usize) {
        match self.full_name_index(name) {
            Some(k) => self.touch_entity(k, titles, at, false),
            None => self.touch(name, titles, None, at, false),
        }
    }

    /// The name a speaker phrase stands for; records named speakers for later resolution.
    pub fn resolve(&mut self, np: &Np, text: &str, at: usize) -> String {
        match np {
            Np::Name { name, titles } => {
                let full = self
                    .full_name(name)
                    .map_or(name.clone(), |e| e.name.clone());
                self.touch(&full, titles, None, at, true);
                full
            }
            Np::Org(name) => {
                self.touch(name, &[], Some(false), at, true);
                name.clone()
            }
            Np::Pronoun(p) => {
                // A speaker of the last few paragraphs is the likeliest antecedent; failing
                // that, the most recent person named.
                let person = matches!(p.as_str(), "he" | "she" | "i" | "you");
                let wanted = match p.as_str() {
                    "he" => Some('m'),
                    "she" => Some('f'),
                    _ => None,
                };
                let fits = |e: &Entity| {
                    (e.is_person() || !person)
                        && wanted
                            .is_none_or(|w| gender_of(&e.name, &e.titles).is_none_or(|g| g == w))
                };
                let near = |e: &Entity| at.saturating_sub(e.seen) < 2000;
                let found = self
                    .most_recent(|e| e.speaker && near(e) && fits(e))
                    .or_else(|| self.most_recent(fits));
                match found {
                    Some(e) => {
                        let name = e.name.clone();
                        self.touch(&name, &[], Some(true), at, true);
                        name
                    }
                    None => text.to_string(),
                }
            }
            Np::Role(head) => {
                let singular = head.trim_end_matches('s');
                match self.most_recent(|e| e.titles.iter().any(|t| t == head || t == singular)) {
                    Some(e) if !text.starts_with(['a', 'A']) => {
                        let name = e.name.clone();
                        let person = e.is_person();
                        self.touch(&name, &[], Some(person), at, true);
                        name
                    }
                    _ => text.to_string(),
                }
            }
        }
    }
}

/// The person-like capitalized runs of one sentence (or part of one), tokens of `body`: each
/// name, with the byte offset of its first word and its titles, handed to `found`. What a run
/// names is looked up in `cache` by the run's text, and worked out by [`run_name`] when new.
fn names_in(
    body: &str,
    toks: &[Tok],
    cache: &mut FxHashMap<Box<str>, Option<Named>>,
    mut found: impl FnMut(usize, &str, &[String]),
) {
    let (lo, hi) = (0, toks.len());
    let mut i = lo;
    while i < hi {
        if !toks[i].is_cap() {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < hi
            && (toks[j].is_cap()
                || (j > i
                    && toks[j].is_word()
                    && toks[j].text.len() <= 3
                    && j + 1 < hi
                    && toks[j + 1].is_cap()
                    && matches!(
                        toks[j].text,
                        "de" | "del" | "da" | "van" | "von" | "bin" | "al" | "la" | "le" | "di"
                    )))
        {
            j += 1;
            if toks[j - 1].is_possessive() {
                break;
            }
        }
        // A single word never names anyone here (see `run_name`).
        if j - i >= 2 {
            // The run's words are separated by white space alone (a word never ends next
            // to a letter), so its text gives back its tokens, and what it names.
            let key = &body[toks[i].start..toks[j - 1].end];
            match cache.get(key) {
                Some(Some((at, name, titles))) => found(toks[i].start + at, name, titles),
                Some(None) => {}
                None => {
                    let named = run_name(&toks[i..j]);
                    if let Some((at, name, titles)) = &named {
                        found(toks[i].start + at, name, titles);
                    }
                    cache.insert(key.into(), named);
                }
            }
        }
        i = j.max(i + 1);
    }
}

/// The name a maximal capitalized run of tokens holds, if any, with its byte offset from the
/// run's start.
fn run_name(run: &[Tok]) -> Option<Named> {
    let (i, j) = (0, run.len());
    let mut a = i;
    while a < j && not_a_name(&run[a]) {
        a += 1;
    }
    if !(j - a >= 2 || (j - a == 1 && a > i)) {
        return None;
    }
    // A possessive ends the run ("Trump’s"); the name is without it.
    let stripped: Vec<Tok>;
    let words = if run[j - 1].is_possessive() {
        stripped = run[a..j]
            .iter()
            .map(|t| {
                let mut t = *t;
                t.text = t.text.trim_end_matches("’s").trim_end_matches("'s");
                t
            })
            .collect();
        &stripped[..]
    } else {
        &run[a..j]
    };
    match classify_np(words) {
        Some((_, Np::Name { name, titles }))
            if name.split_whitespace().count() >= 2 || !titles.is_empty() =>
        {
            Some((run[a].start - run[0].start, name, titles))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn first_capital_is_the_first_ascii_capital(s in "[a-zA-Z @\\[`{é€Ä\u{7f}]{0,40}") {
            let b = s.as_bytes();
            proptest::prop_assert_eq!(first_capital(b), b.iter().position(u8::is_ascii_uppercase));
        }
    }
}
