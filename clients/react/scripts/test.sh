#!/usr/bin/env bash
# Builds the React binding and runs its tests against a real broker.
#   PARLEY_BIN  the broker binary (absolute path; default ../../build/apps/parley from clients/react)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

export PARLEY_BIN="${PARLEY_BIN:-$(cd "$here/../.." && pwd)/build/apps/parley}"
if [[ ! -x "$PARLEY_BIN" ]]; then
  echo "test.sh: PARLEY_BIN=$PARLEY_BIN is not an executable (build the broker first)" >&2
  exit 1
fi

# The SDK (a file:../js dependency) is used from its dist/: build it when that is missing.
if [[ ! -f ../js/dist/index.js ]]; then
  (cd ../js && npm ci --no-audit --no-fund --loglevel=error && npx tsc -p tsconfig.json)
fi

# npm ci only when node_modules is missing or package.json / the lock file changed.
stamp=node_modules/.parley-deps-stamp
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

npx tsc -p tsconfig.json
exec node --test --test-reporter=spec test/*.test.js
