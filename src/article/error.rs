use std::io;
use thiserror::Error;

/// Why an input, or one article in it, could not be read.
///
/// Every variant names the file, and the line where there is one, so a user can find it.
#[derive(Debug, Error)]
pub enum InputError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{id}: not valid UTF-8 (first bad byte at offset {offset})")]
    InvalidUtf8 { id: String, offset: usize },
    #[error("{id}: looks like a binary file (NUL byte at offset {offset}), skipped")]
    Binary { id: String, offset: usize },
    #[error("{id}: empty, no article in it")]
    Empty { id: String },
    #[error("{id}: article of {size} bytes is over the limit of {limit} bytes, skipped (raise it with --max-article-bytes)")]
    TooLarge { id: String, size: u64, limit: u64 },
    #[error("{id}: malformed JSON: {message}")]
    Json { id: String, message: String },
    #[error("{id}: no article text (looked for text, maintext, content_original, body, content)")]
    MissingBody { id: String },
    #[error("{id}: bad front matter: {message}")]
    FrontMatter { id: String, message: String },
    #[error("{path}: corrupt or truncated gzip after line {line}: {message}")]
    Gzip {
        path: String,
        line: usize,
        message: String,
    },
}
