#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 60) on its seed corpus in tests/fuzz/corpus/.
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh            # 10 minutes per target
#   bash scripts/fuzz.sh envelope_open receipt       # only these targets
#   FUZZ_RUNS=200000 bash scripts/fuzz.sh           # a fixed number of inputs, seed 1 (CI)
# HOTLINE_FUZZ_BUILD_DIR (default build-fuzz) holds the build, the growing
# corpora, and each run's findings in findings/<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
out=${HOTLINE_FUZZ_BUILD_DIR:-build-fuzz}
# Release: clang 14 cannot emit debug info for some coroutine frames ("difference across sections").
CC=clang CXX=clang++ HOTLINE_BUILD_TYPE=Release HOTLINE_BUILD_DIR="$out" bash scripts/build.sh -DHOTLINE_FUZZ=ON \
  -DHOTLINE_BUILD_TESTS=OFF -DHOTLINE_BUILD_BENCH=OFF
seconds=${FUZZ_SECONDS:-60}
# A time budget explores more; a run count with a fixed seed replays exactly.
if [ -n "${FUZZ_RUNS:-}" ]; then budget=(-runs="$FUZZ_RUNS" -seed=1); what="$FUZZ_RUNS inputs"
else budget=(-max_total_time="$seconds"); what="${seconds}s"; fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frame_decoder link_frame handshake_responder handshake_initiator
  envelope_open receipt certificate audit control_request)
findings=$out/findings/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$findings"
for t in "${targets[@]}"; do
  work=$out/corpus/$t
  log=$out/fuzz_$t.log
  mkdir -p "$work"
  echo "== fuzz_$t for $what"
  status=0
  "$out/tests/fuzz/fuzz_$t" "${budget[@]}" -max_len=70000 -timeout=10 \
    -artifact_prefix="$findings/$t-" -print_final_stats=1 "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 ||
    status=$?
  grep -E "^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)" "$log" || true
  if [ "$status" -ne 0 ] || ls "$findings/$t"-* >/dev/null 2>&1; then
    tail -40 "$log"
    echo "fuzz_$t: FAILED (exit $status) — see $log and $findings/"
    exit 1
  fi
done
echo "fuzz.sh: no crashes"
