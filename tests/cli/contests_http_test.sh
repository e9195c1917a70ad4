#!/bin/bash
# Issue 13, point 4, over HTTP and the remote commands: one `serve` collects AND answers for every
# contest of the twocontests fixture: POST /api/v1/sheets takes each sheet to the contest it names
# (an unknown or missing one is rejected with field "contest"), `import <url> --contest C` sends
# each contest's file to the same server, every contest's reads (?contest=) move as its sheets
# land, and its answers equal the CLI's on a directory where both contests were imported locally,
# byte for byte; a results route without ?contest= is a 400 naming the contests; `forensics` and
# `check-declared` take --contest; `audit` audits every contest, or the one --contest names.
# Usage: contests_http_test.sh <path to tallylog> <source dir>
set -u
source "$(dirname "$0")/lib.sh" "$@"
X="$SRC/elections/twocontests"
PIDS=()
stop_all() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=(); }
trap 'stop_all; rm -rf "$D"' EXIT
serve() {  # serve <dir> <var for base url> [serve options]: starts a server, waits until it answers
  local dir="$1" var="$2" port
  shift 2
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  "$T" serve "$dir" --listen "127.0.0.1:$port" "$@" 2>"$dir.serve.log" &
  PIDS+=($!)
  for _ in $(seq 1 600); do curl -fs --max-time 5 "http://127.0.0.1:$port/api/v1/election" >/dev/null 2>&1 && break; sleep 0.1; done
  printf -v "$var" 'http://127.0.0.1:%s' "$port"
}
log_size() { curl -fs --max-time 10 "$1/api/v1/election" | sed -n 's/.*"log_size":\([0-9]*\).*/\1/p'; }
await_log_size() { local n; for _ in $(seq 1 600); do n=$(log_size "$1"); [[ $n -ge $2 ]] && break; sleep 0.1; done; echo "$n"; }
status() { curl -s --max-time 60 -o "$D/body" -w '%{http_code}' "$1"; }

# The reference: both contests imported locally.
"$T" init "$D/ref" --election "$X/election.toml" >/dev/null
"$T" stations import "$D/ref" "$X/data/mesas.csv" --mapping "$X/mesas.mapping.toml" >/dev/null 2>&1
cp -a "$D/ref" "$D/srv"
"$T" import "$D/ref" "$X/data/presidente.csv" --contest president --source official --mapping "$X/presidente.mapping.toml" >/dev/null 2>&1
"$T" import "$D/ref" "$X/data/asamblea.csv" --contest assembly --source official --mapping "$X/asamblea.mapping.toml" >/dev/null 2>&1
TABLES=$(($(wc -l < "$X/data/mesas.csv") - 1))

# The server's directory: stations only; ONE server collects both contests' sheets.
TOKEN=$("$T" tokens add "$D/srv" --name obs --source official 2>/dev/null)
serve "$D/srv" URL
SIZE0=$(log_size "$URL")
post() { curl -s --max-time 30 -o "$D/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary "$1" "$URL/api/v1/sheets"; }
national() { curl -fs --max-time 30 "$URL/api/v1/tally?contest=$1&level=national&source=official"; }
no_size() { sed 's/"log_size":[0-9]*,//'; }  # every contest's index records every entry: its log size moves

# POST /api/v1/sheets: each sheet goes to the contest it names, into the one log.
S=$(post '{"station":"0101.01","source":"official","contest":"senate","candidates":{"AR":104,"BM":116,"CS":40},"fields":{"valid":260,"null":6}}')
check "a sheet naming an unknown contest is rejected with field \"contest\" ($S)" \
  '[ "$S" = 400 ] && grep -q "\"field\":\"contest\"" "$D/body" && grep -q "not a contest of this election (it has president, assembly)" "$D/body"'
S=$(post '{"station":"0101.01","source":"official","candidates":{"AR":104,"BM":116,"CS":40},"fields":{"valid":260,"null":6}}')
check "a sheet naming no contest is rejected with field \"contest\" (the election has several) ($S)" \
  '[ "$S" = 400 ] && grep -q "\"field\":\"contest\"" "$D/body" && grep -q "name the contest" "$D/body"'
check "nothing was logged by the rejected sheets" '[ "$(log_size "$URL")" = "$SIZE0" ]'
BEFORE_A="$(national assembly | no_size)"
S=$(post '{"station":"0101.01","source":"official","contest":"president","candidates":{"AR":104,"BM":116,"CS":40},"fields":{"valid":260,"null":6}}')
check "a presidential sheet is accepted ($S)" '[ "$S" = 201 ]'
P="$(national president)"
check "the president's national tally moves at once (AR 104, one table)" '[[ "$P" == *"\"AR\":104,"* ]] && [[ "$P" == *"\"tables_reported\":1,"* ]]'
check "the assembly's tally did not move (but its log size did)" '[ "$(national assembly | no_size)" = "$BEFORE_A" ] && [ "$(national assembly)" != "$BEFORE_A" ]'
S=$(post '{"station":"0101.01","source":"official","contest":"assembly","cards":[130,99,21],"fields":{"valid":250,"blank":16}}')
check "an assembly sheet to the same server is accepted ($S)" '[ "$S" = 201 ]'
A="$(national assembly)"
check "the assembly's national tally moves (UN 130)" '[[ "$A" == *"\"UN\":130,"* ]] && [[ "$A" == *"\"tables_reported\":1,"* ]]'
# A 201 means durable in the log's journal; the checkpoint that covers it is published just after.
check "both were logged in the one log" '[ "$(await_log_size "$URL" $((SIZE0 + 2)))" = $((SIZE0 + 2)) ]'
SIZE1=$(log_size "$URL")

OUT="$("$T" import "$URL" "$X/data/asamblea.csv" --source official --mapping "$X/asamblea.mapping.toml" --token "$TOKEN" 2>&1)"
check "import <url> without --contest names the contests and sends nothing" \
  '[ $? != 0 ] && [[ "$OUT" == *"several contests (president, assembly): name the one your sheets are for with --contest"* ]] && [[ "$OUT" == *"nothing was sent"* ]]'
OUT="$("$T" import "$URL" "$X/data/asamblea.csv" --contest senate --source official --mapping "$X/asamblea.mapping.toml" --token "$TOKEN" 2>&1)"
check "import <url> --contest of no contest of the election is refused before sending (404)" \
  '[ $? != 0 ] && [[ "$OUT" == *"no contest \"senate\""* ]] && [[ "$OUT" == *"nothing was sent"* ]]'
check "nothing was logged by the refused runs" '[ "$(log_size "$URL")" = "$SIZE1" ]'
OUT="$("$T" import "$URL" "$X/data/presidente.csv" --contest president --source official --mapping "$X/presidente.mapping.toml" --token "$TOKEN" 2>/dev/null)"
check "import <url> --contest president: every other sheet accepted ($OUT)" '[ "$OUT" = "accepted $((TABLES - 1)), duplicates 1, conflicts 0, rejected 0" ]'
OUT="$("$T" import "$URL" "$X/data/asamblea.csv" --contest assembly --source official --mapping "$X/asamblea.mapping.toml" --token "$TOKEN" 2>/dev/null)"
check "import <url> --contest assembly to the same server: every other sheet accepted ($OUT)" '[ "$OUT" = "accepted $((TABLES - 1)), duplicates 1, conflicts 0, rejected 0" ]'
N=$(await_log_size "$URL" $((SIZE1 + 2 * (TABLES - 1))))
check "the server logged one entry per row of both files" '[ "$N" = $((SIZE1 + 2 * (TABLES - 1))) ]'
OUT="$("$T" import "$URL" "$X/data/asamblea.csv" --contest assembly --source official --mapping "$X/asamblea.mapping.toml" --token "$TOKEN" 2>/dev/null)"
check "a second run finds the server's assembly sheets (the contest is part of what it holds)" '[ "$OUT" = "accepted 0, duplicates $TABLES, conflicts 0, rejected 0" ]'

# Every contest's answers equal the CLI's on the reference directory, byte for byte (the server
# logged them in another order: sheets of both contests interleaved).
for c in president assembly; do
  for level in national state table; do
    A="$(curl -fs --max-time 60 "$URL/api/v1/tally?contest=$c&level=$level&source=official")"
    B="$("$T" tally "$D/ref" --contest $c --level $level --source official --format json 2>/dev/null)"
    check "GET /api/v1/tally?contest=$c&level=$level equals \`tally --contest $c\` (${#A} bytes)" '[ -n "$A" ] && [ "$A" = "$B" ]'
  done
  A="$(curl -fs --max-time 60 "$URL/api/v1/bound?contest=$c")"
  B="$("$T" bound "$D/ref" --contest $c --format json 2>/dev/null)"
  check "GET /api/v1/bound?contest=$c equals \`bound --contest $c\`" '[ -n "$A" ] && [ "$A" = "$B" ]'
  A="$(curl -fs --max-time 60 "$URL/api/v1/flags?contest=$c")"
  B="$("$T" flags "$D/ref" --contest $c --format json 2>/dev/null)"
  check "GET /api/v1/flags?contest=$c equals \`flags --contest $c\`" '[ -n "$A" ] && [ "$A" = "$B" ]'
  A="$(curl -fs --max-time 60 "$URL/api/v1/forensics?contest=$c&level=state")"
  B="$("$T" forensics "$D/ref" --contest $c --level state --format json 2>/dev/null)"
  check "GET /api/v1/forensics?contest=$c equals \`forensics --contest $c\`" '[ -n "$A" ] && [ "$A" = "$B" ]'
  A="$(curl -fs --max-time 60 "$URL/api/v1/declared?contest=$c")"
  B="$("$T" check-declared "$D/ref" --contest $c --format json 2>/dev/null)"
  check "GET /api/v1/declared?contest=$c equals \`check-declared --contest $c\`" '[ -n "$A" ] && [ "$A" = "$B" ]'
done
S1="$(curl -fs --max-time 10 "$URL/api/v1/stations/0101.01/sheets?contest=president")"
S2="$(curl -fs --max-time 10 "$URL/api/v1/stations/0101.01/sheets?contest=assembly")"
check "a station's sheets are per contest" '[[ "$S1" == *"\"AR\""* && "$S1" != *"\"UN\""* && "$S2" == *"\"UN\""* && "$S2" != *"\"AR\""* ]]'

for cmd in forensics check-declared; do
  OUT="$("$T" $cmd "$D/ref" 2>&1)"
  check "$cmd without --contest names the contests" '[ $? != 0 ] && [[ "$OUT" == *"choose one with --contest"* ]]'
done

OUT="$("$T" audit "$URL" --vkey "$D/srv/log.vkey" --quiet 2>&1)"
STATUS=$?
check "audit without --contest audits every contest: 0 differences in each" \
  '[ $STATUS = 0 ] && echo "$OUT" | grep -qE "^contest president: [1-9][0-9]* published figures in [1-9][0-9]* answers: 0 differences$" &&
   echo "$OUT" | grep -qE "^contest assembly: [1-9][0-9]* published figures in [1-9][0-9]* answers: 0 differences$" &&
   echo "$OUT" | grep -qE "^audited [0-9]+ entries, [1-9][0-9]* published figures: 0 differences$"' || echo "$OUT"
for c in president assembly; do
  OUT="$("$T" audit "$URL" --vkey "$D/srv/log.vkey" --contest $c --quiet 2>&1)"
  check "audit --contest $c: 0 differences" 'echo "$OUT" | grep -qE "^audited [0-9]+ entries, [1-9][0-9]* published figures: 0 differences$"'
done

# A read-only copy (no log.key) serves every contest too.
cp -a "$D/ref" "$D/ro"
rm -f "$D/ro/log.key"
serve "$D/ro" RURL
A="$(curl -fs --max-time 60 "$RURL/api/v1/tally?contest=assembly&level=state")"
B="$("$T" tally "$D/ref" --contest assembly --level state --format json 2>/dev/null)"
check "a read-only server answers for a contest it was not started with" '[ -n "$A" ] && [ "$A" = "$B" ]'

# A copy whose assembly index has one count changed (one more vote on its first sheet): an audit of
# every contest finds it there, and only there.
cp -a "$D/ro" "$D/bad"
python3 "$SRC/tests/lib/change_count.py" "$D/bad/index.assembly.sqlite"
serve "$D/bad" BURL
OUT="$("$T" audit "$BURL" --vkey "$D/srv/log.vkey" --quiet 2>&1)"
STATUS=$?
check "audit of every contest catches one vote changed in the assembly's index, in that contest only" \
  '[ $STATUS = 4 ] && echo "$OUT" | grep -qE "^contest president: [1-9][0-9]* published figures in [1-9][0-9]* answers: 0 differences$" &&
   echo "$OUT" | grep -qE "^contest assembly: [1-9][0-9]* published figures in [1-9][0-9]* answers: [1-9][0-9]* differences$" &&
   echo "$OUT" | grep -qP "^/api/v1/tally\?contest=assembly&level=table&source=official\t"' || echo "$OUT"

finish
