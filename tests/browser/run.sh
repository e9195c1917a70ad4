#!/usr/bin/env bash
# Browser test of the results page: npm ci (playwright-core) and the web build, a fresh data
# directory with the bundled Venezuela 2024 data (init, station registry, the published actas as
# "official", one synthetic acta QR image made with qrencode and read by `tallylog scan`), then
# `tallylog serve` on a free 127.0.0.1 port and Debian chromium (/usr/bin/chromium) through
# playwright-core (page.test.mjs, then citizen.test.mjs: search, map, es/en); then the same for elections/twocontests (contests.test.mjs) and a contest decided per
# municipality, tests/fixtures/localrace (localrace.test.mjs). Prints "N passed, N failed" last;
# exits non-zero on failure. The VE data is also published with `tallylog publish` and served by
# nginx (static.test.mjs).
#   TALLYLOG_BIN   the tallylog binary (default build/src/tallylog/cli/tallylog)
#   TALLYLOG_BROWSER_ROWS  import only the first N CSV rows (default: all)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${TALLYLOG_BIN:-$ROOT/build/src/tallylog/cli/tallylog}
ELECTION=$ROOT/elections/ve2024
CSV=$ELECTION/data/RESULTADOS_2024_CSV_V1.csv
MAPPING=$ELECTION/convzla-v1.mapping.toml

fail_early() { echo "browser test: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
[[ -x $BIN ]] || fail_early "no tallylog binary at $BIN (build first)"
[[ -x /usr/bin/chromium ]] || fail_early "/usr/bin/chromium missing (apt-get install chromium)"
command -v qrencode >/dev/null || fail_early "qrencode missing (apt-get install qrencode)"

(cd "$HERE" && if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error; fi) || fail_early "npm ci failed"
"$ROOT/scripts/build-web.sh" >/dev/null || fail_early "web build failed"
# The page's proof and signature checkers against test vectors (node, no browser needed).
WEB_LOG=$(mktemp)
(cd "$ROOT/web" && TALLYLOG_BIN="$BIN" node --test test/ >"$WEB_LOG" 2>&1) || fail_early "web unit tests (web/test) failed: run 'cd web && node --test test/'"
echo "browser test: web unit tests: $(grep -E '^# (tests|pass|fail|skipped) ' "$WEB_LOG" | sed 's/^# //' | paste -sd' ')"
grep -qx '# skipped 0' "$WEB_LOG" || fail_early "web unit tests (web/test) skipped a test: every test must run"
rm -f "$WEB_LOG"

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ -n ${NGINX_PID:-} ]]; then kill -TERM "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
  for p in ${WSERVE_PID:-} ${WITNESS_PID:-}; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
DATA=$WORK/data
if [[ -n ${TALLYLOG_BROWSER_ROWS:-} ]]; then
  head -n $((TALLYLOG_BROWSER_ROWS + 1)) "$CSV" >"$WORK/actas.csv"
  CSV=$WORK/actas.csv
fi
echo "browser test: importing the bundled data into $DATA"
"$BIN" init "$DATA" --election "$ELECTION/election.toml" >/dev/null
"$BIN" stations import "$DATA" "$CSV" --mapping "$MAPPING" >/dev/null
"$BIN" import "$DATA" "$CSV" --source official --mapping "$MAPPING" >/dev/null

# What a browser saw before the scan below, and a second history signed by the same key (a copy
# of the data directory that logs something else as its next entry): the page must prove the
# server's later checkpoint extends the first, and refuse the second.
cp "$DATA/log/checkpoint" "$WORK/earlier-checkpoint"
cp -r "$DATA" "$WORK/forked"
echo "a sheet that only the forked copy logged" | "$BIN" log append "$WORK/forked" >/dev/null
cp "$WORK/forked/log/checkpoint" "$WORK/forked-checkpoint"
rm -rf "$WORK/forked"

# One synthetic scanned acta for the first table of the CSV (010113042.01): the same counts as
# the published row, every candidate's votes on the first of its party cards (ballot order:
# cards 1-13 NM, 14-19 LM, 20 JABE, 21-24 JOBR, 25-30 AE, 31 CF, 32-33 DC, 34-36 EG, 37 EM, 38 BERA).
TABLE=010113042.01
cards=(); for i in $(seq 1 38); do cards+=(0); done
cards[0]=120; cards[13]=5; cards[24]=3; cards[30]=1; cards[31]=1; cards[33]=232; cards[37]=2
PAYLOAD="010113042.01.1.0001!$(IFS=,; echo "${cards[*]}")!0!0"
mkdir -p "$WORK/scans"
qrencode -s 8 -m 4 -o "$WORK/scans/acta-$TABLE.png" "$PAYLOAD"
"$BIN" scan "$DATA" "$WORK/scans" --source qr --rejects "$WORK/rejects.csv"

# The electoral council's two announced bulletins, for the Forensics view's declared results.
for b in "$ELECTION"/declarations/cne-boletin-*.toml; do "$BIN" declare "$DATA" "$b" --source official >/dev/null; done

"$BIN" tally "$DATA" --format json >"$WORK/expected.json"

source "$ROOT/tests/lib/server.sh"  # curl with a time limit, wait_for, listening_port (port 0)
# serve_page <data dir> <what>: `serve` of that directory with the built page, on port 0; sets
# SERVER_PID and PORT once it answers. stop_page: stops it.
serve_page() {
  "$BIN" serve "$1" --listen 127.0.0.1:0 --web "$ROOT/web/dist" 2>"$1.serve.log" &
  SERVER_PID=$!
  PORT=$(listening_port "$1.serve.log") || fail_early "$2 did not start"
  wait_for 120 curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/v1/election" || { cat "$1.serve.log" >&2; fail_early "$2 did not start"; }
}
stop_page() { kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
serve_page "$DATA" "server"

status=0
node "$HERE/page.test.mjs" "http://127.0.0.1:$PORT" "$WORK/expected.json" "$TABLE" "$DATA/log.vkey" \
  "$WORK/earlier-checkpoint" "$WORK/forked-checkpoint" | tee "$WORK/page.out" || status=$?
# The citizen view (citizen.test.mjs): search as you type, the map of the 24 states, es/en.
"$BIN" tally "$DATA" --level state --format json >"$WORK/expected-states.json"
node "$HERE/citizen.test.mjs" "http://127.0.0.1:$PORT" "$WORK/expected-states.json" "$TABLE" | tee "$WORK/citizen.out" || status=$?
stop_page

# The same data published as a static site (`tallylog publish`) and served by nginx (Debian), run
# as this user (workers too: "user" is ignored with a warning unless run as root) from a generated config (port, pid, logs and temp files in $WORK): static.test.mjs.
NGINX_PID=""
if command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]]; then
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  # The log cosigned by a witness first: `serve --witness` sends the checkpoint it opened with to
  # the witness, and `publish --witness` declares that witness for the page (api/v1/witnesses.json).
  WVKEY=$("$BIN" witness keygen "$WORK/w.key" --name witness.test/static)
  "$BIN" witness serve --key "$WORK/w.key" --log "$DATA/log.vkey" --listen 127.0.0.1:0 --state "$WORK/wstate" 2>"$WORK/witness-serve.log" &
  WITNESS_PID=$!
  WPORT=$(listening_port "$WORK/witness-serve.log") || fail_early "the witness did not start"
  "$BIN" serve "$DATA" --listen 127.0.0.1:0 --witness "$WVKEY@http://127.0.0.1:$WPORT" --witness-quorum 1 2>"$WORK/witnessed-serve.log" &
  WSERVE_PID=$!
  wait_for 120 grep -q '^— witness.test/static ' "$DATA/log/checkpoint" || fail_early "the checkpoint was not cosigned"
  kill -TERM "$WSERVE_PID" "$WITNESS_PID" 2>/dev/null; wait "$WSERVE_PID" "$WITNESS_PID" 2>/dev/null || true
  "$BIN" publish "$DATA" "$WORK/site" --web "$ROOT/web/dist" --witness "$WVKEY" --witness-quorum 1 >/dev/null || fail_early "publish failed"
  NP=$WORK/nginx; mkdir -p "$NP/logs" "$NP/tmp"; NPORT=$(free_port)
  cat >"$NP/nginx.conf" <<NGINX
error_log $NP/logs/error.log;
user $(id -un) $(id -gn);
pid $NP/nginx.pid;
events { worker_connections 64; }
http {
  access_log $NP/logs/access.log;
  client_body_temp_path $NP/tmp/body; proxy_temp_path $NP/tmp/proxy; fastcgi_temp_path $NP/tmp/fastcgi;
  uwsgi_temp_path $NP/tmp/uwsgi; scgi_temp_path $NP/tmp/scgi;
  include /etc/nginx/mime.types;
  server {
    listen 127.0.0.1:$NPORT;
    root $WORK/site;
    location = /log/checkpoint { add_header Cache-Control "no-cache"; add_header Access-Control-Allow-Origin "*"; }
    location /log/tile/ { add_header Cache-Control "public, max-age=31536000, immutable"; add_header Access-Control-Allow-Origin "*"; }
    location = /.publish-state.json { return 404; }
  }
}
NGINX
  "$NGINX" -p "$NP" -c "$NP/nginx.conf" -g 'daemon off;' 2>"$NP/logs/stderr" &
  NGINX_PID=$!
  wait_for 30 curl -fs -o /dev/null "http://127.0.0.1:$NPORT/site.json" || { cat "$NP/logs/stderr" >&2; fail_early "nginx did not start"; }
  node "$HERE/static.test.mjs" "http://127.0.0.1:$NPORT" "$WORK/expected.json" "$WORK/site" "$TABLE" "$DATA/log.vkey" "$(cut -d+ -f1,2 <<<"$WVKEY")" | tee "$WORK/static.out" || status=$?
  kill -TERM "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=""
else
  echo "FAIL nginx missing (apt-get install nginx)" | tee "$WORK/static.out"; echo "0 passed, 1 failed" >>"$WORK/static.out"; status=1
fi

# Two contests (elections/twocontests, an invented fixture) with one table's registered voters
# unknown: the contest selector, every view following it, and the turnout note.
TC=$ROOT/elections/twocontests
TDATA=$WORK/twocontests
awk -F, -v OFS=, 'NR == 2 { $6 = "" } { print }' "$TC/data/mesas.csv" >"$WORK/mesas.csv"
"$BIN" init "$TDATA" --election "$TC/election.toml" >/dev/null
"$BIN" stations import "$TDATA" "$WORK/mesas.csv" --mapping "$TC/mesas.mapping.toml" >/dev/null 2>&1
"$BIN" import "$TDATA" "$TC/data/presidente.csv" --contest president --source official --mapping "$TC/presidente.mapping.toml" >/dev/null 2>&1
"$BIN" import "$TDATA" "$TC/data/asamblea.csv" --contest assembly --source official --mapping "$TC/asamblea.mapping.toml" >/dev/null 2>&1
for c in president assembly; do "$BIN" tally "$TDATA" --contest $c --format json >"$WORK/expected-$c.json"; done
serve_page "$TDATA" "the two-contest server"
node "$HERE/contests.test.mjs" "http://127.0.0.1:$PORT" "$WORK/expected-president.json" "$WORK/expected-assembly.json" \
  | tee "$WORK/contests.out" || status=$?

stop_page

# A contest decided per municipality (tests/fixtures/localrace, a mayor's race): the races above the
# decided level, each municipality's own candidates at it.
LR=$ROOT/tests/fixtures/localrace
LDATA=$WORK/localrace
"$BIN" init "$LDATA" --election "$LR/election.toml" >/dev/null
"$BIN" stations import "$LDATA" "$LR/mesas.csv" --mapping "$LR/mesas.mapping.toml" >/dev/null 2>&1
"$BIN" import "$LDATA" "$LR/actas.csv" --source official --mapping "$LR/actas.mapping.toml" >/dev/null 2>&1
"$BIN" bound "$LDATA" --format json >"$WORK/localrace-bound.json"
"$BIN" tally "$LDATA" --level municipality --format json >"$WORK/localrace-tally.json"
serve_page "$LDATA" "the local-race server"
node "$HERE/localrace.test.mjs" "http://127.0.0.1:$PORT" "$WORK/localrace-bound.json" "$WORK/localrace-tally.json" \
  | tee "$WORK/localrace.out" || status=$?

stop_page

# The witness page (web/src/witness/): an election with an organisation that enrols phones by
# one-time code, the tables of the bundled real acta QR crops (tests/fixtures/qr/actas), and
# Chromium's fake camera fed with one of them (witness.test.mjs turns it into a Y4M frame).
ACTAS=$ROOT/tests/fixtures/qr/actas
WDATA=$WORK/witness
ORG_VKEY=$("$BIN" org keygen --name mud --key-file "$WORK/mud.key" 2>/dev/null)
cp "$ELECTION/election.toml" "$WORK/witness-election.toml"
printf '\n[[organisations]]\nid = "mud"\nname = "Plataforma Unitaria"\nkey = "%s"\nsources = ["witness:*"]\n\n[submissions]\nrequire_device_signature = ["witness:*"]\n' \
  "$ORG_VKEY" >>"$WORK/witness-election.toml"
"$BIN" init "$WDATA" --election "$WORK/witness-election.toml" >/dev/null
awk -F, 'NR == 1 || ($8 == 1 && ($7 == 240111018 || $7 == 240111020 || $7 == 240111022 || $7 == 240111025 || $7 == 40202001))' \
  "$ROOT/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv" >"$WORK/witness-stations.csv"
"$BIN" stations import "$WDATA" "$WORK/witness-stations.csv" --mapping "$MAPPING" >/dev/null
CODE=$("$BIN" devices invite "$WDATA" --org mud --org-key "$WORK/mud.key" --source witness:mud 2>/dev/null)
serve_page "$WDATA" "the witness server"
node "$HERE/witness.test.mjs" "http://127.0.0.1:$PORT" "$CODE" "$BIN" "$WDATA" "$WORK" "$ACTAS/qr-mobile-1.jpg" "$ACTAS" \
  | tee "$WORK/witness.out" || status=$?
echo "browser test: the server's decoder reads $("$BIN" qr "$ACTAS"/*.jpg 2>/dev/null | grep -vc $'\tERROR') of $(ls "$ACTAS"/*.jpg | wc -l) real acta crops"

# One closing line for every page.
sum() { local n; n=$(tail -1 "$1" | sed -n "s/^\([0-9]*\) passed, \([0-9]*\) failed.*/\\$2/p"); echo "${n:-0}"; }
echo "browser test: all six pages (the static site behind nginx included)"
p=0; f=0; for o in page citizen static contests localrace witness; do p=$((p + $(sum "$WORK/$o.out" 1))); f=$((f + $(sum "$WORK/$o.out" 2))); done
echo "$p passed, $f failed"
exit $status
