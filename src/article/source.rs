//! Opening input paths and streaming articles out of them.
//!
//! Formats are told apart by name first (`.jsonl`, `.ndjson`, `.json`, `.gz`) and by content
//! where the name says nothing (stdin, an unknown `.gz`): gzip by its magic number, JSON Lines
//! by an opening `{`.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;

use super::{json, Article, InputError};

/// Articles over this size are reported and skipped, so that one runaway input cannot take the
/// memory the rest of the batch needs.
pub const DEFAULT_MAX_ARTICLE_BYTES: u64 = 16 << 20;

/// How inputs are read.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    pub max_article_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_article_bytes: DEFAULT_MAX_ARTICLE_BYTES,
        }
    }
}

/// Streams the articles of `paths` (files, directories walked recursively, or `-` for stdin).
///
/// ```no_run
/// use quotetrace::article::{read_inputs, ReadOptions};
///
/// for article in read_inputs(["fixtures"], ReadOptions::default()) {
///     match article {
///         Ok(a) => println!("{}: {} bytes", a.id, a.body.len()),
///         Err(e) => eprintln!("skipped: {e}"),
///     }
/// }
/// ```
pub fn read_inputs<I, P>(paths: I, options: ReadOptions) -> Inputs
where
    I: IntoIterator<Item = P>,
    P: AsRef<Path>,
{
    Inputs {
        pending: paths
            .into_iter()
            .map(|p| p.as_ref().to_path_buf())
            .collect(),
        walker: None,
        current: None,
        options,
        spare: String::new(),
    }
}

/// The iterator behind [`read_inputs`].
pub struct Inputs {
    pending: VecDeque<PathBuf>,
    walker: Option<walkdir::IntoIter>,
    current: Option<Stream>,
    options: ReadOptions,
    /// A former article's body, given back by [`Inputs::recycle`].
    spare: String,
}

/// Bodies given back to [`Inputs::recycle`] are kept up to this capacity: an exceptional
/// article is not kept in memory for the rest of the stream.
const MAX_SPARE: usize = 1 << 20;

impl Inputs {
    /// Gives back the body of an article once it is done with, so that the text of the next
    /// JSON Lines article is written into memory still in the CPU's cache: unescaped into a
    /// fresh allocation each time, it missed the 512 KiB cache on most writes (callgrind,
    /// 3,000 AllSides articles: 212k simulated last-level write misses in that copy, 43k
    /// with the body given back). Calling it is optional: without it, each body has memory
    /// of its own.
    pub fn recycle(&mut self, body: String) {
        if body.capacity() <= MAX_SPARE && body.capacity() > self.spare.capacity() {
            self.spare = body;
        }
    }
}

enum Stream {
    Lines(LineStream),
    Ready(VecDeque<Result<Article, InputError>>),
}

struct LineStream {
    name: String,
    reader: Box<dyn BufRead>,
    line: usize,
    seen_content: bool,
    gzip: bool,
    done: bool,
    /// The line being read, kept from line to line: growing a new buffer for each line
    /// copied every line several times over.
    buf: Vec<u8>,
}

impl Iterator for Inputs {
    type Item = Result<Article, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(stream) = &mut self.current {
                let item = match stream {
                    Stream::Lines(lines) => {
                        lines.next_article(self.options.max_article_bytes, &mut self.spare)
                    }
                    Stream::Ready(items) => items.pop_front(),
                };
                if item.is_some() {
                    return item;
                }
                self.current = None;
            }
            if let Some(walker) = &mut self.walker {
                match walker.next() {
                    Some(Ok(entry)) => {
                        if entry.file_type().is_file() && wanted_in_walk(entry.path()) {
                            if let Err(e) = self.open(entry.path()) {
                                return Some(Err(e));
                            }
                        }
                        continue;
                    }
                    Some(Err(e)) => {
                        let path = e
                            .path()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default();
                        return Some(Err(InputError::Io {
                            path,
                            source: io::Error::other(e.to_string()),
                        }));
                    }
                    None => self.walker = None,
                }
            }
            let path = self.pending.pop_front()?;
            if path.as_os_str() == "-" {
                let stdin: Box<dyn BufRead> = Box::new(BufReader::new(io::stdin()));
                match sniff(stdin, "-".to_string(), None, self.options) {
                    Ok(stream) => self.current = Some(stream),
                    Err(e) => return Some(Err(e)),
                }
            } else if path.is_dir() {
                self.walker = Some(
                    walkdir::WalkDir::new(&path)
                        .follow_links(true)
                        .sort_by_file_name()
                        .into_iter(),
                );
            } else if let Err(e) = self.open(&path) {
                return Some(Err(e));
            }
        }
    }
}

/// In a walked directory only article-like files are read, so that a folder of articles with
/// annotation files or images beside them just works.
fn wanted_in_walk(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with('.') {
        return false;
    }
    match path.extension().and_then(|e| e.to_str()) {
        None => true,
        Some(ext) => matches!(
            ext.to_ascii_lowercase().as_str(),
            "txt" | "text" | "md" | "json" | "jsonl" | "ndjson" | "gz"
        ),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Lines,
    Document,
    Text,
}

fn format_by_name(name: &str) -> Option<Format> {
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
    if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
        Some(Format::Lines)
    } else if lower.ends_with(".json") {
        Some(Format::Document)
    } else if lower.ends_with(".txt") || lower.ends_with(".text") || lower.ends_with(".md") {
        Some(Format::Text)
    } else {
        None
    }
}

impl Inputs {
    fn open(&mut self, path: &Path) -> Result<(), InputError> {
        let name = path.display().to_string();
        let io_err = |source| InputError::Io {
            path: name.clone(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        let reader: Box<dyn BufRead> = Box::new(BufReader::with_capacity(1 << 16, file));
        self.current = Some(sniff(
            reader,
            name.clone(),
            format_by_name(&name),
            self.options,
        )?);
        Ok(())
    }
}

/// Decides the format of an opened input and makes its stream.
fn sniff(
    mut reader: Box<dyn BufRead>,
    name: String,
    by_name: Option<Format>,
    options: ReadOptions,
) -> Result<Stream, InputError> {
    let io_err = |source| InputError::Io {
        path: name.clone(),
        source,
    };
    let head = reader.fill_buf().map_err(io_err)?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    if gzip {
        // The `bufread` decoder reads the already buffered input in place (the `read` one
        // copies it through a buffer of its own), and a large output buffer lets the inflater
        // copy less through its 32 KiB window: each call ends by saving its last 32 KiB there.
        reader = Box::new(BufReader::with_capacity(
            1 << 18,
            MultiGzDecoder::new(reader),
        ));
    }
    let format = match by_name {
        Some(f) => f,
        None => {
            let head = reader.fill_buf().map_err(|e| InputError::Gzip {
                path: name.clone(),
                line: 0,
                message: e.to_string(),
            })?;
            match head.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') => Format::Lines,
                Some(b'[') => Format::Document,
                _ => Format::Text,
            }
        }
    };
    if format == Format::Lines {
        return Ok(Stream::Lines(LineStream {
            name,
            reader,
            line: 0,
            seen_content: false,
            gzip,
            done: false,
            buf: Vec::new(),
        }));
    }
    let bytes = read_limited(&mut reader, options.max_article_bytes).map_err(|e| {
        if gzip {
            InputError::Gzip {
                path: name.clone(),
                line: 0,
                message: e.to_string(),
            }
        } else {
            io_err(e)
        }
    })?;
    let text = match bytes {
        Limited::All(bytes) => checked_text(&name, bytes)?,
        Limited::Over(size) => {
            return Err(InputError::TooLarge {
                id: name,
                size,
                limit: options.max_article_bytes,
            })
        }
    };
    let items = match format {
        Format::Document => json::parse_document(&name, &text),
        _ => vec![Article::from_text(&name, &text)],
    };
    Ok(Stream::Ready(items.into()))
}

enum Limited {
    All(Vec<u8>),
    /// Too large: the total size, read to the end without keeping it.
    Over(u64),
}

fn read_limited(reader: &mut dyn BufRead, limit: u64) -> io::Result<Limited> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 <= limit {
        return Ok(Limited::All(bytes));
    }
    let rest = io::copy(reader, &mut io::sink())?;
    Ok(Limited::Over(bytes.len() as u64 + rest))
}

/// Rejects what is not text: empty input, binary content, invalid UTF-8.
fn checked_text(id: &str, bytes: Vec<u8>) -> Result<String, InputError> {
    checked_str(id, &bytes)?;
    Ok(String::from_utf8(bytes).expect("checked above"))
}

/// [`checked_text`] on borrowed bytes.
fn checked_str<'a>(id: &str, bytes: &'a [u8]) -> Result<&'a str, InputError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(InputError::Empty { id: id.to_string() });
    }
    if let Some(offset) = memchr::memchr(0, bytes) {
        return Err(InputError::Binary {
            id: id.to_string(),
            offset,
        });
    }
    // Checked with SIMD (std's check was 1.3% of all extraction time), and again by std
    // only when that fails, for the offset of the first bad byte.
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes).map_err(|e| InputError::InvalidUtf8 {
            id: id.to_string(),
            offset: e.valid_up_to(),
        }),
    }
}

impl LineStream {
    fn next_article(
        &mut self,
        limit: u64,
        spare: &mut String,
    ) -> Option<Result<Article, InputError>> {
        let mut buf = std::mem::take(&mut self.buf);
        let item = self.next_in(limit, &mut buf, spare);
        // An exceptional line is not kept in memory for the rest of the stream.
        if buf.capacity() > 1 << 20 {
            buf = Vec::new();
        }
        self.buf = buf;
        item
    }

    fn next_in(
        &mut self,
        limit: u64,
        buf: &mut Vec<u8>,
        spare: &mut String,
    ) -> Option<Result<Article, InputError>> {
        while !self.done {
            // Nearly every line lies whole in the reader's buffer: it is read there, in place.
            // Only a line across the buffer's end is copied out, by `read_line_limited`.
            match self.reader.fill_buf() {
                // The end, not asked twice: a terminal would wait for more.
                Ok([]) => return self.end(),
                Ok(chunk) => {
                    if let Some(n) = memchr::memchr(b'\n', chunk).filter(|&n| n as u64 <= limit) {
                        self.line += 1;
                        let line = chunk[..n].strip_suffix(b"\r").unwrap_or(&chunk[..n]);
                        let item = article_of_line(&self.name, self.line, line, spare);
                        self.reader.consume(n + 1);
                        match item {
                            Some(item) => return Some(self.seen(item)),
                            None => continue,
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Not read again: a decoder that failed once may not fail the same way twice.
                Err(e) => {
                    self.line += 1;
                    return Some(Err(self.read_error(e)));
                }
            }
            buf.clear();
            let read = read_line_limited(&mut self.reader, buf, limit);
            self.line += 1;
            match read {
                Err(e) => return Some(Err(self.read_error(e))),
                Ok(LineRead::End) => return self.end(),
                Ok(LineRead::TooLong(size)) => {
                    self.seen_content = true;
                    let id = format!("{}:{}", self.name, self.line);
                    return Some(Err(InputError::TooLarge { id, size, limit }));
                }
                Ok(LineRead::Line) => {
                    if let Some(item) = article_of_line(&self.name, self.line, buf, spare) {
                        return Some(self.seen(item));
                    }
                }
            }
        }
        None
    }

    /// Ends the stream: an input with no article at all is an error of its own.
    fn end(&mut self) -> Option<Result<Article, InputError>> {
        self.done = true;
        (!self.seen_content).then(|| {
            Err(InputError::Empty {
                id: self.name.clone(),
            })
        })
    }

    /// Notes that the stream had content, and stops it at a binary line: a binary file read
    /// as lines would give one error per chunk.
    fn seen(&mut self, item: Result<Article, InputError>) -> Result<Article, InputError> {
        self.seen_content = true;
        if matches!(item, Err(InputError::Binary { .. })) {
            self.done = true;
        }
        item
    }

    /// The error that ends the stream when line `self.line` cannot be read.
    fn read_error(&mut self, e: io::Error) -> InputError {
        self.done = true;
        if self.gzip {
            InputError::Gzip {
                path: self.name.clone(),
                line: self.line - 1,
                message: e.to_string(),
            }
        } else {
            InputError::Io {
                path: format!("{}:{}", self.name, self.line),
                source: e,
            }
        }
    }
}

/// The article on line `line` of the input `name`, or `None` for a blank line.
fn article_of_line(
    name: &str,
    line: usize,
    bytes: &[u8],
    spare: &mut String,
) -> Option<Result<Article, InputError>> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return None;
    }
    // Sized at once: `format!` grew it twice.
    let mut digits = itoa::Buffer::new();
    let line = digits.format(line);
    let mut id = String::with_capacity(name.len() + 1 + line.len());
    id.push_str(name);
    id.push(':');
    id.push_str(line);
    // The scanner refuses any NUL byte, so only lines it leaves to serde_json are searched
    // for one (2.4 M instructions of 1,156 M, callgrind, 3,000 AllSides articles); binary
    // lines keep their message, invalid UTF-8 too.
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        if let Some(record) = json::scan_record(text, spare) {
            return Some(json::article(id, record));
        }
    }
    // Text that passes `checked_str` passed the check above, so the scanner has had it.
    Some(match checked_str(&id, bytes) {
        Ok(text) => json::parse_with_serde(id, text),
        Err(e) => Err(e),
    })
}

enum LineRead {
    Line,
    End,
    TooLong(u64),
}

/// Reads one line into `buf`, without its newline, keeping at most `limit` bytes in memory:
/// a longer line is read to its end, counted and dropped.
fn read_line_limited(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    limit: u64,
) -> io::Result<LineRead> {
    let mut total: u64 = 0;
    let mut any = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, found) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        total += take as u64;
        if total <= limit {
            buf.extend_from_slice(&chunk[..take]);
        } else if !buf.is_empty() {
            *buf = Vec::new();
        }
        reader.consume(take + usize::from(found));
        if found {
            break;
        }
    }
    if !any {
        return Ok(LineRead::End);
    }
    if total > limit {
        return Ok(LineRead::TooLong(total));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(LineRead::Line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_counted_not_kept() {
        let data = format!("{}\nshort\n", "x".repeat(100));
        let mut r: Box<dyn BufRead> = Box::new(BufReader::with_capacity(8, data.as_bytes()));
        let mut buf = Vec::new();
        assert!(matches!(
            read_line_limited(&mut r, &mut buf, 10).unwrap(),
            LineRead::TooLong(100)
        ));
        buf.clear();
        assert!(matches!(
            read_line_limited(&mut r, &mut buf, 10).unwrap(),
            LineRead::Line
        ));
        assert_eq!(buf, b"short");
        assert!(matches!(
            read_line_limited(&mut r, &mut buf, 10).unwrap(),
            LineRead::End
        ));
    }
}
