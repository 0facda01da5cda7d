//! CLI tests of `quotetrace extract`: every input format, the JSON Lines contract, bad input and
//! exit codes. Inputs are built in temporary directories, never committed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use flate2::write::GzEncoder;
use flate2::Compression;
use predicates::prelude::*;
use serde_json::{json, Value};
use tempfile::TempDir;

/// A body with a quote whose speaker, cue, channel and credits are all stated, and multibyte
/// marks so that a byte/char mix-up in offsets shows.
const BODY: &str = "BOGOTA (AP) — “We will not back down,” Colombian President Gustavo Petro \
wrote in a statement.\n\nThe family said the strikes were “extrajudicial executions,” as \
reported by Al Jazeera.\n\n“All levels of law enforcement intelligence are working,” he told \
reporters.\n";

/// A body with no quotation at all.
const NO_QUOTES: &str = "The weather was mild today and nobody spoke to anyone about it.\n";

fn qt() -> Command {
    let mut cmd = Command::cargo_bin("quotetrace").unwrap();
    // Keep the tests independent of a user's environment (e.g. clap `env` defaults).
    cmd.env_clear();
    cmd
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// One JSON line, built by serde_json so that bodies are escaped correctly.
fn line(v: Value) -> String {
    let mut s = serde_json::to_string(&v).unwrap();
    s.push('\n');
    s
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().expect("exited normally, not by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn extract(format: &str, paths: &[&Path]) -> Run {
    run(qt().arg("extract").args(["--format", format]).args(paths))
}

fn jsonl_records(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// The quote texts of `--format jsonl` records that came from `article`.
fn quotes_of<'a>(records: &'a [Value], article: &str) -> Vec<&'a str> {
    records
        .iter()
        .filter(|r| r["article"] == article)
        .map(|r| r["quote"]["text"].as_str().unwrap())
        .collect()
}

/// Checks that a `{start, end, text}` span is exactly `body[start..end]`.
fn check_span(body: &str, span: &Value, what: &str) {
    let start = span["start"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}: start")) as usize;
    let end = span["end"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}: end")) as usize;
    let text = span["text"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: text"));
    assert!(start <= end && end <= body.len(), "{what}: {start}..{end}");
    assert_eq!(
        body.get(start..end),
        Some(text),
        "{what}: body[{start}..{end}] differs from the reported text"
    );
}

// ---------------------------------------------------------------- input formats

#[test]
fn text_with_front_matter_gives_meta_and_body_relative_offsets() {
    let dir = TempDir::new().unwrap();
    let header = "---\noutlet: Associated Press\npublished: 2025-11-12T10:00:00Z\n\
                  title: Petro answers\nurl: https://example.org/a\nlang: en\n---\n";
    let path = write(dir.path(), "a.txt", format!("{header}{BODY}"));
    let r = extract("json", &[&path]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let articles = doc.as_array().unwrap();
    assert_eq!(articles.len(), 1);
    let a = &articles[0];
    assert_eq!(a["article"], path.display().to_string());
    assert_eq!(a["meta"]["outlet"], "Associated Press");
    assert_eq!(a["meta"]["published"], "2025-11-12T10:00:00Z");
    assert_eq!(a["meta"]["title"], "Petro answers");
    assert_eq!(a["meta"]["url"], "https://example.org/a");
    assert_eq!(a["meta"]["lang"], "en");
    let quotes = a["quotes"].as_array().unwrap();
    assert_eq!(quotes.len(), 3);
    // Offsets are into the body after the header: slicing BODY (not the file) must give the text.
    for q in quotes {
        check_span(BODY, &q["quote"], "quote");
    }
    let first = &quotes[0]["quote"];
    assert_eq!(first["text"], "We will not back down,");
    assert_eq!(
        first["start"].as_u64().unwrap() as usize,
        BODY.find("We will").unwrap()
    );
}

#[test]
fn text_without_front_matter_has_empty_meta() {
    let dir = TempDir::new().unwrap();
    let path = write(dir.path(), "plain.txt", BODY);
    let r = extract("json", &[&path]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc[0]["meta"]["outlet"], Value::Null);
    assert_eq!(doc[0]["meta"]["published"], Value::Null);
    assert_eq!(doc[0]["quotes"].as_array().unwrap().len(), 3);
}

#[test]
fn bad_front_matter_is_reported_and_skipped() {
    let dir = TempDir::new().unwrap();
    let bad = write(
        dir.path(),
        "bad.txt",
        format!("---\npublished: last week\n---\n{BODY}"),
    );
    let good = write(dir.path(), "good.txt", BODY);
    let r = extract("jsonl", &[&bad, &good]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains(&bad.display().to_string()),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("front matter"), "{}", r.stderr);
    let records = jsonl_records(&r.stdout);
    assert_eq!(quotes_of(&records, &good.display().to_string()).len(), 3);
    assert!(quotes_of(&records, &bad.display().to_string()).is_empty());
}

/// The three field layouts of JSON Lines, one per line, in one file.
fn three_layouts() -> String {
    let mut s = String::new();
    s += &line(json!({
        "text": BODY, "source_domain": "apnews.com", "date_publish": "2025-11-12 10:00:00",
        "url": "https://apnews.com/x", "title": "news-please title", "language": null
    }));
    s += &line(json!({
        "content_original": BODY, "source": "New York Times - News", "date": "2016-09-20",
        "authors": ["Someone"]
    }));
    s += &line(json!({ "body": BODY, "outlet": "Reuters", "published": "2025-11-13" }));
    s
}

fn check_three_layouts(records: &[Value], name: &str) {
    let expect = [
        ("apnews.com", "2025-11-12 10:00:00"),
        ("New York Times - News", "2016-09-20"),
        ("Reuters", "2025-11-13"),
    ];
    for (i, (outlet, published)) in expect.iter().enumerate() {
        let id = format!("{name}:{}", i + 1);
        let mine: Vec<&Value> = records.iter().filter(|r| r["article"] == id).collect();
        assert_eq!(mine.len(), 3, "quotes of {id}");
        for r in mine {
            assert_eq!(r["outlet"], *outlet, "{id}");
            assert_eq!(r["published"], *published, "{id}");
            check_span(BODY, &r["quote"], "quote");
        }
    }
    let np = records
        .iter()
        .find(|r| r["article"] == format!("{name}:1"))
        .unwrap();
    assert_eq!(np["url"], "https://apnews.com/x");
    assert_eq!(np["title"], "news-please title");
}

#[test]
fn jsonl_reads_news_please_allsides_and_plain_fields() {
    let dir = TempDir::new().unwrap();
    let path = write(dir.path(), "mixed.jsonl", three_layouts());
    let r = extract("jsonl", &[&path]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    check_three_layouts(&jsonl_records(&r.stdout), &path.display().to_string());
}

#[test]
fn gzipped_jsonl_is_read() {
    let dir = TempDir::new().unwrap();
    let path = write(
        dir.path(),
        "mixed.jsonl.gz",
        gzip(three_layouts().as_bytes()),
    );
    let r = extract("jsonl", &[&path]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    check_three_layouts(&jsonl_records(&r.stdout), &path.display().to_string());
}

#[test]
fn news_please_json_file_is_read() {
    let dir = TempDir::new().unwrap();
    let doc = json!({
        "authors": [], "date_download": "2017-09-16T00:00:00", "date_modify": null,
        "date_publish": "2017-09-15T00:00:00", "description": "d", "filename": "f.json",
        "image_url": null, "language": "en", "localpath": null,
        "source_domain": "africa.chinadaily.com.cn", "text": BODY, "title": "A title",
        "title_page": null, "title_rss": null, "url": "http://example.com/a"
    });
    let path = write(
        dir.path(),
        "article.json",
        serde_json::to_string_pretty(&doc).unwrap(),
    );
    let r = extract("json", &[&path]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    let a = &out[0];
    assert_eq!(a["meta"]["outlet"], "africa.chinadaily.com.cn");
    assert_eq!(a["meta"]["published"], "2017-09-15T00:00:00");
    assert_eq!(a["meta"]["title"], "A title");
    assert_eq!(a["meta"]["lang"], "en");
    assert_eq!(a["quotes"].as_array().unwrap().len(), 3);
}

#[test]
fn directory_is_walked_recursively() {
    let dir = TempDir::new().unwrap();
    let a = write(dir.path(), "a.txt", BODY);
    let b = write(
        dir.path(),
        "sub/b.jsonl",
        line(json!({"text": BODY, "source_domain": "cnn.com"})),
    );
    let c = write(dir.path(), "sub/deeper/c.txt", BODY);
    // Files that are not articles are left alone in a walk.
    write(
        dir.path(),
        "sub/picture.png",
        [0x89u8, b'P', b'N', b'G', 0, 0],
    );
    let r = extract("jsonl", &[dir.path()]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(!r.stderr.contains("picture.png"), "{}", r.stderr);
    let records = jsonl_records(&r.stdout);
    assert_eq!(quotes_of(&records, &a.display().to_string()).len(), 3);
    assert_eq!(quotes_of(&records, &format!("{}:1", b.display())).len(), 3);
    assert_eq!(quotes_of(&records, &c.display().to_string()).len(), 3);
    assert_eq!(records.len(), 9);
}

#[test]
fn stdin_text() {
    let r = run(qt()
        .args(["extract", "--format", "jsonl", "-"])
        .write_stdin(format!("---\noutlet: AP\n---\n{BODY}")));
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let records = jsonl_records(&r.stdout);
    assert_eq!(quotes_of(&records, "-").len(), 3);
    for rec in &records {
        assert_eq!(rec["outlet"], "AP");
        check_span(BODY, &rec["quote"], "quote");
    }
}

#[test]
fn stdin_json_lines() {
    let input = three_layouts();
    let r = run(qt()
        .args(["extract", "--format", "jsonl", "-"])
        .write_stdin(input));
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    check_three_layouts(&jsonl_records(&r.stdout), "-");
}

#[test]
fn stdin_gzipped_json_lines() {
    let r = run(qt()
        .args(["extract", "--format", "jsonl", "-"])
        .write_stdin(gzip(three_layouts().as_bytes())));
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    check_three_layouts(&jsonl_records(&r.stdout), "-");
}

#[test]
fn table_format_is_human_readable() {
    let dir = TempDir::new().unwrap();
    let path = write(dir.path(), "a.txt", format!("---\noutlet: AP\n---\n{BODY}"));
    qt().arg("extract")
        .arg(&path)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("3 quotes"))
        .stdout(predicate::str::contains("Gustavo Petro"))
        .stdout(predicate::str::contains("We will not back down"))
        .stdout(predicate::str::contains("credit: Al Jazeera"));
}

// ---------------------------------------------------------------- the JSON Lines contract

#[test]
fn jsonl_records_follow_the_contract_and_slice_the_body() {
    let dir = TempDir::new().unwrap();
    let path = write(dir.path(), "a.txt", BODY);
    let r = extract("jsonl", &[&path]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let records = jsonl_records(&r.stdout);
    assert_eq!(records.len(), 3);
    // Read the body back from disk, as a scorer would, and slice it by bytes.
    let body = fs::read_to_string(&path).unwrap();
    for rec in &records {
        assert_eq!(rec["article"], path.display().to_string());
        check_span(&body, &rec["quote"], "quote");
        let kind = rec["kind"].as_str().expect("kind is a string");
        assert!(["full", "partial", "term"].contains(&kind), "kind {kind}");
        match &rec["speaker"] {
            Value::Null => {}
            s => {
                assert!(s["name"].as_str().is_some_and(|n| !n.is_empty()), "{s}");
                check_span(&body, &s["mention"], "speaker.mention");
            }
        }
        match &rec["cue"] {
            Value::Null => {}
            c => check_span(&body, c, "cue"),
        }
        match &rec["channel"] {
            Value::Null => {}
            c => check_span(&body, c, "channel"),
        }
        for c in rec["credits"].as_array().expect("credits is a list") {
            assert!(c["outlet"].as_str().is_some_and(|o| !o.is_empty()), "{c}");
            let (s, e) = (
                c["start"].as_u64().unwrap() as usize,
                c["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(body.get(s..e), c["phrase"].as_str(), "credit {c}");
        }
    }
    // What the body states, the records carry.
    let first = &records[0];
    assert_eq!(first["quote"]["text"], "We will not back down,");
    assert_eq!(first["kind"], "full");
    assert_eq!(first["speaker"]["name"], "Gustavo Petro");
    assert_eq!(first["cue"]["text"], "wrote");
    assert_eq!(first["channel"]["text"], "in a statement");
    let outlets = |r: &Value| -> Vec<String> {
        r["credits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["outlet"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(outlets(first).contains(&"Associated Press".to_string()));
    let second = &records[1];
    assert_eq!(second["quote"]["text"], "extrajudicial executions,");
    assert!(outlets(second).contains(&"Al Jazeera".to_string()));
    let third = &records[2];
    assert_eq!(third["speaker"]["name"], "Gustavo Petro");
    assert_eq!(third["speaker"]["mention"]["text"], "he");
    assert_eq!(third["cue"]["text"], "told");
}

// ---------------------------------------------------------------- bad input

/// Runs `extract --format jsonl` over `bad` followed by a good article, and checks that the
/// good one is still processed and the message names `names`.
fn bad_then_good(bad: &Path, names: &str, says: &str) {
    let dir = TempDir::new().unwrap();
    let good = write(dir.path(), "good.txt", BODY);
    let r = extract("jsonl", &[bad, &good]);
    assert_eq!(
        r.code, 0,
        "a good article with quotes; stderr: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains(names),
        "stderr should name {names}: {}",
        r.stderr
    );
    assert!(
        r.stderr.to_lowercase().contains(says),
        "stderr should say {says}: {}",
        r.stderr
    );
    let records = jsonl_records(&r.stdout);
    assert_eq!(quotes_of(&records, &good.display().to_string()).len(), 3);
    assert_eq!(records.len(), 3, "nothing came out of the bad input");
}

#[test]
fn invalid_utf8_text_is_skipped_with_its_name() {
    let dir = TempDir::new().unwrap();
    let mut bytes = BODY.as_bytes().to_vec();
    bytes.splice(10..10, [0xff, 0xfe, b'a']);
    let bad = write(dir.path(), "latin.txt", bytes);
    bad_then_good(&bad, &bad.display().to_string(), "utf-8");
}

#[test]
fn binary_file_is_skipped_with_its_name() {
    let dir = TempDir::new().unwrap();
    let mut bytes = b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec();
    bytes.extend((0..=255u8).cycle().take(4096));
    let bad = write(dir.path(), "image.txt", bytes);
    bad_then_good(&bad, &bad.display().to_string(), "binary");
}

#[test]
fn empty_file_is_skipped_with_its_name() {
    let dir = TempDir::new().unwrap();
    let bad = write(dir.path(), "empty.txt", "");
    bad_then_good(&bad, &bad.display().to_string(), "empty");
    let blank = write(dir.path(), "blank.jsonl", "\n  \n");
    bad_then_good(&blank, &blank.display().to_string(), "empty");
}

#[test]
fn nonexistent_path_is_reported() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("no-such-file.txt");
    bad_then_good(&missing, &missing.display().to_string(), "no such file");
}

#[test]
fn malformed_json_line_names_file_and_line() {
    let dir = TempDir::new().unwrap();
    let mut s = line(json!({"text": BODY}));
    s += "{\"text\": \"unterminated\n";
    s += &line(json!({"body": BODY}));
    let path = write(dir.path(), "some.jsonl", s);
    let name = path.display().to_string();
    let r = extract("jsonl", &[&path]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(r.stderr.contains(&format!("{name}:2")), "{}", r.stderr);
    assert!(r.stderr.contains("malformed JSON"), "{}", r.stderr);
    let records = jsonl_records(&r.stdout);
    assert_eq!(quotes_of(&records, &format!("{name}:1")).len(), 3);
    assert_eq!(quotes_of(&records, &format!("{name}:3")).len(), 3);
}

#[test]
fn json_line_without_text_names_file_and_line() {
    let dir = TempDir::new().unwrap();
    let mut s = line(json!({"title": "no body here", "source_domain": "cnn.com"}));
    s += &line(json!({"text": BODY}));
    let path = write(dir.path(), "notext.jsonl", s);
    let name = path.display().to_string();
    let r = extract("jsonl", &[&path]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(r.stderr.contains(&format!("{name}:1")), "{}", r.stderr);
    assert!(r.stderr.contains("no article text"), "{}", r.stderr);
    let records = jsonl_records(&r.stdout);
    assert_eq!(quotes_of(&records, &format!("{name}:2")).len(), 3);
    assert_eq!(records.len(), 3);
}

#[test]
fn invalid_utf8_json_line_names_file_and_line() {
    let dir = TempDir::new().unwrap();
    let mut bytes = line(json!({"text": BODY})).into_bytes();
    bytes.extend_from_slice(b"{\"text\": \"caf\xe9\"}\n");
    bytes.extend_from_slice(line(json!({"text": BODY})).as_bytes());
    let path = write(dir.path(), "latin.jsonl", bytes);
    let name = path.display().to_string();
    let r = extract("jsonl", &[&path]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(r.stderr.contains(&format!("{name}:2")), "{}", r.stderr);
    assert!(r.stderr.contains("UTF-8"), "{}", r.stderr);
    let records = jsonl_records(&r.stdout);
    assert_eq!(quotes_of(&records, &format!("{name}:1")).len(), 3);
    assert_eq!(quotes_of(&records, &format!("{name}:3")).len(), 3);
}

#[test]
fn hundred_megabyte_line_is_skipped_and_the_rest_read() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("huge.jsonl");
    {
        let mut f = std::io::BufWriter::new(fs::File::create(&path).unwrap());
        f.write_all(line(json!({"text": BODY})).as_bytes()).unwrap();
        f.write_all(b"{\"text\": \"").unwrap();
        let chunk = "a long line without end ".repeat(1 << 12);
        let mut written = 0usize;
        while written < 100 << 20 {
            f.write_all(chunk.as_bytes()).unwrap();
            written += chunk.len();
        }
        f.write_all(b"\"}\n").unwrap();
        f.write_all(line(json!({"text": BODY})).as_bytes()).unwrap();
    }
    let name = path.display().to_string();
    let r = extract("jsonl", &[&path]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(r.stderr.contains(&format!("{name}:2")), "{}", r.stderr);
    assert!(r.stderr.contains("over the limit"), "{}", r.stderr);
    assert!(r.stderr.contains("--max-article-bytes"), "{}", r.stderr);
    let records = jsonl_records(&r.stdout);
    assert_eq!(quotes_of(&records, &format!("{name}:1")).len(), 3);
    assert_eq!(quotes_of(&records, &format!("{name}:3")).len(), 3);
    assert_eq!(records.len(), 6);
}

#[test]
fn max_article_bytes_applies_to_text_files() {
    let dir = TempDir::new().unwrap();
    let big = write(dir.path(), "big.txt", BODY.repeat(10));
    let r = run(qt()
        .args([
            "extract",
            "--format",
            "jsonl",
            "--max-article-bytes",
            "1000",
        ])
        .arg(&big));
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains(&big.display().to_string()),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("over the limit"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn truncated_gzip_keeps_earlier_lines_and_names_the_file() {
    let dir = TempDir::new().unwrap();
    let mut s = String::new();
    // Lines that differ, so that half the compressed stream holds many whole lines.
    for i in 0..2000 {
        s += &line(json!({
            "text": format!("Item {i}: “Number {i} is {},” said Official{i}.\n", i * 7919 % 10007),
            "source_domain": format!("site{i}.example"),
        }));
    }
    let full = gzip(s.as_bytes());
    let path = write(dir.path(), "cut.jsonl.gz", &full[..full.len() / 2]);
    let name = path.display().to_string();
    let r = extract("jsonl", &[&path]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(r.stderr.contains(&name), "{}", r.stderr);
    assert!(r.stderr.contains("truncated gzip"), "{}", r.stderr);
    let records = jsonl_records(&r.stdout);
    assert!(
        records.len() > 100,
        "earlier lines are read: {}",
        records.len()
    );
    assert!(records.len() < 2000, "a half stream cannot hold every line");
    // Lines come in order, none lost before the cut.
    for (i, rec) in records.iter().enumerate() {
        assert_eq!(rec["article"], format!("{name}:{}", i + 1));
    }
}

#[test]
fn every_kind_of_bad_input_in_one_batch_loses_no_good_article() {
    let dir = TempDir::new().unwrap();
    let bad = [
        write(dir.path(), "1-empty.txt", ""),
        write(dir.path(), "2-binary.txt", b"ab\0cd\0\xff"),
        write(dir.path(), "3-latin.txt", b"caf\xe9 \xab\xbb"),
        write(dir.path(), "4-bad.jsonl", "{not json}\n"),
    ];
    let good = write(dir.path(), "5-good.txt", BODY);
    let missing = dir.path().join("6-missing.txt");
    let mut cmd = qt();
    cmd.args(["extract", "--format", "jsonl"])
        .args(&bad)
        .arg(&good)
        .arg(&missing);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    for p in bad.iter().chain([&missing]) {
        let name = p.file_name().unwrap().to_str().unwrap();
        assert!(r.stderr.contains(name), "{name} named: {}", r.stderr);
    }
    assert_eq!(jsonl_records(&r.stdout).len(), 3);
}

// ---------------------------------------------------------------- exit codes

#[test]
fn exit_0_when_quotes_are_found() {
    let dir = TempDir::new().unwrap();
    let path = write(dir.path(), "a.txt", BODY);
    qt().arg("extract").arg(&path).assert().code(0);
}

#[test]
fn exit_1_when_articles_hold_no_quotes() {
    let dir = TempDir::new().unwrap();
    let path = write(dir.path(), "a.txt", NO_QUOTES);
    let r = extract("jsonl", &[&path]);
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert!(r.stdout.is_empty());
    // A skipped input beside a readable one is not an error either: something was read.
    let empty = write(dir.path(), "empty.txt", "");
    assert_eq!(extract("jsonl", &[&path, &empty]).code, 1);
    assert_eq!(
        run(qt().args(["extract", "-"]).write_stdin(NO_QUOTES)).code,
        1
    );
}

#[test]
fn exit_2_when_nothing_could_be_read() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("missing.txt");
    let r = extract("jsonl", &[&missing]);
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);
    assert!(r.stderr.contains("missing.txt"), "{}", r.stderr);

    let empty = write(dir.path(), "empty.txt", "");
    let r = extract("jsonl", &[&empty]);
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);
    assert!(r.stderr.contains("empty.txt"), "{}", r.stderr);

    let r = extract("jsonl", &[&missing, &empty]);
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);

    let r = run(qt().args(["extract", "-"]).write_stdin(""));
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);
}

#[test]
fn usage_errors_are_reported_by_clap() {
    qt().arg("extract")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PATH"));
    qt().args(["extract", "--format", "xml", "x.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("xml"));
}
