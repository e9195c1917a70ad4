#!/bin/bash
# National scale (issue 16), end to end with real binaries on a synthetic N-station election
# (bench/ingest_synthetic_csv.py, default 1,000,000 stations, one official sheet each):
#   - sheet import at the default batch: wall time, sheets/s, peak RSS;
#   - cold `tally --level national` and `--level state` (a new process each): wall time, peak RSS
#     (above the table level the index keeps per-area totals: open, read those rows, render);
#   - cold `tally --level table --format csv` (every table: open, read and decode each table's
#     sheet rows from the index, aggregate every level, render 1 row per table): wall, peak RSS;
#   - `serve`: seconds from process start to the first answered /api/v1/tally?level=state, and
#     the server's peak RSS by then;
#   - `reindex` (the index rebuilt from the log alone): wall time, peak RSS.
# Every figure is measured for each binary given (e.g. today's main and this branch) in the same
# run, then printed side by side with the ratio. It also checks that both binaries print the same
# tally JSON at every level above the table (the "log_size" member, new in the second, aside).
#
# Usage: bench/index_scale.sh [stations] [binary ...]
#   default binaries: build/src/tallylog/cli/tallylog; give main's first to compare, e.g.
#   bench/index_scale.sh 1000000 /tmp/tallylog-main build-bench/src/tallylog/cli/tallylog
# Build them Release (bench/run.sh does). Run on a quiet machine; note `uptime` with any figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000000}
shift || true
bins=("$@")
[ ${#bins[@]} -eq 0 ] && bins=("$root/build/src/tallylog/cli/tallylog")
mapping=$root/elections/ve2024/convzla-v1.mapping.toml
work=$(mktemp -d "${TMPDIR:-/tmp}/tallylog-index-scale.XXXXXX")
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
python3 "$root/bench/ingest_synthetic_csv.py" "$work/synthetic.csv" "$n"
echo "load before: $(uptime)"

# measure <out-prefix> <command...>: wall seconds and peak RSS (MB) into <prefix>.time
measure() {
  local out=$1
  shift
  /usr/bin/time -f "%e %M %U %S" -o "$out.time" "$@" > "$out.stdout" 2> "$out.stderr"
}
wall() { awk '{print $1}' "$1.time"; }
rss() { awk '{printf "%.0f", $2 / 1024}' "$1.time"; }
cpu() { awk '{printf "%.2f", $3 + $4}' "$1.time"; }  # user + system CPU seconds (robust to load)

declare -A R
for i in "${!bins[@]}"; do
  bin=$(readlink -f "${bins[$i]}")
  d=$work/data$i
  "$bin" init "$d" --election "$root/elections/ve2024/election.toml" > /dev/null
  "$bin" stations import "$d" "$work/synthetic.csv" --mapping "$mapping" --batch 100000 > /dev/null
  measure "$work/import$i" "$bin" import "$d" "$work/synthetic.csv" --source official --mapping "$mapping" --stats
  R[import_s,$i]=$(wall "$work/import$i"); R[import_mb,$i]=$(rss "$work/import$i")
  R[import_rate,$i]=$(awk -v n="$n" -v s="${R[import_s,$i]}" 'BEGIN { printf "%.0f", n / s }')
  R[import_cpu,$i]=$(cpu "$work/import$i")
  R[import_cpu_m,$i]=$(awk -v n="$n" -v c="${R[import_cpu,$i]}" 'BEGIN { printf "%.1f", c * 1000000 / n }')
  for level in national state; do
    measure "$work/tally_${level}_$i" "$bin" tally "$d" --level "$level" --format json
    R[${level}_s,$i]=$(wall "$work/tally_${level}_$i"); R[${level}_mb,$i]=$(rss "$work/tally_${level}_$i")
  done
  measure "$work/tally_table_$i" "$bin" tally "$d" --level table --format csv
  R[table_s,$i]=$(wall "$work/tally_table_$i"); R[table_mb,$i]=$(rss "$work/tally_table_$i")
  R[table_rows,$i]=$(grep -c "^table," "$work/tally_table_$i.stdout")
  for level in municipality parish centre; do
    "$bin" tally "$d" --level "$level" --format json > "$work/tally_${level}_$i.stdout"
  done
  # serve: from the process start to the first answered state tally.
  t0=$(date +%s.%N)
  "$bin" serve "$d" --listen 127.0.0.1:0 2> "$work/serve$i.err" &
  server=$!
  port=""
  until [ -n "$port" ]; do
    port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve$i.err" 2>/dev/null | head -1 | sed 's/.*://' || true)
    kill -0 "$server" 2>/dev/null || { cat "$work/serve$i.err"; exit 1; }
    [ -z "$port" ] && sleep 0.02
  done
  until curl -sf "http://127.0.0.1:$port/api/v1/tally?level=state" -o "$work/serve_state$i.json"; do sleep 0.02; done
  t1=$(date +%s.%N)
  R[serve_s,$i]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  R[serve_mb,$i]=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status")
  kill "$server"; wait "$server" 2>/dev/null || true
  server=""
  measure "$work/reindex$i" "$bin" reindex "$d"
  R[reindex_s,$i]=$(wall "$work/reindex$i"); R[reindex_mb,$i]=$(rss "$work/reindex$i")
done
echo "load after:  $(uptime)"

# The same answers: strip the log_size member (added by issue 9) and compare byte for byte.
strip() { sed -E 's/,"log_size":[0-9]+//' "$1"; }
same=yes
for i in "${!bins[@]}"; do
  [ "$i" = 0 ] && continue
  for level in national state municipality parish centre; do
    if ! cmp -s <(strip "$work/tally_${level}_0.stdout") <(strip "$work/tally_${level}_$i.stdout"); then
      echo "DIFFERENT: tally --level $level, binary 0 vs $i"; same=no
    fi
  done
  cmp -s <(strip "$work/serve_state0.json") <(strip "$work/serve_state$i.json") || { echo "DIFFERENT: serve state"; same=no; }
done
sha256sum "$work"/tally_*_0.stdout | sed "s|$work/||"

echo
echo "synthetic election, $n stations, one sheet each; import at the default batch (build type: as the binaries were built; bench/run.sh builds Release)"
printf "%-44s" "figure"
for i in "${!bins[@]}"; do printf "%16s" "binary $i"; done
[ ${#bins[@]} -gt 1 ] && printf "%12s" "1 / 0"
echo
row() {  # row <label> <key> <unit>
  printf "%-44s" "$1"
  for i in "${!bins[@]}"; do printf "%16s" "${R[$2,$i]} $3"; done
  [ ${#bins[@]} -gt 1 ] && awk -v a="${R[$2,0]}" -v b="${R[$2,1]}" 'BEGIN { if (a > 0) printf "%12.3f", b / a }'
  echo
}
row "import: wall" import_s s
row "import: sheets/s" import_rate /s
row "import: peak RSS" import_mb MB
row "import: CPU (user + system)" import_cpu s
row "import: CPU-seconds per million sheets" import_cpu_m s
row "tally --level national: wall (cold process)" national_s s
row "tally --level national: peak RSS" national_mb MB
row "tally --level state: wall (cold process)" state_s s
row "tally --level state: peak RSS" state_mb MB
row "tally --level table: wall (cold process)" table_s s
row "tally --level table: peak RSS" table_mb MB
row "tally --level table: rows printed" table_rows ""
row "serve: start to first state tally" serve_s s
row "serve: peak RSS by then" serve_mb MB
row "reindex: wall" reindex_s s
row "reindex: peak RSS" reindex_mb MB
for i in "${!bins[@]}"; do echo "binary $i: ${bins[$i]}"; echo "  import --stats: $(tr '\n' ' ' < "$work/import$i.stderr")"; done
echo "same tally JSON at every level above the table (log_size aside): $same"
if [[ ${SUMMARY:-0} == 1 ]]; then
  echo "summary: import_default_batch = ${R[import_rate,0]} sheets/s ($n sheets in ${R[import_s,0]} s, peak RSS ${R[import_mb,0]} MB)"
  echo "summary: tally_state_cold = ${R[state_s,0]} s, peak RSS ${R[state_mb,0]} MB (national: ${R[national_s,0]} s)"
  echo "summary: tally_table_cold = ${R[table_s,0]} s, peak RSS ${R[table_mb,0]} MB, ${R[table_rows,0]} table rows"
  echo "summary: serve_first_tally = ${R[serve_s,0]} s, peak RSS ${R[serve_mb,0]} MB"
  echo "summary: reindex = ${R[reindex_s,0]} s, peak RSS ${R[reindex_mb,0]} MB"
fi
[ "$same" = yes ]
