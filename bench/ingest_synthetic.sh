#!/bin/bash
# Synthetic large election: generates an N-station table (default 1,000,000, India-sized) in the
# convzla layout, registers the stations, then times the sheet import with the real binary
# (validation + log append + index). Target: >= 100,000 sheets/s.
# Usage: bench/ingest_synthetic.sh [stations, default 1000000] [build dir, default build]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000000}
build=${2:-$root/build}
bin=$build/src/tallylog/cli/tallylog
mapping=$root/elections/ve2024/convzla-v1.mapping.toml
work=${TMPDIR:-/tmp}/tallylog-bench-synthetic.$$
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
python3 "$root/bench/ingest_synthetic_csv.py" "$work/synthetic.csv" "$n"
"$bin" init "$work/data" --election "$root/elections/ve2024/election.toml" > /dev/null
t0=$(now); "$bin" stations import "$work/data" "$work/synthetic.csv" --mapping "$mapping" --batch 100000
t1=$(now); "$bin" import "$work/data" "$work/synthetic.csv" --source official --mapping "$mapping" --batch 100000 --stats
t2=$(now)
awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
  printf "synthetic stations import: %d in %.2f s (%.0f stations/s)\n", n, b - a, n / (b - a);
  printf "synthetic sheets import:   %d in %.2f s (%.0f sheets/s)  [target >= 100000/s]\n", n, c - b, n / (c - b) }'
du -sh "$work/data" | awk '{print "data directory: " $1}'
