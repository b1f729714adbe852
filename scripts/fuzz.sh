#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 60) on its seed corpus in tests/fuzz/corpus/.
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh            # 10 minutes per target
#   bash scripts/fuzz.sh envelope_open receipt       # only these targets
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Release: clang 14 cannot emit debug info for some coroutine frames ("difference across sections").
CC=clang CXX=clang++ HOTLINE_BUILD_TYPE=Release HOTLINE_BUILD_DIR=build-fuzz bash scripts/build.sh -DHOTLINE_FUZZ=ON \
  -DHOTLINE_BUILD_TESTS=OFF -DHOTLINE_BUILD_BENCH=OFF
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frame_decoder link_frame handshake_responder handshake_initiator
  envelope_open receipt certificate audit control_request)
mkdir -p build-fuzz/findings
for t in "${targets[@]}"; do
  work=build-fuzz/corpus/$t
  mkdir -p "$work"
  echo "== fuzz_$t for ${seconds}s"
  build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$seconds" -max_len=70000 -timeout=10 \
    -artifact_prefix=build-fuzz/findings/"$t"- -print_final_stats=1 "$work" "tests/fuzz/corpus/$t" 2>&1 |
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" || true
  if ls build-fuzz/findings/"$t"-* >/dev/null 2>&1; then
    echo "fuzz_$t: CRASH — see build-fuzz/findings/"; exit 1
  fi
done
echo "fuzz.sh: no crashes"
