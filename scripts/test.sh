#!/usr/bin/env bash
# Everything CI runs: install dependencies, build, run every test (ctest), then run each parser
# fuzzer briefly. Usage: scripts/test.sh [FUZZ_SECONDS_EACH]   (default 10; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds="${1:-10}"
scripts/install-deps.sh
scripts/build.sh release
ctest --preset release -j 2
if [ "$fuzz_seconds" != "0" ]; then
  scripts/run-fuzzers.sh "$fuzz_seconds"
fi
