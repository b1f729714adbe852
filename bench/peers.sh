#!/usr/bin/env bash
# The hotline beside NATS (JetStream) and Mosquitto, in one run on loopback
# (issue 16): installs the Debian packages it lacks, builds, starts the
# peers and the hotline in temporary folders, runs the same two workloads on
# each, and prints one table with the ratios. Everything it starts, it stops.
#
#   bash bench/peers.sh [--probes N] [--acked N]
set -euo pipefail
cd "$(dirname "$0")/.."
probes=200
acked=20000
while [ $# -gt 0 ]; do
  case "$1" in
    --probes) probes=$2; shift 2 ;;
    --acked) acked=$2; shift 2 ;;
    *) echo "usage: bash bench/peers.sh [--probes N] [--acked N]" >&2; exit 2 ;;
  esac
done

missing=()
for p in nats-server mosquitto; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
bash scripts/install-deps.sh
HOTLINE_BUILD_TARGETS="hotline_peers hotline_load" bash scripts/build.sh

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "peers: NATS and Mosquitto ($probes urgent probes, $acked acknowledged publishes)..." >&2
build/bench/hotline_peers --probes "$probes" --acked "$acked" | tee "$out/peers.txt" >&2
echo "hotline: FLASH into a ROUTINE backlog draining to the same recipient..." >&2
build/bench/hotline_load flash-latency --messages "$probes" --background small --window 1000 \
  | tee "$out/flash.txt" >&2
echo "hotline: relay acceptance after fsync..." >&2
build/bench/hotline_load relay-throughput --messages 100000 --accept-only | tee "$out/relay.txt" >&2

python3 - "$out" <<'EOF'
import re, sys
out = sys.argv[1]
peers = {}
for line in open(out + "/peers.txt"):
    peer, what, value, unit = line.split()
    peers[(peer, what)] = float(value)
flash = open(out + "/flash.txt").read()
m = re.search(r"p50 (\d+) us\s+p90 \d+ us\s+p99 (\d+) us", flash)
ours_p50, ours_p99 = int(m.group(1)) / 1000, int(m.group(2)) / 1000
relay = open(out + "/relay.txt").read()
ours_acked = float(re.findall(r"([\d.]+) msg/s", relay)[0])

print()
print("| urgent message while a flood drains on the same path | p50 | p99 | p99 ratio to the hotline |")
print("|---|---:|---:|---:|")
print(f"| hotline FLASH, send → signed receipt (round trip, E2E, fsync'd at 4 hops) | {ours_p50:.1f} ms | {ours_p99:.1f} ms | 1.0 |")
for peer, name in (("nats", "NATS"), ("mosquitto", "Mosquitto")):
    for conn in ("same", "own"):
        p50 = peers[(peer, f"urgent-{conn}-connection-p50")]
        p99 = peers[(peer, f"urgent-{conn}-connection-p99")]
        where = "the flood's connection" if conn == "same" else "a connection of its own"
        print(f"| {name}, one way, urgent on {where} | {p50:.1f} ms | {p99:.1f} ms | {p99 / ours_p99:.2f} |")
print()
print("| acknowledged publish throughput | msg/s | ratio to the hotline |")
print("|---|---:|---:|")
print(f"| hotline relay, each accepted after its fsync'd commit | {ours_acked:,.0f} | 1.0 |")
js = peers[("nats", "acked-jetstream-sync")]
q1 = peers[("mosquitto", "acked-qos1-sync")]
print(f"| NATS JetStream (file storage, not fsync'd per message), sync publish | {js:,.0f} | {js / ours_acked:.2f} |")
print(f"| Mosquitto QoS 1 (acknowledged from memory), sync publish | {q1:,.0f} | {q1 / ours_acked:.2f} |")
EOF
