//! Issue 6: `lookup` accepts a fragment in either language. After ingesting the five seeds,
//! which carry Petro's posts only in English renderings, Spanish fragments of his posts find
//! the English clusters, and a Spanish fragment about something else finds nothing.
//!
//! Needs the model weights (scripts/fetch_model.sh; CI fetches them). Without them each test
//! prints a notice and passes without checking anything, as the model's known-answer tests do.

use std::sync::OnceLock;

use quotetrace::article::Article;
use quotetrace::matcher::embed::{model_path, E5Model, Embedder};
use quotetrace::store::xlookup::fragment_lang;
use quotetrace::store::Store;

fn model() -> Option<&'static E5Model> {
    static MODEL: OnceLock<Option<E5Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| match E5Model::load(&model_path()) {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!("skipped: no embedding model ({e})");
                None
            }
        })
        .as_ref()
}

fn seeded() -> Store {
    let mut store = Store::in_memory();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/seeds");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let article = Article::from_text(&path.to_string_lossy(), &text).unwrap();
        let quotes = quotetrace::parse::extract(&article.body);
        store.ingest_article(&article, &quotes).unwrap();
    }
    store.commit().unwrap();
    store
}

/// The canonical wordings of the clusters a fragment finds, best first.
fn found(store: &Store, fragment: &str, model: &'static E5Model) -> Vec<String> {
    store
        .lookup_across_languages(fragment, 5, || Some(model as &dyn Embedder))
        .unwrap()
        .into_iter()
        .map(|h| store.cluster(h.cluster).unwrap().unwrap().canonical)
        .collect()
}

#[test]
fn spanish_fragments_find_the_english_renderings() {
    let Some(model) = model() else { return };
    let store = seeded();
    assert_eq!(
        fragment_lang("la lucha contra las drogas debe subordinarse a los derechos humanos"),
        "es"
    );
    let drugs = found(
        &store,
        "la lucha contra las drogas debe subordinarse a los derechos humanos del pueblo caribeño",
        model,
    );
    assert!(
        drugs
            .first()
            .is_some_and(|c| c.contains("human rights of the Caribbean")),
        "{drugs:?}"
    );
    let order = found(
        &store,
        "suspender las comunicaciones y otros acuerdos con las agencias de seguridad de Estados Unidos",
        model,
    );
    assert!(
        order
            .first()
            .is_some_and(|c| c.contains("security agencies")),
        "{order:?}"
    );
}

#[test]
fn a_spanish_fragment_about_something_else_finds_nothing() {
    let Some(model) = model() else { return };
    let store = seeded();
    let other = found(
        &store,
        "mañana lloverá en Madrid y en Barcelona durante toda la semana",
        model,
    );
    assert!(other.is_empty(), "{other:?}");
}

#[test]
fn english_fragments_never_ask_for_the_model() {
    let store = seeded();
    let hits = store
        .lookup_across_languages("fight against drugs", 5, || {
            panic!("an English fragment asked for the model")
        })
        .unwrap();
    assert!(!hits.is_empty());
}
