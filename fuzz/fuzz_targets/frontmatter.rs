//! The plain-text reader: `Article::from_text` (front matter between `---` lines) must never
//! panic, and the body it keeps must be a suffix of the input (`common::check_frontmatter`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|text: &str| common::check_frontmatter(text));
