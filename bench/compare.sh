#!/usr/bin/env bash
# Side-by-side benchmark: Parley (SQLite and PostgreSQL stores) against peer servers on the
# same scenarios, in one run, with the server pinned to one CPU and the load generator
# (build/apps/parley-bench) to the other.
#
#   bench/compare.sh                 # full run: RUNS=3, sizes from the issue, ~30 min
#   QUICK=1 bench/compare.sh         # smoke run: small sizes, 1 run, output in build/compare-quick
#   SYSTEMS="parley-sqlite nats" SCENARIOS="fanout-1" RUNS=5 bench/compare.sh
#
# Systems (each server is started fresh for every measurement and stopped after it):
#   parley-sqlite  build/apps/parley, SQLite file in a temp dir (WAL, synchronous=FULL)
#   parley-pg      build/apps/parley, throwaway PostgreSQL 15 with fsync on (pg-throwaway --durable)
#   wspeer-pg      bench/peers/ws-server.js (Node `ws`), one awaited INSERT per message, same PostgreSQL
#   wspeer         the same server without the database (--no-db)
#   socketio       bench/peers/socketio-server.js (Socket.IO 4.8), no persistence
#   nats           Debian's nats-server with its WebSocket listener (bench/peers/nats.conf), core NATS
# Scenarios:
#   fanout-1       1 room x FANOUT1_SUBSCRIBERS subscribers, 1 publisher. FANOUT1_RATE 0 (the
#                  default): closed loop, the publisher keeps FANOUT_IN_FLIGHT sends unacked,
#                  so the figure is the system's saturation throughput; N > 0: N msg/s
#   fanout-1-half  the same room at half the message rate this system reached in this run's
#                  fanout-1 (open loop): delivery latency at half of saturation
#   fanout-many    FANOUT2_ROOMS rooms x FANOUT2_SUBSCRIBERS subscribers, 1 publisher per room,
#                  closed loop likewise (FANOUT2_RATE 0) or FANOUT2_RATE msg/s in total
#   fanout-many-half  fanout-many at half of its saturation message rate
#   fanout-many-low   fanout-many at LOW_RATE msg/s in total, the same for every system (500:
#                  under 1 % of any system's saturation here): the delivery latency of a
#                  system with nothing to do, the floor under its latency at half load
#   fanout-many-uuid  fanout-many with each send's cid a random UUID (parley-bench --cids
#                  uuid), as browser clients make them, instead of "<user>-<counter>": what
#                  Parley's unique (room, sender, cid) index costs then (UUID_SYSTEMS only)
#   connect        CONNECT_N idle connections, each joined to one of CONNECT_ROOMS rooms;
#                  memory per connection = the server's RSS delta (/proc/PID/status) / N
#   durable        DURABLE_ROOMS rooms, DURABLE_IN_FLIGHT sends outstanding per room (closed
#                  loop): durable events/s and ack latency (Parley and wspeer-pg only)
#   fsync          no server ("disk"): FSYNC_COUNT writes of 12 KiB in the servers' temp dir,
#                  each followed by fdatasync, one every 2 ms (parley-bench fsync): what a
#                  durable commit waits for, the floor under a durable server's latency
#   tcpsend        no server: TCPSEND_SECONDS of 160-byte frames over 2,000 loopback TCP
#                  connections in turn from the servers' CPU, read on the load generator's
#                  (parley-bench tcpsend). "loopback": a frame per send, the CPU one
#                  unbatched delivery costs any server here, from which report.py bounds
#                  the latency at half load. "loopback-gather": 50 frames per send (one
#                  sendmsg), about what the saturated fan-outs gather per call: the kernel's
#                  part of a delivery there, which report.py subtracts from each server's
#                  CPU per delivery (what is left is the server's own work)
# Acknowledgements: Parley acks a send after its commit; wspeer-pg after its INSERT; wspeer
# and Socket.IO at once; NATS's is the PONG to a PING after each PUB (what a NATS client's
# flush waits for).
# PostgreSQL runs on the server's CPU too (it is part of the server side), and its CPU time is
# added to the server's in the CPU-per-delivery figures.
#
# Output: a table of medians and ratios on stdout; OUT_DIR (default docs/benchmarks, for
# QUICK=1 build/compare-quick) gets compare.json (every run's figures + medians + machine),
# compare.md (the tables) and compare.png (the chart). The open-loop tables also give the
# load generator's lag (how late its sends left their schedule, p99) and its CPU time: a
# load generator short of its core offers less than the rate and measures its own queue.
#
# Environment (defaults in brackets; QUICK=1 changes the sizes, see below):
#   RUNS [3]  SYSTEMS [all]
#   SCENARIOS [fanout-1 fanout-1-half fanout-many fanout-many-half fanout-many-low
#              fanout-many-uuid connect durable fsync tcpsend]
#   SERVER_CPUS [0]  BENCH_CPUS [1]  DURATION [10]  WARMUP [2]  SOURCE_IPS [4]
#   FANOUT1_SUBSCRIBERS [2000]  FANOUT1_RATE [0]  FANOUT_IN_FLIGHT [64]
#   FANOUT2_ROOMS [200]  FANOUT2_SUBSCRIBERS [10]  FANOUT2_RATE [0]  LOW_RATE [500]
#   CONNECT_N [19000]  CONNECT_ROOMS [100]  CONNECT_HOLD [5]  CONNECT_PROCESSES [2]
#   DURABLE_ROOMS [256]  DURABLE_IN_FLIGHT [16]  FSYNC_COUNT [2000]  TCPSEND_SECONDS [3]
#   TCPSEND_GATHER [50]
#   CONNECT_SYSTEMS [parley-sqlite wspeer socketio nats]  DURABLE_SYSTEMS [parley-sqlite parley-pg wspeer-pg]
#   UUID_SYSTEMS [parley-sqlite parley-pg]
#   PG_POOL_MAX [pg's default, 10]  NODE_OPTIONS_PEERS [--max-old-space-size=4096]
#   PARLEY_BIN_DIR [build/apps]  PARLEY_BENCH [$PARLEY_BIN_DIR/parley-bench]
#   NO_INSTALL=1 skips the installation step (apt-get / npm ci).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
peers=$here/bench/peers

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  : "${RUNS:=1}" "${DURATION:=3}" "${WARMUP:=1}"
  : "${FANOUT1_SUBSCRIBERS:=200}" "${FANOUT2_ROOMS:=20}" "${FANOUT2_SUBSCRIBERS:=10}"
  : "${CONNECT_N:=1000}" "${CONNECT_ROOMS:=10}" "${CONNECT_HOLD:=1}"
  : "${DURABLE_ROOMS:=16}" "${DURABLE_IN_FLIGHT:=4}" "${LOW_RATE:=50}" "${FSYNC_COUNT:=200}" "${TCPSEND_SECONDS:=1}"
  : "${OUT_DIR:=$here/build/compare-quick}"
fi
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
SOURCE_IPS=${SOURCE_IPS:-4}
SERVER_CPUS=${SERVER_CPUS:-0}
BENCH_CPUS=${BENCH_CPUS:-1}
FANOUT1_SUBSCRIBERS=${FANOUT1_SUBSCRIBERS:-2000}
FANOUT1_RATE=${FANOUT1_RATE:-0}
FANOUT2_ROOMS=${FANOUT2_ROOMS:-200}
FANOUT2_SUBSCRIBERS=${FANOUT2_SUBSCRIBERS:-10}
FANOUT2_RATE=${FANOUT2_RATE:-0}
LOW_RATE=${LOW_RATE:-500}
FANOUT_IN_FLIGHT=${FANOUT_IN_FLIGHT:-64}
CONNECT_N=${CONNECT_N:-19000}
CONNECT_ROOMS=${CONNECT_ROOMS:-100}
CONNECT_HOLD=${CONNECT_HOLD:-5}
CONNECT_PROCESSES=${CONNECT_PROCESSES:-2}
DURABLE_ROOMS=${DURABLE_ROOMS:-256}
DURABLE_IN_FLIGHT=${DURABLE_IN_FLIGHT:-16}
FSYNC_COUNT=${FSYNC_COUNT:-2000}
TCPSEND_SECONDS=${TCPSEND_SECONDS:-3}
TCPSEND_GATHER=${TCPSEND_GATHER:-50}
OUT_DIR=${OUT_DIR:-$here/docs/benchmarks}
SCENARIOS=${SCENARIOS:-fanout-1 fanout-1-half fanout-many fanout-many-half fanout-many-low fanout-many-uuid connect durable fsync tcpsend}
ALL_SYSTEMS="parley-sqlite parley-pg wspeer-pg wspeer socketio nats"
SYSTEMS=${SYSTEMS:-$ALL_SYSTEMS}
CONNECT_SYSTEMS=${CONNECT_SYSTEMS:-parley-sqlite wspeer socketio nats}
DURABLE_SYSTEMS=${DURABLE_SYSTEMS:-parley-sqlite parley-pg wspeer-pg}
# Random UUIDs as cids cost only a server that keeps them unique (the peers store or route
# the cid as any other text), so the peers' fanout-many stands for theirs.
UUID_SYSTEMS=${UUID_SYSTEMS:-parley-sqlite parley-pg}
NODE_OPTIONS_PEERS=${NODE_OPTIONS_PEERS:---max-old-space-size=4096}
bin=${PARLEY_BIN_DIR:-$here/build/apps}
bench_bin=${PARLEY_BENCH:-$bin/parley-bench}
secret=bench-secret-0123456789abcdef0123456789
py=/usr/bin/python3  # Debian's, where python3-matplotlib is installed

log() { printf '%s compare: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------- installation
apt_install() {  # apt_install PACKAGE...: installs what is missing (root only)
  [[ $(id -u) -eq 0 ]] || die "missing Debian packages: $*; install them (apt-get install $*) or run as root"
  log "apt-get install $*"
  # Without recommends, as scripts/install-deps.sh: python3-matplotlib's pull in a Boost
  # -dev package that conflicts with the libboost1.81-dev the build uses.
  local apt=(apt-get install -y -qq --no-install-recommends)
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" "$@" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" "$@" >/dev/null || die "apt-get install $* failed"
  fi
}

install_peers() {
  local need=()
  command -v taskset >/dev/null || need+=(util-linux)
  command -v nats-server >/dev/null || need+=(nats-server)
  command -v node >/dev/null || need+=(nodejs npm)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  [[ -x /usr/bin/time ]] || need+=(time)
  $py -c 'import matplotlib' 2>/dev/null || need+=(python3-matplotlib)
  ((${#need[@]} == 0)) || apt_install "${need[@]}"
  # npm packages from the committed lock file, into bench/peers/node_modules (git-ignored);
  # again only when the lock file changed since the last install.
  if ! cmp -s "$peers/package-lock.json" "$peers/node_modules/.compare-lock" 2>/dev/null; then
    log "npm ci in bench/peers"
    (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed"
    cp "$peers/package-lock.json" "$peers/node_modules/.compare-lock"
  fi
}

[[ ${NO_INSTALL:-0} == 1 ]] || install_peers
[[ -x $bin/parley ]] || die "no $bin/parley: run ./scripts/build.sh first"
[[ -x $bench_bin ]] || die "no $bench_bin: run ./scripts/build.sh first"
bench_help=$("$bench_bin" --help 2>&1 || true)
[[ $bench_help == *--system* ]] \
  || die "$bench_bin does not know --system (the peers need the newer load generator)"

# File descriptors: the server holds one per connection, the load generator as many again
# (split over CONNECT_PROCESSES processes).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)
[[ $fd_limit == unlimited ]] && fd_limit=1048576
if [[ " $SCENARIOS " == *" connect "* ]] && ((CONNECT_N + 200 > fd_limit)); then
  die "CONNECT_N=$CONNECT_N needs a file-descriptor limit above $((CONNECT_N + 200)) (ulimit -n is $fd_limit)"
fi
if ((CONNECT_N / CONNECT_PROCESSES + 200 > fd_limit)); then
  die "CONNECT_N / CONNECT_PROCESSES exceeds the per-process fd limit $fd_limit: raise CONNECT_PROCESSES"
fi

# ---------------------------------------------------------------- servers
work=$(mktemp -d /tmp/pcmp-XXXXXX)
chmod 755 "$work"  # PostgreSQL runs as `postgres` and must reach its socket directory
server_pid=""
pg_dir=""

stop_server() {
  if [[ -n $server_pid ]]; then
    if kill -0 "$server_pid" 2>/dev/null; then
      kill -TERM "$server_pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
  if [[ -n $pg_dir ]]; then
    "$here/scripts/pg-throwaway.sh" stop "$pg_dir" >/dev/null 2>&1 || true
    pg_dir=""
  fi
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_server
  if [[ -n ${bench_pid:-} ]] && kill -0 "$bench_pid" 2>/dev/null; then
    kill -TERM "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  $py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_ready DIR PATTERN: until DIR/out or DIR/err has PATTERN (30 s), or the server died.
wait_ready() {
  for _ in $(seq 300); do
    grep -q "$2" "$1/out" "$1/err" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

start_pg() {  # prints the URL; the caller sets pg_dir=$work/pg first (this runs in $(...))
  taskset -c "$SERVER_CPUS" "$here/scripts/pg-throwaway.sh" start --durable "$work/pg"
}

# start_server SYSTEM RUNDIR: sets server_pid and port (and pg_dir for PostgreSQL). Every
# command is started as `taskset ... CMD &` directly (not through a function), so that $! is
# the server process itself (taskset execs it): its /proc entry gives CPU time and RSS.
start_server() {
  local sys=$1 dir=$2 url="" ready
  port=""
  case $sys in
    parley-sqlite | parley-pg)
      local store="sqlite:$dir/parley.db"
      if [[ $sys == parley-pg ]]; then pg_dir=$work/pg; url=$(start_pg) || return 1; store=$url; fi
      # No connection limits, no request rate limits: the load generator opens thousands of
      # connections from a few addresses and users.
      PARLEY_CONNECTIONS_PER_IP=0 PARLEY_CONNECTIONS_PER_USER=0 \
        taskset -c "$SERVER_CPUS" "$bin/parley" serve --listen 127.0.0.1:0 --store "$store" \
        --data-dir "$dir" --jwt-secret "$secret" --rate-per-s 1000000 --rate-burst 1000000 \
        --max-requests-in-flight 100000 --log-level warn >"$dir/out" 2>"$dir/err" &
      server_pid=$!
      ready="listening"
      ;;
    wspeer-pg | wspeer | socketio)
      local script=ws-server.js args=(--port 0 --backlog 4096)
      [[ $sys == socketio ]] && script=socketio-server.js
      if [[ $sys == wspeer-pg ]]; then
        pg_dir=$work/pg; url=$(start_pg) || return 1
        args+=(--db "$url")
        [[ -n ${PG_POOL_MAX:-} ]] && args+=(--pool "$PG_POOL_MAX")
      elif [[ $sys == wspeer ]]; then
        args+=(--no-db)
      fi
      # shellcheck disable=SC2086
      taskset -c "$SERVER_CPUS" node $NODE_OPTIONS_PEERS "$peers/$script" "${args[@]}" \
        >"$dir/out" 2>"$dir/err" &
      server_pid=$!
      ready="listening on"
      ;;
    nats)
      port=$(free_port)
      NATS_PORT=-1 NATS_WS_PORT=$port taskset -c "$SERVER_CPUS" nats-server -c "$peers/nats.conf" \
        >"$dir/out" 2>"$dir/err" &
      server_pid=$!
      ready="Server is ready"
      ;;
    *) die "unknown system $sys" ;;
  esac
  if ! wait_ready "$dir" "$ready"; then
    log "$sys did not start:"; tail -n 20 "$dir/out" "$dir/err" >&2 || true
    return 1
  fi
  [[ -n $port ]] || port=$(grep -m1 -o 'listening on [^ ]*' "$dir/out" | grep -o '[0-9]*$')
  [[ -n $port ]] || { log "$sys: no port in its output"; return 1; }
}

# CPU time (utime + stime, clock ticks) of a process and its live descendants, plus what its
# reaped children used (cutime + cstime): PostgreSQL's backends come and go.
tree_ticks() {
  local pid=$1 total=0 t c
  [[ -r /proc/$pid/stat ]] || { echo 0; return; }
  t=$(awk '{sub(/.*\) /, ""); print $12 + $13 + $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
  total=$((total + t))
  for c in $(pgrep -P "$pid" 2>/dev/null); do total=$((total + $(tree_ticks "$c"))); done
  echo "$total"
}
pg_pid() { [[ -n $pg_dir && -r $pg_dir/data/postmaster.pid ]] && head -1 "$pg_dir/data/postmaster.pid" || echo ""; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

bench_system() {  # the load generator's --system for a system name
  case $1 in parley-*) echo parley ;; wspeer*) echo wspeer ;; *) echo "$1" ;; esac
}

# The saturation message rate a system reached in this run's fan-out scenario (the closed
# loop measures it), for the open-loop run at half of it: half_rate SCENARIO SYSTEM.
half_rate() {
  local f=$work/saturation-$1-$2
  [[ -s $f ]] || return 1
  awk '{r = int($1 / 2); print (r < 1 ? 1 : r)}' "$f"
}

scenario_args() {  # scenario_args SCENARIO SYSTEM: the load generator's arguments
  local rate
  case $1 in
    fanout-1-half | fanout-many-half)
      rate=$(half_rate "${1%-half}" "$2") || return 1
      if [[ $1 == fanout-1-half ]]; then
        echo fanout --rooms 1 --subscribers "$FANOUT1_SUBSCRIBERS" --publishers 1 \
          --rate "$rate" --duration "$DURATION" --warmup "$WARMUP"
      else
        echo fanout --rooms "$FANOUT2_ROOMS" --subscribers "$FANOUT2_SUBSCRIBERS" --publishers 1 \
          --rate "$rate" --duration "$DURATION" --warmup "$WARMUP"
      fi ;;
    fanout-1)
      echo fanout --rooms 1 --subscribers "$FANOUT1_SUBSCRIBERS" --publishers 1 \
        --rate "$FANOUT1_RATE" --in-flight "$FANOUT_IN_FLIGHT" --duration "$DURATION" --warmup "$WARMUP" ;;
    fanout-many)
      echo fanout --rooms "$FANOUT2_ROOMS" --subscribers "$FANOUT2_SUBSCRIBERS" --publishers 1 \
        --rate "$FANOUT2_RATE" --in-flight "$FANOUT_IN_FLIGHT" --duration "$DURATION" --warmup "$WARMUP" ;;
    fanout-many-uuid)  # fanout-many's own arguments, so the two stay the same run but for the cids
      echo "$(scenario_args fanout-many "$2")" --cids uuid ;;
    fanout-many-low)
      echo fanout --rooms "$FANOUT2_ROOMS" --subscribers "$FANOUT2_SUBSCRIBERS" --publishers 1 \
        --rate "$LOW_RATE" --duration "$DURATION" --warmup "$WARMUP" ;;
    connect)
      echo connect --connections "$CONNECT_N" --rooms "$CONNECT_ROOMS" --hold "$CONNECT_HOLD" \
        --processes "$CONNECT_PROCESSES" ;;
    durable)
      echo durable --rooms "$DURABLE_ROOMS" --in-flight "$DURABLE_IN_FLIGHT" --duration "$DURATION" ;;
    *) die "unknown scenario $1" ;;
  esac
}

systems_for() {  # the systems a scenario runs on, in SYSTEMS' order
  local allowed=$ALL_SYSTEMS s out=()
  [[ $1 == fsync ]] && { echo disk; return; }  # the machine itself, no server
  [[ $1 == tcpsend ]] && { echo loopback loopback-gather; return; }
  case $1 in
    connect) allowed=$CONNECT_SYSTEMS ;;
    durable) allowed=$DURABLE_SYSTEMS ;;
    fanout-many-uuid) allowed=$UUID_SYSTEMS ;;
  esac
  for s in $SYSTEMS; do [[ " $allowed " == *" $s "* ]] && out+=("$s"); done
  echo "${out[@]}"
}

results=$work/results.jsonl
: >"$results"

# measure_disk RUN: the fsync probe, on the servers' CPU in the directory their files use.
measure_disk() {
  local run=$1 dir=$work/run rc=0 line
  rm -rf "$dir"; mkdir -p "$dir"
  sync
  taskset -c "$SERVER_CPUS" "$bench_bin" fsync --dir "$dir" --count "$FSYNC_COUNT" \
    --interval-us 2000 >"$dir/bench.out" 2>"$dir/bench.err" || rc=$?
  line=$(grep '^{' "$dir/bench.out" | tail -1 || true)
  [[ -n $line ]] || line='{"error":"no JSON line from the load generator"}'
  printf '{"run":%d,"scenario":"fsync","system":"disk","rc":%d,"bench":%s}\n' \
    "$run" "$rc" "$line" >>"$results"
  log "run $run fsync disk: rc=$rc $(grep -m1 '^fdatasync' "$dir/bench.out" || true)"
}

# measure_sends RUN SYSTEM: the send probe, sending from the servers' CPU, read on the load
# generator's (as the servers' deliveries are); SYSTEM loopback: a frame per send,
# loopback-gather: TCPSEND_GATHER frames per send.
measure_sends() {
  local run=$1 sys=$2 dir=$work/run rc=0 line frames=1
  [[ $sys == loopback-gather ]] && frames=$TCPSEND_GATHER
  rm -rf "$dir"; mkdir -p "$dir"
  taskset -c "$SERVER_CPUS" "$bench_bin" tcpsend --connections 2000 --bytes 160 \
    --frames "$frames" --seconds "$TCPSEND_SECONDS" --receiver-cpu "${BENCH_CPUS%%[,-]*}" \
    >"$dir/bench.out" 2>"$dir/bench.err" || rc=$?
  line=$(grep '^{' "$dir/bench.out" | tail -1 || true)
  [[ -n $line ]] || line='{"error":"no JSON line from the load generator"}'
  printf '{"run":%d,"scenario":"tcpsend","system":"%s","rc":%d,"bench":%s}\n' \
    "$run" "$sys" "$rc" "$line" >>"$results"
  log "run $run tcpsend $sys: rc=$rc $(grep -m1 'sends (' "$dir/bench.out" || true)"
}

# measure RUN SCENARIO SYSTEM: one fresh server, one load-generator run, one JSON line.
measure() {
  local run=$1 scn=$2 sys=$3 dir=$work/run rc=0 line
  [[ $scn == fsync ]] && { measure_disk "$run"; return; }
  [[ $scn == tcpsend ]] && { measure_sends "$run" "$sys"; return; }
  rm -rf "$dir"; mkdir -p "$dir"
  # The previous measurement's files (a database, a log) may still be on their way to the
  # disk; a durable server's syncs would wait behind them. Start every system on a quiet disk.
  sync
  local extra=()
  [[ $sys == parley-* ]] && extra+=(--secret "$secret")
  [[ $scn == connect ]] && extra+=(--source-ips "$SOURCE_IPS")
  local args
  if ! args=$(scenario_args "$scn" "$sys"); then
    printf '{"run":%d,"scenario":"%s","system":"%s","error":"no saturation rate measured"}\n' \
      "$run" "$scn" "$sys" >>"$results"
    return 0
  fi
  if ! start_server "$sys" "$dir"; then
    printf '{"run":%d,"scenario":"%s","system":"%s","error":"server did not start"}\n' \
      "$run" "$scn" "$sys" >>"$results"
    stop_server
    return 0
  fi
  [[ $scn == connect ]] && extra+=(--server-pid "$server_pid")
  sleep 0.5  # let the server settle (JIT warm-up is the load generator's warm-up's job)
  local pgp rss0 cpu0 pg0=0 cpu1 pg1=0
  pgp=$(pg_pid)
  rss0=$(rss_kib "$server_pid")
  cpu0=$(tree_ticks "$server_pid")
  [[ -n $pgp ]] && pg0=$(tree_ticks "$pgp")
  # shellcheck disable=SC2046
  taskset -c "$BENCH_CPUS" /usr/bin/time -f '%e %U %S' -o "$dir/time" \
    "$bench_bin" $args --system "$(bench_system "$sys")" \
    --host 127.0.0.1 --port "$port" "${extra[@]}" >"$dir/bench.out" 2>"$dir/bench.err" &
  bench_pid=$!
  wait "$bench_pid" || rc=$?
  bench_pid=""
  cpu1=$(tree_ticks "$server_pid")
  [[ -n $pgp ]] && pg1=$(tree_ticks "$pgp")
  local rss1 hwm alive=1
  rss1=$(rss_kib "$server_pid"); hwm=$(hwm_kib "$server_pid")
  kill -0 "$server_pid" 2>/dev/null || alive=0
  stop_server
  line=$(grep '^{' "$dir/bench.out" | tail -1 || true)
  [[ -n $line ]] || line='{"error":"no JSON line from the load generator"}'
  local tm; tm=$(tr ' ' ',' <"$dir/time" 2>/dev/null | grep -E '^[0-9.]+,[0-9.]+,[0-9.]+$' | tail -1 || true)
  [[ -n $tm ]] || tm="0,0,0"
  local err_tail
  err_tail=$(tail -c 600 "$dir/bench.err" | $py -c 'import json,sys; print(json.dumps(sys.stdin.read()))')
  printf '{"run":%d,"scenario":"%s","system":"%s","rc":%d,"server_alive":%d,"server_cpu_s":%s,"pg_cpu_s":%s,"server_rss_before_kib":%s,"server_rss_after_kib":%s,"server_hwm_kib":%s,"bench_wall_user_sys_s":[%s],"bench_stderr":%s,"bench":%s}\n' \
    "$run" "$scn" "$sys" "$rc" "$alive" "$((cpu1 - cpu0))e-2" "$((pg1 - pg0))e-2" \
    "${rss0:-0}" "${rss1:-0}" "${hwm:-0}" "$tm" "$err_tail" "$line" >>"$results"
  if [[ $scn == fanout-1 || $scn == fanout-many ]]; then
    $py -c 'import json,sys; print(json.loads(sys.argv[1]).get("events_per_s") or "")' "$line" \
      >"$work/saturation-$scn-$sys" 2>/dev/null || true
  fi
  local summary
  summary=$($py - "$line" <<'PY'
import json, sys
try:
    b = json.loads(sys.argv[1])
except Exception:
    print("unparsable JSON"); sys.exit()
keys = ["deliveries_per_s", "events_per_s", "kib_per_connection", "connections", "lost", "errors", "error"]
parts = [f"{k}={b[k]}" for k in keys if k in b and b[k] is not None]
for k in ("delivery_us", "ack_us"):
    if isinstance(b.get(k), dict):
        parts.append(f"{k} p50={b[k].get('p50')} p99={b[k].get('p99')}")
print(" ".join(parts))
PY
)
  log "run $run $scn $sys: rc=$rc $summary"
}

# ---------------------------------------------------------------- the runs
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
log "work dir $work; RUNS=$RUNS; scenarios: $SCENARIOS; server on CPU $SERVER_CPUS, load generator on CPU $BENCH_CPUS"
for ((run = 1; run <= RUNS; run++)); do
  for scn in $SCENARIOS; do
    read -r -a syss <<<"$(systems_for "$scn")"
    n=${#syss[@]}
    ((n > 0)) || continue
    # Rotate the order every run so that no system always goes first (page cache, heat).
    for ((k = 0; k < n; k++)); do
      measure "$run" "$scn" "${syss[$(((k + run - 1) % n))]}"
    done
  done
done

# ---------------------------------------------------------------- the report
pgver=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pgver=$("$pgver/postgres" --version 2>/dev/null || echo unknown)
nodever=$(node --version 2>/dev/null || echo unknown)
natsver=$(nats-server --version 2>/dev/null || echo unknown)
npmvers=$(cd "$peers" && node -e 'for (const p of ["ws","pg","socket.io"]) process.stdout.write(p + "@" + require(p + "/package.json").version + " ")' 2>/dev/null || echo unknown)
commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$here" diff --quiet HEAD -- 2>/dev/null || commit="$commit (with uncommitted changes)"
parleyver=$("$bin/parley" version 2>/dev/null || echo unknown)
mkdir -p "$OUT_DIR"
$py - "$work/meta.json" <<PY
import json, sys
json.dump({
  "date": "$started", "commit": "$commit", "parley": "$parleyver", "quick": $QUICK == 1, "runs": $RUNS,
  "machine": {"cpus": "$(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)",
              "memory": "$(free -g | awk '/^Mem:/ {print $2}') GiB", "kernel": "$(uname -r)",
              "os": "$(. /etc/os-release && echo "$PRETTY_NAME")"},
  "pinning": {"server_cpus": "$SERVER_CPUS", "bench_cpus": "$BENCH_CPUS"},
  "versions": {"postgresql": "$pgver", "node": "$nodever", "nats": "$natsver", "npm": "$npmvers".strip()},
  "params": {"duration_s": $DURATION, "warmup_s": $WARMUP, "source_ips": $SOURCE_IPS,
             "fanout-1": {"rooms": 1, "subscribers": $FANOUT1_SUBSCRIBERS, "publishers": 1, "rate": $FANOUT1_RATE},
             "fanout-many": {"rooms": $FANOUT2_ROOMS, "subscribers": $FANOUT2_SUBSCRIBERS, "publishers_per_room": 1, "rate": $FANOUT2_RATE},
             "fanout-many-low": {"rate": $LOW_RATE},
             "fsync": {"count": $FSYNC_COUNT, "bytes": 12288, "interval_us": 2000},
             "tcpsend": {"connections": 2000, "bytes": 160, "seconds": $TCPSEND_SECONDS, "gather_frames": $TCPSEND_GATHER},
             "connect": {"connections": $CONNECT_N, "rooms": $CONNECT_ROOMS, "hold_s": $CONNECT_HOLD, "processes": $CONNECT_PROCESSES},
             "durable": {"rooms": $DURABLE_ROOMS, "in_flight": $DURABLE_IN_FLIGHT},
             "fanout_in_flight": $FANOUT_IN_FLIGHT, "pg_pool_max": "${PG_POOL_MAX:-10 (pg default)}", "node_options": "$NODE_OPTIONS_PEERS"},
}, open(sys.argv[1], "w"), indent=1)
PY
$py "$here/bench/compare/report.py" --results "$results" --meta "$work/meta.json" --out "$OUT_DIR"
