#!/usr/bin/env bash
# Quality throughput next to pySHACL: same files, same machine, one run.
#
# For each size, a catalogue from ../shared/tools/gen_catalogue.py (5 % of records with
# defects), then, each as one whole process (start-up and parse included):
#   - moisson validate FILE                      our full check: SHACL with shapes/ + every indicator
#   - moisson validate --shapes OFFICIAL FILE     our SHACL engine with the official DCAT-AP 3.0.1 shapes
#   - pySHACL with the same official shapes       (../shared/tools/peers/peer_tasks.py, inference none)
# and prints wall seconds, records/s, SHACL results found and the ratios.
#
# Needs a release build (cargo build --release --workspace) and pySHACL in /tmp/peers-venv
# (bash ../shared/tools/peers/setup_peers.sh, or: python3 -m venv /tmp/peers-venv &&
# /tmp/peers-venv/bin/pip install rdflib pyshacl).
#
# Usage: scripts/bench-quality.sh [SIZE...]      (default: 1000 10000)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${MOISSON_SHARED:-$ROOT/../shared}"
MOISSON="$ROOT/target/release/moisson"
PY="${PYSHACL_PYTHON:-/tmp/peers-venv/bin/python}"
OFFICIAL="$SHARED/reference/shapes/dcat-ap-3.0.1/dcat-ap-SHACL.ttl"
WORK="${WORK:-$ROOT/target/bench-quality}"
SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(1000 10000)

for need in "$MOISSON" "$PY" "$OFFICIAL" "$SHARED/tools/gen_catalogue.py"; do
  [[ -e "$need" ]] || { echo "missing: $need" >&2; exit 2; }
done
mkdir -p "$WORK"

# Prints the wall seconds of a command (its output goes to $2).
wall() {
  local out="$1"; shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$out" 2>"$out.err" || true
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

printf '%-8s %-44s %9s %10s %9s\n' size tool seconds records/s results
for n in "${SIZES[@]}"; do
  file="$WORK/cat-$n.ttl"
  [[ -s "$file" ]] || python3 "$SHARED/tools/gen_catalogue.py" --datasets "$n" --out "$file"
  ours=$(wall "$WORK/ours-$n.json" "$MOISSON" validate "$file" --format json)
  ours_n=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(r["shacl"]) for r in d["records"]))' "$WORK/ours-$n.json")
  official=$(wall "$WORK/official-$n.json" "$MOISSON" validate "$file" --format json --shapes "$OFFICIAL")
  official_n=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(r["shacl"]) for r in d["records"]))' "$WORK/official-$n.json")
  py=$(wall "$WORK/pyshacl-$n.json" "$PY" "$SHARED/tools/peers/peer_tasks.py" pyshacl "$file" --format turtle --shapes "$OFFICIAL")
  py_n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["extra"]["results"])' "$WORK/pyshacl-$n.json" 2>/dev/null || echo "?")
  printf '%-8s %-44s %9.2f %10.0f %9s\n' "$n" "moisson validate (shapes/ + indicators)" "$ours" "$(echo "$n / $ours" | bc -l)" "$ours_n"
  printf '%-8s %-44s %9.2f %10.0f %9s\n' "$n" "moisson validate --shapes DCAT-AP 3.0.1" "$official" "$(echo "$n / $official" | bc -l)" "$official_n"
  printf '%-8s %-44s %9.2f %10.0f %9s\n' "$n" "pySHACL, DCAT-AP 3.0.1 shapes" "$py" "$(echo "$n / $py" | bc -l)" "$py_n"
  printf '%-8s ratio pySHACL / moisson: %.0fx (same shapes), %.0fx (our full check)\n' "$n" \
    "$(echo "$py / $official" | bc -l)" "$(echo "$py / $ours" | bc -l)"
done
