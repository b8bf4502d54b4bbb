#!/usr/bin/env bash
# Builds the SDK and runs its tests (unit tests, and integration tests against a real
# `parley` binary; each test starts its own broker on 127.0.0.1 port 0 in a temp dir).
#   PARLEY_BIN  absolute path of the parley binary (default: ../../build/apps/parley)
set -euo pipefail
cd "$(dirname "$0")/.."

export PARLEY_BIN="${PARLEY_BIN:-$(cd ../.. && pwd)/build/apps/parley}"
if [[ ! -x "$PARLEY_BIN" ]]; then
  echo "test.sh: no parley binary at $PARLEY_BIN (set PARLEY_BIN)" >&2
  exit 1
fi

# `npm ci` only when needed: node_modules missing, or the lock file changed since the last
# install (a copy of the lock that was installed is kept in node_modules to compare).
if [[ ! -d node_modules ]] || ! cmp -s package-lock.json node_modules/.installed-package-lock.json; then
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.installed-package-lock.json
fi

npx tsc -p tsconfig.json
# Test files run one after another (each starts brokers; the machine may be small).
node --test --test-concurrency=1 --test-timeout=60000 test/*.test.mjs
