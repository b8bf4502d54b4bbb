#!/usr/bin/env bash
# Durable event throughput and commit latency, group commit vs. one transaction per event,
# for 1, 16 and 256 concurrently sending rooms, on SQLite and on PostgreSQL, in one run.
# PostgreSQL is a throwaway server with fsync ON (scripts/pg-throwaway.sh --durable);
# SQLite a file in a temp dir (WAL, synchronous=FULL). Nothing here is a test: the figures
# go to docs/benchmarks.md.
#
#   bench/storage.sh [parley-storage-bench options...]   e.g. --duration 5 --in-flight 16
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${PARLEY_BIN_DIR:-$here/build}/bench/parley-storage-bench
work=$(mktemp -d /tmp/pb-storage-XXXX)
chmod 755 "$work"  # the server runs as `postgres` and must reach its directory
cleanup() { "$here/scripts/pg-throwaway.sh" stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
pg_url=$("$here/scripts/pg-throwaway.sh" start --durable "$work/pg")
echo "== SQLite (WAL, synchronous=FULL)"
"$bin" --store "sqlite:$work/sqlite/parley.db" "$@"
echo "== PostgreSQL 15 (fsync on, synchronous_commit on)"
"$bin" --store "$pg_url" "$@"
