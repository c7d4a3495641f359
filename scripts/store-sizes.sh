#!/usr/bin/env bash
# Bytes of an oxigraph store by column family (RocksDB table files), plus its log.
#
# Reads a copy of the store's MANIFEST with `ldb manifest_dump` (Debian's rocksdb-tools),
# so it works next to a running `moisson serve` and never writes to the store.
#
#   scripts/store-sizes.sh /path/to/data_dir/store
set -euo pipefail
STORE=${1:?usage: scripts/store-sizes.sh STORE_DIR}
command -v ldb >/dev/null || { echo "error: ldb is missing (apt-get install rocksdb-tools)" >&2; exit 1; }
MANIFEST=$STORE/$(cat "$STORE/CURRENT")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp "$MANIFEST" "$TMP/MANIFEST"
# The final version lists, per column family, each live file as ` number:bytes[...]`.
ldb manifest_dump --path="$TMP/MANIFEST" 2>/dev/null | LC_ALL=C awk '
    /^--------------- Column family "/ { split($0, q, "\""); cf = q[2]; order[++n] = cf; next }
    /^ [0-9]+:[0-9]+\[/ { split($1, f, ":"); bytes[cf] += f[2]; files[cf]++; total += f[2] }
    END {
        for (i = 1; i <= n; i++) {
            cf = order[i]
            if (files[cf] > 0) printf "%-8s %9.1f MB %4d files\n", cf, bytes[cf] / 1e6, files[cf]
        }
        printf "%-8s %9.1f MB\n", "tables", total / 1e6
    }'
log=0
for f in "$STORE"/*.log; do [ -e "$f" ] && log=$((log + $(stat -c %s "$f"))); done
printf "%-8s %9.1f MB\n" "log" "$(echo "$log / 1000000" | bc -l)"
printf "%-8s %9.1f MB\n" "du" "$(du -sb "$STORE" | awk '{print $1 / 1e6}')"
