// Temporary driver for the matcher until `quotetrace cluster` is wired; delete afterwards.
fn main() {
    let stdin = std::io::stdin();
    let out = std::io::BufWriter::new(std::io::stdout());
    let s = quotetrace::matcher::cluster_jsonl(stdin.lock(), out).unwrap();
    eprintln!(
        "{} items {} clusters {} skipped",
        s.items,
        s.clusters,
        s.skipped.len()
    );
}
