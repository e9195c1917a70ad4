#!/usr/bin/env bash
# The citizen view on an emulated slow 3G phone (bench/citizen_slow3g.mjs): imports the bundled
# Venezuela 2024 data into a temporary directory, builds the page, serves it on 127.0.0.1:0 and
# prints page weight and time-to-interactive (3 runs, median) of the results page and of the witness
# page (bench/witness_slow3g.mjs). About two minutes.
#   TALLYLOG_BIN  the tallylog binary (default build/src/tallylog/cli/tallylog)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TALLYLOG_BIN:-$ROOT/build/src/tallylog/cli/tallylog}
E=$ROOT/elections/ve2024
WORK=$(mktemp -d)
PID=""
cleanup() { [[ -n $PID ]] && { kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }; rm -rf "$WORK"; }
trap cleanup EXIT
(cd "$ROOT/tests/browser" && [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error)
"$ROOT/scripts/build-web.sh" >/dev/null
"$BIN" init "$WORK/data" --election "$E/election.toml" >/dev/null
"$BIN" stations import "$WORK/data" "$E/data/RESULTADOS_2024_CSV_V1.csv" --mapping "$E/convzla-v1.mapping.toml" >/dev/null
"$BIN" import "$WORK/data" "$E/data/RESULTADOS_2024_CSV_V1.csv" --source official --mapping "$E/convzla-v1.mapping.toml" >/dev/null
source "$ROOT/tests/lib/server.sh"
"$BIN" serve "$WORK/data" --listen 127.0.0.1:0 --web "$ROOT/web/dist" 2>"$WORK/serve.log" &
PID=$!
PORT=$(listening_port "$WORK/serve.log")
wait_for 60 curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/v1/election"
node "$ROOT/bench/citizen_slow3g.mjs" "http://127.0.0.1:$PORT" "${1:-3}"
# The witness page (issue 14.1) on the same emulated phone.
WASM=$(cd "$ROOT/web/dist" && ls assets/zxing_reader-*.wasm | head -1)
node "$ROOT/bench/witness_slow3g.mjs" "http://127.0.0.1:$PORT" "/$WASM" "${1:-3}"
