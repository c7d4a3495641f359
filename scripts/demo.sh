#!/usr/bin/env bash
# The demo on a fresh Debian/Ubuntu machine: checks (and, as root, installs) the build
# prerequisites in seconds, builds the release binary (the first build compiles RocksDB:
# ~25–30 min on two cores), then runs `moisson demo` (http://127.0.0.1:8080/).
# Arguments go to `moisson demo` (e.g. --port 8090 --datasets 20000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/prereqs.sh
moisson_prereqs
cargo build --release --bin moisson
exec target/release/moisson demo "$@"
