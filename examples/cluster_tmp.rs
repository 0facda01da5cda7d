// Temporary driver until `quotetrace cluster` is wired into src/cli/mod.rs; delete afterwards.
fn main() {
    let out = std::io::BufWriter::new(std::io::stdout());
    let s = quotetrace::matcher::cluster_jsonl(std::io::stdin().lock(), out).unwrap();
    eprintln!(
        "{} items {} clusters {} skipped",
        s.items,
        s.clusters,
        s.skipped.len()
    );
}
