//! `quotetrace chain`: the provenance chain of one cluster.

use std::path::Path;

use clap::{Args, ValueEnum};

use crate::provenance::{self, render};
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChainFormat {
    /// A timeline of every occurrence, then the tree of who credited whom.
    Tree,
    /// JSON, as one chain of `export`.
    Json,
    /// Graphviz: pipe into `dot -Tsvg`.
    Dot,
}

/// Print the provenance chain of a quote cluster: first carrier, every later carrier, and
/// whom each credited.
#[derive(Debug, Clone, Args)]
pub struct ChainArgs {
    /// Cluster number, as shown by `lookup`.
    #[arg(value_name = "ID")]
    pub id: u64,
    #[arg(long, value_enum, default_value_t = ChainFormat::Tree)]
    pub format: ChainFormat,
}

pub fn run(args: &ChainArgs, db: &Path) -> anyhow::Result<i32> {
    let store = Store::open_existing(db)?;
    let Some(chain) = provenance::chain(&store, args.id)? else {
        eprintln!("no cluster {} in {}", args.id, db.display());
        return Ok(1);
    };
    let linked = super::export::with_translations(&store, &chain)?;
    match args.format {
        ChainFormat::Tree => {
            print!("{}", render::tree(&chain));
            for t in &linked.translations {
                if let Some(c) = store.cluster(t.cluster)? {
                    println!(
                        "In {} (cluster {}, cosine {:.2}): “{}”",
                        t.lang,
                        t.cluster,
                        t.cosine,
                        render::clip(&c.canonical, 100)
                    );
                }
            }
        }
        ChainFormat::Json => println!("{}", serde_json::to_string_pretty(&linked)?),
        ChainFormat::Dot => print!("{}", render::dot(&chain)),
    }
    Ok(0)
}
