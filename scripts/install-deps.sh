#!/usr/bin/env bash
# Installs the Debian 12 packages the build, tests and demo need; skips what is present.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libsodium-dev libboost-dev libboost-system-dev
  protobuf-compiler libprotobuf-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev sqlite3 libcli11-dev
  python3 python3-dissononce python3-nacl python3-protobuf
  clang libclang-rt-14-dev
  chromium chromium-driver python3-selenium
  prometheus systemd
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
