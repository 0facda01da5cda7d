//! The quote grammar on arbitrary input: `parse::extract` must never panic, and every offset
//! it reports must be a char-boundary range of the body.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    // Arbitrary UTF-8 as is; arbitrary bytes through the lossy decoding a user's invalid
    // file would get, so both byte-level and char-level paths of the mark scanner are hit.
    if let Ok(text) = std::str::from_utf8(data) {
        common::extract_checked(text);
    }
    let lossy = String::from_utf8_lossy(data);
    common::extract_checked(&lossy);
});
