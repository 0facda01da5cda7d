//! The lexicons of `grammar/`, compiled into the binary and parsed once.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use rustc_hash::FxHashMap;

use super::attribution::{self as attr, flag};

/// How a cue attributes its quote (grammar/cues.txt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CueClass {
    Say,
    Label,
}

/// An outlet of `grammar/outlets.tsv`.
#[derive(Debug, Clone)]
pub struct Outlet {
    pub canonical: String,
    pub aliases: Vec<String>,
    pub domains: Vec<String>,
}

pub(crate) struct Lexicon {
    pub roles: HashSet<String>,
    /// Channel phrases, case-insensitive, longest match first.
    pub channels: AhoCorasick,
    pub channel_phrases: Vec<String>,
    pub outlets: Vec<Outlet>,
    /// Every outlet alias, case-sensitive, longest match first; pattern i is `alias_outlet[i]`.
    pub aliases: AhoCorasick,
    pub alias_outlet: Vec<usize>,
    /// Credit patterns as (words before the outlet, words after), lower-case.
    pub credits: Vec<(String, String)>,
    /// Lower-cased canonical names and aliases, for exact look-ups.
    pub outlet_names: HashMap<String, usize>,
    /// Given names and their usual gender (`'f'` or `'m'`).
    pub first_names: HashMap<String, char>,
    /// Countries, states and large cities, lower-case (`grammar/places.txt`): never a person.
    pub places: HashSet<String>,
    /// Lower-case word -> its categories (`attribution::flag`): function words, cues, titles,
    /// roles, looked up once per token. Titles are also keyed with their period ("sen.") and
    /// roles with their possessive ("president’s"), so a token needs a single look-up.
    pub words: FxHashMap<Box<[u8]>, u32>,
    /// Outlet aliases in their exact case.
    pub alias_exact: FxHashMap<String, usize>,
}

fn lines(data: &str) -> impl Iterator<Item = &str> {
    data.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    let cues: HashMap<String, CueClass> = lines(include_str!("../../grammar/cues.txt"))
        .filter_map(|l| {
            let (form, class) = l.split_once('\t')?;
            let class = match class.trim() {
                "label" => CueClass::Label,
                _ => CueClass::Say,
            };
            Some((form.trim().to_lowercase(), class))
        })
        .collect();
    let set = |data: &str| lines(data).map(|l| l.trim().to_lowercase()).collect();
    let channel_phrases: Vec<String> = lines(include_str!("../../grammar/channels.txt"))
        .map(|l| l.trim().to_string())
        .collect();
    let channels = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        // A DFA: these automata scan every sentence around a quote, and the patterns are few
        // enough that its memory is small.
        .kind(Some(AhoCorasickKind::DFA))
        .build(&channel_phrases)
        .expect("channel phrases compile");
    let outlets: Vec<Outlet> = lines(include_str!("../../grammar/outlets.tsv"))
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let canonical = cols.next()?.trim().to_string();
            let split = |c: Option<&str>| -> Vec<String> {
                c.unwrap_or("")
                    .split('|')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            };
            let aliases = split(cols.next());
            let domains = split(cols.next());
            Some(Outlet {
                canonical,
                aliases,
                domains,
            })
        })
        .collect();
    let mut alias_patterns = Vec::new();
    let mut alias_outlet = Vec::new();
    for (k, o) in outlets.iter().enumerate() {
        for a in &o.aliases {
            alias_patterns.push(a.clone());
            alias_outlet.push(k);
        }
    }
    let aliases = AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&alias_patterns)
        .expect("outlet aliases compile");
    let credits = lines(include_str!("../../grammar/credits.txt"))
        .filter_map(|l| {
            let (pre, post) = l.split_once("{outlet}")?;
            Some((pre.trim().to_lowercase(), post.trim().to_lowercase()))
        })
        .collect();
    let mut outlet_names = HashMap::new();
    for (k, o) in outlets.iter().enumerate() {
        outlet_names.insert(o.canonical.to_lowercase(), k);
        for a in &o.aliases {
            // Two-letter aliases (AP, FT, DW) only match in their exact case, below.
            if a.len() > 3 {
                outlet_names.entry(a.to_lowercase()).or_insert(k);
            }
        }
    }
    let first_names = lines(include_str!("../../grammar/first_names.tsv"))
        .filter_map(|l| {
            let (name, g) = l.split_once('\t')?;
            Some((name.trim().to_string(), g.trim().chars().next()?))
        })
        .collect();
    let mut words: FxHashMap<String, u32> = FxHashMap::default();
    let lists: [(&[&str], u32); 8] = [
        (attr::PRONOUNS, flag::PRONOUNS),
        (attr::DETERMINERS, flag::DETERMINERS),
        (attr::AUX, flag::AUX),
        (attr::LEADING_NOISE, flag::LEADING_NOISE),
        (attr::PREPOSITIONS, flag::PREPOSITIONS),
        (attr::CALENDAR, flag::CALENDAR),
        (attr::SUBORDINATORS, flag::SUBORDINATORS),
        (attr::PARTICLES, flag::PARTICLES),
    ];
    for (list, f) in lists {
        for w in list {
            *words.entry(w.to_string()).or_default() |= f;
        }
    }
    for (w, class) in &cues {
        let f = match class {
            CueClass::Say => flag::CUE_SAY,
            CueClass::Label => flag::CUE_LABEL,
        };
        *words.entry(w.clone()).or_default() |= f;
    }
    let titles: HashSet<String> = set(include_str!("../../grammar/titles.txt"));
    let roles: HashSet<String> = set(include_str!("../../grammar/roles.txt"));
    for t in &titles {
        *words.entry(t.clone()).or_default() |= flag::TITLE;
    }
    for r in &roles {
        *words.entry(r.clone()).or_default() |= flag::ROLE;
    }
    let mut keyed: FxHashMap<Box<[u8]>, u32> = FxHashMap::default();
    for (w, &f) in &words {
        *keyed.entry(w.as_bytes().into()).or_default() |= f;
        if f & flag::TITLE != 0 {
            *keyed
                .entry(format!("{w}.").into_bytes().into())
                .or_default() |= flag::TITLE;
        }
        if f & flag::ROLE != 0 {
            for suffix in ["’s", "'s", "’"] {
                *keyed
                    .entry(format!("{w}{suffix}").into_bytes().into())
                    .or_default() |= flag::ROLE;
            }
        }
    }
    let words = keyed;
    let mut alias_exact = FxHashMap::default();
    for (k, o) in outlets.iter().enumerate() {
        for a in &o.aliases {
            alias_exact.entry(a.clone()).or_insert(k);
        }
    }
    Lexicon {
        words,
        alias_exact,
        first_names,
        places: set(include_str!("../../grammar/places.txt")),
        outlet_names,
        roles,
        channels,
        channel_phrases,
        outlets,
        aliases,
        alias_outlet,
        credits,
    }
});

pub(crate) fn lexicon() -> &'static Lexicon {
    &LEXICON
}

/// The categories of a word (`attribution::flag`). Titles match without their period
/// ("Sen."), roles without a possessive ("president’s").
pub(crate) fn word_flags(text: &str) -> u32 {
    let words = &lexicon().words;
    let mut buf = [0u8; 32];
    let lowered: String;
    let lower: &[u8] = if text.len() <= buf.len() && text.is_ascii() {
        for (d, s) in buf.iter_mut().zip(text.bytes()) {
            *d = s.to_ascii_lowercase();
        }
        &buf[..text.len()]
    } else {
        lowered = text.to_lowercase();
        lowered.as_bytes()
    };
    words.get(lower).copied().unwrap_or(0)
}

/// Resolves an outlet name, alias or web domain (with or without `www.`) to its canonical name.
///
/// ```
/// assert_eq!(quotetrace::parse::resolve_outlet("AP"), Some("Associated Press"));
/// assert_eq!(quotetrace::parse::resolve_outlet("www.reuters.com"), Some("Reuters"));
/// assert_eq!(quotetrace::parse::resolve_outlet("edition.cnn.com"), Some("CNN"));
/// assert_eq!(quotetrace::parse::resolve_outlet("Some Blog"), None);
/// ```
pub fn resolve_outlet(name: &str) -> Option<&'static str> {
    let lex = lexicon();
    let name = name.trim();
    // AllSides writes "New York Times - News"; the part before " - " is the outlet.
    let base = name.split(" - ").next().unwrap_or(name).trim();
    if let Some(&k) = lex.outlet_names.get(&base.to_lowercase()) {
        return Some(lex.outlets[k].canonical.as_str());
    }
    if let Some(&k) = lex.alias_exact.get(base) {
        return Some(lex.outlets[k].canonical.as_str());
    }
    if !base.contains('.') {
        return None;
    }
    let host = base
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("")
        .trim_start_matches("www.")
        .to_ascii_lowercase();
    lex.outlets
        .iter()
        .find(|o| {
            o.domains.iter().any(|d| {
                host == *d
                    || host.len() > d.len()
                        && host.ends_with(d.as_str())
                        && host.as_bytes()[host.len() - d.len() - 1] == b'.'
            })
        })
        .map(|o| o.canonical.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicons_load() {
        let lex = lexicon();
        assert_eq!(word_flags("said"), flag::CUE_SAY);
        assert_eq!(word_flags("Called") & flag::CUE_LABEL, flag::CUE_LABEL);
        assert_ne!(word_flags("Sen.") & flag::TITLE, 0);
        assert_ne!(word_flags("president’s") & flag::ROLE, 0);
        assert!(lex.roles.contains("president"));
        assert!(lex
            .credits
            .iter()
            .any(|(a, b)| a == "as reported by" && b.is_empty()));
        assert!(lex.credits.iter().any(|(a, b)| a == "(" && b == ")"));
        assert!(lex.outlets.len() > 50);
    }
}
