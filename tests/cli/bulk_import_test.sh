#!/usr/bin/env bash
# Issue 17 through the real binary: `tallylog import <url>` into a running `tallylog serve`.
#  1. bad input stops before anything is sent: wrong token, a source the token may not submit
#     for, an unreachable server, a read-only server — one clear error, the log unchanged;
#  2. the bundled CSV (24,532 rows) imported into the server reports accepted 24532 and the
#     server's tally equals a direct import's byte for byte (CLI JSON at state and table level);
#  3. a second run reports all duplicates and sends nothing;
#  4. a run killed with kill -9 half-way, then re-run, logs every row exactly once (the log holds
#     the election, the stations and one entry per row: counted, not assumed).
# Usage: bulk_import_test.sh <tallylog binary> <source dir>
set -uo pipefail
BIN=${1:?tallylog binary}
ROOT=${2:?source dir}
E=$ROOT/elections/ve2024
CSV=$E/data/RESULTADOS_2024_CSV_V1.csv
MAP=$E/convzla-v1.mapping.toml
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
passed=0; failed=0
ok() { passed=$((passed+1)); echo "ok    $*"; }
bad() { failed=$((failed+1)); echo "FAIL  $*"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

ROWS=$(($(wc -l <"$CSV") - 1))
# A data directory holding the election and the bundled stations only.
"$BIN" init "$WORK/stations" --election "$E/election.toml" >/dev/null || exit 1
"$BIN" stations import "$WORK/stations" "$CSV" --mapping "$MAP" >/dev/null || exit 1
cp -a "$WORK/stations" "$WORK/direct"
cp -a "$WORK/stations" "$WORK/server"
cp -a "$WORK/stations" "$WORK/killed"

source "$ROOT/tests/lib/server.sh"  # curl with a time limit, wait_for, listening_port (port 0)
serve() {  # serve <dir> <var for base url>: starts a server on port 0, waits until its write side is up
  "$BIN" serve "$1" --listen 127.0.0.1:0 2>"$1.serve.log" &
  PIDS+=($!)
  local port
  port=$(listening_port "$1.serve.log") || return 1
  printf -v "$2" 'http://127.0.0.1:%s' "$port"
  wait_for 120 curl -fs -o /dev/null "http://127.0.0.1:$port/api/v1/election"
}
log_size() { curl -fs "$1/api/v1/election" | sed -n 's/.*"log_size":\([0-9]*\).*/\1/p'; }
# await_log_size <url> <size>: the published log size once it reaches <size> (a bulk batch is
# answered once durable; the checkpoint that covers it is published on the next interval), or
# the size it stays at after 60 s.
await_log_size() { local n end=$((SECONDS + 60)); while n=$(log_size "$1"); [[ ${n:-0} -lt $2 ]] && ((SECONDS < end)); do sleep 0.1; done; echo "$n"; }
stop_all() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=(); }

TOKEN=$("$BIN" tokens add "$WORK/server" --name convzla --source 'witness:*' 2>/dev/null)
serve "$WORK/server" URL
SIZE0=$(log_size "$URL")
check "server on the stations-only directory answers (log size $SIZE0)" '[[ $SIZE0 -gt 1 ]]'

# 1. Bad input: one error, before anything is sent.
out=$("$BIN" import "$URL" "$CSV" --source witness:convzla --mapping "$MAP" --token tl_wrong 2>&1); rc=$?
check "wrong token: exit $rc, '$(echo "$out" | tail -1)'" '[[ $rc -ne 0 && $out == *"unknown or revoked token"* && $out == *"nothing was sent"* ]]'
out=$("$BIN" import "$URL" "$CSV" --source official --mapping "$MAP" --token "$TOKEN" 2>&1); rc=$?
check "source the token may not submit for: exit $rc, '$(echo "$out" | tail -1)'" '[[ $rc -ne 0 && $out == *"may not submit for '"'"'official'"'"'"* && $out == *"nothing was sent"* ]]'
DEAD=$(free_port)
out=$("$BIN" import "http://127.0.0.1:$DEAD" "$CSV" --source witness:convzla --mapping "$MAP" --token "$TOKEN" 2>&1); rc=$?
check "unreachable server: exit $rc, '$(echo "$out" | tail -1)'" '[[ $rc -ne 0 && $out == *"127.0.0.1:$DEAD"* && $out == *"nothing was sent"* ]]'
out=$("$BIN" import "$URL" "$CSV" --source witness:convzla --mapping "$MAP" 2>&1); rc=$?
check "no token: exit $rc, '$(echo "$out" | tail -1)'" '[[ $rc -ne 0 && $out == *"--token"* ]]'
check "nothing was logged by the refused runs" '[[ $(log_size "$URL") -eq $SIZE0 ]]'

# 2. The whole bundled CSV into the running server.
out=$("$BIN" import "$URL" "$CSV" --source witness:convzla --mapping "$MAP" --token "$TOKEN" 2>"$WORK/err"); rc=$?
check "import <url>: exit $rc, '$out'" '[[ $rc -eq 0 && $out == "accepted $ROWS, duplicates 0, conflicts 0, rejected 0" ]]'
N=$(await_log_size "$URL" $((SIZE0 + ROWS)))
check "the server logged one entry per row ($N = $SIZE0 + $ROWS)" '[[ $N -eq $((SIZE0 + ROWS)) ]]'
STATE_LIVE=$(curl -fs "$URL/api/v1/tally?level=state&source=witness:convzla")

# 3. A second run: all duplicates, nothing sent.
out=$("$BIN" import "$URL" "$CSV" --source witness:convzla --mapping "$MAP" --token "$TOKEN" --stats 2>"$WORK/err2"); rc=$?
check "second run: '$out'" '[[ $rc -eq 0 && $out == "accepted 0, duplicates $ROWS, conflicts 0, rejected 0" ]]'
check "second run sent no sheet ('$(grep '^sent' "$WORK/err2")')" 'grep -q "^sent 0 sheets in 0 batches" "$WORK/err2"'
check "second run logged nothing" '[[ $(log_size "$URL") -eq $((SIZE0 + ROWS)) ]]'

# The direct import of the same file into a copy of the same directory.
out=$("$BIN" import "$WORK/direct" "$CSV" --source witness:convzla --mapping "$MAP"); rc=$?
check "direct import: '$out'" '[[ $rc -eq 0 && $out == "accepted $ROWS, duplicates 0, conflicts 0, rejected 0" ]]'

serve "$WORK/direct" DURL
STATE_DIRECT=$(curl -fs "$DURL/api/v1/tally?level=state&source=witness:convzla")
check "GET /api/v1/tally?level=state: the live server's answer equals the direct import's (${#STATE_LIVE} bytes)" \
  '[[ -n $STATE_LIVE && $STATE_LIVE == "$STATE_DIRECT" ]]'

# 4. kill -9 half-way, then re-run: every row logged exactly once.
KTOKEN=$("$BIN" tokens add "$WORK/killed" --name convzla --source 'witness:*' 2>/dev/null)
serve "$WORK/killed" KURL
KSIZE0=$(log_size "$KURL")
# One sheet per POST (a durable append each), so the run is slow enough to be killed half-way.
SUB=2000
head -n $((SUB + 1)) "$CSV" >"$WORK/sub.csv"
"$BIN" import "$KURL" "$WORK/sub.csv" --source witness:convzla --mapping "$MAP" --token "$KTOKEN" --batch 1 \
  >"$WORK/killed.out" 2>&1 &
IPID=$!
hundred_logged() { (( $(log_size "$KURL") - KSIZE0 >= 100 )); }
wait_for 120 hundred_logged
kill -9 $IPID 2>/dev/null; wait $IPID 2>/dev/null
# The batch in flight when the client died may still land: wait until the log stops moving.
MID=-1
while :; do
  now=$(( $(log_size "$KURL") - KSIZE0 )); [[ $now -eq $MID ]] && break; MID=$now; sleep 0.3
done
check "kill -9 half-way: $MID of $SUB rows logged when killed" '[[ $MID -gt 0 && $MID -lt $SUB ]]'
out=$("$BIN" import "$KURL" "$WORK/sub.csv" --source witness:convzla --mapping "$MAP" --token "$KTOKEN" --stats 2>"$WORK/err3"); rc=$?
check "re-run after kill -9: '$out'" '[[ $rc -eq 0 && $out == "accepted $((SUB - MID)), duplicates $MID, conflicts 0, rejected 0" ]]'
check "re-run sent only what the server lacked ('$(grep '^sent' "$WORK/err3")')" 'grep -q "^sent $((SUB - MID)) sheets" "$WORK/err3"'
N=$(( $(await_log_size "$KURL" $((KSIZE0 + SUB))) - KSIZE0 ))
check "the log holds every row exactly once ($N sheet entries for $SUB rows)" '[[ $N -eq $SUB ]]'
stop_all
# Counted from the log itself too (not only the server's word): reindex replays every entry.
n=$("$BIN" reindex "$WORK/killed" | sed -n 's/^reindexed \([0-9]*\) entries.*/\1/p')
check "reindex of the killed-and-resumed directory replays $n entries = $KSIZE0 + $SUB" '[[ $n -eq $((KSIZE0 + SUB)) ]]'

# The tallies of the server's directory and the direct one, byte for byte, from the CLI.
for level in state table; do
  a=$("$BIN" tally "$WORK/server" --level $level --source witness:convzla --format json 2>/dev/null)
  b=$("$BIN" tally "$WORK/direct" --level $level --source witness:convzla --format json 2>/dev/null)
  check "tally --level $level of the server's directory equals the direct import's (${#a} bytes)" '[[ -n $a && $a == "$b" ]]'
done

# scan <url>: the bundled QR images give the verdicts and rejects of a direct scan, and every image
# a sheet names is stored on the server.
cp -a "$WORK/stations" "$WORK/scan-direct"
cp -a "$WORK/stations" "$WORK/scan-server"
mkdir "$WORK/imgs"
cp "$ROOT"/tests/fixtures/qr/*.jpg "$ROOT"/tests/fixtures/qr/*.png "$ROOT"/tests/fixtures/qr/actas/*.jpg "$WORK/imgs/"
QTOKEN=$("$BIN" tokens add "$WORK/scan-server" --name scanner --source qr 2>/dev/null)
serve "$WORK/scan-server" SURL
direct=$("$BIN" scan "$WORK/scan-direct" "$WORK/imgs" --rejects "$WORK/scan-direct.csv" 2>/dev/null)
out=$("$BIN" scan "$SURL" "$WORK/imgs" --token "$QTOKEN" --rejects "$WORK/scan-url.csv" 2>/dev/null); rc=$?
check "scan <url>: '$out' = direct scan's '$direct'" '[[ $rc -eq 0 && $out == "$direct" && $out == "accepted "[1-9]* ]]'
check "scan <url> wrote the direct scan's rejects file" 'cmp -s "$WORK/scan-direct.csv" "$WORK/scan-url.csv"'
check "scan <url> stored the images the direct scan stored" \
  '[[ -n $(ls "$WORK/scan-direct/blobs/sha256") && $(ls "$WORK/scan-direct/blobs/sha256") == "$(ls "$WORK/scan-server/blobs/sha256")" ]]'
out=$("$BIN" scan "$SURL" "$WORK/imgs" --token "$QTOKEN" --rejects "$WORK/scan-url.csv" 2>/dev/null)
check "scan <url> again: '$out'" '[[ $out == "accepted 0, duplicates "[1-9]*", conflicts 0, rejected "* ]]'
stop_all

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
