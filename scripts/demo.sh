#!/usr/bin/env bash
# README's demo command: installs missing Debian packages, builds, then plays
# the first table-top exercise (exercises/01-missile-launch-consultation.json)
# with `hotline exercise run`: two relays and the US, JP and KR nodes on
# loopback, a scripted crisis, every process stopped cleanly; then checks the
# run from the audit logs and writes its after-action report.
#   bash scripts/demo.sh              # the demo (exercise 1)
#   bash scripts/demo.sh --kill-relay # exercise 2 instead: relay-1 killed (kill -9) mid-crisis
#   bash scripts/demo.sh --speed 4    # play the scenario 4 times faster
#   bash scripts/demo.sh --no-build   # skip install and build (binaries in build/)
#   bash scripts/demo.sh --console    # with the three operator consoles and a situation
#                                     # room page (ports HOTLINE_CONSOLE_PORT, +1, +2;
#                                     # default 8401), kept running after the scenario
#                                     # until Ctrl-C
# HOTLINE_DEMO_DIR (default run/demo) holds its certificates, stores and logs;
# HOTLINE_DEMO_BIN (default build) is the build tree whose binaries it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=1 consoles=0 speed=1
scenario=exercises/01-missile-launch-consultation.json
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --kill-relay) scenario=exercises/02-relay-failure-mid-crisis.json ;;
    --console) consoles=1 ;;
    --speed) speed=${2:?--speed needs a number}; shift ;;
    *) echo "usage: bash scripts/demo.sh [--kill-relay] [--console] [--speed N] [--no-build]" >&2; exit 2 ;;
  esac
  shift
done
if [ "$build" = 1 ]; then
  bash scripts/install-deps.sh
  echo "== building =="
  # Only what the demo runs: a new user waits for three binaries, not the tests.
  HOTLINE_BUILD_TARGETS="hotline hotline-node hotline-relay" bash scripts/build.sh
fi
bin=${HOTLINE_DEMO_BIN:-$root/build}
run=${HOTLINE_DEMO_DIR:-$root/run/demo}
hotline=$bin/client/hotline

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "playing $scenario (all traffic marked EXERCISE)"
args=("$scenario" --run-dir "$run" --speed "$speed")
if [ "$consoles" = 1 ]; then
  args+=(--console "${HOTLINE_CONSOLE_PORT:-8401}" --hold)
fi
"$hotline" exercise run "${args[@]}"

say "what each nation received of the live track, from its audit log (the publisher's summaries checked)"
for n in us jp kr; do
  summaries=$("$hotline" audit export "$run/node-$n/node.db" | grep TRACK_SUMMARY || true)
  [ -n "$summaries" ] && { echo "${n^^}:"; echo "$summaries" | sed 's/^/  /'; }
done

say "checking the run from the audit logs (lost / duplicated / unreceipted / out of order)"
"$hotline" history "$run"

say "after-action report: how each nation performed, from the audit logs (verified first)"
"$hotline" report "$run" --certs "$run/certs"
echo "Open it in a browser (one self-contained file, works offline): $run/report.html"
echo
echo "Scenario: $scenario (others in exercises/: hotline exercise run FILE)"
echo "Logs:     $run/relay-*/relay.log  $run/node-*/node.log"
echo "Stores:   $run/relay-*/relay.db   $run/node-*/node.db   (SQLite; open with sqlite3)"
echo "Certs:    $run/certs (private keys mode 0600)"
