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
    /// A whole top-level quote, standing in the reporter's sentence as one token.
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
    pub fn is_word(&self) -> bool {
        self.kind == Kind::Word
    }
    pub fn is_cap(&self) -> bool {
        self.kind == Kind::Word && self.text.chars().next().is_some_and(char::is_uppercase)
    }
    pub fn is_lower_word(&self) -> bool {
        self.kind == Kind::Word && self.text.chars().next().is_some_and(char::is_lowercase)
    }
    pub fn is(&self, word: &str) -> bool {
        self.text.eq_ignore_ascii_case(word)
    }
    pub fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct && self.text.starts_with(c)
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
        self.kind == Kind::Word
            && (self.text.ends_with("’s") || self.text.ends_with("'s") || self.text.ends_with("s’"))
    }
}

/// Abbreviations whose period is part of the word, not a sentence end.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "sen", "rep", "gov", "gen", "lt", "col", "sgt", "capt", "adm", "cmdr",
    "maj", "jr", "sr", "st", "mt", "ft", "prof", "rev", "hon", "pres", "atty", "supt", "det",
    "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec", "inc", "corp", "co",
    "ltd", "vs", "no", "nos", "vol", "dept", "univ", "ave", "blvd", "etc", "approx", "est",
];

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
    let (rest, w) = recognize(pair(
        pair(satisfy(char::is_alphabetic), take_while(is_word_char)),
        many0_count(pair(
            satisfy(|c| matches!(c, '\'' | '’' | '-' | '.' | '&')),
            word_part,
        )),
    ))
    .parse(i)?;
    if let Some(after) = rest.strip_prefix('.') {
        let bare = w.to_ascii_lowercase();
        let single_initial = w.chars().count() == 1 && w.chars().all(char::is_uppercase);
        if w.contains('.') || single_initial || ABBREVIATIONS.contains(&bare.as_str()) {
            return Ok((after, &i[..w.len() + 1]));
        }
    }
    Ok((rest, w))
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

/// Tokenizes `body[from..to]`, appending to `out`.
pub(crate) fn tokenize<'a>(body: &'a str, from: usize, to: usize, out: &mut Vec<Tok<'a>>) {
    let mut i = from;
    while i < to {
        let rest = &body[i..to];
        let trimmed = rest.trim_start();
        i += rest.len() - trimmed.len();
        if trimmed.is_empty() {
            break;
        }
        let (kind, len) = if let Ok((r, _)) = number(trimmed) {
            (Kind::Number, trimmed.len() - r.len())
        } else if let Ok((r, _)) = word(trimmed) {
            (Kind::Word, trimmed.len() - r.len())
        } else {
            let (r, _) = punct(trimmed).expect("non-empty input has a char");
            (Kind::Punct, trimmed.len() - r.len())
        };
        let text = &body[i..i + len];
        let flags = if kind == Kind::Word {
            super::lexicon::word_flags(text)
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
