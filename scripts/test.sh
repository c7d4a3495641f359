#!/usr/bin/env bash
# The README's test command: every crate's unit tests and the end-to-end tests.
# Tests that need ../shared (the real-catalogue corpus) skip with a printed reason when it
# is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace "$@"

# The web front in a real browser (tests/browser): headless Chromium walks the demo site,
# runs axe-core on every page type and saves screenshots to docs/screenshots/. Needs
# /usr/bin/chromium and `npm ci` in tests/browser (both done by .ci/run).
browser_test() {
  if [ "$#" -gt 0 ]; then
    echo "browser test skipped: a test filter was given"
  elif [ -n "${MOISSON_SKIP_BROWSER:-}" ]; then
    echo "browser test skipped: MOISSON_SKIP_BROWSER is set"
  elif [ ! -x /usr/bin/chromium ]; then
    echo "browser test skipped: /usr/bin/chromium is missing (apt-get install chromium)"
  elif [ ! -d tests/browser/node_modules ] || ! command -v node >/dev/null 2>&1; then
    echo "browser test skipped: node or tests/browser/node_modules is missing (cd tests/browser && npm ci)"
  elif [ ! -x target/debug/moisson ]; then
    echo "browser test skipped: target/debug/moisson was not built"
  else
    echo "== browser test"
    MOISSON_BIN="$PWD/target/debug/moisson" node tests/browser/walk.mjs
  fi
}
browser_test "$@"
