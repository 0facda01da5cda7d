//! Store unit tests on hand-built quotes, independent of the parser.

use super::*;
use crate::article::{Article, Meta};
use crate::parse::{Credit, CreditScope, Quote, QuoteKind, Span, Speaker};

fn article(id: &str, outlet: &str, published: Option<&str>, body: &str) -> Article {
    Article {
        id: id.into(),
        meta: Meta {
            outlet: Some(outlet.into()),
            published: published.map(str::to_owned),
            ..Meta::default()
        },
        body: body.into(),
    }
}

/// A quote of `text` wherever it first occurs in `body`.
fn quote(body: &str, text: &str, speaker: Option<&str>, credit: Option<&str>) -> Quote {
    let start = body.find(text).expect("quote text in body");
    Quote {
        quote: Span {
            start,
            end: start + text.len(),
            text: text.into(),
        },
        kind: QuoteKind::Full,
        speaker: speaker.map(|n| Speaker {
            name: n.into(),
            mention: Span {
                start: 0,
                end: 0,
                text: n.into(),
            },
        }),
        cue: None,
        channel: None,
        credits: credit
            .map(|c| {
                vec![Credit {
                    outlet: c.into(),
                    phrase: format!("as reported by {c}"),
                    start: 0,
                    end: 0,
                    scope: CreditScope::Sentence,
                }]
            })
            .unwrap_or_default(),
        parent: None,
        closed: true,
    }
}

const FISH: &str = "He may have been carrying fish";

fn fish_articles() -> Vec<(Article, Vec<Quote>)> {
    let a = "“He may have been carrying fish,” the mother said. (AP)";
    let b = "The mother said: “He may have been carrying fish.” Other words here.";
    let c = "Relatives said “he may have been carrying fish”, as quoted by the Associated Press.";
    vec![
        (
            article("a", "Associated Press", Some("2025-11-10T08:00:00Z"), a),
            vec![quote(a, FISH, Some("mother"), None)],
        ),
        (
            article("b", "Al Jazeera", Some("2025-11-11"), b),
            vec![quote(b, FISH, Some("mother"), None)],
        ),
        (
            article("c", "CNN", Some("2025-11-12T10:00:00Z"), c),
            vec![quote(
                c,
                "he may have been carrying fish",
                Some("mother"),
                Some("Associated Press"),
            )],
        ),
    ]
}

fn ingest_all(store: &mut Store, items: &[(Article, Vec<Quote>)]) {
    for (a, q) in items {
        store.ingest_article(a, q).unwrap();
    }
    store.flush().unwrap();
}

#[test]
fn one_statement_three_outlets_is_one_cluster() {
    let mut store = Store::in_memory();
    ingest_all(&mut store, &fish_articles());
    assert_eq!(store.cluster_count(), 1);
    let hits = store.lookup("he may have been carrying fish", 10).unwrap();
    assert_eq!(hits.len(), 1);
    let chain = crate::provenance::chain(&store, hits[0].cluster)
        .unwrap()
        .unwrap();
    assert_eq!(chain.occurrences.len(), 3);
    assert_eq!(
        chain.first_carrier.status,
        crate::provenance::FirstStatus::Unique
    );
    assert_eq!(
        chain.first_carrier.outlets,
        vec!["Associated Press".to_string()]
    );
    let cnn = chain
        .occurrences
        .iter()
        .find(|o| o.outlet.as_deref() == Some("CNN"))
        .unwrap();
    assert_eq!(cnn.credit_kind, crate::provenance::CreditKind::Wire);
    assert_eq!(cnn.credits[0].carried_earlier, Some(true));
    assert_eq!(cnn.parent, Some(0));
}

#[test]
fn reingest_changes_nothing() {
    let mut store = Store::in_memory();
    let items = fish_articles();
    ingest_all(&mut store, &items);
    let before = store.counts().unwrap();
    let r = store.ingest_article(&items[0].0, &items[0].1).unwrap();
    assert!(r.already_present);
    assert_eq!(store.counts().unwrap(), before);
}

#[test]
fn an_earlier_article_arriving_later_moves_the_first_carrier() {
    let items = fish_articles();
    let mut forward = Store::in_memory();
    ingest_all(&mut forward, &items);
    let mut backward = Store::in_memory();
    let mut rev = items.clone();
    rev.reverse();
    // Ingest only the later two first: CNN would not be first, Al Jazeera is.
    ingest_all(&mut backward, &rev[..2]);
    let id = backward.lookup(FISH, 1).unwrap()[0].cluster;
    let c = crate::provenance::chain(&backward, id).unwrap().unwrap();
    assert_eq!(c.first_carrier.outlets, vec!["Al Jazeera".to_string()]);
    ingest_all(&mut backward, &rev[2..]);
    let a = crate::provenance::chain(&forward, forward.lookup(FISH, 1).unwrap()[0].cluster)
        .unwrap()
        .unwrap();
    let b = crate::provenance::chain(&backward, backward.lookup(FISH, 1).unwrap()[0].cluster)
        .unwrap()
        .unwrap();
    assert_eq!(
        b.first_carrier.outlets,
        vec!["Associated Press".to_string()]
    );
    // Same answers whatever the order, cluster ids included: an id is derived from the
    // cluster's first member in a fixed order, not from arrival.
    assert_eq!(a, b);
}

#[test]
fn ties_and_missing_dates_are_reported() {
    let mut store = Store::in_memory();
    let a = "“We will not back down,” Petro wrote.";
    let b = "Petro wrote: “We will not back down.”";
    let c = "“We will not back down” was the message.";
    let q = "We will not back down";
    ingest_all(
        &mut store,
        &[
            (
                article("a", "El Tiempo", Some("2025-11-12"), a),
                vec![quote(a, q, None, None)],
            ),
            (
                article("b", "Semana", Some("2025-11-12T09:00:00Z"), b),
                vec![quote(b, q, None, None)],
            ),
            (article("c", "Blog", None, c), vec![quote(c, q, None, None)]),
        ],
    );
    let id = store.clusters().next().unwrap().unwrap().id;
    let chain = crate::provenance::chain(&store, id).unwrap().unwrap();
    assert_eq!(
        chain.first_carrier.status,
        crate::provenance::FirstStatus::Tie
    );
    assert_eq!(chain.first_carrier.outlets.len(), 2);
    assert_eq!(chain.undated, 1);
    assert_eq!(chain.occurrences[2].role, crate::provenance::Role::Undated);
}

#[test]
fn lookup_forgives_case_punctuation_typos_and_truncation() {
    let mut store = Store::in_memory();
    ingest_all(&mut store, &fish_articles());
    let other = "“Taxes will go down next year,” the minister said.";
    ingest_all(
        &mut store,
        &[(
            article("d", "Semana", Some("2025-11-12"), other),
            vec![quote(
                other,
                "Taxes will go down next year,",
                Some("minister"),
                None,
            )],
        )],
    );
    for q in [
        "HE MAY HAVE BEEN CARRYING FISH!",
        "may have been carryign fish",
        "have been carrying fi",
        "been carrying",
    ] {
        let hits = store.lookup(q, 5).unwrap();
        assert!(!hits.is_empty(), "{q}");
        let c = store.cluster(hits[0].cluster).unwrap().unwrap();
        assert!(c.canonical.to_lowercase().contains("carrying fish"), "{q}");
    }
    assert!(store
        .lookup("completely unrelated words", 5)
        .unwrap()
        .is_empty());
}

#[test]
fn outlet_keys_meet_across_names_and_domains() {
    assert_eq!(outlet_key("www.aljazeera.com"), outlet_key("Al Jazeera"));
    assert_eq!(outlet_key("edition.cnn.com"), outlet_key("CNN (Web News)"));
    assert_eq!(outlet_key("apnews.com"), outlet_key("Associated Press"));
    assert_eq!(
        outlet_key("New York Times - News"),
        outlet_key("nytimes.com")
    );
    assert_eq!(outlet_key("https://www.bbc.co.uk/news/x"), "bbc");
    assert_eq!(outlet_key("The Guardian"), "guardian");
}

#[test]
fn check_finds_nothing_wrong_in_a_sound_store() {
    let mut store = Store::in_memory();
    ingest_all(&mut store, &fish_articles());
    assert!(store.check().unwrap().is_empty());
    let counts = store.counts().unwrap();
    assert_eq!(counts.articles, 3);
    assert_eq!(counts.occurrences, 3);
    assert_eq!(counts.credit_edges, 1);
    assert_eq!(counts.outlets, 3);
}

#[test]
fn schema_versions_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let mut store = Store::open(&path).unwrap();
        let mut b = WriteBatch::default();
        b.put(
            META_SCHEMA.to_vec(),
            (SCHEMA_VERSION + 1).to_be_bytes().to_vec(),
        );
        store.backend().apply(b).unwrap();
        store.flush().unwrap();
    }
    let err = Store::open(&path).err().expect("newer schema refused");
    assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
    assert!(err.to_string().contains("upgrade quotetrace"));
}

#[test]
fn a_foreign_sled_database_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let db = sled::open(&path).unwrap();
        db.insert(b"x", b"y").unwrap();
        db.flush().unwrap();
    }
    let err = Store::open(&path).err().expect("refused");
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
}

#[test]
fn a_file_is_not_a_store() {
    let f = tempfile::NamedTempFile::new().unwrap();
    assert!(matches!(
        Store::open(f.path()).err(),
        Some(StoreError::NotAStore { .. })
    ));
}

#[test]
fn persisted_store_reopens_with_its_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let mut store = Store::open(&path).unwrap();
        ingest_all(&mut store, &fish_articles()[..2]);
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.cluster_count(), 1);
    ingest_all(&mut store, &fish_articles()[2..]);
    assert_eq!(store.cluster_count(), 1);
    assert_eq!(store.counts().unwrap().occurrences, 3);
}

/// A `term` (scare quote) version of [`quote`].
fn term(body: &str, text: &str, speaker: Option<&str>) -> Quote {
    Quote {
        kind: QuoteKind::Term,
        ..quote(body, text, speaker, None)
    }
}

/// Clusters of the stored occurrences, as sets of (outlet, wording), independent of numbering.
fn partition(store: &Store) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    for c in store.clusters() {
        let c = c.unwrap();
        let mut members: Vec<(String, String)> = store
            .occurrences(c.id)
            .unwrap()
            .into_iter()
            .map(|o| {
                let a = store.article(&o.article).unwrap().unwrap();
                (a.outlet.unwrap_or_default(), o.quote.text)
            })
            .collect();
        members.sort();
        out.push(members);
    }
    out.sort();
    out
}

#[test]
fn short_quotes_keep_to_their_time_window() {
    let body = |o: &str| format!("Officials in {o} called it “a major threat” on Monday.");
    let items: Vec<(Article, Vec<Quote>)> = [
        ("A", "2016-03-01"),
        ("B", "2016-03-09"),
        ("C", "2018-07-20T10:00:00Z"),
    ]
    .iter()
    .map(|(o, d)| {
        let b = body(o);
        let q = quote(&b, "a major threat", None, None);
        (article(o, o, Some(d), &b), vec![q])
    })
    .collect();
    let mut store = Store::in_memory();
    ingest_all(&mut store, &items);
    let p = partition(&store);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p
        .iter()
        .any(|c| c.len() == 2 && c[0].0 == "a" && c[1].0 == "b"));
    let rec = store
        .clusters()
        .map(Result::unwrap)
        .find(|c| c.occurrences == 2)
        .unwrap();
    assert_eq!(rec.span.map(|s| s.days()), Some(8));
    // Undated, the same words are one cluster: unknown times never constrain.
    let mut undated = Store::in_memory();
    let items: Vec<_> = items
        .into_iter()
        .map(|(mut a, q)| {
            a.meta.published = None;
            (a, q)
        })
        .collect();
    ingest_all(&mut undated, &items);
    assert_eq!(undated.cluster_count(), 1);
}

#[test]
fn a_long_quote_recurs_across_the_window_only_as_an_excerpt() {
    let whole = "We will never accept a nuclear North Korea threatening our allies and our cities";
    let part = "never accept a nuclear North Korea threatening our allies";
    let reworded =
        "we shall not ever accept North Korea with nuclear arms threatening allies and cities";
    let a = format!("The president said: “{whole}.”");
    let b = format!("Two years on, he repeated that he would “{part}”.");
    let c = format!("Two years on, he said “{reworded}”.");
    let mut store = Store::in_memory();
    ingest_all(
        &mut store,
        &[
            (
                article("a", "A", Some("2016-01-05"), &a),
                vec![quote(&a, whole, Some("Trump"), None)],
            ),
            (
                article("b", "B", Some("2018-01-05"), &b),
                vec![quote(&b, part, Some("Trump"), None)],
            ),
            (
                article("c", "C", Some("2018-01-06"), &c),
                vec![quote(&c, reworded, Some("Trump"), None)],
            ),
        ],
    );
    let p = partition(&store);
    assert!(
        p.iter()
            .any(|c| c.len() == 2 && c[0].0 == "a" && c[1].0 == "b"),
        "the excerpt joins across two years: {p:?}"
    );
    assert!(
        p.iter().any(|c| c.len() == 1 && c[0].0 == "c"),
        "the rewording does not: {p:?}"
    );
}

#[test]
fn scare_quotes_join_only_the_same_words_with_the_same_holder() {
    let a = "Critics called the design “boring” this week.";
    let b = "The company, called “Boring,” digs tunnels.";
    let c = "Musk said the rocket would be “boring” to watch.";
    let d = "Analysts dismissed the phone as “boring”, a “travel advisory” aside.";
    let e = "It was “possible stowaway” activity, KTLA said.";
    let f = "A bird, a “stowaway”, was found in the cabin.";
    let mut store = Store::in_memory();
    ingest_all(
        &mut store,
        &[
            (
                article("a", "A", Some("2018-01-01"), a),
                vec![term(a, "boring", None)],
            ),
            (
                article("c", "C", Some("2018-01-02"), c),
                vec![term(c, "boring", Some("Musk"))],
            ),
            (
                article("b", "B", Some("2018-01-03"), b),
                vec![quote(b, "Boring,", None, None)],
            ),
            (
                article("d", "D", Some("2018-01-04"), d),
                vec![term(d, "boring", None), term(d, "travel advisory", None)],
            ),
            (
                article("g", "G", Some("2018-01-05"), a),
                vec![term(a, "boring", Some("critics"))],
            ),
            (
                article(
                    "h",
                    "H",
                    Some("2018-01-05"),
                    "The NAACP's “travel advisory” stands.",
                ),
                vec![term(
                    "The NAACP's “travel advisory” stands.",
                    "travel advisory",
                    None,
                )],
            ),
            (
                article("e", "E", Some("2018-01-01"), e),
                vec![term(e, "possible stowaway", None)],
            ),
            (
                article("f", "F", Some("2018-01-02"), f),
                vec![term(f, "stowaway", None)],
            ),
        ],
    );
    let p = partition(&store);
    // A one-word term joins nothing without a holder, nor the full quote of the same word, nor
    // another holder's; the stowaways stay apart; the two-word term recurs.
    assert_eq!(p.len(), 8, "{p:?}");
    assert!(p
        .iter()
        .any(|c| c.len() == 2 && c[0].0 == "d" && c[1].0 == "h"));
}

#[test]
fn dated_clusters_do_not_depend_on_ingest_order() {
    let mut items = fish_articles();
    let x = "Residents called the storm “a major threat” to the coast.";
    let y = "The mayor described “a major threat” from the storm.";
    let z = "Ports called the rules “unfair” again.";
    let w = "Exporters described them as “unfair”.";
    items.push((
        article("x", "Semana", Some("2025-11-12"), x),
        vec![quote(x, "a major threat", None, None)],
    ));
    items.push((
        article("y", "El Tiempo", Some("2025-11-20T00:00:00"), y),
        vec![quote(y, "a major threat", Some("mayor"), None)],
    ));
    items.push((
        article("z", "Semana", Some("2025-11-13"), z),
        vec![term(z, "unfair", None)],
    ));
    items.push((
        article("w", "El Tiempo", Some("2025-11-14"), w),
        vec![term(w, "unfair", None)],
    ));
    let mut forward = Store::in_memory();
    ingest_all(&mut forward, &items);
    let mut backward = Store::in_memory();
    let mut rev = items.clone();
    rev.reverse();
    ingest_all(&mut backward, &rev);
    assert_eq!(partition(&forward), partition(&backward));
    let chains = |s: &Store| {
        let mut v: Vec<_> = s
            .clusters()
            .map(|c| {
                let mut ch = crate::provenance::chain(s, c.unwrap().id).unwrap().unwrap();
                ch.cluster = 0;
                format!("{ch:?}")
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(chains(&forward), chains(&backward));
}

#[test]
fn a_store_of_the_previous_schema_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let store = Store::open(&path).unwrap();
        let mut b = WriteBatch::default();
        b.put(
            META_SCHEMA.to_vec(),
            (SCHEMA_VERSION - 1).to_be_bytes().to_vec(),
        );
        store.backend().apply(b).unwrap();
        store.backend().flush().unwrap();
    }
    let err = Store::open(&path).err().expect("older schema refused");
    assert!(matches!(err, StoreError::OlderSchema { .. }), "{err}");
    assert!(err.to_string().contains("re-ingest"), "{err}");
}

#[test]
fn one_word_quotes_join_only_the_same_words() {
    let a = "“We got this!” the players shouted.";
    let b = "“Got it,” wrote a man at an Oracle address.";
    let c = "“Got it,” Smith wrote back.";
    let d = "Someone replied: “Got it.”";
    let mut store = Store::in_memory();
    ingest_all(
        &mut store,
        &[
            (
                article("a", "A", Some("2016-11-03"), a),
                vec![quote(a, "We got this!", None, None)],
            ),
            (
                article("b", "B", Some("2016-11-04"), b),
                vec![quote(b, "Got it,", None, None)],
            ),
            (
                article("c", "C", Some("2016-11-04"), c),
                vec![quote(c, "Got it,", Some("Smith"), None)],
            ),
            (
                article("d", "D", Some("2016-11-05"), d),
                vec![quote(d, "Got it.", None, None)],
            ),
        ],
    );
    let p = partition(&store);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p.iter().any(|c| c.len() == 1 && c[0].0 == "a"));
}

#[test]
fn outlet_names_do_not_depend_on_ingest_order() {
    let a = "“We will not back down,” Petro wrote.";
    let b = "Petro wrote: “We will not back down, ever.”";
    let c = "“Not back down,” he wrote.";
    let items = vec![
        (
            article("a", "www.huffingtonpost.com.au", Some("2025-11-12"), a),
            vec![quote(a, "We will not back down,", Some("Petro"), None)],
        ),
        (
            article("b", "www.huffingtonpost.ca", Some("2025-11-12"), b),
            vec![quote(
                b,
                "We will not back down, ever.",
                Some("Petro"),
                None,
            )],
        ),
        (
            article("c", "HuffPost", Some("2025-11-13"), c),
            vec![quote(c, "Not back down,", Some("Petro"), None)],
        ),
    ];
    let mut forward = Store::in_memory();
    ingest_all(&mut forward, &items);
    let mut backward = Store::in_memory();
    let mut rev = items.clone();
    rev.reverse();
    ingest_all(&mut backward, &rev);
    let key = outlet_key("HuffPost");
    let (f, b) = (
        forward.outlet(&key).unwrap().unwrap(),
        backward.outlet(&key).unwrap().unwrap(),
    );
    assert_eq!(f, b);
    assert_eq!(f.name, "HuffPost");
    // Without the real name, the smallest domain is shown, whichever came first.
    let mut one = Store::in_memory();
    ingest_all(&mut one, &items[..2]);
    let mut other = Store::in_memory();
    ingest_all(&mut other, &[items[1].clone(), items[0].clone()]);
    assert_eq!(one.outlet(&key).unwrap(), other.outlet(&key).unwrap());
}

/// Words whose lookup postings the delta tests compare.
const DELTA_WORDS: [&str; 5] = ["carrying", "fish", "taxes", "year", "nowhere"];

fn minister_articles() -> Vec<(Article, Vec<Quote>)> {
    let body = "“Taxes will go down next year,” the minister said.";
    let again = "The minister repeated: “Taxes will go down next year.”";
    vec![
        (
            article("d", "Semana", Some("2025-11-12"), body),
            vec![quote(
                body,
                "Taxes will go down next year,",
                Some("minister"),
                None,
            )],
        ),
        (
            article("e", "El Tiempo", Some("2025-11-13"), again),
            vec![quote(
                again,
                "Taxes will go down next year.",
                Some("minister"),
                None,
            )],
        ),
    ]
}

/// What lookup reads of the postings: each word's wording count and runs, and the answers.
fn postings_view(store: &Store) -> Vec<(u32, Vec<PostingRun>, Vec<LookupHit>)> {
    DELTA_WORDS
        .iter()
        .map(|w| {
            let mut runs = Vec::new();
            store
                .term_runs(w, |r| {
                    runs.push(r);
                    true
                })
                .unwrap();
            (
                store.vocab_df(w).unwrap(),
                runs,
                store.lookup(w, 5).unwrap(),
            )
        })
        .collect()
}

fn deltas_stored(store: &Store) -> usize {
    store.backend().scan_prefix(&[prefix::DELTA]).count()
}

#[test]
fn lookups_read_postings_still_in_deltas_and_half_done_compactions() {
    let mut items = fish_articles();
    items.extend(minister_articles());
    // One commit per article, compacted at once.
    let mut compacted = Store::in_memory();
    for (a, q) in &items {
        compacted.ingest_article(a, q).unwrap();
        compacted.commit().unwrap();
    }
    assert_eq!(deltas_stored(&compacted), 0);
    let want = postings_view(&compacted);
    assert!(want[..4]
        .iter()
        .all(|(df, runs, hits)| *df > 0 && !runs.is_empty() && !hits.is_empty()));
    assert!(want[4].1.is_empty() && want[4].0 == 0);

    // The same commits in the background: their postings stay in deltas.
    let mut store = Store::in_memory();
    for (a, q) in &items {
        store.ingest_article(a, q).unwrap();
        store.commit_in_background().unwrap();
    }
    store.wait_for_commit().unwrap();
    assert_eq!(deltas_stored(&store), items.len());
    assert_eq!(postings_view(&store), want);

    // A compaction that a crash stopped after writing one word's segment: that word's deltas
    // are not read twice, by lookup or by the next compaction.
    let newest = store
        .backend()
        .scan_prefix_rev(&[prefix::DELTA])
        .next()
        .unwrap()
        .unwrap()
        .0;
    let seq = ingest::key_number(&newest).unwrap();
    let mut runs = Vec::new();
    store
        .term_runs("taxes", |r| {
            runs.push(r);
            true
        })
        .unwrap();
    let total = runs.iter().map(|r| r.0).sum::<u32>();
    let mut b = WriteBatch::default();
    b.put(term_key("taxes", seq), encode(&(total, runs)));
    store.backend().apply(b).unwrap();
    assert_eq!(postings_view(&store), want);
    store.commit().unwrap();
    assert_eq!(deltas_stored(&store), 0);
    assert_eq!(postings_view(&store), want);
}
