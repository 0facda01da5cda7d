//! The lexicons of `grammar/`, compiled into the binary and parsed once.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use rustc_hash::{FxHashMap, FxHashSet};

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
    pub roles: FxHashSet<String>,
    /// Channel phrases in ASCII lower case, longest match first: search lower-cased text.
    pub channels: AhoCorasick,
    pub channel_phrases: Vec<String>,
    pub outlets: Vec<Outlet>,
    /// Every outlet alias, case-sensitive, longest match first; pattern i is `alias_outlet[i]`.
    pub aliases: AhoCorasick,
    pub alias_outlet: Vec<usize>,
    /// Credit patterns as (words before the outlet, words after), lower-case.
    pub credits: Vec<(String, String)>,
    /// Lower-cased canonical names and aliases, for exact look-ups.
    pub outlet_names: FxHashMap<String, usize>,
    /// Given names and their usual gender (`'f'` or `'m'`).
    pub first_names: FxHashMap<String, char>,
    /// Countries, states and large cities, lower-case (`grammar/places.txt`): never a person.
    pub places: FxHashSet<String>,
    /// Lower-case word -> its categories (`attribution::flag`): function words, cues, titles,
    /// roles, looked up once per token. Titles are also keyed with their period ("sen.") and
    /// roles with their possessive ("president’s"), so a token needs a single look-up.
    pub words: WordTable,
    /// Outlet aliases in their exact case.
    pub alias_exact: FxHashMap<String, usize>,
    /// Web domain -> the first outlet (in `outlets` order) that lists it: every new name with
    /// a period ("Donald J. Trump") is tried as a domain, and a scan of all outlets was most
    /// of the cost of telling people from organisations.
    pub domain_outlet: FxHashMap<String, usize>,
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
    // Matched against ASCII-lower-cased text, which is case-insensitive matching by another
    // road: an automaton built `ascii_case_insensitive` gets no prefilter and steps through
    // every byte of every sentence around a quote, a case-sensitive one skips ahead.
    let channels = AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        // A DFA: the patterns are few enough that its memory is small.
        .kind(Some(AhoCorasickKind::DFA))
        .build(channel_phrases.iter().map(|p| p.to_ascii_lowercase()))
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
    let mut outlet_names = FxHashMap::default();
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
    let titles: FxHashSet<String> = set(include_str!("../../grammar/titles.txt"));
    let roles: FxHashSet<String> = set(include_str!("../../grammar/roles.txt"));
    for t in &titles {
        *words.entry(t.clone()).or_default() |= flag::TITLE;
    }
    for r in &roles {
        *words.entry(r.clone()).or_default() |= flag::ROLE;
    }
    for phrase in &channel_phrases {
        if let Some(last) = phrase.rsplit(' ').next() {
            let last = last.to_ascii_lowercase();
            *words.entry(format!("{last}.")).or_default() |= flag::CHANNEL_END;
            *words.entry(last).or_default() |= flag::CHANNEL_END;
        }
    }
    for alias in outlets.iter().flat_map(|o| &o.aliases) {
        let last = alias
            .split(|c: char| !c.is_alphanumeric())
            .rfind(|run| !run.is_empty());
        if let Some(last) = last {
            let f = if last.starts_with(char::is_uppercase) {
                flag::ALIAS_END_CAP
            } else {
                flag::ALIAS_END
            };
            *words.entry(last.to_lowercase()).or_default() |= f;
        }
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
    let words = WordTable::new(keyed);
    let mut alias_exact = FxHashMap::default();
    for (k, o) in outlets.iter().enumerate() {
        for a in &o.aliases {
            alias_exact.entry(a.clone()).or_insert(k);
        }
    }
    let mut domain_outlet = FxHashMap::default();
    for (k, o) in outlets.iter().enumerate() {
        for d in &o.domains {
            domain_outlet.entry(d.clone()).or_insert(k);
        }
    }
    Lexicon {
        domain_outlet,
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
#[inline]
pub(crate) fn word_flags(text: &str) -> u32 {
    lexicon().words.get(text)
}

/// The table behind [`word_flags`], for a caller that looks up many words in a row.
#[inline]
pub(crate) fn words() -> &'static WordTable {
    &lexicon().words
}

/// Lower-case words and their flags, looked up once per token of every sentence around a
/// quote: the single most frequent operation of extraction. Words of up to 16 bytes (all but
/// a handful) are packed into one `u128` and found in an open-addressed table with no string
/// compare; longer ones go through a hash map. The table is kept a quarter full, so a look-up
/// mostly ends at its first slot, found or empty, on a branch the processor predicts.
pub(crate) struct WordTable {
    /// Words of up to six bytes with their flags in the top 16 bits, zero for an empty slot:
    /// the most frequent words, in a table small enough for the first-level cache.
    short: Box<[u64]>,
    /// Packed words of 7 to 16 bytes, zero for an empty slot; the length is a power of two.
    keys: Box<[u128]>,
    /// The flags of `keys[i]`.
    flags: Box<[u32]>,
    long: FxHashMap<Box<[u8]>, u32>,
}

/// A word of 1 to 16 bytes (and no NUL) as a little-endian integer, zero-padded. Read in
/// overlapping pieces rather than copied byte by byte: this runs once per token.
fn pack(word: &[u8]) -> u128 {
    let n = word.len();
    let u64_at = |i: usize| u64::from_le_bytes(word[i..i + 8].try_into().expect("8 bytes"));
    let u32_at = |i: usize| u32::from_le_bytes(word[i..i + 4].try_into().expect("4 bytes"));
    let (lo, hi) = match n {
        // The second read overlaps the first; shifting it to its place ORs equal bytes.
        8..=16 => (
            u64_at(0),
            if n > 8 {
                u64_at(n - 8) >> (8 * (16 - n))
            } else {
                0
            },
        ),
        4..=7 => (
            u64::from(u32_at(0)) | u64::from(u32_at(n - 4)) << (8 * (n - 4)),
            0,
        ),
        _ => {
            let mut lo = 0u64;
            for (k, &c) in word.iter().enumerate() {
                lo |= u64::from(c) << (8 * k);
            }
            (lo, 0)
        }
    };
    u128::from(lo) | u128::from(hi) << 64
}

/// ASCII lower case of a packed word whose bytes are all ASCII: 0x20 added to each byte in
/// `A..=Z`, eight bytes per step. No byte is above 0x7f, so no sum carries into the next.
fn ascii_lower(x: u128) -> u128 {
    const ONES: u128 = u128::MAX / 0xff;
    let at_least_a = x + ONES * (0x80 - b'A' as u128);
    let past_z = x + ONES * (0x80 - b'Z' as u128 - 1);
    let upper = at_least_a & !past_z & (ONES * 0x80);
    x | (upper >> 2)
}

/// [`ascii_lower`] of a packed word that may hold bytes above 0x7f, which stay as they are.
fn ascii_lower_any(x: u128) -> u128 {
    const ONES: u128 = u128::MAX / 0xff;
    const HIGH: u128 = ONES * 0x80;
    let y = x & !HIGH;
    let at_least_a = y + ONES * (0x80 - b'A' as u128);
    let past_z = y + ONES * (0x80 - b'Z' as u128 - 1);
    let upper = at_least_a & !past_z & !x & HIGH;
    x | (upper >> 2)
}

impl WordTable {
    fn new(words: FxHashMap<Box<[u8]>, u32>) -> WordTable {
        let shorts = words.keys().filter(|w| Self::is_short(w)).count();
        let short_size = (shorts * 4).next_power_of_two();
        let mut short = vec![0u64; short_size];
        let size = ((words.len() - shorts) * 4).next_power_of_two();
        let (mut keys, mut flags) = (vec![0u128; size], vec![0u32; size]);
        let mut long = FxHashMap::default();
        for (w, f) in words {
            if w.len() > 16 || w.is_empty() || w.contains(&0) {
                long.insert(w, f);
                continue;
            }
            let key = pack(&w);
            let h = Self::hash(key);
            if Self::is_short(&w) {
                assert!(f <= u32::from(u16::MAX), "word flags fit in 16 bits");
                let mask = short_size - 1;
                let mut i = Self::slot(h, mask);
                while short[i] != 0 {
                    i = (i + 1) & mask;
                }
                short[i] = key as u64 | u64::from(f) << 48;
                continue;
            }
            let mask = size - 1;
            let mut i = Self::slot(h, mask);
            while keys[i] != 0 {
                i = (i + 1) & mask;
            }
            keys[i] = key;
            flags[i] = f;
        }
        WordTable {
            short: short.into_boxed_slice(),
            keys: keys.into_boxed_slice(),
            flags: flags.into_boxed_slice(),
            long,
        }
    }

    /// Words of up to six bytes, stored with their flags in one `u64`.
    fn is_short(word: &[u8]) -> bool {
        (1..=6).contains(&word.len()) && !word.contains(&0)
    }

    fn hash(key: u128) -> u64 {
        ((key as u64) ^ ((key >> 64) as u64).rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    fn slot(h: u64, mask: usize) -> usize {
        (h >> 40) as usize & mask
    }

    /// [`word_flags`] of `text`.
    #[inline]
    pub(crate) fn get(&self, text: &str) -> u32 {
        let b = text.as_bytes();
        if b.is_empty() {
            return 0;
        }
        if b.len() <= 16 && b.is_ascii() {
            return self.get_ascii(b);
        }
        // ASCII with curly apostrophes (Petro’s, don’t), the usual word past ASCII: these
        // bytes make no char but U+2000, U+2019, U+2640 and U+2659, none of which has a lower
        // case, so lower-casing the ASCII bytes is `to_lowercase`.
        if b.len() <= 16
            && b.iter()
                .all(|&c| c < 0x80 || matches!(c, 0xe2 | 0x80 | 0x99))
        {
            return self.get_packed(ascii_lower_any(pack(b)), b.len());
        }
        let lower = text.to_lowercase();
        let lb = lower.as_bytes();
        if lb.len() <= 16 && !lb.contains(&0) {
            self.get_packed(pack(lb), lb.len())
        } else {
            self.long.get(lb).copied().unwrap_or(0)
        }
    }

    /// Looks up an ASCII word of 1 to 16 bytes, in any case.
    #[inline]
    pub(crate) fn get_ascii(&self, b: &[u8]) -> u32 {
        self.get_packed(ascii_lower(pack(b)), b.len())
    }

    /// [`get_packed`](Self::get_packed) of a word of 1 to 6 bytes. Found or missing: the
    /// usual first probe of a sparse table, one predictable branch; which of the two is data,
    /// selected without a branch.
    #[inline(always)]
    pub(crate) fn get_short(&self, key: u64) -> u32 {
        let mask = self.short.len() - 1;
        let mut i = Self::slot(Self::hash(u128::from(key)), mask);
        loop {
            let v = self.short[i];
            // `|`, not `||`: one branch, taken at the first probe in most look-ups; an empty
            // slot is zero, flags included.
            if (v & ((1 << 48) - 1) == key) | (v == 0) {
                return (v >> 48) as u32;
            }
            i = (i + 1) & mask;
        }
    }

    /// Looks up a packed word of `len` bytes (1 to 16, no NUL), already in lower case.
    #[inline(always)]
    pub(crate) fn get_packed(&self, key: u128, len: usize) -> u32 {
        if len <= 6 {
            return self.get_short(key as u64);
        }
        let h = Self::hash(key);
        let mask = self.keys.len() - 1;
        let mut i = Self::slot(h, mask);
        loop {
            let k = self.keys[i];
            if (k == key) | (k == 0) {
                let f = self.flags[i];
                return if k == key { f } else { 0 };
            }
            i = (i + 1) & mask;
        }
    }
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
    outlet_by_host(&host).map(|k| lex.outlets[k].canonical.as_str())
}

/// The first outlet with a domain that is `host` or ends it after a dot: the host and each of
/// its suffixes after a dot are looked up, and the lowest outlet index wins.
fn outlet_by_host(host: &str) -> Option<usize> {
    let lex = lexicon();
    std::iter::once(host)
        .chain(memchr::memchr_iter(b'.', host.as_bytes()).map(|k| &host[k + 1..]))
        .filter_map(|d| lex.domain_outlet.get(d).copied())
        .min()
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

    #[test]
    fn domains_resolve_as_a_scan_of_all_outlets_would() {
        let lex = lexicon();
        // The reference: the first outlet with a domain equal to the host or ending it after
        // a dot.
        let scan = |host: &str| {
            lex.outlets.iter().position(|o| {
                o.domains.iter().any(|d| {
                    host == *d
                        || host.len() > d.len()
                            && host.ends_with(d.as_str())
                            && host.as_bytes()[host.len() - d.len() - 1] == b'.'
                })
            })
        };
        let mut hosts: Vec<String> = vec![
            "donald j. trump".into(),
            "a.".into(),
            ".".into(),
            "x.co.uk".into(),
        ];
        for o in &lex.outlets {
            for d in &o.domains {
                hosts.push(d.clone());
                hosts.push(format!("edition.{d}"));
                hosts.push(format!("x{d}"));
                hosts.push(format!("{d}.evil"));
            }
        }
        for h in &hosts {
            assert_eq!(outlet_by_host(h), scan(h), "{h}");
        }
        assert!(hosts.iter().filter(|h| scan(h).is_some()).count() > 50);
    }

    #[test]
    fn word_table_finds_what_the_map_holds() {
        let mut map: FxHashMap<Box<[u8]>, u32> = FxHashMap::default();
        for (w, f) in [
            ("said", 1),
            ("a", 2),
            ("president’s", 4),
            ("sixteen-letters!", 8),
            ("seventeen-letters", 16),
            ("été", 32),
        ] {
            map.insert(w.as_bytes().into(), f);
        }
        let t = WordTable::new(map);
        assert_eq!(t.get("Said"), 1);
        assert_eq!(t.get("SAID"), 1);
        assert_eq!(t.get("A"), 2);
        assert_eq!(t.get("President’s"), 4);
        assert_eq!(t.get("Sixteen-Letters!"), 8);
        assert_eq!(t.get("Seventeen-Letters"), 16);
        assert_eq!(t.get("ÉTÉ"), 32);
        assert_eq!(t.get("PRESIDENT’S"), 4);
        for miss in [
            "",
            "sai",
            "saids",
            "b",
            "@",
            "[",
            "`",
            "{",
            "seventeen-letterz",
        ] {
            assert_eq!(t.get(miss), 0, "{miss:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn pack_is_zero_padded_little_endian(s in "[!-~é]{1,16}") {
            let b = s.as_bytes();
            if b.len() <= 16 {
                let mut buf = [0u8; 16];
                buf[..b.len()].copy_from_slice(b);
                proptest::prop_assert_eq!(pack(b), u128::from_le_bytes(buf));
            }
        }

        #[test]
        fn ascii_lower_any_is_per_byte(s in "[ -~’é\u{2640}É]{1,8}") {
            let (b, lowered) = (s.as_bytes(), s.to_ascii_lowercase());
            if b.len() <= 16 {
                proptest::prop_assert_eq!(ascii_lower_any(pack(b)), pack(lowered.as_bytes()));
            }
        }

        #[test]
        fn ascii_lower_is_per_byte(s in "[ -~]{1,16}") {
            let lowered = s.to_ascii_lowercase();
            proptest::prop_assert_eq!(ascii_lower(pack(s.as_bytes())), pack(lowered.as_bytes()));
        }
    }
}
