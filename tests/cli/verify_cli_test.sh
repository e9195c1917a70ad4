#!/bin/bash
# End-to-end test of issue 9 through the real binary, on the first rows of the bundled Venezuela
# data: mirror over http:// and https://, audit (0 differences, then a server whose index was
# altered is caught with the table named), 1,000 new submissions mirrored by fetching only the
# new tiles, two histories signed by one key caught with fork evidence that verify-fork accepts,
# a mirror killed with SIGKILL that resumes, precise errors for bad tiles, and the witness
# command line. Usage: verify_cli_test.sh <path to tallylog>   (needs curl, python3, openssl, sqlite3)
set -u
T="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
D="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$D"
}
trap cleanup EXIT
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); return 1; fi; }
source "$ROOT/tests/lib/server.sh"  # curl with a time limit, wait_for, listening_port (port 0)
# serve <data dir> <log file> [serve flags]: starts `tallylog serve` on a free port, which it puts
# in $PORT. The submission rate limit is raised: section 2 posts 1,000 sheets as fast as it can.
serve() {
  "$T" serve "$1" --listen 127.0.0.1:0 --rate 100000 --burst 100000 "${@:3}" >"$2" 2>&1 &
  PIDS+=($!)
  PORT=$(listening_port "$2")
}
stop_last() { local p=${PIDS[-1]}; kill "$p"; wait "$p" 2>/dev/null; unset 'PIDS[-1]'; }

E="$ROOT/elections/ve2024"
head -n 1501 "$E/data/RESULTADOS_2024_CSV_V1.csv" >"$D/actas.csv"
"$T" init "$D/data" --election "$E/election.toml" >/dev/null
"$T" stations import "$D/data" "$D/actas.csv" --mapping "$E/convzla-v1.mapping.toml" >/dev/null
"$T" import "$D/data" "$D/actas.csv" --source official --mapping "$E/convzla-v1.mapping.toml" >/dev/null
VKEY="$D/data/log.vkey"
cp -r "$D/data" "$D/copy"  # two histories will grow from here (section 3)

# ---- 1. mirror and audit an honest server ----------------------------------------------------
serve "$D/data" "$D/serve.log"; P=$PORT
URL="http://127.0.0.1:$P"
OUT="$("$T" mirror "$URL" "$D/m" --vkey "$VKEY" --quiet)"
check "mirror over http copies the log" '[[ "$OUT" == ok:*"size 3001"* ]] && cmp -s "$D/m/log/checkpoint" "$D/data/log/checkpoint"'
check "the mirror verifies without the private key" '[ ! -e "$D/m/log.key" ] && "$T" verify "$D/m" >/dev/null'
check "the mirror keeps its state file and the key" '[ -f "$D/m/mirror.json" ] && cmp -s "$D/m/log.vkey" "$VKEY"'
# Every level, as JSON and CSV: the mirror (no private key) answers what the server publishes.
SAME=yes
for LEVEL in national state municipality parish centre table; do
  for FMT in json csv; do
    "$T" tally "$D/m" --level $LEVEL --format $FMT >"$D/mine" 2>/dev/null || SAME="no: tally $LEVEL $FMT failed"
    curl -fs "$URL/api/v1/tally?level=$LEVEL&format=$FMT" >"$D/theirs" || SAME="no: GET $LEVEL $FMT failed"
    # The CLI states the log size its figures reflect; a server that does not state it yet (before
    # the index seam's answers) is compared without that one member.
    grep -q '"log_size":' "$D/theirs" || sed -i 's/"log_size":[0-9]*,//' "$D/mine"
    cmp -s "$D/mine" "$D/theirs" || SAME="no: $LEVEL $FMT differs"
  done
done
check "tallylog tally on the mirror prints exactly what GET /api/v1/tally returns, at every level ($SAME)" '[ "$SAME" = yes ]'
OUT="$("$T" audit "$URL" --vkey "$VKEY" --mirror "$D/m" --quiet)"
check "audit of an honest server: 0 differences" 'echo "$OUT" | grep -qE "^audited 3001 entries, [0-9]+ published figures: 0 differences$"'

# ---- 2. 1,000 new submissions: the next mirror fetches only the new tiles -----------------------
TOKEN="$("$T" tokens add "$D/data" --name tester --source 'witness:*' 2>/dev/null)"
python3 - "$P" "$TOKEN" "$D/actas.csv" <<'PY'
import csv, http.client, json, sys
port, token, path = sys.argv[1], sys.argv[2], sys.argv[3]
rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))[:1000]
c = http.client.HTTPConnection("127.0.0.1", int(port))
cands = ["EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"]
for i, r in enumerate(rows):
    station = "%09d.%02d" % (int(r["CENTRO"]), int(r["MESA"]))
    votes = {k: int(r[k]) for k in cands}
    if i % 100 == 0:
        votes["EG"] += 1  # some witness copies differ from the official sheet
    body = json.dumps({"station": station, "source": "witness:test", "candidates": votes,
                       "fields": {"valid": sum(votes.values()), "null": int(r["VOTOS_NULOS"])}})
    c.request("POST", "/api/v1/sheets", body, {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    res = c.getresponse()
    res.read()
    if res.status != 201:
        sys.exit("submission %d: HTTP %d" % (i, res.status))
PY
check "1,000 sheets were accepted over HTTP" '[ $? = 0 ]'
published_size() { [ "$(curl -fs "$1/log/checkpoint" | sed -n 2p)" = "$2" ]; }
wait_for 60 published_size "$URL" 4001
OUT="$("$T" mirror "$URL" "$D/m" --vkey "$VKEY" --quiet)"
# 3001 -> 4001: bundles 11 (partial 185 -> full) to 15 (partial 161); level-0 tiles 11-14 become
# full plus partial 15; the level-1 partial grows from 11 to 15 hashes.
check "the second mirror fetches only the new bundles and tiles (5 + 6)" \
  'echo "$OUT" | grep -q "(was 3001; fetched 5 entry bundles, 6 hash tiles, "'
check "superseded partials of the mirrored size are gone, the new ones are there" \
  '[ ! -e "$D/m/log/tile/entries/011.p/185" ] && [ -e "$D/m/log/tile/entries/015.p/161" ]'
OUT="$("$T" audit "$URL" --vkey "$VKEY" --mirror "$D/m" --quiet)"
check "audit after the submissions (official vs witness differences published): 0 differences" \
  'echo "$OUT" | grep -qE "^audited 4001 entries, [0-9]+ published figures: 0 differences$"'
stop_last

# ---- 2b. a server whose index disagrees with its log ------------------------------------------
TABLE=010113042.01
# One vote more for EG (232 -> 233) in the table's stored counts (docs/formats/index.md, "counts":
# version, contest, width, presence mask, one zigzag uvarint per present slot).
python3 "$ROOT/tests/lib/change_count.py" "$D/data/index.sqlite" --station "$TABLE" --source official --count 232
serve "$D/data" "$D/serve2.log"; P=$PORT
URL="http://127.0.0.1:$P"
OUT="$("$T" audit "$URL" --vkey "$VKEY" --mirror "$D/m" --quiet)"
STATUS=$?
check "audit of a server with one vote changed in index.sqlite fails" '[ $STATUS = 4 ] && echo "$OUT" | grep -qE "published figures: [1-9][0-9]* differences"'
check "the audit names the table, the field and both values" \
  'echo "$OUT" | grep -qP "^/api/v1/tally\?level=table&source=official\t$TABLE\tcandidates.EG\t233\t232$"'
stop_last

# ---- 3. two histories signed by one key, and a witness -------------------------------------
# An independent witness; the operator's server asks it to cosign every checkpoint.
WVKEY="$("$T" witness keygen "$D/w.key" --name witness.test/w1)"
check "witness keygen prints a type 0x04 vkey and writes a 0600 key" \
  '[[ "$WVKEY" == witness.test/w1+*+B* ]] && [ "$("$T" witness vkey "$D/w.key")" = "$WVKEY" ] && [ "$(stat -c %a "$D/w.key")" = 600 ]'
"$T" witness serve --key "$D/w.key" --log "$VKEY" --listen 127.0.0.1:0 --state "$D/wstate" 2>"$D/witness.log" &
PIDS+=($!)
WP=$(listening_port "$D/witness.log")
WITNESS="$WVKEY@http://127.0.0.1:$WP"
# Two copies of one data directory (one key), each of which will log a different sheet.
CTOKEN="$("$T" tokens add "$D/copy" --name tester --source 'witness:*' 2>/dev/null)"
cp -r "$D/copy" "$D/copy2"
# post_sheet <port> <EG votes>: one witness copy of the first table.
post_sheet() {
  curl -fs -o /dev/null -H "Authorization: Bearer $CTOKEN" -H 'Content-Type: application/json' \
    --data "{\"station\":\"010113042.01\",\"source\":\"witness:a\",\"candidates\":{\"EG\":$2,\"NM\":120,\"LM\":5,\"JABE\":0,\"JOBR\":0,\"AE\":3,\"CF\":1,\"DC\":1,\"EM\":0,\"BERA\":2},\"fields\":{\"valid\":$(( $2 + 132 )),\"null\":0}}" \
    "http://127.0.0.1:$1/api/v1/sheets"
}
# witness_state <port>: "<cosigned size> <quorum met> <last error>" from /api/v1/witnesses.
witness_state() {
  curl -fs "http://127.0.0.1:$1/api/v1/witnesses" | python3 -c 'import json,sys; j=json.load(sys.stdin); w=j["witnesses"][0]; print(w["cosigned_size"], j["checkpoint"]["quorum_met"], w["last_error"])'
}
"$T" serve "$D/copy" --listen 127.0.0.1:0 --witness "$WITNESS" --witness-quorum 1 --witness-timeout-ms 20000 >"$D/serve3.log" 2>&1 &
PIDS+=($!)
P1=$(listening_port "$D/serve3.log")
# The log is not growing yet: its checkpoint (size 3001, signed before any witness was configured)
# is sent to the witness at start, not only after the next append.
cosigned_3001() { [[ "$(witness_state "$P1")" == "3001 True "* ]]; }
wait_for 120 cosigned_3001
check "a server started with a witness has the checkpoint it opened with cosigned, with no append" \
  '[[ "$(witness_state "$P1")" == "3001 True None" ]] && [ "$(grep -c "^— witness.test/w1 " "$D/copy/log/checkpoint")" = 1 ] && [ "$(curl -fs "http://127.0.0.1:$P1/log/checkpoint" | grep -c "^— witness.test/w1 ")" = 1 ]' ||
  { echo "witness state: $(witness_state "$P1")"; tail -n 20 "$D/serve3.log" "$D/witness.log"; }
wait_for 120 post_sheet "$P1" 232
cosigned_3002() { [[ "$(witness_state "$P1")" == "3002 True "* ]]; }
wait_for 120 cosigned_3002
check "the server publishes its checkpoint cosigned by the witness" '[[ "$(witness_state "$P1")" == "3002 True None" ]]' ||
  { echo "witness state: $(witness_state "$P1")"; tail -n 20 "$D/serve3.log" "$D/witness.log"; }
OUT="$("$T" mirror "http://127.0.0.1:$P1" "$D/fm" --vkey "$VKEY" --witness "$WVKEY" --witness-policy 1 --quiet)"
check "mirror checks the witness policy and reports the cosignature" '[[ "$OUT" == ok:*"size 3002"* ]] && echo "$OUT" | grep -q "^witnesses: 1 of 1 witnesses cosigned (quorum 1, met): witness.test/w1+"'
OUT="$("$T" verify "http://127.0.0.1:$P1/log" --vkey "$VKEY" --witness "$WVKEY" --witness-policy 1)"
check "verify reports which witness cosigned which size" 'echo "$OUT" | grep -q "^witnesses: size 3002: 1 of 1 witnesses cosigned (quorum 1, met): witness.test/w1+"'
stop_last
"$T" serve "$D/copy2" --listen 127.0.0.1:0 --witness "$WITNESS" --witness-quorum 1 --witness-timeout-ms 20000 >"$D/serve4.log" 2>&1 &
PIDS+=($!)
P2=$(listening_port "$D/serve4.log")
# A server answers reads while it loads the verdict rule's state and refuses submissions until
# then (503, "still loading; try again in a moment"): on a loaded machine that is seconds after it
# listens, so the sheet is sent until it is taken (a repeat would only be a duplicate).
wait_for 120 post_sheet "$P2" 233
refused_as_conflict() { [[ "$(witness_state "$P2")" == *conflict* ]]; }
wait_for 120 refused_as_conflict
wait_for 120 published_size "http://127.0.0.1:$P2" 3002
check "the witness that cosigned the first history refuses the second; the shortfall is public" \
  '[[ "$(witness_state "$P2")" == "0 False "*"conflict"* ]] && curl -fs "http://127.0.0.1:$P2/metrics" | grep -q "^tallylog_checkpoint_quorum_met 0"'
check "a mirror requiring the witness copies nothing from the second history" \
  '! "$T" mirror "http://127.0.0.1:$P2" "$D/fm" --vkey "$VKEY" --witness "$WVKEY" --witness-policy 1 --quiet 2>/dev/null && cmp -s "$D/fm/log/checkpoint" "$D/copy/log/checkpoint"'
ERR="$("$T" mirror "http://127.0.0.1:$P2" "$D/fm" --vkey "$VKEY" --quiet 2>&1 >/dev/null)"
STATUS=$?
EVIDENCE="$(ls "$D"/fm/fork-evidence-*.txt 2>/dev/null | head -1)"
check "mirror stops on the second history (exit 3) and says where the evidence is" \
  '[ $STATUS = 3 ] && [[ "$ERR" == *FORK* ]] && [ -n "$EVIDENCE" ] && [[ "$ERR" == *"$EVIDENCE"* ]]'
check "the mirror still holds the first history" 'cmp -s "$D/fm/log/checkpoint" "$D/copy/log/checkpoint"'
OUT="$("$T" verify-fork "$EVIDENCE")"
check "verify-fork accepts the evidence" '[[ "$OUT" == "FORK PROVEN"* ]]'
check "verify-fork with the key known out of band accepts it too" '"$T" verify-fork "$EVIDENCE" --vkey "$VKEY" >/dev/null'
OTHERKEY="$("$T" init "$D/k" --origin tallylog/ve2024)"
check "verify-fork refuses it for another key of the same name" '! "$T" verify-fork "$EVIDENCE" --vkey "$OTHERKEY" >/dev/null 2>&1'
sed 's/^proof 0$/proof 1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=/' "$EVIDENCE" >"$D/bad-evidence.txt"
check "verify-fork refuses altered evidence" '! "$T" verify-fork "$D/bad-evidence.txt" >/dev/null 2>&1'
stop_last

# ---- 4. precise errors, nothing half-written, resume after SIGKILL -----------------------------
"$T" init "$D/big" --origin tallylog.test/big >/dev/null
python3 -c "
import sys
for i in range(60000): sys.stdout.write('entry %07d %s\n' % (i, 'x' * 60))" | "$T" log append "$D/big" >/dev/null
# Killed once its first bundle is written; on a busy machine it may finish first: then again.
for _ in 1 2 3 4 5; do
  rm -rf "$D/km"
  "$T" mirror "$D/big" "$D/km" --vkey "$D/big/log.vkey" --quiet >/dev/null &
  MP=$!
  for _ in $(seq 1 500); do [ -n "$(ls "$D/km/log/tile/entries" 2>/dev/null | head -1)" ] && break; sleep 0.01; done
  kill -9 $MP 2>/dev/null
  wait $MP 2>/dev/null
  KILLED=$?
  [ $KILLED = 137 ] && break
done
check "a mirror killed mid-way published no checkpoint and left no temporary inside log/" \
  '[ $KILLED = 137 ] && [ ! -e "$D/km/log/checkpoint" ] && [ -z "$(find "$D/km/log" -name "*.tmp*")" ]'
OUT="$("$T" mirror "$D/big" "$D/km" --vkey "$D/big/log.vkey" --quiet)"
check "re-running it completes the mirror" '[[ "$OUT" == ok:*"size 60000"* ]] && "$T" verify "$D/km" >/dev/null'
seq 1 200 | "$T" log append "$D/big" >/dev/null
# Tile 0/234 (entries 59904-60159) was partial at 60000 and is full now; hash 40 is an old entry.
python3 - "$D/big/log/tile/0/234" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[32 * 40] ^= 1
open(p, "wb").write(b)
PY
ERR="$("$T" mirror "$D/big" "$D/km" --vkey "$D/big/log.vkey" --quiet 2>&1 >/dev/null)"
check "a tile that does not match the mirrored tree is named with the check that failed" \
  '[[ "$ERR" == *"$D/big/log/tile/0/234: hash 40 differs from the mirrored tile"* ]]'
check "and the mirror still holds its checkpoint" '[ "$(sed -n 2p "$D/km/log/checkpoint")" = 60000 ]'

# ---- 5. https ------------------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/key.pem" -out "$D/cert.pem" -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
HP=$(free_port)
(cd "$D" && exec openssl s_server -quiet -WWW -accept "127.0.0.1:$HP" -cert cert.pem -key key.pem >/dev/null 2>&1) &
PIDS+=($!)
wait_for 60 curl -fsk -o /dev/null "https://127.0.0.1:$HP/copy/log/checkpoint"
OUT="$("$T" mirror "https://127.0.0.1:$HP/copy" "$D/hm" --vkey "$VKEY" --cacert "$D/cert.pem" --quiet)"
check "mirror over https (a static TLS server of a data directory)" '[[ "$OUT" == ok:* ]] && cmp -s "$D/hm/log/checkpoint" "$D/copy/log/checkpoint"'
check "https without the server's CA is refused" '! "$T" mirror "https://127.0.0.1:$HP/copy" "$D/hm2" --vkey "$VKEY" --quiet 2>/dev/null'
stop_last

# ---- 6. the witness's HTTP answers ------------------------------------------------------------
{ printf 'old 0\n\n'; cat "$D/big/log/checkpoint"; } >"$D/req2"
CODE2=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$D/req2" "http://127.0.0.1:$WP/add-checkpoint")
check "the witness answers 404 for a log it does not follow" '[ "$CODE2" = 404 ]'
{ printf 'old 0\n\n'; cat "$D/copy2/log/checkpoint"; } >"$D/req3"
CODE3=$(curl -s -o "$D/res3" -D "$D/hdr3" -w '%{http_code}' --data-binary @"$D/req3" "http://127.0.0.1:$WP/add-checkpoint")
check "the witness answers a stale old size with 409, text/x.tlog.size and the size it cosigned" \
  '[ "$CODE3" = 409 ] && grep -qi "^content-type: text/x.tlog.size" "$D/hdr3" && [ "$(cat "$D/res3")" = 3002 ]'
check "the witness keeps that state across a restart" '[ -s "$D/wstate/witness.journal" ]'

echo "verify_cli_test: $fails failed"
[ $fails = 0 ]
