//! The plain-text reader: `Article::from_text` (front matter between `---` lines) must never
//! panic, and the body it keeps must be a suffix of the input, so offsets into it stay valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quotetrace::article::Article;

#[path = "common.rs"]
mod common;

fuzz_target!(|text: &str| {
    if let Ok(article) = Article::from_text("fuzz.txt", text) {
        assert!(
            text.ends_with(&article.body),
            "body is not the tail of the input"
        );
        common::extract_checked(&article.body);
    }
});
