// Temporary calibration driver; delete afterwards.
use std::io::BufRead;
fn main() {
    let env = |k: &str, d: f32| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let link = if std::env::var("QT_LINK").as_deref() == Ok("majority") {
        quotetrace::matcher::Link::Majority
    } else {
        quotetrace::matcher::Link::Complete
    };
    let t = quotetrace::matcher::Thresholds {
        overlap: env("QT_OVERLAP", 0.45),
        align: env("QT_ALIGN", 0.8),
        min_fragment_content: 3,
        link,
    };
    let mut ids = vec![];
    let mut items = vec![];
    for l in std::io::stdin().lock().lines() {
        let v: serde_json::Value = serde_json::from_str(&l.unwrap()).unwrap();
        ids.push(v["id"].clone());
        items.push(quotetrace::matcher::prepare(
            v["text"].as_str().unwrap(),
            v["lang"].as_str(),
            v["speaker"].as_str(),
        ));
    }
    let c = quotetrace::matcher::cluster_prepared_with(items, t);
    for (i, c) in ids.iter().zip(c) {
        println!("{}", serde_json::json!({"id": i, "cluster": c}));
    }
}
