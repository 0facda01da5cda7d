//! The XLM-RoBERTa SentencePiece unigram tokenizer, from the vocabulary in the model file.
//!
//! Text is normalized character by character through the file's table (the precompiled
//! NFKC-like map of the original tokenizer), runs of spaces collapse to one, a leading space is
//! implied, and spaces become the metaspace `▁`. The pieces are then chosen by Viterbi search for
//! the segmentation with the highest total log-probability; a character no piece covers becomes
//! `<unk>` with a score below every piece.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use super::format::VocabData;

const METASPACE: char = '\u{2581}';

/// Unigram tokenizer with its piece table.
pub(crate) struct Tokenizer {
    pieces: HashMap<Box<[u8]>, u32, FxBuildHasher>,
    scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    unk: u32,
    unk_score: f32,
    max_piece_bytes: usize,
    norm: Vec<(u32, Vec<u32>)>,
}

impl Tokenizer {
    pub(crate) fn new(v: &VocabData<'_>) -> Self {
        let mut pieces = HashMap::with_capacity_and_hasher(v.pieces.len(), FxBuildHasher);
        let mut max_piece_bytes = 1;
        for (i, p) in v.pieces.iter().enumerate() {
            if p.is_empty() {
                continue;
            }
            max_piece_bytes = max_piece_bytes.max(p.len());
            // First occurrence wins, so a duplicate piece keeps its lower (more frequent) id.
            pieces.entry(Box::from(*p)).or_insert(i as u32);
        }
        let min = v.scores.iter().copied().fold(f32::INFINITY, f32::min);
        Self {
            pieces,
            scores: v.scores.clone(),
            bos: v.bos,
            eos: v.eos,
            unk: v.unk,
            unk_score: if min.is_finite() { min - 10.0 } else { -10.0 },
            max_piece_bytes,
            norm: v.norm.clone(),
        }
    }

    /// The normalized text, with metaspaces, that the pieces are matched against.
    fn normalize(&self, text: &str) -> String {
        let mut chars: Vec<char> = Vec::with_capacity(text.len() + 1);
        for c in text.chars() {
            match self.norm.binary_search_by_key(&u32::from(c), |e| e.0) {
                Ok(i) => chars.extend(self.norm[i].1.iter().filter_map(|&u| char::from_u32(u))),
                Err(_) => chars.push(c),
            }
        }
        chars.dedup_by(|b, a| *a == ' ' && *b == ' ');
        let mut out = String::with_capacity(4 * chars.len() + 3);
        if chars.first() != Some(&' ') {
            out.push(METASPACE);
        }
        out.extend(chars.iter().map(|&c| if c == ' ' { METASPACE } else { c }));
        out
    }

    /// Piece ids of `text`, without `<s>` and `</s>`.
    pub(crate) fn encode(&self, text: &str) -> Vec<u32> {
        let s = self.normalize(text);
        let bytes = s.as_bytes();
        let bounds: Vec<usize> = s
            .char_indices()
            .map(|(i, _)| i)
            .chain([bytes.len()])
            .collect();
        let n = bounds.len() - 1;
        // best[e]: score of the best segmentation of the first e characters, reached by the
        // piece `piece[e]` starting at character `from[e]` (u32::MAX for <unk>).
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut piece = vec![u32::MAX; n + 1];
        let mut from = vec![0usize; n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            let start = bounds[i];
            for e in i + 1..=n {
                let len = bounds[e] - start;
                if len > self.max_piece_bytes {
                    break;
                }
                if let Some(&id) = self.pieces.get(&bytes[start..bounds[e]]) {
                    if id == self.unk {
                        continue;
                    }
                    let sc = best[i] + self.scores[id as usize];
                    if sc > best[e] {
                        best[e] = sc;
                        piece[e] = id;
                        from[e] = i;
                    }
                }
            }
            let sc = best[i] + self.unk_score;
            if sc > best[i + 1] {
                best[i + 1] = sc;
                piece[i + 1] = u32::MAX;
                from[i + 1] = i;
            }
        }
        let mut ids = Vec::new();
        let mut e = n;
        while e > 0 {
            ids.push(if piece[e] == u32::MAX {
                self.unk
            } else {
                piece[e]
            });
            e = from[e];
        }
        ids.reverse();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Tokenizer {
        let pieces: Vec<&[u8]> = vec![
            b"<s>",
            b"<pad>",
            b"</s>",
            b"<unk>",
            "\u{2581}".as_bytes(),
            "\u{2581}the".as_bytes(),
            b"re",
            b"there",
            "\u{2581}there".as_bytes(),
            b"t",
            b"h",
            b"e",
        ];
        let scores = vec![
            0.0, 0.0, 0.0, 0.0, -3.0, -2.0, -4.0, -9.0, -2.5, -6.0, -6.0, -6.0,
        ];
        Tokenizer::new(&VocabData {
            pieces,
            scores,
            bos: 0,
            eos: 2,
            unk: 3,
            norm: vec![(u32::from('\t'), vec![u32::from(' ')]), (0x200b, vec![])],
        })
    }

    #[test]
    fn viterbi_prefers_the_most_probable_segmentation() {
        let t = toy();
        // "▁there" (-2.5) beats "▁the" + "re" (-6.0).
        assert_eq!(t.encode("there"), vec![8]);
        // Spaces collapse and tabs normalise to spaces; a zero-width space disappears.
        assert_eq!(t.encode("there\t \u{200b}the"), vec![8, 5]);
    }

    #[test]
    fn uncovered_characters_become_unk() {
        let t = toy();
        assert_eq!(t.encode("theé"), vec![5, 3]);
    }
}
