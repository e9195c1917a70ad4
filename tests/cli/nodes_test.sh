#!/usr/bin/env bash
# Several `tallylog serve` nodes on one log in PostgreSQL (issue 15, docs/deploy.md "Several
# nodes"). Three nodes, each with its own small data directory (log.key, log.vkey, store.url,
# tokens, its own index): the first to start holds the sequencer lease and appends; the others
# answer reads from the same log and refuse writes with a 503 naming the sequencer. Then, while
# a client submits sheets one by one without pause, the sequencer is killed with SIGKILL
# $NODES_TRIALS times (default 3; bench/nodes_failover.sh runs 30): another node takes the lease
# each time, every sheet acknowledged (201, or 200 for one already logged) is in the log
# afterwards, the nodes converge to the same answers byte for byte, and `verify` is clean.
# Usage: nodes_test.sh <tallylog binary> <source dir>
set -u
source "$(dirname "$0")/lib.sh" "$@"
source "$SRC/tests/lib/server.sh"
TRIALS=${NODES_TRIALS:-3}
ROWS=${NODES_ROWS:-3000}  # rows of the bundled table used: 500 imported first, the rest submitted
RATE=${NODES_RATE:-200}   # sheets per second the client submits (enough to outlast the trials)
chmod 0755 "$D"  # as root the server runs as postgres, which must reach $D/pg
mkdir "$D/pg"
PG="$SRC/scripts/pg_test_server.sh"
URL="$(TALLYLOG_PG_OPTS="-c fsync=off" "$PG" start "$D/pg" $$)" || { echo "FAIL could not start PostgreSQL"; exit 1; }
declare -A PID PORT
trap 'for n in "${!PID[@]}"; do kill -9 "${PID[$n]}" 2>/dev/null; done; "$PG" stop "$D/pg" 2>/dev/null; rm -rf "$D"' EXIT

VE="$SRC/elections/ve2024"
MAP="$VE/convzla-v1.mapping.toml"
head -n $((ROWS + 1)) "$VE/data/RESULTADOS_2024_CSV_V1.csv" >"$D/ve.csv"
head -n 501 "$D/ve.csv" >"$D/first.csv"
"$T" init "$D/seed" --election "$VE/election.toml" --store "$URL" >/dev/null 2>"$D/init.err" || { cat "$D/init.err"; exit 1; }
"$T" stations import "$D/seed" "$D/ve.csv" --mapping "$MAP" >/dev/null
"$T" import "$D/seed" "$D/first.csv" --source witness:convzla --mapping "$MAP" >/dev/null
TOKEN=$("$T" tokens add "$D/seed" --name obs --source 'observer:*' 2>/dev/null)
for n in 1 2 3; do
  mkdir "$D/n$n"
  for f in "$D/seed"/*; do [ -f "$f" ] && case "$(basename "$f")" in index*|lock) ;; *) cp "$f" "$D/n$n/" ;; esac; done
done
# The sheets the client submits: every row after the first 500, one file each, source observer:fo.
python3 "$SRC/tests/cli/nodes_sheets.py" "$D/ve.csv" "$D/sheets" observer:fo 500

start_node() {  # start_node <n>: serve $D/n<n> on a free port; sets PID[n], PORT[n]; rewrites $D/ports
  local n=$1 log="$D/n$1.log.$SECONDS.$RANDOM"
  : >"$log"
  "$T" serve "$D/n$n" --listen 127.0.0.1:0 --node "n$n" --rate 100000 --burst 100000 --follow-ms 200 \
    --lease-check-ms 100 >"$log" 2>&1 &
  PID[$n]=$!
  echo "$log" >"$D/n$n.current_log"
  PORT[$n]=$(listening_port "$log") || return 1
  printf '%s\n' "${PORT[@]}" >"$D/ports"
}
get() { curl -s "http://127.0.0.1:${PORT[$1]}$2"; }
size_of() { get "$1" /log/checkpoint | sed -n 2p; }
sequencer() {  # the node whose lease row names it
  local node
  node=$(psql -X -A -t -d "$URL" -c "SELECT node FROM tl_sequencer" 2>/dev/null)
  echo "${node#n}"
}

start_node 1 || exit 1
start_node 2 || exit 1
start_node 3 || exit 1
check "the first node holds the lease; the others follow" \
  '[ "$(sequencer)" = 1 ] && grep -q "the sequencer" "$(cat "$D/n1.current_log")" && grep -q "a follower" "$(cat "$D/n2.current_log")"'
ONE=$(ls "$D/sheets" | head -1)
S=$(curl -s -o "$D/body" -D "$D/headers" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' --data-binary "@$D/sheets/$ONE" "http://127.0.0.1:${PORT[2]}/api/v1/sheets")
check "a write to a follower: 503 naming the sequencer (header and message), nothing logged" \
  '[ "$S" = 503 ] && grep -qi "^Tallylog-Sequencer: http://127.0.0.1:${PORT[1]}/" "$D/headers" && grep -q "follower" "$D/body" || { echo "$S"; cat "$D/headers" "$D/body"; false; }'

head -n 3 "$D/ve.csv" >"$D/two.csv"
"$T" import "$D/seed" "$D/two.csv" --source observer:direct --mapping "$MAP" >"$D/direct.out" 2>"$D/direct.err"
rc=$?
check "a direct import beside running nodes is refused (the lease is held), naming the sequencer" \
  '[ $rc != 0 ] && grep -q "node n1 (http://127.0.0.1:${PORT[1]}/) holds the sequencer lease" "$D/direct.err" || { cat "$D/direct.out" "$D/direct.err"; false; }'

# Images: a sheet with its photo posted to the sequencer; every node serves the photo (the log in
# PostgreSQL keeps it in tl_blobs: a follower fetches it from there once, checks it, keeps it).
IMG="$SRC/tests/fixtures/qr/actas/qr-mobile-1.jpg"
HEX=$(sha256sum "$IMG" | cut -d' ' -f1)
python3 - "$D/sheets/$ONE" "$HEX" >"$D/with-image.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s["source"] = "observer:img"; s["image_sha256"] = sys.argv[2]
print(json.dumps(s))
PY
S=$(curl -s -o "$D/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -F "sheet=<$D/with-image.json;type=application/json" \
  -F "image=@$IMG;type=image/jpeg" "http://127.0.0.1:${PORT[1]}/api/v1/sheets/with-image")
check "a sheet with its photo, posted to the sequencer, is logged" '[ "$S" = 201 ] || { echo "$S"; cat "$D/body"; false; }'
held_by() { [ -n "$(find "$D/n$1/blobs" -name "$HEX" 2>/dev/null)" ]; }
photo_everywhere() {
  local n
  for n in 2 3 1; do
    curl -fs "http://127.0.0.1:${PORT[$n]}/blobs/sha256/$HEX" | cmp -s - "$IMG" || { echo "node $n"; return 1; }
  done
}
check "a follower that never received the photo serves it, byte for byte, from the shared store, and keeps it" \
  '! held_by 2 && photo_everywhere && held_by 2'
S=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[2]}/blobs/sha256/$(printf '%064d' 0)")
check "a blob nobody has is 404 on a follower" '[ "$S" = 404 ]'

# Reads: every node answers the same bytes once it serves the same checkpoint.
converged() {  # every node serves the log size of $1
  for n in 1 2 3; do [ "$(size_of $n)" = "$1" ] || return 1; done
}
same_answers() {
  local r n
  for r in "/api/v1/tally?level=national" "/api/v1/tally?level=state" "/api/v1/tally?level=table&source=observer:fo" \
           "/log/checkpoint"; do
    get 1 "$r" >"$D/a1"
    for n in 2 3; do
      get $n "$r" >"$D/a$n"
      cmp -s "$D/a1" "$D/a$n" || { echo "differs: node $n $r"; cmp "$D/a1" "$D/a$n"; head -c 400 "$D/a1"; echo; head -c 400 "$D/a$n"; echo; return 1; }
    done
  done
}
: >"$D/acks"
python3 "$SRC/tests/cli/nodes_submitter.py" "$D/ports" "$D/sheets" "$TOKEN" "$D/acks" "$D/stop" "$RATE" 2>"$D/submitter.err" &
SUB=$!
wait_for 60 test -s "$D/acks"
sleep 1
SEQ=$(sequencer)
S0=$(size_of "$SEQ")
follows() { for n in 1 2 3; do [ "$(size_of $n)" -ge "$S0" ] || return 1; done; }
check "while sheets keep arriving, the followers serve the sequencer's checkpoints (size $S0)" 'wait_for 30 follows'

# Fail-over: SIGKILL the sequencer while the client submits; another node takes the lease.
: >"$D/takeovers"
for t in $(seq 1 "$TRIALS"); do
  SEQ=$(sequencer)
  sleep 0.$((RANDOM % 9 + 1))
  t0=$(python3 -c 'import time; print("%.3f" % time.monotonic())')
  kill -9 "${PID[$SEQ]}"
  wait "${PID[$SEQ]}" 2>/dev/null
  # The next acknowledgement after the kill comes from the new sequencer.
  after_kill() { awk -v t0="$t0" -v p="${PORT[$SEQ]}" '$1 > t0 && $4 != p { print $1; exit }' "$D/acks"; }
  acked_after_kill() { [ -n "$(after_kill)" ]; }
  if ! wait_for 60 acked_after_kill; then
    echo "trial $t: no acknowledgement within 60 s of killing node $SEQ"; break
  fi
  t1=$(after_kill)
  NEW=$(sequencer)
  echo "$t $SEQ $NEW $(python3 -c "print('%.3f' % ($t1 - $t0))")" >>"$D/takeovers"
  start_node "$SEQ" || break
done
check "$TRIALS kills of the sequencer: each time another node took over and acknowledged sheets again" \
  '[ "$(wc -l <"$D/takeovers")" = "$TRIALS" ] && awk "\$2 == \$3 { exit 1 }" "$D/takeovers" || { cat "$D/takeovers" "$D/submitter.err"; false; }'
awk '{ print "takeover " $0 }' "$D/takeovers" | sed 's/^/     /' | head -40
sort -n -k4 "$D/takeovers" | awk '{ a[NR] = $4 } END { if (NR) printf "     takeover seconds (kill -> next acknowledgement): min %s median %s max %s over %d\n", a[1], a[int((NR + 1) / 2)], a[NR], NR }'
# A database restart while the client submits: every write is refused (503, nothing logged) while
# it is down, reads of what the nodes hold go on, and a node takes the lease again once it is back.
"$PG" stop "$D/pg"
sleep 1
: >"$D/outage"
for n in 1 2 3; do
  curl -s -o /dev/null -w "%{http_code}\n" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary "@$D/sheets/$ONE" "http://127.0.0.1:${PORT[$n]}/api/v1/sheets" >>"$D/outage"
done
check "database down: every node refuses writes with 503 ($(tr '\n' ' ' <"$D/outage"))" '[ "$(grep -c "^503$" "$D/outage")" = 3 ]'
check "database down: the nodes still answer reads of what they hold" \
  '[ "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:${PORT[2]}/api/v1/tally?level=state")" = 200 ]'
t0=$(python3 -c 'import time; print("%.3f" % time.monotonic())')
"$PG" resume "$D/pg"
acked_after_restart() { [ -n "$(awk -v t0="$t0" '$1 > t0 { print $1; exit }' "$D/acks")" ]; }
check "database back: a node holds the lease again and sheets are acknowledged" 'wait_for 60 acked_after_restart'
sleep 1
touch "$D/stop"
wait "$SUB"
check "the client saw no error other than nodes going away" '[ ! -s "$D/submitter.err" ] || { cat "$D/submitter.err"; false; }'

# Once the sequencer has published the checkpoint covering its last acknowledgement (a 201 is
# durable in the journal at once, in a checkpoint moments later), every node serves it.
SEQ=$(sequencer)
stable() { local a b; a=$(size_of "$SEQ"); sleep 0.5; b=$(size_of "$SEQ"); [ -n "$a" ] && [ "$a" = "$b" ]; }
wait_for 30 stable
wait_for 30 converged "$(size_of "$SEQ")"

# Every acknowledged sheet is in the log: a fresh reader (no key) builds its index from the
# database and finds each with its counts.
mkdir "$D/reader"
cp "$D/seed/log.vkey" "$D/seed/store.url" "$D/reader/"
"$T" tally "$D/reader" --level table --source observer:fo --format json >"$D/fo.json" 2>"$D/tally.err"
python3 - "$D/acks" "$D/sheets" "$D/fo.json" >"$D/missing" <<'PY'
import json, sys
acked = {line.split()[2] for line in open(sys.argv[1]) if line.strip()}
tally = {a["code"]: a for a in json.load(open(sys.argv[3]))["areas"]}
print("acknowledged", len(acked), file=sys.stderr)
for name in sorted(acked):
    s = json.load(open("%s/%s" % (sys.argv[2], name)))
    a = tally.get(s["station"])
    if a is None or a["candidates"] != s["candidates"] or a.get("tables_reported") != 1:
        print(name, s["station"], "missing or different:", a)
PY
check "every acknowledged sheet ($(wc -l <"$D/acks")) is in the log with its counts" \
  '[ -s "$D/fo.json" ] && [ ! -s "$D/missing" ] || { head "$D/missing" "$D/tally.err"; false; }'
check "after the fail-overs the 3 nodes converge to identical answers" 'same_answers'
"$T" verify "$D/reader" --vkey "$D/seed/log.vkey" >"$D/verify.out" 2>&1
rc=$?
check "verify: the log in the database is intact" '[ $rc = 0 ] || { cat "$D/verify.out"; false; }'
# The static site, published from a directory that never received the photo, holds it too.
"$T" publish "$D/reader" "$D/site" --no-web >"$D/publish.out" 2>&1
check "publish from any node's directory: the site holds the photo posted to the sequencer" \
  'cmp -s "$D/site/blobs/sha256/$HEX" "$IMG" || { cat "$D/publish.out"; ls -R "$D/site/blobs" | head; false; }'
finish
