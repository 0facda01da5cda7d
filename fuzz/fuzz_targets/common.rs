//! Invariants shared by the fuzz targets: every span `extract` reports is a char-boundary
//! range of the body that slices to the reported text.

use quotetrace::parse::{self, Quote};

pub fn check_range(body: &str, start: usize, end: usize, text: &str, what: &str) {
    assert!(start <= end, "{what}: start {start} > end {end}");
    assert!(end <= body.len(), "{what}: end {end} > len {}", body.len());
    assert!(
        body.is_char_boundary(start),
        "{what}: start {start} splits a char"
    );
    assert!(
        body.is_char_boundary(end),
        "{what}: end {end} splits a char"
    );
    assert_eq!(&body[start..end], text, "{what}: {start}..{end}");
}

pub fn check_quotes(body: &str, quotes: &[Quote]) {
    for (i, q) in quotes.iter().enumerate() {
        let s = &q.quote;
        check_range(body, s.start, s.end, &s.text, "quote");
        if let Some(sp) = &q.speaker {
            let m = &sp.mention;
            check_range(body, m.start, m.end, &m.text, "speaker.mention");
        }
        if let Some(c) = &q.cue {
            check_range(body, c.start, c.end, &c.text, "cue");
        }
        if let Some(c) = &q.channel {
            check_range(body, c.start, c.end, &c.text, "channel");
        }
        for c in &q.credits {
            check_range(body, c.start, c.end, &c.phrase, "credit");
        }
        if let Some(p) = q.parent {
            assert!(p < quotes.len() && p != i, "parent {p} of quote {i}");
        }
    }
}

/// Extracts the quotes of `body` and checks every offset.
pub fn extract_checked(body: &str) {
    let quotes = parse::extract(body);
    check_quotes(body, &quotes);
}
