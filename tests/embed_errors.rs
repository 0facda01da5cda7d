//! Bad or missing model weights give a clear error, never a panic, and clustering goes on
//! lexically. None of these tests needs the real weights.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use quotetrace::matcher::embed::{E5Model, EmbedError, MODEL_BYTES};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

/// A file of exactly the pinned size with a valid header and zeros after it.
fn right_size_wrong_content(dir: &Path) -> PathBuf {
    let p = dir.join("zeros.bin");
    let mut f = File::create(&p).unwrap();
    f.write_all(b"E5S1\x01\x00\x00\x00").unwrap();
    f.set_len(MODEL_BYTES).unwrap();
    p
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = E5Model::load(&dir.path().join("nope.bin")).unwrap_err();
    assert!(matches!(err, EmbedError::Missing { .. }), "{err:?}");
    assert!(err.to_string().contains("scripts/fetch_model.sh"));
}

#[test]
fn truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"E5S1\x01\x00\x00\x00".to_vec();
    bytes.extend([7u8; 1000]);
    let err = E5Model::load(&write(dir.path(), "short.bin", &bytes)).unwrap_err();
    assert!(
        matches!(err, EmbedError::Truncated { found: 1008, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("truncated"));
    let err = E5Model::load(&write(dir.path(), "tiny.bin", b"E5S")).unwrap_err();
    assert!(
        matches!(err, EmbedError::Truncated { found: 3, .. }),
        "{err:?}"
    );
    let err = E5Model::load(&write(dir.path(), "empty.bin", b"")).unwrap_err();
    assert!(
        matches!(err, EmbedError::Truncated { found: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn wrong_magic() {
    let dir = tempfile::tempdir().unwrap();
    let err =
        E5Model::load(&write(dir.path(), "gguf.bin", b"GGUF\x03\x00\x00\x00rest")).unwrap_err();
    assert!(
        matches!(err, EmbedError::BadMagic { found, .. } if &found == b"GGUF"),
        "{err:?}"
    );
    assert!(err.to_string().contains("not an E5S1 model file"));
}

#[test]
fn wrong_version() {
    let dir = tempfile::tempdir().unwrap();
    let err = E5Model::load(&write(dir.path(), "v2.bin", b"E5S1\x02\x00\x00\x00rest")).unwrap_err();
    assert!(
        matches!(err, EmbedError::Version { found: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("version 2"));
}

#[test]
fn wrong_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let err = E5Model::load(&right_size_wrong_content(dir.path())).unwrap_err();
    assert!(matches!(err, EmbedError::Checksum { .. }), "{err:?}");
    assert!(err.to_string().contains("checksum"));
}

#[test]
fn oversized_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.bin");
    let mut f = File::create(&p).unwrap();
    f.write_all(b"E5S1\x01\x00\x00\x00").unwrap();
    f.set_len(MODEL_BYTES + 1).unwrap();
    let err = E5Model::load(&p).unwrap_err();
    assert!(matches!(err, EmbedError::WrongSize { .. }), "{err:?}");
}

const MIXED: &str = concat!(
    "{\"id\":1,\"text\":\"There was no need to murder him.\",\"lang\":\"en\"}\n",
    "{\"id\":2,\"text\":\"there was no need to murder him\",\"lang\":\"en\"}\n",
    "{\"id\":3,\"text\":\"No había necesidad de matarlo.\",\"lang\":\"es\"}\n",
    "{\"id\":4,\"text\":\"No había necesidad de matarlo\",\"lang\":\"es\"}\n",
);

fn cluster(model: &Path, input: &str) -> assert_cmd::assert::Assert {
    Command::cargo_bin("quotetrace")
        .unwrap()
        .env("QUOTETRACE_MODEL", model)
        .arg("cluster")
        .write_stdin(input)
        .assert()
}

#[test]
fn cluster_without_weights_says_once_that_cross_language_matching_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let out = cluster(&dir.path().join("absent.bin"), MIXED)
        .success()
        .stderr(predicate::str::contains("cross-language matching is off").count(1))
        .stderr(predicate::str::contains("not found"));
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    // Lexically each language still clusters its own copies.
    assert_eq!(lines[0]["cluster"], lines[1]["cluster"]);
    assert_eq!(lines[2]["cluster"], lines[3]["cluster"]);
    assert_ne!(lines[0]["cluster"], lines[2]["cluster"]);
}

#[test]
fn cluster_with_bad_weights_names_the_problem_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    cluster(&right_size_wrong_content(dir.path()), MIXED)
        .success()
        .stderr(predicate::str::contains("cross-language matching is off").count(1))
        .stderr(predicate::str::contains("checksum"))
        .stdout(predicate::str::contains("\"cluster\"").count(4));
}

#[test]
fn one_language_input_never_touches_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let english: String = MIXED.lines().take(2).map(|l| format!("{l}\n")).collect();
    cluster(&dir.path().join("absent.bin"), &english)
        .success()
        .stderr(predicate::str::contains("cross-language").not());
}

#[test]
fn model_check_reports_bad_weights_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "short.bin", b"E5S1\x01\x00\x00\x00abc");
    Command::cargo_bin("quotetrace")
        .unwrap()
        .env("QUOTETRACE_MODEL", &p)
        .args(["model", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("truncated"));
}
