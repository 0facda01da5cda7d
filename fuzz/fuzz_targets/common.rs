//! The checks the fuzz targets run, one function per target, so that `tests/fuzz_regressions.rs`
//! runs the very same checks over the inputs checked in under `fuzz/regressions/`. Every span
//! `extract` reports must be a char-boundary range of the body that slices to the reported text.
// Each target uses only its own check.
#![allow(dead_code)]

use quotetrace::article::Article;
use quotetrace::normalize;
use quotetrace::parse::{self, Quote};

pub fn check_quotes(body: &str, quotes: &[Quote]) {
    if let Err(e) = parse::check_offsets(body, quotes) {
        panic!("{e}");
    }
}

/// Extracts the quotes of `body` and checks every offset.
pub fn extract_checked(body: &str) {
    let quotes = parse::extract(body);
    check_quotes(body, &quotes);
}

/// `grammar`: arbitrary UTF-8 as is, and arbitrary bytes through the lossy decoding a user's
/// invalid file would get, so both byte-level and char-level paths of the mark scanner are hit.
pub fn check_grammar(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        extract_checked(text);
    }
    let lossy = String::from_utf8_lossy(data);
    extract_checked(&lossy);
}

/// `frontmatter`: `Article::from_text` must never panic, and the body it keeps must be a suffix
/// of the input, so offsets into it stay valid.
pub fn check_frontmatter(text: &str) {
    if let Ok(article) = Article::from_text("fuzz.txt", text) {
        assert!(
            text.ends_with(&article.body),
            "body is not the tail of the input"
        );
        extract_checked(&article.body);
    }
}

/// `normalize`: `fold` is idempotent, and every token of `tokens` is an in-order,
/// char-boundary range of the original text.
pub fn check_normalize(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let once = normalize::fold(text);
    let twice = normalize::fold(&once);
    assert_eq!(once, twice, "fold is not idempotent on {text:?}");

    // The first byte picks the language path: none (guessed), English, Spanish, another
    // Snowball language, or an unknown tag.
    let lang = match data.first().map(|b| b % 5) {
        Some(1) => Some("en"),
        Some(2) => Some("es"),
        Some(3) => Some("de"),
        Some(4) => Some("xx-YY"),
        _ => None,
    };
    let mut prev_end = 0;
    for t in normalize::tokens(text, lang) {
        assert!(t.start < t.end, "empty token {t:?}");
        assert!(t.end <= text.len(), "token past the end {t:?}");
        assert!(text.is_char_boundary(t.start), "start splits a char {t:?}");
        assert!(text.is_char_boundary(t.end), "end splits a char {t:?}");
        assert!(
            t.start >= prev_end,
            "tokens out of order or overlapping {t:?}"
        );
        prev_end = t.end;
    }
}
