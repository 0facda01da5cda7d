//! The fuzz targets' checks, run as ordinary tests over the inputs checked in under
//! `fuzz/regressions/<target>/`: every crash a fuzzer ever found (copied there from
//! `fuzz/artifacts/<target>/`) plus hand-made inputs for the edge paths each target guards
//! (deep nesting, runs of marks, bidi and control characters, invalid UTF-8, truncated gzip,
//! CRLF and BOM headers, wrong JSON types, deep JSON nesting, case-folding corner cases).
//! The checks are the very functions the targets call (`fuzz/fuzz_targets/common.rs`,
//! `readers.rs`), so `cargo test` replays them without cargo-fuzz or a nightly toolchain.

use std::fs;
use std::path::{Path, PathBuf};

#[path = "../fuzz/fuzz_targets/common.rs"]
mod common;
#[path = "../fuzz/fuzz_targets/readers.rs"]
mod readers;

/// The regression inputs of one target, sorted; a target without any fails the test, so that
/// renaming or emptying a directory cannot silently turn this into a test that checks nothing.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    paths
        .into_iter()
        .map(|p| {
            let data = fs::read(&p).unwrap();
            (p, data)
        })
        .collect()
}

/// Runs `check` on every input of `target`, naming the input that fails.
fn replay(target: &str, check: impl Fn(&[u8])) {
    for (path, data) in inputs(target) {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data)));
        if let Err(panic) = result {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("fuzz target {target}, input {}: {message}", path.display());
        }
    }
}

#[test]
fn grammar_regressions() {
    replay("grammar", common::check_grammar);
}

#[test]
fn frontmatter_regressions() {
    // The target takes `&str`: libFuzzer never calls it with invalid UTF-8.
    replay("frontmatter", |data| {
        if let Ok(text) = std::str::from_utf8(data) {
            common::check_frontmatter(text);
        }
    });
}

#[test]
fn jsonl_regressions() {
    let dir = tempfile::tempdir().unwrap();
    replay("jsonl", |data| {
        readers::read_all_in(dir.path(), "fuzz.jsonl", data)
    });
}

#[test]
fn newsplease_regressions() {
    let dir = tempfile::tempdir().unwrap();
    replay("newsplease", |data| {
        readers::read_all_in(dir.path(), "fuzz.json", data)
    });
}

#[test]
fn normalize_regressions() {
    replay("normalize", common::check_normalize);
}
