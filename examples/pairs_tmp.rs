// Temporary calibration dump; delete afterwards.
// usage: pairs_tmp INPUT GOLD > tsv  (label \t dice \t cover \t align \t short_content)
use quotetrace::matcher::*;
use std::collections::HashMap;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let inp = std::fs::read_to_string(&a[1]).unwrap();
    let gold = std::fs::read_to_string(&a[2]).unwrap();
    let mut g: HashMap<String, String> = HashMap::new();
    for l in gold.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        g.insert(
            v["id"].as_str().unwrap().into(),
            v["group"].as_str().unwrap().into(),
        );
    }
    let mut items = vec![];
    let mut groups = vec![];
    let mut texts = vec![];
    for l in inp.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let lang = v["lang"].as_str().map(|s| s.to_string());
        if lang.as_deref() == Some("es") && a.len() < 4 {
            continue;
        }
        texts.push(v["text"].as_str().unwrap().to_string());
        items.push(prepare(v["text"].as_str().unwrap(), lang.as_deref(), None));
        groups.push(g[v["id"].as_str().unwrap()].clone());
    }
    let mut st = TermStats::default();
    for p in &items {
        st.observe(p);
    }
    // positives: all gold pairs; negatives: for each item, the top-5 by dice among others (sampled window)
    let n = items.len();
    for i in 0..n {
        let mut best: Vec<(f32, usize)> = vec![];
        for j in 0..n {
            if i == j {
                continue;
            }
            let f = features(&items[i], &items[j], &st);
            if groups[i] == groups[j] {
                if i < j {
                    println!(
                        "1\t{:.3}\t{:.3}\t{:.3}\t{}\t{}\t{}",
                        f.dice, f.cover, f.align, f.short_content, texts[i], texts[j]
                    );
                }
            } else {
                best.push((f.dice.max(f.cover * 0.6), j));
            }
        }
        best.sort_by(|a, b| b.0.total_cmp(&a.0));
        for &(_, j) in best.iter().take(3) {
            if i < j || true {
                let f = features(&items[i], &items[j], &st);
                println!(
                    "0\t{:.3}\t{:.3}\t{:.3}\t{}\t{}\t{}",
                    f.dice, f.cover, f.align, f.short_content, texts[i], texts[j]
                );
            }
        }
    }
}
