#!/usr/bin/env bash
# Provenance evaluation (issue 4, bar 2) on Giveme5W1H: ingest all 383 articles, then for each
# event list the quote clusters carried by two or more outlets with their first carriers, and
# count clusters whose occurrences span more than one event (candidates for wrong merges; a
# quote can genuinely recur across events, so each must be checked by hand).
#
#   scripts/eval_provenance.sh [DIR] > eval-provenance.txt
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-../shared/eval/provenance/giveme5w1h}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet
BIN=$CARGO_TARGET_DIR/release/quotetrace
"$BIN" --db "$WORK/store" ingest --no-progress "$DIR" >&2
"$BIN" --db "$WORK/store" export --format jsonl >"$WORK/chains.jsonl"
python3 - "$DIR" "$WORK/chains.jsonl" <<'PY'
import ast, json, os, sys
from collections import defaultdict
src_dir, chains = sys.argv[1], sys.argv[2]
event = {}
for name in os.listdir(src_dir):
    if name.endswith(".json"):
        d = json.load(open(os.path.join(src_dir, name)))
        nc = d.get("newsCluster")
        if isinstance(nc, str):
            nc = ast.literal_eval(nc)
        event[name] = (nc or {}).get("EventId")
per_event = defaultdict(list)
mixed = []
shared = 0
for line in open(chains):
    c = json.loads(line)
    if c["outlets"] < 2:
        continue
    shared += 1
    events = {event.get(os.path.basename(o["source"])) for o in c["occurrences"]}
    if len(events) > 1:
        mixed.append((c, events))
    for e in events:
        per_event[e].append(c)
print(f"clusters carried by 2+ outlets: {shared}; events with one: {len(per_event)}; "
      f"clusters spanning 2+ events: {len(mixed)}")
for e in sorted(per_event, key=str):
    print(f"\n== event {e}")
    for c in per_event[e]:
        f = c["first_carrier"]
        first = ", ".join(f["outlets"]) + f" ({f['published']}, {f['status']})"
        print(f"  cluster {c['cluster']} · {c['outlets']} outlets · first: {first}")
        print(f"    “{c['canonical'][:110]}”  — {c['speaker'] or '?'}")
print("\n== clusters spanning several events (check by hand)")
for c, events in mixed:
    print(f"  cluster {c['cluster']} events {sorted(map(str, events))}: “{c['canonical'][:100]}”")
PY
