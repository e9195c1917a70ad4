#!/bin/bash
# Issue 13, "candidates that stand only in an area", through the real binary: a mayor's race
# (tests/fixtures/localrace, an invented fixture: SOURCE.md) decided per municipality. A sheet
# giving votes to a candidate standing in another municipality is rejected naming the candidate
# and both areas; the tally at the decided level lists each municipality's own candidates, with
# the sums computed here from the raw CSV and the election file; a tally above that level is
# refused saying why (also over HTTP); `bound` decides each municipality's race on its own.
# Usage: localrace_cli_test.sh <path to tallylog> <source dir>
set -u
source "$(dirname "$0")/lib.sh" "$@"
X="$SRC/tests/fixtures/localrace"

setup() {  # setup <dir>: the election and its tables
  "$T" init "$1" --election "$X/election.toml" >/dev/null 2>&1 &&
    "$T" stations import "$1" "$X/mesas.csv" --mapping "$X/mesas.mapping.toml" >/dev/null 2>&1
}
setup "$D/ok"
check "init and stations import of a local race" '[ $? = 0 ]'

# Rejection: 5 votes for LG (stands in 0101) at a table of Río Claro (0203).
setup "$D/bad"
OUT="$("$T" import "$D/bad" "$X/actas-bad.csv" --source official --mapping "$X/actas.mapping.toml" --rejects "$D/bad.rejects.csv" 2>&1)"
check "the import accepts the good row and rejects the other ($(echo "$OUT" | tail -1))" \
  '[[ "$OUT" == *"accepted 1, duplicates 0, conflicts 0, rejected 1"* ]]'
check "the reject names the candidate and both municipalities" \
  'grep -q "candidates.LG" "$D/bad.rejects.csv" && grep -q "stands in municipality 0101, this table is in 0203" "$D/bad.rejects.csv"'

OUT="$("$T" import "$D/ok" "$X/actas.csv" --source official --mapping "$X/actas.mapping.toml" 2>/dev/null)"
check "every sheet of the local race is accepted ($OUT)" '[ "$OUT" = "accepted 5, duplicates 0, conflicts 0, rejected 0" ]'

# Independent sums: per municipality, the candidates standing there (from election.toml).
python3 - "$X" > "$D/expected" <<'PY'
import csv, sys, tomllib
x = sys.argv[1]
e = tomllib.load(open(f'{x}/election.toml', 'rb'))
area = {c['code']: c['area'] for c in e['candidates']}
sums = {}
for r in csv.DictReader(open(f'{x}/actas.csv', encoding='utf-8')):
    mun = r['cod_estado'] + r['cod_municipio']
    s = sums.setdefault(mun, {c: 0 for c, a in area.items() if a == mun})
    for c in s:
        s[c] += int(r[c])
for mun, s in sorted(sums.items()):
    print(mun, ' '.join(f'{k}={v}' for k, v in sorted(s.items())))
PY
"$T" tally "$D/ok" --level municipality --format json 2>/dev/null > "$D/tally.json"
python3 - "$D/tally.json" > "$D/got" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for a in t['areas']:
    print(a['code'], ' '.join(f'{k}={v}' for k, v in sorted(a['candidates'].items())))
PY
check "each municipality lists its own candidates with the sums of the raw file ($(tr '\n' ';' < "$D/got"))" \
  '[ -s "$D/expected" ] && diff "$D/expected" "$D/got" >/dev/null'
DEFAULT="$("$T" tally "$D/ok" --format json 2>/dev/null)"
check "tally without --level reports the decided level" '[ "$DEFAULT" = "$(cat "$D/tally.json")" ]'
for level in national state; do
  OUT="$("$T" tally "$D/ok" --level $level 2>&1)"
  check "tally --level $level of a race decided per municipality is refused saying why" \
    '[ $? != 0 ] && [[ "$OUT" == *"decided per municipality"* ]] && [[ "$OUT" == *"separate races"* ]]'
done

"$T" bound "$D/ok" --format json 2>/dev/null > "$D/bound.json"
python3 - "$D/bound.json" > "$D/bound" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
assert b['decided_at'] == 'municipality', b
for a in b['areas']:
    bd = a['bound']
    rivals = ','.join(r['candidate'] for r in bd['rivals'])
    print(a['code'], bd['leader']['candidate'], bd['leader']['votes'], rivals, bd['decided'])
PY
check "bound decides each municipality's race among its own candidates ($(tr '\n' ';' < "$D/bound"))" \
  '[ "$(cat "$D/bound")" = "0101 RP 350 LG True
0102 JT 290 MS True
0203 AV 390  True" ]'

# Over HTTP: the same refusal and the same municipality answer as the CLI.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$T" serve "$D/ok" --listen "127.0.0.1:$port" 2>"$D/serve.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$D"' EXIT
URL="http://127.0.0.1:$port"
for _ in $(seq 1 600); do curl -fs --max-time 5 "$URL/api/v1/election" >/dev/null 2>&1 && break; sleep 0.1; done
S=$(curl -s --max-time 30 -o "$D/body" -w '%{http_code}' "$URL/api/v1/tally?level=national")
check "GET /api/v1/tally?level=national is a 400 naming the level ($S)" \
  '[ "$S" = 400 ] && grep -q "\"field\":\"level\"" "$D/body" && grep -q "decided per municipality" "$D/body"'
A="$(curl -fs --max-time 30 "$URL/api/v1/tally?level=municipality&source=official")"
B="$("$T" tally "$D/ok" --level municipality --source official --format json 2>/dev/null)"
check "GET /api/v1/tally?level=municipality equals the CLI" '[ -n "$A" ] && [ "$A" = "$B" ]'
E="$(curl -fs --max-time 30 "$URL/api/v1/election")"
check "GET /api/v1/election states the level the race is decided at and each candidate's area" \
  'python3 -c "import json,sys; e=json.loads(sys.argv[1]); assert e[\"decided_at\"] == \"municipality\"; a={c[\"code\"]: c.get(\"area\") for c in e[\"candidates\"]}; assert len(a) == 5 and all(a.values()) and set(a.values()) == {\"0101\", \"0102\", \"0203\"}, a" "$E"'
A="$(curl -fs --max-time 30 "$URL/api/v1/bound")"
B="$("$T" bound "$D/ok" --format json 2>/dev/null)"
check "GET /api/v1/bound equals the CLI (per municipality)" '[ -n "$A" ] && [ "$A" = "$B" ]'
# The audit re-derives the per-municipality bounds and agrees with the server's refusals above the
# decided level (it reported 36 differences against this honest server before).
OUT="$("$T" audit "$URL" --vkey "$D/ok/log.vkey" --quiet 2>&1)"
STATUS=$?
check "audit of the local race: 0 differences, no size assumed ($OUT)" \
  '[ $STATUS = 0 ] && echo "$OUT" | grep -qE "^audited [0-9]+ entries, [1-9][0-9]* published figures: 0 differences$" && ! echo "$OUT" | grep -q "^note:"'

finish
