#!/usr/bin/env bash
# Assembles the demo page that `parley serve` serves at / into BUILD_DIR/web (default
# build/web, found by the binary at build/apps/../web): a copy of web/ plus sdk/, the
# compiled JavaScript SDK (clients/js/dist). npm ci runs only when clients/js's lock file
# changed since the last install; tsc is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build}/web
sdk=clients/js
if ! command -v npm >/dev/null; then
  echo "build-web: npm not found (scripts/install-deps.sh installs it): no demo page" >&2
  exit 0
fi
if ! cmp -s "$sdk/package-lock.json" "$sdk/node_modules/.installed-lock" 2>/dev/null; then
  (cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$sdk/package-lock.json" "$sdk/node_modules/.installed-lock"
fi
(cd "$sdk" && npx --no-install tsc -p tsconfig.json)
rm -rf "$out.tmp" && mkdir -p "$out.tmp/sdk"
cp -R web/. "$out.tmp/"
cp -R "$sdk/dist/." "$out.tmp/sdk/"
rm -f "$out.tmp/sdk/.tsbuildinfo"
rm -rf "$out" && mv "$out.tmp" "$out"
