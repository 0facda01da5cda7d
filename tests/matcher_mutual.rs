//! Batch clustering's relative criterion: two rewordings that share too few words for the
//! absolute overlap threshold still form one statement when each is the other's closest wording
//! in the batch, while look-alikes that hinge on one shared word stay apart.

use quotetrace::matcher::{cluster_prepared, prepare, same_statement, Prepared, TermStats};

fn batch() -> Vec<Prepared> {
    [
        "Because of a tight budget, air-conditioners will only be installed in the hottest rooms.",
        "Due to limited funding, air-conditioning will be installed only into the most problematic areas.",
        "obey the orders of humanity",
        "disobey the orders of Trump",
    ]
    .iter()
    .map(|t| prepare(t, Some("en"), None))
    .collect()
}

#[test]
fn reciprocal_best_rewordings_join_below_the_pairwise_threshold() {
    let items = batch();
    let mut stats = TermStats::default();
    for p in &items {
        stats.observe(p);
    }
    // On their own the two budget renderings are not enough alike ...
    assert!(same_statement(&items[0], &items[1], &stats).is_none());
    // ... but in the batch each is the other's best match.
    let ids = cluster_prepared(items);
    assert_eq!(ids[0], ids[1]);
    // Reciprocal best matches too, but sharing one content word is never evidence enough.
    assert_ne!(ids[2], ids[3]);
    assert_ne!(ids[0], ids[2]);
}

#[test]
fn the_relative_criterion_does_not_depend_on_input_order() {
    let items = batch();
    let reversed: Vec<Prepared> = items.iter().rev().cloned().collect();
    let a = cluster_prepared(items);
    let mut b = cluster_prepared(reversed);
    b.reverse();
    for i in 0..a.len() {
        for j in 0..a.len() {
            assert_eq!(a[i] == a[j], b[i] == b[j]);
        }
    }
}
