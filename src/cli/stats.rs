//! `quotetrace stats`: who carries first, who credits whom, how much goes uncredited.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use clap::Args;

use crate::provenance::{self, CreditKind, FirstStatus, Role};
use crate::store::{Counts, Store};

/// Summarise the store: which outlets carry quotes first most often, who credits whom, and
/// the share of occurrences carried without any credit.
#[derive(Debug, Clone, Args)]
pub struct StatsArgs {
    /// Show this many outlets and credit pairs.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Stats {
    pub counts: Counts,
    pub size_on_disk: Option<u64>,
    /// Clusters carried by two or more outlets.
    pub shared_clusters: u64,
    /// Among those: whose first carrier is one article, a tie, or unknown (no dates).
    pub first_unique: u64,
    pub first_tie: u64,
    pub first_unknown: u64,
    /// Outlets that were the sole first carrier of a shared cluster, most first.
    pub top_first_carriers: Vec<(String, u64)>,
    /// (crediting outlet, credited outlet, credits), most first.
    pub credits: Vec<(String, String, u64)>,
    /// Occurrences by how they credit the quote.
    pub credit_kinds: BTreeMap<String, u64>,
    /// Share of all occurrences with no credit at all (not even the speaker's channel).
    pub uncredited_share: f64,
    /// The same among occurrences that are not the first carrier.
    pub uncredited_share_later: f64,
}

pub fn compute(store: &Store, top: usize) -> anyhow::Result<Stats> {
    let mut st = Stats {
        counts: store.counts()?,
        size_on_disk: store.size_on_disk()?,
        ..Stats::default()
    };
    let mut names = provenance::OutletNames::default();
    let mut articles = HashMap::new();
    let mut firsts: HashMap<String, u64> = HashMap::new();
    let mut kinds: HashMap<CreditKind, u64> = HashMap::new();
    let (mut total, mut none, mut later, mut later_none) = (0u64, 0u64, 0u64, 0u64);
    let ids: Vec<u64> = store
        .clusters()
        .map(|c| c.map(|c| c.id))
        .collect::<Result<_, _>>()?;
    for id in ids {
        let Some(c) = provenance::chain_with(store, id, &mut names, &mut articles)? else {
            continue;
        };
        for o in &c.occurrences {
            total += 1;
            *kinds.entry(o.credit_kind).or_default() += 1;
            let uncredited = o.credit_kind == CreditKind::None;
            none += u64::from(uncredited);
            if o.role != Role::First && o.role != Role::TiedFirst {
                later += 1;
                later_none += u64::from(uncredited);
            }
        }
        if c.outlets >= 2 {
            st.shared_clusters += 1;
            match c.first_carrier.status {
                FirstStatus::Unique => {
                    st.first_unique += 1;
                    let named = c
                        .first_carrier
                        .occurrences
                        .first()
                        .and_then(|&i| c.occurrences[i].outlet.clone());
                    if let Some(o) = named {
                        *firsts.entry(o).or_default() += 1;
                    }
                }
                FirstStatus::Tie => st.first_tie += 1,
                FirstStatus::Unknown => st.first_unknown += 1,
            }
        }
    }
    let mut pairs: HashMap<(String, String), u64> = HashMap::new();
    for e in store.credit_edges() {
        let e = e?;
        if e.from.as_deref() == Some(e.to.as_str()) {
            continue;
        }
        let from = match &e.from {
            Some(k) => names.get(store, k)?.unwrap_or_else(|| k.clone()),
            None => "(unknown outlet)".to_owned(),
        };
        let to = names.get(store, &e.to)?.unwrap_or_else(|| e.to.clone());
        *pairs.entry((from, to)).or_default() += 1;
    }
    let mut firsts: Vec<(String, u64)> = firsts.into_iter().collect();
    firsts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    firsts.truncate(top);
    st.top_first_carriers = firsts;
    let mut pairs: Vec<(String, String, u64)> =
        pairs.into_iter().map(|((a, b), n)| (a, b, n)).collect();
    pairs.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    pairs.truncate(top);
    st.credits = pairs;
    st.credit_kinds = kinds
        .into_iter()
        .map(|(k, n)| {
            let name = serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            (name, n)
        })
        .collect();
    st.uncredited_share = none as f64 / total.max(1) as f64;
    st.uncredited_share_later = later_none as f64 / later.max(1) as f64;
    Ok(st)
}

pub fn render(st: &Stats) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let c = &st.counts;
    let _ = writeln!(
        s,
        "{} articles from {} outlets; {} quote clusters, {} occurrences, {} credit edges",
        c.articles, c.outlets, c.clusters, c.occurrences, c.credit_edges
    );
    if let Some(b) = st.size_on_disk {
        let _ = writeln!(s, "size on disk: {:.1} MB", b as f64 / 1e6);
    }
    let _ = writeln!(
        s,
        "\nclusters carried by 2+ outlets: {} (first carrier: {} unique, {} tied, {} unknown)",
        st.shared_clusters, st.first_unique, st.first_tie, st.first_unknown
    );
    let _ = writeln!(s, "\nfirst carriers:");
    for (o, n) in &st.top_first_carriers {
        let _ = writeln!(s, "  {n:>6}  {o}");
    }
    let _ = writeln!(s, "\nwho credits whom:");
    for (a, b, n) in &st.credits {
        let _ = writeln!(s, "  {n:>6}  {a} → {b}");
    }
    let _ = writeln!(s, "\ncredit kinds:");
    for (k, n) in &st.credit_kinds {
        let _ = writeln!(s, "  {n:>6}  {k}");
    }
    let _ = writeln!(
        s,
        "\nuncredited: {:.1}% of all occurrences, {:.1}% of later (non-first) occurrences",
        st.uncredited_share * 100.0,
        st.uncredited_share_later * 100.0
    );
    s
}

pub fn run(args: &StatsArgs, db: &Path) -> anyhow::Result<i32> {
    let store = Store::open_existing(db)?;
    let st = compute(&store, args.top)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&st)?);
    } else {
        print!("{}", render(&st));
    }
    Ok(if st.counts.articles == 0 { 1 } else { 0 })
}
