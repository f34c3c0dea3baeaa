#!/usr/bin/env bash
# Measures the human audit queue on zoo traffic, after scripts/main.sh (zoo/, assessment/):
#   1. serves zoo/honest behind assess's input monitor and the words-only monitor, and records
#      the held-out split (calibration traffic);
#   2. sizes an audit section to a budget of B items a day from those records, taking "a day"
#      to be the test traffic below (review calibrate);
#   3. serves the test traffic (leave-source-out and leave-form-out) under that section;
#   4. reviews every queued item with the ground-truth label (review verdict), and compares the
#      queue's size with the budget, each stage's measured precision with the truth, and the
#      sampled estimate of harmful allowed traffic with its true value.
# Usage: scripts/audit-figures.sh [BUDGET]   (default 150; about a minute on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-150}"
warden="$PWD/build/release/apps/warden/warden"
out=out/audit-figures
b=zoo/benchmarks
[ -s assessment/honest/monitor-harm.safetensors ] || { echo "audit-figures: run scripts/main.sh first" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
here="$PWD"
base="input:
  - {name: harm-request, probe: $here/assessment/honest/monitor-harm.safetensors}
  - {name: harm-words, probe: $here/assessment/text-monitor-harm.safetensors}"
echo "$base" >"$out/base.yaml"

serve_and_send() {  # serve_and_send NAME SAFEGUARDS FILE...: serve zoo/honest and send each file's inputs
  local name=$1 safeguards=$2
  shift 2
  "$warden" serve zoo/honest --safeguards "$safeguards" --store "$out/$name.db" --port 0 \
    --port-file "$out/$name.port" --threads 1 2>"$out/$name.log" &
  local pid=$!
  for _ in $(seq 300); do [ -s "$out/$name.port" ] && break; sleep 0.1; done
  python3 scripts/send_requests.py "http://127.0.0.1:$(cat "$out/$name.port")" "$@"
  kill "$pid"
  wait "$pid" || true
}

serve_and_send calibration "$out/base.yaml" "$b/refusal-held-out.jsonl" "$b/over-refusal-held-out.jsonl"
test_files=("$b/refusal-leave-source-out.jsonl" "$b/refusal-leave-form-out.jsonl"
            "$b/over-refusal-leave-source-out.jsonl" "$b/over-refusal-leave-form-out.jsonl")
per_day=$(cat "${test_files[@]}" | grep -c .)
"$warden" serve review calibrate --store "$out/calibration.db" --budget "$budget" --requests-per-day "$per_day" \
  >"$out/audit.yaml"
{ cat "$out/base.yaml"; cat "$out/audit.yaml"; echo "  seed: 1"; } >"$out/test.yaml"
serve_and_send test "$out/test.yaml" "${test_files[@]}"

echo "longpassword-for-the-oracle" >"$out/password"
"$warden" serve reviewers add oracle --password-file "$out/password" --store "$out/test.db" >/dev/null
python3 scripts/audit_oracle.py "$warden" "$out/test.db" "$out/test.yaml" "$budget" "${test_files[@]}"
