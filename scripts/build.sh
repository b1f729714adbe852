#!/usr/bin/env bash
# Configures and builds into build/ (or $HOTLINE_BUILD_DIR); extra args go to
# CMake. HOTLINE_BUILD_TARGETS (space-separated) builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${HOTLINE_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=${HOTLINE_BUILD_TYPE:-Release} "$@" >/dev/null
# shellcheck disable=SC2086  # a list of target names
cmake --build "$build_dir" -j"$(nproc)" ${HOTLINE_BUILD_TARGETS:+--target $HOTLINE_BUILD_TARGETS}
