//! Credits to other outlets (grammar/README.md §8).

use super::attribution::flag;
use super::lexicon::{lexicon, word_flags};
use super::token::{Kind, Tok};
use super::{ceil_boundary, floor_boundary, Credit};

fn boundary_before(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric())
}

fn boundary_after(text: &str, i: usize) -> bool {
    text[i..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric())
}

/// Lower-cased text of `body[from..to]` with runs of white space folded to one space.
fn folded(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            // Most of the text is ASCII: the Unicode case tables cost ten times as much.
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        }
    }
    out
}

/// The runs of letters and digits of a word or number ("Petro’s": "Petro", "s").
fn alnum_runs(text: &str) -> impl Iterator<Item = &str> {
    // `’` inside a word is the usual non-ASCII character here, and no letter: it is told
    // apart without a look-up in the Unicode tables.
    text.split(|c: char| {
        if c.is_ascii() {
            !c.is_ascii_alphanumeric()
        } else {
            c == '’' || !c.is_alphanumeric()
        }
    })
    .filter(|run| !run.is_empty())
}

/// `line.trim()`, answered from its first and last bytes when they are ASCII and not white
/// space, as for most lines (after their line break): trimming every line of an article's
/// top was a fifth of the search for datelines.
fn trim_line(line: &str) -> &str {
    let body = line.strip_suffix('\n').unwrap_or(line);
    let body = body.strip_suffix('\r').unwrap_or(body);
    let solid = |b: u8| b.is_ascii() && !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    match (body.as_bytes().first(), body.as_bytes().last()) {
        (Some(&first), Some(&last)) if solid(first) && solid(last) => body,
        // An empty line (between paragraphs).
        (None, None) => body,
        _ => line.trim(),
    }
}

/// Whether a sentence (its tokens, quotes included) can hold an outlet alias, and so a
/// credit: some run of letters and digits in its words or numbers is the last run of an
/// alias (a match ends on a boundary, so the text's run is exactly the alias's). Most
/// sentences around quotes hold none, and searching them for aliases was a twentieth of
/// extraction.
pub(crate) fn may_hold_credit(toks: &[Tok]) -> bool {
    let ends_alias = |flags: u32, run: &str| {
        flags & flag::ALIAS_END != 0
            || flags & flag::ALIAS_END_CAP != 0 && run.starts_with(char::is_uppercase)
    };
    // Most tokens have none of these flags and are not numbers: one test passes them over.
    let maybe = flag::ALIAS_END | flag::ALIAS_END_CAP | flag::SEGMENTED;
    toks.iter().any(|t| match t.kind {
        _ if t.flags & maybe == 0 && t.kind != Kind::Number => false,
        Kind::Word if t.flags & flag::SEGMENTED == 0 => ends_alias(t.flags, t.text),
        Kind::Word | Kind::Number => alnum_runs(t.text).any(|run| ends_alias(word_flags(run), run)),
        _ => false,
    })
}

// credit = {credits} with {outlet} = outlet-alias / coordinated-credit
/// Credits stated within `body[from..to]` (a sentence with its quotes cut out: `gaps`).
pub(crate) fn sentence_credits(body: &str, gaps: &[(usize, usize)]) -> Vec<Credit> {
    let lex = lexicon();
    let mut out: Vec<Credit> = Vec::new();
    for &(from, to) in gaps {
        let text = &body[from..to];
        let mut last_credited_end: Option<usize> = None;
        for m in lex.aliases.find_iter(text) {
            let (a, b) = (m.start(), m.end());
            if !boundary_before(text, a) || !boundary_after(text, b) {
                continue;
            }
            let outlet = &lex.outlets[lex.alias_outlet[m.pattern().as_usize()]].canonical;
            let before = &text[floor_boundary(text, a.saturating_sub(80))..a];
            let after = &text[b..ceil_boundary(text, b + 40)];
            let before_full = folded(before);
            let had_the = before_full == "the" || before_full.ends_with(" the");
            let before_f = if had_the {
                before_full[..before_full.len() - 3].trim_end().to_string()
            } else {
                before_full
            };
            let after_f = folded(after);
            let mut hit: Option<(usize, usize)> = None;
            for (pre, post) in &lex.credits {
                let pre_ok = pre.is_empty()
                    || (before_f.ends_with(pre.as_str())
                        && before_f[..before_f.len() - pre.len()]
                            .chars()
                            .next_back()
                            .is_none_or(|c| !c.is_alphanumeric()))
                    || (pre == "(" && before.ends_with('('));
                let post_ok = post.is_empty()
                    || (post == ")" && after.starts_with(')'))
                    || (after_f.starts_with(post.as_str())
                        && after_f[post.len()..]
                            .chars()
                            .next()
                            .is_none_or(|c| !c.is_alphanumeric()));
                if pre_ok && post_ok && !(pre.is_empty() && post.is_empty()) {
                    let start = if pre.is_empty() {
                        a
                    } else {
                        find_phrase_start(text, a, pre, had_the)
                    };
                    let end = if post.is_empty() {
                        b
                    } else {
                        find_phrase_end(text, b, post)
                    };
                    if hit.is_none_or(|(s, e)| e - s < end - start) {
                        hit = Some((start, end));
                    }
                }
            }
            // "cited by the Associated Press and CNN": CNN shares the phrase of its neighbour.
            if hit.is_none() {
                if let Some(prev_end) = last_credited_end {
                    let gap = folded(&text[prev_end..a]);
                    if matches!(
                        gap.as_str(),
                        "and" | "," | ", and" | "and the" | ", and the" | "or"
                    ) {
                        hit = Some((a, b));
                    }
                }
            }
            if let Some((s, e)) = hit {
                last_credited_end = Some(b);
                out.push(Credit {
                    outlet: outlet.clone(),
                    phrase: text[s..e].to_string(),
                    start: from + s,
                    end: from + e,
                    scope: super::CreditScope::Sentence,
                });
            }
        }
    }
    out
}

fn find_phrase_start(text: &str, a: usize, pre: &str, had_the: bool) -> usize {
    if pre == "(" {
        return a - 1;
    }
    let words = pre.split_whitespace().count() + usize::from(had_the);
    let mut idx = a;
    for _ in 0..words {
        let t = text[..idx].trim_end();
        idx = t
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(k, c)| k + c.len_utf8());
    }
    idx
}

fn find_phrase_end(text: &str, b: usize, post: &str) -> usize {
    if post == ")" {
        return b + 1;
    }
    let words = post.split_whitespace().count();
    let mut end = b;
    let mut seen = 0;
    let mut in_word = false;
    for (i, c) in text[b..].char_indices() {
        if c.is_whitespace() {
            if in_word {
                seen += 1;
                if seen == words {
                    break;
                }
            }
            in_word = false;
        } else {
            in_word = true;
            end = b + i + c.len_utf8();
        }
    }
    b + text[b..end]
        .trim_end_matches(|c: char| c.is_ascii_punctuation())
        .len()
}

// dateline = BOL CAP *( CAP / "," / SP ) SP "(" outlet-alias ")" SP ( "—" / "–" / "-" / ":" )
// byline   = BOL [ "By" SP *WORD ( "," / "|" ) SP ] outlet-alias EOL
/// Datelines and bylines near the top of an article: they credit every quote in it.
pub(crate) fn article_credits(body: &str) -> Vec<Credit> {
    let lex = lexicon();
    let mut out = Vec::new();
    let mut offset = 0;
    // The lines of `body` with their newlines, found with `memchr` (the `str` line iterators
    // step through long paragraphs a word at a time).
    let lines = std::iter::from_fn(|| {
        let rest = &body.as_bytes()[offset..];
        if rest.is_empty() {
            return None;
        }
        let len = memchr::memchr(b'\n', rest).map_or(rest.len(), |k| k + 1);
        let line = &body[offset..offset + len];
        offset += len;
        Some((offset - len, line))
    });
    for (n, (start, line)) in lines.enumerate() {
        if n > 40 {
            break;
        }
        let trimmed = trim_line(line);
        if trimmed.is_empty() {
            continue;
        }
        let lead = start + (trimmed.as_ptr() as usize - line.as_ptr() as usize);
        // byline: the whole line is the outlet, possibly after "By NAME,".
        // (Only then is the line searched for its last comma: most lines are long text.)
        let tail = if trimmed.starts_with("By ") {
            trimmed.rsplit_once(',').map_or(trimmed, |(_, t)| t.trim())
        } else {
            trimmed
        };
        // A byline is a short line; long lines are text, not worth an alias search. The whole
        // tail is one alias: a look-up of the exact text, not a search (the search's first
        // match spans the tail just when the tail is an alias, of the first outlet listing it).
        if let Some(&k) = (tail.len() <= 60)
            .then(|| lex.alias_exact.get(tail))
            .flatten()
        {
            let s = lead + trimmed.len() - tail.len();
            out.push(Credit {
                outlet: lex.outlets[k].canonical.clone(),
                phrase: tail.to_string(),
                start: s,
                end: s + tail.len(),
                scope: super::CreditScope::Article,
            });
            continue;
        }
        // dateline: "(AP) —" within the first words of a paragraph.
        if let Some(open) = memchr::memchr(b'(', &trimmed.as_bytes()[..floor_boundary(trimmed, 80)])
        {
            let head = &trimmed[..open];
            let rest = &trimmed[open + 1..];
            let Some(close) = memchr::memchr(b')', rest.as_bytes()) else {
                continue;
            };
            let name = &rest[..close];
            let after = rest[close + 1..].trim_start();
            let dash = after.starts_with(['—', '–', '-', ':']);
            let head_caps = head
                .split_whitespace()
                .all(|w| w.chars().next().is_some_and(|c| c.is_uppercase()) || w.ends_with(','));
            if dash && head_caps && head.split_whitespace().count() <= 5 {
                if let Some(&k) = lex.alias_exact.get(name) {
                    let s = lead + open;
                    out.push(Credit {
                        outlet: lex.outlets[k].canonical.clone(),
                        phrase: trimmed[open..open + close + 2].to_string(),
                        start: s,
                        end: s + close + 2,
                        scope: super::CreditScope::Article,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credits(s: &str) -> Vec<(String, String)> {
        sentence_credits(s, &[(0, s.len())])
            .into_iter()
            .map(|c| (c.outlet, c.phrase))
            .collect()
    }

    #[test]
    fn credit_phrases() {
        assert_eq!(
            credits("Petro declared, as reported by Al Jazeera."),
            [("Al Jazeera".into(), "as reported by Al Jazeera".into())]
        );
        assert_eq!(
            credits("Petro said, as quoted by the Associated Press."),
            [(
                "Associated Press".into(),
                "as quoted by the Associated Press".into()
            )]
        );
        assert_eq!(
            credits("British officials told CNN they agree."),
            [("CNN".into(), "told CNN".into())]
        );
        assert_eq!(
            credits("over the strikes, CNN revealed, citing"),
            [("CNN".into(), "CNN revealed".into())]
        );
        let both =
            credits("75 people, according to figures cited by the Associated Press and CNN.");
        assert_eq!(both.len(), 2);
        assert_eq!(both[1].0, "CNN");
        assert!(credits("He met AP officials").is_empty());
    }

    /// The prefilter in front of [`sentence_credits`] must pass every sentence that holds an
    /// alias, however the alias's last word is tokenized.
    #[test]
    fn sentences_with_an_alias_pass_the_prefilter() {
        let passes = |s: &str| {
            let mut toks = Vec::new();
            crate::parse::token::tokenize(s, 0, s.len(), &mut toks);
            may_hold_credit(&toks)
        };
        for s in [
            "Petro said, as reported by Al Jazeera.",
            "according to Reuters-Ipsos polling",
            "CNN’s report said",
            "AP's report said",
            "as France 24, citing",
            "the A.P. reported",
            "citing the El País daily",
            "according to franceinfo.",
            "Time magazine reported",
        ] {
            assert!(passes(s), "{s:?}");
        }
        assert!(!credits("according to Reuters-Ipsos polling").is_empty());
        for s in [
            "He said the time was right.",
            "“We will act,” the minister said on Tuesday.",
            "the news was good",
        ] {
            assert!(!passes(s), "{s:?}");
            assert!(credits(s).is_empty(), "{s:?}");
        }
    }

    #[test]
    fn fast_paths_agree_with_the_str_methods() {
        for s in [
            "",
            "\n",
            "\r\n",
            "  \n",
            "Text.\n",
            "Text.\r\n",
            " lead\n",
            "ends ”\n",
            "“opens\n",
            "\u{a0}nbsp\u{a0}\n",
            "no break",
            "tab\t\n",
        ] {
            assert_eq!(trim_line(s), s.trim(), "{s:?}");
        }
        for w in [
            "Petro’s",
            "U.S.",
            "1,000",
            "France24",
            "Reuters-Ipsos",
            "El País",
            "a’’b",
        ] {
            let naive: Vec<&str> = w
                .split(|c: char| !c.is_alphanumeric())
                .filter(|r| !r.is_empty())
                .collect();
            assert_eq!(alnum_runs(w).collect::<Vec<_>>(), naive, "{w:?}");
        }
        let s = "  As Reported  BY\n the ÉLYSÉE İstanbul ";
        let naive = s
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(folded(s), naive);
    }

    #[test]
    fn datelines_and_bylines() {
        let c = article_credits("Title\nBOGOTA, Colombia (AP) — Petro said.\n");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].outlet, "Associated Press");
        assert_eq!(c[0].phrase, "(AP)");
        let c = article_credits("Photo | AP\n\nAssociated Press\n\nBOGOTA: text\n");
        assert_eq!(c.len(), 1, "a photo credit is not an article credit: {c:?}");
        assert_eq!(c[0].phrase, "Associated Press");
    }
}
