//! Matcher throughput in quotes per second: `prepare` alone, and batch clustering.
//! Run: `cargo bench --bench cluster`. Input: the English sentences of
//! ../shared/eval/variants/fisher-dev (8,124 quotes in groups of four renderings). The
//! 10k/100k/1M growth figures in the README come from `scripts/bench_cluster.sh`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use quotetrace::matcher::{cluster_prepared, prepare, Prepared};

fn texts() -> Vec<(String, Option<String>)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/eval/variants/fisher-dev.input.jsonl");
    let data = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (the bench needs ../shared)", path.display()));
    data.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("valid JSON line");
            (
                v["text"].as_str().unwrap_or_default().to_string(),
                v["lang"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn cluster(c: &mut Criterion) {
    let input = texts();
    let prepared: Vec<Prepared> = input
        .iter()
        .map(|(t, l)| prepare(t, l.as_deref(), None))
        .collect();
    let mut group = c.benchmark_group("matcher");
    group.throughput(Throughput::Elements(input.len() as u64));
    group.sample_size(10);
    group.bench_function("prepare/fisher-dev", |b| {
        b.iter(|| {
            input
                .iter()
                .map(|(t, l)| prepare(t, l.as_deref(), None).content)
                .sum::<u32>()
        })
    });
    group.bench_function("cluster_prepared/fisher-dev", |b| {
        b.iter(|| cluster_prepared(prepared.clone()).len())
    });
    group.finish();
}

criterion_group!(benches, cluster);
criterion_main!(benches);
