#!/bin/sh
# Speed and memory of `quotetrace cluster` at 10k, 100k and 1M quotes (issue 3, bar 3).
#
# Input: quotes extracted from ../shared/corpus/allsides.jsonl.gz by `quotetrace extract`
# (falling back to the quoted spans of its `content_original` when extract is unavailable),
# topped up with quote-bearing sentences of the corpus (then any sentence) when fewer than 1M
# distinct quotes exist.
# Everything generated lives under $WORK (default /tmp/qt_bench) and is never committed.
#
# usage: scripts/bench_cluster.sh [SIZES...]      (default: 10000 100000 1000000)
# env:   CARGO_TARGET_DIR (default /work/target-matcher), QT_BIN (prebuilt binary),
#        QT_CLUSTER (command reading JSONL on stdin, default "$QT_BIN cluster")
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${CORPUS:-$ROOT/../shared/corpus/allsides.jsonl.gz}
WORK=${WORK:-/tmp/qt_bench}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-matcher}
SIZES=${*:-10000 100000 1000000}
mkdir -p "$WORK"

if [ -z "${QT_BIN:-}" ]; then
    (cd "$ROOT" && nice -n 10 cargo build --release --quiet)
    QT_BIN=$CARGO_TARGET_DIR/release/quotetrace
fi
QT_CLUSTER=${QT_CLUSTER:-"$QT_BIN cluster"}

if [ ! -s "$WORK/quotes.jsonl" ]; then
    if "$QT_BIN" extract --format jsonl --quiet "$CORPUS" > "$WORK/extract.jsonl" 2>/dev/null \
        && [ -s "$WORK/extract.jsonl" ]; then
        SRC=extract
    else
        SRC=corpus
        : > "$WORK/extract.jsonl"
    fi
    python3 - "$CORPUS" "$WORK/extract.jsonl" "$WORK/quotes.jsonl" <<'PY'
import gzip, json, re, sys
corpus, extracted, out = sys.argv[1:4]
seen, n = set(), 0
with open(out, "w", encoding="utf-8") as fo:
    def emit(text, speaker):
        global n
        text = text.strip()
        if len(text) < 3 or text in seen:
            return
        seen.add(text)
        rec = {"id": f"q{n}", "text": text}
        if speaker:
            rec["speaker"] = speaker
        fo.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
    for line in open(extracted, encoding="utf-8"):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        q = r.get("quote") or {}
        sp = r.get("speaker") or {}
        emit(q.get("text", "") if isinstance(q, dict) else str(q), sp.get("name") if isinstance(sp, dict) else None)
    quoted = re.compile(r"[“\"]([^”\"]{3,600})[”\"]")
    split = re.compile(r"(?<=[.!?])\s+")
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        articles = [json.loads(l).get("content_original") or "" for l in fh]
    for body in articles:           # quoted spans first, then whole quote-bearing sentences
        for m in quoted.finditer(body):
            emit(m.group(1), None)
    for body in articles:
        if n >= 1_000_000:
            break
        for sent in split.split(body):
            if "“" in sent or '"' in sent:
                emit(sent, None)
                if n >= 1_000_000:
                    break
    for body in articles:           # any sentence, only if still short of 1M
        if n >= 1_000_000:
            break
        for sent in split.split(body):
            emit(sent, None)
            if n >= 1_000_000:
                break
print(f"{n} distinct quotes", file=sys.stderr)
PY
    echo "input built from: $SRC" >&2
fi

printf "%-9s %-9s %-10s %-12s %s\n" quotes seconds MB/RSS quotes/s clusters
for n in $SIZES; do
    head -n "$n" "$WORK/quotes.jsonl" > "$WORK/in_$n.jsonl"
    got=$(wc -l < "$WORK/in_$n.jsonl")
    /usr/bin/time -f "%e %M" -o "$WORK/time_$n" sh -c "$QT_CLUSTER < '$WORK/in_$n.jsonl' > '$WORK/out_$n.jsonl' 2>/dev/null"
    read -r secs kb < "$WORK/time_$n"
    clusters=$(python3 -c "import json,sys; print(len({json.loads(l)['cluster'] for l in open(sys.argv[1])}))" "$WORK/out_$n.jsonl")
    printf "%-9s %-9s %-10s %-12s %s\n" "$got" "$secs" "$((kb / 1024))" \
        "$(python3 -c "print(int($got/max($secs,0.001)))")" "$clusters"
done
