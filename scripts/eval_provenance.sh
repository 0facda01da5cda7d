#!/usr/bin/env bash
# Provenance evaluation (issue 4, bar 2) on Giveme5W1H (news-please JSON with
# newsCluster.EventId and date_publish): for each event, the quote clusters carried by two or
# more outlets with their first carriers (ties and undated reported as such), then the clusters
# whose occurrences span two or more events, listed with their dates and wordings so each can be
# judged by hand (a quote can genuinely recur across events). See eval/provenance.md.
#
#   scripts/eval_provenance.sh [--matcher] [DIR] > eval-provenance.txt
#
# By default the clusters are the store's: `ingest` then `export`. With --matcher they are the
# matcher's batch clustering with publication dates (`extract` then `cluster` with a
# `published` field per quote), for comparison with the store, which applies the same time
# rules plus its own rules for scare quotes; first carriers are then worked out here from the
# extracted dates, the way the store does (earliest day; several outlets on that day: a tie;
# no dates: unknown).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=store
if [[ ${1:-} == --matcher ]]; then
    MODE=matcher
    shift
fi
DIR=${1:-../shared/eval/provenance/giveme5w1h}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet
BIN=$CARGO_TARGET_DIR/release/quotetrace
if [[ $MODE == store ]]; then
    "$BIN" --db "$WORK/store" ingest --no-progress "$DIR" >&2
    "$BIN" --db "$WORK/store" export --format jsonl >"$WORK/chains.jsonl"
else
    "$BIN" extract --quiet --format jsonl "$DIR" >"$WORK/quotes.jsonl"
    python3 - "$WORK/quotes.jsonl" >"$WORK/in.jsonl" <<'PY'
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    q = json.loads(line)
    rec = {"id": i, "text": q["quote"]["text"], "speaker": (q["speaker"] or {}).get("name")}
    for key in ("lang", "published"):
        if q.get(key):
            rec[key] = q[key]
    print(json.dumps(rec))
PY
    "$BIN" cluster --quiet "$WORK/in.jsonl" >"$WORK/clusters.jsonl"
    python3 - "$WORK/quotes.jsonl" "$WORK/clusters.jsonl" >"$WORK/chains.jsonl" <<'PY'
import json, sys
from collections import defaultdict
quotes = [json.loads(l) for l in open(sys.argv[1])]
members = defaultdict(list)
for line in open(sys.argv[2]):
    r = json.loads(line)
    members[r["cluster"]].append(quotes[r["id"]])
for cid, occ in sorted(members.items()):
    dated = [q for q in occ if q.get("published")]
    # As the store: a date-time is an instant, a bare date the whole day (tied with any
    # instant of that day), and so is an offsetless midnight (news-please's date-only pages).
    def when(q):
        p = q["published"]
        bare = len(p) == 10 or p[10:] in ("T00:00:00", " 00:00:00")
        return (p[:10], None if bare else p[11:19])
    first = min((when(q) for q in dated), key=lambda w: (w[0], w[1] or ""), default=None)
    day = first[0] if first else None
    firsts = sorted({q["outlet"] or "?" for q in dated if when(q)[0] == day
                     and (when(q)[1] is None or first[1] is None or when(q)[1] == first[1])})
    status = "unknown" if day is None else ("tie" if len(firsts) > 1 else "unique")
    day = min((q for q in dated if when(q) == first), key=when)["published"] if dated else None
    speakers = [q["speaker"]["name"] for q in occ if q["speaker"]]
    print(json.dumps({
        "cluster": cid,
        "canonical": max((q["quote"]["text"] for q in occ), key=lambda t: (len(t.split()), t)),
        "speaker": max(set(speakers), key=speakers.count) if speakers else None,
        "first_carrier": {"outlets": firsts, "published": day, "status": status},
        "outlets": len({q["outlet"] for q in occ if q["outlet"]}),
        "undated": len(occ) - len(dated),
        "occurrences": [{"source": q["article"], "carrier": q["outlet"] or "?",
                         "published": q["published"], "wording": q["quote"]["text"]} for q in occ],
    }))
PY
fi
python3 - "$DIR" "$WORK/chains.jsonl" "$MODE" <<'PY'
import ast, json, os, sys
from collections import defaultdict
src_dir, chains, mode = sys.argv[1], sys.argv[2], sys.argv[3]
event = {}
for name in os.listdir(src_dir):
    if name.endswith(".json"):
        d = json.load(open(os.path.join(src_dir, name)))
        nc = d.get("newsCluster")
        if isinstance(nc, str):
            nc = ast.literal_eval(nc)
        event[name] = (nc or {}).get("EventId")
def ev(o):
    return event.get(os.path.basename(o["source"]).split(":")[0])
per_event = defaultdict(list)
mixed = []
shared = 0
status = defaultdict(int)
for line in open(chains):
    c = json.loads(line)
    if c["outlets"] < 2:
        continue
    shared += 1
    status[c["first_carrier"]["status"]] += 1
    events = {ev(o) for o in c["occurrences"]}
    if len(events) > 1:
        mixed.append((c, events))
    for e in events:
        per_event[e].append(c)
print(f"clusters ({mode}): carried by 2+ outlets: {shared}; events with one: {len(per_event)}; "
      f"clusters spanning 2+ events: {len(mixed)}")
print("first carrier of those: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())))
for e in sorted(per_event, key=str):
    print(f"\n== event {e}: {len(per_event[e])} clusters carried by 2+ outlets")
    for c in per_event[e]:
        f = c["first_carrier"]
        first = ", ".join(f["outlets"]) or "?"
        undated = f", {c['undated']} undated" if c.get("undated") else ""
        print(f"  cluster {c['cluster']} · {c['outlets']} outlets · first: {first} "
              f"({f['published']}, {f['status']}{undated})")
        print(f"    “{c['canonical'][:110]}”  — {c['speaker'] or '?'}")
print(f"\n== clusters spanning 2+ events: {len(mixed)} (judge each by hand: real recurrence or not)")
for c, events in mixed:
    print(f"  cluster {c['cluster']} · events {sorted(map(str, events))}")
    by_event = defaultdict(set)
    for o in c["occurrences"]:
        by_event[str(ev(o))].add(((o["published"] or "undated")[:10], o["carrier"], o["wording"][:90]))
    for e in sorted(by_event):
        for day, carrier, wording in sorted(by_event[e]):
            print(f"    {e} {day} {carrier}: “{wording}”")
PY
