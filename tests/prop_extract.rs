//! Property tests of the extraction stage: no input makes it panic, and every offset it reports
//! is a char-boundary range of the body that slices to the reported text.

use proptest::prelude::*;
use quotetrace::article::Article;
use quotetrace::parse::{self, Quote};

/// The extractor's offset contract, checked by the library itself.
fn check_offsets(body: &str, quotes: &[Quote]) {
    if let Err(e) = parse::check_offsets(body, quotes) {
        panic!("{e}");
    }
}

/// Pieces of news text, weighted towards what the grammar reacts to: quote marks of every
/// kind, apostrophes inside words, paragraph breaks, cue verbs, pronouns, names, outlets.
fn piece() -> impl Strategy<Value = String> {
    let marks = prop::sample::select(vec![
        "“", "”", "‘", "’", "«", "»", "„", "‚", "‹", "›", "\"", "'", "`", "«\u{a0}", "\u{a0}»",
    ]);
    let words = prop::sample::select(vec![
        "said",
        "says",
        "wrote",
        "told",
        "added",
        "according to",
        "he",
        "she",
        "they",
        "the president",
        "Petro",
        "Gustavo Petro",
        "Treasury Secretary Scott Bessent",
        "Nick Witney, a fellow at the European Council on Foreign Relations,",
        "on X",
        "in a statement",
        "told reporters",
        "as reported by Al Jazeera",
        "(AP) —",
        "BOGOTA (AP) — ",
        "Reuters reported",
        "citing",
        "Associated Press",
        "By Jane Doe, Associated Press",
        "that",
        "don’t",
        "’90s",
        "Petro’s",
        "We will act",
        "é",
        "日本",
        "🙂",
    ]);
    let seps = prop::sample::select(vec![
        " ", ", ", ": ", ". ", "\n", "\n\n", "\r\n", "\t", "—", "…", "?", "!", "(", ")",
    ]);
    prop_oneof![
        3 => marks.prop_map(str::to_string),
        3 => words.prop_map(str::to_string),
        3 => seps.prop_map(str::to_string),
        1 => "[A-Za-z]{1,8}",
        1 => any::<char>().prop_map(String::from),
    ]
}

/// A quote with an attribution around it, in either word order, so that speaker, cue and
/// channel offsets get exercised too, not only quote spans.
fn attributed() -> impl Strategy<Value = String> {
    let pair = prop::sample::select(vec![
        ("“", "”"),
        ("\"", "\""),
        ("«", "»"),
        ("„", "“"),
        ("‘", "’"),
    ]);
    let speaker = prop::sample::select(vec![
        "Petro",
        "he",
        "she",
        "the president",
        "Colombian President Gustavo Petro",
        "Nick Witney, a fellow at the European Council on Foreign Relations,",
    ]);
    let cue = prop::sample::select(vec![
        "said", "wrote", "told CNN", "declared", "added", "warned",
    ]);
    let tail = prop::sample::select(vec![
        "",
        " on X",
        " in a statement",
        ", as reported by Al Jazeera",
    ]);
    (pair, "[A-Za-zé’ ]{0,20}", speaker, cue, tail, any::<bool>()).prop_map(
        |((open, close), words, speaker, cue, tail, after)| {
            if after {
                format!("{open}{words},{close} {speaker} {cue}{tail}.")
            } else {
                format!("{speaker} {cue}{tail}: {open}{words}.{close}")
            }
        },
    )
}

fn newsish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![4 => piece(), 1 => attributed()], 0..60)
        .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // Shrinking a failure down is worth some time; a passing run stays well under 20 s.
        max_shrink_iters: 2048,
        ..ProptestConfig::default()
    })]

    #[test]
    fn extract_on_any_string_keeps_offsets_in_the_body(s in any::<String>()) {
        let quotes = parse::extract(&s);
        check_offsets(&s, &quotes);
    }

    #[test]
    fn extract_on_newsish_text_keeps_offsets_in_the_body(s in newsish()) {
        let quotes = parse::extract(&s);
        check_offsets(&s, &quotes);
    }

    #[test]
    fn extract_is_deterministic(s in newsish()) {
        prop_assert_eq!(parse::extract(&s), parse::extract(&s));
    }

    #[test]
    fn article_from_text_never_panics(s in any::<String>()) {
        let _ = Article::from_text("prop.txt", &s);
    }

    #[test]
    fn article_from_text_with_header_keeps_a_suffix_as_body(
        header in prop::collection::vec(
            prop_oneof![
                Just("outlet: AP".to_string()),
                Just("published: 2025-11-12".to_string()),
                Just("published: 2025-11-12T10:00:00Z".to_string()),
                Just("published: soon".to_string()),
                Just("title: \"A title\"".to_string()),
                Just("# a comment".to_string()),
                Just(String::new()),
                "[a-z]{1,6}: [^\n]{0,10}",
                "[^\n]{0,12}",
            ],
            0..5,
        ),
        close in any::<bool>(),
        body in newsish(),
    ) {
        let mut text = String::from("---\n");
        for h in &header {
            text += h;
            text.push('\n');
        }
        if close {
            text += "---\n";
        }
        text += &body;
        if let Ok(a) = Article::from_text("prop.txt", &text) {
            // Offsets are into the body, so the body must be exactly what follows the header.
            prop_assert!(text.ends_with(&a.body));
            check_offsets(&a.body, &parse::extract(&a.body));
        }
    }
}
