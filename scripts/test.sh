#!/usr/bin/env bash
# The README's test command: every crate's unit tests and the end-to-end tests.
# Tests that need ../shared (the real-catalogue corpus) skip with a printed reason when it
# is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace "$@"
