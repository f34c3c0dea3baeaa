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
# Two gateways on one PostgreSQL store (scripts/test.sh starts a test server), one killed.
if [ -n "${WARDEN_TEST_POSTGRES:-}" ]; then
  db="node_kill9_$$"
  psql -q "$WARDEN_TEST_POSTGRES/postgres" -c "CREATE DATABASE $db"
  node "$here/kill9.test.mjs" "$1" "$work" "$WARDEN_TEST_POSTGRES/$db"
elif [ "${WARDEN_REQUIRE_SHARED:-0}" != "0" ] || [ "${WARDEN_REQUIRE_POSTGRES:-0}" != "0" ]; then
  echo "tests/node: WARDEN_TEST_POSTGRES is not set (scripts/test.sh starts a test server): the two-gateway kill -9 test cannot run" >&2
  exit 1
else
  echo "tests/node: no PostgreSQL test server (WARDEN_TEST_POSTGRES): the two-gateway kill -9 test did not run" >&2
fi
