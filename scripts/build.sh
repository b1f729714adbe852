#!/usr/bin/env bash
# Configures and builds into build/ (or $HOTLINE_BUILD_DIR); extra args go to CMake.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${HOTLINE_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=${HOTLINE_BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
