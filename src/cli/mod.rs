//! The command line: one `clap` derive struct whose doc comments are the help text.

mod chain;
mod cluster;
mod export;
mod extract;
mod ingest;
mod lookup;
mod model;
mod stats;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// quotetrace: who said it, where did it first appear, who repeated it, in which wordings,
/// and did they say where they got it?
///
/// Exit codes: 0 found something, 1 found nothing, 2 error.
#[derive(Debug, Parser)]
#[command(name = "quotetrace", version, propagate_version = true)]
pub struct Cli {
    /// The provenance store to use (default: a per-user data directory).
    #[arg(long, global = true, env = "QUOTETRACE_DB", value_name = "DIR")]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Extract(extract::ExtractArgs),
    Cluster(cluster::ClusterArgs),
    Ingest(ingest::IngestArgs),
    Lookup(lookup::LookupArgs),
    Chain(chain::ChainArgs),
    Export(export::ExportArgs),
    Stats(stats::StatsArgs),
    Model(model::ModelArgs),
}

/// The default store: `<data dir>/quotetrace/store` (e.g. `~/.local/share/quotetrace/store`).
pub fn default_db() -> PathBuf {
    dirs::data_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("quotetrace")
        .join("store")
}

/// Runs the command line; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let db = cli.db.clone().unwrap_or_else(default_db);
    match &cli.command {
        Command::Extract(args) => extract::run(args),
        Command::Cluster(args) => cluster::run(args),
        Command::Ingest(args) => ingest::run(args, &db),
        Command::Lookup(args) => lookup::run(args, &db),
        Command::Chain(args) => chain::run(args, &db),
        Command::Export(args) => export::run(args, &db),
        Command::Stats(args) => stats::run(args, &db),
        Command::Model(args) => model::run(args),
    }
}
