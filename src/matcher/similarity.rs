//! The pairwise decision: are two prepared quotes one statement?

use super::{
    Match, Prepared, Stage, TermStats, ALIGN_THRESHOLD, MIN_FRAGMENT_CONTENT, OVERLAP_THRESHOLD,
};

/// Can two speakers have said the same words? Unknown speakers are compatible with anyone;
/// two known ones must share a name word ("Petro" and "Gustavo Petro" do).
pub fn speakers_compatible(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.split(' ').any(|w| b.split(' ').any(|v| v == w)),
        _ => true,
    }
}

/// The matching cascade (see the [module docs](super)): `None` means different statements.
pub fn same_statement(a: &Prepared, b: &Prepared, stats: &TermStats) -> Option<Match> {
    if !speakers_compatible(a.speaker.as_deref(), b.speaker.as_deref()) {
        return None;
    }
    if a.terms.is_empty() || b.terms.is_empty() {
        return None;
    }
    if a.exact == b.exact {
        return Some(Match {
            stage: Stage::Exact,
            score: 1.0,
        });
    }
    let (wa, wb, shared) = set_weights(a, b, stats);
    let (short, long, w_short) = if wa <= wb { (a, b, wa) } else { (b, a, wb) };
    if short.content >= MIN_FRAGMENT_CONTENT && shared >= ALIGN_THRESHOLD * w_short {
        if contains(&long.terms, &short.terms) {
            return Some(Match {
                stage: Stage::Containment,
                score: 1.0,
            });
        }
        let cover = align(short, long, stats);
        if cover >= ALIGN_THRESHOLD {
            return Some(Match {
                stage: Stage::Alignment,
                score: cover.min(1.0),
            });
        }
    }
    let dice = 2.0 * shared / (wa + wb);
    (dice >= OVERLAP_THRESHOLD).then_some(Match {
        stage: Stage::Overlap,
        score: dice.min(1.0),
    })
}

/// Total weights of both term sets and of their intersection.
fn set_weights(a: &Prepared, b: &Prepared, stats: &TermStats) -> (f32, f32, f32) {
    let (mut wa, mut wb, mut shared) = (0.0, 0.0, 0.0);
    let (mut i, mut j) = (0, 0);
    while i < a.set.len() || j < b.set.len() {
        match (a.set.get(i), b.set.get(j)) {
            (Some(&x), Some(&y)) if x == y => {
                let w = stats.weight(x);
                wa += w;
                wb += w;
                shared += w;
                i += 1;
                j += 1;
            }
            (Some(&x), Some(&y)) if x < y => {
                wa += stats.weight(x);
                i += 1;
            }
            (Some(&x), None) => {
                wa += stats.weight(x);
                i += 1;
            }
            (_, Some(&y)) => {
                wb += stats.weight(y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    (wa, wb, shared)
}

fn contains(long: &[u64], short: &[u64]) -> bool {
    short.len() <= long.len() && long.windows(short.len()).any(|w| w == short)
}

/// Share of `short`'s token weight covered by the best local alignment of `short` into `long`.
///
/// Smith–Waterman over stems: a matched word gains its weight; a substituted or skipped word of
/// the shorter quote gains nothing (its weight is simply not covered); a word of the longer quote
/// skipped inside the aligned region costs half its weight, so a fragment must sit in one
/// stretch of the longer quote rather than be gathered from all over it.
fn align(short: &Prepared, long: &Prepared, stats: &TermStats) -> f32 {
    const GAP_LONG: f32 = 0.5;
    let ws: Vec<f32> = short.terms.iter().map(|&t| stats.weight(t)).collect();
    let wl: Vec<f32> = long.terms.iter().map(|&t| stats.weight(t)).collect();
    let total: f32 = ws.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let m = long.terms.len();
    let mut prev = vec![0.0f32; m + 1];
    let mut cur = vec![0.0f32; m + 1];
    let mut best = 0.0f32;
    for (i, &s) in short.terms.iter().enumerate() {
        cur[0] = 0.0;
        for j in 1..=m {
            let diag = prev[j - 1] + if long.terms[j - 1] == s { ws[i] } else { 0.0 };
            let skip_short = prev[j];
            let skip_long = cur[j - 1] - GAP_LONG * wl[j - 1];
            let h = diag.max(skip_short).max(skip_long).max(0.0);
            cur[j] = h;
            best = best.max(h);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    best / total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::prepare;

    fn m(a: &str, b: &str) -> Option<Match> {
        let stats = TermStats::default();
        same_statement(
            &prepare(a, Some("en"), None),
            &prepare(b, Some("en"), None),
            &stats,
        )
    }

    #[test]
    fn exact_after_folding() {
        assert_eq!(
            m(
                "“He may have been carrying fish”",
                "he may have been carrying FISH,"
            )
            .unwrap()
            .stage,
            Stage::Exact
        );
    }

    #[test]
    fn one_word_term_is_not_contained() {
        assert!(m(
            "narcoterrorists",
            "The administration has claimed it is targeting narcoterrorists in the Caribbean"
        )
        .is_none());
    }

    #[test]
    fn substituted_word_aligns() {
        let r = m(
            "communications and other agreements with U.S. security agencies",
            "an order has been given at all levels of the public security force’s intelligence services to suspend communications and other dealings with US security agencies,",
        )
        .unwrap();
        assert_eq!(r.stage, Stage::Alignment);
    }

    #[test]
    fn opposite_orders_stay_apart() {
        assert!(m("obey the orders of humanity", "disobey the orders of Trump").is_none());
    }

    #[test]
    fn different_speakers_never_match() {
        assert!(!speakers_compatible(
            Some("scott bessent"),
            Some("gustavo petro")
        ));
        assert!(speakers_compatible(Some("petro"), Some("gustavo petro")));
        assert!(speakers_compatible(None, Some("gustavo petro")));
    }
}
