//! Invariants shared by the fuzz targets: every span `extract` reports is a char-boundary
//! range of the body that slices to the reported text.

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
