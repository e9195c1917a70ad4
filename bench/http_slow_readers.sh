#!/usr/bin/env bash
# Issue 10, finding 4: slow readers. N clients (default 200) with a 4 KiB receive buffer ask for
# the largest cached answer, /api/v1/tally?level=table&source=*, and never read it. Prints the
# server's RSS before, the peak while they hang on, and after they close; and whether an ordinary
# client is still answered during the attack. Needs python3 and curl; builds nothing.
#   TALLYLOG_BIN        tallylog binary (default build/src/tallylog/cli/tallylog)
#   TALLYLOG_BENCH_DATA data directory to create or reuse (default /tmp/tallylog-bench-data)
#   SLOW_CLIENTS (200), HOLD_SECONDS (10): how many slow readers, and how long they hold on
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TALLYLOG_BIN:-$ROOT/build/src/tallylog/cli/tallylog}
DATA=${TALLYLOG_BENCH_DATA:-/tmp/tallylog-bench-data}
ELECTION=$ROOT/elections/ve2024
CSV=$ELECTION/data/RESULTADOS_2024_CSV_V1.csv
MAPPING=$ELECTION/convzla-v1.mapping.toml
N=${SLOW_CLIENTS:-200}
HOLD=${HOLD_SECONDS:-10}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [[ ! -f $DATA/log/checkpoint ]]; then
  echo "== creating $DATA (init, stations, official actas)"
  "$BIN" init "$DATA" --election "$ELECTION/election.toml" >/dev/null
  "$BIN" stations import "$DATA" "$CSV" --mapping "$MAPPING" >/dev/null
  "$BIN" import "$DATA" "$CSV" --source official --mapping "$MAPPING" >/dev/null
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
BASE=http://127.0.0.1:$PORT
"$BIN" serve "$DATA" --listen "127.0.0.1:$PORT" 2>/tmp/tallylog-bench-slow-serve.log &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT
for _ in $(seq 1 150); do curl -fs "$BASE/log/checkpoint" >/dev/null 2>&1 && break; sleep 0.2; done
TARGET="/api/v1/tally?level=table&source=*"
SIZE=$(curl -fs "$BASE$TARGET" | wc -c)  # also warms the tabulation and the cached body
rss() { awk '/VmRSS/ {print int($2/1024)}' /proc/$PID/status; }
echo "answer: GET $TARGET = $SIZE bytes; $N slow readers (SO_RCVBUF 4096), held ${HOLD} s; load: $(uptime | sed 's/.*load average: //')"
echo "RSS before: $(rss) MB"
python3 - "$PORT" "$N" "$HOLD" "$PID" "$TARGET" <<'PY'
import socket, sys, time, subprocess
port, n, hold, pid, target = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"): return int(line.split()[1]) // 1024
socks = []
for i in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    socks.append(s)
peak, end = 0, time.time() + hold
probe = None
while time.time() < end:
    peak = max(peak, rss())
    if probe is None and time.time() > end - hold / 2:
        t0 = time.time()
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                            f"http://127.0.0.1:{port}/api/v1/tally?level=state"], capture_output=True, text=True)
        probe = (r.stdout, time.time() - t0)
    time.sleep(0.2)
print(f"RSS peak while {n} slow readers hang on: {peak} MB")
print(f"an ordinary client meanwhile: HTTP {probe[0]} in {probe[1]*1000:.0f} ms")
for s in socks: s.close()
time.sleep(3)
print(f"RSS 3 s after they closed: {rss()} MB")
PY
