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

/// Abbreviations whose period is part of the word, not a sentence end: `w` (at most six
/// bytes) in any ASCII case. A `match` rather than a scan of a list: every word that ends a
/// sentence asks.
fn is_abbreviation(w: &[u8]) -> bool {
    let mut buf = [0u8; 6];
    for (d, s) in buf.iter_mut().zip(w) {
        *d = s.to_ascii_lowercase();
    }
    matches!(
        &buf[..w.len()],
        b"mr"
            | b"mrs"
            | b"ms"
            | b"dr"
            | b"sen"
            | b"rep"
            | b"gov"
            | b"gen"
            | b"lt"
            | b"col"
            | b"sgt"
            | b"capt"
            | b"adm"
            | b"cmdr"
            | b"maj"
            | b"jr"
            | b"sr"
            | b"st"
            | b"mt"
            | b"ft"
            | b"prof"
            | b"rev"
            | b"hon"
            | b"pres"
            | b"atty"
            | b"supt"
            | b"det"
            | b"jan"
            | b"feb"
            | b"mar"
            | b"apr"
            | b"aug"
            | b"sept"
            | b"sep"
            | b"oct"
            | b"nov"
            | b"dec"
            | b"inc"
            | b"corp"
            | b"co"
            | b"ltd"
            | b"vs"
            | b"no"
            | b"nos"
            | b"vol"
            | b"dept"
            | b"univ"
            | b"ave"
            | b"blvd"
            | b"etc"
            | b"approx"
            | b"est"
    )
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

/// Tokenizes `body[from..to]`, appending to `out`.
pub(crate) fn tokenize<'a>(body: &'a str, from: usize, to: usize, out: &mut Vec<Tok<'a>>) {
    let b = body.as_bytes();
    let mut i = from;
    while i < to {
        // `char::is_whitespace` on ASCII: `u8::is_ascii_whitespace` leaves out vertical tab.
        while i < to && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            i += 1;
        }
        if i >= to {
            break;
        }
        if !b[i].is_ascii() && body[i..to].starts_with(char::is_whitespace) {
            let rest = &body[i..to];
            let trimmed = rest.trim_start();
            i += rest.len() - trimmed.len();
            if trimmed.is_empty() {
                break;
            }
        }
        let rest = &body[i..to];
        let (kind, len, segmented, ascii) = match next_token_ascii(rest) {
            // Only a word with an inner mark can hold a non-ASCII byte (’) on the fast path.
            Some((kind, len, segmented)) => (kind, len, segmented, !segmented),
            None => {
                let (kind, len) = next_token(rest);
                let segmented = kind == Kind::Word && is_segmented(&rest[..len]);
                (kind, len, segmented, false)
            }
        };
        let text = &body[i..i + len];
        let flags = if matches!(kind, Kind::Word) {
            let f = if ascii && len <= 16 {
                super::lexicon::ascii_word_flags(text)
            } else {
                super::lexicon::word_flags(text)
            };
            f | (u32::from(segmented) * super::attribution::flag::SEGMENTED)
        } else {
            0
        };
        out.push(Tok {
            start: i,
            end: i + len,
            text,
            kind,
            flags,
        });
        i += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        tokenize(s, 0, s.len(), &mut out);
        out.iter().map(|t| t.text).collect()
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
