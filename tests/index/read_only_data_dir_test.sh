#!/bin/bash
# Read-only data directories (issue 9 point 1), end to end with the real binary: every read
# command works on a directory holding only log/ and log.vkey (a mirror); a read command brings a
# lagging index up to date when nobody writes, and says how far behind it is when a writer holds
# <data>/lock; `serve` on such a directory answers reads and refuses submissions with 503 and the
# reason; tally/compare/bound JSON state the log size they reflect.
# Usage: read_only_data_dir_test.sh <tallylog binary>
set -u
T=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }
mapping=$root/elections/ve2024/convzla-v1.mapping.toml
python3 "$root/bench/ingest_synthetic_csv.py" "$D/all.csv" 300
head -201 "$D/all.csv" > "$D/first.csv"
{ head -1 "$D/all.csv"; tail -n +202 "$D/all.csv"; } > "$D/rest.csv"

"$T" init "$D/w" --election "$root/elections/ve2024/election.toml" > /dev/null
"$T" stations import "$D/w" "$D/all.csv" --mapping "$mapping" > /dev/null
"$T" import "$D/w" "$D/first.csv" --source official --mapping "$mapping" > /dev/null
"$T" import "$D/w" "$D/all.csv" --source witness:a --mapping "$mapping" > /dev/null

# A mirror: only the published log and the verifier key.
mkdir -p "$D/m"
cp -r "$D/w/log" "$D/m/log"
cp "$D/w/log.vkey" "$D/m/"
OUT=$("$T" reindex "$D/m" 2>&1)
check "reindex works on a copy of log/ and log.vkey (no log.key)" '[[ "$OUT" == reindexed* ]] && [ ! -e "$D/m/log.key" ]'
for cmd in "tally --level state --format json" "tally --level table --format json" "tally --source official --format csv" \
           "compare --source official --source witness:a --format json" "bound --format json" "export --format csv"; do
  check "$cmd is the same on the mirror" 'cmp -s <("$T" $cmd "$D/w" 2>/dev/null | sed "s|$D/w||") <("$T" $cmd "$D/m" 2>/dev/null | sed "s|$D/m||")'
done
check "sheets show works on the mirror" '"$T" sheets show "$D/m" --station 010101001.01 | grep -q "source official"'
SIZE=$(sed -n 2p "$D/w/log/checkpoint")
for cmd in "tally --format json" "compare --source official --source witness:a --format json" "bound --format json"; do
  check "$cmd states the log size ($SIZE)" '"$T" $cmd "$D/m" | grep -q "\"log_size\":$SIZE,"'
done
rm -rf "$D/m2"; mkdir -p "$D/m2"; cp -r "$D/w/log" "$D/w/log.vkey" "$D/m2/"
OUT=$("$T" tally "$D/m2" --format json 2>"$D/err")
check "a read on a mirror without an index builds it and says so" 'grep -q "built the index" "$D/err" && [ "$OUT" = "$("$T" tally "$D/w" --format json 2>/dev/null)" ]'

# A lagging index: the log moves on while an old copy of the index is put back (a crash between
# the log append and the index commit leaves the same state).
cp "$D/w/index.sqlite" "$D/old-index.sqlite"
"$T" import "$D/w" "$D/rest.csv" --source official --mapping "$mapping" > /dev/null
FULL=$("$T" tally "$D/w" --source official --format json 2>/dev/null)
cp "$D/old-index.sqlite" "$D/w/index.sqlite"; rm -f "$D/w/index.sqlite-wal" "$D/w/index.sqlite-shm"
LAGGING=$(flock "$D/w/lock" "$T" tally "$D/w" --source official --format json 2>"$D/err")
check "while a writer holds the lock, a lagging index is read and the lag is stated" \
  'grep -q "entries behind the log" "$D/err" && grep -q "a writer holds" "$D/err" && [ "$LAGGING" != "$FULL" ]'
check "... and the answer states the smaller log size it reflects" \
  '[ "$(echo "$LAGGING" | grep -o "\"log_size\":[0-9]*")" != "\"log_size\":$(sed -n 2p "$D/w/log/checkpoint")" ]'
NOW=$("$T" tally "$D/w" --source official --format json 2>"$D/err")
check "with no writer, a read brings the index up to date first" 'grep -q "brought the index up to date" "$D/err" && [ "$NOW" = "$FULL" ]'

# serve on the mirror: reads yes, writes 503 with the reason.
TOKEN=$("$T" tokens add "$D/m" --name w --source 'witness:*' 2>/dev/null | tail -1)
"$T" serve "$D/m" --listen 127.0.0.1:0 2> "$D/serve.err" &
server=$!
port=""
for _ in $(seq 200); do
  port=$(grep -o 'http://127.0.0.1:[0-9]*' "$D/serve.err" | head -1 | sed 's/.*://')
  [ -n "$port" ] && break
  sleep 0.05
done
check "serve starts on a read-only directory and says so" '[ -n "$port" ] && grep -q "read-only" "$D/serve.err"'
check "serve answers the tally on the mirror" \
  '[ "$(curl -s "http://127.0.0.1:$port/api/v1/tally?level=state")" = "$("$T" tally "$D/m" --level state --format json 2>/dev/null)" ]'
check "the HTTP tally states its log size in a header" \
  'curl -s -D - -o /dev/null "http://127.0.0.1:$port/api/v1/tally?level=state" | grep -qi "^x-tallylog-log-size: $SIZE"'
CODE=$(curl -s -o "$D/post.json" -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/v1/sheets" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"station":"010101001.01","source":"witness:b","candidates":{"EG":1},"fields":{"valid":1,"null":0}}')
check "serve refuses a submission with 503 and the reason" '[ "$CODE" = 503 ] && grep -q "read-only data directory" "$D/post.json"'
kill "$server"; wait "$server" 2>/dev/null; server=""

echo "$fails failures"
[ "$fails" = 0 ]
