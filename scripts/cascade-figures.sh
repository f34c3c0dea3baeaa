#!/usr/bin/env bash
# Measures the cascade (docs/serve.md), after scripts/main.sh (zoo/, assessment/):
#   1. the guard model's data from the shared datasets (`serve guard-model data`);
#   2. the guard model: zoo/base fine-tuned to answer "safe" / "unsafe\nS<n>" (`warden train`,
#      600 steps, one thread: deterministic);
#   3. its held-out figures (`serve guard-model eval`);
#   4. the cascade at several escalation targets (`serve cascade-eval`): zoo/honest behind assess's
#      input monitors on every request, the guard model on the escalated ones; replaying the zoo's
#      request files (rows the guard model trained on left out), then the guard model's own
#      held-out rows. Each run also serves the calibrated section: with fixed thresholds (compared
#      with the offline decisions) and holding the target online (escalate_rate).
# Usage: scripts/cascade-figures.sh [STEPS]   (default 600; about 4 minutes of CPU on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-600}"
warden="$PWD/build/release/apps/warden/warden"
out=out/cascade-figures
[ -s assessment/honest/monitor-harm.safetensors ] || { echo "cascade-figures: run scripts/main.sh first" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
"$warden" serve guard-model data --out "$out" | tee "$out/data.txt"
"$warden" train --model zoo/base --data "$out/train.jsonl" --chat warden --out "$out/run" --steps "$steps" --batch 16 \
  --seq-len 256 --lr 1e-3 --min-lr 1e-4 --warmup 20 --threads 1 --batching padded 2>"$out/train.log" >/dev/null
model="$out/run/step-$(printf '%06d' "$steps")"
"$warden" serve guard-model eval "$model" --tokenizer zoo/base/tokenizer.json --data "$out" 2>/dev/null | tee "$out/eval.txt"
for traffic in zoo guard-model; do
  for e in 0.1 0.2 0.3 0.5; do
    echo "== $traffic traffic, escalate $e"
    "$warden" serve cascade-eval --guard-model "$model" --guard-tokenizer zoo/base/tokenizer.json --data "$out" \
      --traffic "$traffic" --escalate "$e" 2>/dev/null | tee "$out/cascade-$traffic-$e.txt"
  done
done
echo "cascade-figures: in $out"
