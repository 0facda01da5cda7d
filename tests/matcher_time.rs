//! The time constraint of the matcher: short wordings only cluster within the time window,
//! long ones across any gap, undated input clusters exactly as without times, and the batch
//! result does not depend on input order.

use std::collections::HashMap;

use assert_cmd::Command;
use proptest::prelude::*;
use quotetrace::matcher::{
    cluster_dated, cluster_prepared, day_of, prepare, ClusterId, Prepared, TIMELESS_CONTENT,
    TIME_WINDOW_DAYS,
};

/// (text, date): two short labels recurring years apart, one long remark re-quoted a year later,
/// and a fragment of it.
const DATED: &[(&str, &str)] = &[
    ("a major threat", "2016-02-06"),
    ("major threat", "2016-02-20"),
    ("a major threat", "2017-09-14"),
    ("the first step", "2017-03-01"),
    ("the first step", "2018-05-02"),
    ("North Korea’s missile and nuclear weapons programs represent serious threats to our interests and those of our allies", "2016-02-06"),
    ("North Korea's missile and nuclear weapons programs represent serious threats to our interests and those of our allies.", "2017-09-14"),
    ("missile and nuclear weapons programs represent serious threats", "2017-09-15"),
];

fn items() -> (Vec<Prepared>, Vec<Option<i64>>) {
    DATED
        .iter()
        .map(|(t, d)| (prepare(t, Some("en"), None), day_of(d)))
        .unzip()
}

fn partition(ids: &[ClusterId]) -> Vec<Vec<usize>> {
    let mut groups: HashMap<ClusterId, Vec<usize>> = HashMap::new();
    for (i, &c) in ids.iter().enumerate() {
        groups.entry(c).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().collect();
    out.sort();
    out
}

#[test]
fn short_labels_split_by_time_long_remarks_recur() {
    let (items, times) = items();
    assert!(items[0].content < TIMELESS_CONTENT && items[5].content >= TIMELESS_CONTENT);
    let ids = cluster_dated(items.clone(), times);
    assert_eq!(
        partition(&ids),
        vec![vec![0, 1], vec![2], vec![3], vec![4], vec![5, 6, 7]]
    );
    // Without times the labels merge across years, as before the constraint.
    let undated = cluster_prepared(items);
    assert_eq!(undated[0], undated[2]);
    assert_eq!(undated[3], undated[4]);
}

#[test]
fn window_is_inclusive_of_its_last_day() {
    let p = || prepare("the first step", Some("en"), None);
    let ids = cluster_dated(
        vec![p(), p(), p()],
        vec![Some(0), Some(TIME_WINDOW_DAYS), Some(TIME_WINDOW_DAYS + 1)],
    );
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[1], ids[2]);
}

#[test]
fn cluster_command_reads_published() {
    let input: String = DATED
        .iter()
        .enumerate()
        .map(|(i, (t, d))| {
            format!(
                "{}\n",
                serde_json::json!({"id": i, "text": t, "published": d})
            )
        })
        .collect();
    let out = Command::cargo_bin("quotetrace")
        .unwrap()
        .args(["cluster", "--quiet"])
        .write_stdin(input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let ids: Vec<ClusterId> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["cluster"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        partition(&ids),
        vec![vec![0, 1], vec![2], vec![3], vec![4], vec![5, 6, 7]]
    );
}

#[test]
fn cluster_command_skips_a_line_with_a_bad_date() {
    let input = "{\"id\":1,\"text\":\"a major threat\",\"published\":\"yesterday\"}\n\
                 {\"id\":2,\"text\":\"a major threat\",\"published\":\"2016-02-06\"}\n";
    Command::cargo_bin("quotetrace")
        .unwrap()
        .args(["cluster"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout("{\"id\":2,\"cluster\":0}\n")
        .stderr(predicates::str::contains(
            "line 1: skipped: published: not a date",
        ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    /// Dated batch clustering gives the same partition whatever the input order.
    #[test]
    fn dated_partition_is_order_independent(perm in Just((0..DATED.len()).collect::<Vec<_>>()).prop_shuffle()) {
        let (items, times) = items();
        let base = partition(&cluster_dated(items.clone(), times.clone()));
        let ids = cluster_dated(
            perm.iter().map(|&i| items[i].clone()).collect(),
            perm.iter().map(|&i| times[i]).collect(),
        );
        let mut back = vec![0; ids.len()];
        for (k, &i) in perm.iter().enumerate() {
            back[i] = ids[k];
        }
        prop_assert_eq!(partition(&back), base);
    }

    /// Without times, dated clustering is exactly the undated one (same ids).
    #[test]
    fn no_times_is_the_undated_clustering(perm in Just((0..DATED.len()).collect::<Vec<_>>()).prop_shuffle()) {
        let (items, _) = items();
        let items: Vec<Prepared> = perm.iter().map(|&i| items[i].clone()).collect();
        prop_assert_eq!(cluster_dated(items.clone(), vec![None; items.len()]), cluster_prepared(items));
    }
}
