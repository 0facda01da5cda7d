//! Articles and the readers that turn input files into them.
//!
//! Every reader yields [`Article`]s one at a time, so memory stays bounded whatever the input
//! size. A bad article is an [`InputError`] in the stream, never the end of the batch.
//!
//! ```
//! use quotetrace::article::Article;
//!
//! let article = Article::from_text("notes.txt", "---\noutlet: AP\n---\n“Hi,” she said.\n").unwrap();
//! assert_eq!(article.meta.outlet.as_deref(), Some("AP"));
//! assert_eq!(article.body, "“Hi,” she said.\n");
//! ```

mod error;
mod frontmatter;
mod json;
mod source;

pub use error::InputError;
pub(crate) use json::next_escape;
pub use source::{read_inputs, Inputs, ReadOptions, DEFAULT_MAX_ARTICLE_BYTES};

use serde::Serialize;

/// What the input says about an article, besides its text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Meta {
    /// The outlet that published it, as given (a name or a domain).
    pub outlet: Option<String>,
    pub url: Option<String>,
    /// Publication date or date-time, as given by the input.
    pub published: Option<String>,
    pub title: Option<String>,
    /// Language tag, when stated.
    pub lang: Option<String>,
}

/// One news article: its body and what is known about it.
///
/// All offsets produced by later stages are UTF-8 byte offsets into `body`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Article {
    /// Where it came from: a path, or `path:line` for one line of a JSON Lines file.
    pub id: String,
    pub meta: Meta,
    #[serde(skip)]
    pub body: String,
}

impl Article {
    /// Reads a plain-text article with an optional front-matter header.
    pub fn from_text(id: &str, text: &str) -> Result<Article, InputError> {
        let (meta, body) = frontmatter::split(text).map_err(|message| InputError::FrontMatter {
            id: id.to_string(),
            message,
        })?;
        Ok(Article {
            id: id.to_string(),
            meta,
            body: body.to_string(),
        })
    }
}
