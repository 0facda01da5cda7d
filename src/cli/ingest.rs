//! `quotetrace ingest`: read articles, extract their quotes, and add them to the store.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::article::{read_inputs, Article, ReadOptions};
use crate::matcher::embed;
use crate::parse::{self, Quote};
use crate::store::xlink::{ForeignQuote, LinkReport};
use crate::store::{prepare_quotes, PreparedQuote, Store};

/// Add articles to the provenance store: every quote, its speaker, and whom it credits.
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    /// Input files or directories (walked recursively), `-` for stdin. Every input format of
    /// `extract`: plain text with front matter, JSON Lines (optionally gzipped), news-please JSON.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Make the store durable after this many articles (group commit). An article counts as
    /// done only once a commit covering it has been flushed to disk.
    #[arg(long, default_value_t = 128, value_name = "N")]
    pub commit_every: usize,
    /// Also commit when this many seconds have passed since the last commit, so that a slow
    /// input still gets its articles stored. Fewer, larger commits write less (each rewrites
    /// every cluster and word it touched) but raise peak memory: sled keeps the old copy of
    /// every tree node a commit rewrote until the commit ends.
    #[arg(long, default_value_t = 2, value_name = "SECONDS")]
    pub commit_secs: u64,
    /// Append the input id of every article to FILE as soon as it is durably stored.
    #[arg(long, value_name = "FILE")]
    pub committed_log: Option<PathBuf>,
    /// Never show a progress bar (it is only shown on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What one run did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    /// Articles read from the inputs.
    pub articles: u64,
    /// Of those, articles that were new to the store.
    pub new_articles: u64,
    /// Of those, articles that were already stored (nothing written).
    pub already_present: u64,
    /// Quotes stored.
    pub quotes: u64,
    /// How much the number of clusters grew (a quote that links two clusters' components can
    /// also merge clusters: this is the net growth).
    pub new_clusters: u64,
    /// Inputs (or single articles) that could not be read, with why.
    pub skipped: Vec<String>,
    /// Quotes outside English recorded for cross-language linking.
    pub foreign_quotes: u64,
    /// The cross-language link pass, when one ran (see `store::xlink`).
    pub cross_language: Option<LinkReport>,
    pub seconds: f64,
}

enum Item {
    Article(
        Box<Article>,
        Vec<Quote>,
        Vec<Option<PreparedQuote>>,
        Vec<ForeignQuote>,
    ),
    Skipped(String),
}

pub fn run(args: &IngestArgs, db: &Path) -> anyhow::Result<i32> {
    let started = Instant::now();
    let mut store = Store::create(db)?;
    let clusters_before = store.cluster_count();
    let mut log = match &args.committed_log {
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .with_context(|| format!("cannot open {}", p.display()))?,
        ),
        None => None,
    };

    // Reading and extraction run on their own thread, so they overlap with the store's writes.
    let (tx, rx) = mpsc::sync_channel::<Item>(256);
    let paths = args.paths.clone();
    let reader = std::thread::spawn(move || {
        crate::store::yield_to_staging();
        for item in read_inputs(&paths, ReadOptions::default()) {
            let msg = match item {
                Ok(a) => {
                    // A bug in extraction must cost one article, not the rest of the batch.
                    let body = &a.body;
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        parse::extract(body)
                    })) {
                        Ok(quotes) => {
                            // Preparing for the matcher here keeps it off the store's thread.
                            let prepared = prepare_quotes(&a, &quotes);
                            let foreign = foreign_quotes(&a, &quotes, &prepared);
                            Item::Article(Box::new(a), quotes, prepared, foreign)
                        }
                        Err(_) => Item::Skipped(format!(
                            "{}: quote extraction failed on this article (a bug; please report it)",
                            a.id
                        )),
                    }
                }
                Err(e) => Item::Skipped(e.to_string()),
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    });

    let bar = if args.no_progress {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(200));
        b
    };

    let mut summary = Summary::default();
    // Articles staged for the next commit, and those of the commit being written.
    let mut uncommitted: Vec<String> = Vec::new();
    let mut in_flight: Vec<String> = Vec::new();
    let mut last_commit = Instant::now();
    let mut failure: Option<anyhow::Error> = None;
    for item in rx {
        match item {
            Item::Skipped(reason) => {
                bar.suspend(|| eprintln!("quotetrace: skipped {reason}"));
                summary.skipped.push(reason);
            }
            Item::Article(a, quotes, prepared, foreign) => {
                summary.articles += 1;
                match store.ingest_prepared(&a, &quotes, prepared) {
                    Ok(r) if r.already_present => summary.already_present += 1,
                    Ok(r) => {
                        // Recorded before the commit that stores the article (see
                        // `store::xlink`).
                        if let Err(e) = store.mark_foreign(&foreign) {
                            failure =
                                Some(anyhow::Error::new(e).context(format!("storing {}", a.id)));
                            break;
                        }
                        summary.foreign_quotes += foreign.len() as u64;
                        summary.new_articles += 1;
                        summary.quotes += r.quotes as u64;
                        summary.new_clusters =
                            store.cluster_count().saturating_sub(clusters_before);
                    }
                    Err(e) => {
                        failure = Some(anyhow::Error::new(e).context(format!("storing {}", a.id)));
                        break;
                    }
                }
                uncommitted.push(a.id.clone());
            }
        }
        if uncommitted.len() >= args.commit_every.max(1)
            || (!uncommitted.is_empty()
                && last_commit.elapsed() > Duration::from_secs(args.commit_secs))
        {
            // Writes this group on another thread while the next one is staged; returns once
            // the previous group is durable.
            if let Err(e) = store.commit_in_background() {
                failure = Some(anyhow::Error::new(e).context("committing to the store"));
                break;
            }
            report_done(&mut in_flight, log.as_mut())?;
            in_flight = std::mem::take(&mut uncommitted);
            last_commit = Instant::now();
        }
        bar.set_message(format!(
            "{} articles, {} quotes, {} new clusters, {} skipped",
            summary.articles,
            summary.quotes,
            summary.new_clusters,
            summary.skipped.len()
        ));
    }
    // Dropping the receiver stops the reader if the loop ended early.
    let reader_failed = reader.join().is_err();
    if failure.is_none() {
        match store.commit() {
            Ok(()) => {
                report_done(&mut in_flight, log.as_mut())?;
                report_done(&mut uncommitted, log.as_mut())?;
            }
            Err(e) => failure = Some(anyhow::Error::new(e).context("committing to the store")),
        }
    }
    if failure.is_none() {
        // The link pass loads a model: ingest's own state goes first, so the two never add up
        // in the peak RSS.
        if let Err(e) = store.release_session() {
            failure = Some(anyhow::Error::new(e).context("committing to the store"));
        }
    }
    if failure.is_none() {
        summary.cross_language = link_across_languages(&store, &bar);
    }
    bar.finish_and_clear();
    summary.seconds = started.elapsed().as_secs_f64();
    if reader_failed && failure.is_none() {
        failure = Some(anyhow::anyhow!("reading the inputs failed unexpectedly"));
    }
    if let Some(e) = failure {
        eprintln!(
            "quotetrace: stopped; the {} articles read since the last commit were not stored \
             (run the same ingest again: stored articles are skipped)",
            uncommitted.len() + in_flight.len()
        );
        return Err(e);
    }

    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary, &store)?;
    }
    Ok(if summary.articles > 0 {
        0
    } else if summary.skipped.is_empty() {
        1
    } else {
        2
    })
}

/// Quotes of fewer words are not linked across languages: such terms ("iGen") are names more
/// than statements, and an embedding of two or three words says little about their meaning.
const MIN_LINK_WORDS: usize = 4;

/// The quotes of `article` outside English: their wording, language and speaker key.
fn foreign_quotes(
    article: &Article,
    quotes: &[Quote],
    prepared: &[Option<PreparedQuote>],
) -> Vec<ForeignQuote> {
    let tag = article.meta.lang.as_deref();
    let mut out = Vec::new();
    for (q, p) in quotes.iter().zip(prepared) {
        let Some(p) = p else { continue };
        let p = &p.prepared;
        if p.folded.split_whitespace().count() < MIN_LINK_WORDS {
            continue;
        }
        let text = q.quote.text.trim();
        let lang = embed::quote_lang(text, tag, &p.folded);
        if !embed::needs_embedding(&lang) {
            continue;
        }
        // News-please tags articles, not quotes, and some English articles come tagged "de":
        // a quote whose function words are English is English whatever its article's tag.
        if tag.is_some() && embed::function_word_lang(&p.folded) == Some("en") {
            continue;
        }
        if !out.iter().any(|f: &ForeignQuote| f.text == text) {
            out.push(ForeignQuote {
                text: text.to_string(),
                lang,
                speaker: p.speaker.clone(),
            });
        }
    }
    out
}

/// Links the quotes outside English that wait for it to English clusters (`store::xlink`).
/// The articles are stored whatever happens here: a failure or missing weights leave the
/// quotes pending for the next ingest, and say so.
fn link_across_languages(store: &Store, bar: &ProgressBar) -> Option<LinkReport> {
    let pending = match store.pending_foreign() {
        Ok(p) if p.is_empty() => return None,
        Ok(p) => p.len(),
        Err(e) => {
            bar.suspend(|| eprintln!("quotetrace: cross-language linking skipped: {e}"));
            return None;
        }
    };
    let later = format!(
        "{pending} quote{} in other languages will be linked by the next ingest",
        if pending == 1 { "" } else { "s" }
    );
    let model = match embed::load_default() {
        Ok(Some(m)) => m,
        Ok(None) => {
            bar.suspend(|| {
                eprintln!(
                    "quotetrace: cross-language linking is off (no model weights at {}; run \
                     `quotetrace model fetch`); {later}",
                    embed::model_path().display()
                )
            });
            return None;
        }
        Err(e) => {
            bar.suspend(|| eprintln!("quotetrace: cross-language linking is off: {e}; {later}"));
            return None;
        }
    };
    bar.set_message(format!("linking {pending} quotes in other languages"));
    match store.link_foreign(&model) {
        Ok(r) => Some(r),
        Err(e) => {
            bar.suspend(|| eprintln!("quotetrace: cross-language linking failed: {e}; {later}"));
            None
        }
    }
}

/// Reports articles as done: call only once a commit covering them is durable.
fn report_done(done: &mut Vec<String>, log: Option<&mut std::fs::File>) -> anyhow::Result<()> {
    if let Some(f) = log {
        let mut text = String::new();
        for id in done.iter() {
            text.push_str(id);
            text.push('\n');
        }
        f.write_all(text.as_bytes())?;
        f.flush()?;
    }
    done.clear();
    Ok(())
}

fn print_summary(s: &Summary, store: &Store) -> anyhow::Result<()> {
    println!(
        "ingested {} articles ({} new, {} already stored) in {:.1} s",
        s.articles, s.new_articles, s.already_present, s.seconds
    );
    println!(
        "quotes stored: {}, new clusters: {}",
        s.quotes, s.new_clusters
    );
    if let Some(x) = &s.cross_language {
        println!(
            "quotes in other languages: {} compared, {} linked to English clusters ({} texts \
             embedded), {} waiting for their article",
            x.compared, x.linked, x.embedded, x.waiting
        );
    }
    println!("clusters in store: {}", store.cluster_count());
    if let Some(p) = store.path() {
        println!("store: {}", p.display());
    }
    if !s.skipped.is_empty() {
        println!("skipped {} inputs:", s.skipped.len());
        for r in s.skipped.iter().take(20) {
            println!("  {r}");
        }
        if s.skipped.len() > 20 {
            println!("  … and {} more", s.skipped.len() - 20);
        }
    }
    Ok(())
}
