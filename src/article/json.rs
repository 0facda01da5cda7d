//! Articles as JSON objects, under the field names real crawlers use.

use serde::Deserialize;

use super::{Article, InputError, Meta};

/// The union of the field names of news-please, the AllSides corpus and a plain layout.
/// Unknown fields are ignored; a field of an unexpected type is ignored rather than fatal,
/// because crawlers write `null`, numbers and lists where one expects strings.
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct Record {
    #[serde(default, deserialize_with = "lenient")]
    text: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    maintext: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    content_original: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    body: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    content: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    outlet: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    source: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    source_domain: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    published: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    date_publish: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    date: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    lang: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    language: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    id: Option<String>,
}

fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) if !s.is_empty() && s != "None" => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Turns one JSON object into an article. `id` names where it came from (path, or path:line).
pub(super) fn parse(id: String, json: &str) -> Result<Article, InputError> {
    match scan_record(json, &mut String::new()) {
        Some(rec) => article(id, rec),
        None => parse_with_serde(id, json),
    }
}

/// [`parse`] of a record that [`scan_record`] has already left to serde_json.
pub(super) fn parse_with_serde(id: String, json: &str) -> Result<Article, InputError> {
    let rec = serde_json::from_str(json).map_err(|e| InputError::Json {
        id: id.clone(),
        message: e.to_string(),
    })?;
    article(id, rec)
}

/// The field names of [`Record`], in the order of [`Record::from_slots`].
const FIELDS: [&str; 16] = [
    "text",
    "maintext",
    "content_original",
    "body",
    "content",
    "outlet",
    "source",
    "source_domain",
    "published",
    "date_publish",
    "date",
    "url",
    "title",
    "lang",
    "language",
    "id",
];

/// The fields of [`FIELDS`] that can hold the article's text come first, this many.
const BODY_FIELDS: usize = 5;

impl Record {
    fn from_slots(slots: [Option<String>; 16]) -> Record {
        let [text, maintext, content_original, body, content, outlet, source, source_domain, published, date_publish, date, url, title, lang, language, id] =
            slots;
        Record {
            text,
            maintext,
            content_original,
            body,
            content,
            outlet,
            source,
            source_domain,
            published,
            date_publish,
            date,
            url,
            title,
            lang,
            language,
            id,
        }
    }
}

/// Reads a JSON Lines record the way `serde_json::from_str::<Record>` does, for the records
/// crawlers write: string, null and boolean values, small integers in unknown fields, and
/// the escapes `\" \\ \/ \b \f \n \r \t`. Anything else (`\u` escapes, lists, objects,
/// numbers in known fields, a repeated field, any syntax error) gives `None`, and serde_json
/// reads the record instead, so that values and error messages stay serde_json's. Written by
/// hand because serde_json built a `Value` for every field and copied the article text twice
/// on the way: a tenth of all extraction work.
///
/// The first body field read is written into the memory of `spare` (a former body, see
/// [`Inputs::recycle`](super::Inputs::recycle)) when it has room, taken from there.
///
/// A record with a NUL byte anywhere is left to serde_json: in a string it is a control
/// character, and elsewhere no JSON at all.
pub(super) fn scan_record(json: &str, spare: &mut String) -> Option<Record> {
    let b = json.as_bytes();
    let mut slots: [Option<String>; 16] = Default::default();
    let mut seen = 0u32;
    // Where the escapes of the string being read are, so that unescaping it does not look
    // for them again.
    // Room for an article's worth from the start: grown from nothing, it was reallocated
    // five times in every record.
    let mut escapes = Vec::with_capacity(256);
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            // member = string ":" value
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let key_end = i + 1 + next_escape(&b[i + 1..])?;
            if b[key_end] != b'"' {
                return None;
            }
            let field = FIELDS
                .iter()
                .position(|f| f.as_bytes() == &b[i + 1..key_end]);
            i = skip_ws(b, key_end + 1);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(b, i + 1);
            if let Some(f) = field {
                if seen & 1 << f != 0 {
                    return None; // serde_json: "duplicate field"
                }
                seen |= 1 << f;
            }
            i = match (b.get(i)?, field) {
                (b'"', Some(f)) => {
                    let mut value;
                    let end;
                    if f < BODY_FIELDS {
                        value = std::mem::take(spare);
                        end = read_body(json, i + 1, &mut value, &mut escapes)?;
                    } else {
                        end = string_end(b, i + 1, &mut escapes)?;
                        // Each escape is two bytes for one.
                        value = String::with_capacity(end - (i + 1) - escapes.len());
                        unescape(&mut value, json, i + 1, end, &escapes);
                    }
                    // As `lenient`: empty strings and Python's "None" are no value.
                    if !value.is_empty() && value != "None" {
                        slots[f] = Some(value);
                    } else if value.capacity() > spare.capacity() {
                        *spare = value;
                    }
                    end + 1
                }
                (b'"', None) => string_end(b, i + 1, &mut escapes)? + 1,
                // As `lenient`: null and booleans are no value.
                (b'n', _) => literal(b, i, b"null")?,
                (b't', _) => literal(b, i, b"true")?,
                (b'f', _) => literal(b, i, b"false")?,
                (b'-' | b'0'..=b'9', None) => small_integer(b, i)?,
                _ => return None,
            };
            i = skip_ws(b, i);
            match b.get(i)? {
                b',' => i = skip_ws(b, i + 1),
                b'}' => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (skip_ws(b, i) == b.len()).then(|| Record::from_slots(slots))
}

/// The index of the first byte at or after `i` that is not JSON white space.
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The end of the literal `word` at `i`, if it is there and not run on into other letters.
fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    let end = i + word.len();
    (b.get(i..end) == Some(word) && !b.get(end).is_some_and(u8::is_ascii_alphanumeric))
        .then_some(end)
}

/// The end of an integer of at most 18 digits at `i`, without a leading zero (other numbers
/// are left to serde_json, which knows their every rule).
fn small_integer(b: &[u8], i: usize) -> Option<usize> {
    let start = i + usize::from(b[i] == b'-');
    let mut end = start;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    let digits = &b[start..end];
    let plain =
        !digits.is_empty() && digits.len() <= 18 && (digits[0] != b'0' || digits.len() == 1);
    // A fraction or an exponent: not a small integer.
    (plain && !matches!(b.get(end), Some(b'.' | b'e' | b'E'))).then_some(end)
}

/// The index of the closing mark of the string whose body starts at `i` (after its opening
/// mark), with the index of each escape in `escapes`. `None` for a `\u` escape, an invalid
/// escape, a control character or a missing end.
fn string_end(b: &[u8], mut i: usize, escapes: &mut Vec<usize>) -> Option<usize> {
    escapes.clear();
    // Whether the first byte of the block is escaped by a backslash ending the one before.
    let mut carried = false;
    loop {
        // A mask of the marks, backslashes and control characters of 64 bytes at a time, then
        // one step per bit: article text has an escaped newline or quotation mark every hundred
        // bytes or so, and a search call per escape (`memchr2`) cost about as much again as
        // the scan itself.
        let (mut mask, len) = block_mask(&b[i..]);
        if len == 0 {
            return None;
        }
        if carried {
            mask &= !1;
            carried = false;
        }
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            let at = i + k;
            match b[at] {
                b'"' => return Some(at),
                b'\\'
                    if matches!(
                        b.get(at + 1)?,
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't'
                    ) =>
                {
                    escapes.push(at);
                    // Neither the backslash nor the byte it escapes ends the string.
                    mask &= !(1 << k);
                    if k == 63 {
                        carried = true;
                    } else {
                        mask &= !(1 << (k + 1));
                    }
                }
                _ => return None,
            }
        }
        i += len;
    }
}

/// The bytes that JSON strings escape (`"`, `\\`, control characters) among the first 64 of
/// `b`: bit `k` for byte `k`. With the number of bytes looked at, `min(64, b.len())`.
fn block_mask(b: &[u8]) -> (u64, usize) {
    match b.first_chunk::<64>() {
        Some(block) => (escape_mask(block), 64),
        None => {
            // Padded with spaces, which need no escape.
            let mut block = [b' '; 64];
            block[..b.len()].copy_from_slice(b);
            (escape_mask(&block), b.len())
        }
    }
}

/// [`block_mask`] of a whole block, sixteen bytes per step with SSE2.
#[cfg(target_arch = "x86_64")]
fn escape_mask(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::_mm_loadu_si128;
    let mut mask = 0u64;
    for (k, part) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of every x86_64 CPU, and the load reads the sixteen bytes of
        // `part`, which lie inside `block`.
        let v = unsafe { _mm_loadu_si128(part.as_ptr().cast()) };
        mask |= u64::from(escape_bits(v)) << (16 * k);
    }
    mask
}

/// The bytes that JSON strings escape among the sixteen of `v`: bit `k` for byte `k`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn escape_bits(v: std::arch::x86_64::__m128i) -> u16 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of every x86_64 CPU.
    let bits = unsafe {
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // Below 0x20, unsigned: the byte is its own minimum with 0x1f.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
    };
    bits as u16
}

/// Reads the string whose body starts at `json[start]` (after its opening mark) into `out`,
/// as [`string_end`] then [`unescape`] do, in one pass: every 32 bytes are copied as they are
/// checked, and an escape is written over its backslash. `out`'s memory is reused when it has
/// room for the rest of the line. The index of the closing mark, or `None` where
/// [`string_end`] gives `None` (`out` is then left empty).
///
/// For article text, which has an escape every hundred bytes or so, the two passes cost
/// 42.5 M instructions on 3,000 AllSides articles, this one 24.6 M (callgrind).
#[cfg(target_arch = "x86_64")]
fn read_body(
    json: &str,
    start: usize,
    out: &mut String,
    _escapes: &mut Vec<usize>,
) -> Option<usize> {
    let b = json.as_bytes();
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.clear();
    // The string is at most the rest of the line, and the last store may run a block past it.
    let room = b.len() - start + 32;
    let fresh = bytes.capacity() < room;
    if fresh {
        // Not `reserve`: growing would copy the old contents, which are of no use.
        bytes = Vec::with_capacity(room);
    }
    let dst = bytes.as_mut_ptr();
    // Bytes `start..i` of `b` are read, and unescaped into `dst[..w]`; `w <= i - start`, so a
    // store of 32 bytes at `w` ends within `room`.
    let (mut i, mut w) = (start, 0);
    loop {
        // Two blocks of sixteen bytes per step: the marks of the next escape, or of the
        // string's end, at bit `k` for byte `i + k`.
        let bits = loop {
            if b.len() - i < 32 {
                // Padded with spaces, which need no escape.
                let mut padded = [b' '; 32];
                padded[..b.len() - i].copy_from_slice(&b[i..]);
                // SAFETY: as below, with `padded` for the bytes of `b`.
                let bits = unsafe { copy_block(padded.as_ptr(), dst.add(w)) };
                if bits == 0 {
                    return None; // no closing mark
                }
                break bits;
            }
            // SAFETY: the loads read `b[i..i + 32]`, inside `b` (checked above); the stores
            // write 32 bytes at `w`, inside the capacity of `bytes` (see `room`).
            let bits = unsafe { copy_block(b.as_ptr().add(i), dst.add(w)) };
            if bits != 0 {
                break bits;
            }
            i += 32;
            w += 32;
        };
        let k = bits.trailing_zeros() as usize;
        match b[i + k] {
            b'"' => {
                // SAFETY: `dst[..w + k]` was written by the stores, and is `json[start..i + k]`
                // with each two-byte escape replaced by one ASCII byte: UTF-8, as `json` is,
                // since `start`, every escape and `i + k` sit on ASCII bytes.
                unsafe { bytes.set_len(w + k) };
                // A fresh buffer sized for a line whose text is followed by much else is not
                // kept that size by the article (readers that recycle no bodies keep many).
                if fresh && bytes.capacity() - bytes.len() > bytes.len() / 8 + 64 {
                    bytes.shrink_to_fit();
                }
                *out = unsafe { String::from_utf8_unchecked(bytes) };
                return Some(i + k);
            }
            b'\\' => {
                let c = match b.get(i + k + 1)? {
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    &c @ (b'"' | b'\\' | b'/') => c,
                    _ => return None,
                };
                // SAFETY: `w + k` lies inside the 32 bytes just stored at `w`.
                unsafe { dst.add(w + k).write(c) };
                i += k + 2;
                w += k + 1;
            }
            _ => return None,
        }
    }
}

/// Copies 32 bytes from `src` to `dst`, with their escape bits ([`escape_bits`]).
///
/// # Safety
/// `src` must be readable and `dst` writable for 32 bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn copy_block(src: *const u8, dst: *mut u8) -> u32 {
    use std::arch::x86_64::{_mm_loadu_si128, _mm_storeu_si128};
    // SAFETY: SSE2 is part of every x86_64 CPU; the caller vouches for the memory.
    unsafe {
        let lo = _mm_loadu_si128(src.cast());
        let hi = _mm_loadu_si128(src.add(16).cast());
        _mm_storeu_si128(dst.cast(), lo);
        _mm_storeu_si128(dst.add(16).cast(), hi);
        u32::from(escape_bits(lo)) | u32::from(escape_bits(hi)) << 16
    }
}

/// [`string_end`] then [`unescape`], into `out`'s memory when it has room.
#[cfg(not(target_arch = "x86_64"))]
fn read_body(
    json: &str,
    start: usize,
    out: &mut String,
    escapes: &mut Vec<usize>,
) -> Option<usize> {
    let end = string_end(json.as_bytes(), start, escapes)?;
    let len = end - start - escapes.len();
    if out.capacity() < len {
        *out = String::with_capacity(len);
    }
    unescape(out, json, start, end, escapes);
    Some(end)
}

/// [`block_mask`] of a whole block, a byte at a time.
#[cfg(not(target_arch = "x86_64"))]
fn escape_mask(block: &[u8; 64]) -> u64 {
    block.iter().enumerate().fold(0, |mask, (k, &c)| {
        mask | u64::from(c < 0x20 || c == b'"' || c == b'\\') << k
    })
}

/// The string `json[start..end]`, unescaped into `out` (cleared first), its escapes (at
/// `escapes`) already checked by [`string_end`].
fn unescape(out: &mut String, json: &str, start: usize, end: usize, escapes: &[usize]) {
    let b = json.as_bytes();
    out.clear();
    let mut from = start;
    for &at in escapes {
        out.push_str(&json[from..at]);
        out.push(match b[at + 1] {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            c => char::from(c), // " \\ /
        });
        from = at + 2;
    }
    out.push_str(&json[from..end]);
}

/// The index of the first byte of `b` that JSON strings escape (`"`, `\\`, control
/// characters): the end of a run of plain string content, for reading records and for writing
/// quotes.
///
/// Sixteen bytes per step, the last step overlapping the one before, and eight bytes per step
/// below sixteen: most strings written out are names, cue words and short quotes, for which
/// padding a last block (a `memcpy` call) and a byte loop over short strings cost more than
/// the scan (the JSON string writer of `extract` fell from 25.7 M to 20.4 M instructions,
/// callgrind, 3,000 AllSides articles).
pub(crate) fn next_escape(b: &[u8]) -> Option<usize> {
    let n = b.len();
    if n < 16 {
        return next_escape_short(b);
    }
    let mut i = 0;
    while let Some(block) = b.get(i..i + 16) {
        let bits = escape_bits16(block.try_into().expect("sixteen bytes"));
        if bits != 0 {
            return Some(i + bits.trailing_zeros() as usize);
        }
        i += 16;
    }
    if i == n {
        return None;
    }
    // The last sixteen bytes, of which the first `i - at` were looked at already.
    let at = n - 16;
    let bits = escape_bits16(b[at..].try_into().expect("sixteen bytes")) >> (i - at);
    (bits != 0).then(|| i + bits.trailing_zeros() as usize)
}

/// [`next_escape`] below sixteen bytes: two words of eight, overlapping, or a byte loop.
fn next_escape_short(b: &[u8]) -> Option<usize> {
    let n = b.len();
    if n < 8 {
        return b.iter().position(|&c| c < 0x20 || c == b'"' || c == b'\\');
    }
    let first = escape_bits8(b[..8].try_into().expect("eight bytes"));
    if first != 0 {
        return Some(first.trailing_zeros() as usize / 8);
    }
    if n == 8 {
        return None;
    }
    // The last eight bytes, of which the first `16 - n` were looked at already.
    let last = escape_bits8(b[n - 8..].try_into().expect("eight bytes")) >> (8 * (16 - n));
    (last != 0).then(|| 8 + last.trailing_zeros() as usize / 8)
}

/// The bytes that JSON strings escape among the eight of `word`: the high bit of byte `k` set
/// for byte `k`, exactly for the first such byte (borrows may set bits above it).
fn escape_bits8(word: &[u8; 8]) -> u64 {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let x = u64::from_le_bytes(*word);
    // A byte below `c` (with `c <= 0x80`) borrows and sets its high bit; none before it does.
    let below = |x: u64, c: u64| x.wrapping_sub(ONES * c) & !x;
    let control = below(x, 0x20);
    let quote = below(x ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(x ^ (ONES * u64::from(b'\\')), 1);
    (control | quote | backslash) & HIGH
}

/// The bytes that JSON strings escape among sixteen: bit `k` for byte `k`.
#[cfg(target_arch = "x86_64")]
fn escape_bits16(block: &[u8; 16]) -> u32 {
    // SAFETY: SSE2 is part of every x86_64 CPU, and the load reads the sixteen bytes of
    // `block`.
    let v = unsafe { std::arch::x86_64::_mm_loadu_si128(block.as_ptr().cast()) };
    u32::from(escape_bits(v))
}

/// The bytes that JSON strings escape among sixteen: bit `k` for byte `k`.
#[cfg(not(target_arch = "x86_64"))]
fn escape_bits16(block: &[u8; 16]) -> u32 {
    block.iter().enumerate().fold(0, |mask, (k, &c)| {
        mask | u32::from(c < 0x20 || c == b'"' || c == b'\\') << k
    })
}

/// A `.json` file may hold one article object or an array of them.
pub(super) fn parse_document(id: &str, json: &str) -> Vec<Result<Article, InputError>> {
    let trimmed = json.trim_start();
    if trimmed.starts_with('[') {
        match serde_json::from_str::<Vec<Record>>(trimmed) {
            Ok(records) => records
                .into_iter()
                .enumerate()
                .map(|(i, r)| article(format!("{id}#{i}"), r))
                .collect(),
            Err(e) => vec![Err(InputError::Json {
                id: id.to_string(),
                message: e.to_string(),
            })],
        }
    } else {
        vec![parse(id.to_string(), json)]
    }
}

/// The article of a record: its text, and its metadata from whichever field holds it.
pub(super) fn article(id: String, r: Record) -> Result<Article, InputError> {
    let Some(body) = r
        .text
        .or(r.maintext)
        .or(r.content_original)
        .or(r.body)
        .or(r.content)
    else {
        return Err(InputError::MissingBody { id });
    };
    let id = match r.id {
        Some(own) => format!("{id}#{own}"),
        None => id,
    };
    Ok(Article {
        id,
        meta: Meta {
            outlet: r.outlet.or(r.source).or(r.source_domain),
            url: r.url,
            published: r.published.or(r.date_publish).or(r.date),
            title: r.title,
            lang: r.lang.or(r.language),
        },
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_news_please_allsides_and_plain_fields() {
        let np = parse(
            "a".into(),
            r#"{"text":"T","source_domain":"cnn.com","date_publish":"2017-09-15 00:00:00","url":"u","title":"t","language":null}"#,
        )
        .unwrap();
        assert_eq!(np.body, "T");
        assert_eq!(np.meta.outlet.as_deref(), Some("cnn.com"));
        assert_eq!(np.meta.published.as_deref(), Some("2017-09-15 00:00:00"));
        assert_eq!(np.meta.lang, None);
        let all = parse(
            "b".into(),
            r#"{"content_original":"C","source":"New York Times - News","date":"2016-09-20","authors":["x"]}"#,
        )
        .unwrap();
        assert_eq!(all.body, "C");
        assert_eq!(all.meta.outlet.as_deref(), Some("New York Times - News"));
        let plain = parse(
            "c".into(),
            r#"{"body":"B","outlet":"AP","published":"2025-11-12"}"#,
        )
        .unwrap();
        assert_eq!(plain.meta.published.as_deref(), Some("2025-11-12"));
    }

    /// The scanner either reads a record exactly as serde_json does or leaves it to serde_json.
    fn agrees(json: &str) -> bool {
        let fast = scan_record(json, &mut String::new());
        if let Some(fast) = &fast {
            let slow: Record = serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("scanned, but serde_json says {e}: {json}"));
            assert_eq!(fast, &slow, "{json}");
        }
        fast.is_some()
    }

    #[test]
    fn the_scanner_reads_records_as_serde_json_does() {
        let read = [
            r#"{"topic": "terrorism", "source": "New York Times - News", "bias": 0, "url": "http://x/y", "title": "A \"B\" C", "date": "2016-09-20", "authors": "N. R. K", "content_original": "One.\n\nTwo \\ \/ \t\r\b\f end", "source_url": "www.nytimes.com", "bias_text": "left", "ID": "004G"}"#,
            r#"{"text":"T","source_domain":"cnn.com","date_publish":"2017-09-15 00:00:00","url":"u","title":"t","language":null}"#,
            r#"  { "body" : "B" , "outlet":"None", "published":"", "x": -12, "y": true, "z": false }  "#,
            r#"{}"#,
            r#"{"text":"é “curly” €"}"#,
        ];
        for json in read {
            assert!(agrees(json), "not read by the scanner: {json}");
        }
        let left = [
            r#"{"text":"a","text":"b"}"#,
            r#"{"text":null,"text":"b"}"#,
            r#"{"text":"\u00e9"}"#,
            r#"{"date":2016}"#,
            r#"{"x":1.5,"text":"a"}"#,
            r#"{"x":01,"text":"a"}"#,
            r#"{"x":1e5,"text":"a"}"#,
            r#"{"authors":["a","b"],"text":"a"}"#,
            r#"{"meta":{"a":1},"text":"a"}"#,
            r#"{"text":"a",}"#,
            r#"{"text":"a"} x"#,
            r#"{"text":"a""#,
            r#"{"text":"a\x"}"#,
            "{\"text\":\"a\tb\"}",
            r#"{"te\u0078t":"a"}"#,
            r#"["text"]"#,
            r#"{"text":nul}"#,
            r#"{"text":nullx}"#,
            r#"{"x":-,"text":"a"}"#,
        ];
        for json in left {
            assert!(!agrees(json), "read by the scanner: {json}");
        }
    }

    proptest::proptest! {
        #[test]
        fn scanned_records_are_serde_json_records(
            members in proptest::collection::vec(
                (
                    "text|content_original|source|date|title|id|bias|authors|te\\\\u0078t",
                    "\"([a-z \\\\\"/nNo]|\\\\[\"\\\\/bfnrtu])*\"|null|true|false|-?[0-9]{1,3}|1\\.5|\\[\\]|None",
                    "[ \t\r\n]{0,2}",
                ),
                0..6,
            ),
            cut in 0usize..400,
        ) {
            let body: Vec<String> = members
                .iter()
                .map(|(k, v, ws)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}"))
                .collect();
            let json = format!("{{{}}}", body.join(","));
            agrees(&json);
            // Cut anywhere: the scanner must refuse what serde_json refuses.
            let cut = cut.min(json.len());
            if json.is_char_boundary(cut) {
                agrees(&json[..cut]);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn next_escape_finds_the_first_byte_to_escape(s in "[ a\"\\\\\\x00-\\x1f\\x7f-\\u{ff}é]{0,150}") {
            let b = s.as_bytes();
            let slow = b.iter().position(|&c| c < 0x20 || c == b'"' || c == b'\\');
            proptest::prop_assert_eq!(next_escape(b), slow);
        }
    }

    /// The scanner reads strings 64 bytes at a time: escapes on either side of a block's end,
    /// and a backslash that ends one block with the byte it escapes opening the next.
    #[test]
    fn escapes_across_blocks_are_read_as_serde_json_reads_them() {
        for pad in 0..140 {
            let pad = "a".repeat(pad);
            for esc in [r#"\""#, r#"\\"#, r#"\n"#, r#"\\\""#, r#"\/\t"#] {
                let json = format!(r#"{{"text":"{pad}{esc}{esc}x{esc}","title":"t{esc}"}}"#);
                assert!(agrees(&json), "{json}");
            }
            for bad in [
                format!(r#"{{"text":"{pad}\""#),
                format!(r#"{{"text":"{pad}\"#),
                format!("{{\"text\":\"{pad}\u{1}\"}}"),
                format!(r#"{{"text":"{pad}\x"}}"#),
            ] {
                assert!(!agrees(&bad), "{bad}");
            }
        }
    }

    proptest::proptest! {
        /// The one-pass reader of article text reads what the two passes read, wherever the
        /// escapes and the end fall against its blocks, and whatever follows the string.
        #[test]
        fn read_body_is_string_end_then_unescape(
            s in "(a{1,40}| |é|“|/|\"|\\\\[\"\\\\/bfnrtux]|\\\\|[\\x00-\\x1f]){0,30}",
            rest in "[\",} a]{0,40}",
            spare in 0usize..300,
        ) {
            let json = format!("\"{s}{rest}");
            let mut escapes = Vec::new();
            let two = string_end(json.as_bytes(), 1, &mut escapes).map(|end| {
                let mut out = String::new();
                unescape(&mut out, &json, 1, end, &escapes);
                (end, out)
            });
            let mut out = String::with_capacity(spare);
            let one = read_body(&json, 1, &mut out, &mut escapes).map(|end| (end, out));
            proptest::prop_assert_eq!(one, two);
        }
    }

    /// Lines the scanner reads skip the search for a NUL byte (`article_of_line`).
    #[test]
    fn the_scanner_refuses_a_nul_byte_anywhere() {
        let json = r#" {"text": "a\"b\nc", "x": null, "y": -1, "z": true, "title": "t"} "#;
        assert!(agrees(json));
        for at in 0..=json.len() {
            let mut with_nul = json.to_string();
            with_nul.insert(at, '\0');
            assert!(!agrees(&with_nul), "{with_nul:?}");
        }
    }

    #[test]
    fn malformed_and_bodiless_objects_are_errors() {
        assert!(matches!(
            parse("x".into(), "{\"text\": "),
            Err(InputError::Json { .. })
        ));
        assert!(matches!(
            parse("x".into(), "{\"title\": \"t\"}"),
            Err(InputError::MissingBody { .. })
        ));
    }
}
