//! Provenance: for one cluster, who carried the quote first, and how everyone after credited it.
//!
//! Nothing here is stored; a [`Chain`] is derived from the store's occurrences and article
//! dates each time it is asked for, so it is the same whatever order articles were ingested in,
//! and an earlier article ingested later moves the first carrier.
//!
//! - **First carrier**: the occurrence published earliest. Dates are intervals: a bare date
//!   covers its whole (UTC) day, so a date-only article and a timed article of the same day are
//!   a *tie*, reported as such. Occurrences without a usable date are listed as *undated* and
//!   never counted as first.
//! - **Credit** of each occurrence: to another outlet, to a wire agency, to the speaker's own
//!   channel (on X, in a statement), or none. A credit to the article's own outlet (a wire's own
//!   dateline) is not a credit.
//! - **Chain**: for each credited outlet, whether it is in the store, whether it carried this
//!   quote, and whether it did so earlier than the crediting article; if so, that occurrence is
//!   the crediting occurrence's parent.
//!
//! ```
//! use quotetrace::provenance::When;
//! let day = When::parse("2025-11-12").unwrap();
//! let noon = When::parse("2025-11-12T12:00:00Z").unwrap();
//! assert!(day.overlaps(&noon));
//! ```

pub mod render;

use std::collections::HashMap;

use serde::Serialize;

use crate::store::{
    hex, outlet_key, ArticleRec, ClusterId, CreditRec, OccurrenceRec, Store, StoreError,
};

/// When an article was published, as an interval of Unix seconds (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct When {
    pub start: i64,
    pub end: i64,
}

impl When {
    /// Reads an RFC 3339 date-time, a date-time without offset (taken as UTC), or a date
    /// (`2025-11-12`, which covers that whole day).
    ///
    /// A date-time of exactly midnight without an offset (`2017-12-31T00:00:00`) is read as a
    /// bare date: news-please writes that when a page gives only its day, and ranking it as the
    /// first instant of the day would make it "first" over every same-day article with a real
    /// time.
    pub fn parse(s: &str) -> Option<When> {
        let s = s.trim();
        let s = match s.get(10..) {
            Some("T00:00:00" | " 00:00:00" | "T00:00:00.000" | " 00:00:00.000") => &s[..10],
            _ => s,
        };
        if let Ok(ts) = s.parse::<jiff::Timestamp>() {
            let t = ts.as_second();
            return Some(When {
                start: t,
                end: t + 1,
            });
        }
        let spaced = s.replacen(' ', "T", 1);
        // jiff reads a bare date as a date-time at midnight; it must stay a whole day here.
        if spaced.contains('T') {
            if let Ok(dt) = spaced.parse::<jiff::civil::DateTime>() {
                let t = dt
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .ok()?
                    .timestamp()
                    .as_second();
                return Some(When {
                    start: t,
                    end: t + 1,
                });
            }
        }
        let date: jiff::civil::Date = s.get(..10)?.parse().ok()?;
        let t = date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_second();
        Some(When {
            start: t,
            end: t + 86_400,
        })
    }

    pub fn overlaps(&self, other: &When) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Surely before `other`: no instant of `self` is later than any instant of `other`.
    pub fn before(&self, other: &When) -> bool {
        self.end <= other.start
    }
}

/// Wire agencies, by outlet key: a credit to one of these is a wire credit.
const WIRES: &[&str] = &[
    "associatedpress",
    "ap",
    "apnews",
    "reuters",
    "afp",
    "agencefrancepresse",
    "upi",
    "unitedpressinternational",
    "dpa",
    "efe",
    "ansa",
    "xinhua",
    "kyodo",
    "tass",
    "interfax",
    "pressassociation",
    "canadianpress",
    "aap",
    "australianassociatedpress",
];

pub fn is_wire(key: &str) -> bool {
    WIRES.contains(&key)
}

/// How an occurrence says where the quote came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditKind {
    /// Credits another outlet (as reported by Al Jazeera; told CNN).
    Outlet,
    /// Credits a wire agency (AP, Reuters).
    Wire,
    /// Names the speaker's own channel (on X, in a statement) and no outlet.
    OwnChannel,
    /// Says nothing about where it came from.
    None,
}

/// Where an occurrence stands in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The earliest published occurrence.
    First,
    /// Published at a time that cannot be told apart from the earliest.
    TiedFirst,
    Later,
    /// Its article has no usable date.
    Undated,
}

/// Whether the first carrier is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstStatus {
    /// One article was published before every other dated one.
    Unique,
    /// Several articles share the earliest time.
    Tie,
    /// No occurrence is dated.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FirstCarrier {
    pub status: FirstStatus,
    /// Indexes into [`Chain::occurrences`] of the first (or tied first) occurrences.
    pub occurrences: Vec<usize>,
    /// Their carriers (see [`OccurrenceOut::carrier`]), without repeats.
    pub outlets: Vec<String>,
    pub published: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditOut {
    pub outlet: String,
    pub phrase: String,
    pub kind: CreditKind,
    /// The credited outlet has articles in the store.
    pub in_store: bool,
    /// It carried this quote.
    pub carried: bool,
    /// It carried it before the crediting article (`null`: a date is missing, cannot tell).
    pub carried_earlier: Option<bool>,
    /// Index of its earliest occurrence, when it carried the quote earlier.
    pub source: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanOut {
    pub start: u32,
    pub end: u32,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OccurrenceOut {
    pub index: usize,
    /// Who carried it: the outlet's name, or for an article without one,
    /// "unknown outlet (its input file)".
    pub carrier: String,
    pub article: String,
    pub source: String,
    pub outlet: Option<String>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub published: Option<String>,
    pub role: Role,
    pub wording: String,
    pub span: SpanOut,
    pub kind: String,
    pub speaker: Option<String>,
    pub cue: Option<String>,
    pub channel: Option<String>,
    pub credit_kind: CreditKind,
    pub credits: Vec<CreditOut>,
    /// The occurrence this one credits, when it is in the store and earlier.
    pub parent: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantOut {
    pub wording: String,
    pub count: u32,
}

/// The provenance of one cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chain {
    pub cluster: ClusterId,
    pub speaker: Option<String>,
    pub canonical: String,
    pub variants: Vec<VariantOut>,
    pub first_carrier: FirstCarrier,
    /// Time order: dated occurrences first, earliest first; undated ones last.
    pub occurrences: Vec<OccurrenceOut>,
    /// Distinct known outlets that carried it.
    pub outlets: usize,
    /// Distinct articles that carried it.
    pub articles: usize,
    pub undated: usize,
}

/// Outlet names looked up once per chain or per report.
#[derive(Default)]
pub struct OutletNames {
    names: HashMap<String, Option<String>>,
}

impl OutletNames {
    /// The display name of a stored outlet, or `None` if it is not in the store.
    pub fn get(&mut self, store: &Store, key: &str) -> Result<Option<String>, StoreError> {
        if let Some(n) = self.names.get(key) {
            return Ok(n.clone());
        }
        let n = store.outlet(key)?.map(|o| o.name);
        self.names.insert(key.to_owned(), n.clone());
        Ok(n)
    }
}

/// Builds the chain of a cluster, or `None` if there is no such cluster.
pub fn chain(store: &Store, id: ClusterId) -> Result<Option<Chain>, StoreError> {
    chain_with(store, id, &mut OutletNames::default(), &mut HashMap::new())
}

/// [`chain`], with caches shared across many chains.
pub fn chain_with(
    store: &Store,
    id: ClusterId,
    names: &mut OutletNames,
    articles: &mut HashMap<[u8; 16], ArticleRec>,
) -> Result<Option<Chain>, StoreError> {
    let Some(cluster) = store.cluster(id)? else {
        return Ok(None);
    };
    let occs = store.occurrences(id)?;
    let mut rows: Vec<(OccurrenceRec, ArticleRec, Option<When>)> = Vec::with_capacity(occs.len());
    for o in occs {
        let a = match articles.get(&o.article) {
            Some(a) => a.clone(),
            None => {
                let a = store.article(&o.article)?.ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "occurrence of missing article {}",
                        hex(&o.article)
                    ))
                })?;
                if articles.len() > 100_000 {
                    articles.clear();
                }
                articles.insert(o.article, a.clone());
                a
            }
        };
        let when = a.published.as_deref().and_then(When::parse);
        rows.push((o, a, when));
    }
    rows.sort_by(|x, y| {
        let kx = x.2.map_or((1, 0, 0), |w| (0, w.start, w.end));
        let ky = y.2.map_or((1, 0, 0), |w| (0, w.start, w.end));
        kx.cmp(&ky)
            .then_with(|| x.1.outlet.cmp(&y.1.outlet))
            .then_with(|| x.1.id.cmp(&y.1.id))
            .then_with(|| x.0.quote.start.cmp(&y.0.quote.start))
    });

    let earliest = rows
        .iter()
        .filter_map(|r| r.2)
        .min_by_key(|w| (w.start, w.end));
    let mut first_idx = Vec::new();
    if let Some(e) = earliest {
        for (i, r) in rows.iter().enumerate() {
            if r.2.is_some_and(|w| w.overlaps(&e)) {
                first_idx.push(i);
            }
        }
    }
    // Two quotes of one article are one carrier.
    let first_articles: std::collections::BTreeSet<[u8; 16]> =
        first_idx.iter().map(|&i| rows[i].1.id).collect();
    let status = match (earliest, first_articles.len()) {
        (None, _) => FirstStatus::Unknown,
        (Some(_), 1) => FirstStatus::Unique,
        _ => FirstStatus::Tie,
    };

    let mut out: Vec<OccurrenceOut> = Vec::with_capacity(rows.len());
    let mut outlets_seen = std::collections::BTreeSet::new();
    for (i, (o, a, when)) in rows.iter().enumerate() {
        let outlet = match &a.outlet {
            Some(k) => {
                outlets_seen.insert(k.clone());
                names.get(store, k)?.or_else(|| Some(k.clone()))
            }
            None => None,
        };
        let role = if when.is_none() {
            Role::Undated
        } else if first_idx.contains(&i) {
            if status == FirstStatus::Unique {
                Role::First
            } else {
                Role::TiedFirst
            }
        } else {
            Role::Later
        };
        let mut credits = Vec::new();
        for c in &o.credits {
            if a.outlet.as_deref() == Some(c.outlet_key.as_str()) {
                continue;
            }
            credits.push(credit_out(store, names, c, &rows, i)?);
        }
        let credit_kind = if credits.iter().any(|c| c.kind == CreditKind::Outlet) {
            CreditKind::Outlet
        } else if !credits.is_empty() {
            CreditKind::Wire
        } else if o.channel.is_some() {
            CreditKind::OwnChannel
        } else {
            CreditKind::None
        };
        let parent = credits.iter().find_map(|c| c.source);
        let carrier = outlet.clone().unwrap_or_else(|| {
            let file = a.source.rsplit('/').next().unwrap_or(&a.source);
            format!("unknown outlet ({file})")
        });
        out.push(OccurrenceOut {
            index: i,
            carrier,
            article: hex(&a.id),
            source: a.source.clone(),
            outlet,
            url: a.url.clone(),
            title: a.title.clone(),
            published: a.published.clone(),
            role,
            wording: o.quote.text.clone(),
            span: SpanOut {
                start: o.quote.start,
                end: o.quote.end,
                text: o.quote.text.clone(),
            },
            kind: o.kind.clone(),
            speaker: o.speaker.clone(),
            cue: o.cue.as_ref().map(|s| s.text.clone()),
            channel: o.channel.as_ref().map(|s| s.text.clone()),
            credit_kind,
            credits,
            parent,
        });
    }

    let mut first_outlets = Vec::new();
    for &i in &first_idx {
        let o = &out[i].carrier;
        if !first_outlets.contains(o) {
            first_outlets.push(o.clone());
        }
    }
    let first_published = first_idx.first().and_then(|&i| out[i].published.clone());
    let mut variants: Vec<VariantOut> = store
        .variants(id)?
        .iter()
        .map(|v| VariantOut {
            wording: v.wording.clone(),
            count: v.count,
        })
        .collect();
    variants.sort_by(|a, b| b.count.cmp(&a.count).then(a.wording.cmp(&b.wording)));
    let undated = rows.iter().filter(|r| r.2.is_none()).count();
    Ok(Some(Chain {
        cluster: id,
        speaker: cluster.speaker().map(str::to_owned),
        canonical: cluster.canonical.clone(),
        variants,
        first_carrier: FirstCarrier {
            status,
            occurrences: first_idx,
            outlets: first_outlets,
            published: first_published,
        },
        occurrences: out,
        outlets: outlets_seen.len(),
        articles: rows
            .iter()
            .map(|r| r.1.id)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        undated,
    }))
}

fn credit_out(
    store: &Store,
    names: &mut OutletNames,
    c: &CreditRec,
    rows: &[(OccurrenceRec, ArticleRec, Option<When>)],
    me: usize,
) -> Result<CreditOut, StoreError> {
    let key = if c.outlet_key.is_empty() {
        outlet_key(&c.outlet)
    } else {
        c.outlet_key.clone()
    };
    let in_store = names.get(store, &key)?.is_some();
    let my_when = rows[me].2;
    let mut carried = false;
    let mut earlier: Option<bool> = Some(false);
    let mut source = None;
    let mut overlapping = None;
    for (j, (_, a, when)) in rows.iter().enumerate() {
        if j == me || a.outlet.as_deref() != Some(key.as_str()) || a.id == rows[me].1.id {
            continue;
        }
        carried = true;
        match (when, my_when) {
            // Rows are in time order, so the first one found earlier is the earliest.
            (Some(w), Some(m)) if w.before(&m) => {
                if source.is_none() {
                    source = Some(j);
                }
                earlier = Some(true);
            }
            (Some(w), Some(m)) if w.overlaps(&m) => {
                overlapping.get_or_insert(j);
                if earlier != Some(true) {
                    earlier = None;
                }
            }
            (Some(_), Some(_)) => {}
            _ => {
                if earlier != Some(true) {
                    earlier = None;
                }
            }
        }
    }
    // Same day, order unknown: still the likeliest source, but `carried_earlier` stays null.
    if source.is_none() {
        source = overlapping;
    }
    if !carried {
        earlier = Some(false);
    }
    Ok(CreditOut {
        outlet: c.outlet.clone(),
        phrase: c.phrase.clone(),
        kind: if is_wire(&key) {
            CreditKind::Wire
        } else {
            CreditKind::Outlet
        },
        in_store,
        carried,
        carried_earlier: earlier,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_intervals() {
        let d = When::parse("2025-11-12").unwrap();
        assert_eq!(d.end - d.start, 86_400);
        let t = When::parse("2025-11-12T10:00:00+02:00").unwrap();
        assert!(d.overlaps(&t));
        let next = When::parse("2025-11-13 08:00:00").unwrap();
        assert!(d.before(&next));
        assert!(t.before(&next));
        assert!(When::parse("yesterday").is_none());
    }

    #[test]
    fn offsetless_midnight_is_a_bare_date() {
        let day = When::parse("2017-12-31").unwrap();
        assert_eq!(When::parse("2017-12-31T00:00:00"), Some(day));
        assert_eq!(When::parse("2017-12-31 00:00:00"), Some(day));
        let evening = When::parse("2017-12-31T20:31:00").unwrap();
        assert!(day.overlaps(&evening) && !day.before(&evening));
        // With an offset, midnight is an instant.
        let z = When::parse("2017-12-31T00:00:00Z").unwrap();
        assert_eq!(z.end - z.start, 1);
    }

    #[test]
    fn wires_are_known_by_outlet_key() {
        assert!(is_wire(&outlet_key("Associated Press")));
        assert!(is_wire(&outlet_key("Reuters")));
        assert!(!is_wire(&outlet_key("Al Jazeera")));
    }
}
