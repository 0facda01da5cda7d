//! `quotetrace extract`: quotes, speakers, cues, channels and credits of articles.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::article::{
    next_escape, read_inputs, Article, Meta, ReadOptions, DEFAULT_MAX_ARTICLE_BYTES,
};
use crate::parse::{self, Quote, QuoteRef, SpanRef};

/// Find every quotation in articles, with its speaker, cue, channel and credits.
#[derive(Debug, Clone, Args)]
pub struct ExtractArgs {
    /// Input files or directories (walked recursively), `-` for stdin: plain text with an
    /// optional front-matter header, JSON Lines (optionally gzipped), or news-please JSON.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format: `table` for people, `jsonl` one object per quote (the scoring contract),
    /// `json` one document with every article's metadata and quotes.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Skip (and report) any article larger than this many bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_ARTICLE_BYTES, value_name = "BYTES")]
    pub max_article_bytes: u64,
    /// Print nothing on stderr but errors (no closing summary).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Jsonl,
}

/// The article half of a JSON Lines record, as serde derives it: the reference that
/// [`write_head`] is tested against.
#[cfg(test)]
#[derive(Serialize)]
struct ArticleHead<'a> {
    article: &'a str,
    outlet: &'a Option<String>,
    url: &'a Option<String>,
    published: &'a Option<String>,
    title: &'a Option<String>,
    lang: &'a Option<String>,
}

/// The quote half of a JSON Lines record, as serde derives it: the reference that
/// [`write_quote_fields`] is tested against.
#[cfg(test)]
#[derive(Serialize)]
struct QuoteFields<'a> {
    quote: &'a crate::parse::Span,
    kind: crate::parse::QuoteKind,
    speaker: &'a Option<crate::parse::Speaker>,
    cue: &'a Option<crate::parse::Span>,
    channel: &'a Option<crate::parse::Span>,
    credits: &'a [crate::parse::Credit],
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<usize>,
    closed: bool,
}

#[cfg(test)]
impl<'a> QuoteFields<'a> {
    fn new(q: &'a Quote) -> Self {
        QuoteFields {
            quote: &q.quote,
            kind: q.kind,
            speaker: &q.speaker,
            cue: &q.cue,
            channel: &q.channel,
            credits: &q.credits,
            parent: q.parent,
            closed: q.closed,
        }
    }
}

/// Appends the article half of a JSON Lines record as [`ArticleHead`] serializes it, without
/// its closing brace, then a comma: the quote's fields follow. The same for every quote of an
/// article, so it is written once per article (long URLs and titles made up half the output
/// work), and by hand: serde_json's map serializer with its own buffer per article cost 10.8 M
/// instructions, this 2.2 M (callgrind, 3,000 AllSides articles).
fn write_head(out: &mut Vec<u8>, id: &str, m: &Meta) {
    out.extend_from_slice(b"{\"article\":");
    string(out, id);
    for (key, value) in [
        (&b",\"outlet\":"[..], &m.outlet),
        (b",\"url\":", &m.url),
        (b",\"published\":", &m.published),
        (b",\"title\":", &m.title),
        (b",\"lang\":", &m.lang),
    ] {
        out.extend_from_slice(key);
        match value {
            Some(v) => string(out, v),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b',');
}

/// Appends the fields of `q` as [`QuoteFields`] serializes them, without the opening brace.
/// Written by hand because serde's per-field machinery was a fifth of all extraction work;
/// the test `hand_written_json_is_serde_json` holds the two to the same bytes.
fn write_quote_fields(out: &mut Vec<u8>, q: &QuoteRef) {
    fn span(out: &mut Vec<u8>, s: &SpanRef) {
        out.extend_from_slice(b"{\"start\":");
        out.extend_from_slice(itoa::Buffer::new().format(s.start).as_bytes());
        out.extend_from_slice(b",\"end\":");
        out.extend_from_slice(itoa::Buffer::new().format(s.end).as_bytes());
        out.extend_from_slice(b",\"text\":");
        string(out, s.text);
        out.push(b'}');
    }
    fn opt_span(out: &mut Vec<u8>, s: &Option<SpanRef>) {
        match s {
            Some(s) => span(out, s),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.extend_from_slice(b"\"quote\":");
    span(out, &q.quote);
    out.extend_from_slice(match q.kind {
        parse::QuoteKind::Full => b",\"kind\":\"full\"",
        parse::QuoteKind::Partial => b",\"kind\":\"partial\"",
        parse::QuoteKind::Term => b",\"kind\":\"term\"",
    });
    out.extend_from_slice(b",\"speaker\":");
    match &q.speaker {
        Some(sp) => {
            out.extend_from_slice(b"{\"name\":");
            string(out, sp.name);
            out.extend_from_slice(b",\"mention\":");
            span(out, &sp.mention);
            out.push(b'}');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"cue\":");
    opt_span(out, &q.cue);
    out.extend_from_slice(b",\"channel\":");
    opt_span(out, &q.channel);
    out.extend_from_slice(b",\"credits\":[");
    for (k, c) in q.credits().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"outlet\":");
        string(out, &c.outlet);
        out.extend_from_slice(b",\"phrase\":");
        string(out, &c.phrase);
        out.extend_from_slice(b",\"start\":");
        out.extend_from_slice(itoa::Buffer::new().format(c.start).as_bytes());
        out.extend_from_slice(b",\"end\":");
        out.extend_from_slice(itoa::Buffer::new().format(c.end).as_bytes());
        out.extend_from_slice(match c.scope {
            parse::CreditScope::Sentence => b",\"scope\":\"sentence\"}",
            parse::CreditScope::Article => b",\"scope\":\"article\"}",
        });
    }
    out.push(b']');
    if let Some(p) = q.parent {
        out.extend_from_slice(b",\"parent\":");
        out.extend_from_slice(itoa::Buffer::new().format(p).as_bytes());
    }
    out.extend_from_slice(if q.closed {
        b",\"closed\":true}"
    } else {
        b",\"closed\":false}"
    });
}

/// A JSON string, escaped as serde_json escapes it: `"`, `\\` and control characters only.
fn string(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut from = 0;
    let mut i = 0;
    while let Some(k) = next_escape(&b[i..]) {
        i += k;
        let c = b[i];
        out.extend_from_slice(&b[from..i]);
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 0xf)]);
            }
        }
        i += 1;
        from = i;
    }
    out.extend_from_slice(&b[from..]);
    out.push(b'"');
}

/// How many bytes of JSON Lines are gathered before they are written out.
const LINES_BUFFER: usize = 1 << 16;

#[derive(Serialize)]
struct ArticleRecord<'a> {
    article: &'a str,
    meta: &'a Meta,
    quotes: &'a [Quote],
}

pub fn run(args: &ExtractArgs) -> anyhow::Result<i32> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match write_all(args, &mut out) {
        Ok(code) => Ok(code),
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(e.into()),
    }
}

fn write_all(args: &ExtractArgs, out: &mut impl Write) -> io::Result<i32> {
    let options = ReadOptions {
        max_article_bytes: args.max_article_bytes,
    };
    let (mut articles, mut quotes, mut skipped) = (0usize, 0usize, 0usize);
    // JSON Lines are written straight into one buffer, then to `out` when it is full: a
    // buffer per line, copied into `out`'s own, copied every line once more.
    let mut lines: Vec<u8> = Vec::new();
    let mut head: Vec<u8> = Vec::new();
    if args.format == Format::Json {
        out.write_all(b"[")?;
    }
    let mut inputs = read_inputs(&args.paths, options);
    while let Some(item) = inputs.next() {
        let mut article: Article = match item {
            Ok(a) => a,
            Err(e) => {
                skipped += 1;
                eprintln!("quotetrace: skipped {e}");
                continue;
            }
        };
        if args.format == Format::Jsonl {
            // Streamed: each quote is written as soon as its paragraph is done, so an article
            // of millions of quotes never sits in memory.
            // One flat object per quote: the article head without its closing brace, then the
            // quote's fields without their opening one. The head is written as it is before
            // each quote, not copied into the quote's line first (it is half of each line).
            head.clear();
            write_head(&mut head, &article.id, &article.meta);
            let mut written = 0usize;
            let mut failed: Option<io::Error> = None;
            // A bug in the grammar must cost one article, not the batch.
            let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                parse::extract_each(&article.body, |q| {
                    if failed.is_some() {
                        return;
                    }
                    lines.extend_from_slice(&head);
                    write_quote_fields(&mut lines, q);
                    lines.push(b'\n');
                    written += 1;
                    if lines.len() >= LINES_BUFFER {
                        failed = out.write_all(&lines).err();
                        lines.clear();
                    }
                })
            }));
            // Its memory takes the next article's text while still in the cache.
            inputs.recycle(std::mem::take(&mut article.body));
            if let Some(e) = failed {
                return Err(e);
            }
            quotes += written;
            if parsed.is_err() {
                skipped += 1;
                eprintln!(
                    "quotetrace: skipped the rest of {} after {written} quotes: internal error while parsing (please report it)",
                    article.id
                );
                continue;
            }
            articles += 1;
            continue;
        }
        // A bug in the grammar must cost one article, not the batch.
        let found = match std::panic::catch_unwind(|| parse::extract(&article.body)) {
            Ok(found) => found,
            Err(_) => {
                skipped += 1;
                eprintln!(
                    "quotetrace: skipped {}: internal error while parsing (please report it)",
                    article.id
                );
                continue;
            }
        };
        match args.format {
            Format::Jsonl => unreachable!("streamed above"),
            Format::Json => {
                if articles > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(b"\n")?;
                serde_json::to_writer_pretty(
                    &mut *out,
                    &ArticleRecord {
                        article: &article.id,
                        meta: &article.meta,
                        quotes: &found,
                    },
                )?;
            }
            Format::Table => write_table(out, &article, &found)?,
        }
        articles += 1;
        quotes += found.len();
        inputs.recycle(article.body);
    }
    out.write_all(&lines)?;
    if args.format == Format::Json {
        out.write_all(b"\n]\n")?;
    }
    out.flush()?;
    if !args.quiet {
        eprintln!("quotetrace: {articles} articles, {quotes} quotes, {skipped} inputs skipped");
    }
    Ok(if articles == 0 && skipped > 0 {
        2
    } else if quotes == 0 {
        1
    } else {
        0
    })
}

fn clip(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

fn write_table(out: &mut impl Write, article: &Article, quotes: &[Quote]) -> io::Result<()> {
    let m = &article.meta;
    let about = [m.outlet.as_deref(), m.published.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    writeln!(out, "== {} ({about}) — {} quotes", article.id, quotes.len())?;
    for q in quotes {
        let speaker = q.speaker.as_ref().map_or("-".to_string(), |s| {
            if s.name == s.mention.text {
                s.name.clone()
            } else {
                format!("{} ({})", s.name, s.mention.text)
            }
        });
        let cue = q.cue.as_ref().map_or("-", |c| c.text.as_str());
        let mut extra = Vec::new();
        if let Some(c) = &q.channel {
            extra.push(format!("channel: {}", c.text));
        }
        for c in &q.credits {
            extra.push(format!("credit: {} [{}]", c.outlet, c.phrase));
        }
        let kind = format!("{:?}", q.kind).to_lowercase();
        writeln!(
            out,
            "  {:>6}  {kind:<7}  {:<24}  {:<10}  “{}”",
            q.quote.start,
            clip(&speaker, 24),
            clip(cue, 10),
            clip(&q.quote.text, 90)
        )?;
        if !extra.is_empty() {
            writeln!(out, "  {:>6}  {:<7}  {}", "", "", extra.join("; "))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_fields(q: &Quote) -> Vec<u8> {
        serde_json::to_vec(&QuoteFields::new(q)).unwrap()[1..].to_vec()
    }

    #[test]
    fn hand_written_json_is_serde_json() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        let mut checked = 0;
        for entry in walkdir::WalkDir::new(dir) {
            let entry = entry.unwrap();
            if !entry.file_type().is_file() {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            parse::extract_each(&text, |q| {
                let mut mine = Vec::new();
                write_quote_fields(&mut mine, q);
                assert_eq!(
                    String::from_utf8(mine).unwrap(),
                    String::from_utf8(serde_fields(&q.to_quote())).unwrap()
                );
                checked += 1;
            });
        }
        assert!(checked > 100, "{checked}");
    }

    proptest::proptest! {
        #[test]
        fn hand_written_head_is_serde_json(
            id in "\\PC*|[\\x00-\\x1f\"\\\\a é]*",
            fields in proptest::collection::vec(
                proptest::option::of("\\PC{0,40}|[\\x00-\\x1f\"\\\\a é]{0,40}"),
                5,
            ),
        ) {
            let m = Meta {
                outlet: fields[0].clone(),
                url: fields[1].clone(),
                published: fields[2].clone(),
                title: fields[3].clone(),
                lang: fields[4].clone(),
            };
            let mut mine = Vec::new();
            write_head(&mut mine, &id, &m);
            let mut serde = serde_json::to_vec(&ArticleHead {
                article: &id,
                outlet: &m.outlet,
                url: &m.url,
                published: &m.published,
                title: &m.title,
                lang: &m.lang,
            })
            .unwrap();
            serde.pop();
            serde.push(b',');
            proptest::prop_assert_eq!(mine, serde);
        }
    }

    proptest::proptest! {
        #[test]
        fn strings_escape_as_serde_json(s in "\\PC*|[\\x00-\\x1f\"\\\\a é]*") {
            let mut mine = Vec::new();
            string(&mut mine, &s);
            proptest::prop_assert_eq!(mine, serde_json::to_vec(&s).unwrap());
        }
    }
}
