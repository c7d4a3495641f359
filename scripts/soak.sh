#!/usr/bin/env bash
# Soak test of scheduled harvesting (not part of ./scripts/test.sh: it takes 10 minutes).
#
# Generates SOAK_SOURCES Turtle catalogues (SOAK_DATASETS datasets each), serves them with
# python3's http.server on loopback (it gives Last-Modified and answers 304), runs
# `moisson serve` with every source on a one-minute schedule for SOAK_SECS seconds while
# rewriting a few catalogues each minute (so some harvests change records), samples the
# server's RSS every 10 s, then stops it with SIGTERM and reports: jobs run by status,
# failures, RSS at start, end and peak, and the shutdown time.
#
#   cargo build --release --workspace && ./scripts/soak.sh
#   SOAK_SECS=120 SOAK_SOURCES=10 ./scripts/soak.sh      # a shorter run
#   SOAK_KEEP_DATA=1 ./scripts/soak.sh   # keeps the data folder and its moisson.toml in the
#     report folder (e.g. for `moisson compact-store --config /tmp/moisson-soak-report/moisson.toml`)
#   SOAK_CHANGED_PER_MINUTE=0 ./scripts/soak.sh   # no catalogue changes: memory of unchanged harvests
#   SOAK_CHANGED_AMONG=5 ./scripts/soak.sh        # changes drawn among 5 sources only (README, « soak »)
#   SOAK_SEED=1 ./scripts/soak.sh                 # the same changes as another run with this seed
#   SOAK_CHANGE_ALL_FIRST=1 ./scripts/soak.sh     # every catalogue changed once in minute 1
#
# Each sample also reads the allocator's figures from the server's /metrics (Linux):
# bytes allocated by the program, apart from what the allocator keeps resident, to tell
# data that grows from freed memory not given back.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${MOISSON_BIN:-target/release/moisson}
SECS=${SOAK_SECS:-600}
SOURCES=${SOAK_SOURCES:-50}
DATASETS=${SOAK_DATASETS:-500}
CHANGED_PER_MINUTE=${SOAK_CHANGED_PER_MINUTE:-5}
# The changed catalogues are drawn among the first SOAK_CHANGED_AMONG sources (all by
# default): a smaller number tells memory that follows the sources reached from memory
# that follows the changes themselves.
CHANGED_AMONG=${SOAK_CHANGED_AMONG:-$SOURCES}
# The changed catalogues are drawn at random; SOAK_SEED makes two runs change the same
# catalogues in the same minutes (to compare two builds or settings).
[ -n "${SOAK_SEED:-}" ] && RANDOM=$SOAK_SEED
# SOAK_CHANGE_ALL_FIRST=1: the first minute's changes rewrite every catalogue, so every
# source has been through a changing harvest from minute 1 (tells the memory of sources
# reached for the first time from the memory of changes themselves).
CHANGE_ALL_FIRST=${SOAK_CHANGE_ALL_FIRST:-}
# The server's log, the RSS samples and the summary are kept here (the data is not).
REPORT=${SOAK_REPORT_DIR:-/tmp/moisson-soak-report}
[ -x "$BIN" ] || { echo "error: $BIN is missing: cargo build --release --workspace" >&2; exit 1; }
command -v python3 >/dev/null || { echo "error: python3 is needed for the catalogue server" >&2; exit 1; }

WORK=$(mktemp -d /tmp/moisson-soak.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    mkdir -p "$REPORT"
    cp "$WORK/serve.log" "$WORK/rss.csv" "$REPORT/" 2>/dev/null || true
    if [ -n "${SOAK_KEEP_DATA:-}" ] && [ -d "$WORK/data" ]; then
        rm -rf "$REPORT/data" && mv "$WORK/data" "$REPORT/data"
        sed "s|$WORK/data|$REPORT/data|" "$WORK/moisson.toml" >"$REPORT/moisson.toml"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# One catalogue: datasets with a revision number in their title (bumped to change them).
generate() { # file revision
    python3 - "$1" "$2" "$DATASETS" <<'PY'
import sys
path, revision, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
name = path.rsplit("/", 1)[-1].removesuffix(".ttl")
out = ["@prefix dcat: <http://www.w3.org/ns/dcat#> .", "@prefix dct: <http://purl.org/dc/terms/> .",
       "@prefix foaf: <http://xmlns.com/foaf/0.1/> .",
       f"<https://{name}.example.org/catalogue> a dcat:Catalog ; dct:title \"Catalogue {name}\"@fr ."]
for i in range(count):
    iri = f"https://{name}.example.org/jdd/{i}"
    rev = f" (révision {revision})" if i % 50 == 0 else ""
    out.append(f"<https://{name}.example.org/catalogue> dcat:dataset <{iri}> .")
    out.append(f"<{iri}> a dcat:Dataset ; dct:identifier \"{name}-{i}\" ; "
               f"dct:title \"Zones humides, lot {i}{rev}\"@fr ; "
               f"dct:description \"Inventaire des zones humides du lot {i}.\"@fr ; "
               f"dct:publisher [ a foaf:Agent ; foaf:name \"DDT {name}\" ] ; "
               f"dcat:keyword \"eau\", \"zones humides\" ; "
               f"dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://{name}.example.org/files/{i}.zip> ; dct:format \"SHP\" ] .")
open(path + ".tmp", "w").write("\n".join(out) + "\n")
PY
    mv "$1.tmp" "$1"
}

mkdir -p "$WORK/www"
for i in $(seq 1 "$SOURCES"); do generate "$WORK/www/s$i.ttl" 0; done
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/www.log" 2>&1 &
PIDS+=($!)

{
    echo "data_dir = \"$WORK/data\""
    echo "[server]"
    echo "bind = \"127.0.0.1:0\""
    echo "[harvest]"
    echo "check_links = false"
    echo "concurrency = 4"
    echo "per_host_concurrency = 4"
    echo "timeout_secs = 30"
    echo "[scheduler]"
    echo "jitter_secs = 10"
    echo "shutdown_grace_secs = 30"
    for i in $(seq 1 "$SOURCES"); do
        echo "[[source]]"
        echo "id = \"s$i\""
        echo "name = \"Source $i\""
        echo "url = \"http://127.0.0.1:$PORT/s$i.ttl\""
        echo "schedule = \"0 * * * * *\""
    done
} >"$WORK/moisson.toml"

"$BIN" serve --config "$WORK/moisson.toml" >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVE=$!
PIDS+=($SERVE)
for _ in $(seq 1 100); do grep -q '^Moisson: http://' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
API=$(sed -n 's/^Moisson: //p' "$WORK/serve.out")
[ -n "$API" ] || { echo "error: moisson serve did not start" >&2; cat "$WORK/serve.log" >&2; exit 1; }
echo "soak: $SOURCES sources x $DATASETS datasets, every minute, for $SECS s; api $API; work $WORK"

rss() { awk '/^VmRSS:/ {print int($2/1024)}' "/proc/$SERVE/status"; }
# Anonymous memory (heap, RocksDB memtables and caches) apart from file pages (mapped
# index files), which the kernel can drop.
rss_parts() { awk '/^RssAnon:/ {a=int($2/1024)} /^RssFile:/ {f=int($2/1024)} END {print a "," f}' "/proc/$SERVE/status"; }
# The allocator's figures (allocated, resident), in MiB, from /metrics; empty if absent.
allocator() {
    python3 - "$API" <<'PY' 2>/dev/null || echo ","
import re, sys, urllib.request
text = urllib.request.urlopen(sys.argv[1] + "/metrics", timeout=5).read().decode()
figure = lambda f: re.search(r'moisson_allocator_bytes\{figure="%s"\} (\d+)' % f, text)
a, r = figure("allocated"), figure("resident")
print(f"{int(a[1]) >> 20},{int(r[1]) >> 20}" if a and r else ",")
PY
}
echo "elapsed_s,rss_mib,anon_mib,file_mib,allocated_mib,allocator_resident_mib" >"$WORK/rss.csv"
START=$(date +%s)
NEXT_CHANGE=$((START + 60))
REVISION=0
while :; do
    NOW=$(date +%s)
    ELAPSED=$((NOW - START))
    [ "$ELAPSED" -ge "$SECS" ] && break
    kill -0 "$SERVE" 2>/dev/null || { echo "error: moisson serve died" >&2; tail -20 "$WORK/serve.log" >&2; exit 1; }
    echo "$ELAPSED,$(rss),$(rss_parts),$(allocator)" >>"$WORK/rss.csv"
    if [ "$NOW" -ge "$NEXT_CHANGE" ]; then
        REVISION=$((REVISION + 1))
        if [ "$REVISION" = 1 ] && [ -n "$CHANGE_ALL_FIRST" ]; then
            for i in $(seq 1 "$SOURCES"); do generate "$WORK/www/s$i.ttl" "$REVISION"; done
        fi
        for _ in $(seq 1 "$CHANGED_PER_MINUTE"); do
            generate "$WORK/www/s$(( (RANDOM % CHANGED_AMONG) + 1 )).ttl" "$REVISION"
        done
        NEXT_CHANGE=$((NEXT_CHANGE + 60))
    fi
    sleep 10
done
END_RSS=$(rss)

# Every job of every source, counted by status.
python3 - "$API" "$SOURCES" <<'PY'
import json, sys, urllib.request
api, sources = sys.argv[1], int(sys.argv[2])
counts, failures, durations = {}, [], []
for i in range(1, sources + 1):
    jobs = json.load(urllib.request.urlopen(f"{api}/api/sources/s{i}/jobs?limit=1000"))
    for job in jobs:
        counts[job["status"]] = counts.get(job["status"], 0) + 1
        if job["status"] == "failed":
            failures.append(f"s{i}: {job.get('reason')}")
        if "duration_ms" in job:
            durations.append(job["duration_ms"])
total = sum(counts.values())
print(f"jobs: {total} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
if durations:
    durations.sort()
    print(f"job duration: median {durations[len(durations)//2]} ms, max {durations[-1]} ms")
for f in failures[:10]:
    print("failed:", f)
PY

T0=$(date +%s%N)
kill -TERM "$SERVE"
wait "$SERVE" || true
T1=$(date +%s%N)
echo "shutdown after SIGTERM: $(( (T1 - T0) / 1000000 )) ms"
python3 - "$WORK/rss.csv" "$END_RSS" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rss = [int(r["rss_mib"]) for r in rows if r["rss_mib"]]
print("rss MiB: start %d, end %s, peak %d" % (rss[0], sys.argv[2], max(rss)))
# Each minute's smallest and largest sample (harvests start at second 0 of each minute:
# the largest holds their transient memory, the smallest what stays), to see a trend.
def by_minute(column):
    minutes = {}
    for r in rows:
        if r.get(column):
            minutes.setdefault(int(r["elapsed_s"]) // 60, []).append(int(r[column]))
    return " ".join(f"{m}m:{min(v)}-{max(v)}" for m, v in sorted(minutes.items()))
print("rss by minute, smallest-largest sample:", by_minute("rss_mib"))
print("anonymous part:", by_minute("anon_mib"))
print("file-backed part:", by_minute("file_mib"))
if any(r.get("allocated_mib") for r in rows):
    print("allocated by the program (allocator's figure):", by_minute("allocated_mib"))
    print("resident in the allocator:", by_minute("allocator_resident_mib"))
PY
echo "scheduled runs skipped (source still running or queued): $(grep -c 'scheduled harvest skipped' "$WORK/serve.log" || true)"
echo "logs and RSS samples: $REPORT"
