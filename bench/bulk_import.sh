#!/usr/bin/env bash
# Issue 17 figures, one command, one table: the bundled Venezuela CSV (24,532 actas) imported
#   1. directly into a stations-only data directory (`import <data>`: the offline path), and
#   2. into a running `tallylog serve` on a copy of that directory over loopback (`import <url>`:
#      local checks, 5,000-sheet POSTs, the server's checks, one durable append per batch, index),
# both timed end to end through the real binary (the process from start to its summary line);
#   3. wrk on /api/v1/tally?level=state (2 threads, 16 connections) while bulk imports of fresh
#      sources keep the server writing, against wrk on the same server with no import: requests/s,
#      errors, p50/p99.
# Needs wrk. Builds nothing. Best of RUNS (default 3) for the import rates; CPU-seconds (user +
# system; the client process, and the server's /proc/<pid>/stat ticks during the import) are each
# the least of the runs. Where the CPU goes per stage: bench/bulk_import_profile.sh.
# Usage: bench/bulk_import.sh [binary ...]   (e.g. main's binary, then this branch's: both are
#   timed in the same run, alternating, and printed side by side; wrk runs on the last one)
#   TALLYLOG_BIN  tallylog binary when none is given (default build/src/tallylog/cli/tallylog)
#   RUNS          import repetitions (default 3); WRK_SECONDS (default 6)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BINS=("$@")
[ ${#BINS[@]} -eq 0 ] && BINS=("${TALLYLOG_BIN:-$ROOT/build/src/tallylog/cli/tallylog}")
for i in "${!BINS[@]}"; do BINS[$i]=$(readlink -f "${BINS[$i]}"); done
BIN=${BINS[-1]}
E=$ROOT/elections/ve2024
CSV=$E/data/RESULTADOS_2024_CSV_V1.csv
MAP=$E/convzla-v1.mapping.toml
RUNS=${RUNS:-3}
SECS=${WRK_SECONDS:-6}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
ROWS=$(($(wc -l <"$CSV") - 1))
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
now() { date +%s.%N; }
server_cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # clock ticks, user + system
serve() {  # serve <dir> <var>
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  "$BIN" serve "$1" --listen "127.0.0.1:$port" --rate 1000 --burst 2000 2>"$WORK/serve.$port.log" &
  PIDS+=($!)
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/api/v1/election" >/dev/null 2>&1 && break; sleep 0.05; done
  printf -v "$2" 'http://127.0.0.1:%s' "$port"
}

"$BIN" init "$WORK/stations" --election "$E/election.toml" >/dev/null
"$BIN" stations import "$WORK/stations" "$CSV" --mapping "$MAP" >/dev/null
declare -A BEST
for r in $(seq 1 "$RUNS"); do
  for i in "${!BINS[@]}"; do
    B=${BINS[$i]}
    rm -rf "$WORK/direct" "$WORK/server"
    cp -a "$WORK/stations" "$WORK/direct"; cp -a "$WORK/stations" "$WORK/server"
    sync
    t0=$(now); out=$(/usr/bin/time -f "%U %S" -o "$WORK/cpu.direct" "$B" import "$WORK/direct" "$CSV" --source witness:convzla --mapping "$MAP"); t1=$(now)
    [[ $out == "accepted $ROWS,"* ]] || { echo "direct import: $out" >&2; exit 1; }
    d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    TOKEN=$("$B" tokens add "$WORK/server" --name bench --source 'witness:*' 2>/dev/null)
    BIN=$B serve "$WORK/server" URL
    curl -fs "$URL/api/v1/tally?level=state" >/dev/null
    s0=$(server_cpu "${PIDS[-1]}")
    t0=$(now); out=$(/usr/bin/time -f "%U %S" -o "$WORK/cpu.client" "$B" import "$URL" "$CSV" --source witness:convzla --mapping "$MAP" --token "$TOKEN" 2>/dev/null); t1=$(now)
    s1=$(server_cpu "${PIDS[-1]}")
    [[ $out == "accepted $ROWS,"* ]] || { echo "import <url>: $out" >&2; exit 1; }
    m=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    BEST[direct,$i]=$(awk -v a="${BEST[direct,$i]:-999}" -v b="$d" 'BEGIN { print (b < a) ? b : a }')
    BEST[remote,$i]=$(awk -v a="${BEST[remote,$i]:-999}" -v b="$m" 'BEGIN { print (b < a) ? b : a }')
    # CPU-seconds (user + system), which load does not inflate: the direct process; client + server.
    cd_=$(awk '{ print $1 + $2 }' "$WORK/cpu.direct")
    cc_=$(awk '{ print $1 + $2 }' "$WORK/cpu.client")
    cs_=$(awk -v s0="$s0" -v s1="$s1" -v hz="$(getconf CLK_TCK)" 'BEGIN { print (s1 - s0) / hz }')
    cm_=$(awk -v a="$cc_" -v b="$cs_" 'BEGIN { print a + b }')
    BEST[cpu_client,$i]=$(awk -v a="${BEST[cpu_client,$i]:-999}" -v b="$cc_" 'BEGIN { print (b < a) ? b : a }')
    BEST[cpu_server,$i]=$(awk -v a="${BEST[cpu_server,$i]:-999}" -v b="$cs_" 'BEGIN { print (b < a) ? b : a }')
    BEST[cpu_direct,$i]=$(awk -v a="${BEST[cpu_direct,$i]:-999}" -v b="$cd_" 'BEGIN { print (b < a) ? b : a }')
    BEST[cpu_remote,$i]=$(awk -v a="${BEST[cpu_remote,$i]:-999}" -v b="$cm_" 'BEGIN { print (b < a) ? b : a }')
    echo "run $r, binary $i: direct $d s ($cd_ CPU-s), import <url> $m s ($cm_ CPU-s = client $cc_ + server $cs_)" >&2
    kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}" || true; unset 'PIDS[-1]'
  done
done
BIN=${BINS[-1]}

# Reads while the server writes: fresh sources, so every import logs 24,532 new sheets.
TOKEN=$("$BIN" tokens add "$WORK/server" --name bench2 --source 'witness:*' 2>/dev/null)
serve "$WORK/server" URL
curl -fs "$URL/api/v1/tally?level=state" >/dev/null
wrk -t2 -c16 -d"${SECS}s" --latency "$URL/api/v1/tally?level=state" >"$WORK/wrk.idle"
wrk -t2 -c16 -d"${SECS}s" --latency "$URL/api/v1/tally?level=state" >"$WORK/wrk.busy" &
WRK=$!
imports=0; logged=0; end=$(( $(date +%s) + SECS - 1 ))
while (( $(date +%s) < end )); do
  out=$("$BIN" import "$URL" "$CSV" --source "witness:load$imports" --mapping "$MAP" --token "$TOKEN" --batch 2000 2>/dev/null)
  imports=$((imports + 1)); logged=$((logged + $(sed -n 's/^accepted \([0-9]*\),.*/\1/p' <<<"$out")))
done
wait $WRK
wrk_row() {  # label file
  awk -v label="$1" '
    /Requests\/sec/ { rps = $2 }
    /Non-2xx/ { non2xx = $NF }
    /Socket errors/ { errs = $0; sub(/.*Socket errors: /, "", errs) }
    $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
    END { printf "| %s | %s | %s | %s | %s |\n", label, rps, (non2xx == "" ? 0 : non2xx) " non-2xx" (errs == "" ? "" : ", " errs), p50, p99 }' "$2"
}
echo
echo "issue 17, $(date -u +%F), $(nproc) cores, load: $(uptime | sed 's/.*load average: //'), build $(basename "$(dirname "$(dirname "$(dirname "$(dirname "$BIN")")")")")"
echo
echo "| import of the bundled CSV ($ROWS sheets, best of $RUNS, end to end) | binary | seconds | sheets/s | CPU-s (user+sys) |"
echo "|---|---|---|---|---|"
for i in "${!BINS[@]}"; do
  awk -v d="${BEST[direct,$i]}" -v m="${BEST[remote,$i]}" -v n="$ROWS" -v b="$i" \
      -v cd="${BEST[cpu_direct,$i]}" -v cm="${BEST[cpu_remote,$i]}" -v cc="${BEST[cpu_client,$i]}" \
      -v cs="${BEST[cpu_server,$i]}" 'BEGIN {
    printf "| direct: import <data> (offline; default batch) | %s | %.3f | %.0f | %.2f |\n", b, d, n / d, cd
    printf "| import <url>: running serve over loopback (batch 5,000) | %s | %.3f | %.0f | %.2f (client %.2f + server %.2f) |\n", b, m, n / m, cm, cc, cs
    printf "| ratio import <url> / direct | %s | | %.2f | |\n", b, d / m }'
done
if (( ${#BINS[@]} > 1 )); then
  awk -v d0="${BEST[direct,0]}" -v m0="${BEST[remote,0]}" -v d="${BEST[direct,$((${#BINS[@]} - 1))]}" \
      -v m="${BEST[remote,$((${#BINS[@]} - 1))]}" 'BEGIN {
    printf "| direct: last / first binary (rate) | | | %.2f |\n", d0 / d
    printf "| import <url>: last / first binary (rate) | | | %.2f |\n", m0 / m }'
fi
for i in "${!BINS[@]}"; do echo "binary $i: ${BINS[$i]}"; done
echo
echo "| wrk -t2 -c16 ${SECS}s on /api/v1/tally?level=state | requests/s | errors | p50 | p99 |"
echo "|---|---|---|---|---|"
wrk_row "idle server" "$WORK/wrk.idle"
wrk_row "during $imports bulk imports ($logged sheets logged, batch 2,000)" "$WORK/wrk.busy"
