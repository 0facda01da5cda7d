//! `quotetrace lookup`: find quotes by a fragment of any wording.

use std::path::Path;

use clap::Args;

use crate::provenance::render::{clip, credit_line, first_line};
use crate::provenance::{self, Chain};
use crate::store::Store;

/// Find quotes by a fragment of any of their wordings, forgiving case, punctuation, small typos
/// and truncation; show who said it, who carried it first, and every outlet that carried it.
#[derive(Debug, Clone, Args)]
pub struct LookupArgs {
    /// A fragment of the quote, in any outlet's wording.
    #[arg(value_name = "FRAGMENT")]
    pub fragment: String,
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
}

/// Looks up a fragment and builds the chain of each hit.
pub fn find(store: &Store, fragment: &str, limit: usize) -> anyhow::Result<Vec<Found>> {
    let mut out = Vec::new();
    for hit in store.lookup(fragment, limit)? {
        if let Some(chain) = provenance::chain(store, hit.cluster)? {
            out.push(Found {
                score: hit.score,
                chain,
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
        s.push('\n');
    }
    s
}

pub fn run(args: &LookupArgs, db: &Path) -> anyhow::Result<i32> {
    let store = Store::open_existing(db)?;
    let found = find(&store, &args.fragment, args.limit)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&found)?);
    } else if found.is_empty() {
        eprintln!("no quote matches “{}”", args.fragment);
    } else {
        print!("{}", render(&found));
    }
    Ok(if found.is_empty() { 1 } else { 0 })
}
