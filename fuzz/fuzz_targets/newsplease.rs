//! The news-please reader: one JSON document (an object or an array of objects).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
#[path = "readers.rs"]
mod readers;

fuzz_target!(|data: &[u8]| {
    readers::read_all("fuzz.json", data);
});
