#!/usr/bin/env bash
# Issue 10, finding 6: a connection storm on a freshly started server. For each server, start
# it, wait for its first answer, then at once `wrk -t2 -c1000 -d${SECS}s --latency` (1,000
# connections opened together) on the checkpoint; print requests/s, p50/p99 and socket errors
# (timeouts = no answer within wrk's 2 s). In the same run: nginx (Debian package, 2 worker
# processes like our 2 I/O threads) serving a static copy of the same checkpoint bytes, and, when
# TALLYLOG_BIN_BEFORE is set, an older tallylog binary for a before/after comparison.
# Needs wrk and nginx (scripts/install-deps.sh with TALLYLOG_WITH_BENCH_TOOLS=1).
#   TALLYLOG_BIN        tallylog binary (default build/src/tallylog/cli/tallylog)
#   TALLYLOG_BIN_BEFORE optional older binary to compare
#   TALLYLOG_BENCH_DATA data directory to create or reuse (default /tmp/tallylog-bench-data)
#   WRK_SECONDS (10), ROUNDS (3): length of each wrk run and how many cold starts per server
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TALLYLOG_BIN:-$ROOT/build/src/tallylog/cli/tallylog}
DATA=${TALLYLOG_BENCH_DATA:-/tmp/tallylog-bench-data}
ELECTION=$ROOT/elections/ve2024
CSV=$ELECTION/data/RESULTADOS_2024_CSV_V1.csv
MAPPING=$ELECTION/convzla-v1.mapping.toml
SECS=${WRK_SECONDS:-10}
ROUNDS=${ROUNDS:-3}
command -v wrk >/dev/null || { echo "wrk missing: TALLYLOG_WITH_BENCH_TOOLS=1 scripts/install-deps.sh" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || { echo "nginx missing: TALLYLOG_WITH_BENCH_TOOLS=1 scripts/install-deps.sh" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [[ ! -f $DATA/log/checkpoint ]]; then
  echo "== creating $DATA (init, stations, official actas)"
  "$BIN" init "$DATA" --election "$ELECTION/election.toml" >/dev/null
  "$BIN" stations import "$DATA" "$CSV" --mapping "$MAPPING" >/dev/null
  "$BIN" import "$DATA" "$CSV" --source official --mapping "$MAPPING" >/dev/null
fi
WORK=$(mktemp -d)
chmod 755 "$WORK"
PID=""
trap '[[ -n $PID ]] && kill -TERM $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_up() { for _ in $(seq 1 300); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }
storm() {  # storm <label> <url>: prints one table row
  local out
  out=$(wrk -t2 -c1000 -d"${SECS}s" --latency "$1" 2>&1)
  local rps p50 p99 timeouts errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  timeouts=$(grep -o 'timeout [0-9]*' <<<"$out" | awk '{print $2}' || true)
  errors=$(grep -o 'Socket errors: .*' <<<"$out" || echo "Socket errors: none")
  printf '%-22s %10s req/s  p50 %8s  p99 %8s  timeouts %5s  (%s)\n' "$2" "$rps" "$p50" "$p99" "${timeouts:-0}" "$errors"
}
run_tallylog() {  # run_tallylog <binary> <label>
  local port; port=$(free_port)
  "$1" serve "$DATA" --listen "127.0.0.1:$port" 2>"$WORK/serve.log" &
  PID=$!
  wait_up "http://127.0.0.1:$port/log/checkpoint"
  storm "http://127.0.0.1:$port/log/checkpoint" "$2"
  kill -TERM $PID; wait $PID || true; PID=""
}
run_nginx() {
  local port; port=$(free_port)
  mkdir -p "$WORK/www" "$WORK/nginx"
  cp "$DATA/log/checkpoint" "$WORK/www/checkpoint"
  chmod -R a+rX "$WORK/www"
  cat >"$WORK/nginx/nginx.conf" <<CONF
$( [[ $(id -u) == 0 ]] && echo "user root;" )
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server { listen 127.0.0.1:$port; root $WORK/www; location / { default_type text/plain; } }
}
CONF
  "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
  PID=$!
  wait_up "http://127.0.0.1:$port/checkpoint"
  storm "http://127.0.0.1:$port/checkpoint" "nginx (static file)"
  kill -QUIT $PID; wait $PID || true; PID=""
}
echo "checkpoint: $(wc -c <"$DATA/log/checkpoint") bytes; wrk -t2 -c1000 -d${SECS}s right after each server starts; $ROUNDS rounds"
echo "load before: $(uptime | sed 's/.*load average: //')"
for r in $(seq 1 "$ROUNDS"); do
  echo "-- round $r"
  [[ -n ${TALLYLOG_BIN_BEFORE:-} ]] && run_tallylog "$TALLYLOG_BIN_BEFORE" "tallylog before"
  run_tallylog "$BIN" "tallylog"
  run_nginx
done
echo "load after: $(uptime | sed 's/.*load average: //')"
