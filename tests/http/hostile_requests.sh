#!/usr/bin/env bash
# Hostile requests against a real `tallylog serve` on a small copy of the bundled data: each line
# prints the request, the status expected and the status received; then checks the server still
# answers, a real QR image is accepted through POST /api/v1/images (raw and multipart), and SIGTERM
# stops it with exit 0. Prints "N passed, N failed"; exits non-zero on any failure.
#   TALLYLOG_BIN  tallylog binary (default build/src/tallylog/cli/tallylog)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TALLYLOG_BIN:-$ROOT/build/src/tallylog/cli/tallylog}
E=$ROOT/elections/ve2024
WORK=$(mktemp -d)
PID=""
trap '[[ -n $PID ]] && kill -TERM $PID 2>/dev/null; rm -rf "$WORK"' EXIT
head -n 201 "$E/data/RESULTADOS_2024_CSV_V1.csv" >"$WORK/a.csv"
"$BIN" init "$WORK/d" --election "$E/election.toml" >/dev/null
"$BIN" stations import "$WORK/d" "$WORK/a.csv" --mapping "$E/convzla-v1.mapping.toml" >/dev/null
"$BIN" import "$WORK/d" "$WORK/a.csv" --source official --mapping "$E/convzla-v1.mapping.toml" >/dev/null
TOKEN=$("$BIN" tokens add "$WORK/d" --name hostile --source 'witness:*' --source qr 2>/dev/null)
source "$ROOT/tests/lib/server.sh"  # curl with a time limit, wait_for, listening_port (port 0)
"$BIN" serve "$WORK/d" --listen 127.0.0.1:0 --read-timeout-ms 1000 2>"$WORK/serve.log" &
PID=$!
PORT=$(listening_port "$WORK/serve.log")
B=http://127.0.0.1:$PORT
wait_for 120 curl -fs -o /dev/null "$B/log/checkpoint"

passed=0; failed=0
expect() {  # expect <want> <description> <curl args...>
  local want=$1 what=$2; shift 2
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@")
  if [[ $got == "$want" ]]; then passed=$((passed+1)); printf 'ok   %s  %-55s\n' "$got" "$what";
  else failed=$((failed+1)); printf 'FAIL %s (want %s)  %s\n' "$got" "$want" "$what"; fi
}
AUTH=(-H "Authorization: Bearer $TOKEN")
JSON=(-H 'Content-Type: application/json')
expect 200 "GET /log/checkpoint" "$B/log/checkpoint"
expect 400 "GET /log/../log.key" "$B/log/../log.key"
expect 400 "GET /log/%2e%2e/log.key" "$B/log/%2e%2e/log.key"
expect 400 "GET /log/tile/..%2f..%2flog.key" "$B/log/tile/..%2f..%2flog.key"
expect 400 "GET /log//etc/passwd" "$B/log//etc/passwd"
expect 400 "GET /log/tile/0/000%00" "$B/log/tile/0/000%00"
expect 404 "GET /log/tile/0/999 (well-formed, absent)" "$B/log/tile/0/999"
expect 400 "GET /blobs/sha256/../../tokens.json" "$B/blobs/sha256/../../tokens.json"
expect 400 "GET /blobs/sha256/%2e%2e%2ftokens.json" "$B/blobs/sha256/%2e%2e%2ftokens.json"
expect 404 "GET /blobs/sha256/<64 zeros>" "$B/blobs/sha256/$(printf '0%.0s' {1..64})"
expect 400 "GET /../tokens.json (web files)" "$B/../tokens.json"
expect 401 "POST sheet without a token" -X POST "${JSON[@]}" -d '{}' "$B/api/v1/sheets"
expect 401 "POST sheet with a bad token" -X POST "${JSON[@]}" -H 'Authorization: Bearer tl_0000' -d '{}' "$B/api/v1/sheets"
expect 401 "POST sheet with Basic auth" -X POST "${JSON[@]}" -u a:b -d '{}' "$B/api/v1/sheets"
expect 400 "POST sheet with bad JSON" -X POST "${JSON[@]}" "${AUTH[@]}" -d '{"station":' "$B/api/v1/sheets"
expect 400 "POST sheet with a string count" -X POST "${JSON[@]}" "${AUTH[@]}" -d '{"station":"010113042.01","source":"witness:x","fields":{"valid":"1"}}' "$B/api/v1/sheets"
expect 403 "POST sheet for a source the token lacks" -X POST "${JSON[@]}" "${AUTH[@]}" -d '{"station":"010113042.01","source":"official","fields":{"valid":1,"null":0}}' "$B/api/v1/sheets"
head -c 70000 /dev/zero | tr '\0' 'x' >"$WORK/big.json"
expect 413 "POST a 70 KB sheet (limit 64 KiB)" -X POST "${JSON[@]}" "${AUTH[@]}" --data-binary @"$WORK/big.json" "$B/api/v1/sheets"
expect 431 "GET with 20 KB of headers" -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' 'a')" "$B/log/checkpoint"
expect 405 "DELETE /api/v1/tally" -X DELETE "$B/api/v1/tally"
expect 405 "GET /api/v1/sheets" "$B/api/v1/sheets"
expect 400 "GET /api/v1/tally?level=nowhere" "$B/api/v1/tally?level=nowhere"
# Slowloris: a header dribbled a byte per 0.3 s is cut off by the server (408 or close) while the
# client is still sending. Behaviour only: with no read timeout the 100 bytes would take 30 s and
# the server would wait for more; no wall-clock bound is asserted.
python3 - "$PORT" <<'PY' && { passed=$((passed+1)); echo "ok        slowloris connection closed by the server before the header was complete"; } || { failed=$((failed+1)); echo "FAIL      slowloris connection not closed"; }
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(0.3)
for ch in b"GET /log/checkpoint HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
    try:
        s.send(bytes([ch]))
        data = s.recv(100)
        if data == b"" or data.startswith(b"HTTP/1.1 408"): sys.exit(0)
    except socket.timeout:
        pass
    except (BrokenPipeError, ConnectionResetError):
        sys.exit(0)
sys.exit(1)
PY
# Issue 10.5: a connection that never sends a byte gets the request timeout (1 s here), not the
# 120 s keep-alive idle timeout. The wait below is a bound on waiting, far from either value.
python3 - "$PORT" <<'PY' && { passed=$((passed+1)); echo "ok        silent connection closed after the request timeout, not the idle timeout"; } || { failed=$((failed+1)); echo "FAIL      silent connection kept open"; }
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(30)
try:
    sys.exit(0 if s.recv(100) == b"" else 1)
except socket.timeout:
    sys.exit(1)
except ConnectionResetError:
    sys.exit(0)
PY
# Issue 10.8: invalid UTF-8, duplicate keys, transfer codings, source names: each a 400.
expect 400 "GET /api/v1/stations/%FF (invalid UTF-8 in the path)" "$B/api/v1/stations/%FF"
expect 400 "GET /api/v1/stations/%C3%28/sheets" "$B/api/v1/stations/%C3%28/sheets"
expect 400 "GET /api/v1/tally?level=%FF (invalid UTF-8 in the query)" "$B/api/v1/tally?level=%FF"
expect 400 "GET /api/v1/compare?a=%ED%A0%80 (a surrogate)" "$B/api/v1/compare?a=%ED%A0%80"
printf '{"station":"010113042.01\xff","source":"witness:x","fields":{"valid":1}}' >"$WORK/bad-utf8.json"
expect 400 "POST sheet with invalid UTF-8 in the body" -X POST "${JSON[@]}" "${AUTH[@]}" --data-binary @"$WORK/bad-utf8.json" "$B/api/v1/sheets"
# A sheet the election accepts (the acta encoded in the QR image below), so that only the defect
# under test can make it a 400.
CARDS='[120,0,0,0,0,0,0,0,0,0,0,0,0,5,0,0,0,0,0,0,0,0,0,0,3,0,0,0,0,0,1,1,0,232,0,0,0,2]'
FIELDS='"fields":{"valid":364,"null":0}'
expect 400 "POST sheet with a duplicate key (station twice)" -X POST "${JSON[@]}" "${AUTH[@]}" -d "{\"station\":\"010113042.01\",\"source\":\"witness:dup\",\"cards\":$CARDS,$FIELDS,\"station\":\"010113042.01\"}" "$B/api/v1/sheets"
expect 400 "POST sheet with a duplicate key inside fields" -X POST "${JSON[@]}" "${AUTH[@]}" -d "{\"station\":\"010113042.01\",\"source\":\"witness:dup\",\"cards\":$CARDS,\"fields\":{\"valid\":364,\"null\":0,\"valid\":364}}" "$B/api/v1/sheets"
for te in xchunked 'chunked, identity' gzip identity; do
  expect 400 "GET with Transfer-Encoding: $te" -H "Transfer-Encoding: $te" "$B/log/checkpoint"
done
for src in 'witness:<script>' 'witness:../x' 'witness:a b' $'witness:\u202edum' 'witness:MUD'; do
  expect 400 "POST sheet as source '$src'" -X POST "${JSON[@]}" "${AUTH[@]}" -d "{\"station\":\"010113042.01\",\"source\":\"$src\",\"cards\":$CARDS,$FIELDS}" "$B/api/v1/sheets"
done
expect 200 "GET /log/checkpoint after all that" "$B/log/checkpoint"
# A real QR image through the API, raw then multipart (the same acta: a duplicate the second time).
cards=(); for i in $(seq 1 38); do cards+=(0); done
cards[0]=120; cards[13]=5; cards[24]=3; cards[30]=1; cards[31]=1; cards[33]=232; cards[37]=2
qrencode -s 8 -m 4 -o "$WORK/acta.png" "010113042.01.1.0001!$(IFS=,; echo "${cards[*]}")!0!0"
expect 201 "POST /api/v1/images (raw PNG, QR read, sheet logged)" -X POST "${AUTH[@]}" -H 'Content-Type: image/png' --data-binary @"$WORK/acta.png" "$B/api/v1/images?source=qr"
expect 200 "POST /api/v1/images (multipart, same acta: duplicate)" -X POST "${AUTH[@]}" -F source=qr -F image=@"$WORK/acta.png" "$B/api/v1/images"
expect 400 "POST /api/v1/images as source witness:../x" -X POST "${AUTH[@]}" -H 'Content-Type: image/png' --data-binary @"$WORK/acta.png" "$B/api/v1/images?source=witness:..%2Fx"
expect 422 "POST /api/v1/images without a QR code" -X POST "${AUTH[@]}" --data-binary @"$ROOT/web/src/style.css" "$B/api/v1/images?source=qr"
kill -TERM $PID; if wait $PID; then passed=$((passed+1)); echo "ok        SIGTERM: server exited 0"; else failed=$((failed+1)); echo "FAIL      SIGTERM exit status"; fi
PID=""
# Issue 10.9: the data directory as web root is refused; a symlink out of the web root is not followed.
if timeout 20 "$BIN" serve "$WORK/d" --listen "127.0.0.1:0" --web "$WORK/d" 2>"$WORK/web.err"; then
  failed=$((failed+1)); echo "FAIL      serve --web <data dir> started"
elif grep -q "data directory" "$WORK/web.err"; then passed=$((passed+1)); echo "ok        serve --web <data dir> refused: $(head -c 80 "$WORK/web.err")"
else failed=$((failed+1)); echo "FAIL      serve --web <data dir>: $(cat "$WORK/web.err")"; fi
mkdir -p "$WORK/site"; echo '<html>' >"$WORK/site/index.html"; ln -s "$WORK/d/log.key" "$WORK/site/key.txt"
# Issue 10.5: the connection cap follows RLIMIT_NOFILE: with 100 descriptors and 90 idle clients a
# new client is still answered (before, accept() failed with EMFILE and it hung). The server is
# also given 12 descriptors it did not open (fds 20-31, as a library or a larger index might hold),
# so that it runs out of descriptors BEFORE its cap: it must then shed its oldest idle connection
# as at the cap. (Without that, this hung: the index's checkpoint connection, 3 descriptors more,
# was enough to reach EMFILE below the cap in some runs.)
( ulimit -n 100; for fd in $(seq 20 31); do eval "exec $fd</dev/null"; done
  exec "$BIN" serve "$WORK/d" --listen 127.0.0.1:0 --web "$WORK/site" --io-threads 2 --worker-threads 2 ) 2>"$WORK/serve2.log" &
PID=$!
PORT2=$(listening_port "$WORK/serve2.log")
B2=http://127.0.0.1:$PORT2
wait_for 120 curl -fs -o /dev/null "$B2/log/checkpoint"
expect 200 "web root: index.html" "$B2/index.html"
expect 404 "web root: a symlink to log.key is not followed" "$B2/key.txt"
python3 - "$PORT2" <<'PY' && { passed=$((passed+1)); echo "ok        100 descriptors, 12 held elsewhere, 90 idle clients: a new client is still answered"; } || { failed=$((failed+1)); echo "FAIL      new client not answered at the descriptor limit"; }
import socket, sys
port = int(sys.argv[1])
held = []
for i in range(90):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /log/checkpoint HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(65536)
        held.append(s)
    except OSError:
        break
c = socket.create_connection(("127.0.0.1", port), timeout=10)
c.sendall(b"GET /log/checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
try:
    sys.exit(0 if c.recv(100).startswith(b"HTTP/1.1 200") else 1)
except OSError:
    sys.exit(1)
PY
kill -TERM $PID; wait $PID; PID=""
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
