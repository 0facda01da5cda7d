//! Extraction throughput over the fixture articles, in bytes of article text per second.
//! Run: `cargo bench --bench extract`. The corpus-scale figure in the README comes from
//! `/usr/bin/time -v quotetrace extract` over ../shared/corpus (see README, "Figures").

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use quotetrace::article::Article;

fn fixtures() -> Vec<Article> {
    let mut out = Vec::new();
    for dir in ["fixtures/seeds", "fixtures/articles"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for p in paths {
            let text = std::fs::read_to_string(&p).unwrap();
            out.push(Article::from_text(&p.display().to_string(), &text).unwrap());
        }
    }
    out
}

fn extract(c: &mut Criterion) {
    let articles = fixtures();
    let bytes: usize = articles.iter().map(|a| a.body.len()).sum();
    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("fixtures", |b| {
        b.iter(|| {
            articles
                .iter()
                .map(|a| quotetrace::parse::extract(&a.body).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, extract);
criterion_main!(benches);
