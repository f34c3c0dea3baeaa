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

# Every tokenizer test vector file reproduces its .out exactly.
for inp in "$shared"/tokenizer-vectors/ggml-vocab-*.gguf.inp; do
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
