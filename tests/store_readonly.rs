//! Issue 5, store faults: a read-only store directory. `ingest` and `lookup` refuse it with a
//! clear error naming the store, and what was committed before is still there once the
//! directory is writable again.
//!
//! Permission bits do not stop root, and CI may run as root. There the commands run as the
//! unprivileged `nobody` user (`setpriv`, util-linux), for whom the root-owned store is
//! read-only; elsewhere the store directory is made read-only with `chmod`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/seeds");

fn is_root() -> bool {
    let out = Process::new("id").arg("-u").output().expect("id -u runs");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn set_tree_mode(dir: &Path, dir_mode: u32, file_mode: u32) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            set_tree_mode(&path, dir_mode, file_mode);
        } else {
            set_mode(&path, file_mode);
        }
    }
    set_mode(dir, dir_mode);
}

/// The quotetrace binary, run by a user who cannot write to `db`.
fn as_reader(args: &[&str], db: &Path) -> std::process::Output {
    let binary = assert_cmd::cargo::cargo_bin("quotetrace");
    let mut command = if is_root() {
        let mut c = Process::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary);
        c
    } else {
        Process::new(&binary)
    };
    command
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("QUOTETRACE_DB")
        .output()
        .expect("the binary runs")
}

#[test]
fn read_only_store_is_a_clear_error_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    // `nobody` must be able to reach the store to be refused by it, not by its parent.
    set_mode(dir.path(), 0o755);
    let db = dir.path().join("store");

    Command::cargo_bin("quotetrace")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .args(["ingest", SEEDS])
        .env_remove("QUOTETRACE_DB")
        .assert()
        .success();

    set_tree_mode(&db, 0o555, 0o444);
    // Root ignores the bits above; `setpriv` drops to `nobody`, for whom they hold.
    for args in [vec!["ingest", SEEDS], vec!["lookup", "fight against drugs"]] {
        let out = as_reader(&args, &db);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot open the store") && stderr.contains(&*db.to_string_lossy()),
            "{args:?}: the message names the store: {stderr}"
        );
        assert!(
            stderr.to_lowercase().contains("permission denied")
                || stderr.to_lowercase().contains("read-only"),
            "{args:?}: the message says why: {stderr}"
        );
        assert_eq!(
            stderr.matches("os error").count(),
            1,
            "{args:?}: the cause is said once: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }

    set_tree_mode(&db, 0o755, 0o644);
    Command::cargo_bin("quotetrace")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .args(["lookup", "He may have been carrying fish"])
        .env_remove("QUOTETRACE_DB")
        .assert()
        .success()
        .stdout(predicates::str::contains("Associated Press"));
}
