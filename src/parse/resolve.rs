//! Resolving pronouns, role nouns and surnames to the person they stand for
//! (grammar/README.md §5, "Resolution").

use std::cell::Cell;
use std::collections::hash_map::Entry;
use std::hash::BuildHasher;

use rustc_hash::{FxBuildHasher, FxHashMap};

use super::attribution::{classify_np, Np};
use super::recycle;
use super::token::Tok;

/// The end of a chain of entities or cache entries that share a hash.
const NONE: u32 = u32::MAX;

/// The hash the name tables are keyed by. The tables hold this hash, not the string, so that
/// a name is hashed once however many tables it is looked up in, and stored once (in an arena)
/// however many tables index it: a new name used to cost four allocations.
fn hash_of(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

/// A string in an arena ([`Names::text`], [`NameCache::text`]): its byte range.
#[derive(Debug, Clone, Copy, Default)]
struct Piece {
    start: u32,
    end: u32,
}

impl Piece {
    /// Appends `s` to `arena`.
    fn push(arena: &mut String, s: &str) -> Piece {
        let start = arena.len() as u32;
        arena.push_str(s);
        Piece {
            start,
            end: arena.len() as u32,
        }
    }

    fn of(self, arena: &str) -> &str {
        &arena[self.start as usize..self.end as usize]
    }
}

/// A name with its last word ([`last_word`]) and the hashes of both, worked out once: a name
/// taken from the [`NameCache`] is looked up by name and by last word without hashing again.
#[derive(Debug, Clone, Copy)]
struct Key<'a> {
    name: &'a str,
    hash: u64,
    last: &'a str,
    last_hash: u64,
}

impl<'a> Key<'a> {
    fn new(name: &'a str) -> Key<'a> {
        let last = last_word(name);
        Key {
            name,
            hash: hash_of(name),
            last,
            last_hash: hash_of(last),
        }
    }
}

#[derive(Debug)]
struct Entity {
    /// The name, in [`Names::text`].
    name: Piece,
    /// Its last word, in [`Names::text`], the key of [`Names::by_last`].
    last: Piece,
    /// The next older entity whose name has the same hash, or [`NONE`].
    same_hash: u32,
    /// The next older entity whose last word has the same hash, or [`NONE`].
    same_last: u32,
    /// The first and the last of its titles in [`Names::titles`], in the order first seen,
    /// or [`NONE`]: a `Vec<String>` for each entity cloned each title of each mention (16k
    /// clones; with the lists and `is_org` on the stack, callgrind, 3,000 AllSides articles:
    /// -0.2% instructions, -2.3% simulated L1 misses).
    titles: (u32, u32),
    /// Person or organisation, when known. Most names are never the antecedent of a pronoun,
    /// so the organisation test runs only when a pronoun asks ([`Entity::is_person`]).
    person: Cell<Option<bool>>,
    /// Was named as a speaker: pronouns prefer speakers over people merely mentioned.
    speaker: bool,
    /// Byte offset of the latest mention: recency decides between candidates.
    seen: usize,
}

/// The entities of one article, with their names end to end in one arena.
#[derive(Debug, Default)]
struct Names {
    entities: Vec<Entity>,
    /// The names and last words of `entities`.
    text: String,
    /// Index of `entities` by the hash of the name, and by the hash of its last word (for
    /// "Petro" -> "Gustavo Petro"): every capitalized run of an article is looked up, so no
    /// linear scans. Each maps to the newest entity of a chain ([`Entity::same_hash`],
    /// [`Entity::same_last`]) that holds every entity with that hash.
    by_name: FxHashMap<u64, u32>,
    by_last: FxHashMap<u64, u32>,
    /// The titles of all entities, each in `text` with the index of the entity's next title
    /// (or [`NONE`]).
    titles: Vec<(Piece, u32)>,
}

/// A name found in a run of text, as the [`NameCache`] keeps it: its byte offset from the
/// run's start, the name and its last word in [`NameCache::text`] with their hashes, and its
/// titles, a range of [`NameCache::titles`].
#[derive(Debug, Clone, Copy)]
struct CachedName {
    at: u32,
    name: Piece,
    last: Piece,
    hash: u64,
    last_hash: u64,
    titles: Piece,
}

/// The two kinds of runs in [`Runs`]: the same text names different things as one or the
/// other.
#[derive(Debug, Clone, Copy)]
enum RunKind {
    /// A capitalized run of running text ([`Resolver::observe_text`]): its names, each with
    /// its byte offset from the run's start.
    Text,
    /// A capitalized run of tokens ([`names_in`]): the name it holds (none or one), with its
    /// byte offset from the run's start.
    Token,
}

/// Runs of text seen before, by their kind and the hash of their text, each with a range of
/// [`NameCache::names`]: an open-addressing table probed linearly, with a byte of the hash for
/// each slot in `tags` and the run itself in a slot of `slots`, one cache line.
///
/// The table is made at its full size at once (`2 * NameCache::MAX` slots, 4 MB): zeroed
/// memory from the allocator costs nothing until it is written, while growing it from small
/// (writing each new table, then moving each run) cost almost three times the cache misses of
/// all its look-ups (callgrind, 3,000 AllSides articles).
#[derive(Debug, Default)]
struct Runs {
    /// For each slot, 0 when empty, else [`Runs::tag`] of its hash: a run not seen before
    /// (half of all runs) is found missing from these alone, 64 KB, often in the cache.
    tags: Vec<u8>,
    /// The slots, [`SLOT`] bytes each from `first`: as many as `tags`, a power of two (or
    /// none). The slots with tag 0 are garbage.
    slots: Vec<u8>,
    /// The offset in `slots` of its first byte aligned to a cache line.
    first: usize,
    /// The slots in use.
    len: usize,
}

/// The size of a slot of [`Runs`], a cache line. A slot holds, little-endian, the run's hash
/// (8 bytes, at 0), the range of its names (4 + 4, at 8), the length of its text (4, at 16)
/// and, at 20, the text when no longer than [`INLINE`] bytes, as most runs are (a few
/// capitalized words), else the text's start in [`NameCache::text`] (4). So a run is found
/// with one cache miss for the slot, besides the tags: a chained table of the hash to an
/// entry, with the text in an arena, missed on its bucket, the entry and the text.
const SLOT: usize = 64;

/// The bytes of a run's text a slot of [`Runs`] holds itself: the rest of its cache line.
const INLINE: usize = SLOT - 20;

/// Read from a slot of [`Runs`].
fn u32_at(slot: &[u8; SLOT], at: usize) -> u32 {
    u32::from_le_bytes(slot[at..at + 4].try_into().expect("four bytes"))
}

impl Runs {
    /// The hash a run of `kind` with text hash `hash` is kept under: different for the two
    /// kinds, so that a run of one kind is never taken for the other (its text is the same).
    fn hash(kind: RunKind, hash: u64) -> u64 {
        match kind {
            RunKind::Text => hash,
            // Changes the low bits too: the same text as both kinds is common, and is then
            // kept in two distant slots rather than in two neighbours.
            RunKind::Token => hash ^ 0x9e37_79b9_7f4a_7c15,
        }
    }

    /// The tag of a slot whose run has hash `hash`: never 0. The top bits, as the low bits
    /// pick the slot.
    fn tag(hash: u64) -> u8 {
        0x80 | (hash >> 57) as u8
    }

    fn slot(&self, k: usize) -> &[u8; SLOT] {
        let at = self.first + k * SLOT;
        self.slots[at..at + SLOT].try_into().expect("a slot")
    }

    /// Asks for the cache line of slot `k` (of any number: the hint never faults).
    fn prefetch(&self, k: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let p = self.slots.as_ptr().wrapping_add(self.first + k * SLOT);
            // SAFETY: a prefetch is a hint that reads nothing: it never faults, whatever the
            // address, and SSE (which has it) is part of every x86_64 target.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = k;
    }

    fn slot_mut(&mut self, k: usize) -> &mut [u8; SLOT] {
        let at = self.first + k * SLOT;
        (&mut self.slots[at..at + SLOT]).try_into().expect("a slot")
    }

    /// The names of the run `key` of `kind` (with hash `hash`), if seen before. `arena` holds
    /// the texts too long for a slot.
    fn get(&self, kind: RunKind, hash: u64, key: &str, arena: &str) -> Option<Piece> {
        if self.tags.is_empty() {
            return None;
        }
        let hash = Runs::hash(kind, hash);
        let tag = Runs::tag(hash);
        let mask = self.tags.len() - 1;
        let mut k = hash as usize & mask;
        // The run is most often in the first slot probed, and a new run is put there: its
        // cache line is fetched while the tags are read. Perf, 8,000 AllSides articles: the
        // look-ups and insertions took 7.1% of the samples before this table, 5.8% with it,
        // 4.8% with this prefetch.
        self.prefetch(k);
        while let Some(&t) = self.tags.get(k) {
            if t == 0 {
                break;
            }
            if t == tag {
                let slot = self.slot(k);
                let len = u32_at(slot, 16) as usize;
                if u64::from_le_bytes(slot[..8].try_into().expect("eight bytes")) == hash
                    && len == key.len()
                {
                    let text = if len <= INLINE {
                        &slot[20..20 + len]
                    } else {
                        let start = u32_at(slot, 20) as usize;
                        &arena.as_bytes()[start..start + len]
                    };
                    if text == key.as_bytes() {
                        return Some(Piece {
                            start: u32_at(slot, 8),
                            end: u32_at(slot, 12),
                        });
                    }
                }
            }
            k = (k + 1) & mask;
        }
        None
    }

    /// Adds the run `key` of `kind` (with hash `hash`, not in the table), appending its text
    /// to `arena` when too long for a slot.
    fn insert(&mut self, kind: RunKind, hash: u64, key: &str, arena: &mut String, names: Piece) {
        let hash = Runs::hash(kind, hash);
        // Half full at `NameCache::MAX` runs (a miss then probes 2.5 tags on average), where
        // the cache is emptied before the next article; grown only when one article brings
        // more than an eighth of the table in new runs.
        if (self.len + 1) * 8 > self.tags.len() * 5 {
            self.grow((self.tags.len() * 2).max(2 * NameCache::MAX));
        }
        let mask = self.tags.len() - 1;
        let mut k = hash as usize & mask;
        while self.tags[k] != 0 {
            k = (k + 1) & mask;
        }
        self.tags[k] = Runs::tag(hash);
        let long = key.len() > INLINE;
        let start = if long {
            Piece::push(arena, key).start
        } else {
            0
        };
        let slot = self.slot_mut(k);
        slot[..8].copy_from_slice(&hash.to_le_bytes());
        slot[8..12].copy_from_slice(&names.start.to_le_bytes());
        slot[12..16].copy_from_slice(&names.end.to_le_bytes());
        slot[16..20].copy_from_slice(&(key.len() as u32).to_le_bytes());
        if long {
            slot[20..24].copy_from_slice(&start.to_le_bytes());
        } else {
            slot[20..20 + key.len()].copy_from_slice(key.as_bytes());
        }
        self.len += 1;
    }

    /// Makes the table `size` slots large, moving the runs in it.
    fn grow(&mut self, size: usize) {
        let old = std::mem::replace(
            self,
            Runs {
                tags: vec![0; size],
                // Zeroed, so that it is allocated without being written.
                slots: vec![0; size * SLOT + SLOT - 1],
                first: 0,
                len: 0,
            },
        );
        self.first = (self.slots.as_ptr() as usize).wrapping_neg() % SLOT;
        for k in (0..old.tags.len()).filter(|&k| old.tags[k] != 0) {
            let slot = old.slot(k);
            let hash = u64::from_le_bytes(slot[..8].try_into().expect("eight bytes"));
            let mask = size - 1;
            let mut j = hash as usize & mask;
            while self.tags[j] != 0 {
                j = (j + 1) & mask;
            }
            self.tags[j] = old.tags[k];
            self.slot_mut(j).copy_from_slice(slot);
            self.len += 1;
        }
    }

    /// Empties the table, keeping its memory: only the tags are cleared.
    fn clear(&mut self) {
        self.tags.fill(0);
        self.len = 0;
    }
}

/// What runs of text name, by the run's text. What a run names depends on its text alone, and
/// articles name the same people over and over, within an article and from one to the next:
/// tokenizing and classifying each mention again was a sixth of all extraction work. Kept
/// from article to article on each thread (see [`Resolver::new`]), and emptied when it holds
/// [`NameCache::MAX`] runs, so memory stays bounded whatever the input size. Names live end
/// to end in one arena, emptied with the rest: half the runs of an article are new, and a few
/// allocations for each new run cost more than the look-up saved.
#[derive(Debug, Default)]
struct NameCache {
    /// The names in runs, and the texts of runs too long for a slot of [`Runs`].
    text: String,
    /// The names of all runs, each run's a range.
    names: Vec<CachedName>,
    /// The titles of all names, each name's a range.
    titles: Vec<String>,
    /// The runs of both kinds, and what they name.
    runs: Runs,
    /// The emptied tables of the last article's [`Resolver`]: grown again from nothing
    /// for each article, their tables were rehashed a dozen times per article.
    spare: Names,
    /// The emptied buffers of the last article's [`Resolver`].
    spare_found: Vec<(usize, CachedName)>,
    spare_toks: Vec<Tok<'static>>,
}

impl NameCache {
    const MAX: usize = 1 << 15;
    /// Tables with room for more entities than this are not kept for the next article.
    const MAX_SPARE: usize = 1 << 12;

    fn len(&self) -> usize {
        self.runs.len
    }

    /// Empties the cache, keeping its memory.
    fn clear(&mut self) {
        self.text.clear();
        self.names.clear();
        self.titles.clear();
        self.runs.clear();
    }

    fn key(&self, n: &CachedName) -> Key<'_> {
        Key {
            name: n.name.of(&self.text),
            hash: n.hash,
            last: n.last.of(&self.text),
            last_hash: n.last_hash,
        }
    }

    fn titles(&self, n: &CachedName) -> &[String] {
        &self.titles[n.titles.start as usize..n.titles.end as usize]
    }

    /// The names of a run, as [`Runs::get`] gives them.
    fn names_of(&self, run: Piece) -> &[CachedName] {
        &self.names[run.start as usize..run.end as usize]
    }

    /// Keeps the run `key` of `kind` (with hash `hash`), whose names are those added to
    /// `names` from index `first` on; returns the range of those names.
    fn keep_run(&mut self, kind: RunKind, hash: u64, key: &str, first: u32) -> Piece {
        let names = Piece {
            start: first,
            end: self.names.len() as u32,
        };
        self.runs.insert(kind, hash, key, &mut self.text, names);
        names
    }

    /// Keeps a name found by [`run_name`].
    fn add_name(&mut self, at: usize, name: &str, titles: Vec<String>) -> CachedName {
        let last = last_word(name);
        // `last` is a suffix of `name`'s text: the arena holds the name once.
        let name_piece = Piece::push(&mut self.text, name);
        let last_start =
            name_piece.start + (last.as_ptr() as usize - name.as_ptr() as usize) as u32;
        let first_title = self.titles.len() as u32;
        self.titles.extend(titles);
        CachedName {
            at: at as u32,
            name: name_piece,
            last: Piece {
                start: last_start,
                end: last_start + last.len() as u32,
            },
            hash: hash_of(name),
            last_hash: hash_of(last),
            titles: Piece {
                start: first_title,
                end: self.titles.len() as u32,
            },
        }
    }
}

thread_local! {
    /// The [`NameCache`] between two articles of this thread.
    static NAME_CACHE: std::cell::RefCell<NameCache> = std::cell::RefCell::default();
}

/// Names seen so far in one article, most recent last.
#[derive(Debug)]
pub(crate) struct Resolver {
    names: Names,
    cache: NameCache,
    /// The names [`names_in`] found, each at its byte offset in the body: kept from call to
    /// call for its memory.
    found: Vec<(usize, CachedName)>,
    /// An empty token buffer for [`Resolver::observe_text`], kept for its memory.
    toks: Vec<Tok<'static>>,
}

impl Resolver {
    /// A resolver for a new article, with the name cache of the articles before it.
    pub fn new() -> Resolver {
        let mut cache = NAME_CACHE.with(|c| c.take());
        let names = std::mem::take(&mut cache.spare);
        if cache.len() >= NameCache::MAX {
            cache.clear();
        }
        let found = std::mem::take(&mut cache.spare_found);
        let toks = std::mem::take(&mut cache.spare_toks);
        Resolver {
            names,
            cache,
            found,
            toks,
        }
    }
}

impl Drop for Resolver {
    /// Hands the name cache and the emptied tables on to the next article.
    fn drop(&mut self) {
        let mut cache = std::mem::take(&mut self.cache);
        if self.names.by_name.capacity() <= NameCache::MAX_SPARE
            && self.names.text.capacity() <= NameCache::MAX_SPARE * 64
        {
            let mut spare = std::mem::take(&mut self.names);
            spare.entities.clear();
            spare.text.clear();
            spare.by_name.clear();
            spare.by_last.clear();
            spare.titles.clear();
            cache.spare = spare;
        }
        self.found.clear();
        cache.spare_found = std::mem::take(&mut self.found);
        cache.spare_toks = std::mem::take(&mut self.toks);
        NAME_CACHE.with(|c| *c.borrow_mut() = cache);
    }
}

/// A name found in a run of tokens: its byte offset from the run's start, the name and its
/// titles.
type Named = (usize, String, Vec<String>);

/// Capitalized words that open sentences without naming anyone: the function words the
/// tokenizer already flags, and a few more.
fn not_a_name(t: &Tok) -> bool {
    use super::attribution::flag;
    t.flags
        & (flag::DETERMINERS
            | flag::PRONOUNS
            | flag::LEADING_NOISE
            | flag::PREPOSITIONS
            | flag::CALENDAR
            | flag::SUBORDINATORS)
        != 0
        || {
            // Lower-cased on the stack and matched, rather than compared with each word of a
            // list: the first word of every new run asks.
            let w = t.text.trim_end_matches('.').as_bytes();
            let mut buf = [0u8; 5];
            w.len() <= buf.len() && {
                let lower = &mut buf[..w.len()];
                lower.copy_from_slice(w);
                lower.make_ascii_lowercase();
                matches!(
                    &*lower,
                    b"there"
                        | b"here"
                        | b"what"
                        | b"why"
                        | b"how"
                        | b"who"
                        | b"where"
                        | b"mr"
                        | b"mrs"
                        | b"ms"
                        | b"dr"
                )
            }
        }
}

/// Words that make a name an organisation or an institution, not a person. A `match` on
/// the word rather than a scan of a list: every new name is tested against all of them.
fn is_org_word(w: &str) -> bool {
    matches!(
        w,
        "house"
            | "department"
            | "ministry"
            | "party"
            | "committee"
            | "council"
            | "agency"
            | "office"
            | "administration"
            | "government"
            | "company"
            | "inc"
            | "corp"
            | "university"
            | "times"
            | "post"
            | "news"
            | "union"
            | "court"
            | "congress"
            | "senate"
            | "police"
            | "army"
            | "navy"
            | "force"
            | "forces"
            | "bank"
            | "fund"
            | "organization"
            | "association"
            | "group"
            | "institute"
            | "center"
            | "centre"
            | "foundation"
            | "commission"
            | "board"
            | "service"
            | "network"
            | "nations"
            | "states"
            | "pentagon"
            | "kremlin"
            | "campaign"
            | "coalition"
            | "guard"
            | "command"
            | "press"
            | "journal"
            | "review"
            | "images"
            | "photos"
            | "school"
            | "college"
            | "hospital"
            | "airport"
    )
}

/// An organisation or a place: a name that pronouns for people never stand for.
fn is_org(name: &str) -> bool {
    // Lower-cased on the stack when ASCII and short (the same as `to_lowercase` there): each
    // name new to `ORG_NAMES` was an allocation here (5.6k on 3,000 AllSides articles).
    let mut buf = [0u8; 64];
    let heap: String;
    let lower = if name.is_ascii() && name.len() <= buf.len() {
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name.as_bytes());
        lower.make_ascii_lowercase();
        std::str::from_utf8(lower).expect("ASCII")
    } else {
        heap = name.to_lowercase();
        &heap
    };
    // The cheap test first; the result is the same in any order.
    lower
        .split_whitespace()
        .any(|w| is_org_word(w.trim_end_matches('.')))
        || super::lexicon::lexicon().places.contains(lower)
        || super::lexicon::resolve_outlet(name).is_some()
}

/// 'f', 'm', or None when neither the given name nor a title tells.
fn gender_of<'a>(name: &str, titles: impl Iterator<Item = &'a str>) -> Option<char> {
    for t in titles {
        match t {
            "mrs" | "ms" | "miss" | "congresswoman" | "spokeswoman" | "chairwoman" | "queen"
            | "princess" | "lady" | "dame" | "sister" => return Some('f'),
            "mr" | "congressman" | "spokesman" | "chairman" | "king" | "prince" | "lord"
            | "sir" | "father" => return Some('m'),
            _ => {}
        }
    }
    let first = name.split_whitespace().next()?;
    let first_names = &super::lexicon::lexicon().first_names;
    // Lower-cased on the stack when ASCII (the same as `to_lowercase` there): every pronoun
    // asks this of each candidate.
    let mut buf = [0u8; 32];
    if first.len() <= buf.len() && first.is_ascii() {
        let lower = &mut buf[..first.len()];
        lower.copy_from_slice(first.as_bytes());
        lower.make_ascii_lowercase();
        let lower = std::str::from_utf8(lower).expect("ASCII");
        return first_names.get(lower).copied();
    }
    first_names.get(&first.to_lowercase()).copied()
}

fn starts_particle(b: &[u8]) -> bool {
    // Every particle opens with one of these letters: most words are ruled out by their first.
    matches!(b.first(), Some(b'd' | b'v' | b'b' | b'a' | b'l'))
        && [
            "de ", "del ", "da ", "van ", "von ", "bin ", "al ", "la ", "le ", "di ",
        ]
        .iter()
        .any(|p| b.starts_with(p.as_bytes()))
}

/// "… told Reuters. The next …": a longer word with a period ends its sentence, unlike
/// "Sen." or "U.S.".
fn ends_sentence(word: &str) -> bool {
    word.len() > 4 && word.strip_suffix('.').is_some_and(|w| !is_title_word(w))
}

fn is_title_word(w: &str) -> bool {
    super::lexicon::word_flags(w) & super::attribution::flag::TITLE != 0
}

/// The index of the first ASCII capital of `b`, sixteen bytes per step: this scan runs over
/// all the quote-free text of an article, most of its length.
#[cfg(target_arch = "x86_64")]
fn first_capital(b: &[u8]) -> Option<usize> {
    use std::arch::x86_64::{
        _mm_and_si128, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_set1_epi8,
    };
    let mut offset = 0;
    while offset + 16 <= b.len() {
        // SAFETY: SSE2 is part of every x86_64 target, and the sixteen bytes read lie in `b`.
        // The comparisons are signed: bytes of UTF-8 sequences (top bit set) are below 'A'.
        let capitals = unsafe {
            let x = _mm_loadu_si128(b.as_ptr().add(offset).cast());
            let from_a = _mm_cmpgt_epi8(x, _mm_set1_epi8((b'A' - 1) as i8));
            let to_z = _mm_cmplt_epi8(x, _mm_set1_epi8((b'Z' + 1) as i8));
            _mm_movemask_epi8(_mm_and_si128(from_a, to_z))
        };
        if capitals != 0 {
            return Some(offset + capitals.trailing_zeros() as usize);
        }
        offset += 16;
    }
    first_capital_swar(&b[offset..]).map(|k| offset + k)
}

/// [`first_capital`] without SSE2, and for the last few bytes: eight bytes per step.
#[cfg(not(target_arch = "x86_64"))]
fn first_capital(b: &[u8]) -> Option<usize> {
    first_capital_swar(b)
}

/// [`first_capital`], eight bytes per step in a `u64`.
fn first_capital_swar(b: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::MAX / 0xff;
    let mut chunks = b.chunks_exact(8);
    let mut offset = 0;
    for c in &mut chunks {
        let x = u64::from_le_bytes(c.try_into().expect("eight bytes"));
        // With the top bit of each byte cleared no sum carries; bytes of UTF-8 sequences
        // (top bit set) are then left out by `!x`.
        let low = x & (ONES * 0x7f);
        let at_least_a = low + ONES * u64::from(0x80 - b'A');
        let past_z = low + ONES * u64::from(0x80 - b'Z' - 1);
        let capitals = at_least_a & !past_z & !x & (ONES * 0x80);
        if capitals != 0 {
            return Some(offset + (capitals.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(u8::is_ascii_uppercase)
        .map(|k| offset + k)
}

/// The first ASCII white space (`u8::is_ascii_whitespace`) in `b[i..to]`, or `to`: the end of
/// the word at `i`. Eight bytes per step: every capitalized word of running text is measured.
fn word_end(b: &[u8], mut i: usize, to: usize) -> usize {
    const ONES: u64 = u64::MAX / 0xff;
    while i + 8 <= to {
        let x = u64::from_le_bytes(b[i..i + 8].try_into().expect("eight bytes"));
        // Flags the bytes below 0x21, where all white space lies: exact for the first one.
        let below = x.wrapping_sub(ONES * 0x21) & !x & (ONES * 0x80);
        if below == 0 {
            i += 8;
            continue;
        }
        let k = i + (below.trailing_zeros() / 8) as usize;
        if b[k].is_ascii_whitespace() {
            return k;
        }
        i = k + 1; // a control character
    }
    while i < to && !b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The last word of a name, leaving out generational suffixes ("Jr.").
fn last_word(name: &str) -> &str {
    if !name.is_ascii() {
        return last_word_slow(name);
    }
    // On ASCII, `split_whitespace` splits at these bytes: the same words, without decoding.
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let b = name.as_bytes();
    let mut end = b.len();
    loop {
        while end > 0 && space(b[end - 1]) {
            end -= 1;
        }
        if end == 0 {
            return name;
        }
        let mut start = end;
        while start > 0 && !space(b[start - 1]) {
            start -= 1;
        }
        let w = &name[start..end];
        if !matches!(w, "Jr." | "Sr." | "Jr" | "Sr" | "II" | "III") {
            return w;
        }
        end = start;
    }
}

/// Whether `name` has two words or more (`split_whitespace`): asked of every new run's name.
fn two_words(name: &str) -> bool {
    if !name.is_ascii() {
        return name.split_whitespace().nth(1).is_some();
    }
    let mut words = 0;
    let mut in_word = false;
    for &c in name.as_bytes() {
        let space = matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
        if !space && !in_word {
            words += 1;
            if words == 2 {
                return true;
            }
        }
        in_word = !space;
    }
    false
}

/// [`last_word`] for names with non-ASCII characters.
fn last_word_slow(name: &str) -> &str {
    name.split_whitespace()
        .rev()
        .find(|w| !matches!(*w, "Jr." | "Sr." | "Jr" | "Sr" | "II" | "III"))
        .unwrap_or(name)
}

thread_local! {
    /// [`is_org`] by name, kept from article to article like [`NAME_CACHE`]: the test lower-cases
    /// the name and looks it up as a place and as an outlet, about a thousand instructions,
    /// for the same few hundred names in every article.
    static ORG_NAMES: std::cell::RefCell<FxHashMap<Box<str>, bool>> =
        std::cell::RefCell::default();
}

/// [`is_org`], through [`ORG_NAMES`].
fn is_org_cached(name: &str) -> bool {
    ORG_NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some(&org) = names.get(name) {
            return org;
        }
        let org = is_org(name);
        if names.len() >= NameCache::MAX {
            names.clear();
        }
        names.insert(name.into(), org);
        org
    })
}

impl Entity {
    fn is_person(&self, text: &str) -> bool {
        match self.person.get() {
            Some(p) => p,
            None => {
                let p = !is_org_cached(self.name.of(text));
                self.person.set(Some(p));
                p
            }
        }
    }
}

impl Names {
    fn name(&self, k: usize) -> &str {
        self.entities[k].name.of(&self.text)
    }

    /// Records a mention of `key` at `at`. `person` is worked out from the name when not given,
    /// and only for a name not seen before: most mentions are of known entities.
    fn touch(
        &mut self,
        key: &Key,
        titles: &[String],
        person: Option<bool>,
        at: usize,
        speaker: bool,
    ) {
        let k = self.entities.len() as u32;
        // One probe of the table, whether the name is new or not.
        let same_hash = match self.by_name.entry(key.hash) {
            Entry::Occupied(mut head) => {
                let mut j = *head.get();
                while j != NONE {
                    let e = &self.entities[j as usize];
                    if e.name.of(&self.text) == key.name {
                        self.touch_entity(j as usize, titles, at, speaker);
                        return;
                    }
                    j = e.same_hash;
                }
                std::mem::replace(head.get_mut(), k)
            }
            Entry::Vacant(slot) => {
                slot.insert(k);
                NONE
            }
        };
        let same_last = self.by_last.insert(key.last_hash, k).unwrap_or(NONE);
        let name = Piece::push(&mut self.text, key.name);
        // The last word is kept as the suffix of the name it comes from.
        let last = match (key.last.as_ptr() as usize).checked_sub(key.name.as_ptr() as usize) {
            Some(off) if off + key.last.len() <= key.name.len() => Piece {
                start: name.start + off as u32,
                end: name.start + (off + key.last.len()) as u32,
            },
            _ => Piece::push(&mut self.text, key.last),
        };
        let mut list = (NONE, NONE);
        for t in titles {
            self.push_title(&mut list, t);
        }
        self.entities.push(Entity {
            name,
            last,
            same_hash,
            same_last,
            titles: list,
            person: Cell::new(person),
            speaker,
            seen: at,
        });
    }

    /// Records a mention of the known entity `k` at `at`.
    fn touch_entity(&mut self, k: usize, titles: &[String], at: usize, speaker: bool) {
        let e = &mut self.entities[k];
        e.seen = at;
        e.speaker |= speaker;
        let mut list = e.titles;
        for t in titles {
            if !self.titles_of(list).any(|x| x == t) {
                self.push_title(&mut list, t);
            }
        }
        self.entities[k].titles = list;
    }

    /// Appends the title `t` to the list `list` (first, last) of [`Names::titles`].
    fn push_title(&mut self, list: &mut (u32, u32), t: &str) {
        let k = self.titles.len() as u32;
        self.titles.push((Piece::push(&mut self.text, t), NONE));
        match list.1 {
            NONE => list.0 = k,
            last => self.titles[last as usize].1 = k,
        }
        list.1 = k;
    }

    /// The titles of the list `list` of [`Names::titles`], in order.
    fn titles_of(&self, list: (u32, u32)) -> impl Iterator<Item = &str> + '_ {
        let mut k = list.0;
        std::iter::from_fn(move || {
            let &(t, next) = self.titles.get(k as usize)?;
            k = next;
            Some(t.of(&self.text))
        })
    }

    /// The most recent entity that `pred` accepts, as an index of `entities`.
    fn most_recent(&self, pred: impl Fn(&Entity) -> bool) -> Option<usize> {
        self.entities
            .iter()
            .enumerate()
            .filter(|(_, e)| pred(e))
            .max_by_key(|(_, e)| e.seen)
            .map(|(k, _)| k)
    }

    /// The full name a surname or short form was introduced with ("Petro" -> "Gustavo Petro"),
    /// as an index of `entities`.
    fn full_name_index(&self, key: &Key) -> Option<usize> {
        let name = key.name;
        let mut k = *self.by_last.get(&key.last_hash)?;
        // The chain runs from the newest entity to the oldest: among entities last seen at
        // the same offset the newest wins, as it did when the candidates were scanned oldest
        // first.
        let mut best: Option<(usize, usize)> = None;
        while k != NONE {
            let e = &self.entities[k as usize];
            let e_name = e.name.of(&self.text);
            // The cheap tests first: most chains hold the name itself.
            if e_name.len() > name.len()
                && best.is_none_or(|(_, seen)| e.seen > seen)
                && e.last.of(&self.text) == key.last
                && name
                    .split_whitespace()
                    .all(|w| e_name.split_whitespace().any(|x| x == w))
            {
                best = Some((k as usize, e.seen));
            }
            k = e.same_last;
        }
        best.map(|(k, _)| k)
    }

    /// Records a name seen in running text at `at`, completed to the full name it was
    /// introduced with.
    fn observe_name(&mut self, key: &Key, titles: &[String], at: usize) {
        match self.full_name_index(key) {
            Some(k) => self.touch_entity(k, titles, at, false),
            None => self.touch(key, titles, None, at, false),
        }
    }
}

impl Resolver {
    /// Records the names in running text without quotes. Only runs of two or more capitalized
    /// words can name someone here, so the scan stops only at capitals that start a word and
    /// tokenizes just those runs. Title-case lines (headlines) are skipped.
    pub fn observe_text(&mut self, body: &str, from: usize, to: usize) {
        let b = body.as_bytes();
        let word_end = |i: usize| word_end(b, i, to);
        // The tokens of one run, in the memory of the last call's (allocating it anew was a
        // tenth of this function's work).
        let mut toks = recycle(std::mem::take(&mut self.toks));
        // The bounds of the last line tested for a headline, and the verdict: a paragraph is
        // one line, and scanning it to both ends for each of its runs cost more than the rest.
        let mut line = (0, 0, false);
        let mut i = from;
        while i < to {
            let Some(k) = first_capital(&b[i..to]) else {
                break;
            };
            i += k;
            let at_word_start = i == 0 || matches!(b[i - 1], b' ' | b'\n' | b'\t' | b'(' | b'"');
            if !at_word_start {
                i = word_end(i);
                continue;
            }
            let start = i;
            let mut word_start = i;
            let mut end = word_end(i);
            let mut words = 1;
            while end + 1 < to
                && b[end] == b' '
                && (b[end + 1].is_ascii_uppercase() || starts_particle(&b[end + 1..to]))
                && !matches!(b[end - 1], b',' | b';' | b':')
                && !(words == 1 && ends_sentence(&body[word_start..end]))
            {
                word_start = end + 1;
                end = word_end(end + 1);
                words += 1;
            }
            i = end;
            if words < 2 {
                continue;
            }
            if !(line.0 <= start && start < line.1) {
                line = line_of(body, start);
            }
            if line.2 {
                continue;
            }
            let key = &body[start..end];
            let hash = hash_of(key);
            let cache = &mut self.cache;
            if let Some(names) = cache.runs.get(RunKind::Text, hash, key, &cache.text) {
                for n in cache.names_of(names) {
                    let at = start + n.at as usize;
                    self.names.observe_name(&cache.key(n), cache.titles(n), at);
                }
                continue;
            }
            toks.clear();
            super::token::tokenize(body, start, end, &mut toks);
            self.found.clear();
            names_in(body, &toks, cache, &mut self.found);
            let first = cache.names.len() as u32;
            cache
                .names
                .extend(self.found.iter().map(|&(at, n)| CachedName {
                    at: (at - start) as u32,
                    ..n
                }));
            cache.keep_run(RunKind::Text, hash, key, first);
            for (at, n) in &self.found {
                self.names.observe_name(&cache.key(n), cache.titles(n), *at);
            }
        }
        self.toks = recycle(toks);
    }

    /// Records the names of person-like capitalized runs in `toks` (split into `sentences`),
    /// tokens of `body`.
    pub fn observe_names(&mut self, body: &str, toks: &[Tok], sentences: &[(usize, usize)]) {
        for &(lo, hi) in sentences {
            let toks = &toks[lo..hi];
            // The words and capitals are counted, and the first capital followed by a capital
            // or a short word (a particle) found on the way: only there can a run of two words,
            // and so a name, start (see `names_in`). Half the sentences have none.
            let (mut words, mut caps) = (0, 0);
            let mut first_pair = None;
            let mut after_cap = false;
            let mut rest = toks.iter().enumerate();
            for (k, t) in &mut rest {
                let word = t.is_word();
                let cap = t.is_cap();
                words += usize::from(word);
                caps += usize::from(cap);
                if after_cap && (cap || (word && t.text.len() <= 3)) {
                    first_pair = Some(k - 1);
                    break;
                }
                after_cap = cap;
            }
            let Some(first_pair) = first_pair else {
                continue;
            };
            for (_, t) in rest {
                words += usize::from(t.is_word());
                caps += usize::from(t.is_cap());
            }
            if words >= 3 && caps * 4 >= words * 3 {
                continue; // a headline in title case names nobody reliably
            }
            self.found.clear();
            names_in(body, &toks[first_pair..], &mut self.cache, &mut self.found);
            let cache = &self.cache;
            for (at, n) in &self.found {
                self.names.observe_name(&cache.key(n), cache.titles(n), *at);
            }
        }
    }

    /// The name a speaker phrase stands for; records named speakers for later resolution.
    pub fn resolve(&mut self, np: &Np, text: &str, at: usize) -> String {
        let names = &mut self.names;
        match np {
            Np::Name { name, titles } => {
                let key = Key::new(name);
                match names.full_name_index(&key) {
                    Some(k) => {
                        names.touch_entity(k, titles, at, true);
                        names.name(k).to_string()
                    }
                    None => {
                        names.touch(&key, titles, None, at, true);
                        name.clone()
                    }
                }
            }
            Np::Org(name) => {
                names.touch(&Key::new(name), &[], Some(false), at, true);
                name.clone()
            }
            Np::Pronoun(p) => {
                // A speaker of the last few paragraphs is the likeliest antecedent; failing
                // that, the most recent person named.
                let person = matches!(p.as_str(), "he" | "she" | "i" | "you");
                let wanted = match p.as_str() {
                    "he" => Some('m'),
                    "she" => Some('f'),
                    _ => None,
                };
                let arena = &names.text;
                let fits = |e: &Entity| {
                    // `!person` first: the organisation test is the dearer, and pure.
                    (!person || e.is_person(arena))
                        && wanted.is_none_or(|w| {
                            gender_of(e.name.of(arena), names.titles_of(e.titles))
                                .is_none_or(|g| g == w)
                        })
                };
                let near = |e: &Entity| at.saturating_sub(e.seen) < 2000;
                let found = names
                    .most_recent(|e| e.speaker && near(e) && fits(e))
                    .or_else(|| names.most_recent(fits));
                match found {
                    // Known by name: recorded as its own mention, as the name would be.
                    Some(k) => {
                        names.touch_entity(k, &[], at, true);
                        names.name(k).to_string()
                    }
                    None => text.to_string(),
                }
            }
            Np::Role(head) => {
                let singular = head.trim_end_matches('s');
                let role = |e: &Entity| {
                    names
                        .titles_of(e.titles)
                        .any(|t| t == head || t == singular)
                };
                match names.most_recent(role) {
                    Some(k) if !text.starts_with(['a', 'A']) => {
                        names.touch_entity(k, &[], at, true);
                        names.name(k).to_string()
                    }
                    _ => text.to_string(),
                }
            }
        }
    }
}

/// The bounds of the line holding byte `at` of `body`, and whether it is a headline: a short
/// line without a sentence end is a headline or a caption, where title case names nobody
/// reliably.
fn line_of(body: &str, at: usize) -> (usize, usize, bool) {
    let b = body.as_bytes();
    let start = memchr::memrchr(b'\n', &b[..at]).map_or(0, |k| k + 1);
    let end = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |k| at + k);
    let line = body[start..end].trim_end();
    let headline = line.len() < 150 && !line.ends_with(['.', '"', '”', '?', '!', ':']);
    (start, end, headline)
}

/// The person-like capitalized runs of one sentence (or part of one), tokens of `body`: each
/// name, at the byte offset of its first word in `body`, appended to `found`. What a run
/// names is looked up in `cache` by the run's text, and worked out by [`run_name`] when new.
fn names_in(body: &str, toks: &[Tok], cache: &mut NameCache, found: &mut Vec<(usize, CachedName)>) {
    let (lo, hi) = (0, toks.len());
    let mut i = lo;
    while i < hi {
        if !toks[i].is_cap() {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < hi
            && (toks[j].is_cap()
                || (j > i
                    && toks[j].is_word()
                    && toks[j].text.len() <= 3
                    && j + 1 < hi
                    && toks[j + 1].is_cap()
                    && matches!(
                        toks[j].text,
                        "de" | "del" | "da" | "van" | "von" | "bin" | "al" | "la" | "le" | "di"
                    )))
        {
            j += 1;
            if toks[j - 1].is_possessive() {
                break;
            }
        }
        // A single word never names anyone here (see `run_name`).
        if j - i >= 2 {
            // The run's words are separated by white space alone (a word never ends next
            // to a letter), so its text gives back its tokens, and what it names.
            let key = &body[toks[i].start..toks[j - 1].end];
            let hash = hash_of(key);
            let names = match cache.runs.get(RunKind::Token, hash, key, &cache.text) {
                Some(names) => names,
                None => {
                    let first = cache.names.len() as u32;
                    if let Some((at, name, titles)) = run_name(&toks[i..j]) {
                        let n = cache.add_name(at, &name, titles);
                        cache.names.push(n);
                    }
                    cache.keep_run(RunKind::Token, hash, key, first)
                }
            };
            for n in cache.names_of(names) {
                found.push((toks[i].start + n.at as usize, *n));
            }
        }
        i = j.max(i + 1);
    }
}

/// The name a maximal capitalized run of tokens holds, if any, with its byte offset from the
/// run's start.
fn run_name(run: &[Tok]) -> Option<Named> {
    let (i, j) = (0, run.len());
    let mut a = i;
    while a < j && not_a_name(&run[a]) {
        a += 1;
    }
    if !(j - a >= 2 || (j - a == 1 && a > i)) {
        return None;
    }
    // A possessive ends the run ("Trump’s"); the name is without it.
    let stripped: Vec<Tok>;
    let words = if run[j - 1].is_possessive() {
        stripped = run[a..j]
            .iter()
            .map(|t| {
                let mut t = *t;
                t.text = t.text.trim_end_matches("’s").trim_end_matches("'s");
                t
            })
            .collect();
        &stripped[..]
    } else {
        &run[a..j]
    };
    match classify_np(words) {
        Some((_, Np::Name { name, titles })) if two_words(&name) || !titles.is_empty() => {
            Some((run[a].start - run[0].start, name, titles))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_keep_each_run_by_kind_and_text_through_growth_and_clearing() {
        let mut runs = Runs::default();
        let mut arena = String::new();
        let text = |i: usize| {
            // Short runs in the slot, long ones in the arena, and non-ASCII ones.
            let words = if i % 3 == 0 { 12 } else { 2 };
            vec![format!("Name{i} Ünal"); words].join(" ")
        };
        let names = |i: usize, kind: u32| Piece {
            start: i as u32,
            end: i as u32 * 2 + kind,
        };
        // Past the size the table starts at, so that it grows.
        let n = 3 * NameCache::MAX / 2;
        for i in 0..n {
            let t = text(i);
            runs.insert(RunKind::Text, hash_of(&t), &t, &mut arena, names(i, 0));
            if i % 2 == 0 {
                runs.insert(RunKind::Token, hash_of(&t), &t, &mut arena, names(i, 1));
            }
        }
        assert_eq!(runs.len, n + n / 2);
        for i in 0..n {
            let t = text(i);
            let got = runs
                .get(RunKind::Text, hash_of(&t), &t, &arena)
                .map(|p| (p.start, p.end));
            assert_eq!(got, Some((names(i, 0).start, names(i, 0).end)));
            let got = runs
                .get(RunKind::Token, hash_of(&t), &t, &arena)
                .map(|p| (p.start, p.end));
            assert_eq!(
                got,
                (i % 2 == 0).then(|| (names(i, 1).start, names(i, 1).end))
            );
            // The same hash with another text is another run.
            assert!(runs
                .get(RunKind::Text, hash_of(&t), "Name", &arena)
                .is_none());
        }
        runs.clear();
        let t = text(0);
        assert!(runs.get(RunKind::Text, hash_of(&t), &t, &arena).is_none());
    }

    proptest::proptest! {
        #[test]
        fn first_capital_is_the_first_ascii_capital(s in "[a-zA-Z @\\[`{é€Ä\u{7f}]{0,40}") {
            let b = s.as_bytes();
            proptest::prop_assert_eq!(first_capital(b), b.iter().position(u8::is_ascii_uppercase));
            proptest::prop_assert_eq!(first_capital_swar(b), b.iter().position(u8::is_ascii_uppercase));
        }

        #[test]
        fn word_end_is_the_first_ascii_white_space(s in "[a-z \t\n\r\u{b}\u{c}\u{0}\u{1f}!é]{0,40}", from in 0usize..40) {
            let b = s.as_bytes();
            let from = from.min(b.len());
            let expected = b[from..].iter().position(u8::is_ascii_whitespace).map_or(b.len(), |k| from + k);
            proptest::prop_assert_eq!(word_end(b, from, b.len()), expected);
        }

        #[test]
        fn two_words_agrees_with_split_whitespace(s in "[A-Za-z. \\t\\u{b}é]{0,12}") {
            proptest::prop_assert_eq!(two_words(&s), s.split_whitespace().count() >= 2);
        }

        #[test]
        fn last_word_agrees_with_split_whitespace(s in "[A-Za-z. \t\u{b}é]{0,30}|(Jr|Sr|II|III|Jr\\.| |[A-Z][a-z]{0,3}){0,6}") {
            proptest::prop_assert_eq!(last_word(&s), last_word_slow(&s));
        }
    }
}
