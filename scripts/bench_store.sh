#!/usr/bin/env bash
# Store benchmark (issue 4, bar 3): ingest the AllSides corpus, then time 1,000 lookups.
#
#   scripts/bench_store.sh [CORPUS] [N_LOOKUPS]
#
# Prints: ingest wall and CPU time, articles/s, peak RSS, store size on disk, and the latency
# of `quotetrace lookup` over fragments drawn from the stored quotes (3–8 consecutive words of
# a random wording, lower-cased, sometimes with the last word cut short): one process per
# fragment (store open included), and all of them in one process (`lookup --batch`); and what
# opening the store alone costs a process.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-../shared/corpus/allsides.jsonl.gz}
N=${2:-1000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet
BIN=$CARGO_TARGET_DIR/release/quotetrace
DB=$WORK/store

echo "== ingest $CORPUS"
/usr/bin/time -v "$BIN" --db "$DB" ingest --no-progress --json "$CORPUS" \
  >"$WORK/summary.json" 2>"$WORK/time.txt" || { tail -20 "$WORK/time.txt"; exit 2; }
python3 - "$WORK/summary.json" "$WORK/time.txt" "$CORPUS" <<'PY'
import json, re, sys, gzip, os
s = json.load(open(sys.argv[1])); t = open(sys.argv[2]).read()
wall = t.split("Elapsed (wall clock) time (h:mm:ss or m:ss): ")[1].split("\n")[0]
parts = [float(x) for x in wall.split(":")]
secs = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
print(f"articles read {s['articles']}, stored {s['new_articles']}, quotes {s['quotes']}, "
      f"clusters {s['new_clusters']}, skipped {len(s['skipped'])}")
cpu = sum(float(re.search(p + r" \(seconds\): ([0-9.]+)", t).group(1)) for p in ("User time", "System time"))
print(f"wall {secs:.1f} s (CPU {cpu:.1f} s), {s['articles']/secs:.0f} articles/s, "
      f"{s['quotes']/secs:.0f} quotes/s, peak RSS {rss/1024:.0f} MB")
PY
echo "store size on disk: $(du -sh "$DB" | cut -f1)"

echo "== $N lookups"
"$BIN" --db "$DB" export --format jsonl >"$WORK/chains.jsonl"
python3 - "$WORK/chains.jsonl" "$N" >"$WORK/fragments.txt" <<'PY'
import json, random, sys
random.seed(7)
wordings = []
for line in open(sys.argv[1]):
    for v in json.loads(line)["variants"]:
        w = v["wording"].split()
        if len(w) >= 4:
            wordings.append(w)
for _ in range(int(sys.argv[2])):
    w = random.choice(wordings)
    n = random.randint(3, min(8, len(w)))
    i = random.randint(0, len(w) - n)
    frag = " ".join(w[i:i + n]).lower()
    if random.random() < 0.3 and len(frag) > 12:
        frag = frag[: len(frag) - random.randint(1, 3)]
    print(frag.replace("\n", " "))
PY
: >"$WORK/ms.txt"
: >"$WORK/open_ms.txt"
# One process per lookup (store open included), for every fragment.
while IFS= read -r frag; do
  s=$(date +%s%N)
  "$BIN" --db "$DB" lookup --limit 5 "$frag" >/dev/null 2>&1 || true
  e=$(date +%s%N)
  echo $(( (e - s) / 1000 )) >>"$WORK/ms.txt"
done <"$WORK/fragments.txt"
# What a process costs that opens the store and looks up nothing (a fragment with no words):
# process start, opening sled, closing it.
for _ in $(seq 50); do
  s=$(date +%s%N)
  "$BIN" --db "$DB" lookup --limit 5 "..." >/dev/null 2>&1 || true
  e=$(date +%s%N)
  echo $(( (e - s) / 1000 )) >>"$WORK/open_ms.txt"
done
python3 - "$WORK/ms.txt" "$WORK/open_ms.txt" <<'PY'
import sys
for path, what in ((sys.argv[1], "lookup as one process each, store open included"),
                   (sys.argv[2], "open the store and look up nothing, one process each")):
    v = sorted(int(x) / 1000 for x in open(path))
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
    print(f"{what} ({len(v)} runs): p50 {q(0.5):.0f} ms, p99 {q(0.99):.0f} ms")
PY
# All fragments in one process: the lookup itself, store opened once.
"$BIN" --db "$DB" lookup --limit 5 --json --batch "$WORK/fragments.txt" >"$WORK/batch.jsonl" || true
python3 - "$WORK/batch.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
v = sorted(r["millis"] for r in rows)
q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
hit = sum(1 for r in rows if r["results"])
print(f"lookup in one process over {len(v)} fragments: p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, "
      f"max {v[-1]:.1f} ms; {hit} fragments found a cluster")
PY
