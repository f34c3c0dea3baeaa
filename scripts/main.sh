#!/usr/bin/env bash
# The main job on the embedded default. For now: build the tiny model-organism zoo into zoo/
# (organisms already built with the same recipe are skipped) and verify that each organism has
# its planted behaviour on held-out prompts. Later issues replace this with `warden assess`,
# which assesses the same zoo. Extra arguments go to `organisms verify` (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
export WARDEN_SHARED="${WARDEN_SHARED:-$(cd .. && pwd)/shared}"
build/release/apps/warden/warden organisms build --size tiny --out zoo
exec build/release/apps/warden/warden organisms verify zoo "$@"
