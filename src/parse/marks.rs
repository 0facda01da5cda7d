//! Quote marks and the quote spans they delimit (grammar/README.md §2, §3).

/// How many quotes inside quotes are reported (grammar/README.md §3).
pub(crate) const MAX_NESTING: usize = 4;

/// A quote span found by the mark scanner, in byte offsets of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawQuote {
    /// Offset of the opening mark.
    pub open: usize,
    /// First byte of the quoted words.
    pub start: usize,
    /// End of the quoted words (the closing mark starts here, if there is one).
    pub end: usize,
    /// End of the closing mark, or `end` for a quote recovered at a paragraph end.
    pub close: usize,
    /// Index of the enclosing quote, for nested quotes.
    pub parent: Option<usize>,
    pub double: bool,
    pub closed: bool,
    /// Runs over more than one paragraph.
    pub paragraphs: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mark {
    /// “ U+201C
    LeftDouble,
    /// ” U+201D
    RightDouble,
    /// „ U+201E
    LowDouble,
    /// « U+00AB
    LeftGuillemet,
    /// » U+00BB
    RightGuillemet,
    /// "
    StraightDouble,
    /// ‘ U+2018
    LeftSingle,
    /// ’ U+2019
    RightSingle,
    /// ‚ U+201A
    LowSingle,
    /// ‹ U+2039
    LeftAngle,
    /// › U+203A
    RightAngle,
    /// '
    StraightSingle,
}

impl Mark {
    fn at(bytes: &[u8], i: usize) -> Option<(Mark, usize)> {
        match bytes[i] {
            b'"' => Some((Mark::StraightDouble, 1)),
            // Two apostrophes stand for a double mark in wire and archive text (''Yes,'' he said).
            b'\'' if bytes.get(i + 1) == Some(&b'\'') => Some((Mark::StraightDouble, 2)),
            b'\'' => Some((Mark::StraightSingle, 1)),
            0xC2 if i + 1 < bytes.len() => match bytes[i + 1] {
                0xAB => Some((Mark::LeftGuillemet, 2)),
                0xBB => Some((Mark::RightGuillemet, 2)),
                _ => None,
            },
            0xE2 if i + 2 < bytes.len() && bytes[i + 1] == 0x80 => match bytes[i + 2] {
                0x9C => Some((Mark::LeftDouble, 3)),
                0x9D => Some((Mark::RightDouble, 3)),
                0x9E => Some((Mark::LowDouble, 3)),
                0x98 => Some((Mark::LeftSingle, 3)),
                0x99 => Some((Mark::RightSingle, 3)),
                0x9A => Some((Mark::LowSingle, 3)),
                0xB9 => Some((Mark::LeftAngle, 3)),
                0xBA => Some((Mark::RightAngle, 3)),
                _ => None,
            },
            _ => None,
        }
    }

    fn is_double(self) -> bool {
        matches!(
            self,
            Mark::LeftDouble
                | Mark::RightDouble
                | Mark::LowDouble
                | Mark::LeftGuillemet
                | Mark::RightGuillemet
                | Mark::StraightDouble
        )
    }
}

/// True for the bytes that can start a quote mark; the scanner skips everything else.
const fn mark_lead_table() -> [bool; 256] {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t[0xC2] = true;
    t[0xE2] = true;
    t
}
static MARK_LEAD: [bool; 256] = mark_lead_table();

/// The first byte of `b` that can start a quote mark: " ' and the lead bytes of the curly
/// marks (0xE2) and of « » (0xC2). Sixteen bytes per step: marks, apostrophes and dashes stop
/// the scan every few dozen bytes, so the setup of a library search (`memchr3`, and a second
/// one for 0xC2) cost more than the search itself.
#[inline]
fn next_mark_lead(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    while let Some(chunk) = b.get(i..i + 16) {
        use std::arch::x86_64::{
            _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of every x86_64 CPU, and the load reads the sixteen bytes of
        // `chunk`.
        let bits = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast());
            let is = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
            _mm_movemask_epi8(_mm_or_si128(
                _mm_or_si128(is(b'"'), is(b'\'')),
                _mm_or_si128(is(0xC2), is(0xE2)),
            ))
        };
        if bits != 0 {
            return Some(i + bits.trailing_zeros() as usize);
        }
        i += 16;
    }
    b[i..]
        .iter()
        .position(|&c| MARK_LEAD[c as usize])
        .map(|k| i + k)
}

fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

fn char_after(text: &str, i: usize) -> Option<char> {
    text[i..].chars().next()
}

fn is_opening_char(c: char) -> bool {
    matches!(c, '“' | '„' | '«' | '‘' | '‚' | '‹')
}

fn is_closing_char(c: char) -> bool {
    matches!(c, '”' | '»' | '’' | '›')
}

/// Left-flanking: the mark could open (grammar: straight-open).
fn left_flank(before: Option<char>, after: Option<char>) -> bool {
    let before_ok = match before {
        None => true,
        Some(c) => {
            c.is_whitespace()
                || matches!(c, '(' | '[' | '{' | '—' | '–' | '-' | '/' | '"' | '\'')
                || is_opening_char(c)
        }
    };
    before_ok && after.is_some_and(|c| !c.is_whitespace())
}

/// Right-flanking: the mark could close.
fn right_flank(before: Option<char>, after: Option<char>) -> bool {
    let before_ok = before.is_some_and(|c| !c.is_whitespace());
    let after_ok = match after {
        None => true,
        Some(c) => {
            c.is_whitespace()
                || c.is_ascii_punctuation()
                || matches!(c, '—' | '–' | '…')
                || is_closing_char(c)
        }
    };
    before_ok && after_ok
}

struct Open {
    quote: usize,
    mark: Mark,
}

/// Finds every quote span of `body` (grammar rule `quote`).
///
/// Runs in one pass over the bytes; only the bytes that can start a mark are looked at closely.
pub(crate) fn scan(body: &str) -> Vec<RawQuote> {
    let bytes = body.as_bytes();
    // Room for the quotes of most articles: grown from nothing, both were reallocated three
    // or four times in every article.
    let mut quotes: Vec<RawQuote> = Vec::with_capacity(32);
    let mut dropped: Vec<bool> = Vec::with_capacity(32);
    // An outermost double quote left open at the end of its paragraph, with that paragraph's end.
    let mut pending: Option<(usize, usize)> = None;
    let mut para_start = 0;
    // The marks open in the current paragraph; one buffer for all paragraphs.
    let mut stack: Vec<Open> = Vec::new();
    while para_start <= bytes.len() {
        let para_end =
            memchr::memchr(b'\n', &bytes[para_start..]).map_or(bytes.len(), |i| para_start + i);
        stack.clear();
        let mut i = para_start;
        // The paragraph's first char matters only to a quote left open above it.
        let first = pending.and_then(|_| {
            body[para_start..para_end]
                .char_indices()
                .find(|(_, c)| !c.is_whitespace())
                .map(|(i, _)| para_start + i)
        });
        if let Some(first) = first {
            if let Some((q, last_end)) = pending.take() {
                // rule `continued`: a paragraph that reopens a quote left open goes on with it.
                let reopen = Mark::at(bytes, first).filter(|(m, _)| {
                    matches!(m, Mark::LeftDouble | Mark::LowDouble | Mark::LeftGuillemet)
                        || (*m == Mark::StraightDouble
                            && left_flank(None, char_after(body, first + 1)))
                });
                if let Some((mark, len)) = reopen {
                    quotes[q].paragraphs += 1;
                    stack.push(Open { quote: q, mark });
                    i = first + len;
                } else {
                    recover(&mut quotes[q], body, last_end);
                }
            }
        }
        while i < para_end {
            if !MARK_LEAD[bytes[i] as usize] {
                i = next_mark_lead(&bytes[i..para_end]).map_or(para_end, |k| i + k);
                continue;
            }
            let Some((mark, len)) = Mark::at(bytes, i) else {
                i += 1;
                continue;
            };
            let before = if i == para_start {
                None
            } else {
                char_before(body, i)
            };
            let after = if i + len >= para_end {
                None
            } else {
                char_after(body, i + len)
            };
            let left = left_flank(before, after);
            let right = right_flank(before, after);
            let open_double = stack.iter().rposition(|o| o.mark.is_double());
            let top_single = stack.last().is_some_and(|o| !o.mark.is_double());
            let action = if mark.is_double() {
                double_action(mark, left, right, open_double.map(|k| stack[k].mark))
            } else {
                single_action(mark, before, after, left, right, top_single)
            };
            match action {
                Action::Open => {
                    let parent = stack.last().map(|o| o.quote);
                    quotes.push(RawQuote {
                        open: i,
                        start: i + len,
                        end: i + len,
                        close: i + len,
                        parent,
                        double: mark.is_double(),
                        closed: false,
                        paragraphs: 1,
                    });
                    dropped.push(false);
                    stack.push(Open {
                        quote: quotes.len() - 1,
                        mark,
                    });
                }
                Action::Close => {
                    let k = if mark.is_double() {
                        open_double
                    } else {
                        stack.len().checked_sub(1)
                    };
                    if let Some(k) = k {
                        // Singles left open inside a closing double were apostrophes after all.
                        for o in stack.drain(k + 1..) {
                            dropped[o.quote] = true;
                        }
                        let o = stack.pop().expect("k is in the stack");
                        let q = &mut quotes[o.quote];
                        q.end = i;
                        q.close = i + len;
                        q.closed = true;
                        if q.end == q.start || body[q.start..q.end].trim().is_empty() {
                            dropped[o.quote] = true;
                        }
                    }
                }
                Action::Ignore => {}
            }
            i += len;
        }
        // End of paragraph: singles never run on; the outermost double may continue.
        let mut outer_double = None;
        for o in stack.drain(..) {
            if o.mark.is_double() && outer_double.is_none() {
                outer_double = Some(o.quote);
            } else {
                dropped[o.quote] = true;
            }
        }
        if let Some(q) = outer_double {
            pending = Some((q, para_end));
        }
        para_start = para_end + 1;
    }
    if let Some((q, last_end)) = pending {
        recover(&mut quotes[q], body, last_end);
    }
    // Renumber parents past dropped quotes. A quote nested in a dropped one (an apostrophe
    // mistaken for an opening single) becomes top-level.
    // Quotes nested deeper than MAX_NESTING are left inside their enclosing quote: real text
    // never nests that deep, and reporting every level would copy the text once per level.
    let mut depth = vec![0usize; quotes.len()];
    let mut new_index = vec![None; quotes.len()];
    let mut kept = Vec::with_capacity(quotes.len());
    for (k, mut q) in quotes.into_iter().enumerate() {
        depth[k] = q.parent.map_or(0, |p| depth[p] + 1);
        if dropped[k] || depth[k] > MAX_NESTING {
            continue;
        }
        q.parent = q.parent.and_then(|p| new_index[p]);
        new_index[k] = Some(kept.len());
        kept.push(q);
    }
    kept
}

/// A double quote still open at the end of its last paragraph ends there (grammar: unclosed).
fn recover(q: &mut RawQuote, body: &str, para_end: usize) {
    let end = q.start + body[q.start..para_end].trim_end().len();
    q.end = end.max(q.start);
    q.close = q.end;
    q.closed = false;
}

enum Action {
    Open,
    Close,
    Ignore,
}

fn double_action(mark: Mark, left: bool, right: bool, open: Option<Mark>) -> Action {
    match mark {
        Mark::LowDouble | Mark::LeftGuillemet => Action::Open,
        Mark::LeftDouble => match open {
            // „…“ closes with U+201C.
            Some(Mark::LowDouble) => Action::Close,
            Some(_) if right && !left => Action::Close,
            _ => Action::Open,
        },
        Mark::RightDouble | Mark::RightGuillemet => match open {
            Some(_) => Action::Close,
            None if left && !right => Action::Open,
            None => Action::Ignore,
        },
        Mark::StraightDouble => match (left, right, open) {
            (true, false, _) => Action::Open,
            (_, _, Some(_)) if right || !left => Action::Close,
            (false, false, None) => Action::Open,
            (true, true, None) => Action::Open,
            (false, true, None) => Action::Ignore,
            _ => Action::Ignore,
        },
        _ => Action::Ignore,
    }
}

/// Singles must first prove they are not apostrophes (grammar: apostrophe).
fn single_action(
    mark: Mark,
    before: Option<char>,
    after: Option<char>,
    left: bool,
    right: bool,
    top_single: bool,
) -> Action {
    let alnum = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    match mark {
        Mark::LowSingle | Mark::LeftAngle => Action::Open,
        Mark::RightAngle if top_single => Action::Close,
        Mark::RightAngle => Action::Ignore,
        Mark::LeftSingle => {
            if alnum(before) && alnum(after) {
                Action::Ignore
            } else if left {
                Action::Open
            } else if right && top_single {
                Action::Close
            } else {
                Action::Ignore
            }
        }
        Mark::RightSingle | Mark::StraightSingle => {
            if alnum(before) && alnum(after) {
                return Action::Ignore; // don’t, Petro’s
            }
            if before.is_none_or(char::is_whitespace) && after.is_some_and(|c| c.is_ascii_digit()) {
                return Action::Ignore; // ’90s
            }
            if right && top_single {
                Action::Close
            } else if left && mark == Mark::StraightSingle {
                Action::Open
            } else {
                Action::Ignore
            }
        }
        _ => Action::Ignore,
    }
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn mark_lead_search_is_the_table(s in "[a-z \"'’“”«»—\u{a0}é]{0,60}") {
            let b = s.as_bytes();
            proptest::prop_assert_eq!(
                next_mark_lead(b),
                b.iter().position(|&c| MARK_LEAD[c as usize])
            );
        }
    }

    use super::*;

    fn texts(body: &str) -> Vec<&str> {
        scan(body).iter().map(|q| &body[q.start..q.end]).collect()
    }

    #[test]
    fn every_mark_style() {
        assert_eq!(texts("a “b” c"), ["b"]);
        assert_eq!(texts("a \"b\" c"), ["b"]);
        assert_eq!(texts("a «b» c"), ["b"]);
        assert_eq!(texts("a „b“ c"), ["b"]);
        assert_eq!(texts("a ‘b’ c"), ["b"]);
        assert_eq!(texts("a 'b' c"), ["b"]);
        assert_eq!(texts("''Yes,'' he said."), ["Yes,"]);
    }

    #[test]
    fn apostrophes_are_not_marks() {
        assert_eq!(
            texts("Petro’s visa, don’t, the ’90s, the United Nations’ chief"),
            Vec::<&str>::new()
        );
        assert_eq!(texts("“Petro’s words,” he said"), ["Petro’s words,"]);
        assert_eq!(texts("the Nations’ chief said “no”"), ["no"]);
    }

    #[test]
    fn nested_quotes_are_kept_with_their_parent() {
        let body = "“He said ‘no’ twice,” she said.";
        let q = scan(body);
        assert_eq!(q.len(), 2);
        assert_eq!(&body[q[0].start..q[0].end], "He said ‘no’ twice,");
        assert_eq!(&body[q[1].start..q[1].end], "no");
        assert_eq!(q[1].parent, Some(0));
    }

    #[test]
    fn deep_nesting_is_reported_to_a_bounded_depth() {
        let mut body = String::new();
        for i in 0..1000 {
            body.push_str(if i % 2 == 0 { "“a " } else { "‘b " });
        }
        for i in (0..1000).rev() {
            body.push_str(if i % 2 == 0 { "a” " } else { "b’ " });
        }
        assert_eq!(scan(&body).len(), MAX_NESTING + 1);
    }

    #[test]
    fn multi_paragraph_quote_counts_once() {
        let body = "He said: “First part.\n\n“Second part.\n\n“Third part.”\nNext.";
        let q = scan(body);
        assert_eq!(q.len(), 1);
        assert!(q[0].closed);
        assert_eq!(q[0].paragraphs, 3);
        assert!(body[q[0].start..q[0].end].ends_with("Third part."));
    }

    #[test]
    fn unbalanced_mark_is_recovered_at_paragraph_end() {
        let body = "He said “no way.\nShe said “yes.”";
        let q = scan(body);
        assert_eq!(q.len(), 2);
        assert_eq!(&body[q[0].start..q[0].end], "no way.");
        assert!(!q[0].closed);
        assert_eq!(&body[q[1].start..q[1].end], "yes.");
    }
}
