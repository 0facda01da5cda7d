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
    let b = crate::provenance::chain(&backward, id).unwrap().unwrap();
    assert_eq!(
        b.first_carrier.outlets,
        vec!["Associated Press".to_string()]
    );
    // Same answers whatever the order, cluster numbers aside.
    let strip = |mut c: crate::provenance::Chain| {
        c.cluster = 0;
        c
    };
    assert_eq!(strip(a), strip(b));
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
    let chain = crate::provenance::chain(&store, 1).unwrap().unwrap();
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
