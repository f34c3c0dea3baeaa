#!/usr/bin/env bash
# ctest entry for the browser test of the reviewer's pages:
#   tests/node/review.sh WARDEN_BINARY SCREENSHOT_DIR
# playwright-core comes from npm (scripts/test.sh runs `npm ci` here) and Chromium from Debian
# (scripts/install-deps.sh); either missing is a failure, never a skip.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "tests/node: playwright-core is not installed: run 'npm ci --prefix tests/node'" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
node "$here/review_browser.test.mjs" "$1" "$work" "$2"
