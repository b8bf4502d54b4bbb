#!/usr/bin/env bash
# Installs what Parley needs to build and run on Debian 12, and nothing that is already there.
# Idempotent: a second run does no network work.  Usage: scripts/install-deps.sh [--test]
#   --test  also installs what the test suite needs (Python WebSocket client, msgpack, pytest,
#           PyJWT with cryptography for RS256/ES256 keys and tokens, and the PostgreSQL server
#           the store tests start a throwaway instance of, and Debian's Chromium, which the
#           browser tests drive headless with playwright-core from npm).
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(build-essential cmake ninja-build ccache pkg-config
  libcaf-dev libboost1.81-dev libboost-json1.81-dev libspdlog-dev libsqlite3-dev
  libpqxx-dev libtomlplusplus-dev libjwt-dev libssl-dev libmimalloc-dev)
# Node.js builds the JavaScript SDK that the demo page (web/) uses; a newer node already on
# the machine is kept (only the missing command is installed).
command -v node >/dev/null || build_pkgs+=(nodejs)
command -v npm >/dev/null || build_pkgs+=(npm)
test_pkgs=(python3 python3-websocket python3-msgpack python3-pytest python3-jwt python3-cryptography
  postgresql chromium)

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# msgpack-cxx is header-only, but its Debian package depends on libboost-dev (Boost 1.74), which
# conflicts with Boost 1.81 (needed for Boost.JSON).  Unpack the .deb into third_party/ instead
# of installing it (TOOLCHAIN.md section 1).
mp=third_party/msgpack-cxx
if [[ ! -f $mp/usr/include/msgpack.hpp ]]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download libmsgpack-cxx-dev 2>/dev/null)
  mkdir -p "$mp" && dpkg-deb -x "$tmp"/libmsgpack-cxx-dev_*.deb "$mp"
fi
