//! # quotetrace
//!
//! Answers, for any quotation in the news: *who said it, where did it first appear, who repeated
//! it, in which wordings, and did they say where they got it?*
//!
//! The crate is a one-way pipeline of stages, each a module:
//!
//! 1. [`article`] reads articles (plain text with front matter, JSON Lines, news-please JSON).
//! 2. [`parse`] finds quotations, their speakers, cue verbs, channels and credits to other
//!    outlets, following the grammar written down in `grammar/`.
//! 3. [`normalize`] folds quote text to a comparable form, and [`matcher`] clusters variants of
//!    one statement.
//! 4. [`store`] records articles, quote clusters, occurrences and credits (sled, behind a
//!    storage trait), and [`provenance`] tells from them who carried a quote first and how each
//!    later carrier credited it.
//! 5. [`cli`] is the command line over these stages.
//!
//! Data flows parse → match → store and never back up.
//!
//! ```
//! use quotetrace::parse;
//!
//! let body = "“We will not back down,” Petro wrote on X.";
//! let quotes = parse::extract(body);
//! assert_eq!(quotes.len(), 1);
//! assert_eq!(quotes[0].quote.text, "We will not back down,");
//! assert_eq!(quotes[0].channel.as_ref().unwrap().text, "on X");
//! assert_eq!(quotes[0].speaker.as_ref().unwrap().name, "Petro");
//! ```

pub mod article;
pub mod cli;
pub mod matcher;
pub mod normalize;
pub mod parse;
pub mod provenance;
pub mod store;
