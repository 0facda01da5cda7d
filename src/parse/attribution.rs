//! Who said a quote, with which cue (grammar/README.md §4–§6).
//!
//! Works on the tokens of one block of text (a paragraph, or several joined by a quote that runs
//! over them), in which every top-level quote is a single [`Kind::Quote`] token.

use super::lexicon::{lexicon, CueClass};
use super::token::{Kind, Tok};

/// What the attribution rules found for one quote.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    pub speaker: Option<Mention>,
    pub cue: Option<(usize, usize)>,
    pub rule: Rule,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Rule {
    #[default]
    None,
    Post,
    Pre,
}

/// A speaker phrase as written, before resolution.
#[derive(Debug, Clone)]
pub(crate) struct Mention {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub np: Np,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Np {
    Pronoun(String),
    /// A personal name without its titles, with the titles (lower-case) that stood before it.
    Name {
        name: String,
        titles: Vec<String>,
    },
    /// "the White House", "the Pentagon"
    Org(String),
    /// "the president", "a senior official": the head noun.
    Role(String),
}

pub(crate) const PRONOUNS: &[&str] = &["he", "she", "they", "it", "we", "i", "you"];
pub(crate) const DETERMINERS: &[&str] = &[
    "the", "a", "an", "his", "her", "their", "its", "our", "one", "two", "three", "four", "five",
    "several", "some", "many", "other", "another", "most", "few", "both", "all", "these", "those",
    "this", "that", "each", "any", "no", "senior", "top",
];
pub(crate) const AUX: &[&str] = &[
    "has",
    "had",
    "have",
    "would",
    "will",
    "also",
    "later",
    "then",
    "previously",
    "recently",
    "once",
    "again",
    "further",
    "repeatedly",
    "never",
    "often",
    "reportedly",
    "just",
    "only",
    "even",
    "still",
    "not",
    "did",
    "does",
    "do",
    "is",
    "was",
    "were",
    "are",
    "been",
    "had",
    "could",
    "might",
    "may",
    "should",
    "can",
    "already",
    "first",
    "publicly",
    "privately",
    "simply",
    "flatly",
    "quickly",
    "immediately",
    "soon",
    "ultimately",
    "separately",
    "earlier",
    "shortly",
    "recently",
    "subsequently",
    "angrily",
    "bluntly",
    "openly",
    "explicitly",
];
pub(crate) const LEADING_NOISE: &[&str] = &[
    "but",
    "and",
    "yet",
    "so",
    "still",
    "now",
    "then",
    "later",
    "meanwhile",
    "however",
    "also",
    "instead",
    "earlier",
    "moreover",
    "indeed",
    "thus",
    "when",
    "while",
    "as",
    "if",
    "though",
    "although",
    "because",
    "since",
    "after",
    "before",
    "that",
    "where",
    "here",
    "there",
];
pub(crate) const PREPOSITIONS: &[&str] = &[
    "of", "by", "with", "between", "from", "to", "in", "on", "at", "for", "against", "about",
    "toward", "towards", "into", "than", "like", "as", "under", "over", "among", "through",
    "during", "without", "within", "upon", "across", "behind", "beside", "near",
];
/// The days of the week: the first seven entries of [`CALENDAR`].
pub(crate) const WEEKDAYS: &[&str] = CALENDAR.split_at(7).0;
pub(crate) const CALENDAR: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "yesterday",
    "tonight",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
pub(crate) const SUBORDINATORS: &[&str] = &[
    "when", "after", "as", "because", "while", "since", "and", "but", "though", "although",
    "before", "once", "until", "whereas",
];
pub(crate) const PARTICLES: &[&str] = &[
    "de", "del", "da", "dos", "das", "van", "von", "der", "den", "bin", "al", "el", "la", "le",
    "di", "du", "ibn", "ben", "abu", "of", "and", "&",
];

fn is_pronoun_contraction(t: &Tok) -> bool {
    t.text
        .split_once(['’', '\''])
        .is_some_and(|(p, _)| PRONOUNS.iter().any(|x| p.eq_ignore_ascii_case(x)))
}

/// Word categories, computed once per token by the tokenizer (see `lexicon::word_flags`).
pub(crate) mod flag {
    pub const PRONOUNS: u32 = 1;
    pub const DETERMINERS: u32 = 1 << 1;
    pub const AUX: u32 = 1 << 2;
    pub const LEADING_NOISE: u32 = 1 << 3;
    pub const PREPOSITIONS: u32 = 1 << 4;
    pub const CALENDAR: u32 = 1 << 5;
    pub const SUBORDINATORS: u32 = 1 << 6;
    pub const PARTICLES: u32 = 1 << 7;
    pub const CUE_SAY: u32 = 1 << 8;
    pub const CUE_LABEL: u32 = 1 << 9;
    pub const TITLE: u32 = 1 << 10;
    pub const ROLE: u32 = 1 << 11;
    /// The last word of a channel phrase (grammar/channels.txt), also with a period ("X."):
    /// a block without one holds no channel, and is not searched for them.
    pub const CHANNEL_END: u32 = 1 << 12;
    /// The last run of letters and digits of an outlet alias (grammar/outlets.tsv) that
    /// starts in lower case or with a digit ("franceinfo", "France 24"), in any case.
    pub const ALIAS_END: u32 = 1 << 13;
    /// The same for an alias whose last run starts with a capital ("Press", "P" of "A.P."):
    /// aliases match case-sensitively, so only a run starting with a capital can end one.
    pub const ALIAS_END_CAP: u32 = 1 << 14;
    /// Set by the tokenizer, never in a lexicon: the word holds something other than letters
    /// and digits (an inner mark or a final period: "Petro’s", "U.S.", "Mr.").
    pub const SEGMENTED: u32 = 1 << 16;
}

fn has(t: &Tok, f: u32) -> bool {
    t.flags & f != 0
}

pub(crate) fn is_cue(t: &Tok) -> Option<CueClass> {
    if t.flags & flag::CUE_SAY != 0 {
        Some(CueClass::Say)
    } else if t.flags & flag::CUE_LABEL != 0 {
        Some(CueClass::Label)
    } else {
        None
    }
}

/// Whether the word is one of `list` (lower-case ASCII words), in any ASCII case. Entries of
/// another length or first letter are passed over without a compare: several lists are
/// asked about each candidate phrase of each quote.
fn is_in(t: &Tok, list: &[&str]) -> bool {
    let b = t.text.as_bytes();
    let Some(first) = b.first().map(u8::to_ascii_lowercase) else {
        return false;
    };
    t.is_word()
        && list
            .iter()
            .any(|w| w.len() == b.len() && w.as_bytes()[0] == first && t.is(w))
}

fn is_title(t: &Tok) -> bool {
    has(t, flag::TITLE)
}

fn is_role(t: &Tok) -> bool {
    has(t, flag::ROLE)
}

fn is_nameish(t: &Tok) -> bool {
    t.is_cap() && !t.is_possessive()
}

/// Joins token texts with single spaces.
fn join(toks: &[Tok]) -> String {
    join_marking(toks, usize::MAX).0
}

/// [`join`], with the offset in the result at which `toks[mark]` starts (the length of the
/// result when there is no such word): the join of `toks[mark..]` is the rest from there, so a
/// name at the end of a mention is sliced from the mention, not joined a second time.
fn join_marking(toks: &[Tok], mark: usize) -> (String, usize) {
    // Sized up front: names are joined for every capitalized run of the text. The words lie
    // in order within their span, so the span and a space between each two is room enough.
    let room = match toks {
        [first, .., last] => last.end.saturating_sub(first.start) + toks.len(),
        [one] => one.text.len(),
        [] => 0,
    };
    let mut s = String::with_capacity(room);
    let mut at = None;
    for (i, t) in toks.iter().enumerate() {
        if !s.is_empty() && !t.is_punct(',') {
            s.push(' ');
        }
        if i == mark {
            at = Some(s.len());
        }
        s.push_str(t.text);
    }
    let at = at.unwrap_or(s.len());
    (s, at)
}

/// The titles and roles among the words before a name, lower-cased and without a period.
fn titles_of(prefix: &[Tok]) -> Vec<String> {
    // Most names have none: the common case skips the collecting.
    if !prefix.iter().any(|t| is_title(t) || is_role(t)) {
        return Vec::new();
    }
    prefix
        .iter()
        .filter(|t| is_title(t) || is_role(t))
        .map(|t| t.text.trim_end_matches('.').to_lowercase())
        .collect()
}

/// Whether the word ends in "ing" in any case, as `t.lower().ends_with("ing")` would say
/// without making the lower-case copy: no character but `i`, `n`, `g` and their capitals
/// lower-cases to text ending in one of them.
fn ends_with_ing(t: &Tok) -> bool {
    let b = t.text.as_bytes();
    b.len() >= 3 && b[b.len() - 3..].eq_ignore_ascii_case(b"ing")
}

/// Whether the word, lower-cased, is in the roles lexicon. The `ROLE` flag says so for all
/// but its possessive forms ("president’s"), and most words have no flag: the set is only
/// asked about the few that do, with an ASCII word lower-cased on the stack.
fn known_role(t: &Tok) -> bool {
    if !has(t, flag::ROLE) {
        return false;
    }
    let roles = &lexicon().roles;
    let b = t.text.as_bytes();
    let mut buf = [0u8; 32];
    match buf.get_mut(..b.len()) {
        Some(lower) if b.is_ascii() => {
            lower.copy_from_slice(b);
            lower.make_ascii_lowercase();
            std::str::from_utf8(lower).is_ok_and(|w| roles.contains(w))
        }
        _ => roles.contains(t.lower().as_str()),
    }
}

/// A speaker phrase as [`classify`] finds it, before any text is copied: token indices into
/// the slice that was classified. The rules try many candidate phrases for each quote (every
/// start and end within reach) and keep at most one, so the strings of an [`Np`] are only made
/// for that one ([`Shape::np`]): copying them for every candidate was most of the cost of
/// attribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// The pronoun at this index, lower-cased.
    Pronoun(usize),
    /// The word at this index up to its apostrophe, lower-cased ("He’s").
    Contraction(usize),
    /// The words `name_start..end` are the name; the titles and roles among
    /// `prefix..name_start` stood before it.
    Name {
        prefix: usize,
        name_start: usize,
        end: usize,
    },
    /// The words `from..end`.
    Org { from: usize, end: usize },
    /// The head noun at this index, lower-cased.
    Role(usize),
}

impl Shape {
    /// The same phrase with its indices moved `d` tokens on (into an enclosing slice).
    fn shifted(self, d: usize) -> Shape {
        match self {
            Shape::Pronoun(i) => Shape::Pronoun(i + d),
            Shape::Contraction(i) => Shape::Contraction(i + d),
            Shape::Name {
                prefix,
                name_start,
                end,
            } => Shape::Name {
                prefix: prefix + d,
                name_start: name_start + d,
                end: end + d,
            },
            Shape::Org { from, end } => Shape::Org {
                from: from + d,
                end: end + d,
            },
            Shape::Role(i) => Shape::Role(i + d),
        }
    }

    /// The phrase's [`Np`], from the slice its indices refer to.
    fn np(self, toks: &[Tok]) -> Np {
        match self {
            Shape::Pronoun(i) => Np::Pronoun(toks[i].lower()),
            Shape::Contraction(i) => {
                let text = toks[i].text;
                let p = text.split_once(['’', '\'']).map_or(text, |(p, _)| p);
                Np::Pronoun(p.to_lowercase())
            }
            Shape::Name {
                prefix,
                name_start,
                end,
            } => Np::Name {
                name: join(&toks[name_start..end]),
                titles: titles_of(&toks[prefix..name_start]),
            },
            Shape::Org { from, end } => Np::Org(join(&toks[from..end])),
            Shape::Role(i) => Np::Role(toks[i].lower()),
        }
    }
}

/// The speaker-np rule on a candidate phrase: how many leading words it skips, and what it is.
pub(crate) fn classify_np(toks: &[Tok]) -> Option<(usize, Np)> {
    classify(toks).map(|(skip, shape)| (skip, shape.np(toks)))
}

// speaker-np = pronoun / *{titles} name / determiner *WORD {roles} / {roles} / "the" CAP *CAP
// (applied to a candidate phrase whose ends are already known)
/// [`classify_np`] without the strings: indices into `all`.
fn classify(all: &[Tok]) -> Option<(usize, Shape)> {
    let mut a = 0;
    while a + 1 < all.len() && has(&all[a], flag::LEADING_NOISE) {
        a += 1;
    }
    let toks = &all[a..];
    // Shapes below index `toks`; the caller's slice starts `a` words earlier.
    let found = |shape: Shape| Some((a, shape.shifted(a)));
    if toks.is_empty() || toks.len() > 9 {
        return None;
    }
    // "63 percent", "9/11 widow Terry Strada": a number may open the phrase.
    if toks.iter().skip(1).any(|t| !t.is_word())
        || !(toks[0].is_word() || toks[0].kind == Kind::Number)
    {
        return None;
    }
    if toks[0].kind == Kind::Number {
        return match classify(&toks[1..]) {
            Some((0, shape)) => found(shape.shifted(1)),
            None if toks.len() >= 2
                && toks.len() <= 4
                && toks[1..].iter().all(|t| t.is_lower_word()) =>
            {
                found(Shape::Role(toks.len() - 1))
            }
            _ => None,
        };
    }
    // "Mr. Morgan of the Sierra Club": the speaker is the phrase before its complement.
    if let Some(p) = toks.iter().position(opens_complement) {
        if p >= 1 && p + 1 < toks.len() && toks[p + 1..].iter().any(|t| t.is_cap()) {
            if let Some((skip, shape)) = classify(&toks[..p]) {
                if matches!(shape, Shape::Name { .. }) {
                    return Some((a + skip, shape.shifted(a)));
                }
            }
        }
    }
    if toks.len() == 1 && has(&toks[0], flag::PRONOUNS) {
        return found(Shape::Pronoun(0));
    }
    // "He’s claiming", "She'd said": a pronoun with its auxiliary. (Only a word with an
    // apostrophe, ' or the 0xe2 that opens ’, is split.)
    if toks.len() == 1 && toks[0].text.bytes().any(|b| b == b'\'' || b == 0xe2) {
        if let Some((p, rest)) = toks[0].text.split_once(['’', '\'']) {
            if PRONOUNS.iter().any(|x| p.eq_ignore_ascii_case(x))
                && matches!(rest, "s" | "re" | "d" | "ll" | "ve")
            {
                return found(Shape::Contraction(0));
            }
        }
    }
    // Function words are capitalized at a sentence start but name nobody ("Their", "There").
    let function_word = |t: &Tok| {
        has(t, flag::DETERMINERS)
            || has(t, flag::PRONOUNS)
            || has(t, flag::LEADING_NOISE)
            || has(t, flag::PREPOSITIONS)
            || t.text.len() <= 5
                && is_in(
                    t,
                    &[
                        "there", "here", "what", "why", "how", "who", "where", "this", "it's",
                    ],
                )
    };
    if toks.iter().all(function_word) {
        return None;
    }
    let last = &toks[toks.len() - 1];
    if has(last, flag::PRONOUNS) || is_cue(last).is_some() && !last.is_cap() {
        return None;
    }
    // "early Friday saying …", "Florida Friday": a day names nobody. (Months may: Theresa May.)
    if is_weekday(last) {
        return None;
    }
    // A name at the end, after titles or role words: "Treasury Secretary Scott Bessent",
    // "White House press secretary Sean Spicer", "Nick Witney".
    let mut n = toks.len();
    while n > 0
        && (is_nameish(&toks[n - 1])
            || (n < toks.len()
                && n > 1
                && has(&toks[n - 1], flag::PARTICLES)
                && toks[n - 2].is_cap()))
        && !(is_title(&toks[n - 1]) && n < toks.len())
    {
        n -= 1;
    }
    // Titles inside the capitalized run ("Colombian President Gustavo Petro") are not the name.
    let mut name_start = n;
    let mut k = n;
    while k < toks.len() {
        if is_title(&toks[k]) {
            name_start = k + 1;
        }
        k += 1;
    }
    // The words after `n` passed the loop above, so each is capitalized or a particle, as a
    // name's words must be.
    if name_start < toks.len() {
        let prefix = &toks[..name_start];
        // Lower-case modifiers stand before names too ("IMF chief economist Maury Obstfeld",
        // "panel Chairman Rep. Jason Chaffetz"), but never a verb or a preposition.
        let prefix_ok = prefix.len() <= 6
            && prefix.iter().all(|t| {
                t.is_cap()
                    || is_title(t)
                    || is_role(t)
                    || has(t, flag::DETERMINERS)
                    || t.is_possessive()
                    || (t.is_lower_word()
                        && !has(t, flag::PREPOSITIONS)
                        && !has(t, flag::AUX)
                        && !has(t, flag::LEADING_NOISE)
                        && is_cue(t).is_none()
                        && !t.text.ends_with("ed")
                        && !t.text.ends_with("ing"))
            });
        if prefix_ok {
            if prefix.first().is_some_and(|t| t.is("the"))
                && !prefix.iter().any(|t| is_title_or_role(&t))
            {
                return found(Shape::Org {
                    from: 1,
                    end: toks.len(),
                });
            }
            return found(Shape::Name {
                prefix: 0,
                name_start,
                end: toks.len(),
            });
        }
    }
    // A role phrase: "the president", "a senior administration official", "officials",
    // "the Trump administration".
    let head = last;
    if is_role(head) && !head.is_cap() || is_role(head) && toks.len() > 1 {
        let det = has(&toks[0], flag::DETERMINERS) || toks[0].is_possessive();
        let starts_ok = toks.len() == 1 || det || toks[0].is_cap();
        // After a determiner any modifier may stand ("a senior administration official");
        // without one only names and role words ("Trump administration", "White House spokesman").
        let middle = if toks.len() > 2 {
            &toks[1..toks.len() - 1]
        } else {
            &[]
        };
        let middle_ok = middle.iter().all(|t| {
            t.is_word()
                && !has(t, flag::PREPOSITIONS)
                && !has(t, flag::AUX)
                && is_cue(t).is_none()
                && (det || t.is_cap() || is_role(t) || is_title(t))
        }) && toks.len() <= 6;
        if starts_ok && middle_ok {
            return found(Shape::Role(toks.len() - 1));
        }
    }
    // Any determiner phrase can be a source ("the announcer", "the clip", "a doctor").
    // (The tests on the last word are the cheapest, so they go first.)
    if toks.len() >= 2
        && toks.len() <= 5
        && last.is_lower_word()
        && !has(last, flag::PREPOSITIONS)
        && !has(last, flag::AUX)
        && !last.text.ends_with("ly")
        && is_in(
            &toks[0],
            &[
                "the", "a", "an", "his", "her", "their", "its", "one", "two", "several", "some",
                "many",
            ],
        )
        && toks[1..]
            .iter()
            .all(|t| !has(t, flag::PREPOSITIONS) && !has(t, flag::AUX) && is_cue(t).is_none())
    {
        return found(Shape::Role(toks.len() - 1));
    }
    // "the White House", "the Pentagon", or an organization name on its own.
    if toks[0].is("the")
        && toks.len() > 1
        && toks[1..]
            .iter()
            .all(|t| t.is_cap() || has(t, flag::PARTICLES))
    {
        return found(Shape::Org {
            from: 1,
            end: toks.len(),
        });
    }
    None
}

/// "of", "for", "at", "from" or "with", in any case: `is_in` on the text, by its length first.
/// (Not by the word's flags: the resolver classifies words cut from their possessive,
/// "Wednesday" from "Wednesday’s", which keep the flags of the whole word.)
fn opens_complement(t: &Tok) -> bool {
    let first = t.text.as_bytes().first().map_or(0, u8::to_ascii_lowercase);
    match (t.text.len(), first) {
        (2, b'o') => t.is_word() && t.is("of"),
        (2, b'a') => t.is_word() && t.is("at"),
        (3, b'f') => t.is_word() && t.is("for"),
        (4, b'f') => t.is_word() && t.is("from"),
        (4, b'w') => t.is_word() && t.is("with"),
        _ => false,
    }
}

/// `is_in(t, WEEKDAYS)`, asked of the last word of every candidate phrase: all the days end
/// in "day", which rules out nearly every word before the list is scanned.
fn is_weekday(t: &Tok) -> bool {
    let b = t.text.as_bytes();
    (6..=9).contains(&b.len())
        && b[b.len() - 3..].eq_ignore_ascii_case(b"day")
        && is_in(t, WEEKDAYS)
}

fn is_title_or_role(t: &&Tok) -> bool {
    is_title(t) || is_role(t)
}

/// A candidate speaker phrase, the tokens `from..to` of the block, classified but not yet
/// copied out ([`Cand::mention`]).
#[derive(Debug, Clone, Copy)]
struct Cand {
    from: usize,
    to: usize,
    /// Indices into the block's tokens.
    shape: Shape,
}

impl Cand {
    fn is_name(&self) -> bool {
        matches!(self.shape, Shape::Name { .. })
    }

    /// A role phrase whose head noun is not in the roles lexicon ("the clip").
    fn is_loose_role(&self, toks: &[Tok]) -> bool {
        matches!(self.shape, Shape::Role(h) if !known_role(&toks[h]))
    }

    fn mention(self, toks: &[Tok]) -> Mention {
        let span = &toks[self.from..self.to];
        // A name or organization that ends the mention is the end of its text.
        let tail = match self.shape {
            Shape::Name {
                name_start, end, ..
            } if end == self.to && name_start >= self.from => Some(name_start),
            Shape::Org { from, end } if end == self.to && from >= self.from => Some(from),
            _ => None,
        };
        let (text, at) = join_marking(span, tail.map_or(usize::MAX, |i| i - self.from));
        let np = match (self.shape, tail) {
            (
                Shape::Name {
                    prefix, name_start, ..
                },
                Some(_),
            ) => Np::Name {
                name: text[at..].to_string(),
                titles: titles_of(&toks[prefix..name_start]),
            },
            (Shape::Org { .. }, Some(_)) => Np::Org(text[at..].to_string()),
            (shape, _) => shape.np(toks),
        };
        Mention {
            start: span[0].start,
            end: span[span.len() - 1].end,
            text,
            np,
        }
    }
}

fn np_mention(toks: &[Tok], from: usize, to: usize) -> Option<Mention> {
    np_cand(toks, from, to).map(|c| c.mention(toks))
}

/// [`np_mention`] without copying the phrase out.
fn np_cand(toks: &[Tok], from: usize, to: usize) -> Option<Cand> {
    if from >= to {
        return None;
    }
    // "Rep. Gwen Moore (D-Wis.)": a parenthetical after a name is not part of it.
    if toks[to - 1].is_punct(')') {
        let open = (from..to).rev().find(|&i| toks[i].is_punct('('))?;
        return np_cand(toks, from, open);
    }
    // "the newspaper Friday said": a day or month after the phrase dates it, it names nobody.
    let mut to = to;
    while to > from + 1 && has(&toks[to - 1], flag::CALENDAR) {
        to -= 1;
    }
    let (skip, shape) = classify(&toks[from..to])?;
    Some(Cand {
        from: from + skip,
        to,
        shape: shape.shifted(from),
    })
}

/// The end of a noun phrase read forwards from `from` (for "said Petro", "said a spokesman for the ministry").
fn np_forward_end(toks: &[Tok], from: usize, to: usize) -> usize {
    let mut j = from;
    if j < to && has(&toks[j], flag::PRONOUNS) {
        return j + 1;
    }
    while j < to && toks[j].is_word() && j - from < 8 {
        if is_cue(&toks[j]).is_some() && !toks[j].is_cap() && j > from {
            break;
        }
        // "for the ministry", "of the group" complete a role phrase but are not the speaker's head.
        if has(&toks[j], flag::PREPOSITIONS) && !toks[j].is("of") && j > from {
            break;
        }
        j += 1;
    }
    j
}

/// Skips a trailing appositive ", a fellow at …," or ", 45," or ", who …," backwards from `i`
/// (which points at the closing comma); returns the index just past the phrase before it.
fn skip_appositive_back(toks: &[Tok], lo: usize, i: usize) -> Option<usize> {
    let mut p = i;
    while p > lo {
        p -= 1;
        if toks[p].is_punct(',') {
            let first = toks.get(p + 1)?;
            let appositive = i - p <= 3
                || has(first, flag::DETERMINERS)
                || first.kind == Kind::Number
                || is_in(first, &["who", "which", "whose"])
                || is_title(first)
                || is_role(first)
                || first.is_lower_word();
            return appositive.then_some(p);
        }
        if toks[p].quote().is_some() || toks[p].is_punct('.') {
            return None;
        }
    }
    None
}

/// "a local member of parliament, Eric Ciotti, told": a name set off by commas right before
/// the cue is the speaker, and the phrase before it describes them.
fn named_between_commas(toks: &[Tok], lo: usize, end: usize) -> Option<Cand> {
    if end < lo + 3 || !toks[end - 1].is_punct(',') {
        return None;
    }
    let open = (lo..end - 1).rev().find(|&i| toks[i].is_punct(','))?;
    if open == lo || end - 1 - open > 5 {
        return None;
    }
    let m = np_cand(toks, open + 1, end - 1)?;
    let described = np_cand(toks, lo, open).is_some_and(|d| matches!(d.shape, Shape::Role(_)))
        || toks[lo..open]
            .first()
            .is_some_and(|t| has(t, flag::DETERMINERS));
    (m.is_name() && described).then_some(m)
}

// pre-attribution: [ channel "," ] speaker-np [ appositive ] *aux cue ...
fn subject_before(
    toks: &[Tok],
    lo: usize,
    cue: usize,
    channels: &[(usize, usize)],
) -> Option<Cand> {
    let mut end = cue;
    while end > lo && has(&toks[end - 1], flag::AUX) {
        end -= 1;
    }
    // "Petro in a post on X wrote": the channel phrase stands between subject and cue.
    if let Some(&(cs, _)) = channels.iter().find(|&&(cs, ce)| ce == end && cs > lo) {
        end = cs;
        while end > lo && toks[end - 1].is_punct(',') {
            end -= 1;
        }
    }
    if end > lo && toks[end - 1].is_punct(')') {
        end = (lo..end).rev().find(|&i| toks[i].is_punct('('))?;
    }
    if let Some(m) = named_between_commas(toks, lo, end) {
        return Some(m);
    }
    while end > lo && toks[end - 1].is_punct(',') {
        end = skip_appositive_back(toks, lo, end - 1)?;
    }
    if end > lo && is_in(&toks[end - 1], &["who", "which"]) {
        end -= 1;
        if end > lo && toks[end - 1].is_punct(',') {
            end -= 1;
        }
    }
    if end <= lo {
        return None;
    }
    // Widest valid phrase first, within the clause.
    let mut start = end;
    while start > lo && toks[start - 1].is_word() && end - start < 9 {
        start -= 1;
    }
    let subject = |end: usize| {
        (start..end).find_map(|s| {
            let m = np_cand(toks, s, end)?;
            // A phrase governed by a preposition is not a subject ("of the president said" never).
            let governed = s > lo && m.from == s && has(&toks[s - 1], flag::PREPOSITIONS);
            (!governed).then_some(m)
        })
    };
    // A participle phrase may stand between subject and cue: "Protesters marching through the
    // streets chanted", "officials speaking on condition of anonymity said".
    subject(end).or_else(|| {
        let participle = (start + 1..end).find(|&i| {
            toks[i].is_lower_word() && toks[i].text.ends_with("ing") && is_cue(&toks[i]).is_none()
        })?;
        // Only a name or a role noun, never a loose phrase ("did the media publish any
        // damning report").
        subject(participle).filter(|m| match m.shape {
            Shape::Name { .. } => true,
            Shape::Role(head) => known_role(&toks[head]),
            _ => false,
        })
    })
}

// participle-cue: the subject is that of the clause the cue hangs on: the first noun phrase of
// the nearest comma-separated segment before the cue that opens with one ("Petro denounced the
// killing, saying", "Earlier that day, Petro had joined … and urged").
fn clause_subject(toks: &[Tok], lo: usize, cue: usize) -> Option<Cand> {
    let mut seg_end = cue;
    loop {
        let mut seg_start = seg_end;
        while seg_start > lo && !toks[seg_start - 1].is_punct(',') {
            seg_start -= 1;
        }
        // The nearest clause first: "… when Washington revoked the visa, accusing".
        let starts = (seg_start..seg_end)
            .rev()
            .filter(|&i| has(&toks[i], flag::SUBORDINATORS))
            .map(|i| i + 1)
            .chain([seg_start]);
        for from in starts {
            let longest = (from + 7).min(seg_end);
            for e in (from + 1..=longest).rev() {
                let Some(m) = np_cand(toks, from, e) else {
                    continue;
                };
                // Far from its cue, only a name, a pronoun or a real role noun is trusted.
                if m.is_loose_role(toks) {
                    continue;
                }
                let followed_ok =
                    e == seg_end || toks[e].is_lower_word() && !has(&toks[e], flag::PREPOSITIONS);
                if followed_ok {
                    return Some(m);
                }
            }
        }
        if seg_start <= lo + 1 {
            return None;
        }
        seg_end = seg_start - 1;
    }
}

/// The speaker of a sentence of indirect speech: "NP cue …" at its start. Only say-cues
/// directly after their subject count, so that narration is not taken for speech.
pub(crate) fn indirect_speaker(
    toks: &[Tok],
    lo: usize,
    hi: usize,
    channels: &[(usize, usize)],
) -> Option<Mention> {
    let first_cue = (lo..hi.min(lo + 10)).find(|&c| {
        is_cue(&toks[c]) == Some(CueClass::Say)
            && toks[c].is_lower_word()
            && !ends_with_ing(&toks[c])
    })?;
    let subject = subject_before(toks, lo, first_cue, channels)?;
    // The subject opens the sentence, or the clause after an introductory phrase.
    let clause_start = (lo..first_cue)
        .rev()
        .find(|&i| toks[i].is_punct(','))
        .map_or(lo, |comma| comma + 1);
    if subject.from != lo && subject.from != clause_start {
        return None;
    }
    let m = subject.mention(toks);
    let vague = matches!(&m.np, Np::Pronoun(p) if p == "it" || p == "you");
    (!vague).then_some(m)
}

// possessive-source = name "’s" cue-noun        ; Donald Trump’s claim that “…”
fn possessive_source(toks: &[Tok], lo: usize, p: usize) -> Option<Mention> {
    if !toks[p].is_cap() {
        return None;
    }
    let mut s = p;
    while s > lo && toks[s - 1].is_cap() && !toks[s - 1].is_possessive() && p - s < 4 {
        s -= 1;
    }
    let last = toks[p].text;
    let bare = last
        .strip_suffix("’s")
        .or_else(|| last.strip_suffix("'s"))
        .or_else(|| last.strip_suffix('’'))
        .unwrap_or(last);
    let name: Vec<&str> = toks[s..p]
        .iter()
        .filter(|t| !is_title(t) && !has(t, flag::LEADING_NOISE | flag::DETERMINERS))
        .map(|t| t.text)
        .chain([bare])
        .collect();
    let titles = toks[s..p]
        .iter()
        .filter(|t| is_title(t))
        .map(|t| t.text.trim_end_matches('.').to_lowercase())
        .collect();
    if bare.is_empty() || resolve_stop(bare) {
        return None;
    }
    Some(Mention {
        start: toks[s].start,
        end: toks[p].start + bare.len(),
        text: toks[s..=p]
            .iter()
            .map(|t| t.text)
            .collect::<Vec<_>>()
            .join(" "),
        np: Np::Name {
            name: name.join(" "),
            titles,
        },
    })
}

/// Capitalized words that are no one's name ("Monday’s", "America’s" is a name of sorts but
/// not a speaker's).
fn resolve_stop(word: &str) -> bool {
    CALENDAR.iter().any(|w| word.eq_ignore_ascii_case(w))
        || [
            "America",
            "Today",
            "Tonight",
            "Yesterday",
            "It",
            "He",
            "She",
            "They",
        ]
        .contains(&word)
}

/// Runs post-attribution, then pre-attribution, for the quote token at `k` of the sentence
/// `lo..hi` (follow-on is decided by the caller, who knows the earlier speakers).
pub(crate) fn attribute(
    toks: &[Tok],
    lo: usize,
    hi: usize,
    k: usize,
    channels: &[(usize, usize)],
) -> Found {
    if let Some(f) = post_attribution(toks, k, hi) {
        return f;
    }
    pre_attribution(toks, lo, k, channels)
        .or_else(|| tail_attribution(toks, k, hi))
        .or_else(|| as_put_it(toks, lo, hi, k))
        .unwrap_or_default()
}

// as-put-it = "as" speaker-np "put" "it"                  ; in the quote's sentence, next to it
//           ; “the operator,” as The New Yorker put it / as a Homeland Security memo put it, “…”
fn as_put_it(toks: &[Tok], lo: usize, hi: usize, k: usize) -> Option<Found> {
    // The phrase stands right after the quote (and its comma) or ends right before it.
    let after = {
        let mut j = k + 1;
        while j < hi && toks[j].is_punct(',') {
            j += 1;
        }
        j
    };
    let phrase = |from: usize| -> Option<Found> {
        if !(from < hi && toks[from].is("as")) {
            return None;
        }
        let put = (from + 2..hi.min(from + 10)).find(|&i| toks[i].is("put"))?;
        if !(put + 1 < hi && toks[put + 1].is("it")) {
            return None;
        }
        let m = np_mention(toks, from + 1, put)?;
        Some(Found {
            speaker: Some(m),
            cue: Some((toks[put].start, toks[put + 1].end)),
            rule: Rule::Post,
        })
    };
    // Before the quote: "as The New Yorker put it in a lengthy expose, “…”".
    phrase(after).or_else(|| {
        let put = (lo + 2..k)
            .rev()
            .take(10)
            .find(|&i| toks[i].is("put") && toks.get(i + 1).is_some_and(|t| t.is("it")))?;
        let from = (lo..put).rev().take(9).find(|&i| toks[i].is("as"))?;
        phrase(from)
    })
}

// tail-attribution = … "," ( speaker-np [aux] cue / cue speaker-np ) ( "," / EOS )
//   ; A cashier who “steals a handful of $20s” is held accountable, Warren said.
//   ; “You squeezed employees …” to drive up the stock price, she said, referencing …
fn tail_attribution(toks: &[Tok], k: usize, hi: usize) -> Option<Found> {
    let mut end = hi;
    while end > k + 1 && toks[end - 1].kind == Kind::Punct && !toks[end - 1].is_punct(',') {
        end -= 1;
    }
    let mut f = (k + 1..end)
        .filter(|&c| toks[c].is_punct(','))
        .find_map(|c| {
            let clause_end = (c + 1..end).find(|&i| toks[i].is_punct(',')).unwrap_or(end);
            if clause_end - c > 8 || toks[c + 1..clause_end].iter().any(|t| t.quote().is_some()) {
                return None;
            }
            let f = post_attribution(toks, c, clause_end)?;
            // The clause is just "NP cue" or "cue NP" (with a word or two), not a new clause.
            let cue_end = f.cue.map_or(0, |(_, e)| e);
            let rest = toks[c + 1..clause_end]
                .iter()
                .filter(|t| t.start >= cue_end)
                .count();
            (rest <= 3).then_some(f)
        })?;
    f.rule = Rule::Pre;
    Some(f)
}

// post-attribution = close-mark [ "," / "—" ] ( speaker-np [aux] cue / cue speaker-np
//                    / "according" "to" speaker-np )
fn post_attribution(toks: &[Tok], k: usize, hi: usize) -> Option<Found> {
    // dash-attribution = close-mark ( "—" / "―" / "–" ) name EOS      ; “…” ― Pamela Padilla
    if k + 2 < hi + 1 && k + 1 < hi && matches!(toks[k + 1].text, "—" | "―" | "–" | "-") {
        let end = np_forward_end(toks, k + 2, hi);
        // EOS: the sentence's end, its final period, or a comma.
        let eos = end == hi
            || end < hi && toks[end].is_punct(',')
            || end + 1 == hi && toks[end].is_punct('.');
        if eos {
            if let Some(m) = np_cand(toks, k + 2, end).filter(Cand::is_name) {
                return Some(Found {
                    speaker: Some(m.mention(toks)),
                    cue: None,
                    rule: Rule::Post,
                });
            }
        }
    }
    let mut j = k + 1;
    if j < hi && (toks[j].is_punct(',') || toks[j].is_punct('—') || toks[j].is_punct('–')) {
        j += 1;
    }
    if j >= hi {
        return None;
    }
    let found = |m: Mention, cue: &Tok, _class: CueClass| Found {
        speaker: Some(m),
        cue: Some((cue.start, cue.end)),
        rule: Rule::Post,
    };
    // cue speaker-np: "said Petro", "said a spokesman for the ministry"; after "told" the
    // phrase is the audience ("told France Info"), never the speaker.
    let audience_cue = ["told", "tells", "tell", "telling"]
        .iter()
        .any(|w| toks[j].is(w));
    // A label verb after the quote describes its object ("“forcefully” condemned the attack"):
    // only a say verb inverts.
    if let Some(class) =
        is_cue(&toks[j]).filter(|c| *c == CueClass::Say && toks[j].is_lower_word() && !audience_cue)
    {
        let end = np_forward_end(toks, j + 1, hi);
        if let Some(m) = (j + 1..end).rev().find_map(|e| np_cand(toks, j + 1, e + 1)) {
            return Some(found(m.mention(toks), &toks[j], class));
        }
    }
    // "according to" speaker-np
    if toks[j].is("according") && j + 1 < hi && toks[j + 1].is("to") {
        let end = np_forward_end(toks, j + 2, hi);
        if let Some(m) = (j + 2..end).rev().find_map(|e| np_cand(toks, j + 2, e + 1)) {
            return Some(Found {
                speaker: Some(m.mention(toks)),
                cue: Some((toks[j].start, toks[j + 1].end)),
                rule: Rule::Post,
            });
        }
    }
    // speaker-np [ appositive ] *aux cue: "Petro wrote", "Nick Witney, a fellow at …, said"
    let limit = hi.min(j + 24);
    let mut c = j;
    while c < limit {
        let t = &toks[c];
        // "(D-Wis.)" after a name: skip the whole group.
        if t.is_punct('(') {
            match (c..limit).find(|&i| toks[i].is_punct(')')) {
                Some(close) => {
                    c = close + 1;
                    continue;
                }
                None => return None,
            }
        }
        if t.quote().is_some() || t.is_punct('.') || t.is_punct(';') || t.is_punct(':') {
            return None;
        }
        if let Some(class) = is_cue(t).filter(|_| t.is_lower_word()) {
            if c == j {
                return None;
            }
            let mut end = c;
            while end > j && has(&toks[end - 1], flag::AUX) {
                end -= 1;
            }
            if let Some(m) = named_between_commas(toks, j, end) {
                return Some(found(m.mention(toks), t, class));
            }
            while end > j && toks[end - 1].is_punct(',') {
                end = skip_appositive_back(toks, j, end - 1)?;
            }
            // the phrase must start right after the quote
            let m = np_cand(toks, j, end)?;
            if m.from != j && !has(&toks[j], flag::LEADING_NOISE) {
                return None;
            }
            return Some(found(m.mention(toks), t, class));
        }
        if c > j + 10
            && !toks[c..].iter().take(1).any(|t| t.is_punct(','))
            && toks[j..c].iter().all(|t| !t.is_punct(','))
        {
            return None;
        }
        c += 1;
    }
    None
}

fn pre_attribution(
    toks: &[Tok],
    lo: usize,
    k: usize,
    channels: &[(usize, usize)],
) -> Option<Found> {
    let mut c = k;
    while c > lo {
        c -= 1;
        let t = &toks[c];
        if t.quote().is_some() {
            continue;
        }
        // "according" "to" speaker-np "," … open-mark
        if t.is("according") && c + 1 < k && toks[c + 1].is("to") {
            let end = np_forward_end(toks, c + 2, k);
            if let Some(m) = (c + 2..end).rev().find_map(|e| np_cand(toks, c + 2, e + 1)) {
                return Some(Found {
                    speaker: Some(m.mention(toks)),
                    cue: Some((t.start, toks[c + 1].end)),
                    rule: Rule::Pre,
                });
            }
            continue;
        }
        let Some(_) = is_cue(t) else { continue };
        if t.is_cap() && c != lo {
            continue; // "Said" inside a name or title
        }
        // Used as a noun: "the statement", "a report", "his post" (but "He’s claiming" is a
        // verb). After a possessive name the noun is a cue itself: "Trump’s claim that “…”".
        if c > lo && toks[c - 1].is_possessive() && !is_pronoun_contraction(&toks[c - 1]) {
            if let Some(m) = possessive_source(toks, lo, c - 1) {
                return Some(Found {
                    speaker: Some(m),
                    cue: Some((t.start, t.end)),
                    rule: Rule::Pre,
                });
            }
            continue;
        }
        if c > lo && has(&toks[c - 1], flag::DETERMINERS) {
            continue;
        }
        let subject = subject_before(toks, lo, c, channels).or_else(|| {
            let participle = ends_with_ing(t);
            let coordinated = c > lo && (toks[c - 1].is("and") || toks[c - 1].is_punct(','));
            (participle || coordinated)
                .then(|| clause_subject(toks, lo, c))
                .flatten()
        });
        if let Some(m) = subject {
            return Some(Found {
                speaker: Some(m.mention(toks)),
                cue: Some((t.start, t.end)),
                rule: Rule::Pre,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::token::tokenize;
    use super::*;

    fn np(s: &str) -> Option<Np> {
        let mut toks = Vec::new();
        tokenize(s, 0, s.len(), &mut toks);
        classify_np(&toks).map(|(_, np)| np)
    }

    #[test]
    fn weekdays_open_the_calendar() {
        assert_eq!(WEEKDAYS.first(), Some(&"monday"));
        assert_eq!(WEEKDAYS.last(), Some(&"sunday"));
    }

    #[test]
    fn noun_phrases() {
        assert_eq!(np("he"), Some(Np::Pronoun("he".into())));
        assert_eq!(
            np("Treasury Secretary Scott Bessent"),
            Some(Np::Name {
                name: "Scott Bessent".into(),
                titles: vec!["treasury".into(), "secretary".into()]
            })
        );
        assert_eq!(
            np("Colombian President Gustavo Petro"),
            Some(Np::Name {
                name: "Gustavo Petro".into(),
                titles: vec!["colombian".into(), "president".into()]
            })
        );
        assert_eq!(
            np("But Petro"),
            Some(Np::Name {
                name: "Petro".into(),
                titles: vec![]
            })
        );
        assert_eq!(np("the president"), Some(Np::Role("president".into())));
        assert_eq!(
            np("a senior administration official"),
            Some(Np::Role("official".into()))
        );
        assert_eq!(
            np("The Trump administration"),
            Some(Np::Role("administration".into()))
        );
        assert_eq!(np("the White House"), Some(Np::Org("White House".into())));
        assert_eq!(np("of the plan"), None);
        assert_eq!(np("the"), None);
    }

    /// The shortcuts in front of list and lexicon look-ups answer as the look-ups do, and a
    /// mention's name sliced from its text is the name joined on its own.
    #[test]
    fn shortcuts_agree_with_the_lookups() {
        let text = "But Treasury Secretary Scott Bessent of the Fed, the White House, He’s, \
                    it's OF At FOR from With Wednesday WEDNESDAY holiday the president’s \
                    officials SPOKESMAN 63 percent the Trump administration said Monday, \
                    Mr. Morgan of the Sierra Club";
        let mut toks = Vec::new();
        tokenize(text, 0, text.len(), &mut toks);
        let roles = &lexicon().roles;
        for t in &toks {
            let naive_in = |list: &[&str]| t.is_word() && list.iter().any(|w| t.is(w));
            assert_eq!(is_in(t, DETERMINERS), naive_in(DETERMINERS), "{}", t.text);
            assert_eq!(is_weekday(t), naive_in(WEEKDAYS), "{}", t.text);
            assert_eq!(
                opens_complement(t),
                naive_in(&["of", "for", "at", "from", "with"]),
                "{}",
                t.text
            );
            assert_eq!(
                known_role(t),
                roles.contains(t.lower().as_str()),
                "{}",
                t.text
            );
            assert_eq!(ends_with_ing(t), t.lower().ends_with("ing"), "{}", t.text);
        }
        let mut mentions = 0;
        for from in 0..toks.len() {
            for to in from + 1..=toks.len().min(from + 10) {
                let Some(c) = np_cand(&toks, from, to) else {
                    continue;
                };
                let m = c.mention(&toks);
                assert_eq!(m.text, join(&toks[c.from..c.to]));
                assert_eq!(m.np, c.shape.np(&toks), "{}", m.text);
                assert_eq!(m.start, toks[c.from].start);
                mentions += 1;
            }
        }
        assert!(mentions > 20, "{mentions}");
    }
}
