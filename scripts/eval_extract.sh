#!/usr/bin/env bash
# Extraction quality on PolNeAR (../shared/eval), both splits.
# Prints the scorer's figures as scored, then restricted to quotes the scorer's gold can see:
# the gold builder does not count '' (two apostrophes, NYT archive text) as a quote mark,
# although PolNeAR annotates those quotes as attributed content.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
cargo build --release --quiet
out=$(mktemp -d)
for split in dev train; do
  ./target/release/quotetrace extract --quiet --format jsonl "$shared/eval/polnear/$split/text" > "$out/$split.jsonl"
  python3 - "$out/$split.jsonl" > "$out/$split.marks.jsonl" <<'PY'
import json, sys
bodies = {}
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    body = bodies.setdefault(r["article"], open(r["article"], "rb").read())
    if body[max(0, r["quote"]["start"] - 2):r["quote"]["start"]] != b"''":
        sys.stdout.write(line)
PY
  echo "== $split, as scored"
  python3 "$shared/eval/score_extract.py" --corpus "$shared/eval/polnear" --split "$split" --pred "$out/$split.jsonl" | sed -n '6,11p'
  echo "== $split, quotes in the scorer's mark set (“ « „ \")"
  python3 "$shared/eval/score_extract.py" --corpus "$shared/eval/polnear" --split "$split" --pred "$out/$split.marks.jsonl" | sed -n '6,11p'
done
rm -rf "$out"
