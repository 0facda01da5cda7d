//! `quotetrace lookup`: find quotes by a fragment of any wording.

use std::path::Path;

use clap::Args;

use crate::matcher::embed::{self, E5Model, Embedder};
use crate::provenance::render::{clip, credit_line, first_line};
use crate::provenance::{self, Chain};
use crate::store::Store;

/// Find quotes by a fragment of any of their wordings, forgiving case, punctuation, small typos
/// and truncation; show who said it, who carried it first, and every outlet that carried it.
/// A fragment in another language than English (Spanish: "la lucha contra las drogas") also
/// finds its English renderings, with the embedding model (`quotetrace model fetch`).
#[derive(Debug, Clone, Args)]
pub struct LookupArgs {
    /// A fragment of the quote, in any outlet's wording, in English or another language.
    #[arg(value_name = "FRAGMENT", required_unless_present = "batch")]
    pub fragment: Option<String>,
    /// Look up every line of FILE (`-` for stdin) instead, opening the store once; with
    /// `--json`, prints one JSON line per fragment: {fragment, millis, results}.
    #[arg(long, value_name = "FILE", conflicts_with = "fragment")]
    pub batch: Option<std::path::PathBuf>,
    /// Show at most this many clusters, best first.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub limit: usize,
    /// Print JSON: a list of {score, chain} objects, chains as in `export`.
    #[arg(long)]
    pub json: bool,
}

/// One ranked result with its provenance.
#[derive(Debug, serde::Serialize)]
pub struct Found {
    pub score: f64,
    pub chain: Chain,
    /// The same statement in other languages, linked at ingest (`store::xlink`), each with
    /// its own chain: the original of a translated quote is among them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub translations: Vec<TranslationFound>,
}

/// A cluster in another language linked to a found one.
#[derive(Debug, serde::Serialize)]
pub struct TranslationFound {
    pub lang: String,
    /// Cosine of the linked wordings' embeddings.
    pub cosine: f32,
    pub chain: Chain,
}

/// The embedding model, loaded on the first fragment that is not English, so that English
/// lookups never pay for it; when it cannot be loaded, says so once and lookup stays lexical.
#[derive(Default)]
pub struct LazyModel(std::sync::OnceLock<Option<E5Model>>);

impl LazyModel {
    fn get(&self) -> Option<&dyn Embedder> {
        self.0
            .get_or_init(|| match embed::load_default() {
                Ok(Some(model)) => Some(model),
                Ok(None) => {
                    eprintln!(
                        "quotetrace lookup: cross-language lookup is off (no model weights at {}; \
                         run `quotetrace model fetch`)",
                        embed::model_path().display()
                    );
                    None
                }
                Err(e) => {
                    eprintln!("quotetrace lookup: cross-language lookup is off: {e}");
                    None
                }
            })
            .as_ref()
            .map(|m| m as &dyn Embedder)
    }
}

/// Looks up a fragment in any language and builds the chain of each hit.
pub fn find(
    store: &Store,
    fragment: &str,
    limit: usize,
    model: &LazyModel,
) -> anyhow::Result<Vec<Found>> {
    let mut out = Vec::new();
    for hit in store.lookup_across_languages(fragment, limit, || model.get())? {
        if let Some(chain) = provenance::chain(store, hit.cluster)? {
            let mut translations = Vec::new();
            for t in store.translations(hit.cluster)? {
                if let Some(chain) = provenance::chain(store, t.cluster)? {
                    translations.push(TranslationFound {
                        lang: t.lang,
                        cosine: t.cosine,
                        chain,
                    });
                }
            }
            out.push(Found {
                score: hit.score,
                chain,
                translations,
            });
        }
    }
    Ok(out)
}

/// The human-readable listing.
pub fn render(found: &[Found]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for (i, f) in found.iter().enumerate() {
        let c = &f.chain;
        let _ = writeln!(
            s,
            "{}. cluster {} · {} · match {:.0}%",
            i + 1,
            c.cluster,
            c.speaker.as_deref().unwrap_or("(speaker unknown)"),
            f.score * 100.0
        );
        let _ = writeln!(s, "   “{}”", c.canonical);
        let _ = writeln!(s, "   first carrier: {}", first_line(c));
        let _ = writeln!(
            s,
            "   carried in {} article{} ({} named outlet{}):",
            c.articles,
            if c.articles == 1 { "" } else { "s" },
            c.outlets,
            if c.outlets == 1 { "" } else { "s" },
        );
        for o in &c.occurrences {
            let _ = writeln!(
                s,
                "   - {} {}: “{}”\n       {}",
                o.published.as_deref().unwrap_or("undated"),
                o.carrier,
                clip(&o.wording, 100),
                credit_line(o)
            );
        }
        for t in &f.translations {
            let _ = writeln!(
                s,
                "   in {} (cluster {}, cosine {:.2}): “{}”\n       first carrier: {}",
                t.lang,
                t.chain.cluster,
                t.cosine,
                clip(&t.chain.canonical, 100),
                first_line(&t.chain)
            );
        }
        s.push('\n');
    }
    s
}

pub fn run(args: &LookupArgs, db: &Path) -> anyhow::Result<i32> {
    let store = Store::open_existing(db)?;
    if let Some(path) = &args.batch {
        return run_batch(args, &store, path);
    }
    let fragment = args.fragment.as_deref().unwrap_or_default();
    let found = find(&store, fragment, args.limit, &LazyModel::default())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&found)?);
    } else if found.is_empty() {
        eprintln!("no quote matches “{fragment}”");
    } else {
        print!("{}", render(&found));
    }
    Ok(if found.is_empty() { 1 } else { 0 })
}

fn run_batch(args: &LookupArgs, store: &Store, path: &Path) -> anyhow::Result<i32> {
    use std::io::{BufRead, Write};
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut any = false;
    let model = LazyModel::default();
    for line in reader.lines() {
        let fragment = line?;
        if fragment.trim().is_empty() {
            continue;
        }
        let started = std::time::Instant::now();
        let found = find(store, &fragment, args.limit, &model)?;
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        any |= !found.is_empty();
        if args.json {
            let line =
                serde_json::json!({ "fragment": fragment, "millis": millis, "results": found });
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "## {fragment}\n")?;
            if found.is_empty() {
                writeln!(out, "no quote matches\n")?;
            } else {
                write!(out, "{}", render(&found))?;
            }
        }
    }
    out.flush()?;
    Ok(if any { 0 } else { 1 })
}
