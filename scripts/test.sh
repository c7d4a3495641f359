#!/usr/bin/env bash
# The README's test command: every crate's unit tests and the end-to-end tests.
# Tests that need ../shared (the real-catalogue corpus) skip with a printed reason when it
# is absent.
# Prerequisites are checked first (and installed when run as root): the build's, plus
# Chromium and Node.js for the browser test unless MOISSON_SKIP_BROWSER is set.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/prereqs.sh
if [ -n "${MOISSON_SKIP_BROWSER:-}" ]; then
  moisson_prereqs
else
  moisson_prereqs --tests
  if [ ! -d tests/browser/node_modules ]; then
    echo "== npm ci (tests/browser)"
    (cd tests/browser && npm ci --no-audit --no-fund) || echo "npm ci failed: the browser test will be skipped"
  fi
fi
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
