//! Time as a constraint on clustering: a short quote only joins a cluster of its own time.
//!
//! Two outlets printing "a major threat" five hundred days apart are almost never carrying one
//! statement: short wordings recur by coincidence, so the same words are evidence of the same
//! remark only within the span over which one story is covered. A long, distinctive quote that
//! reappears years later is a real recurrence (an anniversary piece, a court case reviving an old
//! remark) and may still join. Quotes or clusters without a time are never constrained, so
//! undated input clusters exactly as before.
//!
//! ```
//! use quotetrace::matcher::{day_of, prepare, Clusterer};
//!
//! let mut c = Clusterer::new();
//! let (a, _) = c.assign_at(prepare("a major threat", Some("en"), None), day_of("2016-03-01"));
//! let (b, _) = c.assign_at(prepare("a major threat", Some("en"), None), day_of("2016-03-09"));
//! let (d, _) = c.assign_at(prepare("a major threat", Some("en"), None), day_of("2018-07-20"));
//! assert!(a == b && d != a);
//! ```

use serde::{Deserialize, Serialize};

use super::{Prepared, Thresholds};

/// A publication time in whole days since 1970-01-01 (UTC). Days, not seconds: outlets date
/// articles to the day or with unreliable clock times, and the window is measured in days.
pub type Day = i64;

/// Days between the earliest and the latest dated member of a cluster a short quote may join
/// (see [`time_compatible`]). Measured on Giveme5W1H (see `eval/provenance.md`): 79% of
/// same-event article pairs are within 30 days but only 26% of cross-event pairs; the median
/// same-event gap is 1 day, the median cross-event gap 90 days.
pub const TIME_WINDOW_DAYS: Day = 30;

/// Content words from which a quote is distinctive enough to join its statement across any
/// time gap (a recurrence). Below it the window applies. Measured on the dated AllSides corpus
/// (see `eval/provenance.md`): exact repeats with fewer content words are spread over the
/// whole corpus period, the way coincidences are; from this length on they concentrate within
/// days of each other, the way re-reporting of one remark does.
pub const TIMELESS_CONTENT: u32 = 6;

/// The first and last day of a cluster's dated members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub first: Day,
    pub last: Day,
}

impl Span {
    /// The span after adding a member dated `t` (unchanged when `t` is unknown).
    pub fn widen(span: Option<Span>, t: Option<Day>) -> Option<Span> {
        match (span, t) {
            (Some(s), Some(t)) => Some(Span {
                first: s.first.min(t),
                last: s.last.max(t),
            }),
            (None, Some(t)) => Some(Span { first: t, last: t }),
            (s, None) => s,
        }
    }

    /// Length in days.
    pub fn days(&self) -> Day {
        self.last - self.first
    }
}

/// May quote `p`, dated `t`, join a cluster whose dated members cover `span` and whose longest
/// member has `cluster_content` content words?
///
/// The evidence that two wordings are one remark is the shorter one: so when the shorter of `p`
/// and the cluster's canonical member has at least `th.timeless_content` content words, time does
/// not matter. Otherwise the cluster's span with `p` added must stay within `th.time_window`
/// days. The whole span, not the distance to the nearest member: a phrase used every week
/// would otherwise chain across years one week at a time. Unknown times never constrain.
pub fn time_compatible(
    span: Option<Span>,
    cluster_content: u32,
    p: &Prepared,
    t: Option<Day>,
    th: &Thresholds,
) -> bool {
    if p.content.min(cluster_content) >= th.timeless_content {
        return true;
    }
    within_window(span, t, th)
}

/// Would a quote dated `t` keep the cluster's dated members within `th.time_window` days?
///
/// Outside the window even a distinctive quote joins only as an excerpt of the cluster's
/// canonical wording (exact, containment or alignment), never as a mere rewording: outlets
/// render a fresh remark in their own words, but whoever brings it back later quotes it from a
/// text. Unknown times count as within.
pub fn within_window(span: Option<Span>, t: Option<Day>, th: &Thresholds) -> bool {
    match (span, t) {
        (Some(_), Some(_)) => Span::widen(span, t).is_some_and(|s| s.days() <= th.time_window),
        _ => true,
    }
}

/// The day of an RFC 3339 date or date-time (`2017-09-15`, `2017-09-15T08:00:00`,
/// `2017-09-15 08:00:00+02:00`): the calendar date as written, since a publication date is the
/// outlet's own day. `None` when the text does not start with a valid date.
pub fn day_of(published: &str) -> Option<Day> {
    let date: jiff::civil::Date = published.trim().get(..10)?.parse().ok()?;
    let epoch = jiff::civil::date(1970, 1, 1);
    Some(Day::from(
        date.since((jiff::Unit::Day, epoch)).ok()?.get_days(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::prepare;

    #[test]
    fn days_count_from_the_epoch() {
        assert_eq!(day_of("1970-01-01"), Some(0));
        assert_eq!(day_of("1970-01-02T23:59:59"), Some(1));
        assert_eq!(day_of("2017-09-15T00:00:00"), Some(17424));
        assert_eq!(day_of("1969-12-31"), Some(-1));
        assert_eq!(day_of("2017-02-30"), None);
        assert_eq!(day_of("None"), None);
        assert_eq!(day_of(""), None);
    }

    #[test]
    fn short_quotes_keep_to_the_window_long_ones_do_not() {
        let th = Thresholds::default();
        let short = prepare("a major threat", Some("en"), None);
        let long = prepare(
            "We will never accept a nuclear North Korea threatening our allies and cities",
            Some("en"),
            None,
        );
        assert!(long.content >= th.timeless_content && short.content < th.timeless_content);
        let span = Some(Span {
            first: 100,
            last: 110,
        });
        assert!(time_compatible(span, short.content, &short, Some(125), &th));
        assert!(!time_compatible(
            span,
            short.content,
            &short,
            Some(131),
            &th
        ));
        assert!(!time_compatible(span, short.content, &short, Some(79), &th));
        assert!(time_compatible(span, long.content, &long, Some(900), &th));
        // A long quote joining a cluster of short wordings is held to the window too.
        assert!(!time_compatible(span, short.content, &long, Some(900), &th));
        assert!(within_window(span, Some(130), &th) && !within_window(span, Some(131), &th));
        assert!(within_window(None, Some(900), &th) && within_window(span, None, &th));
        // Unknown times never constrain.
        assert!(time_compatible(None, short.content, &short, Some(900), &th));
        assert!(time_compatible(span, short.content, &short, None, &th));
    }

    #[test]
    fn span_widens_only_with_known_times() {
        let s = Span::widen(None, Some(5));
        assert_eq!(s, Some(Span { first: 5, last: 5 }));
        assert_eq!(Span::widen(s, None), s);
        assert_eq!(Span::widen(s, Some(2)).map(|s| s.days()), Some(3));
    }
}
