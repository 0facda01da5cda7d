//! The quote grammar on arbitrary input: `parse::extract` must never panic, and every offset
//! it reports must be a char-boundary range of the body (`common::check_grammar`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::check_grammar(data));
