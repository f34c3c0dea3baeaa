#!/usr/bin/env bash
# Everything CI runs: install dependencies, build, run every test (ctest), then run each parser
# fuzzer briefly. Usage: scripts/test.sh [FUZZ_SECONDS_EACH]   (default 10; 0 skips fuzzing)
#
# A private PostgreSQL server (scripts/postgres-test-server.sh, in a /tmp directory) runs for
# the tests of the store's PostgreSQL back-end and of two gateways sharing it; it is stopped on exit.
#
# Prints how many tests ran, were skipped and are disabled. A test skips only when a shared file
# it reads is missing (src/testing/shared_files.h); with WARDEN_REQUIRE_SHARED=1 (set by .ci/run)
# such a test fails instead, and any skip left fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds="${1:-10}"
scripts/install-deps.sh
scripts/build.sh release
# The Node clients the tests drive (tests/node: the official OpenAI SDK), from npm's registry.
npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
pg_dir="$(mktemp -d /tmp/warden-postgres.XXXXXX)"   # outside the checkout: the server's user may not enter it
WARDEN_TEST_POSTGRES="$(scripts/postgres-test-server.sh start "$pg_dir")"
export WARDEN_TEST_POSTGRES
trap 'scripts/postgres-test-server.sh stop "$pg_dir" || true; rm -rf "$pg_dir"' EXIT
echo "test.sh: PostgreSQL test server at $WARDEN_TEST_POSTGRES"
junit="$PWD/build/release/ctest-junit.xml"
rm -f "$junit"
set +e
ctest --preset release -j 2 --output-junit "$junit"
ctest_rc=$?
set -e
# ctest counts a gtest skip (the "[  SKIPPED ]" line) as skipped, not passed, and writes the
# totals as attributes of the JUnit file's <testsuite>.
attribute() { grep -o "$1=\"[0-9]*\"" "$junit" | head -n1 | tr -dc '0-9'; }
if [ ! -s "$junit" ]; then
  echo "test.sh: ctest wrote no results ($junit)" >&2
  exit 1
fi
tests="$(attribute tests)"; failures="$(attribute failures)"
skipped="$(attribute skipped)"; disabled="$(attribute disabled)"
echo "tests: ${tests:-0} run, ${failures:-0} failed, ${skipped:-0} skipped, ${disabled:-0} disabled"
if [ "${skipped:-0}" != "0" ]; then
  # The skipped tests' names: the <testcase> elements whose status is notrun.
  grep -o '<testcase name="[^"]*"[^>]*status="notrun"' "$junit" | sed 's/<testcase name="\([^"]*\)".*/  skipped: \1/'
  if [ "${WARDEN_REQUIRE_SHARED:-0}" != "0" ]; then
    echo "test.sh: WARDEN_REQUIRE_SHARED is set and ${skipped} test(s) skipped; CI requires 0" >&2
    exit 1
  fi
fi
[ "$ctest_rc" -eq 0 ] || exit "$ctest_rc"
if [ "$fuzz_seconds" != "0" ]; then
  scripts/run-fuzzers.sh "$fuzz_seconds"
fi
