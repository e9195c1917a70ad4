#!/bin/bash
# Issue 13, point 4, over HTTP and the remote commands: one `serve` answers for every contest of
# the twocontests fixture (?contest=, docs/api.md "Contests"); its answers equal the CLI's byte for
# byte; a results route without ?contest= is a 400 naming the contests; `import <url>` carries
# --contest and the server refuses a contest it does not collect before anything is sent;
# `audit`, `forensics` and `check-declared` take --contest.
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

# The server's directory: the presidential sheets imported locally, the assembly's sent to the
# server, which collects the assembly (serve --contest) and reports both.
"$T" import "$D/srv" "$X/data/presidente.csv" --contest president --source official --mapping "$X/presidente.mapping.toml" >/dev/null 2>&1
TOKEN=$("$T" tokens add "$D/srv" --name obs --source official 2>/dev/null)
serve "$D/srv" URL --contest assembly
SIZE0=$(log_size "$URL")

E="$(curl -fs --max-time 10 "$URL/api/v1/election")"
check "GET /api/v1/election lists both contests" \
  '[[ "$E" == *"\"contests\":[{\"id\":\"president\",\"name\":\"Presidencia\"},{\"id\":\"assembly\",\"name\":\"Asamblea Nacional (lista)\"}]"* ]] && [[ "$E" != *"\"candidates\""* ]]'
E="$(curl -fs --max-time 10 "$URL/api/v1/election?contest=assembly")"
check "GET /api/v1/election?contest=assembly is that contest's ballot" \
  '[[ "$E" == *"\"contest\":\"assembly\""* ]] && [[ "$E" == *"\"code\":\"UN\""* ]] && [[ "$E" != *"\"code\":\"AR\""* ]]'
for route in tally compare bound export flags sources conflicts forensics declared areas stations/0101.01/sheets; do
  S=$(status "$URL/api/v1/$route")
  check "GET /api/v1/$route without ?contest= is 400 naming the contests" \
    '[ "$S" = 400 ] && grep -q "2 contests: president (Presidencia), assembly (Asamblea Nacional (lista)); choose one with ?contest=" "$D/body"'
done
S=$(status "$URL/api/v1/tally?contest=senate")
check "an unknown ?contest= is 404 listing the contests" '[ "$S" = 404 ] && grep -q "no contest \\\\\"senate\\\\\"; this election has 2: president" "$D/body"'

OUT="$("$T" import "$URL" "$X/data/asamblea.csv" --source official --mapping "$X/asamblea.mapping.toml" --token "$TOKEN" 2>&1)"
check "import <url> without --contest names the contests and sends nothing" \
  '[ $? != 0 ] && [[ "$OUT" == *"name the one your sheets are for with --contest (this server collects assembly)"* ]] && [[ "$OUT" == *"nothing was sent"* ]]'
OUT="$("$T" import "$URL" "$X/data/presidente.csv" --contest president --source official --mapping "$X/presidente.mapping.toml" --token "$TOKEN" 2>&1)"
check "import <url> --contest of a contest the server does not collect is refused before sending (409)" \
  '[ $? != 0 ] && [[ "$OUT" == *"collects the sheets of contest assembly, not president"* ]] && [[ "$OUT" == *"nothing was sent"* ]]'
check "nothing was logged by the refused runs" '[ "$(log_size "$URL")" = "$SIZE0" ]'
OUT="$("$T" import "$URL" "$X/data/asamblea.csv" --contest assembly --source official --mapping "$X/asamblea.mapping.toml" --token "$TOKEN" 2>/dev/null)"
check "import <url> --contest assembly: every sheet accepted ($OUT)" '[ "$OUT" = "accepted $TABLES, duplicates 0, conflicts 0, rejected 0" ]'
N=$(await_log_size "$URL" $((SIZE0 + TABLES)))
check "the server logged one entry per row" '[ "$N" = $((SIZE0 + TABLES)) ]'
OUT="$("$T" import "$URL" "$X/data/asamblea.csv" --contest assembly --source official --mapping "$X/asamblea.mapping.toml" --token "$TOKEN" 2>/dev/null)"
check "a second run finds the server's assembly sheets (the contest is part of what it holds)" '[ "$OUT" = "accepted 0, duplicates $TABLES, conflicts 0, rejected 0" ]'

# Every contest's answers equal the CLI's on the reference directory, byte for byte: the one the
# server collects and the one it derives from the log on demand.
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
check "audit without --contest names the contests" '[ $? != 0 ] && [[ "$OUT" == *"choose one with --contest"* ]]'
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

finish
