//! `export` output validates against `schema/export.schema.json`.

use std::path::Path;

use assert_cmd::Command;

fn quotetrace(db: &Path) -> Command {
    let mut c = Command::cargo_bin("quotetrace").unwrap();
    c.arg("--db").arg(db).env_remove("QUOTETRACE_DB");
    c
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("schema/export.schema.json").unwrap())
            .unwrap();
    jsonschema::validator_for(&schema).expect("the schema itself is valid")
}

fn check(v: &jsonschema::Validator, doc: &serde_json::Value) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn ingest(db: &Path, paths: &[&str]) {
    let mut c = quotetrace(db);
    c.args(["ingest", "--no-progress"])
        .args(paths)
        .assert()
        .success();
}

#[test]
fn json_and_jsonl_exports_follow_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    ingest(&db, &["fixtures/seeds", "fixtures/articles"]);
    let v = validator();

    let out = quotetrace(&db).args(["export"]).output().unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!doc["chains"].as_array().unwrap().is_empty());
    check(&v, &doc);

    let out = quotetrace(&db)
        .args(["export", "--format", "jsonl"])
        .output()
        .unwrap();
    let chains: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(chains.len(), doc["chains"].as_array().unwrap().len());
    check(
        &v,
        &serde_json::json!({"schema_version": 1, "chains": chains}),
    );
}

#[test]
fn the_schema_rejects_what_it_should() {
    let v = validator();
    let bad = serde_json::json!({"schema_version": 1, "chains": [{"cluster": 1}]});
    assert!(!v.is_valid(&bad));
    assert!(!v.is_valid(&serde_json::json!({"schema_version": 2, "chains": []})));
}

#[test]
fn export_filters_by_quote_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    ingest(&db, &["fixtures/seeds"]);
    // Cluster ids come from the clusters' contents, not from arrival: find one by lookup.
    let found = quotetrace(&db)
        .args(["lookup", "--json", "carrying fish"])
        .output()
        .unwrap();
    let found: serde_json::Value = serde_json::from_slice(&found.stdout).unwrap();
    let id = found[0]["chain"]["cluster"].as_u64().expect("a cluster id");
    let one = quotetrace(&db)
        .args(["export", "--quote", &id.to_string()])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(doc["chains"].as_array().unwrap().len(), 1);
    assert_eq!(doc["chains"][0]["cluster"], id);
    // The seeds are from November 2025: nothing is newer than 2030.
    quotetrace(&db)
        .args(["export", "--since", "2030-01-01"])
        .assert()
        .code(1);
    quotetrace(&db)
        .args(["export", "--since", "2025-01-01"])
        .assert()
        .success();
    quotetrace(&db)
        .args(["export", "--since", "last tuesday"])
        .assert()
        .code(2);
}
