#!/bin/bash
# Times `tallylog publish` (issue 15.4) on the real Venezuela table (24,532 actas): the first run into an
# empty directory (every tile, bundle, results file and the page), a re-run with nothing new, and an
# incremental run after 100 more sheets. The data directory holds the first 24,432 sheets as "official"
# (the last 100 rows are appended before the incremental run). Wall time of the whole command, as a
# user runs it (opening the data directory, tabulating every source rule, writing and fsyncing).
# Usage: bench/publish_ve2024.sh [build dir, default build]   (the page: web/dist when built, else --no-web)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bin=$build/src/tallylog/cli/tallylog
csv=$root/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv
mapping=$root/elections/ve2024/convzla-v1.mapping.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
web=(--no-web); [[ -f $root/web/dist/index.html ]] && web=(--web "$root/web/dist")
rows=$(($(wc -l <"$csv") - 1))
head -n $((rows - 100 + 1)) "$csv" >"$work/first.csv"
{ head -n 1 "$csv"; tail -n 100 "$csv"; } >"$work/last.csv"
now() { date +%s.%N; }
"$bin" init "$work/data" --election "$root/elections/ve2024/election.toml" >/dev/null
"$bin" stations import "$work/data" "$csv" --mapping "$mapping" >/dev/null
"$bin" import "$work/data" "$work/first.csv" --source official --mapping "$mapping" >/dev/null
t0=$(now); "$bin" publish "$work/data" "$work/site" "${web[@]}"
t1=$(now); "$bin" publish "$work/data" "$work/site" "${web[@]}"
t2=$(now); "$bin" import "$work/data" "$work/last.csv" --source official --mapping "$mapping" >/dev/null
t3=$(now); "$bin" publish "$work/data" "$work/site" "${web[@]}"
t4=$(now)
echo "published site: $(du -sh "$work/site" | cut -f1), $(find "$work/site" -type f | wc -l) files"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v n=$((rows - 100)) 'BEGIN {
  printf "publish, first run (%d sheets):     %.3f s\n", n, b - a;
  printf "publish, nothing new:                %.3f s\n", c - b;
  printf "publish, after 100 new sheets:       %.3f s\n", e - d }'
