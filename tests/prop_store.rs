//! Property tests of the provenance store (issue 5): ingest is idempotent (re-ingesting any
//! subset of what is stored changes nothing, down to the bytes of the export) and independent
//! of order (any permutation of a set of articles, committed in any grouping, gives the same
//! export, byte for byte with cluster ids, and the same lookup answers, first carrier
//! included).
//!
//! The store clusters each connected component of its match graph in a fixed order, and
//! derives cluster ids from their contents (see `store::ingest`), so that the clusters are a
//! function of the set of stored quotes. `clusters_do_not_depend_on_ingest_order` is the
//! smallest case that failed while the store clustered incrementally.
//!
//! Articles are built from sentences of the seed fixtures (full quotes, partial quotes, a scare
//! term, a credit to an outlet, renderings of one statement in different wordings), with random
//! outlets and random publication dates (bare dates, date-times, or none).

use std::path::Path;

use proptest::prelude::*;
use quotetrace::article::{Article, Meta};
use quotetrace::parse;
use quotetrace::provenance;
use quotetrace::store::Store;
use serde_json::Value;

/// Paragraphs around the seed articles' quotes (the last one a rewording written for this
/// test): several wordings of the same few statements, so that articles share clusters, plus
/// credits, partial quotes and a one-word scare term.
const POOL: &[&str] = &[
    "In a post shared on X, President Petro declared, “I have instructed all levels of the public security apparatus to suspend communication and intelligence sharing with U.S. security agencies.”",
    "In a message on X, Petro wrote that Colombia's military must immediately end “communications and other agreements with U.S. security agencies” until the U.S. ceases its attacks.",
    "“The fight against drug trafficking must be carried out with full respect for the human rights of the Caribbean people,” he said, as reported by Al Jazeera.",
    "Colombian President Gustavo Petro in a post on X wrote that “the fight against drugs must be subordinated to the human rights of the Caribbean people.”",
    "Petro denounced the killing, saying, “He may have been carrying fish, or he may have been carrying cocaine, but he had not been sentenced to death.”",
    "“He may have been carrying fish, or he may have been carrying cocaine,” Petro said, according to the Associated Press.",
    "Washington revoked Petro’s U.S. visa, accusing him of “reckless and incendiary actions” during his visit to the United Nations.",
    "Petro “has allowed drug cartels to flourish and refused to stop this activity,” Treasury Secretary Scott Bessent said in a statement.",
    "“President Trump is taking strong action to protect our nation,” Bessent said.",
    "The White House called the boats “narcoterrorists” in a statement.",
    "\"All levels of law enforcement intelligence are ordered to suspend communications and other dealings with U.S. security agencies,\" Petro wrote, as reported by Al Jazeera.",
    "On X, Petro wrote that \"an order has been given at all levels of the public security force’s intelligence services to suspend communications and other dealings with US security agencies,\" the Associated Press reported.",
    "\"The fight against drugs must be subordinated to the human rights of the Caribbean people,\" Petro wrote.",
    "Petro said: \"He may have been carrying fish, or he may have been carrying cocaine, but he had not been sentenced to death. There was no need to murder him.\"",
    "The suspension \"will remain in force as long as the missile attacks on boats continue.\"",
    "“The war on drugs has to respect the human rights of the people of the Caribbean,” Petro said.",
];

const OUTLETS: &[&str] = &[
    "Al Jazeera",
    "Associated Press",
    "Reuters",
    "Clash Report",
    "apnews.com",
];

/// One generated article before it gets its unique id: outlet, date, paragraphs.
#[derive(Debug, Clone)]
struct Spec {
    outlet: Option<usize>,
    published: Option<String>,
    paragraphs: Vec<usize>,
}

fn date() -> impl Strategy<Value = Option<String>> {
    // A few days, so that ties (same bare day, or a date-time inside a bare day) are common,
    // and one day two months later, so that the matcher's 30-day window comes into play.
    let day = prop::sample::select(vec!["2025-11-10", "2025-11-11", "2025-11-12", "2026-01-20"]);
    prop_oneof![
        1 => Just(None),
        2 => day.clone().prop_map(|d| Some(d.to_string())),
        2 => (day, 0u8..24, prop::sample::select(vec![0u8, 30]))
            .prop_map(|(d, h, m)| Some(format!("{d}T{h:02}:{m:02}:00Z"))),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::option::weighted(0.85, 0..OUTLETS.len()),
        date(),
        prop::collection::vec(0..POOL.len(), 1..4),
    )
        .prop_map(|(outlet, published, paragraphs)| Spec {
            outlet,
            published,
            paragraphs,
        })
}

/// Articles that are pairwise distinct as the store sees them (outlet and body): each body
/// starts with a line naming the article, so two specs never collapse into one stored article
/// with two different dates.
fn articles(specs: &[Spec]) -> Vec<Article> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut body = format!("Report {i}.\n\n");
            for &p in &s.paragraphs {
                body.push_str(POOL[p]);
                body.push_str("\n\n");
            }
            Article {
                id: format!("a{i}.txt"),
                meta: Meta {
                    outlet: s.outlet.map(|o| OUTLETS[o].to_string()),
                    published: s.published.clone(),
                    ..Meta::default()
                },
                body,
            }
        })
        .collect()
}

/// Ingests `articles` in the given order, committing after the positions in `commit_after`
/// (and at the end).
fn ingest(store: &mut Store, articles: &[&Article], commit_after: &[bool]) {
    for (i, a) in articles.iter().enumerate() {
        let quotes = parse::extract(&a.body);
        store.ingest_article(a, &quotes).expect("ingest");
        if commit_after.get(i).copied().unwrap_or(false) {
            store.commit().expect("commit");
        }
    }
    store.commit().expect("commit");
}

/// What `quotetrace export` prints, as JSON values, in cluster-id order.
fn export(store: &Store) -> Vec<Value> {
    let ids: Vec<u64> = store
        .clusters()
        .map(|c| c.expect("cluster record").id)
        .collect();
    ids.into_iter()
        .map(|id| {
            let chain = provenance::chain(store, id)
                .expect("chain")
                .expect("listed cluster exists");
            serde_json::to_value(&chain).unwrap()
        })
        .collect()
}

/// The export as text, one chain per line, in cluster-id order.
fn export_text(store: &Store) -> Vec<String> {
    export(store)
        .into_iter()
        .map(|c| serde_json::to_string(&c).unwrap())
        .collect()
}

/// Fragments a reader would look up: pieces of the pool's wordings, lower-cased, one with a
/// typo and one cut short.
const FRAGMENTS: &[&str] = &[
    "suspend communication and intelligence sharing",
    "other agreements with us security agencies",
    "fight against drugs",
    "full respect for the human rights",
    "carrying fish",
    "had not been sentenced",
    "reckless and incendiary",
    "drug cartels to flourish",
    "taking strong acton",
    "narcoterrorists",
    "protect our nat",
];

/// Each fragment's hits, ranked, as (score, the hit's chain with its id).
fn lookups(store: &Store) -> Vec<Vec<(String, String)>> {
    FRAGMENTS
        .iter()
        .map(|f| {
            store
                .lookup(f, 50)
                .expect("lookup")
                .into_iter()
                .map(|h| {
                    let c = provenance::chain(store, h.cluster).unwrap().unwrap();
                    (
                        format!("{:.6}", h.score),
                        serde_json::to_string(&c).unwrap(),
                    )
                })
                .collect()
        })
        .collect()
}

/// Every occurrence in the store with what does not depend on how quotes are clustered:
/// its role, its cluster's other members and whether a credited outlet carried the same
/// statement all do, so they are left out.
fn occurrences(store: &Store) -> Vec<String> {
    let mut out: Vec<String> = export(store)
        .into_iter()
        .flat_map(|c| c["occurrences"].as_array().unwrap().clone())
        .map(|o| {
            let credits: Vec<Value> = o["credits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| serde_json::json!([c["outlet"], c["phrase"], c["kind"], c["in_store"]]))
                .collect();
            serde_json::json!([
                o["source"],
                o["article"],
                o["outlet"],
                o["published"],
                o["wording"],
                o["span"],
                o["kind"],
                o["speaker"],
                o["cue"],
                o["channel"],
                o["credit_kind"],
                credits,
            ])
            .to_string()
        })
        .collect();
    out.sort();
    out
}

/// A permutation of `0..n` drawn from `keys` (a sort by random keys; ties keep index order).
fn permutation(keys: &[u32], n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| keys[i % keys.len()]);
    order
}

fn first_differences(a: &[String], b: &[String]) -> String {
    let only_a: Vec<&String> = a.iter().filter(|x| !b.contains(x)).collect();
    let only_b: Vec<&String> = b.iter().filter(|x| !a.contains(x)).collect();
    format!(
        "{} chains vs {}\nonly in the first order:\n{}\nonly in the second order:\n{}",
        a.len(),
        b.len(),
        only_a
            .iter()
            .map(|s| format!("  {s:.600}"))
            .collect::<Vec<_>>()
            .join("\n"),
        only_b
            .iter()
            .map(|s| format!("  {s:.600}"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        // Each case extracts and ingests a handful of short articles two or three times in
        // memory; 48 cases stay within a few seconds in a debug build.
        cases: 48,
        max_shrink_iters: 512,
        ..ProptestConfig::default()
    })]

    /// Re-ingesting any subset of stored articles, in any order and any commit grouping,
    /// leaves the export byte for byte as it was (cluster ids included) and the counts too.
    #[test]
    fn reingesting_any_subset_changes_nothing(
        specs in prop::collection::vec(spec(), 1..6),
        subset in prop::collection::vec(any::<bool>(), 6),
        keys in prop::collection::vec(any::<u32>(), 6),
        commits in prop::collection::vec(any::<bool>(), 12),
    ) {
        let arts = articles(&specs);
        let mut store = Store::in_memory();
        let all: Vec<&Article> = arts.iter().collect();
        ingest(&mut store, &all, &commits);
        let before = export(&store);
        let counts = store.counts().unwrap();

        let again: Vec<&Article> = permutation(&keys, arts.len())
            .into_iter()
            .filter(|&i| subset[i])
            .map(|i| &arts[i])
            .collect();
        // Staged twice in one commit, too: "already stored (or staged)" is left as it is.
        let twice: Vec<&Article> = again.iter().chain(again.iter()).copied().collect();
        ingest(&mut store, &twice, &commits[6..]);
        prop_assert_eq!(store.counts().unwrap(), counts);
        prop_assert_eq!(export(&store), before);
    }

    /// Any permutation of the same articles, committed in any grouping, stores the same
    /// occurrences: each with its article, date, wording, span, speaker, cue, channel and
    /// credits, and the same numbers of articles, outlets, occurrences and credit edges.
    #[test]
    fn ingest_order_changes_no_occurrence(
        specs in prop::collection::vec(spec(), 2..6),
        keys in prop::collection::vec(any::<u32>(), 6),
        commits_a in prop::collection::vec(any::<bool>(), 6),
        commits_b in prop::collection::vec(any::<bool>(), 6),
    ) {
        let arts = articles(&specs);
        let mut a = Store::in_memory();
        ingest(&mut a, &arts.iter().collect::<Vec<_>>(), &commits_a);
        let order = permutation(&keys, arts.len());
        let mut b = Store::in_memory();
        ingest(&mut b, &order.iter().map(|&i| &arts[i]).collect::<Vec<_>>(), &commits_b);

        let (ca, cb) = (a.counts().unwrap(), b.counts().unwrap());
        prop_assert_eq!(
            (ca.articles, ca.outlets, ca.occurrences, ca.credit_edges),
            (cb.articles, cb.outlets, cb.occurrences, cb.credit_edges)
        );
        prop_assert_eq!(occurrences(&a), occurrences(&b), "order {:?}", order);
    }

    /// Any permutation of the same articles, committed in any grouping, gives the same chains
    /// (cluster ids, wordings, occurrences, first carrier, credits) and the same lookup
    /// answers, ranking included.
    #[test]
    fn ingest_order_changes_no_answer(
        specs in prop::collection::vec(spec(), 2..9),
        keys in prop::collection::vec(any::<u32>(), 9),
        commits_a in prop::collection::vec(any::<bool>(), 9),
        commits_b in prop::collection::vec(any::<bool>(), 9),
    ) {
        let arts = articles(&specs);

        let mut a = Store::in_memory();
        ingest(&mut a, &arts.iter().collect::<Vec<_>>(), &commits_a);

        let order = permutation(&keys, arts.len());
        let mut b = Store::in_memory();
        ingest(&mut b, &order.iter().map(|&i| &arts[i]).collect::<Vec<_>>(), &commits_b);

        prop_assert_eq!(a.counts().unwrap(), b.counts().unwrap());
        let (ea, eb) = (export_text(&a), export_text(&b));
        prop_assert!(ea == eb, "order {:?} changed the export: {}", order, first_differences(&ea, &eb));
        prop_assert_eq!(lookups(&a), lookups(&b), "order {:?} changed a lookup", order);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        // sled: opening and flushing a store on disk costs tens of milliseconds.
        cases: 6,
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    })]

    /// On disk: closing the store, reopening it and ingesting everything again changes nothing.
    #[test]
    fn reingesting_after_reopen_changes_nothing_on_disk(
        specs in prop::collection::vec(spec(), 1..5),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path: &Path = &dir.path().join("store");
        let arts = articles(&specs);
        let all: Vec<&Article> = arts.iter().collect();
        let before = {
            let mut store = Store::open(path).unwrap();
            ingest(&mut store, &all, &[]);
            export(&store)
        };
        let mut store = Store::open(path).unwrap();
        prop_assert_eq!(&export(&store), &before);
        ingest(&mut store, &all, &[true]);
        prop_assert_eq!(export(&store), before);
    }
}

/// The smallest case found by `ingest_order_changes_no_answer` while the store clustered
/// incrementally: three renderings of one Petro statement (a full quote, a partial quote, and
/// a reworded full quote), all dated the same day. B is an excerpt of C, C matches A, B does
/// not match A. Incrementally, A B C made {A} {B C}, A C B made {A C} {B}, B C A made {A B C}.
/// Now every order gives the same partition and the same cluster ids.
#[test]
fn clusters_do_not_depend_on_ingest_order() {
    let specs: Vec<Spec> = [0usize, 1, 10]
        .iter()
        .enumerate()
        .map(|(k, &p)| Spec {
            outlet: Some(k),
            published: Some("2025-11-10".into()),
            paragraphs: vec![p],
        })
        .collect();
    let arts = articles(&specs);
    let partition = |order: [usize; 3]| {
        let mut store = Store::in_memory();
        ingest(&mut store, &order.map(|i| &arts[i]), &[]);
        let mut clusters: Vec<(u64, Vec<String>)> = export(&store)
            .iter()
            .map(|c| {
                let mut m: Vec<String> = c["occurrences"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["source"].as_str().unwrap().to_string())
                    .collect();
                m.sort();
                (c["cluster"].as_u64().unwrap(), m)
            })
            .collect();
        clusters.sort();
        clusters
    };
    let first = partition([0, 1, 2]);
    for order in [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
        assert_eq!(partition(order), first, "order {order:?} against [0, 1, 2]");
    }
}

/// The real-data case: the 383 Giveme5W1H articles of `../shared/eval/provenance` (news about
/// 69 events, many quotes carried by several outlets in several wordings), ingested in file
/// order, reversed, and in a random permutation committed every 7 articles, give the same
/// export byte for byte (cluster ids included) and the same answers to lookups of pieces of
/// every stored wording. Skipped, with a note, where the shared data is not present.
#[test]
fn giveme5w1h_in_any_order_gives_the_same_store() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/provenance/giveme5w1h");
    if !dir.is_dir() {
        eprintln!("skipped: {} is not present", dir.display());
        return;
    }
    let arts: Vec<Article> = quotetrace::article::read_inputs([&dir], Default::default())
        .filter_map(Result::ok)
        .collect();
    assert!(arts.len() > 300, "{} articles read", arts.len());
    let quotes: Vec<_> = arts.iter().map(|a| parse::extract(&a.body)).collect();
    let run = |order: &[usize], every: usize| {
        let mut store = Store::in_memory();
        for (n, &i) in order.iter().enumerate() {
            store.ingest_article(&arts[i], &quotes[i]).expect("ingest");
            if (n + 1) % every == 0 {
                store.commit().expect("commit");
            }
        }
        store.commit().expect("commit");
        store
    };
    let forward: Vec<usize> = (0..arts.len()).collect();
    let a = run(&forward, 128);
    let fragments: Vec<String> = export(&a)
        .iter()
        .flat_map(|c| c["variants"].as_array().unwrap().clone())
        .filter_map(|v| {
            let words: Vec<&str> = v["wording"].as_str()?.split_whitespace().collect();
            (words.len() >= 4).then(|| words[words.len() / 3..][..3].join(" "))
        })
        .step_by(3)
        .collect();
    let answers = |s: &Store| -> Vec<Vec<(u64, String)>> {
        fragments
            .iter()
            .map(|f| {
                s.lookup(f, 10)
                    .unwrap()
                    .into_iter()
                    .map(|h| (h.cluster, format!("{:.6}", h.score)))
                    .collect()
            })
            .collect()
    };
    let (ea, la) = (export_text(&a), answers(&a));
    let mut reversed = forward.clone();
    reversed.reverse();
    // A fixed pseudo-random permutation (xorshift keys), so a failure is reproducible.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let keys: Vec<u32> = (0..arts.len())
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u32
        })
        .collect();
    let shuffled = permutation(&keys, arts.len());
    for (name, order, every) in [("reversed", &reversed, 128), ("shuffled", &shuffled, 7)] {
        let b = run(order, every);
        let eb = export_text(&b);
        assert!(
            ea == eb,
            "{name} order changed the export: {}",
            first_differences(&ea, &eb)
        );
        assert!(la == answers(&b), "{name} order changed a lookup");
    }
}
