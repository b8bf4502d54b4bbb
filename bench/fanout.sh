#!/usr/bin/env bash
# Reproducible fan-out measurement: starts a fresh broker (SQLite store in a temp dir,
# persistence on) on a free loopback port, runs `parley-bench fanout` RUNS times against it,
# prints each run's JSON line and the median of each latency figure.
#
#   bench/fanout.sh [RUNS] [parley-bench options...]
#   e.g. bench/fanout.sh 3 --rooms 1 --subscribers 100 --rate 1000 --duration 10
#
# Environment: BROKER_CPUS / BENCH_CPUS pin the processes with taskset (e.g. 0 and 1);
# unset, both share the machine's cores. PARLEY_BIN_DIR runs another build (a baseline).
# Each JSON line gets the broker's CPU time, in total and per thread name (parley.io,
# parley.writer, parley.reader; CAF's scheduler worker shows as caf.multiplexer, the name
# it inherits), and the summary their medians.
#
# IDLE_CONNECTIONS=N holds N more connections open beside the fan-out (authenticated, each
# joined to one of 100 rooms, silent: `parley-bench connect`), opened together before it
# starts, as after a restart; their heartbeats are the broker's work too. BROKER_ARGS adds
# flags to the broker, e.g. BROKER_ARGS="--heartbeat-ms 3000" to have pings within a run:
#   IDLE_CONNECTIONS=18000 BROKER_ARGS="--heartbeat-ms 3000" BROKER_CPUS=0 BENCH_CPUS=1 \
#     bench/fanout.sh 5 --rooms 20 --subscribers 10 --rate 200 --duration 12 --warmup 1 --source-ips 4
# STORM_AFTER_S=S opens them S seconds after the fan-out starts instead (a connect storm
# during the run; the storm's load generator runs at nice 19, so that the one measuring the
# fan-out keeps its CPU when they share one). With it, STORM_HOLD_S=H closes them all H
# seconds after they are open (a disconnect storm within the run; default: held for an
# hour), and STORM_HISTORY=M makes it a reconnect storm's resume: M messages stored in
# each of the storm's rooms first, and every join replays them (parley-bench --history).
#   IDLE_CONNECTIONS=18000 STORM_AFTER_S=4 STORM_HOLD_S=4 BROKER_CPUS=0 BENCH_CPUS=1 \
#     bench/fanout.sh 1 --rooms 20 --subscribers 10 --rate 200 --duration 14 --warmup 1 --source-ips 4
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}; shift || true
bin=${PARLEY_BIN_DIR:-$here/build/apps}
secret=bench-secret-0123456789abcdef0123456789
pin() { if [[ -n "${1:-}" ]]; then echo "taskset -c $1"; fi; }
# utime + stime of a process, in clock ticks (1/100 s).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The same per thread name, summed over the threads that share one: "name ticks" lines.
thread_ticks() {
  local t
  for t in "/proc/$1/task/"*; do
    printf '%s %s\n' "$(tr ' ' _ <"$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
  done 2>/dev/null | awk '{a[$1] += $2} END {for (k in a) print k, a[k]}' | sort
}
# Waits (at most 120 s) until the broker on port $1 counts at least $2 sessions.
wait_for_sessions() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, time, urllib.request
port, want = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=5).read().decode()
    have = [float(l.split()[1]) for l in text.splitlines() if l.startswith("parley_sessions ")]
    if have and have[0] >= want:
        sys.exit(0)
    time.sleep(0.2)
sys.exit("idle connections: fewer than %d sessions after 120 s" % want)
PY
}
results=$(mktemp)
for ((i = 1; i <= runs; i++)); do
  sync  # the previous run's files are not on their way to the disk during this one
  dir=$(mktemp -d)
  # No connection limits (environment, not flags: a baseline build may not know them).
  PARLEY_CONNECTIONS_PER_IP=0 PARLEY_CONNECTIONS_PER_USER=0 \
  $(pin "${BROKER_CPUS:-}") "$bin/parley" serve --listen 127.0.0.1:0 --store "sqlite:$dir/parley.db" \
    --data-dir "$dir" --jwt-secret "$secret" --rate-per-s 1000000 --rate-burst 1000000 \
    --max-requests-in-flight 100000 ${BROKER_ARGS:-} > "$dir/out" 2> "$dir/err" &
  broker=$!
  for _ in $(seq 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.1; done
  port=$(grep -o '[0-9]*$' "$dir/out")
  idle=
  if (( ${IDLE_CONNECTIONS:-0} > 0 )) && [[ -n ${STORM_AFTER_S:-} ]]; then
    (sleep "$STORM_AFTER_S"
     exec setsid nice -n 19 $(pin "${BENCH_CPUS:-}") "$bin/parley-bench" connect --port "$port" \
       --secret "$secret" --connections "$IDLE_CONNECTIONS" --rooms 100 \
       --hold "${STORM_HOLD_S:-3600}" --history "${STORM_HISTORY:-0}" --processes 2 \
       --source-ips 4 > "$dir/idle" 2>&1) &
    idle=$!
  elif (( ${IDLE_CONNECTIONS:-0} > 0 )); then
    # A process group of its own (setsid): its worker processes stop with it.
    setsid $(pin "${BENCH_CPUS:-}") "$bin/parley-bench" connect --port "$port" --secret "$secret" \
      --connections "$IDLE_CONNECTIONS" --rooms 100 --hold 3600 --processes 2 --source-ips 4 \
      > "$dir/idle" 2>&1 &
    idle=$!
    wait_for_sessions "$port" "$IDLE_CONNECTIONS"
  fi
  cpu_before=$(cpu_ticks "$broker")
  threads_before=$(thread_ticks "$broker")
  line=$($(pin "${BENCH_CPUS:-}") "$bin/parley-bench" fanout --port "$port" --secret "$secret" "$@" | tail -1)
  cpu_after=$(cpu_ticks "$broker")
  # Threads started during the run (none so far) count from zero.
  threads=$(join -a 2 -e 0 -o 0,1.2,2.2 <(echo "$threads_before") <(thread_ticks "$broker") |
    awk '{printf "%s\"%s\":%.2f", (NR > 1 ? "," : ""), $1, ($3 - $2) / 100}')
  # The broker's CPU time (user + system) over the run, beside the bench's own figures.
  line=${line%\}},\"broker_cpu_s\":$(( (cpu_after - cpu_before) ))e-2,\"broker_threads_cpu_s\":{$threads}\}
  echo "$line" | tee -a "$results"
  if [[ -n $idle ]]; then
    kill -- "-$idle" 2>/dev/null || kill "$idle" 2>/dev/null || true
    wait "$idle" || true
  fi
  kill "$broker"; wait "$broker" || true
  rm -rf "$dir"
done
/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
med = lambda f: statistics.median(f(r) for r in runs)
print("median of %d runs: deliveries/s %.0f | broker CPU per delivery %.2f us | delivery p50 %.0f us p99 %.0f us | ack p50 %.0f us p99 %.0f us | lost %d dup %d reordered %d"
      % (len(runs), med(lambda r: r["deliveries_per_s"]),
         med(lambda r: r["broker_cpu_s"] * 1e6 / max(1, r["delivered"])),
         med(lambda r: r["delivery_us"]["p50"]),
         med(lambda r: r["delivery_us"]["p99"]), med(lambda r: r["ack_us"]["p50"]),
         med(lambda r: r["ack_us"]["p99"]), sum(r["lost"] for r in runs),
         sum(r["duplicated"] for r in runs), sum(r["reordered"] for r in runs)))
names = sorted({k for r in runs for k in r.get("broker_threads_cpu_s", {})})
print("median broker CPU per thread (s): " + ", ".join(
    "%s %.2f" % (n, statistics.median(r["broker_threads_cpu_s"].get(n, 0) for r in runs))
    for n in names if any(r["broker_threads_cpu_s"].get(n, 0) for r in runs)))
PY
rm -f "$results"
