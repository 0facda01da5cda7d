//! The normalizer: `fold` is idempotent, and every token of `tokens` is an in-order,
//! char-boundary range of the original text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quotetrace::normalize;

fuzz_target!(|data: &[u8]| {
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
});
