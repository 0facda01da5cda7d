//! Issue 4, bar 1: the seed articles through `ingest`, `lookup`, `chain` and `export`.

use std::path::Path;

use assert_cmd::Command;

fn quotetrace(db: &Path) -> Command {
    let mut c = Command::cargo_bin("quotetrace").unwrap();
    c.arg("--db").arg(db).env_remove("QUOTETRACE_DB");
    c
}

fn seeded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    quotetrace(&db)
        .args(["ingest", "--no-progress", "fixtures/seeds"])
        .assert()
        .success();
    dir
}

fn stdout(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Snapshots live in `snapshots/` at the top of the crate.
fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

fn lookup_json(db: &Path, fragment: &str) -> serde_json::Value {
    serde_json::from_str(&stdout(quotetrace(db).args(["lookup", "--json", fragment]))).unwrap()
}

#[test]
fn fisherman_quote_is_one_cluster_with_its_three_carriers() {
    let dir = seeded();
    let db = dir.path().join("store");
    let hits = lookup_json(&db, "He may have been carrying fish");
    let top = &hits[0]["chain"];
    assert_eq!(top["articles"], 3, "{top:#}");
    // Only one cluster holds the words.
    let others: Vec<_> = hits
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .filter(|h| h["score"].as_f64().unwrap() > 0.9)
        .collect();
    assert!(others.is_empty(), "{others:#?}");
    // The Associated Press credit sits on the occurrence whose article gives it (seed 003).
    for o in top["occurrences"].as_array().unwrap() {
        let credits_ap = o["credits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["outlet"] == "Associated Press");
        let from_003 = o["source"].as_str().unwrap().contains("003_");
        assert_eq!(credits_ap, from_003, "{o:#}");
    }
    let text = stdout(quotetrace(&db).args(["lookup", "He may have been carrying fish"]));
    snapshot("store_lookup_fisherman", &text);
}

#[test]
fn fight_against_drugs_finds_the_drug_trafficking_rendering() {
    let dir = seeded();
    let db = dir.path().join("store");
    let hits = lookup_json(&db, "fight against drugs");
    let top = &hits[0]["chain"];
    let wordings: Vec<&str> = top["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["wording"].as_str().unwrap())
        .collect();
    assert!(
        wordings
            .iter()
            .any(|w| w.contains("drug trafficking") && w.contains("full respect")),
        "{wordings:#?}"
    );
    let text = stdout(quotetrace(&db).args(["lookup", "fight against drugs"]));
    snapshot("store_lookup_fight_against_drugs", &text);
}

#[test]
fn lookup_of_unknown_words_finds_nothing_and_says_so() {
    let dir = seeded();
    quotetrace(&dir.path().join("store"))
        .args(["lookup", "zebra quantum marmalade"])
        .assert()
        .code(1);
}

#[test]
fn chain_prints_tree_json_and_dot() {
    let dir = seeded();
    let db = dir.path().join("store");
    let hits = lookup_json(&db, "He may have been carrying fish");
    let id = hits[0]["chain"]["cluster"].to_string();
    let tree = stdout(quotetrace(&db).args(["chain", &id]));
    assert!(tree.contains("first carrier:"), "{tree}");
    let json: serde_json::Value = serde_json::from_str(&stdout(
        quotetrace(&db).args(["chain", &id, "--format", "json"]),
    ))
    .unwrap();
    assert_eq!(json, hits[0]["chain"]);
    let dot = stdout(quotetrace(&db).args(["chain", &id, "--format", "dot"]));
    assert!(
        dot.starts_with("digraph") && dot.trim_end().ends_with('}'),
        "{dot}"
    );
    quotetrace(&db).args(["chain", "999999"]).assert().code(1);
}

#[test]
fn reingesting_the_seeds_changes_nothing() {
    let dir = seeded();
    let db = dir.path().join("store");
    let before = stdout(quotetrace(&db).args(["export"]));
    let out = stdout(quotetrace(&db).args(["ingest", "--no-progress", "--json", "fixtures/seeds"]));
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["already_present"], 5);
    assert_eq!(summary["new_clusters"], 0);
    assert_eq!(stdout(quotetrace(&db).args(["export"])), before);
}

#[test]
fn stats_reports_first_carriers_credits_and_uncredited_share() {
    let dir = seeded();
    let db = dir.path().join("store");
    let st: serde_json::Value =
        serde_json::from_str(&stdout(quotetrace(&db).args(["stats", "--json"]))).unwrap();
    assert_eq!(st["counts"]["articles"], 5);
    let share = st["uncredited_share"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&share));
    let text = stdout(quotetrace(&db).args(["stats"]));
    assert!(text.contains("uncredited:"), "{text}");
}

#[test]
fn read_commands_on_a_missing_store_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nothing-here");
    let out = quotetrace(&db).args(["lookup", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no store at"));
    assert!(!db.exists(), "a read command must not create a store");
}
