#!/usr/bin/env bash
# Configures and builds a preset (default: release). Usage: scripts/build.sh [PRESET]
# WARDEN_SHARED (default: ../shared beside the checkout) says where the shared models live.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shared="${WARDEN_SHARED:-$(cd .. && pwd)/shared}"
cmake --preset "$preset" -DWARDEN_SHARED_DIR="$shared" > /dev/null
cmake --build --preset "$preset" -j "$(nproc)"
