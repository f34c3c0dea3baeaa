#!/usr/bin/env bash
# ctest entry for the Node client tests: tests/node/run.sh WARDEN_BINARY
# The SDK comes from npm (scripts/test.sh runs `npm ci` here); a missing install is a failure,
# never a skip.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -d "$here/node_modules/openai" ]; then
  echo "tests/node: the OpenAI SDK is not installed: run 'npm ci --prefix tests/node'" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
node "$here/openai_sdk.test.mjs" "$1" "$work"
node "$here/kill9.test.mjs" "$1" "$work"
