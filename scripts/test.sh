#!/usr/bin/env bash
# Installs what is missing (build and test dependencies), builds Parley and runs every
# test: unit tests (CAF's test framework) and system tests (pytest against the real binary,
# each starting its own brokers on loopback in temp dirs). Extra arguments go to ctest
# (e.g. -L unit, -R system.test_chat).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test
./scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@"
