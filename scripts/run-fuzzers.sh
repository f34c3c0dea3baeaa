#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset "fuzz", clang + ASan + UBSan) and runs every
# build/fuzz/fuzz/*_fuzz binary for SECONDS each (default 20), starting from a scratch copy of
# its seed corpus fuzz/corpus/<name>/ (the committed seeds are never modified). Exits non-zero
# if any target crashes, leaks, times out or trips a sanitizer; the log and the reproducer are
# kept and their paths printed. Reproduce with: build/fuzz/fuzz/<name> <reproducer>.
#
# Usage: scripts/run-fuzzers.sh [SECONDS]
#   WARDEN_FUZZ_BUILD_DIR  build directory (default: the preset's build/fuzz)
set -euo pipefail

seconds="${1:-20}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WARDEN_FUZZ_BUILD_DIR:-$root/build/fuzz}"
cd "$root"

cmake --preset fuzz -B "$build" >/dev/null
cmake --build "$build"

# Inputs larger than a few seed files add little but slow every run down.
max_len_for() {
  case "$1" in
    gguf_fuzz) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

work="$(mktemp -d "${TMPDIR:-/tmp}/warden-fuzz.XXXXXX")"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
failed=0
found=0
for bin in "$build"/fuzz/*_fuzz; do
  [ -x "$bin" ] || continue
  found=1
  name="$(basename "$bin")"
  corpus="$work/$name.corpus"
  mkdir -p "$corpus"
  if [ -d "fuzz/corpus/$name" ]; then cp -R "fuzz/corpus/$name/." "$corpus/"; fi
  log="$work/$name.log"
  if "$bin" -max_total_time="$seconds" -max_len="$(max_len_for "$name")" -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/$name-" \
       "$corpus" >"$log" 2>&1; then
    runs="$(grep -o 'number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    echo "ok   $name: ${seconds}s, $runs runs, $(ls "$corpus" | wc -l) corpus entries"
  else
    failed=1
    echo "FAIL $name: log $log" >&2
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 >&2 || true
  fi
done

if [ "$found" -eq 0 ]; then
  echo "run-fuzzers: no *_fuzz binaries in $build/fuzz" >&2
  exit 1
fi
if [ "$failed" -ne 0 ]; then
  echo "run-fuzzers: failures; logs and reproducers are in $work" >&2
  exit 1
fi
rm -rf "$work"
