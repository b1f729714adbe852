#!/usr/bin/env bash
# README's demo command: installs missing Debian packages, builds, and runs
# what exists of the three-node demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
echo "The relay and node daemons are not built yet (issue 3); this demo shows the foundation:"
run=run/demo
rm -rf "$run" && mkdir -p "$run"
./build/client/hotline certs init --dir "$run/certs" --relays 2
./build/client/hotline certs show node-kr --dir "$run/certs"
echo "Trust material is in $run/certs (private keys mode 0600)."
