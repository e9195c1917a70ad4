#!/usr/bin/env bash
# Issue 15.2: the index on PostgreSQL against SQLite, in one table. For each data set (the bundled
# Venezuela table, 24,532 sheets, and a synthetic one from bench/ingest_synthetic_csv.py):
#   import   a fresh data directory per backend (init, stations import), then the timed
#            `tallylog import <data> <csv>` with the default SQLite index, and with
#            `--index postgresql://...`: the user's path end to end (parse, validate, log append
#            made durable, index commit);
#   reindex  `tallylog reindex <data>` and `reindex <data> --index postgresql://...` from the same
#            log: the index write path alone (read the log, verdict rule, counts, aggregates, store).
# PostgreSQL: a throwaway PostgreSQL 15 server (scripts/pg_test_server.sh: Unix socket, default
# durability settings; tallylog's connection sets synchronous_commit=off, as SQLite's index uses
# synchronous=NORMAL: the index is derived and catches up from the log after a crash). Figures: sheets/s over wall time, CPU-seconds (user+sys) of tallylog and of the
# postgres server (postmaster and its reaped backends, from /proc). Run at `nice -n 19` on a
# shared machine and quote `uptime`.
# Usage: bench/pg_import.sh [synthetic tables, default 200000] [build dir, default build]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
synthetic=${1:-200000}
build=${2:-$root/build}
bin=$build/src/tallylog/cli/tallylog
ve=$root/elections/ve2024
work=$(mktemp -d /tmp/tallylog-pgbench.XXXXXX)
chmod 0755 "$work"
mkdir "$work/pg"
url=$("$root/scripts/pg_test_server.sh" start "$work/pg" $$)
trap '"$root/scripts/pg_test_server.sh" stop "$work/pg" || true; rm -rf "$work"' EXIT
postmaster=$(head -1 "$work/pg/data/postmaster.pid")
hz=$(getconf CLK_TCK)
pg_cpu() {  # utime+stime+cutime+cstime of the postmaster, seconds
  awk -v hz="$hz" '{ sub(/^.*\) /, ""); print ($12 + $13 + $14 + $15) / hz }' "/proc/$postmaster/stat"
}

timed() {  # timed <label> <what> <backend> <sheets> <tallylog args...>: one row of the table
  local label=$1 what=$2 backend=$3 sheets=$4
  shift 4
  local p0 p1 wall user sys
  p0=$(pg_cpu)
  /usr/bin/time -o "$work/time" -f '%e %U %S' "$bin" "$@" >/dev/null 2>"$work/run.err" ||
    { cat "$work/run.err" >&2; exit 1; }
  p1=$(pg_cpu)
  read -r wall user sys <"$work/time"
  awk -v l="$label" -v x="$what" -v b="$backend" -v n="$sheets" -v w="$wall" -v u="$user" -v s="$sys" -v p0="$p0" \
    -v p1="$p1" 'BEGIN { printf "%-18s %-8s %-10s %9d %8.2f %10.0f %14.2f %14.2f\n", l, x, b, n, w, n / w, u + s, p1 - p0 }'
}

dataset() {  # dataset <label> <csv> <sheets>
  local label=$1 csv=$2 sheets=$3
  local db="db_${label//[^a-z0-9]/_}"
  PGHOST="$work/pg" PGPORT=5432 PGUSER=tallylog psql -q -d postgres -c "CREATE DATABASE $db" >/dev/null
  local pgurl="${url/\/postgres\?//$db?}"
  local mapping=(--mapping "$ve/convzla-v1.mapping.toml")
  for backend in sqlite postgresql; do
    local data=$work/$label-$backend index=()
    [[ $backend == postgresql ]] && index=(--index "$pgurl")
    "$bin" init "$data" --election "$ve/election.toml" >/dev/null
    "$bin" stations import "$data" "$csv" "${mapping[@]}" "${index[@]}" >/dev/null 2>&1
    timed "$label" import "$backend" "$sheets" import "$data" "$csv" --source witness:convzla "${mapping[@]}" "${index[@]}"
  done
  for backend in sqlite postgresql; do
    local index=()
    [[ $backend == postgresql ]] && index=(--index "$pgurl")
    timed "$label" reindex "$backend" "$sheets" reindex "$work/$label-sqlite" "${index[@]}"
  done
}

echo "build: $(grep -m1 CMAKE_BUILD_TYPE: "$build/CMakeCache.txt" | cut -d= -f2); load before: $(uptime | sed 's/.*load average: //')"
printf '%-18s %-8s %-10s %9s %8s %10s %14s %14s\n' "data set" step backend sheets "wall s" "sheets/s" "tallylog CPU-s" \
  "postgres CPU-s"
dataset ve2024 "$ve/data/RESULTADOS_2024_CSV_V1.csv" 24532
if ((synthetic > 0)); then
  python3 "$root/bench/ingest_synthetic_csv.py" "$work/synthetic.csv" "$synthetic"
  dataset "synthetic-$synthetic" "$work/synthetic.csv" "$synthetic"
fi
echo "load after: $(uptime | sed 's/.*load average: //')"
