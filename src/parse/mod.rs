//! Finding quoted speech and its attribution: the first stage of the pipeline.
//!
//! [`extract`] follows the grammar written down in `grammar/README.md`, whose rule names the
//! functions of this module carry as comments:
//!
//! 1. `marks` finds quote spans from their marks, telling apostrophes apart and recovering
//!    unbalanced marks at the paragraph end;
//! 2. `token` reads the words around quotes, each top-level quote standing as one token;
//! 3. `attribution` finds speaker, cue and the rule that matched, sentence by sentence;
//! 4. `credit` finds credits to other outlets, in the quote's sentence and in datelines.
//!
//! ```
//! use quotetrace::parse::{extract, QuoteKind};
//!
//! let body = "Treasury Secretary Scott Bessent said: “We will act.” \
//!             He called it “narco-terrorism.”";
//! let quotes = extract(body);
//! assert_eq!(quotes[0].speaker.as_ref().unwrap().name, "Scott Bessent");
//! assert_eq!(quotes[0].kind, QuoteKind::Full);
//! assert_eq!(quotes[1].kind, QuoteKind::Term);
//! ```

mod attribution;
mod credit;
mod lexicon;
mod marks;
mod resolve;
mod token;

pub use lexicon::{resolve_outlet, Outlet};

use serde::Serialize;

use attribution::{Found, Rule};
use lexicon::lexicon;

use marks::RawQuote;
use resolve::Resolver;
use token::{tokenize, Kind, Tok};

/// A byte range of the article body, end exclusive, with the text it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// How a quotation sits in the reporter's sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuoteKind {
    /// A sentence or clause.
    Full,
    /// A fragment woven into the reporter's sentence.
    Partial,
    /// A scare-quoted label.
    Term,
}

/// Who a quotation is attributed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Speaker {
    /// The resolved name: a pronoun, role noun or surname resolved to the person it stands for.
    pub name: String,
    /// Where the text names the speaker for this quote.
    pub mention: Span,
}

/// Whether a credit was stated for the quote's own sentence or for the whole article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CreditScope {
    /// "as reported by Al Jazeera" in the quote's sentence.
    Sentence,
    /// A dateline "(AP) —" or byline "Associated Press": it covers every quote.
    Article,
}

/// A credit to another outlet: "as reported by Al Jazeera", "(AP)", "told CNN".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Credit {
    /// Canonical outlet name, resolved through `grammar/outlets.tsv`.
    pub outlet: String,
    /// The phrase that gives the credit, as written.
    pub phrase: String,
    pub start: usize,
    pub end: usize,
    pub scope: CreditScope,
}

/// One quotation found in an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quote {
    /// The quoted words, without the enclosing marks.
    pub quote: Span,
    pub kind: QuoteKind,
    pub speaker: Option<Speaker>,
    /// The attribution verb or phrase.
    pub cue: Option<Span>,
    /// Where the speaker said it, when the text states it ("on X", "in a statement").
    pub channel: Option<Span>,
    pub credits: Vec<Credit>,
    /// For a quote inside another quote: the index of the enclosing one in the same list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<usize>,
    /// False when the closing mark was missing and the quote was ended at its paragraph's end.
    pub closed: bool,
}

/// A [`Span`] borrowed from the article body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanRef<'a> {
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
}

impl<'a> SpanRef<'a> {
    fn of(body: &'a str, (start, end): (usize, usize)) -> SpanRef<'a> {
        SpanRef {
            start,
            end,
            text: &body[start..end],
        }
    }

    pub fn to_span(&self) -> Span {
        Span {
            start: self.start,
            end: self.end,
            text: self.text.to_string(),
        }
    }
}

/// A [`Speaker`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpeakerRef<'a> {
    pub name: &'a str,
    pub mention: SpanRef<'a>,
}

/// One quotation as [`extract_each`] hands it over: a [`Quote`] whose texts are borrowed from
/// the article body and the parser, so that streaming it out allocates nothing. Copying the
/// texts and the article's credits into every quote was about a sixth of all allocations of
/// extraction.
#[derive(Debug, Clone, Copy)]
pub struct QuoteRef<'a> {
    pub quote: SpanRef<'a>,
    pub kind: QuoteKind,
    pub speaker: Option<SpeakerRef<'a>>,
    pub cue: Option<SpanRef<'a>>,
    pub channel: Option<SpanRef<'a>>,
    /// Credits stated in the quote's sentence, but for those that are the article's own.
    pub sentence_credits: &'a [Credit],
    /// Datelines and bylines: the credits of every quote of the article.
    pub article_credits: &'a [Credit],
    pub parent: Option<usize>,
    pub closed: bool,
}

impl<'a> QuoteRef<'a> {
    /// [`Quote::credits`]: the sentence's credits, then the article's.
    pub fn credits(&self) -> impl Iterator<Item = &'a Credit> {
        self.sentence_credits.iter().chain(self.article_credits)
    }

    pub fn to_quote(&self) -> Quote {
        Quote {
            quote: self.quote.to_span(),
            kind: self.kind,
            speaker: self.speaker.map(|s| Speaker {
                name: s.name.to_string(),
                mention: s.mention.to_span(),
            }),
            cue: self.cue.map(|s| s.to_span()),
            channel: self.channel.map(|s| s.to_span()),
            credits: self.credits().cloned().collect(),
            parent: self.parent,
            closed: self.closed,
        }
    }
}

/// Finds every quotation in `body` with what the text says about it.
///
/// Never panics and never gives up on a document: unbalanced marks are recovered at the
/// paragraph boundary and the rest of the text is still parsed.
pub fn extract(body: &str) -> Vec<Quote> {
    let mut out = Vec::new();
    extract_each(body, |q| out.push(q.to_quote()));
    out
}

/// [`extract`], handing each quote to `emit` in text order as soon as its paragraph is done,
/// so memory stays bounded by the longest paragraph, not by the article: an article of
/// millions of quotes streams through.
///
/// ```
/// let mut speakers = Vec::new();
/// quotetrace::parse::extract_each("“Fine,” Petro said.", |q| {
///     speakers.push(q.speaker.map(|s| s.name.to_string()))
/// });
/// assert_eq!(speakers, [Some("Petro".to_string())]);
/// ```
pub fn extract_each(body: &str, mut emit: impl FnMut(&QuoteRef)) {
    let raw = marks::scan(body);
    if raw.is_empty() {
        return;
    }
    let article_credits = credit::article_credits(body);
    attribute_all(body, &raw, |k, f| {
        let r = &raw[k];
        // A dateline in the quote's own sentence is the article's credit, not a second one.
        let mut credits = f.credits;
        credits.retain(|c| {
            !article_credits
                .iter()
                .any(|a| a.start < c.end && c.start < a.end)
        });
        emit(&QuoteRef {
            quote: SpanRef::of(body, (r.start, r.end)),
            kind: f.kind,
            speaker: f.speaker.as_ref().map(|s| SpeakerRef {
                name: &s.name,
                mention: SpanRef::of(body, s.mention),
            }),
            cue: f.cue.map(|c| SpanRef::of(body, c)),
            channel: f.channel.map(|c| SpanRef::of(body, c)),
            sentence_credits: &credits,
            article_credits: &article_credits,
            parent: r.parent,
            closed: r.closed,
        })
    });
}

/// Checks the contract of [`extract`]'s output against `body`: every span (quote, speaker
/// mention, cue, channel, credit) is a char-boundary range of the body that slices to the
/// reported text, and every `parent` names another quote of the list. Useful for checking a
/// stored extraction against its article; the property tests and fuzz targets rely on it.
///
/// ```
/// let body = "“Fine,” Petro said.";
/// assert_eq!(quotetrace::parse::check_offsets(body, &quotetrace::parse::extract(body)), Ok(()));
/// ```
pub fn check_offsets(body: &str, quotes: &[Quote]) -> Result<(), String> {
    let range = |start: usize, end: usize, text: &str, what: &str| -> Result<(), String> {
        if start > end || end > body.len() {
            return Err(format!(
                "{what}: {start}..{end} is not a range of a {}-byte body",
                body.len()
            ));
        }
        if !body.is_char_boundary(start) || !body.is_char_boundary(end) {
            return Err(format!("{what}: {start}..{end} splits a char"));
        }
        if &body[start..end] != text {
            return Err(format!(
                "{what}: {start}..{end} is {:?}, reported {text:?}",
                &body[start..end]
            ));
        }
        Ok(())
    };
    for (i, q) in quotes.iter().enumerate() {
        range(q.quote.start, q.quote.end, &q.quote.text, "quote")?;
        if let Some(sp) = &q.speaker {
            range(
                sp.mention.start,
                sp.mention.end,
                &sp.mention.text,
                "speaker.mention",
            )?;
        }
        if let Some(c) = &q.cue {
            range(c.start, c.end, &c.text, "cue")?;
        }
        if let Some(c) = &q.channel {
            range(c.start, c.end, &c.text, "channel")?;
        }
        for c in &q.credits {
            range(c.start, c.end, &c.phrase, "credit")?;
        }
        if let Some(p) = q.parent {
            if p >= quotes.len() || p == i {
                return Err(format!(
                    "quote {i}: parent {p} is not another quote of the list"
                ));
            }
        }
    }
    Ok(())
}

/// A speaker as the sentence rules find it: the resolved name, and the mention's bytes.
#[derive(Clone)]
struct Who {
    /// Shared: a speaker is handed on from quote to quote and paragraph to paragraph.
    name: std::rc::Rc<str>,
    mention: (usize, usize),
}

/// What the sentence-level rules give one quote.
struct Attributed {
    kind: QuoteKind,
    speaker: Option<Who>,
    cue: Option<(usize, usize)>,
    channel: Option<(usize, usize)>,
    credits: Vec<Credit>,
}

/// Groups top-level quotes into blocks of whole paragraphs, so that a quote running over
/// paragraphs sits in one block with the words around it. A paragraph longer than
/// `MAX_BLOCK` (a runaway line, not prose) is cut into windows around its quotes instead, so
/// that work and memory stay linear in its length.
///
/// A block is `(start, end, first, last)`: its bytes, and the indices of its first and last
/// top-level quotes. Its quotes are the top-level ones from `first` to `last`, since each
/// top-level quote either joins the block before it or opens the next.
fn blocks(body: &str, raw: &[RawQuote]) -> Vec<(usize, usize, usize, usize)> {
    const MAX_BLOCK: usize = 64 << 10;
    const WINDOW: usize = 2 << 10;
    let mut out: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut windowed = false;
    for (k, q) in raw.iter().enumerate() {
        if q.parent.is_some() {
            continue;
        }
        // Quotes come in text order: one inside the current block needs no line search.
        if let Some(last) = out.last_mut() {
            if q.open < last.1 {
                let close = q.close.max(q.end);
                if close > last.1 {
                    let reach = if windowed { WINDOW } else { MAX_BLOCK };
                    last.1 = bounded_line_end(body, close, close + reach);
                }
                last.3 = k;
                continue;
            }
        }
        let floor = out.last().map_or(0, |b| b.1);
        let mut start = memchr::memrchr(b'\n', &body.as_bytes()[floor..q.open])
            .map_or(floor, |i| floor + i + 1);
        let close = q.close.max(q.end);
        let mut end = bounded_line_end(body, close, close + MAX_BLOCK);
        windowed = end - start > MAX_BLOCK;
        if windowed {
            start = floor_boundary(body, q.open.saturating_sub(WINDOW).max(start));
            end = bounded_line_end(body, close, close + WINDOW);
        }
        out.push((start, end, k, k));
    }
    out
}

/// The end of the line holding `i`, or `limit` (on a char boundary) if the line runs past it.
fn bounded_line_end(body: &str, i: usize, limit: usize) -> usize {
    let limit = limit.min(body.len());
    if i >= limit {
        return i.min(body.len());
    }
    match memchr::memchr(b'\n', &body.as_bytes()[i..limit]) {
        Some(k) => i + k,
        None => floor_boundary(body, limit),
    }
}

/// The nearest char boundary at or before `i` (`str::floor_char_boundary` is newer than the
/// crate's minimum Rust).
pub(crate) fn floor_boundary(body: &str, mut i: usize) -> usize {
    i = i.min(body.len());
    while !body.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The nearest char boundary at or after `i`.
pub(crate) fn ceil_boundary(body: &str, mut i: usize) -> usize {
    i = i.min(body.len());
    while !body.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Attributes every quote of `raw`, handing `(index, attribution)` to `emit` in index order,
/// block by block: only the current block's results are held.
fn attribute_all(body: &str, raw: &[RawQuote], mut emit: impl FnMut(usize, Attributed)) {
    // Results of the current block, by quote index less the block's first: a block's quotes
    // are consecutive. Everything before `next` is emitted.
    let mut result = BlockResults::default();
    let mut next = 0;
    // Emits quotes `next..until`: those attributed by a block, the rest (nested quotes, or
    // quotes no block holds) with their kind alone.
    let mut flush = |result: &mut BlockResults, until: usize| {
        while next < until {
            let q = &raw[next];
            let mut a: Attributed = result.take(next).unwrap_or(Attributed {
                kind: QuoteKind::Partial,
                speaker: None,
                cue: None,
                channel: None,
                credits: Vec::new(),
            });
            // Nested quotes are the outer speaker quoting someone: their kind is by length.
            if q.parent.is_some() {
                a.kind = if word_count(&body[q.start..q.end]) <= 4 {
                    QuoteKind::Term
                } else {
                    QuoteKind::Partial
                };
            }
            emit(next, a);
            next += 1;
        }
    };
    let mut resolver = Resolver::new();
    let mut seen_to = 0;
    // The speaker of the last quote of the previous block, and where that block ended.
    let mut previous: Option<(Who, usize)> = None;
    // The buffer of the article before, with room for a long paragraph: grown from nothing,
    // it was reallocated several times in every article.
    let mut toks: Vec<Tok> = recycle(SPARE_TOKS.take());
    let mut sents: Vec<(usize, usize)> = Vec::new();
    for (block_start, block_end, first, last) in blocks(body, raw) {
        flush(&mut result, first);
        result.start(first, last);
        // Names in the text since the last block, for resolving pronouns and surnames.
        if block_start > seen_to {
            resolver.observe_text(body, seen_to, block_start);
        }
        // A quote opening a paragraph after "Petro said:" on the line before belongs with it.
        let mut from = block_start;
        if let Some(prev_end) = block_start.checked_sub(1) {
            let before = body[..prev_end].trim_end();
            if before.ends_with(':') {
                let floor = seen_to.min(block_start).min(before.len());
                from = memchr::memrchr(b'\n', &body.as_bytes()[floor..before.len()])
                    .map_or(floor, |i| floor + i + 1);
            }
        }
        toks.clear();
        let mut pos = from;
        for k in (first..=last).filter(|&k| raw[k].parent.is_none()) {
            if raw[k].open < pos {
                continue; // inside a quote already placed (its mistaken parent was dropped)
            }
            tokenize(body, pos, raw[k].open, &mut toks);
            toks.push(Tok {
                start: raw[k].open,
                end: raw[k].close,
                text: &body[raw[k].open..raw[k].close],
                kind: Kind::Quote(k),
                flags: 0,
            });
            pos = raw[k].close;
        }
        tokenize(body, pos, block_end, &mut toks);
        seen_to = block_end;
        sentences(body, &toks, &mut sents);
        let channel_found = channel_matches(body, &toks);
        let channels: Vec<(usize, usize)> = channel_found.iter().map(|c| c.toks).collect();
        let mut block_speaker: Option<Who> = None;
        // Only a speaker named with a cue carries over to the next paragraph; a list of
        // “…” ― Name entries must not hand one name down to the next entry.
        let mut carries = false;
        for &(lo, hi) in &sents {
            resolver.observe_names(body, &toks[lo..hi], &[(0, hi - lo)]);
            // Indirect speech ("Schiff said the administration may act.") names the speaker
            // that the next unattributed quote continues.
            if !toks[lo..hi].iter().any(|t| t.quote().is_some()) {
                if let Some(m) = attribution::indirect_speaker(&toks, lo, hi, &channels) {
                    let name = resolver.resolve(&m.np, &m.text, m.start);
                    block_speaker = Some(Who {
                        name: name.into(),
                        mention: (m.start, m.end),
                    });
                    carries = true;
                }
                continue;
            }
            let mut sentence_credits: Option<Vec<Credit>> = None;
            for k in lo..hi {
                let Some(q) = toks[k].quote() else { continue };
                let found: Found = attribution::attribute(&toks, lo, hi, k, &channels);
                let kind = kind_of(body, &raw[q], &toks, lo, hi, k, &found);
                // A quoted title of a work or show ("Fox News Sunday", "Morning Joe") is a name,
                // not somebody's words.
                let title =
                    kind == QuoteKind::Term && is_title_case(&body[raw[q].start..raw[q].end]);
                let speaker = match &found.speaker {
                    Some(m) if !title => {
                        let name = resolver.resolve(&m.np, &m.text, m.start);
                        Some(Who {
                            name: name.into(),
                            mention: (m.start, m.end),
                        })
                    }
                    _ => None,
                };
                // follow-on: no attribution of its own, in a paragraph that continues a speaker.
                let at_block_start = k == 0;
                // Follow-on carries a speaker to whole sentences, not to fragments in narration.
                let speaker = speaker.or_else(|| {
                    if kind != QuoteKind::Full {
                        return None;
                    }
                    block_speaker.clone().or_else(|| {
                        let (s, prev_end) = previous.as_ref()?;
                        let adjacent = body[*prev_end..block_start].trim().is_empty();
                        (at_block_start && adjacent).then(|| s.clone())
                    })
                });
                if let Some(s) = &speaker {
                    block_speaker = Some(s.clone());
                    carries = found.cue.is_some() || found.rule == Rule::None;
                }
                // The credits of a sentence hold for each of its quotes: found once.
                let credits = sentence_credits
                    .get_or_insert_with(|| {
                        let (s_from, s_to) = (toks[lo].start, toks[hi - 1].end);
                        if credit::may_hold_credit(&toks[lo..hi]) {
                            credit::sentence_credits(body, &gaps_of(&toks[lo..hi], s_from, s_to))
                        } else {
                            Vec::new()
                        }
                    })
                    .clone();
                let channel = channel_found
                    .iter()
                    .find(|c| c.toks.0 >= lo && c.toks.1 <= hi)
                    .map(|c| c.bytes);
                result.put(
                    q,
                    Attributed {
                        kind,
                        speaker,
                        cue: found.cue,
                        channel,
                        credits,
                    },
                );
            }
        }
        previous = block_speaker.filter(|_| carries).map(|s| (s, block_end));
    }
    flush(&mut result, raw.len());
    if toks.capacity() <= 1 << 16 {
        SPARE_TOKS.set(recycle(toks));
    }
}

/// An empty vector of tokens, in the memory of `toks` (emptied) and of any lifetime: collecting
/// into a vector of the same layout reuses the allocation.
fn recycle<'b>(mut toks: Vec<Tok<'_>>) -> Vec<Tok<'b>> {
    toks.clear();
    toks.into_iter().map(|_| unreachable!("empty")).collect()
}

thread_local! {
    /// The token buffer of the last article of this thread, empty.
    static SPARE_TOKS: std::cell::Cell<Vec<Tok<'static>>> =
        std::cell::Cell::new(Vec::with_capacity(256));
}

/// The results of one block, for its quotes `first..=last` (nested ones included, which get
/// none): a slot per quote rather than a hash map, since the quotes of a block are
/// consecutive.
#[derive(Default)]
struct BlockResults {
    first: usize,
    slots: Vec<Option<Attributed>>,
}

impl BlockResults {
    /// Starts the block of quotes `first..=last`; every earlier result has been taken.
    fn start(&mut self, first: usize, last: usize) {
        self.first = first;
        self.slots.clear();
        self.slots.resize_with(last - first + 1, || None);
    }

    fn put(&mut self, q: usize, a: Attributed) {
        self.slots[q - self.first] = Some(a);
    }

    fn take(&mut self, q: usize) -> Option<Attributed> {
        self.slots.get_mut(q.checked_sub(self.first)?)?.take()
    }
}

/// Byte ranges of a sentence with its quotes cut out.
fn gaps_of(toks: &[Tok], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = from;
    for t in toks {
        if t.quote().is_some() {
            if t.start > pos {
                out.push((pos, t.start));
            }
            pos = t.end;
        }
    }
    if to > pos {
        out.push((pos, to));
    }
    out
}

/// A sentence end inside quoted words: ". " and a capital, not after an abbreviation (U.S.).
///
/// Tokenizes only around each sentence mark, not the whole quote: quotes can run to
/// paragraphs, and tokenizing them whole was a twentieth of all extraction work. No token
/// holds ASCII white space, so tokenizing from just after one gives the tokens of the whole
/// text; the window runs to the end of the next word after the mark that holds a token, so
/// it holds the token after any mark of the mark's own word. `sentence_end_by_whole_text` in the tests is the
/// reference.
fn has_sentence_end(text: &str) -> bool {
    let b = text.as_bytes();
    let is_space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let chunk_end = |mut i: usize| {
        while i < b.len() && !is_space(b[i]) {
            i += 1;
        }
        i
    };
    // A mark as the last character has no token after it.
    let before_last = &b[..b.len().saturating_sub(1)];
    let mut toks = Vec::new();
    // Marks before this were looked at with the token after them.
    let mut covered = 0;
    for m in memchr::memchr3_iter(b'.', b'?', b'!', before_last) {
        if m < covered {
            continue;
        }
        let start = b[covered..m]
            .iter()
            .rposition(|&c| is_space(c))
            .map_or(covered, |k| covered + k + 1);
        let own_end = chunk_end(m);
        // The next word holding a token: a chunk of other white space (no-break spaces)
        // holds none.
        let mut end = own_end;
        loop {
            while end < b.len() && is_space(b[end]) {
                end += 1;
            }
            let from = end;
            end = chunk_end(end);
            if from == end || !text[from..end].chars().all(char::is_whitespace) {
                break;
            }
        }
        toks.clear();
        tokenize(text, start, end, &mut toks);
        if ends_sentence_in(&toks) {
            return true;
        }
        covered = own_end;
    }
    false
}

/// "." "?" or "!" standing alone, then a capitalized word or a mark other than ".".
fn ends_sentence_in(toks: &[Tok]) -> bool {
    toks.windows(2).any(|w| {
        w[0].kind == Kind::Punct
            && matches!(w[0].text, "." | "?" | "!")
            && (w[1].is_cap() || w[1].kind == Kind::Punct && !w[1].is_punct('.'))
    })
}

/// Two or more words, each capitalized but for small joining words: "Fox and Friends".
fn is_title_case(text: &str) -> bool {
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    words.len() >= 2
        && words.iter().all(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
                || matches!(
                    *w,
                    "and" | "of" | "the" | "in" | "on" | "a" | "an" | "for" | "to" | "with"
                )
        })
}

/// The number of words of `s`, counted up to five: callers only ask "more than four?", and
/// quotes can be long.
fn word_count(s: &str) -> usize {
    // `split_whitespace` by hand: eight ASCII bytes per step, decoding only non-ASCII chars.
    // This runs on every quote.
    const ONES: u64 = u64::MAX / 0xff;
    const HIGH: u64 = ONES * 0x80;
    let b = s.as_bytes();
    let (mut words, mut in_word, mut i) = (0, false, 0);
    while i < b.len() {
        if let Some(chunk) = b.get(i..i + 8) {
            let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            if x & HIGH == 0 {
                // With every byte below 0x80 no sum carries into the next byte. White space
                // is 0x09..=0x0d or 0x20; its high bit ends up clear in `word`.
                let tab_or_more = x + ONES * (0x80 - 0x09);
                let past_cr = x + ONES * (0x80 - 0x0e);
                let y = x ^ (ONES * 0x20);
                let not_space_20 = ((y & (ONES * 0x7f)) + ONES * 0x7f) | y;
                let space = (tab_or_more & !past_cr) | !not_space_20;
                let word = !space & HIGH;
                // A word starts at a non-space byte whose predecessor is a space.
                let before = (word << 8) | u64::from(in_word) << 7;
                words += (word & !before).count_ones() as usize;
                if words >= 5 {
                    return 5;
                }
                in_word = word >> 63 != 0;
                i += 8;
                continue;
            }
        }
        let (space, len) = if b[i].is_ascii() {
            (
                matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
                1,
            )
        } else {
            let c = s[i..].chars().next().expect("a char starts here");
            (c.is_whitespace(), c.len_utf8())
        };
        if space {
            in_word = false;
        } else if !in_word {
            in_word = true;
            words += 1;
            if words == 5 {
                break;
            }
        }
        i += len;
    }
    words
}

// sentence-end = ( "." / "?" / "!" ) [ close-mark ] SP ( CAP / open-mark ), outside quotes;
// a paragraph break also ends a sentence unless the line ends with ":".
///
/// The sentences, as token ranges, are written to `out` (emptied first): one buffer serves
/// every block of an article.
fn sentences(body: &str, toks: &[Tok], out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut lo = 0;
    for i in 0..toks.len() {
        let Some(next) = toks.get(i + 1) else { break };
        let t = &toks[i];
        // Tokens are mostly one space apart: a byte loop, not a `memchr` call per token
        // (`<[u8]>::contains` is one).
        #[allow(clippy::manual_contains)]
        let newline = || {
            next.start > t.end
                && body.as_bytes()[t.end..next.start]
                    .iter()
                    .any(|&c| c == b'\n')
                && !t.is_punct(':')
        };
        let end_punct = || t.kind == Kind::Punct && matches!(t.text, "." | "?" | "!");
        let quote_end = || {
            t.quote().is_some() && {
                ends_with_sentence_mark(&body[t.start..t.end])
                    && next.is_cap()
                    && toks
                        .get(i + 2)
                        .is_none_or(|n| attribution::is_cue(n).is_none() && !n.is_cap())
                    && attribution::is_cue(next).is_none()
            }
        };
        let starts_new = || next.is_cap() || next.quote().is_some() || next.kind == Kind::Number;
        // "… with the U.S. A classified memo": a dotted abbreviation can end a sentence too.
        let abbreviation_end = || {
            t.is_word()
                && t.text.ends_with('.')
                && t.text.len() > 2
                && next.is_cap()
                && SENTENCE_STARTERS.contains(&next.text)
        };
        // Each test only when the ones before fail: this runs for every token of a block.
        if newline() || (end_punct() && starts_new()) || quote_end() || abbreviation_end() {
            out.push((lo, i + 1));
            lo = i + 1;
        }
    }
    if lo < toks.len() {
        out.push((lo, toks.len()));
    }
}

/// Whether the last letter, digit or sentence mark of `text` is a sentence mark: the text
/// trimmed of closing marks and other punctuation ends with ".", "?" or "!". The closing marks
/// are answered without the Unicode tables that `char::is_alphanumeric` consults for them.
fn ends_with_sentence_mark(text: &str) -> bool {
    for c in text.chars().rev() {
        match c {
            '.' | '?' | '!' => return true,
            '”' | '’' | '»' | '›' | '"' | '\'' => {}
            c if c.is_ascii_alphanumeric() => return false,
            c if c.is_ascii() => {}
            c if c.is_alphanumeric() => return false,
            _ => {}
        }
    }
    false
}

const SENTENCE_STARTERS: &[&str] = &[
    "A",
    "An",
    "The",
    "He",
    "She",
    "It",
    "They",
    "We",
    "I",
    "But",
    "And",
    "In",
    "On",
    "At",
    "This",
    "That",
    "These",
    "Those",
    "His",
    "Her",
    "Their",
    "Its",
    "There",
    "Some",
    "Many",
    "After",
    "Before",
    "When",
    "While",
    "Although",
    "However",
    "Meanwhile",
    "If",
    "As",
    "For",
];

/// A channel phrase found in a block: its tokens, and its exact bytes ("on X" of "on X.").
struct ChannelMatch {
    toks: (usize, usize),
    bytes: (usize, usize),
}

// channel = {channels}, as token ranges of the block
fn channel_matches(body: &str, toks: &[Tok]) -> Vec<ChannelMatch> {
    let lex = lexicon();
    let mut out = Vec::new();
    let (Some(first), Some(last)) = (toks.first(), toks.last()) else {
        return out;
    };
    // A match ends on a token holding the phrase's last word: most blocks have none, and
    // lower-casing and searching them was a twentieth of extraction.
    if !toks
        .iter()
        .any(|t| t.flags & attribution::flag::CHANNEL_END != 0)
    {
        return out;
    }
    let mut lower = Vec::new();
    for (from, to) in gaps_of(toks, first.start, last.end) {
        let text = &body[from..to];
        // Same offsets as `text`: only ASCII letters change.
        lower.clear();
        lower.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
        for m in lex.channels.find_iter(&lower) {
            let phrase = &lex.channel_phrases[m.pattern().as_usize()];
            let found = &text[m.start()..m.end()];
            // The network X is matched only as a capital letter, never the letter x.
            if phrase.ends_with(" X") && !found.ends_with('X') {
                continue;
            }
            let (a, b) = (from + m.start(), from + m.end());
            let ta = toks.iter().position(|t| t.start == a);
            // "on X." ends on the token "X." (read as an initial): its period is not part of it.
            let tb = toks
                .iter()
                .position(|t| t.end == b || t.end == b + 1 && t.start < b && t.text.ends_with('.'));
            if let (Some(ta), Some(tb)) = (ta, tb) {
                out.push(ChannelMatch {
                    toks: (ta, tb + 1),
                    bytes: (a, b),
                });
            }
        }
    }
    out
}

// term    = at most 4 words, no inner sentence end, inside a sentence, not after "cue [,:]"
// full    = opens its sentence, or follows "cue [that|,|:]", or holds a sentence end
// partial = any other quote
fn kind_of(
    body: &str,
    q: &RawQuote,
    toks: &[Tok],
    lo: usize,
    hi: usize,
    k: usize,
    found: &Found,
) -> QuoteKind {
    let text = body[q.start..q.end].trim();
    let words = word_count(text);
    let prev = (k > lo).then(|| &toks[k - 1]);
    let after_cue = prev.is_some_and(|p| {
        p.is_punct(':')
            || attribution::is_cue(p).is_some()
            || (p.is_punct(',') && k >= lo + 2 && attribution::is_cue(&toks[k - 2]).is_some())
            || (p.is("that") && k >= lo + 2 && attribution::is_cue(&toks[k - 2]).is_some())
    });
    let opens = k == lo || prev.is_some_and(|p| p.is_punct('(') || p.is_punct('—'));
    let next = toks.get(k + 1).filter(|_| k + 1 < hi);
    let ends_clause = next.is_none_or(|n| {
        n.kind == Kind::Punct && matches!(n.text, "." | "?" | "!" | ";" | "," | "—" | ")")
    }) || found.rule == Rule::Post
        || text.ends_with(['.', ',', ';', '?', '!']);
    let starts_upper = text.chars().next().is_some_and(char::is_uppercase);
    // The search for a sentence end inside the quote, the dearest test, only when the
    // others leave the kind open: a whole sentence after its cue is full either way.
    if (opens || after_cue) && ends_clause && (words > 4 || starts_upper) || has_sentence_end(text)
    {
        return QuoteKind::Full;
    }
    if words <= 4 && !opens && !after_cue {
        return QuoteKind::Term;
    }
    if (opens || after_cue) && ends_clause {
        QuoteKind::Full
    } else {
        QuoteKind::Partial
    }
}

#[cfg(test)]
mod tests;
