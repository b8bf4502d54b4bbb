#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks, reachable ONLY through a unix
# socket inside DIR (listen_addresses=''), so no TCP port can collide with anything.
#
#   scripts/pg-throwaway.sh start [--durable] DIR   # (re)creates DIR/data, starts, creates
#                                                   # database `parley`, prints its URL
#   scripts/pg-throwaway.sh stop DIR                # stops it, removes DIR/data; exit 0 always
#   scripts/pg-throwaway.sh url DIR                 # prints the URL (no check)
#   scripts/pg-throwaway.sh halt DIR                # stops the server, keeping its data
#   scripts/pg-throwaway.sh resume DIR              # starts a halted server again
#
# halt/resume are for outage tests: the database comes back with everything committed.
#
# The URL is postgresql://postgres@/parley?host=DIR (libpq takes a socket directory as the
# `host` query parameter). By default the server runs with fsync=off and
# full_page_writes=off, which is fine for tests (a crash loses the throwaway data, nothing
# else) but not for durability benchmarks: --durable keeps fsync and full_page_writes on.
# synchronous_commit stays on either way, as in production.
#
# As root the server runs as the OS user `postgres` (runuser), which must be able to reach
# DIR; otherwise as the calling user. PGBIN overrides the server binaries' directory.
set -euo pipefail

usage() {
  echo "usage: $0 start [--durable] DIR | stop DIR | url DIR | halt DIR | resume DIR" >&2
  exit 2
}

cmd=${1:-}
shift || true
durable=0
dir=""
for arg in "$@"; do
  case $arg in
    --durable) durable=1 ;;
    -*) usage ;;
    *) [[ -z $dir ]] || usage; dir=$arg ;;
  esac
done
[[ -n $cmd && -n $dir ]] || usage
dir=$(realpath -m -- "$dir")
port=5432  # nominal: the socket lives in DIR, so nothing else can be on it

url() { echo "postgresql://postgres@/parley?host=$dir"; }

find_pgbin() {
  if [[ -n ${PGBIN:-} ]]; then
    echo "$PGBIN"
    return
  fi
  local b
  for b in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x $b/initdb && -x $b/pg_ctl ]] && { echo "$b"; return; }
  done
  b=$(command -v initdb 2>/dev/null || true)
  [[ -n $b ]] && { dirname "$b"; return; }
  echo "pg-throwaway: no PostgreSQL server binaries (apt-get install postgresql)" >&2
  exit 1
}

# Runs a server binary as `postgres` when we are root (the server refuses to run as root).
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

stop_server() {
  local pgbin=$1
  [[ -f $dir/data/postmaster.pid ]] || return 0
  as_pg "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 \
    || as_pg "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 \
    || true
}

start_server() {
  local pgbin=$1
  if ! as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null; then
    echo "pg-throwaway: server did not start; its log:" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
  fi
}

case $cmd in
  url)
    url
    ;;
  halt)
    stop_server "$(find_pgbin)"
    ;;
  resume)
    [[ -f $dir/data/postgresql.conf ]] || { echo "pg-throwaway: no server in $dir" >&2; exit 1; }
    start_server "$(find_pgbin)"
    url
    ;;
  stop)
    pgbin=$(find_pgbin 2>/dev/null) || exit 0
    stop_server "$pgbin" || true
    rm -rf "$dir/data" || true
    exit 0
    ;;
  start)
    pgbin=$(find_pgbin)
    socket="$dir/.s.PGSQL.$port"
    if ((${#socket} > 107)); then  # sun_path is 108 bytes with its NUL
      echo "pg-throwaway: socket path $socket is longer than 107 bytes; use a shorter DIR" >&2
      exit 1
    fi
    stop_server "$pgbin"  # a stale server from an earlier run
    rm -rf "$dir/data"
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$dir"
    initdb_sync=(--no-sync)
    ((durable)) && initdb_sync=()
    as_pg "$pgbin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
      "${initdb_sync[@]}" >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # Settings go into postgresql.conf rather than pg_ctl -o, so a path with spaces is safe
    # and a manual `pg_ctl restart` keeps them.
    {
      echo "listen_addresses = ''"
      echo "unix_socket_directories = '$dir'"
      echo "port = $port"
      echo "synchronous_commit = on"
      if ((durable)); then
        echo "fsync = on"
        echo "full_page_writes = on"
      else
        echo "fsync = off"
        echo "full_page_writes = off"
      fi
    } >>"$dir/data/postgresql.conf"
    start_server "$pgbin"
    psql_bin="$pgbin/psql"
    [[ -x $psql_bin ]] || psql_bin=psql
    "$psql_bin" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
      -c "CREATE DATABASE parley" >/dev/null
    url
    ;;
  *)
    usage
    ;;
esac
