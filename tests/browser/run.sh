#!/usr/bin/env bash
# Browser tests of the demo chat page: starts a broker that serves the assembled page
# (parley serve --web-dir), then drives Debian's chromium headless with playwright-core
# (node --test chat.test.mjs). Never downloads a browser.
#
# Environment:
#   PARLEY_BIN          the parley binary (absolute path; default build/apps/parley)
#   PARLEY_WEB_DIR      the assembled page: web/ plus sdk/ (default build/web)
#   PARLEY_TEST_OUTPUT  where screenshots go (default build/test-output)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
chromium=/usr/bin/chromium

abs() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$root/$1" ;; esac; }
bin=$(abs "${PARLEY_BIN:-build/apps/parley}")
web_dir=$(abs "${PARLEY_WEB_DIR:-build/web}")
out_dir=$(abs "${PARLEY_TEST_OUTPUT:-build/test-output}")

fail() { echo "browser tests: $*" >&2; exit 1; }
[[ -x $chromium ]] || fail "$chromium not found: install Debian's chromium (apt-get install -y chromium)"
command -v node >/dev/null || fail "node not found (Node 20 or later is needed)"
command -v npm >/dev/null || fail "npm not found"
[[ -x $bin ]] || fail "no parley binary at $bin (set PARLEY_BIN)"
[[ -f $web_dir/index.html && -f $web_dir/sdk/index.js ]] ||
  fail "no assembled page in $web_dir (index.html and sdk/index.js; scripts/build-web.sh makes it)"

# node_modules follows package-lock.json: reinstall only when the lock file changed.
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.installed-lock" 2>/dev/null; then
  (cd "$here" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$here/node_modules/.installed-lock"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-browser.XXXXXX")
mkdir -p "$tmp/data" "$tmp/browser" "$out_dir"
control=$tmp/control
mkfifo "$control"
exec 4<>"$control"   # held open, so that writing a command never blocks

# The broker runs under a small supervisor that takes commands from the $control FIFO, so
# that a test can stop it and start it again on the same address and data directory (a
# genuine restart): "stop" (SIGTERM, waits for the exit), "start", "quit" (stop and end).
supervise() {
  local pid= address=
  broker_start() {
    "$bin" serve --listen "${address:-127.0.0.1:0}" --data-dir "$tmp/data" --web-dir "$web_dir" \
      >>"$tmp/broker.out" 2>>"$tmp/broker.err" &
    pid=$!
    echo "$pid" >"$tmp/broker.pid"
  }
  broker_stop() {
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    # Bounded: a broker still running after 15 s is killed.
    (trap 'kill "$s" 2>/dev/null; exit 0' TERM; sleep 15 & s=$!; wait "$s"; kill -KILL "$pid") \
      >/dev/null 2>&1 4>&- &
    local dog=$!
    wait "$pid" 2>/dev/null || true
    kill "$dog" 2>/dev/null || true
    wait "$dog" 2>/dev/null || true
    pid=
  }
  broker_start
  local cmd
  while read -r cmd <&4; do
    address=$(sed -n '1s/^parley: listening on //p' "$tmp/broker.out")
    case $cmd in
      stop) broker_stop ;;
      start) [[ -n $pid ]] || broker_start ;;
      quit) broker_stop; return 0 ;;
    esac
  done
}

supervisor=
cleanup() {
  local status=$?
  if [[ -n $supervisor ]]; then
    echo quit >&4
    wait "$supervisor" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -s $tmp/broker.err ]]; then
    echo "--- broker log (last 40 lines) ---" >&2
    tail -n 40 "$tmp/broker.err" >&2
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

supervise &
supervisor=$!

# The broker prints "parley: listening on HOST:PORT" once it accepts connections.
address=
for _ in $(seq 200); do
  address=$(sed -n '1s/^parley: listening on \([0-9.]*:[0-9]*\)$/\1/p' "$tmp/broker.out" 2>/dev/null)
  [[ -n $address ]] && break
  if [[ -s $tmp/broker.pid ]] && ! kill -0 "$(cat "$tmp/broker.pid")" 2>/dev/null; then
    fail "the broker exited at start"
  fi
  sleep 0.1
done
[[ -n $address ]] || fail "the broker did not report its address within 20 s"
echo "browser tests: broker on $address, page from $web_dir"

# TMPDIR: the browser's fresh profile (user-data-dir) is created there and removed with $tmp.
export PARLEY_URL="http://$address" PARLEY_TEST_OUTPUT="$out_dir" PARLEY_CHROMIUM="$chromium" \
  PARLEY_BROKER_CONTROL="$control"
TMPDIR="$tmp/browser" timeout 170 node --test --test-reporter=spec --test-timeout=150000 \
  "$here/chat.test.mjs"
