#!/usr/bin/env bash
# Measures risk across users' requests on the decomposition world, after scripts/main.sh (zoo/,
# assessment/). Users split a synthesis route of the fictional hazard domain over many requests,
# among benign users with the same topics (organisms/decomposition.h).
#   1. a route-question detector: `users-eval --topic-data` writes world seed 2's traffic as
#      labelled rows, and `probe train` fits a probe on zoo/honest's activations (last prompt
#      token) twice: on every question template, and on the even half only;
#   2. `users-eval` serves world seed 1 through zoo/honest behind the monitors assess trained
#      (they block) and the route probe (watch mode: it never blocks), calibrates the per-user
#      rule on the train users and measures the test users, whose compounds no train user asked
#      about: with every template (leave-compound-out), and with the odd half only against the
#      even-half probe (leave-compound-and-wording-out);
#   3. the same traffic with only the blocking monitors counting toward users (no route probe);
#   4. a words-only route detector (`probe train-text` on the even half) in the probe's place,
#      on the odd half: does a bag of words carry to wordings it never saw?
# Usage: scripts/users-figures.sh [USERS]   (default 400; about 2 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
users="${1:-400}"
warden="$PWD/build/release/apps/warden/warden"
out=out/users-figures
[ -s assessment/honest/monitor-harm.safetensors ] || { echo "users-figures: run scripts/main.sh first" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
here="$PWD"
for t in all even; do
  "$warden" serve users-eval --seed 2 --users "$users" --templates "$t" --topic-data "$out/route-$t.jsonl"
  "$warden" probe train --model zoo/honest --data "$out/route-$t.jsonl" --position last-prompt --name synthesis-route \
    --baseline bow --out "$out/route-$t.safetensors" 2>"$out/route-$t.log" | tee "$out/route-$t.txt"
  "$warden" probe train-text --data "$out/route-$t.jsonl" --name synthesis-route-words \
    --out "$out/route-words-$t.safetensors" 2>>"$out/route-$t.log" | tee -a "$out/route-$t.txt"
  cat >"$out/guard-$t.yaml" <<YAML
input:
  - {name: harm-request, probe: $here/assessment/honest/monitor-harm.safetensors}
  - {name: harm-words, probe: $here/assessment/text-monitor-harm.safetensors}
  - {name: synthesis-route, probe: $here/$out/route-$t.safetensors, mode: watch}
  - {name: synthesis-route-words, probe: $here/$out/route-words-$t.safetensors, mode: watch}
YAML
done
run() {  # run NAME GUARD TEMPLATES [--count ...]
  local name=$1 guard=$2 templates=$3
  shift 3
  echo "== $name"
  "$warden" serve users-eval zoo/honest --safeguards "$guard" --seed 1 --users "$users" --templates "$templates" \
    --svg "$out/$name.svg" "$@" 2>"$out/$name.log" | tee "$out/$name.txt"
}
run leave-compound-out "$out/guard-all.yaml" all --count synthesis-route
run leave-wording-out "$out/guard-even.yaml" odd --count synthesis-route
run harm-monitors-only "$out/guard-all.yaml" all --count harm-request --count harm-words
run words-leave-wording-out "$out/guard-even.yaml" odd --count synthesis-route-words
echo "users-figures: figures and charts in $out"
