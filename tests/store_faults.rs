//! Issue 5, store faults: a full disk, a store of a future schema version, a damaged store.
//! Each gives a clear error, and what was committed before is never lost.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use assert_cmd::Command;
use quotetrace::article::{Article, Meta};
use quotetrace::store::{Backend, Entry, MemBackend, Store, StoreError, WriteBatch};

/// A backend whose writes fail with ENOSPC while `full` is set, as a full disk makes sled fail.
/// It shares its map with the test, so the test can look at what was really stored.
#[derive(Clone, Default)]
struct FullDisk {
    inner: Arc<MemBackend>,
    full: Arc<AtomicBool>,
}

impl FullDisk {
    fn refuse(&self) -> Result<(), StoreError> {
        if self.full.load(Ordering::SeqCst) {
            return Err(StoreError::Write(std::io::Error::from_raw_os_error(28)));
        }
        Ok(())
    }
}

impl Backend for FullDisk {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }
    fn scan_prefix<'a>(
        &'a self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + 'a> {
        self.inner.scan_prefix(prefix)
    }
    fn scan_prefix_rev<'a>(
        &'a self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + 'a> {
        self.inner.scan_prefix_rev(prefix)
    }
    fn apply(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.refuse()?;
        self.inner.apply(batch)
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.refuse()?;
        self.inner.flush()
    }
    fn size_on_disk(&self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }
}

fn article(i: usize) -> Article {
    Article {
        id: format!("a{i}"),
        meta: Meta {
            outlet: Some(format!("Outlet {}", i % 5)),
            published: Some(format!("2025-11-{:02}", 1 + i % 28)),
            ..Meta::default()
        },
        body: format!(
            "“Statement number {i} about the harbour budget was {}” the mayor said.",
            ["approved", "delayed", "rejected"][i % 3]
        ),
    }
}

fn ingest(store: &mut Store, range: std::ops::Range<usize>) {
    for i in range {
        let a = article(i);
        let quotes = quotetrace::parse::extract(&a.body);
        store.ingest_article(&a, &quotes).unwrap();
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_loses_nothing_committed() {
    let backend = FullDisk::default();
    let mut store = Store::with_backend(Box::new(backend.clone())).unwrap();
    ingest(&mut store, 0..20);
    store.commit().unwrap();
    let before = store.counts().unwrap();
    assert_eq!(before.articles, 20);

    backend.full.store(true, Ordering::SeqCst);
    ingest(&mut store, 20..40);
    let err = store.commit().expect_err("the disk is full");
    assert!(matches!(err, StoreError::Write(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("No space left on device"), "{msg}");
    assert!(msg.contains("run the same ingest again"), "{msg}");
    // What was committed is all there, and nothing of the failed group is.
    assert_eq!(store.counts().unwrap(), before);
    assert!(store.check().unwrap().is_empty());

    // Space is freed: the same articles go in, and the earlier ones stay as they were.
    backend.full.store(false, Ordering::SeqCst);
    ingest(&mut store, 20..40);
    store.commit().unwrap();
    assert_eq!(store.counts().unwrap().articles, 40);
    assert!(store.check().unwrap().is_empty());
}

#[test]
fn a_background_commit_that_fails_drops_only_what_was_not_reported_done() {
    let backend = FullDisk::default();
    let mut store = Store::with_backend(Box::new(backend.clone())).unwrap();
    ingest(&mut store, 0..10);
    store.commit_in_background().unwrap();
    ingest(&mut store, 10..20);
    // The first group is durable once the next background commit returns.
    store.commit_in_background().unwrap();
    store.wait_for_commit().unwrap();
    assert_eq!(store.counts().unwrap().articles, 20);

    ingest(&mut store, 20..30);
    backend.full.store(true, Ordering::SeqCst);
    store.commit_in_background().unwrap();
    // Staged on top of the failing commit: dropped with it.
    ingest(&mut store, 30..35);
    let err = store.commit().expect_err("the disk is full");
    assert!(matches!(err, StoreError::Write(_)), "{err:?}");
    assert_eq!(store.staged(), 0);
    assert_eq!(store.counts().unwrap().articles, 20);
    assert!(store.check().unwrap().is_empty());

    backend.full.store(false, Ordering::SeqCst);
    ingest(&mut store, 20..35);
    store.commit().unwrap();
    assert_eq!(store.counts().unwrap().articles, 35);
    assert!(store.check().unwrap().is_empty());
}

fn qt(db: &Path) -> Command {
    let mut c = Command::cargo_bin("quotetrace").unwrap();
    c.env_remove("QUOTETRACE_DB").arg("--db").arg(db);
    c
}

fn seeded_store(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("store");
    let input = dir.join("in.jsonl");
    let lines: Vec<String> = (0..30)
        .map(|i| {
            let a = article(i);
            serde_json::json!({
                "outlet": a.meta.outlet,
                "published": a.meta.published,
                "body": a.body,
            })
            .to_string()
        })
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    qt(&db)
        .args(["ingest", "--no-progress"])
        .arg(&input)
        .assert()
        .success();
    db
}

#[test]
fn a_store_of_a_future_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_store(dir.path());
    {
        let store = raw_sled(&db);
        store
            .insert(
                b"Mschema",
                &(quotetrace::store::SCHEMA_VERSION + 1).to_be_bytes(),
            )
            .unwrap();
        store.flush().unwrap();
    }
    let out = qt(&db)
        .args(["lookup", "harbour budget"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("newer than this quotetrace"), "{err}");
    assert!(err.contains("upgrade quotetrace"), "{err}");
    // Ingest refuses too, and writes nothing.
    qt(&db)
        .args(["ingest", "--no-progress", "-"])
        .write_stdin("{\"body\": \"“Words,” he said.\"}\n")
        .assert()
        .code(2);
    let store = raw_sled(&db);
    assert_eq!(
        store.get(b"Mschema").unwrap().unwrap().as_ref(),
        &(quotetrace::store::SCHEMA_VERSION + 1).to_be_bytes()
    );
}

#[test]
fn a_damaged_store_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_store(dir.path());
    // Overwrite the middle of every data file of the store with garbage.
    for entry in walkdir(&db) {
        let len = std::fs::metadata(&entry).unwrap().len();
        if len < 64 {
            continue;
        }
        let mut bytes = std::fs::read(&entry).unwrap();
        let mid = bytes.len() / 4;
        for b in &mut bytes[mid..mid + (len as usize / 2).min(4096)] {
            *b = 0xA5;
        }
        std::fs::write(&entry, bytes).unwrap();
    }
    let out = qt(&db).args(["lookup", "harbour budget"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    // Either sled recovers a consistent prefix of the log (and lookup works), or the damage is
    // reported as such.
    match out.status.code() {
        Some(0) | Some(1) => {}
        Some(2) => assert!(
            err.contains("damaged") || err.contains("not a quotetrace store"),
            "{err}"
        ),
        other => panic!("exit {other:?}: {err}"),
    }
}

/// The store's sled database, opened directly (with the segment size the store uses).
fn raw_sled(db: &Path) -> sled::Db {
    sled::Config::new()
        .path(db)
        .segment_size(8 * 1024 * 1024)
        .open()
        .unwrap()
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}
