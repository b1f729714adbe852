#!/usr/bin/env bash
# README's test command: installs missing Debian packages, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "== build (RelWithDebInfo) =="
bash scripts/build.sh
echo "== tests =="
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 300
echo "test.sh: all tests passed"
