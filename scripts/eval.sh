#!/usr/bin/env bash
# Every quality and speed figure of the README, from one command (issue 5): builds the release
# binary, runs every scorer in ../shared/eval and every benchmark script, and prints one table
# (metric, set, value, bar, met?) with the date, the machine and the commands that measured it.
#
#   scripts/eval.sh [--quick] [--keep] [SECTION...]
#
# SECTION is any of: extract variants speed cluster store provenance xling (default: all, in
# that order).
#   extract     PolNeAR dev and train, as scored and restricted to the scorer's quote marks
#               (scripts/eval_extract.sh)
#   variants    pairwise and B-cubed F1 of `quotetrace cluster` on the four variant sets
#               (score_variants.py), with time and peak RSS of each clustering
#   speed       extraction throughput over the AllSides corpus: MB/s of article text per user
#               CPU second (one thread), peak RSS (/usr/bin/time -v, median of 3 runs)
#   cluster     `quotetrace cluster` at 10k, 100k, 1M quotes (scripts/bench_cluster.sh)
#   store       ingest of the AllSides corpus, store size, 1,000 lookups (scripts/bench_store.sh)
#   provenance  Giveme5W1H summary, store and dated matcher (scripts/eval_provenance.sh)
#   xling       issue 6: ingest of the AllSides corpus with the model and without it
#               (QUOTETRACE_MODEL pointing nowhere), one run each, and the link pass's report
#
# --quick runs every section on small samples (a 1,000-article slice of AllSides, 12 PolNeAR
# articles per split, 100 groups per variant set, 1 speed run, 1k/5k quotes, 50 lookups): for
# testing this script, never for figures. --keep keeps the work directory (raw outputs of every
# step) and prints its path. A full run takes about 15 minutes on a quiet 2-core machine; run
# it when nothing else is running, since every timing is affected by other load.
#
# env: CARGO_TARGET_DIR (default: target), SHARED (default: ../shared), EVAL_WORK (work dir).
# Exit code: 0 when every section ran (whatever the bars say), 2 when a section failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

QUICK=0
KEEP=0
SECTIONS=()
for arg in "$@"; do
    case $arg in
    --quick) QUICK=1 ;;
    --keep) KEEP=1 ;;
    extract | variants | speed | cluster | store | provenance | xling) SECTIONS+=("$arg") ;;
    -h | --help)
        sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "eval.sh: unknown argument '$arg' (see --help)" >&2
        exit 2
        ;;
    esac
done
[[ ${#SECTIONS[@]} -eq 0 ]] && SECTIONS=(extract variants speed cluster store provenance xling)

SHARED=$(cd "${SHARED:-$ROOT/../shared}" && pwd) || { echo "eval.sh: no ../shared" >&2; exit 2; }
CORPUS=$SHARED/corpus/allsides.jsonl.gz
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
[[ $CARGO_TARGET_DIR == /* ]] || CARGO_TARGET_DIR=$ROOT/$CARGO_TARGET_DIR
BIN=$CARGO_TARGET_DIR/release/quotetrace
WORK=${EVAL_WORK:-$(mktemp -d /tmp/qt_eval.XXXXXX)}
mkdir -p "$WORK/logs"
FAILED=()
if [[ $KEEP == 0 && -z ${EVAL_WORK:-} ]]; then
    # The logs of a failed section are kept: its row names them.
    trap '[[ ${#FAILED[@]} -eq 0 ]] && rm -rf "$WORK"' EXIT
fi
ROWS=$WORK/rows.tsv
COMMANDS=$WORK/commands.txt
: >"$ROWS"
: >"$COMMANDS"

say() { echo "eval.sh: $*" >&2; }
# row METRIC SET VALUE BAR: BAR is "-" (reported only) or an operator and a number ("≥ 0.80",
# "< 90 s"); met? is worked out when the table is printed.
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$ROWS"; }
cmd() { printf '%s\n' "$*" >>"$COMMANDS"; }
fail() {
    FAILED+=("$1")
    row "$1: FAILED (log: $2)" "-" "-" "-"
    say "$1 failed; last lines of $2:"
    tail -n 15 "$2" >&2
}

# A slice of the corpus for --quick: the first 1,000 articles, gzip-compressed like the
# original, so the same reader paths run.
if [[ $QUICK == 1 ]]; then
    SAMPLE=$WORK/allsides-1k.jsonl.gz
    zcat "$CORPUS" 2>/dev/null | head -n 1000 | gzip -1 >"$SAMPLE"
    SPEED_CORPUS=$SAMPLE
else
    SPEED_CORPUS=$CORPUS
fi

say "building the release binary into $CARGO_TARGET_DIR"
START=$(date -u +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
cmd "cargo build --release --locked   # CARGO_TARGET_DIR=$CARGO_TARGET_DIR"
if ! cargo build --release --locked --quiet 2>"$WORK/logs/build.log"; then
    cat "$WORK/logs/build.log" >&2
    exit 2
fi

# ---------------------------------------------------------------------------------------------
section_extract() {
    local shared=$SHARED log=$WORK/logs/extract.log
    if [[ $QUICK == 1 ]]; then
        # A copy of the eval tree with 12 articles per split (symlinks), same layout.
        shared=$WORK/shared-quick
        mkdir -p "$shared/eval"
        ln -sf "$SHARED/eval/score_extract.py" "$shared/eval/score_extract.py"
        for split in dev train; do
            mkdir -p "$shared/eval/polnear/$split/text" "$shared/eval/polnear/$split/attributions"
            for t in $(ls "$SHARED/eval/polnear/$split/text" | head -n 12); do
                ln -sf "$SHARED/eval/polnear/$split/text/$t" "$shared/eval/polnear/$split/text/$t"
                for a in "$SHARED/eval/polnear/$split/attributions/${t%.txt}"_*.ann; do
                    [[ -e $a ]] && ln -sf "$a" "$shared/eval/polnear/$split/attributions/"
                done
            done
        done
    fi
    cmd "scripts/eval_extract.sh   # SHARED=$shared"
    # eval_extract.sh runs ./target/release/quotetrace whatever CARGO_TARGET_DIR says; until it
    # honours CARGO_TARGET_DIR, feed it a copy that runs the binary built above (without this,
    # a stale binary in ./target would be scored).
    if grep -q 'CARGO_TARGET_DIR' scripts/eval_extract.sh || [[ $CARGO_TARGET_DIR == "$ROOT/target" ]]; then
        SHARED=$shared scripts/eval_extract.sh >"$log" 2>&1
    else
        (cd scripts && sed 's#\./target/release/quotetrace#"$QT_BIN"#' eval_extract.sh |
            QT_BIN=$BIN SHARED=$shared bash -s) >"$log" 2>&1
    fi || { fail extract "$log"; return; }
    # The script prints "== SPLIT, as scored" / "== SPLIT, quotes in the scorer's mark set ..."
    # followed by the scorer's "key  value" lines.
    python3 - "$log" >>"$ROWS" <<'PY' || fail extract "$log"
import re, sys
names = {"quote_recall": "quote recall", "attributed_precision": "attributed P",
         "attributed_recall": "attributed R", "attributed_f1": "attributed F1",
         "exact_attributed_f1": "exact attributed F1", "cue_accuracy": "cue accuracy"}
bars = {"quote_recall": "≥ 0.95", "attributed_f1": "≥ 0.80"}
where, n = None, 0
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"== (\w+), (as scored|quotes in the scorer's mark set)", line)
    if m:
        where = f"PolNeAR {m.group(1)}, " + ("as scored" if m.group(2) == "as scored" else "marks “ « „ \" only")
        split = m.group(1)
        continue
    m = re.match(r"(\w+)\s+([0-9.]+)\s*$", line)
    if where and m and m.group(1) in names:
        bar = bars.get(m.group(1), "-") if split == "dev" else "-"
        # As the scorer prints it: rounding here again would make figures disagree by 0.001.
        print(f"extract: {names[m.group(1)]}\t{where}\t{m.group(2)}\t{bar}")
        n += 1
if n == 0:
    sys.exit("no figures in the output of eval_extract.sh")
PY
}

# ---------------------------------------------------------------------------------------------
section_variants() {
    local set input gold log
    for set in wmt21-de-en wmt21-cs-en fisher-dev fisher-dev-xling; do
        input=$SHARED/eval/variants/$set.input.jsonl
        gold=$SHARED/eval/variants/$set.gold.jsonl
        log=$WORK/logs/variants-$set.log
        if [[ $QUICK == 1 ]]; then
            # The first 100 gold groups, whole, and their input lines.
            python3 - "$input" "$gold" "$WORK/$set.input.jsonl" "$WORK/$set.gold.jsonl" <<'PY'
import json, sys
inp, gold, out_in, out_gold = sys.argv[1:5]
keep, ids = [], set()
for line in open(gold, encoding="utf-8"):
    r = json.loads(line)
    if r["group"] not in keep and len(keep) >= 100:
        continue
    if r["group"] not in keep:
        keep.append(r["group"])
    ids.add(str(r["id"]))
with open(out_gold, "w") as fg:
    for line in open(gold, encoding="utf-8"):
        if str(json.loads(line)["id"]) in ids:
            fg.write(line)
with open(out_in, "w") as fi:
    for line in open(inp, encoding="utf-8"):
        if str(json.loads(line)["id"]) in ids:
            fi.write(line)
PY
            input=$WORK/$set.input.jsonl
            gold=$WORK/$set.gold.jsonl
        fi
        cmd "/usr/bin/time -v $BIN cluster --quiet $input > $set.pred.jsonl && python3 $SHARED/eval/score_variants.py --gold $gold --pred $set.pred.jsonl --json"
        if ! /usr/bin/time -v -o "$WORK/logs/variants-$set.time" "$BIN" cluster --quiet "$input" \
            >"$WORK/$set.pred.jsonl" 2>"$log"; then
            fail "variants $set" "$log"
            continue
        fi
        python3 "$SHARED/eval/score_variants.py" --gold "$gold" --pred "$WORK/$set.pred.jsonl" --json \
            >"$WORK/logs/variants-$set.score" 2>>"$log" || { fail "variants $set" "$log"; continue; }
        python3 - "$set" "$WORK/logs/variants-$set.score" "$WORK/logs/variants-$set.time" >>"$ROWS" <<'PY' || fail "variants $set" "$log"
import json, re, sys
name, score, timing = sys.argv[1:4]
s = json.loads(open(score).read().splitlines()[0])
bar = {"wmt21-de-en": "≥ 0.95", "wmt21-cs-en": "≥ 0.95", "fisher-dev": "≥ 0.90",
       "fisher-dev-xling": "≥ 0.85"}[name]
t = open(timing).read()
wall = [float(x) for x in re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([0-9:.]+)", t).group(1).split(":")]
wall = sum(x * 60 ** i for i, x in enumerate(reversed(wall)))
user = float(re.search(r"User time \(seconds\): ([0-9.]+)", t).group(1))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
items = f"{name} ({s['items']} quotes)"
print(f"variants: pairwise P\t{name}\t{s['pairwise_precision']}\t-")
print(f"variants: pairwise R\t{name}\t{s['pairwise_recall']}\t-")
print(f"variants: pairwise F1\t{name}\t{s['pairwise_f1']}\t{bar}")
print(f"variants: B-cubed F1\t{name}\t{s['b3_f1']}\t-")
# issue 6, bar 3: clustering the cross-language set under 60 s, peak RSS under 500 MB.
xl = name == "fisher-dev-xling"
print(f"variants: cluster wall (user CPU)\t{items}\t{wall:.2f} s ({user:.2f} s)\t{'< 60 s' if xl else '-'}")
print(f"variants: cluster peak RSS\t{items}\t{rss:.0f} MB\t{'< 500 MB' if xl else '-'}")
PY
    done
}

# ---------------------------------------------------------------------------------------------
section_speed() {
    local runs=3 i log=$WORK/logs/speed.log
    [[ $QUICK == 1 ]] && runs=1
    : >"$log"
    cmd "/usr/bin/time -v $BIN extract --quiet --format jsonl $SPEED_CORPUS > /dev/null   # $runs run(s), median user CPU"
    for i in $(seq "$runs"); do
        /usr/bin/time -v -o "$WORK/logs/speed-$i.time" "$BIN" extract --quiet --format jsonl \
            "$SPEED_CORPUS" >/dev/null 2>>"$log" || { fail speed "$log"; return; }
    done
    # Article text is what the bar counts: the bytes of each article's body field.
    cmd "python3: sum of UTF-8 bytes of content_original over $SPEED_CORPUS"
    python3 - "$SPEED_CORPUS" "$WORK"/logs/speed-*.time >>"$ROWS" <<'PY' || fail speed "$log"
import gzip, json, re, statistics, sys
corpus, timings = sys.argv[1], sys.argv[2:]
n = size = 0
with gzip.open(corpus, "rt", encoding="utf-8") as fh:
    for line in fh:
        r = json.loads(line)
        size += len((r.get("content_original") or r.get("text") or r.get("maintext") or "").encode())
        n += 1
runs = []
for path in timings:
    t = open(path).read()
    wall = [float(x) for x in re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([0-9:.]+)", t).group(1).split(":")]
    runs.append((float(re.search(r"User time \(seconds\): ([0-9.]+)", t).group(1)),
                 sum(x * 60 ** i for i, x in enumerate(reversed(wall))),
                 int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024))
user = statistics.median(r[0] for r in runs)
wall = statistics.median(r[1] for r in runs)
rss = max(r[2] for r in runs)
what = f"AllSides, {n} articles, {size / 1e6:.1f} MB text"
print(f"extract speed: throughput, one thread (text MB / user CPU)\t{what}\t{size / 1e6 / max(user, 0.01):.1f} MB/s\t≥ 50 MB/s")
print(f"extract speed: user CPU, median of {len(runs)} (wall)\t{what}\t{user:.2f} s ({wall:.2f} s)\t-")
print(f"extract speed: peak RSS\t{what}\t{rss:.1f} MB\t< 100 MB")
PY
}

# ---------------------------------------------------------------------------------------------
section_cluster() {
    local sizes="10000 100000 1000000" corpus=$CORPUS log=$WORK/logs/cluster.log
    if [[ $QUICK == 1 ]]; then
        sizes="1000 5000"
        corpus=$SAMPLE
    fi
    cmd "scripts/bench_cluster.sh $sizes   # QT_BIN=$BIN CORPUS=$corpus WORK=$WORK/bench_cluster"
    QT_BIN=$BIN CORPUS=$corpus WORK=$WORK/bench_cluster scripts/bench_cluster.sh $sizes >"$log" 2>&1 ||
        { fail cluster "$log"; return; }
    # Table rows: quotes seconds MB/RSS quotes/s clusters
    python3 - "$log" >>"$ROWS" <<'PY' || fail cluster "$log"
import sys
n = 0
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 5 and all(x.replace(".", "", 1).isdigit() for x in f):
        q, secs, mb, rate, clusters = int(f[0]), float(f[1]), int(f[2]), f[3], f[4]
        what = f"{q:,} quotes ({clusters} clusters)"
        print(f"cluster: wall\t{what}\t{secs:.2f} s\t{'< 10 s' if q == 100000 else '-'}")
        print(f"cluster: peak RSS\t{what}\t{mb} MB\t{'< 300 MB' if q == 100000 else '-'}")
        n += 1
if n == 0:
    sys.exit("no rows in the output of bench_cluster.sh")
PY
}

# ---------------------------------------------------------------------------------------------
section_store() {
    local corpus=$CORPUS lookups=1000 log=$WORK/logs/store.log
    if [[ $QUICK == 1 ]]; then
        corpus=$SAMPLE
        lookups=50
    fi
    cmd "scripts/bench_store.sh $corpus $lookups"
    scripts/bench_store.sh "$corpus" "$lookups" >"$log" 2>&1 || { fail store "$log"; return; }
    python3 - "$log" "$lookups" >>"$ROWS" <<'PY' || fail store "$log"
import re, sys
t = open(sys.argv[1]).read()
n = int(sys.argv[2])
def grab(pattern):
    m = re.search(pattern, t)
    if not m:
        sys.exit(f"bench_store.sh output has no match for {pattern!r}")
    return m.groups()
arts, quotes = grab(r"articles read (\d+), stored \d+, quotes (\d+)")
wall, cpu = grab(r"wall ([0-9.]+) s \(CPU ([0-9.]+) s\)")
(rss,) = grab(r"peak RSS (\d+) MB")
(size,) = grab(r"store size on disk: (\S+)")
what = f"AllSides, {int(arts):,} articles, {int(quotes):,} quotes"
print(f"store: ingest wall (CPU)\t{what}\t{float(wall):.1f} s ({float(cpu):.1f} s)\t< 90 s")
print(f"store: ingest peak RSS\t{what}\t{rss} MB\t< 500 MB")
print(f"store: size on disk (du -sh)\t{what}\t{size}\t-")
p50, p99 = grab(r"lookup in one process over \d+ fragments: p50 ([0-9.]+) ms, p99 ([0-9.]+) ms")
print(f"store: lookup p50, one process (--batch)\t{n} fragments\t{p50} ms\t< 20 ms")
print(f"store: lookup p99, one process (--batch)\t{n} fragments\t{p99} ms\t< 100 ms")
p50, p99 = grab(r"lookup as one process each, store open included \(\d+ runs\): p50 (\d+) ms, p99 (\d+) ms")
print(f"store: lookup p50, one process per lookup\t{n} fragments\t{p50} ms\t< 20 ms")
print(f"store: lookup p99, one process per lookup\t{n} fragments\t{p99} ms\t< 100 ms")
p50, p99 = grab(r"open the store and look up nothing, one process each \(\d+ runs\): p50 (\d+) ms, p99 (\d+) ms")
print(f"store: open alone, one process, p50 (p99)\t50 runs\t{p50} ms ({p99} ms)\t-")
PY
}

# ---------------------------------------------------------------------------------------------
section_provenance() {
    local mode log dir=$SHARED/eval/provenance/giveme5w1h
    for mode in store matcher; do
        log=$WORK/logs/provenance-$mode.log
        if [[ $mode == store ]]; then
            cmd "scripts/eval_provenance.sh $dir"
            scripts/eval_provenance.sh "$dir" >"$log" 2>"$log.err"
        else
            cmd "scripts/eval_provenance.sh --matcher $dir"
            scripts/eval_provenance.sh --matcher "$dir" >"$log" 2>"$log.err"
        fi || { cat "$log.err" >>"$log"; fail "provenance $mode" "$log"; continue; }
        # First line: "clusters (MODE): carried by 2+ outlets: N; events with one: M; clusters
        # spanning 2+ events: K"
        python3 - "$log" "$mode" >>"$ROWS" <<'PY' || fail "provenance $mode" "$log"
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"carried by 2\+ outlets: (\d+); events with one: (\d+); clusters spanning 2\+ events: (\d+)", t)
if not m:
    sys.exit("no summary line in the output of eval_provenance.sh")
what = "Giveme5W1H, " + ("store" if sys.argv[2] == "store" else "matcher with dates (--matcher)")
print(f"provenance: clusters on 2+ outlets\t{what}\t{m.group(1)}\t-")
print(f"provenance: events with one\t{what}\t{m.group(2)}\t-")
print(f"provenance: clusters spanning 2+ events\t{what}\t{m.group(3)}\t0 unless real recurrence (by hand)")
PY
    done
}

# ---------------------------------------------------------------------------------------------
section_xling() {
    local corpus=$CORPUS mode db log
    [[ $QUICK == 1 ]] && corpus=$SAMPLE
    for mode in without with; do
        db=$WORK/xling-$mode.db
        log=$WORK/logs/xling-$mode.log
        rm -rf "$db"
        if [[ $mode == without ]]; then
            cmd "QUOTETRACE_MODEL=/nonexistent /usr/bin/time -v $BIN --db DB ingest --no-progress --json $corpus"
            QUOTETRACE_MODEL=/nonexistent /usr/bin/time -v "$BIN" --db "$db" ingest --no-progress \
                --json "$corpus" >"$log.json" 2>"$log"
        else
            cmd "/usr/bin/time -v $BIN --db DB ingest --no-progress --json $corpus   # model installed"
            /usr/bin/time -v "$BIN" --db "$db" ingest --no-progress --json "$corpus" \
                >"$log.json" 2>"$log"
        fi || { fail "xling $mode" "$log"; rm -rf "$db"; return; }
        rm -rf "$db"
    done
    python3 - "$WORK/logs/xling-without.log" "$WORK/logs/xling-with.log" >>"$ROWS" <<'PY' || fail xling "$WORK/logs/xling-with.log"
import json, sys
def wall(path):
    t = open(path).read()
    w = t.split("Elapsed (wall clock) time (h:mm:ss or m:ss): ")[1].split("\n")[0]
    parts = [float(x) for x in w.split(":")]
    return parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)
a, b = wall(sys.argv[1]), wall(sys.argv[2])
s = json.load(open(sys.argv[2] + ".json"))
x = s.get("cross_language") or {}
print(f"xling: ingest wall without model / with\tAllSides\t{a:.1f} s / {b:.1f} s\t-")
print(f"xling: ingest slowdown with the model\tAllSides, one run each\t{100 * (b - a) / a:+.1f} %\t≤ 10 %")
print(f"xling: quotes outside English, linked\tAllSides\t{s.get('foreign_quotes', 0)}, {x.get('linked', 0)} (embedded {x.get('embedded', 0)})\t-")
PY
}

TIMES=()
for s in "${SECTIONS[@]}"; do
    say "section $s$([[ $QUICK == 1 ]] && echo ' (quick)')"
    t0=$(date +%s)
    "section_$s"
    TIMES+=("$s $(($(date +%s) - t0)) s")
done

# ---------------------------------------------------------------------------------------------
echo "# quotetrace figures ($([[ $QUICK == 1 ]] && echo 'QUICK SAMPLE RUN: not figures' || echo 'full data'); sections: ${SECTIONS[*]})"
echo
head_ref=$(sed -n 's/^ref: //p' .git/HEAD 2>/dev/null)
commit=$( { [[ -n $head_ref ]] && cat ".git/$head_ref" 2>/dev/null; } || cat .git/HEAD 2>/dev/null || echo unknown)
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit ${commit:0:12} (uncommitted changes not shown)"
echo "- machine: $(uname -m), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1),"\
    "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo)"
echo "- load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg) (other load inflates timings)"
echo "- $(rustc --version), release build in $CARGO_TARGET_DIR"
echo "- wall time: $(($(date -u +%s) - START)) s ($(IFS=,; echo "${TIMES[*]}" | sed 's/,/, /g'))"
echo
python3 - "$ROWS" <<'PY'
import re, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
def met(value, bar):
    m = re.match(r"\s*(≥|>=|>|≤|<=|<)\s*([0-9.]+)", bar)
    v = re.match(r"\s*([+-]?[0-9.]+)\s*([KMG]?)", value)
    if not m or not v:
        return ""
    x, limit = float(v.group(1)), float(m.group(2))
    ok = {"≥": x >= limit, ">=": x >= limit, ">": x > limit,
          "≤": x <= limit, "<=": x <= limit, "<": x < limit}[m.group(1)]
    return "yes" if ok else "**no**"
table = [["metric", "set", "value", "bar", "met?"]]
table += [[r[0], r[1], r[2], r[3], met(r[2], r[3])] for r in rows]
width = [max(len(r[i]) for r in table) for i in range(5)]
for i, r in enumerate(table):
    print("| " + " | ".join(c.ljust(w) for c, w in zip(r, width)) + " |")
    if i == 0:
        print("|" + "|".join("-" * (w + 2) for w in width) + "|")
PY
echo
echo "Commands (from $ROOT):"
sed 's/^/    /' "$COMMANDS"
if [[ $KEEP == 1 || -n ${EVAL_WORK:-} ]]; then
    echo
    echo "Raw outputs: $WORK/logs"
fi
if [[ ${#FAILED[@]} -gt 0 ]]; then
    say "failed sections: ${FAILED[*]}"
    exit 2
fi
