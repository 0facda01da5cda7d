//! The normalizer: `fold` is idempotent, and every token of `tokens` is an in-order,
//! char-boundary range of the original text (`common::check_normalize`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::check_normalize(data));
