//! The JSON Lines reader (plain or gzip, found by the magic number) on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
#[path = "readers.rs"]
mod readers;

fuzz_target!(|data: &[u8]| {
    readers::read_all("fuzz.jsonl", data);
});
