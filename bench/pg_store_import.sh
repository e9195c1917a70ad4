#!/usr/bin/env bash
# Issue 15: importing into a log kept in PostgreSQL (`init --store`) against the default POSIX
# files, in one run, end to end through the real binary (process start to summary line: CSV,
# checks, durable log appends, index). Both data directories get the same stations first (not
# timed). Best of RUNS (default 3) per store, each on a fresh directory / database.
#   bench/pg_store_import.sh [binary] [csv, default the bundled Venezuela table] [synthetic N]
# With a third argument N, a synthetic election of N stations (bench/ingest_synthetic_csv.py)
# is imported instead of the CSV. Prints one table: seconds, sheets/s, CPU-s (the import's
# user + system; for PostgreSQL also the server's, read from its processes), and the ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$root/build/src/tallylog/cli/tallylog}")
csv=${2:-$root/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv}
n=${3:-}
runs=${RUNS:-3}
map=$root/elections/ve2024/convzla-v1.mapping.toml
work=$(mktemp -d /tmp/tallylog-bench-pgstore.XXXXXX)
chmod 0755 "$work"
mkdir "$work/pg"
PG="$root/scripts/pg_test_server.sh"
url=$("$PG" start "$work/pg" $$)
trap '"$PG" stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
if [ -n "$n" ]; then
  python3 "$root/bench/ingest_synthetic_csv.py" "$work/in.csv" "$n"
  csv=$work/in.csv
fi
rows=$(($(wc -l <"$csv") - 1))
pg_cpu() {  # CPU seconds of the PostgreSQL server: the postmaster, its exited backends (reaped:
  # cutime + cstime) and the live ones
  local hz pm t
  hz=$(getconf CLK_TCK)
  pm=$(head -1 "$work/pg/data/postmaster.pid")
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
  for p in $(pgrep -P "$pm"); do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "scale=2; $t / $hz" | bc
}
echo "uptime: $(uptime)"
echo "binary: $bin; $rows sheets; runs: $runs"
printf '| store | best wall s | sheets/s | import CPU-s | PostgreSQL CPU-s |\n|---|---|---|---|---|\n'
best_posix=
for store in posix postgresql; do
  best=
  for r in $(seq 1 "$runs"); do
    d=$work/$store.$r
    if [ $store = postgresql ]; then
      db=bench_$r
      psql "$url" -qc "CREATE DATABASE $db" >/dev/null
      "$bin" init "$d" --election "$root/elections/ve2024/election.toml" --store "postgresql:///$db?${url#*\?}" >/dev/null
    else
      "$bin" init "$d" --election "$root/elections/ve2024/election.toml" >/dev/null
    fi
    "$bin" stations import "$d" "$csv" --mapping "$map" >/dev/null
    p0=$(pg_cpu)
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$work/cpu" "$bin" import "$d" "$csv" --source official --mapping "$map" >"$work/out"
    t1=$(date +%s.%N)
    p1=$(pg_cpu)
    grep -q "accepted $rows," "$work/out" || { echo "import did not accept every row:"; cat "$work/out"; exit 1; }
    wall=$(echo "$t1 - $t0" | bc)
    cpu=$(awk '{printf "%.2f", $1 + $2}' "$work/cpu")
    pgc=$(echo "$p1 - $p0" | bc)
    if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc)" = 1 ]; then best=$wall; bcpu=$cpu; bpg=$pgc; fi
    rm -rf "$d"
  done
  [ $store = posix ] && best_posix=$best && bpg=-
  printf '| %s | %.3f | %.0f | %s | %s |\n' $store "$best" "$(echo "$rows / $best" | bc -l)" "$bcpu" "$bpg"
done
printf 'ratio PostgreSQL / POSIX sheets/s: %.2f\n' "$(echo "$best_posix / $best" | bc -l)"
