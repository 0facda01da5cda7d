//! Issue bar: the five seed articles, checked quote by quote.

use quotetrace::article::Article;
use quotetrace::parse::{extract, Quote, QuoteKind};

fn seed(n: &str) -> Vec<Quote> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/seeds");
    let path = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(n))
        .unwrap();
    let article = Article::from_text("seed", &std::fs::read_to_string(path).unwrap()).unwrap();
    extract(&article.body)
}

fn find<'a>(quotes: &'a [Quote], needle: &str) -> &'a Quote {
    quotes
        .iter()
        .find(|q| q.quote.text.contains(needle))
        .unwrap_or_else(|| panic!("no quote with {needle:?}"))
}

#[test]
fn every_quoted_span_is_found() {
    let counts: Vec<usize> = ["000", "001", "002", "003", "004"]
        .iter()
        .map(|n| seed(n).len())
        .collect();
    assert_eq!(counts, [7, 2, 5, 9, 3]);
    assert_eq!(counts.iter().sum::<usize>(), 26);
}

#[test]
fn every_full_quote_has_its_speaker() {
    // (seed, words of the quote, speaker) for every quote a reader would call a full sentence.
    let expected = [
        ("000", "He may have been carrying fish", "Gustavo Petro"),
        (
            "000",
            "Revoking it for denouncing genocide",
            "Gustavo Petro",
        ),
        ("001", "I have instructed all levels", "Gustavo Petro"),
        ("001", "The fight against drug trafficking", "Gustavo Petro"),
        (
            "002",
            "President Trump is taking strong action",
            "Scott Bessent",
        ),
        ("003", "The fight against drugs", "Gustavo Petro"),
        ("003", "All levels of law enforcement", "Gustavo Petro"),
        ("003", "He may have been carrying fish", "Gustavo Petro"),
        (
            "003",
            "President Trump is taking strong action",
            "Scott Bessent",
        ),
        ("003", "Did he ever wonder", "Rand Paul"),
        ("004", "He may have been carrying fish", "Gustavo Petro"),
    ];
    for (n, words, speaker) in expected {
        let quotes = seed(n);
        let q = find(&quotes, words);
        assert_eq!(q.kind, QuoteKind::Full, "{n}: {words}");
        assert_eq!(
            q.speaker.as_ref().map(|s| s.name.as_str()),
            Some(speaker),
            "{n}: {words}"
        );
    }
    for n in ["000", "001", "002", "003", "004"] {
        for q in seed(n).iter().filter(|q| q.kind == QuoteKind::Full) {
            assert!(
                q.speaker.is_some(),
                "{n}: full quote without speaker: {}",
                q.quote.text
            );
        }
    }
}

#[test]
fn credits_to_other_outlets() {
    let quotes = seed("003");
    let fish = find(&quotes, "He may have been carrying fish");
    assert!(fish.credits.iter().any(|c| c.outlet == "Associated Press"));
    let levels = find(&quotes, "All levels of law enforcement");
    assert!(levels
        .credits
        .iter()
        .any(|c| c.outlet == "Al Jazeera" && c.phrase == "as reported by Al Jazeera"));
    // 002 is an Associated Press story: its byline credits every quote.
    assert!(seed("002")
        .iter()
        .all(|q| q.credits.iter().any(|c| c.outlet == "Associated Press")));
}
