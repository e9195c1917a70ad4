#!/usr/bin/env bash
# `tallylog serve --index postgresql://...` (issue 15): the server keeps and reads its index in
# PostgreSQL and answers exactly what it answers on the data directory's SQLite index; an
# unreachable database is one clear error at start; a database restart while sheets are being
# submitted gives 503s (nothing logged for them), never a 201 for a sheet that is not in the log,
# and once the database is back the server catches its index up from the log by itself.
# Usage: postgres_serve_test.sh <tallylog binary> <source dir>
set -u
source "$(dirname "$0")/lib.sh" "$@"
source "$SRC/tests/lib/server.sh"
chmod 0755 "$D"  # as root the server runs as postgres, which must reach $D/pg
mkdir "$D/pg"
PG="$SRC/scripts/pg_test_server.sh"
URL="$("$PG" start "$D/pg" $$)" || { echo "FAIL could not start PostgreSQL"; exit 1; }
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; "$PG" stop "$D/pg" 2>/dev/null; rm -rf "$D"' EXIT

VE="$SRC/elections/ve2024"
head -n 401 "$VE/data/RESULTADOS_2024_CSV_V1.csv" >"$D/ve.csv"
head -n 201 "$D/ve.csv" >"$D/first.csv"
"$T" init "$D/ve" --election "$VE/election.toml" >/dev/null
"$T" stations import "$D/ve" "$D/ve.csv" --mapping "$VE/convzla-v1.mapping.toml" >/dev/null
"$T" import "$D/ve" "$D/first.csv" --source witness:convzla --mapping "$VE/convzla-v1.mapping.toml" >/dev/null
TOKEN=$("$T" tokens add "$D/ve" --name obs --source 'observer:*' 2>/dev/null)

serve() {  # serve <log file> [serve args...]: starts `tallylog serve $D/ve`, sets PORT
  local log=$1
  shift
  "$T" serve "$D/ve" --listen 127.0.0.1:0 --rate 100000 --burst 100000 "$@" >"$log" 2>&1 &
  PIDS+=($!)
  PORT=$(listening_port "$log") || return 1
}
stop_last() { local p=${PIDS[-1]}; kill "$p"; wait "$p" 2>/dev/null; unset 'PIDS[-1]'; }
ROUTES=("/api/v1/tally?level=national" "/api/v1/tally?level=state" "/api/v1/tally?level=parish"
        "/api/v1/tally?level=table&source=witness:convzla" "/api/v1/stations/010113042.01/sheets")
fetch_all() {  # fetch_all <dir>: every route's body into <dir>/<n>
  mkdir -p "$1"
  local i=0
  for r in "${ROUTES[@]}"; do curl -s "http://127.0.0.1:$PORT$r" >"$1/$i"; i=$((i + 1)); done
}

# Bad input first: an unreachable database stops serve at start with one line naming the URL
# without its password.
BAD="postgresql://tallylog:s3cret@/tally?host=$D/nowhere&port=5999"
timeout 60 "$T" serve "$D/ve" --listen 127.0.0.1:0 --index "$BAD" >"$D/bad.out" 2>"$D/bad.err"
rc=$?
check "serve --index <unreachable>: exits non-zero at start with one clear line, no password" \
  '[ $rc != 0 ] && [ $rc != 124 ] && [ "$(wc -l <"$D/bad.err")" = 1 ] && grep -q "postgresql://tallylog@/tally?host=$D/nowhere" "$D/bad.err" && grep -q "cannot connect" "$D/bad.err" && ! grep -q s3cret "$D/bad.err" || { echo "rc $rc"; cat "$D/bad.err"; false; }'

# The same answers from SQLite and from PostgreSQL (built by serve itself from the log at start).
serve "$D/sqlite.log" && fetch_all "$D/a"
stop_last
serve "$D/pg.log" --index "$URL"
fetch_all "$D/b"
same=1
for i in "${!ROUTES[@]}"; do
  if [ ! -s "$D/a/$i" ] || ! cmp -s "$D/a/$i" "$D/b/$i"; then same=0; echo "differs: ${ROUTES[$i]}"; fi
done
check "serve --index postgresql://: every route answers the same bytes as on SQLite (${#ROUTES[@]} routes)" '[ $same = 1 ]'

# Submissions around a database outage. Each sheet is POSTed alone; every status is recorded.
python3 - "$D/ve.csv" "$D/sheets" <<'PY'
import csv, json, sys, os
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")))[200:400]
os.makedirs(sys.argv[2])
for n, r in enumerate(rows):
    s = {"station": "%09d.%02d" % (int(r["CENTRO"]), int(r["MESA"])), "source": "observer:pg",
         "candidates": {k: int(r[k]) for k in ["EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"]},
         "fields": {"valid": int(r["VOTOS_VALIDOS"]), "null": int(r["VOTOS_NULOS"])}}
    open("%s/%03d.json" % (sys.argv[2], n), "w").write(json.dumps(s))
PY
post() {  # post <n>: prints the status; the body in $D/answers/<n>
  mkdir -p "$D/answers"
  curl -s -o "$D/answers/$1" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary "@$D/sheets/$1.json" "http://127.0.0.1:$PORT/api/v1/sheets"
}
log_size() { curl -s "http://127.0.0.1:$PORT/log/checkpoint" | sed -n 2p; }
: >"$D/statuses"
for n in $(seq -f %03g 0 49); do echo "$n $(post "$n")" >>"$D/statuses"; done
check "50 sheets accepted with the database up" '[ "$(grep -c " 201$" "$D/statuses")" = 50 ]'

# Every 201 above is covered by a published checkpoint before the outage starts.
prev=; for _ in $(seq 1 50); do cur=$(log_size); [ -n "$cur" ] && [ "$cur" = "$prev" ] && break; prev=$cur; sleep 0.2; done
"$PG" stop "$D/pg"
before=$(log_size)
: >"$D/outage"
for n in $(seq -f %03g 50 59); do echo "$n $(post "$n")" >>"$D/outage"; done
logged_201=$(grep -c " 201$" "$D/outage")
# A 201 means durable in the log's journal; the checkpoint covering it is published just after.
for _ in $(seq 1 100); do after=$(log_size); [ "$((after - before))" -ge "$logged_201" ] && break; sleep 0.1; done
check "with the database down, submissions are refused with 503 (the first, logged before the index failed, is a 201: $logged_201)" \
  '[ "$(grep -c " 503$" "$D/outage")" -ge 9 ] && [ "$((after - before))" = "$logged_201" ] || { cat "$D/outage"; echo "log $before -> $after"; false; }'
n503=$(grep " 503$" "$D/outage" | head -1 | cut -d" " -f1)
check "the 503 says why and that nothing of it was logged" \
  'grep -q "index cannot be written" "$D/answers/$n503" && grep -q "nothing of this request was logged" "$D/answers/$n503" || { cat "$D/answers/$n503"; false; }'
check "reads while the database is down answer 503, not a stale or empty 200" \
  '[ "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT/api/v1/stations/010113042.02/sheets")" = 503 ]'

# The database comes back on the same socket: the server reconnects and catches up.
"$PG" resume "$D/pg"
: >"$D/after"
for n in $(seq -f %03g 50 99); do echo "$n $(post "$n")" >>"$D/after"; done
check "after the restart, every sheet is taken: new ones 201, one logged during the outage 200 (duplicate)" \
  '[ "$(grep -c " 201$" "$D/after")" = "$((50 - logged_201))" ] && [ "$(grep -c " 200$" "$D/after")" = "$logged_201" ] || { grep -v " 20[01]$" "$D/after"; cat "$D/answers/050"; false; }'
stop_last

# Every 201 is in the log exactly once; the PostgreSQL index agrees with the SQLite index rebuilt
# from the log; the log verifies.
"$T" export "$D/ve" --format csv --source observer:pg >"$D/export.csv" 2>/dev/null
check "the log holds each of the 100 submitted sheets exactly once" \
  '[ "$(tail -n +2 "$D/export.csv" | wc -l)" = 100 ]'
"$T" tally "$D/ve" --level table --format csv >"$D/sqlite.tally"
"$T" tally "$D/ve" --level table --format csv --index "$URL" >"$D/pg.tally"
check "the PostgreSQL index (caught up after the outage) equals the SQLite index from the log" \
  '[ -s "$D/pg.tally" ] && cmp -s "$D/sqlite.tally" "$D/pg.tally" || { diff "$D/sqlite.tally" "$D/pg.tally" | head -5; false; }'
OUT="$("$T" verify "$D/ve" 2>&1)"
check "verify: the log is intact" '[[ "$OUT" == ok:* ]] || { echo "$OUT"; false; }'

finish
