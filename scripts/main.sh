#!/usr/bin/env bash
# The main job on the embedded default. For now: greedy generation with stories260K
# (later issues replace this with `warden assess` on the model-organism zoo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
shared="${WARDEN_SHARED:-$(cd .. && pwd)/shared}"
exec build/release/apps/warden/warden generate \
  --model "$shared/models/stories260K/stories260K.bin" \
  --tokenizer "$shared/models/stories260K/tok512.bin" \
  --prompt "Once upon a time" --max-tokens 196 "$@"
