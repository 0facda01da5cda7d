//! Issue 3, bar 1: clustering every quote extracted from the five seed articles gives the
//! expected statements, and merges nothing else: by the lexical cascade, and by
//! `quotetrace cluster` with its embedding stages (when the model weights are installed).

use std::collections::HashMap;

use quotetrace::matcher::{cluster_prepared, prepare};
use quotetrace::parse;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/seeds");

struct Q {
    text: String,
    cluster: u64,
}

/// Every quote of the seeds, in file order, with its speaker.
fn extracted() -> Option<Vec<(String, Option<String>)>> {
    let mut files: Vec<_> = std::fs::read_dir(SEEDS)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let body = std::fs::read_to_string(&f).unwrap();
        for q in parse::extract(&body) {
            out.push((q.quote.text.clone(), q.speaker.map(|s| s.name)));
        }
    }
    Some(out)
}

fn seed_quotes() -> Option<Vec<Q>> {
    let quotes = extracted()?;
    let prepared = quotes
        .iter()
        .map(|(t, s)| prepare(t, None, s.as_deref()))
        .collect();
    let ids = cluster_prepared(prepared);
    Some(
        quotes
            .into_iter()
            .zip(ids)
            .map(|((text, _), cluster)| Q { text, cluster })
            .collect(),
    )
}

/// The seeds' quotes clustered by the `cluster` command, embedding stages included.
fn seed_quotes_by_cli() -> Option<Vec<Q>> {
    let quotes = extracted()?;
    let mut input = String::new();
    for (i, (text, speaker)) in quotes.iter().enumerate() {
        let line = serde_json::json!({"id": i, "text": text, "speaker": speaker});
        input.push_str(&line.to_string());
        input.push('\n');
    }
    let out = assert_cmd::Command::cargo_bin("quotetrace")
        .unwrap()
        .arg("cluster")
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut ids = vec![None; quotes.len()];
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        ids[r["id"].as_u64().unwrap() as usize] = r["cluster"].as_u64();
    }
    Some(
        quotes
            .into_iter()
            .zip(ids)
            .map(|((text, _), cluster)| Q {
                text,
                cluster: cluster.expect("every quote clustered"),
            })
            .collect(),
    )
}

/// Cluster of the quote whose text contains `needle`; all such quotes must agree.
fn cluster_of(qs: &[Q], needle: &str) -> u64 {
    let hits: Vec<&Q> = qs.iter().filter(|q| q.text.contains(needle)).collect();
    assert!(!hits.is_empty(), "no extracted quote contains {needle:?}");
    for q in &hits {
        assert_eq!(
            q.cluster, hits[0].cluster,
            "copies of {needle:?} split: {:?}",
            q.text
        );
    }
    hits[0].cluster
}

#[test]
fn seed_statements_cluster_as_in_issue_3() {
    let Some(qs) = seed_quotes() else {
        eprintln!("seeds not found at {SEEDS}; skipped");
        return;
    };
    check(&qs);
}

/// The command's embedding stages must not undo the bar: "disobey the orders of Trump" and
/// "obey the orders of humanity" sit close in meaning, and only their names tell them apart.
#[test]
fn the_cluster_command_clusters_the_seeds_as_in_issue_3() {
    if !quotetrace::matcher::embed::model_path().is_file() {
        eprintln!("skipped: no embedding model");
        return;
    }
    let Some(qs) = seed_quotes_by_cli() else {
        eprintln!("seeds not found at {SEEDS}; skipped");
        return;
    };
    check(&qs);
}

fn check(qs: &[Q]) {
    let groups: &[&[&str]] = &[
        &[
            "all levels of the public security force’s intelligence services",
            "I have instructed all levels of the public security apparatus",
            "communications and other agreements with U.S. security agencies",
            "All levels of law enforcement intelligence are ordered",
            "an order has been given at all levels",
        ],
        &[
            "the fight against drugs must be subordinated",
            "The fight against drugs must be subordinated",
            "The fight against drug trafficking must be carried out",
        ],
        &["as long as the missile attacks on boats continue"],
        &["He may have been carrying fish"],
        &["President Trump is taking strong action"],
        &["has allowed drug cartels to flourish"],
        &["disobey the orders of Trump"],
        &["obey the orders of humanity"],
        &["narcoterrorists"],
    ];
    let mut expected: HashMap<u64, usize> = HashMap::new();
    for (g, needles) in groups.iter().enumerate() {
        let c = cluster_of(qs, needles[0]);
        for n in &needles[1..] {
            assert_eq!(cluster_of(qs, n), c, "{n:?} not with {:?}", needles[0]);
        }
        let copies = qs.iter().filter(|q| q.cluster == c).count();
        let want = match needles[0] {
            "all levels of the public security force’s intelligence services" => 5,
            "the fight against drugs must be subordinated" => 3,
            "as long as the missile attacks on boats continue" => 2,
            "He may have been carrying fish" => 3,
            "President Trump is taking strong action" => 2,
            _ => 1,
        };
        assert!(
            copies >= want,
            "{:?}: {copies} quotes in its cluster, want {want}",
            needles[0]
        );
        if let Some(other) = expected.insert(c, g) {
            panic!("groups {:?} and {:?} merged", groups[other][0], needles[0]);
        }
    }
    // Nothing else merged: every cluster of two or more quotes is one of the expected groups,
    // unless all its members are the same folded words.
    let mut members: HashMap<u64, Vec<&str>> = HashMap::new();
    for q in qs {
        members.entry(q.cluster).or_default().push(&q.text);
    }
    for (c, m) in &members {
        if m.len() > 1 && !expected.contains_key(c) {
            let folded: Vec<String> = m.iter().map(|t| quotetrace::normalize::fold(t)).collect();
            let first: Vec<&str> = folded[0]
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            for f in &folded {
                let words: Vec<&str> = f
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect();
                assert_eq!(words, first, "unexpected merge: {m:?}");
            }
        }
    }
}
