#!/usr/bin/env bash
# Installs what is missing, builds Parley (Release) and runs `parley serve` on
# 127.0.0.1:8080 with the embedded SQLite store in ./parley-data. Extra arguments go to
# `parley serve` (e.g. --listen 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
exec ./build/apps/parley serve "$@"
