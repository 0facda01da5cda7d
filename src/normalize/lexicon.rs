//! Small closed word lists the normalizer and matcher need: stop words, number words and the
//! canonical spellings of a few country and body names.
//!
//! The lists are deliberately short. Stop words only damp function words before enough quotes
//! have been seen for document frequencies to do it; they never remove a word.

/// English function words, folded (lower case, no diacritics, ASCII apostrophe).
const EN_STOP: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "both", "but", "by", "can", "could", "did", "do",
    "does", "doing", "don't", "down", "each", "even", "few", "for", "from", "had", "has", "have",
    "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is",
    "it", "it's", "its", "just", "like", "me", "more", "most", "my", "no", "nor", "not", "now",
    "of", "off", "oh", "ok", "okay", "on", "once", "only", "or", "other", "our", "ours", "out",
    "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "that's", "the",
    "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "uh", "uhm", "um", "under", "until", "up", "very", "was", "we", "well", "were", "what", "when",
    "where", "which", "while", "who", "whom", "why", "will", "with", "would", "yeah", "yes", "you",
    "your", "yours",
];

/// Spanish function words, folded.
const ES_STOP: &[&str] = &[
    "a", "al", "algo", "ante", "asi", "bueno", "como", "con", "cual", "cuando", "de", "del",
    "donde", "el", "ella", "ellas", "ellos", "en", "entre", "era", "eres", "es", "esa", "ese",
    "eso", "esta", "estaba", "estan", "estas", "este", "esto", "fue", "ha", "han", "hay", "la",
    "las", "le", "les", "lo", "los", "mas", "me", "mi", "mis", "muy", "nada", "ni", "no", "nos",
    "o", "para", "pero", "por", "porque", "pues", "que", "se", "si", "sin", "sobre", "son", "su",
    "sus", "tambien", "te", "tu", "un", "una", "uno", "unos", "y", "ya", "yo",
];

/// Bit of [`stop_flags`] for an English function word.
const EN: u8 = 1;
/// Bit of [`stop_flags`] for a Spanish function word.
const ES: u8 = 2;

/// Which stop lists hold `norm`, as [`EN`] | [`ES`] bits.
///
/// One hash probe instead of two binary searches: every word of every quote is looked up here
/// (up to three times: language guess, content test, the cross-language guess), and the string
/// comparisons of the binary searches were among the largest costs of clustering 100k quotes.
/// No function word is longer than eight bytes, so a word is looked up as one `u64`: hashing
/// and comparing it are one step each.
fn stop_flags(norm: &str) -> u8 {
    static TABLE: std::sync::OnceLock<rustc_hash::FxHashMap<u64, u8>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = rustc_hash::FxHashMap::default();
        for w in EN_STOP {
            *t.entry(packed(w)).or_insert(0) |= EN;
        }
        for w in ES_STOP {
            *t.entry(packed(w)).or_insert(0) |= ES;
        }
        t
    });
    if norm.is_empty() || norm.len() > 8 {
        return 0;
    }
    let key = packed(norm);
    // A word ending in NUL bytes packs like the word without them; no function word has one.
    if 8 - key.leading_zeros() as usize / 8 != norm.len() {
        return 0;
    }
    table.get(&key).copied().unwrap_or(0)
}

/// A word of one to eight bytes as a little-endian integer padded with zeros: two words of
/// the same length never pack alike, nor do two words that do not end in NUL.
fn packed(w: &str) -> u64 {
    let mut b = [0u8; 8];
    b[..w.len()].copy_from_slice(w.as_bytes());
    u64::from_le_bytes(b)
}

/// Is `norm` (a folded word) a function word in `lang`? Unknown languages use English.
pub fn is_stopword(norm: &str, lang: &str) -> bool {
    let bit = if lang == "es" { ES } else { EN };
    stop_flags(norm) & bit != 0
}

/// Guesses English or Spanish from function words; `None` when there is no evidence.
pub fn guess_lang<'a>(words: impl Iterator<Item = &'a str>) -> Option<&'static str> {
    let (mut en, mut es) = (0u32, 0u32);
    for w in words {
        let f = stop_flags(w);
        en += u32::from(f & EN != 0);
        es += u32::from(f & ES != 0);
    }
    match en.cmp(&es) {
        std::cmp::Ordering::Greater => Some("en"),
        std::cmp::Ordering::Less => Some("es"),
        std::cmp::Ordering::Equal => None,
    }
}

/// Value of a folded English or Spanish number word below one hundred. A `match` rather than
/// a scan of a list: every word of every quote asks, and a scan compared it with each entry.
pub fn number_word(norm: &str) -> Option<u32> {
    Some(match norm {
        "zero" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        "dos" => 2,
        "tres" => 3,
        "cuatro" => 4,
        "cinco" => 5,
        "seis" => 6,
        "siete" => 7,
        "ocho" => 8,
        "nueve" => 9,
        "diez" => 10,
        "veinte" => 20,
        "treinta" => 30,
        "cuarenta" => 40,
        "cincuenta" => 50,
        "sesenta" => 60,
        "setenta" => 70,
        "ochenta" => 80,
        "noventa" => 90,
        _ => return None,
    })
}

/// Canonical form of a dotted or capitalised abbreviation (dots removed, lower case).
pub fn abbreviation(letters: &str) -> Option<&'static str> {
    Some(match letters {
        "us" | "usa" | "eeuu" | "ee.uu" => "united states",
        "uk" => "united kingdom",
        "un" | "onu" => "united nations",
        "eu" | "ue" => "european union",
        _ => return None,
    })
}

/// Whether some entry of [`PHRASES`] opens with `norm`: a `match` rather than a scan of the
/// list, since every word of every quote asks and almost none does.
pub fn may_start_phrase(norm: &str) -> bool {
    matches!(
        norm,
        "united" | "estados" | "reino" | "naciones" | "european" | "union"
    )
}

/// Multi-word names folded to one canonical token: (words, canonical).
pub const PHRASES: &[(&[&str], &str)] = &[
    (&["united", "states", "of", "america"], "united states"),
    (&["united", "states"], "united states"),
    (&["estados", "unidos"], "united states"),
    (&["united", "kingdom"], "united kingdom"),
    (&["reino", "unido"], "united kingdom"),
    (&["united", "nations"], "united nations"),
    (&["naciones", "unidas"], "united nations"),
    (&["european", "union"], "european union"),
    (&["union", "europea"], "european union"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_lists_are_sorted_and_short_enough_for_the_table() {
        assert!(EN_STOP.windows(2).all(|w| w[0] < w[1]));
        assert!(ES_STOP.windows(2).all(|w| w[0] < w[1]));
        for w in EN_STOP.iter().chain(ES_STOP) {
            assert!(w.len() <= 8, "{w} is longer than stop_flags checks");
        }
    }

    #[test]
    fn table_agrees_with_the_lists() {
        for w in [
            "the",
            "que",
            "a",
            "no",
            "me",
            "drug",
            "petro",
            "laboratories",
        ] {
            assert_eq!(is_stopword(w, "en"), EN_STOP.contains(&w), "{w}");
            assert_eq!(is_stopword(w, "es"), ES_STOP.contains(&w), "{w}");
            assert_eq!(is_stopword(w, "de"), EN_STOP.contains(&w), "{w}");
        }
    }

    #[test]
    fn phrase_openers_are_the_first_words_of_the_phrases() {
        for (ws, _) in PHRASES {
            assert!(may_start_phrase(ws[0]), "{}", ws[0]);
        }
        for w in ["states", "kingdom", "the", "unidos", ""] {
            assert_eq!(
                may_start_phrase(w),
                PHRASES.iter().any(|(ws, _)| ws[0] == w),
                "{w}"
            );
        }
    }

    #[test]
    fn guesses_language_from_function_words() {
        let es = "el fin de la guerra es que no".split(' ');
        assert_eq!(guess_lang(es), Some("es"));
        let en = "the end of the war is what we want".split(' ');
        assert_eq!(guess_lang(en), Some("en"));
    }
}
