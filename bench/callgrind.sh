#!/usr/bin/env bash
# Instructions per message: the broker under valgrind's callgrind during a closed-loop
# fan-out, counting only a window of its steady state, then the counts divided by the
# messages and deliveries the broker's /metrics saw in that window.
#
#   bench/callgrind.sh [OUT] [parley-bench fanout options...]
#   e.g. bench/callgrind.sh /tmp/parley.callgrind --rooms 50 --subscribers 10 --in-flight 64
#
# perf on this VM samples time (no hardware counters); callgrind counts every instruction
# of user space exactly (not the kernel's, not stalls), so it shows what the code itself
# asks of the CPU per message, and which library asks it. The broker runs with one I/O and
# one scheduler thread (valgrind serialises threads anyway). Defaults: 50 rooms x 10, one
# publisher per room, 64 sends in flight, the window from 25 s after the start for 10 s.
# Environment: PARLEY_BIN_DIR (another build), WINDOW_AT_S, WINDOW_S, TOP (functions listed).
# Needs valgrind (Debian: valgrind) and curl. Prints per-library shares, the top functions
# (self and inclusive) and the instructions per message and per delivery.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$(mktemp /tmp/parley.callgrind.XXXX)}; shift || true
bin=${PARLEY_BIN_DIR:-$here/build/apps}
at=${WINDOW_AT_S:-25}; window=${WINDOW_S:-10}; top=${TOP:-25}
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null \
  || { echo "callgrind.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
secret=bench-secret-0123456789abcdef0123456789
dir=$(mktemp -d /tmp/parley-callgrind.XXXX)
broker=; bench=
cleanup() {
  [[ -n $bench ]] && kill "$bench" 2>/dev/null || true
  [[ -n $broker ]] && kill "$broker" 2>/dev/null && wait "$broker" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# Instrumentation off until the window: the start, the connections and the warm-up run at
# valgrind's uninstrumented speed and are not counted.
PARLEY_CONNECTIONS_PER_IP=0 PARLEY_CONNECTIONS_PER_USER=0 valgrind --tool=callgrind \
  --instr-atstart=no --callgrind-out-file="$out" "$bin/parley" serve --listen 127.0.0.1:0 \
  --store "sqlite:$dir/parley.db" --data-dir "$dir" --jwt-secret "$secret" \
  --rate-per-s 1000000 --rate-burst 1000000 --max-requests-in-flight 100000 --log-level warn \
  --scheduler-threads 1 --io-threads 1 >"$dir/out" 2>"$dir/err" &
broker=$!
for _ in $(seq 600); do grep -q 'listening on' "$dir/out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -m1 -o 'listening on [^ ]*' "$dir/out" | grep -o '[0-9]*$') \
  || { echo "callgrind.sh: the broker did not start" >&2; cat "$dir/err" >&2; exit 1; }

args=(--rooms 50 --subscribers 10 --publishers 1 --in-flight 64 "$@")
"$bin/parley-bench" fanout "${args[@]}" --rate 0 --warmup 10 --duration $((at + window)) \
  --source-ips 4 --system parley --secret "$secret" --host 127.0.0.1 --port "$port" \
  >"$dir/bench.out" 2>"$dir/bench.err" &
bench=$!

# parley_events_committed_total and parley_deliveries_total, "messages deliveries".
counts() {
  curl -sf --max-time 10 "http://127.0.0.1:$port/metrics" \
    | awk '$1 == "parley_events_committed_total" {m = $2} $1 == "parley_deliveries_total" {d = $2}
           END {print m + 0, d + 0}'
}
sleep "$at"
read -r m0 d0 < <(counts)
callgrind_control -i on "$broker" >/dev/null
sleep "$window"
callgrind_control -i off "$broker" >/dev/null
read -r m1 d1 < <(counts)
wait "$bench" || { echo "callgrind.sh: the load generator failed" >&2; cat "$dir/bench.err" >&2; exit 1; }
bench=
kill "$broker"; wait "$broker" 2>/dev/null || true  # callgrind writes $out on exit
broker=

messages=$((m1 - m0)); deliveries=$((d1 - d0))
(( messages > 0 )) || { echo "callgrind.sh: no messages committed in the window" >&2; exit 1; }
total=$(callgrind_annotate "$out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "window: ${window} s, $messages messages, $deliveries deliveries; $total instructions:" \
  "$((total / messages)) per message, $((total / (deliveries > 0 ? deliveries : 1))) per delivery"
echo "by library (self):"
callgrind_annotate --threshold=100 "$out" | awk -v total="$total" '
  /^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/ {
    ir = $1; gsub(",", "", ir)
    lib = "?"; if (match($0, /\[[^]]*\]$/)) { n = split(substr($0, RSTART + 1, RLENGTH - 2), p, "/"); lib = p[n] }
    sum[lib] += ir
  }
  END { for (l in sum) printf "  %6.2f %%  %s\n", 100 * sum[l] / total, l }' | sort -rn
echo "top functions, self:"
callgrind_annotate "$out" | grep -E '^ *[0-9,]+ \(' | grep -v 'PROGRAM TOTALS' | head -"$top" | cut -c1-160
echo "top functions, inclusive:"
callgrind_annotate --inclusive=yes "$out" | grep -E '^ *[0-9,]+ \(' | grep -v 'PROGRAM TOTALS' \
  | head -"$top" | cut -c1-160
echo "profile: $out (callgrind_annotate, kcachegrind)"
