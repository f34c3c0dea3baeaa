#!/usr/bin/env bash
# Installs every Debian package warden needs to build and test. Idempotent: packages already
# present are skipped, and apt's package lists are refreshed only when something is missing.
# Usage: scripts/install-deps.sh            (needs root, or sudo on PATH)
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang clang-format libclang-rt-14-dev
  libpcre2-dev   # Unicode-aware regexes for byte-level BPE pre-tokenizers
  # ML layer
  libtorch-dev libopenblas0-openmp   # OpenBLAS replaces the reference BLAS that libtorch links by default
  libblas-dev   # the engine's fast decode step calls BLAS sgemm itself (OpenBLAS at run time)
  # base libraries
  nlohmann-json3-dev libcli11-dev libsodium-dev libyaml-cpp-dev libzstd-dev zlib1g-dev
  libsqlite3-dev   # store: the gateway's decisions and keys (the embedded default)
  libpq-dev postgresql   # store: PostgreSQL for many gateways (libpq; the tests start a private server)
  libcpp-httplib-dev   # HTTP: the OpenAI-compatible model backend (and later the gateway)
  libgraphviz-dev   # safety-case graphs: DOT laid out to SVG in process (libgvc)
  libgsl-dev   # forecasts: nonlinear least squares (gsl_multifit_nlinear), random draws
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium   # the reviewer's pages are tested in a real headless browser (tests/node, playwright-core)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm run the real clients in the tests (tests/node: the official OpenAI SDK against
# warden serve). A machine that has both on PATH keeps them (NodeSource's nodejs bundles npm and
# conflicts with Debian's npm package); otherwise Debian's are installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present, and node and npm"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
