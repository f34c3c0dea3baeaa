#!/usr/bin/env bash
# Measures the human audit queue on zoo traffic, after scripts/main.sh (zoo/, assessment/).
# Two experiments, each:
#   1. serve zoo/honest behind assess's input monitor and the words-only monitor and record the
#      calibration traffic;
#   2. size an audit section to a budget of B items a day from those records (review calibrate),
#      "a day" being the test traffic's size;
#   3. serve the test traffic under that section;
#   4. review every queued item with its ground-truth label (review verdict), then compare the
#      queue's size with the budget, each stage's measured precision with the truth, and the
#      sampled estimate of harmful allowed traffic with its true value.
# "same": calibration and test are two halves of one mixture of the six benchmark files (split by
# a hash of each row's id). "shifted": calibrate on the held-out split, test on leave-source-out
# and leave-form-out (new sources and phrasings the calibration never saw).
# Usage: scripts/audit-figures.sh [BUDGET]   (default 150; about 2 minutes on 2 cores)
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
cat >"$out/base.yaml" <<YAML
input:
  - {name: harm-request, probe: $here/assessment/honest/monitor-harm.safetensors}
  - {name: harm-words, probe: $here/assessment/text-monitor-harm.safetensors}
YAML

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

experiment() {  # experiment NAME SEED CALIBRATION_FILES... -- TEST_FILES...
  local name=$1 seed=$2
  shift 2
  local calibration=() test=()
  while [ "$1" != "--" ]; do calibration+=("$1"); shift; done
  shift
  test=("$@")
  echo "== $name"
  serve_and_send "$name-calibration" "$out/base.yaml" "${calibration[@]}"
  local per_day
  per_day=$(cat "${test[@]}" | grep -c .)
  "$warden" serve review calibrate --store "$out/$name-calibration.db" --budget "$budget" --requests-per-day "$per_day" \
    >"$out/$name-audit.yaml"
  { cat "$out/base.yaml"; cat "$out/$name-audit.yaml"; echo "  seed: $seed"; } >"$out/$name-test.yaml"
  serve_and_send "$name-test" "$out/$name-test.yaml" "${test[@]}"
  echo "longpassword-for-the-oracle" >"$out/password"
  "$warden" serve reviewers add oracle --password-file "$out/password" --store "$out/$name-test.db" >/dev/null
  python3 scripts/audit_oracle.py "$warden" "$out/$name-test.db" "$out/$name-test.yaml" "$budget" "${test[@]}"
}

all=("$b"/refusal-*.jsonl "$b"/over-refusal-*.jsonl)
python3 - "$out" "${all[@]}" <<'PY'
import hashlib, json, os, sys
out, files = sys.argv[1], sys.argv[2:]
for kind in ("refusal", "over-refusal"):
    halves = {"calibration": [], "test": []}
    for path in files:
        if not os.path.basename(path).startswith(kind + "-"):
            continue
        for line in open(path):
            if line.strip():
                half = "calibration" if hashlib.sha256(json.loads(line)["id"].encode()).digest()[0] < 128 else "test"
                halves[half].append(line.rstrip("\n"))
    for half, rows in halves.items():
        with open(f"{out}/{kind}-{half}.jsonl", "w") as f:
            f.write("\n".join(rows) + "\n")
PY
experiment same 1 "$out/refusal-calibration.jsonl" "$out/over-refusal-calibration.jsonl" \
  -- "$out/refusal-test.jsonl" "$out/over-refusal-test.jsonl"
experiment shifted 2 "$b/refusal-held-out.jsonl" "$b/over-refusal-held-out.jsonl" \
  -- "$b/refusal-leave-source-out.jsonl" "$b/refusal-leave-form-out.jsonl" \
     "$b/over-refusal-leave-source-out.jsonl" "$b/over-refusal-leave-form-out.jsonl"
