//! `quotetrace cluster`: group quote variants, one cluster per statement.

use std::fs::File;
use std::io::{self, BufReader, BufWriter};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::matcher::embed::{self, E5Model, Embedder};
use crate::matcher::{cluster_jsonl_opts, ClusterOptions, CrossLanguage, ModelSource, Paraphrase};

/// Cluster quotes into statements: reads `{"id","text","lang"?,"speaker"?}` JSON lines and
/// writes one `{"id","cluster"}` line per quote, in input order.
///
/// Two quotes share a cluster when they are one statement in different wordings: exact after
/// folding, a fragment of the other, a lightly edited excerpt, or a rewording sharing most of its
/// rare words. Quotes by two different named speakers are never merged. Malformed lines are
/// reported with their line number and skipped.
///
/// When the input mixes languages (its `lang` fields, or detected when absent), clusters in
/// different languages are also compared through multilingual sentence embeddings, so a Spanish
/// quote joins its English translations. That needs the model weights (see `quotetrace model`);
/// without them clustering is lexical and a note on stderr says so.
///
/// With the model, a one-language batch of at most --paraphrase-budget quotes is embedded whole
/// and refined by nearest neighbours in meaning: a lexical cluster whose members are each
/// other's nearest neighbours only in part is split, two quotes that are each other's nearest
/// neighbour join, and groups of renderings that are each other's closest group, close in
/// meaning throughout, join. Short quotes (8 words or fewer) join by meaning only when they
/// name the same people and places. A larger batch only has its pairs of close wordings that
/// the lexical stage left apart looked at again. That costs about 20 ms of CPU per wording
/// embedded (a batch of 10,000 quotes: minutes); when a batch would need more than
/// --paraphrase-budget of them (large news batches do), the stage is skipped and a note says
/// so. `--paraphrase-budget 0` gives the lexical result alone, in about a second for 10,000
/// quotes.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// JSON Lines input; stdin when absent or `-`.
    #[arg(value_name = "INPUT.jsonl")]
    pub input: Option<PathBuf>,
    /// Print nothing on stderr but errors (no closing summary).
    #[arg(long, short)]
    pub quiet: bool,
    /// Most wordings the paraphrase stage may embed (0: never run it).
    #[arg(long, value_name = "N", default_value_t = embed::PARAPHRASE_BUDGET)]
    pub paraphrase_budget: usize,
}

/// Runs `quotetrace cluster`: exit code 0 when quotes were clustered, 1 when the input held
/// none, 2 (through the error) when it could not be read.
pub fn run(args: &ClusterArgs) -> anyhow::Result<i32> {
    let stdout = BufWriter::new(io::stdout().lock());
    let options = ClusterOptions {
        paraphrase_budget: args.paraphrase_budget,
    };
    let summary = match args.input.as_deref() {
        None => cluster_jsonl_opts(io::stdin().lock(), stdout, Some(model_source()), options)?,
        Some(p) if p.as_os_str() == "-" => {
            cluster_jsonl_opts(io::stdin().lock(), stdout, Some(model_source()), options)?
        }
        Some(p) => {
            let f = File::open(p).with_context(|| format!("opening {}", p.display()))?;
            cluster_jsonl_opts(BufReader::new(f), stdout, Some(model_source()), options)
                .with_context(|| format!("clustering {}", p.display()))?
        }
    };
    if !args.quiet {
        match &summary.cross_language {
            CrossLanguage::Off { reason } => eprintln!(
                "quotetrace cluster: cross-language matching is off ({reason}); clustering lexically"
            ),
            CrossLanguage::On { embedded, linked } => eprintln!(
                "quotetrace cluster: cross-language matching embedded {embedded} wordings, made {linked} links"
            ),
            CrossLanguage::NotNeeded => {}
        }
        match &summary.paraphrase {
            Paraphrase::Off { reason } => eprintln!(
                "quotetrace cluster: paraphrase matching is off ({reason}); rewordings are matched lexically"
            ),
            Paraphrase::Skipped { texts, budget } => eprintln!(
                "quotetrace cluster: paraphrase matching skipped: it would embed {texts}+ wordings, over the budget of {budget} (--paraphrase-budget)"
            ),
            Paraphrase::On {
                pairs,
                embedded,
                linked,
            } => eprintln!(
                "quotetrace cluster: paraphrase matching embedded {embedded} wordings, compared {pairs} pairs, made {linked} links"
            ),
            Paraphrase::Whole {
                embedded,
                split,
                linked,
            } => eprintln!(
                "quotetrace cluster: paraphrase matching embedded all {embedded} wordings, split {split} clusters, made {linked} links"
            ),
            Paraphrase::NotNeeded => {}
        }
    }
    for s in &summary.skipped {
        eprintln!("quotetrace cluster: line {}: skipped: {}", s.line, s.error);
    }
    if !args.quiet {
        eprintln!(
            "quotetrace cluster: {} quotes in {} clusters, {} lines skipped",
            summary.items,
            summary.clusters,
            summary.skipped.len()
        );
    }
    Ok(if summary.items == 0 { 1 } else { 0 })
}

/// The model at [`embed::model_path`], loaded only if the batch needs it.
fn model_source() -> ModelSource<'static> {
    Box::new(|| E5Model::load(&embed::model_path()).map(|m| Box::new(m) as Box<dyn Embedder>))
}

#[cfg(test)]
mod tests {
    use crate::matcher::cluster_jsonl;

    #[test]
    fn malformed_line_is_skipped_with_its_number() {
        let input = "{\"id\":\"a\",\"text\":\"There was no need to murder him.\"}\nnot json\n{\"id\":2,\"text\":\"there was no need to murder him\"}\n";
        let mut out = Vec::new();
        let s = cluster_jsonl(input.as_bytes(), &mut out).unwrap();
        assert_eq!(s.items, 2);
        assert_eq!(s.clusters, 1);
        assert_eq!(s.skipped.len(), 1);
        assert_eq!(s.skipped[0].line, 2);
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["id"], "a");
        assert_eq!(lines[1]["id"], 2);
        assert_eq!(lines[0]["cluster"], lines[1]["cluster"]);
    }
}
