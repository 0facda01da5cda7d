//! Every integration test, compiled into one test binary.
//!
//! Each `tests/<name>.rs` is a module here rather than a test crate of its own, because every
//! test crate links the whole library with its dependencies: nineteen of them took 2.8 GB of
//! debug binaries, more disk than a CI machine had. Run one file's tests with
//! `cargo test --test all <name>::`. Cargo.toml turns off test auto-discovery, so a new file
//! must be declared below; `every_test_file_is_declared` fails otherwise.

mod cli_extract;
mod embed_errors;
mod embed_model;
mod fuzz_regressions;
mod hostile_input;
mod matcher_lazy_model;
mod matcher_mutual;
mod matcher_seeds;
mod matcher_time;
mod prop_extract;
mod prop_store;
mod seeds;
mod snapshots_extract;
mod store_durability;
mod store_export;
mod store_faults;
mod store_readonly;
mod store_seeds;
mod store_xling_ingest;
mod store_xling_lookup;

/// Without auto-discovery, a file in `tests/` that is not declared above would silently never
/// run.
#[test]
fn every_test_file_is_declared() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let root = std::fs::read_to_string(dir.join("all.rs")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs")
            && name != "all"
            && !root.lines().any(|l| l == format!("mod {name};"))
        {
            missing.push(name.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "not declared in tests/all.rs: {missing:?}"
    );
}
