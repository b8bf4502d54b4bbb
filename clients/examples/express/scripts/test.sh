#!/usr/bin/env bash
# Tests the Express example (docs/embedding.md) against a real broker.
#   PARLEY_BIN  the broker binary (absolute path; default ../../../build/apps/parley from here)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

export PARLEY_BIN="${PARLEY_BIN:-$(cd "$here/../../.." && pwd)/build/apps/parley}"
if [[ ! -x "$PARLEY_BIN" ]]; then
  echo "test.sh: PARLEY_BIN=$PARLEY_BIN is not an executable (build the broker first)" >&2
  exit 1
fi

# npm ci only when node_modules is missing or the lock file changed since the last install.
stamp=node_modules/.parley-deps-stamp
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

exec node --test --test-reporter=spec test/*.test.js
