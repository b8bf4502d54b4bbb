#!/usr/bin/env bash
# Configures and builds Parley (Release, Ninja, ccache when present) into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
fi
cmake --build build -j "$(nproc)"
# The demo page (web/ + the JavaScript SDK) next to the binary: build/web.
if [[ -d web ]]; then ./scripts/build-web.sh build; fi
