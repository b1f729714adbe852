#!/usr/bin/env bash
# README's test command: installs missing Debian packages, builds, and runs
# every test twice: a normal Release build (as a packager builds it and
# operators run it), then an AddressSanitizer +
# UndefinedBehaviorSanitizer build of the whole suite (processes the tests
# start are sanitized too), then every libFuzzer target briefly
# (HOTLINE_CI_FUZZ_RUNS inputs each, default 200000, seed 1: a failure
# replays). Long fuzz and soak runs are separate commands (docs/TESTING.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "== build (Release, as a packager builds: cmake -DCMAKE_BUILD_TYPE=Release) =="
HOTLINE_BUILD_TYPE=Release bash scripts/build.sh
echo "== tests =="
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 300
echo "== build (ASan + UBSan) =="
HOTLINE_BUILD_DIR=build-asan bash scripts/build.sh -DHOTLINE_SANITIZE=ON -DHOTLINE_BUILD_BENCH=OFF
echo "== tests under ASan + UBSan =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$(nproc)" --timeout 600
echo "== fuzz smoke: every target, ${HOTLINE_CI_FUZZ_RUNS:-200000} inputs (clang, ASan + UBSan) =="
FUZZ_RUNS=${HOTLINE_CI_FUZZ_RUNS:-200000} bash scripts/fuzz.sh
echo "test.sh: all tests passed (normal and sanitized builds, fuzz smoke)"
