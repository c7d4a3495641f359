#!/bin/bash
# In-process CPU time per answer of the 10 requests of territory-filter.lua (the same words,
# 20 results with facets, answer cache off), under a commune filter and under its
# département's, and the ratio of the two means: the comparison of territory-filter.lua
# measured in a way a loaded machine disturbs less than a load test.
# Usage: search/bench/territory-cpu.sh CONFIG [BINARY] [RUNS] [COMMUNE] [DEPARTEMENT]
set -euo pipefail
config=${1:?usage: territory-cpu.sh CONFIG [BINARY] [RUNS] [COMMUNE] [DEPARTEMENT]}
bin=${2:-target/release/moisson}
runs=${3:-300}
commune=${4:-commune-29019}
departement=${5:-29}
words=("" inondation "zones humides" eau bruit "plan local d'urbanisme" risques
  "qualité de l'air" "cours d'eau" éolien)
declare -A mean
for t in "$commune" "$departement"; do
  sum=0
  line=""
  for q in "${words[@]}"; do
    # shellcheck disable=SC2086
    cpu=$("$bin" search --config "$config" --territory "$t" --page-size 20 --repeat "$runs" $q \
      2>&1 >/dev/null | tail -1 | grep -oP 'CPU \K[0-9.]+')
    sum=$(echo "$sum + $cpu" | bc -l)
    line="$line $cpu"
  done
  mean[$t]=$(echo "scale=3; $sum / ${#words[@]}" | bc -l)
  echo "$t: mean ${mean[$t]} ms CPU per answer; by request:$line"
done
echo "ratio $(echo "scale=3; ${mean[$commune]} / ${mean[$departement]}" | bc -l) (load $(cut -d' ' -f1 /proc/loadavg))"
