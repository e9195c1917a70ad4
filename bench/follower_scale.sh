#!/usr/bin/env bash
# What following costs at national scale (issue 15 with issue 16's size): two serve nodes on one log
# in PostgreSQL holding a synthetic N-station election (bench/ingest_synthetic_csv.py, default
# 1,000,000 stations with one official sheet each), then a client submitting sheets one by one to
# the sequencer at RATE per second for SUBMIT_SECONDS. Prints:
#   1. the import into the PostgreSQL store (stations, then sheets; default batches);
#   2. a new follower's start: seconds from process start until it answers /log/checkpoint and
#      /api/v1/tally?level=state (its own index is built from the log in PostgreSQL first);
#   3. while sheets arrive: the follower's lag behind the sequencer (sampled every 100 ms: how many
#      entries and how many seconds its /log/checkpoint is behind), the CPU each node used (from
#      /proc, user + system), and wrk on the follower's /api/v1/tally?level=state during the run
#      against the same wrk on the idle follower before it (requests/s, p99, errors).
# Needs wrk. Builds nothing. The follower rebuilds its serving stack on each refresh (at most every
# --follow-ms, default 1000): the CPU figure is what that costs at this size.
#   TALLYLOG_BIN (default build/src/tallylog/cli/tallylog); STATIONS (default 1000000); RATE
#   (default 50 sheets/s); SUBMIT_SECONDS (default 30); FOLLOW_MS (default 1000); WRK_SECONDS (default 10)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(readlink -f "${TALLYLOG_BIN:-$ROOT/build/src/tallylog/cli/tallylog}")
N=${STATIONS:-1000000}
RATE=${RATE:-50}
SUBMIT=${SUBMIT_SECONDS:-30}
FOLLOW_MS=${FOLLOW_MS:-1000}
SECS=${WRK_SECONDS:-10}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
source "$ROOT/bench/lib/pg_workdir.sh"  # $D, $URL, PIDS; all cleaned up at exit
MAP=$ROOT/elections/ve2024/convzla-v1.mapping.toml
echo "load before: $(uptime)"
python3 "$ROOT/bench/ingest_synthetic_csv.py" "$D/synthetic.csv" "$N"
"$BIN" init "$D/seed" --election "$ROOT/elections/ve2024/election.toml" --store "$URL" >/dev/null 2>&1
t0=$(date +%s.%N)
"$BIN" stations import "$D/seed" "$D/synthetic.csv" --mapping "$MAP" >/dev/null
t1=$(date +%s.%N)
"$BIN" import "$D/seed" "$D/synthetic.csv" --source official --mapping "$MAP" >/dev/null
t2=$(date +%s.%N)
echo "== 1. import into the PostgreSQL store: $N stations $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s, $N sheets $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}') s"
TOKEN=$("$BIN" tokens add "$D/seed" --name obs --source 'observer:*' 2>/dev/null)
for n in 1 2; do
  mkdir "$D/n$n"
  for f in "$D/seed"/*; do [ -f "$f" ] && case "$(basename "$f")" in index*|lock) ;; *) cp "$f" "$D/n$n/" ;; esac; done
done
# The sheets the client submits: observer sheets for the first tables, one file each.
python3 "$ROOT/tests/cli/nodes_sheets.py" "$D/synthetic.csv" "$D/sheets" observer:fo 0 "$((RATE * SUBMIT + 100))"
source "$ROOT/tests/lib/server.sh"  # listening_port, wait_for
ready() { wait_for 3600 curl -fs -o /dev/null "$1"; }  # a new follower first builds its index from the log
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system, clock ticks
TICK=$(getconf CLK_TCK)
"$BIN" serve "$D/n1" --listen 127.0.0.1:0 --node n1 --rate 100000 --burst 100000 >"$D/n1.log" 2>&1 &
PIDS+=($!)
P1=$(listening_port "$D/n1.log" 3600)
ready "http://127.0.0.1:$P1/api/v1/tally?level=state"
s0=$(date +%s.%N)
"$BIN" serve "$D/n2" --listen 127.0.0.1:0 --node n2 --follow-ms "$FOLLOW_MS" >"$D/n2.log" 2>&1 &
PIDS+=($!)
F=$!
P2=$(listening_port "$D/n2.log" 3600)
ready "http://127.0.0.1:$P2/log/checkpoint"
s1=$(date +%s.%N)
ready "http://127.0.0.1:$P2/api/v1/tally?level=state"
s2=$(date +%s.%N)
grep -q "a follower" "$D/n2.log" || { echo "FAIL: node 2 is not a follower"; cat "$D/n2.log"; exit 1; }
echo "== 2. a new follower's start ($(grep VmHWM "/proc/$F/status" | awk '{printf "%.0f MB peak RSS", $2 / 1024}')):" \
  "/log/checkpoint after $(awk -v a="$s0" -v b="$s1" 'BEGIN{printf "%.2f", b-a}') s," \
  "/api/v1/tally?level=state after $(awk -v a="$s0" -v b="$s2" 'BEGIN{printf "%.2f", b-a}') s"
curl -fs "http://127.0.0.1:$P1/api/v1/tally?level=state" >"$D/t1"
curl -fs "http://127.0.0.1:$P2/api/v1/tally?level=state" >"$D/t2"
cmp -s "$D/t1" "$D/t2" || { echo "FAIL: the follower's state tally differs from the sequencer's"; exit 1; }
sleep 2
wrk_line() {  # wrk_line <label>: wrk on the follower's state tally
  wrk -t1 -c16 -d"${SECS}s" --timeout 5s --latency "http://127.0.0.1:$P2/api/v1/tally?level=state" >"$D/wrk" 2>&1
  awk -v label="$1" '/Requests\/sec/ { rps = $2 } / 99%/ { p99 = $2 } /Non-2xx/ { bad = $NF } /Socket errors/ { err = $0 }
    END { printf "   wrk -t1 -c16 %-34s %8.0f req/s  p99 %-8s non-2xx %d %s\n", label, rps, p99, bad, err }' "$D/wrk"
}
echo "== 3. $RATE sheets/s submitted one by one to the sequencer for ${SUBMIT}s (follower: --follow-ms $FOLLOW_MS)"
secs() { awk -v t="$1" -v k="$TICK" 'BEGIN{printf "%.2f", t/k}'; }
c1=$(cpu_of "${PIDS[0]}"); c2=$(cpu_of "$F")
sleep "$SUBMIT"
echo "   idle, ${SUBMIT}s: CPU sequencer $(secs $(( $(cpu_of "${PIDS[0]}") - c1 ))) s, follower $(secs $(( $(cpu_of "$F") - c2 ))) s"
wrk_line "(idle follower)"
echo "$P1" >"$D/ports"
: >"$D/acks"
python3 "$ROOT/tests/cli/nodes_submitter.py" "$D/ports" "$D/sheets" "$TOKEN" "$D/acks" "$D/stop" "$RATE" 2>"$D/submitter.err" &
SUB=$!
PIDS+=($SUB)
c1=$(cpu_of "${PIDS[0]}"); c2=$(cpu_of "$F")
# Sample both checkpoints every 100 ms; a size the sequencer published is "reached" by the
# follower at the first sample where the follower's size is at least that.
python3 - "$P1" "$P2" "$SUBMIT" >"$D/lag" <<'PY'
import http.client, sys, time
p1, p2, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
def size(p):
    c = http.client.HTTPConnection("127.0.0.1", p, timeout=5)
    c.request("GET", "/log/checkpoint"); body = c.getresponse().read().decode(); c.close()
    return int(body.split("\n")[1])
seen = {}  # sequencer size -> first time seen
lags, behind = [], []
end = time.monotonic() + secs
while time.monotonic() < end:
    now = time.monotonic()
    s1, s2 = size(p1), size(p2)
    seen.setdefault(s1, now)
    behind.append(s1 - s2)
    for s in [s for s in seen if s <= s2]:
        lags.append(now - seen.pop(s))
    time.sleep(0.1)
lags.sort(); behind.sort()
q = lambda v, f: v[min(len(v) - 1, int(f * len(v)))] if v else float("nan")
print("   the follower behind the sequencer (%d samples): entries behind median %d, p99 %d, max %d; "
      "seconds from a sequencer checkpoint to the follower serving it: median %.2f, p99 %.2f, max %.2f"
      % (len(behind), q(behind, .5), q(behind, .99), behind[-1], q(lags, .5), q(lags, .99), lags[-1] if lags else float("nan")))
PY
d1=$(( $(cpu_of "${PIDS[0]}") - c1 )); d2=$(( $(cpu_of "$F") - c2 ))
A1=$(wc -l <"$D/acks")
cat "$D/lag"
echo "   sheets arriving, ${SUBMIT}s: $A1 acknowledged; CPU sequencer $(secs "$d1") s, follower $(secs "$d2") s"
wrk_line "(follower while sheets arrive)"
touch "$D/stop"
wait "$SUB" || true
ACKS=$(wc -l <"$D/acks")
[ -s "$D/submitter.err" ] && { echo "submitter errors:"; head -5 "$D/submitter.err"; }
sleep "$(awk -v f="$FOLLOW_MS" 'BEGIN{print f / 1000 + 1}')"
curl -fs "http://127.0.0.1:$P1/api/v1/tally?level=state" >"$D/t1"
curl -fs "http://127.0.0.1:$P2/api/v1/tally?level=state" >"$D/t2"
cmp -s "$D/t1" "$D/t2" && echo "   after the run ($ACKS sheets acknowledged): the follower's state tally equals the sequencer's" ||
  echo "FAIL: the follower's state tally differs after the run"
echo "load after: $(uptime)"
