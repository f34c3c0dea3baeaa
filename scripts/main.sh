#!/usr/bin/env bash
# The main job on the embedded default: `warden assess` on the tiny model-organism zoo (built
# into zoo/ first if missing, about 9-10 minutes on 2 cores). Writes assessment/report.html and
# exits with the decision: 0 continue, 3 continue-with-safeguards, 4 do-not-deploy,
# 5 pause-training (1 and 2 are errors). Extra arguments go to `warden assess`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
export WARDEN_SHARED="${WARDEN_SHARED:-$(cd .. && pwd)/shared}"
set +e
build/release/apps/warden/warden assess --zoo zoo --out assessment "$@"
rc=$?
set -e
case $rc in
  0|3|4|5) echo "main: the assessment ran; exit status $rc is its decision (assessment/report.html)" ;;
  *) echo "main: the assessment failed (exit status $rc)" >&2 ;;
esac
exit $rc
