#!/usr/bin/env bash
# README's demo command: installs missing Debian packages, builds, then runs
# two relays and the US, JP and KR nodes on loopback, plays a scripted
# crisis, prints the timeline, and stops everything cleanly.
#   bash scripts/demo.sh              # the demo
#   bash scripts/demo.sh --kill-relay # also kill -9 the relay in use mid-scenario
#   bash scripts/demo.sh --no-build   # skip install and build (binaries in build/)
#   bash scripts/demo.sh --console    # then keep everything running with the three
#                                     # operator consoles and a situation room page
#                                     # (ports HOTLINE_CONSOLE_PORT, +1, +2; default 8401)
# HOTLINE_DEMO_DIR (default run/demo) holds its certificates, stores and logs;
# HOTLINE_DEMO_BIN (default build) is the build tree whose binaries it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=1 kill_relay=0 consoles=0
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --kill-relay) kill_relay=1 ;;
    --console) consoles=1 ;;
    *) echo "usage: bash scripts/demo.sh [--kill-relay] [--console] [--no-build]" >&2; exit 2 ;;
  esac
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
mkdir -p "$run"
pids=()

stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done  # killed ones are gone already
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
trap stop_all EXIT

# Waits (bounded) until a command succeeds.
wait_for() {
  local what=$1; shift
  for _ in $(seq 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "demo: timed out waiting for $what" >&2
  exit 1
}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ ! -f "$run/certs/root.doc" ]; then
  # Absent, or made before the joint root (root.cert): demo material, remade.
  say "creating trust material in run/demo/certs"
  rm -rf "$run/certs"
  "$hotline" certs init --demo --certs "$run/certs" --relays 2
fi
rm -rf "$run"/relay-* "$run"/node-* "$run"/*.addr

say "starting relay-1 and relay-2"
relays=()
relay_pids=()
for r in 1 2; do
  mkdir -p "$run/relay-$r"
  "$bin/server/hotline-relay" --certs "$run/certs" --name "relay-$r" --listen 127.0.0.1:0 \
    --data "$run/relay-$r" --ready-file "$run/relay-$r.addr" --log-file "$run/relay-$r/relay.log" &
  pids+=($!)
  relay_pids+=($!)
  wait_for "relay-$r" test -s "$run/relay-$r.addr"
  relays+=(--relay "$(cat "$run/relay-$r.addr")")
  echo "relay-$r listening on $(cat "$run/relay-$r.addr")"
done

say "starting the national nodes US, JP and KR"
console_port=${HOTLINE_CONSOLE_PORT:-8401}
declare -A console_args
if [ "$consoles" = 1 ]; then
  # Each console may be framed by the situation room (served by the US one).
  frame=()
  for i in 0 1 2; do frame+=(--console-frame-ancestor "http://127.0.0.1:$((console_port + i))"); done
  i=0
  for n in us jp kr; do
    console_args[$n]="--console 127.0.0.1:$((console_port + i)) ${frame[*]}"
    i=$((i + 1))
  done
fi
for n in us jp kr; do
  mkdir -p "$run/node-$n"
  # shellcheck disable=SC2086  # the console arguments are split on purpose
  "$bin/client/hotline-node" --nation "$n" --certs "$run/certs" --data "$run/node-$n" "${relays[@]}" \
    --log-file "$run/node-$n/node.log" ${console_args[$n]:-} &
  pids+=($!)
done
for n in us jp kr; do
  wait_for "node $n" bash -c "'$hotline' status --node '$run/node-$n' | grep -q UP"
  echo "node-$n up: $("$hotline" status --node "$run/node-$n" | grep -c ' UP ') relay link(s)"
done

US=(--node "$run/node-us"); JP=(--node "$run/node-jp"); KR=(--node "$run/node-kr")

say "1. KR detects a launch: FLASH missile warning (EXERCISE) to US and JP"
warn=$("$hotline" warn "${KR[@]}" --to US,JP --status exercise --event-id KR-2026-1122-01 \
  --launch-lat 39.0 --launch-lon 125.7 --azimuth 95 --impact-lat 40.5 --impact-lon 135.0 \
  --confidence 90 --source "ROK JCS radar" --remarks "Trilateral drill DEMO")
echo "KR sent $warn"
"$hotline" wait "${KR[@]}" "$warn" --tier delivered --timeout 10 >/dev/null
echo "--- as the US operator sees it:"
"$hotline" inbox "${US[@]}" show "$warn"

say "2. KR tracks the launch live to US and JP (simulated, EXERCISE) through a relay failover"
# Watchers at US and JP print each applied update (lines: not a terminal).
"$hotline" track watch "${US[@]}" --for 60s >"$run/track-us.txt" 2>&1 &
watch_us=$!
"$hotline" track watch "${JP[@]}" --for 60s >"$run/track-jp.txt" 2>&1 &
watch_jp=$!
pids+=("$watch_us" "$watch_jp")
"$hotline" track publish "${KR[@]}" --to US,JP --simulate --track-id KR-2026-1122-01-T1 \
  --sensor "ROK Green Pine radar" --launch-lat 39.0 --launch-lon 125.7 --azimuth 95 \
  --range-km 850 --duration 6s --rate 20 --status exercise >"$run/track-publish.txt" 2>&1 &
publisher=$!
wait_for "US to see the track" grep -q "KR-2026-1122-01-T1 #2" "$run/track-us.txt"
if [ "$kill_relay" = 1 ]; then
  echo "FAILOVER mid-track: kill -9 relay-1"
  { kill -KILL "${relay_pids[0]}"; wait "${relay_pids[0]}"; } 2>/dev/null || true
else
  echo "FAILOVER mid-track: relay-1 frozen (SIGSTOP) for the rest of the flight"
  kill -STOP "${relay_pids[0]}"
fi
wait "$publisher"
cat "$run/track-publish.txt"
if [ "$kill_relay" = 0 ]; then kill -CONT "${relay_pids[0]}"; echo "relay-1 resumed"; fi
for n in us jp; do
  wait_for "${n^^} to check the last track summary" bash -c \
    "'$hotline' audit export '$run/node-$n/node.db' 2>/dev/null | grep TRACK_SUMMARY | grep -q ended"
done
echo "--- live at US (first and last updates applied):"
grep -m 3 ' track ' "$run/track-us.txt"  # -m: no pipe into head (SIGPIPE under pipefail)
echo "   ..."
grep ' track ' "$run/track-us.txt" | tail -n 2
echo "--- what each nation received, from its audit log (KR's summaries checked):"
for n in us jp; do
  echo "${n^^}:"
  "$hotline" audit export "$run/node-$n/node.db" | grep TRACK_SUMMARY | sed 's/^/  /'
done

say "3. US and JP operators acknowledge the warning"
us_ack=$("$hotline" ack "${US[@]}" "$warn" --reply "US INDOPACOM tracking; stand by for consultation")
echo "$us_ack"
"$hotline" ack "${JP[@]}" "$warn"
"$hotline" wait "${KR[@]}" "$warn" --tier acknowledged --timeout 10 >/dev/null
us_reply=${us_ack##*reply }
"$hotline" wait "${US[@]}" "$us_reply" --tier delivered --timeout 10 >/dev/null
echo "--- KR reads the US reply and acknowledges it:"
"$hotline" inbox "${KR[@]}" show "$us_reply" | tail -n 3
"$hotline" ack "${KR[@]}" "$us_reply"
"$hotline" wait "${US[@]}" "$us_reply" --tier acknowledged --timeout 10 >/dev/null

if [ "$kill_relay" = 1 ]; then
  say "FAILOVER: relay-1, the relay every node was using, was killed mid-track (step 2)"
  for n in us jp kr; do
    wait_for "node-$n to notice" bash -c "'$hotline' status --node '$run/node-$n' | grep -q '$(cat "$run/relay-1.addr")  DOWN'"
  done
  "$hotline" status "${KR[@]}" --limit 0
  echo "Every node detected the dead relay; the scenario carries on through relay-2."
fi

say "4. JP invokes the commitment to consult"
consult=$("$hotline" consult "${JP[@]}" request --topic "KR-2026-1122-01 launch" \
  --question "Issue a joint statement within the hour?" --respond-within 30)
echo "JP sent $consult"
"$hotline" wait "${JP[@]}" "$consult" --tier delivered --timeout 10 >/dev/null

say "5. US and KR answer the consultation and acknowledge it"
us_answer=$("$hotline" consult "${US[@]}" respond "$consult" --position concur --text "Concur; draft follows")
kr_answer=$("$hotline" consult "${KR[@]}" respond "$consult" --position need-time --text "Need 20 minutes")
"$hotline" ack "${US[@]}" "$consult" >/dev/null
"$hotline" ack "${KR[@]}" "$consult" >/dev/null
"$hotline" wait "${JP[@]}" "$consult" --tier acknowledged --timeout 10 >/dev/null
"$hotline" wait "${US[@]}" "$us_answer" --tier delivered --timeout 10 >/dev/null
"$hotline" wait "${KR[@]}" "$kr_answer" --tier delivered --timeout 10 >/dev/null
for id in "$us_answer" "$kr_answer"; do
  "$hotline" ack "${JP[@]}" "$id" >/dev/null
done
"$hotline" wait "${US[@]}" "$us_answer" --tier acknowledged --timeout 10 >/dev/null
"$hotline" wait "${KR[@]}" "$kr_answer" --tier acknowledged --timeout 10 >/dev/null

say "6. US opens the crisis line to all: FLASH"
crisis=$("$hotline" send "${US[@]}" --to all --channel crisis --text "Leaders' call in 15 minutes; secure line 1")
"$hotline" wait "${US[@]}" "$crisis" --tier delivered --timeout 10 >/dev/null  # in both inboxes
for node in JP KR; do
  declare -n who=$node
  "$hotline" ack "${who[@]}" "$crisis" >/dev/null
done
"$hotline" wait "${US[@]}" "$crisis" --tier acknowledged --timeout 10 >/dev/null

say "Timeline (per sender; times relative to sending)"
for n in kr jp us; do
  echo "--- sent by ${n^^}:"
  "$hotline" status --node "$run/node-$n" --limit 10 | grep -v -e '^node ' -e '^  relay '
done

if [ "$consoles" = 1 ]; then
  say "The consoles are running (Ctrl-C stops everything)"
  links=()
  for n in us jp kr; do
    echo "${n^^} console: $("$hotline" console link --node "$run/node-$n")"
    links+=("$("$hotline" console link --node "$run/node-$n")")
  done
  room="http://127.0.0.1:$console_port/room.html"
  sep='?'
  for l in "${links[@]}"; do
    room+="${sep}c=$(printf '%s' "$l" | sed 's/:/%3A/g; s#/#%2F#g; s/?/%3F/g; s/=/%3D/g')"
    sep='&'
  done
  echo
  echo "Situation room (US, JP and KR side by side): $room"
  echo
  echo "Each link signs in once (as duty-officer); for more: hotline console link --node $run/node-us"
  echo "Operator accounts with passwords: hotline operators add NAME --node $run/node-us"
  stop_requested=0
  trap 'stop_requested=1' INT TERM
  while [ "$stop_requested" = 0 ]; do sleep 1; done
  trap - INT TERM
fi

say "stopping nodes and relays"
stop_all
trap - EXIT
echo "All processes stopped cleanly."

say "checking the run from the audit logs (lost / duplicated / unreceipted / out of order)"
"$hotline" history "$run"

say "after-action report: how each nation performed, from the audit logs (verified first)"
"$hotline" report "$run" --certs "$run/certs"
echo "Open it in a browser (one self-contained file, works offline): $run/report.html"
echo
echo "Logs:   $run/relay-*/relay.log  $run/node-*/node.log"
echo "Stores: $run/relay-*/relay.db   $run/node-*/node.db   (SQLite; open with sqlite3)"
echo "Certs:  $run/certs (private keys mode 0600)"
