//! `quotetrace export`: provenance chains as JSON, following `schema/export.schema.json`.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use clap::{Args, ValueEnum};

use crate::provenance::{self, When};
use crate::store::Store;

/// Version of the export format (`schema/export.schema.json`). It moves on its own: a change in
/// how the store lays out its records does not change what `export` prints.
pub const EXPORT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One JSON document: `{"schema_version": 1, "chains": [...]}`.
    Json,
    /// One chain per line.
    Jsonl,
}

/// Export provenance chains as JSON (schema in schema/export.schema.json).
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Only this cluster.
    #[arg(long = "quote", value_name = "ID")]
    pub quote: Option<u64>,
    /// Only clusters carried on or after this date (RFC 3339 date or date-time).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub format: ExportFormat,
}

pub fn run(args: &ExportArgs, db: &Path) -> anyhow::Result<i32> {
    let store = Store::open_existing(db)?;
    let since = match &args.since {
        Some(s) => Some(When::parse(s).ok_or_else(|| {
            anyhow::anyhow!("--since {s}: not a date (use YYYY-MM-DD or an RFC 3339 date-time)")
        })?),
        None => None,
    };
    let ids: Vec<u64> = match args.quote {
        Some(id) => vec![id],
        None => store
            .clusters()
            .map(|c| c.map(|c| c.id))
            .collect::<Result<_, _>>()?,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut names = provenance::OutletNames::default();
    let mut articles = HashMap::new();
    let mut n = 0;
    if args.format == ExportFormat::Json {
        write!(
            out,
            "{{\"schema_version\":{EXPORT_SCHEMA_VERSION},\"chains\":["
        )?;
    }
    for id in ids {
        let Some(chain) = provenance::chain_with(&store, id, &mut names, &mut articles)? else {
            continue;
        };
        if let Some(s) = since {
            let recent = chain.occurrences.iter().any(|o| {
                o.published
                    .as_deref()
                    .and_then(When::parse)
                    .is_some_and(|w| w.end > s.start)
            });
            if !recent {
                continue;
            }
        }
        let line = serde_json::to_string(&with_translations(&store, &chain)?)?;
        match args.format {
            ExportFormat::Json => {
                if n > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(line.as_bytes())?;
            }
            ExportFormat::Jsonl => writeln!(out, "{line}")?,
        }
        n += 1;
    }
    if args.format == ExportFormat::Json {
        writeln!(out, "]}}")?;
    }
    out.flush()?;
    if n == 0 {
        eprintln!("no cluster to export");
    }
    Ok(if n == 0 { 1 } else { 0 })
}

/// A chain as exported: with the clusters in other languages linked to it at ingest, when
/// there are any (`store::xlink`), so an English-only store exports exactly the chain.
#[derive(Debug, serde::Serialize)]
pub struct LinkedChain<'a> {
    #[serde(flatten)]
    pub chain: &'a provenance::Chain,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub translations: Vec<LinkedCluster>,
}

/// A cluster in another language that says the same.
#[derive(Debug, serde::Serialize)]
pub struct LinkedCluster {
    pub cluster: u64,
    pub lang: String,
    /// Cosine of the linked wordings' embeddings.
    pub cosine: f32,
}

/// `chain` with its translations, as `export` and `chain --format json` write it.
pub fn with_translations<'a>(
    store: &Store,
    chain: &'a provenance::Chain,
) -> Result<LinkedChain<'a>, crate::store::StoreError> {
    let translations = store
        .translations(chain.cluster)?
        .into_iter()
        .map(|t| LinkedCluster {
            cluster: t.cluster,
            lang: t.lang,
            cosine: t.cosine,
        })
        .collect();
    Ok(LinkedChain {
        chain,
        translations,
    })
}
