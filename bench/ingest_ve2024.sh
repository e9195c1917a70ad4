#!/bin/bash
# Times the import of the real Venezuela table (24,532 actas) with the real binary: the station
# registry, then the sheets (validation + log append + index), then a reindex. Target: sheets < 2 s.
# Usage: bench/ingest_ve2024.sh [build dir, default build]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bin=$build/src/tallylog/cli/tallylog
csv=$root/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv
mapping=$root/elections/ve2024/convzla-v1.mapping.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$csv" "$work/ve.csv"
now() { date +%s.%N; }
"$bin" init "$work/data" --election "$root/elections/ve2024/election.toml" > /dev/null
t0=$(now); "$bin" stations import "$work/data" "$work/ve.csv" --mapping "$mapping"
t1=$(now); "$bin" import "$work/data" "$work/ve.csv" --source witness:convzla --mapping "$mapping" --stats
t2=$(now); "$bin" reindex "$work/data"
t3=$(now)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
  printf "ve2024 stations import: 24532 rows in %.3f s (%.0f rows/s)\n", b - a, 24532 / (b - a);
  printf "ve2024 sheets import:   24532 rows in %.3f s (%.0f sheets/s)  [target < 2 s]\n", c - b, 24532 / (c - b);
  printf "ve2024 reindex:         49065 entries in %.3f s\n", d - c }'
