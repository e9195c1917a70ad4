#!/usr/bin/env bash
# Several serve nodes on one log in PostgreSQL (issue 15), on the bundled Venezuela data:
#   1. fail-over: tests/cli/nodes_test.sh with TRIALS (default 30) SIGKILLs of the sequencer while a
#      client submits sheets one by one; prints each take-over (kill -> next acknowledgement from
#      another node) and checks every acknowledged sheet is in the log and `verify` is clean;
#   2. reads: wrk on /api/v1/tally?level=state and /log/checkpoint against one node, then against
#      three nodes at once (one wrk per node, the same total connections), on this machine; and the
#      transactions PostgreSQL committed during each run (pg_stat_database.xact_commit): what the
#      read path costs the database once warm.
# Needs wrk. Builds nothing. Run from anywhere.
#   TALLYLOG_BIN  tallylog binary (default build/src/tallylog/cli/tallylog)
#   TRIALS        fail-over trials (default 30; 0: reads only); WRK_SECONDS (default 10); CONNS total (default 300)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TALLYLOG_BIN:-$ROOT/build/src/tallylog/cli/tallylog}
SECS=${WRK_SECONDS:-10}
CONNS=${CONNS:-300}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [[ ${TRIALS:-30} != 0 ]]; then
echo "== 1. fail-over: ${TRIALS:-30} x kill -9 of the sequencer during submissions (3 nodes)"
NODES_TRIALS=${TRIALS:-30} NODES_ROWS=24532 bash "$ROOT/tests/cli/nodes_test.sh" "$BIN" "$ROOT" 2>/dev/null | grep -v '^     takeover [0-9]' || echo "FAIL: the fail-over test failed (above)"
fi

source "$ROOT/bench/lib/pg_workdir.sh"  # $D, $URL, PIDS; all cleaned up at exit
VE=$ROOT/elections/ve2024
CSV=$VE/data/RESULTADOS_2024_CSV_V1.csv
MAP=$VE/convzla-v1.mapping.toml
"$BIN" init "$D/seed" --election "$VE/election.toml" --store "$URL" >/dev/null 2>&1
"$BIN" stations import "$D/seed" "$CSV" --mapping "$MAP" >/dev/null
"$BIN" import "$D/seed" "$CSV" --source official --mapping "$MAP" >/dev/null
PORTS=()
for n in 1 2 3; do
  mkdir "$D/n$n"
  cp "$D/seed/log.key" "$D/seed/log.vkey" "$D/seed/store.url" "$D/n$n/"
  "$BIN" serve "$D/n$n" --listen 127.0.0.1:0 --node "n$n" >"$D/n$n.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 600); do grep -q 'on http://127.0.0.1:[0-9]*/' "$D/n$n.log" && break; sleep 0.1; done
  PORTS+=("$(grep -o 'on http://127.0.0.1:[0-9]*/' "$D/n$n.log" | head -1 | grep -o '[0-9]*/$' | tr -d /)")
done
psql -X -q -d "$URL" -c "VACUUM ANALYZE" >/dev/null  # no autovacuum after the import inside a run
for p in "${PORTS[@]}"; do curl -fs "http://127.0.0.1:$p/api/v1/tally?level=state" >/dev/null; done  # warm
xacts() { psql -X -A -t -d "$URL" -c "SELECT sum(xact_commit) FROM pg_stat_database"; }
run() {  # run <label> <path> <ports...>: three wrk processes (one thread each), spread over the ports
  local label=$1 path=$2
  shift 2
  local ports=("$@") c=$((CONNS / 3)) before after i wpids=()
  before=$(xacts)
  for i in 0 1 2; do
    wrk -t1 -c"$c" -d"${SECS}s" --timeout 5s --latency "http://127.0.0.1:${ports[$((i % ${#ports[@]}))]}$path" >"$D/wrk.$i" &
    wpids+=($!)
  done
  wait "${wpids[@]}"
  after=$(xacts)
  cat "$D"/wrk.* | awk -v label="$label" -v path="$path" -v n="$n" -v x=$((after - before)) -v s="$SECS" '
    /Requests\/sec/ { rps += $2 } / 99%/ { p99 = (p99 == "" || $2 > p99) ? $2 : p99 } /Non-2xx/ { bad += $NF }
    /Socket errors/ { err = err " " $0 }
    END { printf "%-9s %-28s %8.0f req/s  p99 %-8s non-2xx %d%s; PostgreSQL commits during the run: %d (%.1f/s)\n",
          label, path, rps, p99, bad, err, x, x / s }'
}
idle() {  # the commits of the nodes' lease checks and watches alone, over the same time
  local before after
  before=$(xacts)
  sleep "$SECS"
  after=$(xacts)
  echo "idle      (no requests)                          PostgreSQL commits: $((after - before)) ($(( (after - before) / SECS ))/s): the lease checks and tries"
  rm -f "$D"/wrk.*
}
echo
echo "== 2. reads (3 wrk processes of one thread, $CONNS keep-alive connections in total, ${SECS}s each, $(nproc) cores shared by wrk, nodes and PostgreSQL)"
sleep "$SECS"  # settle: the followers' first refresh after start
idle
for path in "/api/v1/tally?level=state" /log/checkpoint; do
  run "1 node" "$path" "${PORTS[1]}"
  run "3 nodes" "$path" "${PORTS[@]}"
done
