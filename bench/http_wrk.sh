#!/usr/bin/env bash
# HTTP figures for issue 6, on the bundled Venezuela data:
#   1. wrk, 1,000 concurrent keep-alive connections, on /log/checkpoint and on the tally JSON
#      endpoint (/api/v1/tally?level=state): requests/s, errors, latency percentiles (--latency);
#   2. uncached vs cached /api/v1/tally?level=state, one connection: a new sheet lands before each
#      uncached GET (bench/http_tally_uncached.mjs; UNCACHED_ROUNDS, default 300);
#   3. 200 submissions/s through POST /api/v1/sheets for 30 s while wrk hammers the tally endpoint
#      (50 connections), then every acknowledged sheet checked against the log's entry bytes, an
#      inclusion proof and the signed checkpoint (bench/http_submit_load.mjs; failed appends are
#      errors).
# Sections 1 and 3 measure the tally endpoint's cached answer (no sheet lands between wrk's reads
# in 1; in 3 most reads between two submissions are cached): section 2 is the uncached figure.
# With SUMMARY=1, prints "summary: key = value" lines (bench/run.sh collects them).
# Needs wrk and node (Debian: wrk nodejs). Run from anywhere; builds nothing.
#   TALLYLOG_BIN        tallylog binary (default build/src/tallylog/cli/tallylog)
#   TALLYLOG_BENCH_DATA data directory to create or reuse (default /tmp/tallylog-bench-data)
#   WRK_SECONDS         length of each wrk run (default 15); SUBMIT_RATE (200), SUBMIT_SECONDS (30)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TALLYLOG_BIN:-$ROOT/build/src/tallylog/cli/tallylog}
DATA=${TALLYLOG_BENCH_DATA:-/tmp/tallylog-bench-data}
ELECTION=$ROOT/elections/ve2024
CSV=$ELECTION/data/RESULTADOS_2024_CSV_V1.csv
MAPPING=$ELECTION/convzla-v1.mapping.toml
SECS=${WRK_SECONDS:-15}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [[ ! -f $DATA/log/checkpoint ]]; then
  echo "== creating $DATA (init, stations, official actas)"
  "$BIN" init "$DATA" --election "$ELECTION/election.toml" >/dev/null
  "$BIN" stations import "$DATA" "$CSV" --mapping "$MAPPING" >/dev/null
  "$BIN" import "$DATA" "$CSV" --source official --mapping "$MAPPING" >/dev/null
fi
"$BIN" tokens revoke "$DATA" --name bench 2>/dev/null || true
TOKEN=$("$BIN" tokens add "$DATA" --name bench --source 'witness:*' 2>/dev/null)

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
BASE=http://127.0.0.1:$PORT
# A generous per-token rate: the load below is the point, not the limiter.
"$BIN" serve "$DATA" --listen "127.0.0.1:$PORT" --rate 1000 --burst 2000 2>/tmp/tallylog-bench-serve.log &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT
for _ in $(seq 1 150); do curl -fs "$BASE/log/checkpoint" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "$BASE/api/v1/tally?level=state" >/dev/null  # warm the tabulation cache

for path in /log/checkpoint "/api/v1/tally?level=state"; do
  echo
  echo "== wrk -t2 -c1000 -d${SECS}s --latency $path"
  wrk -t2 -c1000 -d"${SECS}s" --timeout 5s --latency "$BASE$path" > /tmp/tallylog-bench-wrk.$$.txt
  grep -E 'Latency|50%|90%|99%|requests in|Requests/sec|Socket errors|Non-2xx' /tmp/tallylog-bench-wrk.$$.txt
  if [[ ${SUMMARY:-0} == 1 ]]; then
    key=wrk_checkpoint; [[ $path == /log/checkpoint ]] || key=wrk_tally_cached
    awk -v key=$key '/Requests\/sec/ { rps = $2 } / 99%/ { p99 = $2 } /Socket errors/ { err = $0 } /Non-2xx/ { non2xx = $NF }
      END { printf "summary: %s = %.0f req/s, p99 %s, %s%s\n", key, rps, p99, (err == "" ? "0 socket errors" : err), (non2xx == "" ? "" : ", non-2xx " non2xx) }' \
      /tmp/tallylog-bench-wrk.$$.txt
  fi
  rm -f /tmp/tallylog-bench-wrk.$$.txt
done

echo
echo "== uncached vs cached GET /api/v1/tally?level=state (a sheet lands before each uncached GET)"
node "$ROOT/bench/http_tally_uncached.mjs" "$BASE" "$TOKEN" "$CSV" "${UNCACHED_ROUNDS:-300}" "/api/v1/tally?level=state" "witness:uncached$(date +%s)"

echo
echo "== ${SUBMIT_RATE:-200} submissions/s for ${SUBMIT_SECONDS:-30} s while wrk reads the tally (50 connections)"
wrk -t1 -c50 -d"$(( ${SUBMIT_SECONDS:-30} + 5 ))s" --latency "$BASE/api/v1/tally?level=state" >/tmp/tallylog-bench-readers.txt &
WRK=$!
# A fresh source each run, so every submission is a new log entry (not a duplicate of the last run).
node "$ROOT/bench/http_submit_load.mjs" "$BASE" "$TOKEN" "$CSV" "${SUBMIT_RATE:-200}" "${SUBMIT_SECONDS:-30}" "witness:bench$(date +%s)"
wait $WRK
echo "readers during the load:"
grep -E 'Requests/sec|99%|Socket errors|Non-2xx' /tmp/tallylog-bench-readers.txt || true
echo
echo "== graceful stop (SIGTERM)"
kill -TERM $PID
wait $PID && echo "server exited 0 after SIGTERM"
trap - EXIT
