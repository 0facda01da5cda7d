//! Feeding fuzz input through `read_inputs`: the readers take paths only, so each input is
//! written to a file in a temp dir that lives as long as the fuzzing process.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use quotetrace::article::{read_inputs, ReadOptions};

// The fuzz targets write into one temp dir per process; the regression tests bring their own.
#[allow(dead_code)]
static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

/// Writes `data` to `name` in the process's temp dir and reads every article out of it.
#[allow(dead_code)]
pub fn read_all(name: &str, data: &[u8]) {
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
    read_all_in(dir.path(), name, data);
}

/// Writes `data` to `name` in `dir` and reads every article out of it.
/// Errors are expected (malformed JSON, bad UTF-8, truncated gzip); panics are the bug.
pub fn read_all_in(dir: &Path, name: &str, data: &[u8]) {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, data).expect("write fuzz input");
    // A small limit, so the over-limit path is fuzzed too.
    let options = ReadOptions {
        max_article_bytes: 4096,
    };
    for item in read_inputs([&path], options) {
        match item {
            Ok(article) => {
                assert!(article.body.len() as u64 <= options.max_article_bytes);
                super::common::extract_checked(&article.body);
            }
            Err(e) => {
                // Every message must name the input.
                let message = e.to_string();
                assert!(
                    message.contains(name),
                    "error does not name the file: {message}"
                );
            }
        }
    }
}
