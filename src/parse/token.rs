//! Words, numbers and punctuation of the text around quotes (grammar/README.md notation).

use nom::branch::alt;
use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{anychar, char as ch, satisfy};
use nom::combinator::{opt, recognize};
use nom::multi::many0_count;
use nom::sequence::pair;
use nom::{IResult, Parser};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    Number,
    Punct,
    /// A whole top-level quote, standing in the reporter's sentence as one token: its index
    /// among the article's quotes.
    Quote(usize),
}

/// A token with its byte span in the article body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok<'a> {
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
    pub kind: Kind,
    /// The word's categories in the lexicons (`attribution::flag`), 0 for other tokens.
    pub flags: u32,
}

impl Tok<'_> {
    #[inline]
    pub fn is_word(&self) -> bool {
        matches!(self.kind, Kind::Word)
    }
    /// These tests run on every token of every sentence around a quote: an ASCII first byte
    /// answers without decoding a char.
    #[inline]
    pub fn is_cap(&self) -> bool {
        matches!(self.kind, Kind::Word)
            && match self.text.as_bytes().first() {
                Some(b) if b.is_ascii() => b.is_ascii_uppercase(),
                _ => self.text.chars().next().is_some_and(char::is_uppercase),
            }
    }
    #[inline]
    pub fn is_lower_word(&self) -> bool {
        matches!(self.kind, Kind::Word)
            && match self.text.as_bytes().first() {
                Some(b) if b.is_ascii() => b.is_ascii_lowercase(),
                _ => self.text.chars().next().is_some_and(char::is_lowercase),
            }
    }
    #[inline]
    pub fn is(&self, word: &str) -> bool {
        self.text.eq_ignore_ascii_case(word)
    }
    #[inline]
    pub fn is_punct(&self, c: char) -> bool {
        matches!(self.kind, Kind::Punct) && self.text.starts_with(c)
    }
    pub fn quote(&self) -> Option<usize> {
        match self.kind {
            Kind::Quote(q) => Some(q),
            _ => None,
        }
    }
    pub fn lower(&self) -> String {
        self.text.to_lowercase()
    }
    /// Petro’s, Trump's
    pub fn is_possessive(&self) -> bool {
        matches!(self.kind, Kind::Word)
            && (self.text.ends_with("’s") || self.text.ends_with("'s") || self.text.ends_with("s’"))
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

// word-part = 1*( ALPHA / DIGIT )
fn word_part(i: &str) -> IResult<&str, &str> {
    take_while1(is_word_char).parse(i)
}

// word = ALPHA *( ALNUM ) *( inner-mark 1*ALNUM ) [ "." ]
//      ; inner-mark = "'" / "’" / "-" / "." / "&"      ; don’t, Jean-Pierre, U.S, AT&T
//      ; the final "." belongs to the word after an abbreviation, an initial, or a dotted word (U.S.)
fn word(i: &str) -> IResult<&str, &str> {
    let (_, w) = recognize(pair(
        pair(satisfy(char::is_alphabetic), take_while(is_word_char)),
        many0_count(pair(
            satisfy(|c| matches!(c, '\'' | '’' | '-' | '.' | '&')),
            word_part,
        )),
    ))
    .parse(i)?;
    let len = with_final_period(i, w.len());
    Ok((&i[len..], &i[..len]))
}

/// The length of the word `i[..len]` with its final period when that period belongs to it
/// (after an abbreviation, an initial, or a dotted word such as U.S.).
#[inline]
fn with_final_period(i: &str, len: usize) -> usize {
    if i.as_bytes().get(len) != Some(&b'.') {
        return len;
    }
    word_with_period(i, len)
}

/// [`with_final_period`] for a word followed by a period, the rare case.
#[cold]
fn word_with_period(i: &str, len: usize) -> usize {
    let w = &i[..len];
    // The three tests are pure, so the cheapest goes first: a word stands before a period at
    // every sentence end, and scanning a list of abbreviations there cost hundreds of
    // instructions a word.
    if w.contains('.') {
        return len + 1;
    }
    let mut chars = w.chars();
    let single_initial =
        matches!((chars.next(), chars.next()), (Some(c), None) if c.is_uppercase());
    if single_initial || len <= 6 && is_abbreviation(w.as_bytes()) {
        len + 1
    } else {
        len
    }
}

/// Abbreviations whose period is part of the word, not a sentence end: lower case, at most
/// six bytes.
const ABBREVIATIONS: &[&[u8]] = &[
    b"mr", b"mrs", b"ms", b"dr", b"sen", b"rep", b"gov", b"gen", b"lt", b"col", b"sgt", b"capt",
    b"adm", b"cmdr", b"maj", b"jr", b"sr", b"st", b"mt", b"ft", b"prof", b"rev", b"hon", b"pres",
    b"atty", b"supt", b"det", b"jan", b"feb", b"mar", b"apr", b"aug", b"sept", b"sep", b"oct",
    b"nov", b"dec", b"inc", b"corp", b"co", b"ltd", b"vs", b"no", b"nos", b"vol", b"dept", b"univ",
    b"ave", b"blvd", b"etc", b"approx", b"est",
];

/// [`ABBREVIATIONS`] as zero-padded little-endian integers, sorted: the fast path holds every
/// word lower-cased in that form already, so the test is a binary search with no string
/// compare.
const ABBREVIATION_KEYS: [u64; ABBREVIATIONS.len()] = {
    let mut keys = [0u64; ABBREVIATIONS.len()];
    let mut i = 0;
    while i < keys.len() {
        let w = ABBREVIATIONS[i];
        assert!(w.len() <= 6);
        let mut k = 0;
        while k < w.len() {
            keys[i] |= (w[k] as u64) << (8 * k);
            k += 1;
        }
        // Insertion sort: keys[..i] is sorted.
        let mut j = i;
        while j > 0 && keys[j - 1] > keys[j] {
            let t = keys[j - 1];
            keys[j - 1] = keys[j];
            keys[j] = t;
            j -= 1;
        }
        i += 1;
    }
    keys
};

/// Whether the zero-padded little-endian key of a lower-case word is an abbreviation.
#[inline]
fn is_abbreviation_key(key: u64) -> bool {
    ABBREVIATION_KEYS.binary_search(&key).is_ok()
}

/// Abbreviations whose period is part of the word, not a sentence end: `w` (at most six
/// bytes) in any ASCII case.
fn is_abbreviation(w: &[u8]) -> bool {
    let mut key = 0u64;
    for (k, c) in w.iter().enumerate() {
        key |= u64::from(c.to_ascii_lowercase()) << (8 * k);
    }
    is_abbreviation_key(key)
}

// number = DIGIT *( DIGIT / ( "," / "." / ":" ) DIGIT ) [ "%" ]
fn number(i: &str) -> IResult<&str, &str> {
    recognize(pair(
        take_while1(|c: char| c.is_ascii_digit()),
        pair(
            many0_count(pair(
                satisfy(|c| matches!(c, ',' | '.' | ':')),
                take_while1(|c: char| c.is_ascii_digit()),
            )),
            opt(alt((ch('%'), satisfy(char::is_alphabetic)))),
        ),
    ))
    .parse(i)
}

// punct = any other non-space character
fn punct(i: &str) -> IResult<&str, char> {
    anychar(i)
}

// token = number / word / punct
/// The token opening `s` (non-empty, not starting with white space): its kind and length.
fn next_token(s: &str) -> (Kind, usize) {
    if let Ok((r, _)) = number(s) {
        (Kind::Number, s.len() - r.len())
    } else if let Ok((r, _)) = word(s) {
        (Kind::Word, s.len() - r.len())
    } else {
        let (r, _) = punct(s).expect("non-empty input has a char");
        (Kind::Punct, s.len() - r.len())
    }
}

/// [`next_token`] for the common case of plain ASCII, without the combinator machinery: most
/// of the text around quotes is ASCII, and tokenizing it was the largest single cost of
/// extraction. `None` whenever a non-ASCII byte could change the answer; the caller then asks
/// [`next_token`]. The property test `fast_path_agrees` holds the two to the same grammar.
///
/// The third value tells whether a word holds anything but letters and digits (an inner mark
/// or a final period): see [`flag::SEGMENTED`](super::attribution::flag::SEGMENTED).
fn next_token_ascii(s: &str) -> Option<(Kind, usize, bool)> {
    let b = s.as_bytes();
    let first = *b.first()?;
    if !first.is_ascii() {
        // Dashes, curly marks, ellipses: only an alphabetic character can open a word here.
        let c = s.chars().next()?;
        return (!c.is_alphabetic()).then_some((Kind::Punct, c.len_utf8(), false));
    }
    let run = |mut k: usize, pred: fn(&u8) -> bool| {
        while k < b.len() && pred(&b[k]) {
            k += 1;
        }
        k
    };
    if first.is_ascii_digit() {
        let mut k = run(1, u8::is_ascii_digit);
        while k + 1 < b.len() && matches!(b[k], b',' | b'.' | b':') && b[k + 1].is_ascii_digit() {
            k = run(k + 1, u8::is_ascii_digit);
        }
        return match b.get(k) {
            Some(c) if !c.is_ascii() => None,
            Some(c) if *c == b'%' || c.is_ascii_alphabetic() => Some((Kind::Number, k + 1, false)),
            _ => Some((Kind::Number, k, false)),
        };
    }
    if !first.is_ascii_alphabetic() {
        return first.is_ascii().then_some((Kind::Punct, 1, false));
    }
    let mut k = run(1, u8::is_ascii_alphanumeric);
    let plain = k;
    loop {
        match b.get(k) {
            // A curly apostrophe, as in Petro’s or don’t.
            Some(0xe2) if b.get(k + 1..k + 3) == Some(&[0x80, 0x99]) => match b.get(k + 3) {
                Some(c) if c.is_ascii_alphanumeric() => k = run(k + 3, u8::is_ascii_alphanumeric),
                Some(c) if !c.is_ascii() => return None,
                _ => break,
            },
            Some(c) if !c.is_ascii() => return None,
            Some(b'\'' | b'-' | b'.' | b'&') => match b.get(k + 1) {
                Some(c) if c.is_ascii_alphanumeric() => k = run(k + 1, u8::is_ascii_alphanumeric),
                Some(c) if !c.is_ascii() => return None,
                _ => break,
            },
            _ => break,
        }
    }
    let len = with_final_period(s, k);
    Some((Kind::Word, len, len != plain))
}

/// Whether a word holds anything but letters and digits.
fn is_segmented(word: &str) -> bool {
    word.contains(|c: char| !c.is_alphanumeric())
}

/// Eight bytes at a time: `ONES * b` holds `b` in every byte.
const ONES: u64 = u64::MAX / 0xff;
const HIGH: u64 = ONES * 0x80;

/// The eight bytes of `b` from `k` as a little-endian integer, zero past the end of `b`.
#[inline(always)]
fn load8(b: &[u8], k: usize) -> u64 {
    match b.get(k..k + 8) {
        Some(s) => u64::from_le_bytes(s.try_into().expect("8 bytes")),
        None => load8_tail(b, k),
    }
}

/// [`load8`] at the last bytes of a range.
#[cold]
fn load8_tail(b: &[u8], k: usize) -> u64 {
    let mut buf = [0u8; 8];
    let s = b.get(k..).unwrap_or_default();
    buf[..s.len()].copy_from_slice(s);
    u64::from_le_bytes(buf)
}

/// 0x80 in each byte of `y` (all bytes below 0x80) that lies in `lo..=hi`, else 0: no sum
/// reaches 0x100, so no byte carries into the next.
#[inline(always)]
fn in_range(y: u64, lo: u8, hi: u8) -> u64 {
    (y + ONES * (0x80 - u64::from(lo))) & !(y + ONES * (0x7f - u64::from(hi))) & HIGH
}

/// For each of eight bytes, 0x80 where it is an ASCII letter or digit, and (second value)
/// 0x80 where it is an ASCII capital.
#[inline(always)]
fn classify8(x: u64) -> (u64, u64) {
    let ascii = !x & HIGH;
    let y = x & !HIGH;
    // `| 0x20` takes A..=Z onto a..=z and nothing else there; bit 5 clear marks the capital.
    let alpha = in_range(y | (ONES * 0x20), b'a', b'z') & ascii;
    let upper = alpha & !(y << 2);
    let digit = in_range(y, b'0', b'9') & ascii;
    (alpha | digit, upper)
}

/// The bytes below the lowest byte flagged in `stop` (0x80 bits only, not zero).
#[inline(always)]
fn below_first(stop: u64) -> u64 {
    (stop ^ (stop - 1)) >> 8
}

/// The run of ASCII letters and digits opening `b[i..]` (`b` ends where the tokenized range
/// does): its length, and its first sixteen bytes lower-cased and zero-padded, as
/// [`WordTable`](super::lexicon::WordTable) keys its words. Eight bytes are classified at a
/// time, and most words end within the first eight.
#[inline(always)]
fn ascii_run(b: &[u8], i: usize) -> (usize, u64, u64) {
    let x0 = load8(b, i);
    let (alnum0, upper0) = classify8(x0);
    let lower0 = x0 | upper0 >> 2;
    let stop0 = !alnum0 & HIGH;
    if stop0 != 0 {
        let n = (stop0.trailing_zeros() / 8) as usize;
        return (n, lower0 & below_first(stop0), 0);
    }
    let x1 = load8(b, i + 8);
    let (alnum1, upper1) = classify8(x1);
    let stop1 = !alnum1 & HIGH;
    if stop1 != 0 {
        let n = 8 + (stop1.trailing_zeros() / 8) as usize;
        return (n, lower0, (x1 | upper1 >> 2) & below_first(stop1));
    }
    // Past sixteen bytes no lexicon word is packed: only the length matters.
    let mut k = i + 16;
    while k < b.len() && b[k].is_ascii_alphanumeric() {
        k += 1;
    }
    (k - i, 0, 0)
}

/// Whether the char opening `s` (non-empty, opening on a non-ASCII byte) is a letter or digit.
#[inline]
fn non_ascii_is_alnum(s: &str) -> bool {
    let b = s.as_bytes();
    // U+2000..U+203F (dashes, curly quotes, ellipsis) close most words that touch a mark.
    if b[0] == 0xe2 && b.get(1) == Some(&0x80) {
        return false;
    }
    s.chars().next().is_some_and(is_word_char)
}

/// [`next_token_ascii`] and the flags of a word that opens on an ASCII letter, in one pass:
/// the run of letters and digits is found eight bytes at a time and lower-cased on the way,
/// which gives the lexicon key with no second look at the bytes. `None` for a word with an
/// inner mark or a letter past ASCII (the caller takes the general path); otherwise the
/// token's length and flags. The tests `tokenize_agrees_with_grammar` and
/// `fixtures_tokenize_as_the_grammar_says` hold it to [`next_token`] and
/// [`word_flags`](super::lexicon::word_flags).
#[inline(always)]
fn ascii_word(
    body: &str,
    i: usize,
    to: usize,
    words: &super::lexicon::WordTable,
) -> Option<(usize, u32)> {
    let b = body.as_bytes();
    let (n, lo, hi) = ascii_run(&b[..to], i);
    let e = i + n;
    // Whether the char at `k` (or the end) goes on a word part after an inner mark.
    let part_at = |k: usize| -> bool {
        k < to
            && match b[k] {
                c if c.is_ascii() => c.is_ascii_alphanumeric(),
                _ => non_ascii_is_alnum(&body[k..to]),
            }
    };
    if e < to {
        match b[e] {
            b'.' => {
                if part_at(e + 1) {
                    return None;
                }
                // A plain word before a period: see `word_with_period`.
                let attached =
                    (n == 1 && b[i].is_ascii_uppercase()) || (n <= 6 && is_abbreviation_key(lo));
                if attached {
                    let key = lo | u64::from(b'.') << (8 * n);
                    let f = words.get_packed(u128::from(key), n + 1);
                    return Some((n + 1, f | super::attribution::flag::SEGMENTED));
                }
            }
            b'\'' | b'-' | b'&' if part_at(e + 1) => return None,
            c if !c.is_ascii() => {
                if b[e..to].starts_with("’".as_bytes()) {
                    if part_at(e + 3) {
                        return None;
                    }
                } else if non_ascii_is_alnum(&body[e..to]) {
                    return None;
                }
            }
            _ => {}
        }
    }
    let f = if n <= 6 {
        words.get_short(lo)
    } else if n <= 16 {
        words.get_packed(u128::from(lo) | u128::from(hi) << 64, n)
    } else {
        super::lexicon::word_flags(&body[i..e])
    };
    Some((n, f))
}

/// Tokenizes `body[from..to]`, appending to `out`.
pub(crate) fn tokenize<'a>(body: &'a str, from: usize, to: usize, out: &mut Vec<Tok<'a>>) {
    let b = body.as_bytes();
    let words = super::lexicon::words();
    let range = &b[..to];
    let mut i = from;
    while i < to {
        let c = b[i];
        let fast = if c.is_ascii_alphabetic() {
            if let Some((len, flags)) = ascii_word(body, i, to, words) {
                out.push(Tok {
                    start: i,
                    end: i + len,
                    text: &body[i..i + len],
                    kind: Kind::Word,
                    flags,
                });
                i += len;
                // A single space after a word, the usual case, is skipped here: one test
                // rather than a turn of the loop.
                if range.get(i) == Some(&b' ') {
                    i += 1;
                }
                continue;
            }
            None
        } else if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            // `char::is_whitespace` on ASCII: `u8::is_ascii_whitespace` leaves out vertical tab.
            i += 1;
            continue;
        } else if c.is_ascii() && !c.is_ascii_digit() {
            Some((Kind::Punct, 1, 0))
        } else {
            if !c.is_ascii() {
                let w = body[i..to].chars().next().expect("i < to");
                if w.is_whitespace() {
                    i += w.len_utf8();
                    continue;
                }
                // U+2000..U+203F (dashes, curly quotes, ellipsis) are punctuation, bar the
                // spaces just skipped: no letter opens a word there.
                if ('\u{2000}'..='\u{203f}').contains(&w) {
                    out.push(Tok {
                        start: i,
                        end: i + 3,
                        text: &body[i..i + 3],
                        kind: Kind::Punct,
                        flags: 0,
                    });
                    i += 3;
                    continue;
                }
            }
            None
        };
        let (kind, len, flags) = match fast {
            Some(t) => t,
            None => general_token(&body[i..to], words),
        };
        out.push(Tok {
            start: i,
            end: i + len,
            text: &body[i..i + len],
            kind,
            flags,
        });
        i += len;
    }
}

/// The token opening `s` (non-empty, not opening with white space) and its flags, for what
/// [`ascii_word`] leaves: numbers, words with inner marks, and text past ASCII.
#[inline(never)]
fn general_token(s: &str, words: &super::lexicon::WordTable) -> (Kind, usize, u32) {
    let (kind, len, segmented, ascii) = match next_token_ascii(s) {
        // Only a word with an inner mark can hold a non-ASCII byte (’) on the fast path.
        Some((kind, len, segmented)) => (kind, len, segmented, !segmented),
        None => {
            let (kind, len) = next_token(s);
            let segmented = kind == Kind::Word && is_segmented(&s[..len]);
            (kind, len, segmented, false)
        }
    };
    let flags = if matches!(kind, Kind::Word) {
        let text = &s[..len];
        let f = if ascii && len <= 16 {
            words.get_ascii(text.as_bytes())
        } else {
            words.get(text)
        };
        f | (u32::from(segmented) * super::attribution::flag::SEGMENTED)
    } else {
        0
    };
    (kind, len, flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        tokenize(s, 0, s.len(), &mut out);
        out.iter().map(|t| t.text).collect()
    }

    /// The grammar straight, the reference for [`tokenize`]: nom for every token, the lexicon
    /// for every word.
    fn reference(body: &str, from: usize, to: usize) -> Vec<(usize, usize, Kind, u32)> {
        let mut out = Vec::new();
        let mut i = from;
        loop {
            let rest = &body[i..to];
            let t = rest.trim_start();
            i += rest.len() - t.len();
            if t.is_empty() {
                return out;
            }
            let (kind, len) = next_token(t);
            let text = &t[..len];
            let flags = if kind == Kind::Word {
                super::super::lexicon::word_flags(text)
                    | (u32::from(is_segmented(text)) * super::super::attribution::flag::SEGMENTED)
            } else {
                0
            };
            out.push((i, i + len, kind, flags));
            i += len;
        }
    }

    fn tokens(body: &str, from: usize, to: usize) -> Vec<(usize, usize, Kind, u32)> {
        let mut out = Vec::new();
        tokenize(body, from, to, &mut out);
        out.iter()
            .map(|t| {
                assert_eq!(t.text, &body[t.start..t.end]);
                (t.start, t.end, t.kind, t.flags)
            })
            .collect()
    }

    /// The largest char boundary of `s` at or below `k`.
    fn floor_boundary(s: &str, k: usize) -> usize {
        (0..=k.min(s.len()))
            .rev()
            .find(|&k| s.is_char_boundary(k))
            .unwrap_or(0)
    }

    #[test]
    fn fixtures_tokenize_as_the_grammar_says() {
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures"
        ))];
        let mut files = 0;
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).expect("fixtures") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    dirs.push(p);
                } else if let Ok(text) = std::fs::read_to_string(&p) {
                    assert_eq!(
                        tokens(&text, 0, text.len()),
                        reference(&text, 0, text.len()),
                        "{p:?}"
                    );
                    files += 1;
                }
            }
        }
        assert!(files >= 15, "{files} fixtures");
    }

    #[test]
    fn general_punctuation_tokenizes_as_the_grammar_says() {
        for c in '\u{1fff}'..='\u{2071}' {
            let s = format!("a{c}b {c}.{c}");
            assert_eq!(tokens(&s, 0, s.len()), reference(&s, 0, s.len()), "{s:?}");
        }
    }

    #[test]
    fn tokenize_agrees_with_grammar_on_edge_cases() {
        for s in [
            "Mr. Smith",
            "mr.",
            "Approx. 5",
            "U.S.",
            "J.",
            "j.",
            "said.\u{201d}",
            "said\u{201d}",
            "Petro\u{2019}s",
            "Democrats\u{2019} ",
            "Democrats\u{2019}",
            "caf\u{e9}",
            "AT&T",
            "Jean-\u{c9}lise",
            "a.\u{e9}",
            "abcdefghijklmnopqrstuvwxyz0123456789 x",
            "Spokeswoman said",
            "SPOKESWOMAN",
            "x\u{2070}",
            "Sen.X",
            "no.",
            "No.1",
            "approx.",
            "APPROX. ",
            "abcdefg.",
            "Ab\u{a0}cd",
            "a\u{b}b\u{1c}c",
            "x\u{2019}\u{e9}",
        ] {
            assert_eq!(tokens(s, 0, s.len()), reference(s, 0, s.len()), "{s:?}");
            for cut in 0..s.len() {
                if s.is_char_boundary(cut) {
                    assert_eq!(tokens(s, 0, cut), reference(s, 0, cut), "{s:?} to {cut}");
                    assert_eq!(
                        tokens(s, cut, s.len()),
                        reference(s, cut, s.len()),
                        "{s:?} from {cut}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees(s in "[a-zA-Z0-9 .,:'’“”—…&%é\u{a0}\u{b}\u{1c}-]{1,24}") {
            let t = s.trim_start();
            if !t.is_empty() {
                if let Some((kind, len, segmented)) = next_token_ascii(t) {
                    proptest::prop_assert_eq!((kind, len), next_token(t), "{:?}", t);
                    proptest::prop_assert_eq!(
                        segmented,
                        kind == Kind::Word && is_segmented(&t[..len]),
                        "{:?}",
                        t
                    );
                }
            }
        }

        #[test]
        fn tokenize_agrees_with_grammar(
            s in "(said|Said|SAID|Mr|mrs|Sen|Approx|U|J|president|presidents|according|\
                   spokeswoman|Spokeswomen|[a-zA-Z0-9]{1,19}|\
                   [ .,:'’“”—…&%éÉß\u{a0}\u{b}\u{1c}\u{2070}\u{2071}-]){0,14}",
            a in 0usize..200,
            z in 0usize..200,
        ) {
            let (a, z) = (a.min(z), a.max(z));
            let (from, to) = (floor_boundary(&s, a), floor_boundary(&s, z));
            proptest::prop_assert_eq!(tokens(&s, from, to), reference(&s, from, to), "{:?}", &s[from..to]);
            proptest::prop_assert_eq!(tokens(&s, 0, s.len()), reference(&s, 0, s.len()), "{:?}", s);
        }
    }

    #[test]
    fn words_keep_inner_marks_and_abbreviation_periods() {
        assert_eq!(
            words("Mr. Petro’s U.S. visa, Jean-Pierre said."),
            [
                "Mr.",
                "Petro’s",
                "U.S.",
                "visa",
                ",",
                "Jean-Pierre",
                "said",
                "."
            ]
        );
        assert_eq!(
            words("about 1,000 people, 75%"),
            ["about", "1,000", "people", ",", "75%"]
        );
        assert_eq!(words("J. Smith"), ["J.", "Smith"]);
    }
}
