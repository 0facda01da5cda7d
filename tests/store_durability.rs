//! Issue 4, bar 4: a store survives SIGKILL in the middle of a large ingest.
//!
//! The input is generated here (a few thousand synthetic articles with quotes), never
//! committed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use quotetrace::article::{Article, Meta};
use quotetrace::store::{article_id, Store};

const ARTICLES: usize = 2_500;

/// A tiny deterministic generator, so the test needs no extra crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn word(&mut self) -> String {
        const SYL: &[&str] = &[
            "ka", "lo", "mi", "ren", "tu", "sa", "vel", "dor", "qui", "na", "pre", "sto",
        ];
        (0..2 + self.next() % 2)
            .map(|_| SYL[(self.next() % SYL.len() as u64) as usize])
            .collect()
    }
    fn sentence(&mut self, n: usize) -> String {
        (0..n).map(|_| self.word()).collect::<Vec<_>>().join(" ")
    }
}

fn article(i: usize, rng: &mut Lcg) -> (String, String) {
    let outlet = format!("Outlet {}", i % 37);
    let q1 = rng.sentence(8);
    let q2 = rng.sentence(10);
    let body = format!(
        "The minister spoke on Tuesday.\n\n“We will {q1},” Minister Karo Velani said.\n\n\
         She added: “{q2}.” The remarks were first reported by Outlet {}.",
        (i + 1) % 37
    );
    (outlet, body)
}

fn write_input(path: &Path) -> Vec<(String, String)> {
    let mut rng = Lcg(42);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut all = Vec::new();
    for i in 0..ARTICLES {
        let (outlet, body) = article(i, &mut rng);
        let line = serde_json::json!({
            "outlet": outlet,
            "published": format!("2024-01-{:02}T{:02}:00:00Z", 1 + i % 28, i % 24),
            "body": body,
        });
        writeln!(f, "{line}").unwrap();
        all.push((outlet, body));
    }
    all
}

fn id_of(outlet: &str, body: &str) -> [u8; 16] {
    article_id(&Article {
        id: String::new(),
        meta: Meta {
            outlet: Some(outlet.to_owned()),
            ..Meta::default()
        },
        body: body.to_owned(),
    })
}

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("quotetrace")
}

#[test]
fn sigkill_mid_ingest_loses_nothing_reported_and_leaves_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.jsonl");
    let db = dir.path().join("store");
    let log = dir.path().join("committed.log");
    let articles = write_input(&input);

    let mut child = Command::new(bin())
        .arg("--db")
        .arg(&db)
        .args([
            "ingest",
            "--no-progress",
            "--commit-every",
            "25",
            "--committed-log",
        ])
        .arg(&log)
        .arg(&input)
        .env_remove("QUOTETRACE_DB")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait until some commits are reported, then look up concurrently, then kill.
    let start = Instant::now();
    loop {
        let n = std::fs::read_to_string(&log)
            .map(|s| s.lines().count())
            .unwrap_or(0);
        if n >= 150 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "ingest ended before it could be killed; make the input larger"
        );
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "ingest made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let concurrent = Command::new(bin())
        .arg("--db")
        .arg(&db)
        .args(["lookup", "minister"])
        .env_remove("QUOTETRACE_DB")
        .output()
        .unwrap();
    let killed_while_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(killed_while_running, "ingest finished before the kill");
    // A concurrent reader gets a clear error (or works); it never corrupts anything.
    if !concurrent.status.success() {
        let err = String::from_utf8_lossy(&concurrent.stderr);
        assert!(
            err.contains("in use by another quotetrace process"),
            "{err}"
        );
        assert_eq!(concurrent.status.code(), Some(2));
    }

    let reported: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(reported.len() < ARTICLES);
    {
        let store = Store::open(&db).expect("the store opens after SIGKILL");
        assert_eq!(
            store.check().unwrap(),
            Vec::<String>::new(),
            "half-written articles"
        );
        for source in &reported {
            let line: usize = source.rsplit(':').next().unwrap().parse().unwrap();
            let (outlet, body) = &articles[line - 1];
            assert!(
                store.has_article(&id_of(outlet, body)).unwrap(),
                "{source} was reported done but is missing"
            );
        }
    }

    // Running the same ingest again completes it.
    let status = Command::new(bin())
        .arg("--db")
        .arg(&db)
        .args(["ingest", "--no-progress"])
        .arg(&input)
        .env_remove("QUOTETRACE_DB")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let store = Store::open(&db).unwrap();
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
    assert_eq!(store.counts().unwrap().articles, ARTICLES as u64);
    for (outlet, body) in &articles {
        assert!(store.has_article(&id_of(outlet, body)).unwrap());
    }
}
