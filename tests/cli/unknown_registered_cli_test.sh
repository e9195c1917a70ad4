#!/bin/bash
# Issue 13, point 2, through the real binary: a station registry in which some stations have
# unknown registered voters (an empty RE cell in the bundled Venezuelan table) imports; their
# sheets are not rejected by "valid + null <= registered" (the rule is listed as not checked by
# `tallylog flags`); tally turnout and the count of tables it leaves out match a computation done
# here from the CSV; `reindex` reproduces every output byte for byte.
# Usage: unknown_registered_cli_test.sh <path to tallylog> <source dir>
set -u
source "$(dirname "$0")/lib.sh" "$@"

E="$SRC/elections/ve2024/election.toml"
M="$SRC/elections/ve2024/convzla-v1.mapping.toml"
CSV="$SRC/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv"
# 60 tables; RE (column 9) emptied at rows 3, 17, 18 and 41 of the data: registered voters unknown.
python3 - "$CSV" "$D" <<'PY'
import sys
src, d = sys.argv[1], sys.argv[2]
lines = open(src, encoding='utf-8-sig').read().splitlines()
head, rows = lines[0], lines[1:61]
out = []
for i, r in enumerate(rows):
    c = r.split(',')
    if i in (3, 17, 18, 41):
        c[8] = ''
    out.append(','.join(c))
open(f'{d}/registry.csv', 'w').write('\n'.join([head] + out) + '\n')
open(f'{d}/sheets.csv', 'w').write('\n'.join([head] + rows) + '\n')
# Independent figures: turnout = (valid + null) / registered over the tables whose registered
# voters are known; the others are counted but left out of turnout.
known = [c for c in (r.split(',') for r in out) if c[8] != '']
cast = sum(int(c[9]) + int(c[10]) for c in known)
reg = sum(int(c[8]) for c in known)
c = out[3].split(',')
first = f'{int(c[6]):09d}.{int(c[7]):02d}'  # the station code the mapping composes
open(f'{d}/expected', 'w').write(f'{round(cast / reg, 6)} {reg} {len(out) - len(known)} {len(out)} {first}\n')
PY
read -r TURNOUT REG UNKNOWN TABLES FIRST < "$D/expected"

"$T" init "$D/d" --election "$E" >/dev/null
OUT="$("$T" stations import "$D/d" "$D/registry.csv" --mapping "$M" 2>&1)"
check "a registry with unknown registered voters imports" '[ $? = 0 ] && [[ "$OUT" == *"accepted $TABLES,"* ]]'
OUT="$("$T" sheets show "$D/d" --station "$FIRST" 2>&1)"
check "the station says its registered voters are unknown" '[[ "$OUT" == "station $FIRST registered unknown"* ]]'
OUT="$("$T" import "$D/d" "$D/sheets.csv" --source official --mapping "$M" 2>&1)"
check "no sheet is rejected by the rule on registered voters" '[ $? = 0 ] && [[ "$OUT" == *"accepted $TABLES,"* ]] && [[ "$OUT" == *"rejected 0"* ]]'

J="$("$T" tally "$D/d" --level national --format json)"
read -r GOT_TURNOUT GOT_REG GOT_UNKNOWN GOT_EXCLUDED GOT_TABLES <<< "$(python3 -c '
import json, sys
t = json.loads(sys.argv[1])["total"]
print(t["turnout"], t["registered_voters"], t.get("tables_registered_unknown"), t.get("turnout_excluded_tables"), t["tables_reported"])' "$J")"
check "turnout is that of the tables whose registered voters are known ($TURNOUT)" '[ "$GOT_TURNOUT" = "$TURNOUT" ]'
check "registered voters sum the known figures ($REG)" '[ "$GOT_REG" = "$REG" ]'
check "the tally states the tables turnout leaves out ($UNKNOWN)" '[ "$GOT_UNKNOWN" = "$UNKNOWN" ] && [ "$GOT_EXCLUDED" = "$UNKNOWN" ]'
check "those tables still count as tables" '[ "$GOT_TABLES" = "$TABLES" ]'
TXT="$("$T" tally "$D/d" --level state)"
check "the text tally says so too" '[[ "$TXT" == *"$UNKNOWN tables of the registry have unknown registered voters; $UNKNOWN of them are counted and left out of turnout"* ]]'

F="$("$T" flags "$D/d" --format json)"
check "flags lists the rule on registered voters as not checked" '[[ "$F" == *"\"sheets_registered_unknown\":$UNKNOWN,\"not_checked\":[{\"rule\":\"valid + null <= registered\",\"kind\":\"reject\",\"sheets\":$UNKNOWN,\"reason\":\"registered voters unknown\"}]"* ]]'

B="$("$T" bound "$D/d" --format json)"
check "bound gives the uncounted-unknown tables nothing to hide (all counted here)" '[[ "$B" != *registered_unknown_tables* ]]'

before() { for l in national state parish table; do "$T" tally "$D/d" --level $l --format json; done; "$T" tally "$D/d" --level state --format csv; "$T" bound "$D/d" --format json; "$T" export "$D/d" --format csv; "$T" flags "$D/d" --format json; }
before > "$D/before.out" 2>&1
"$T" reindex "$D/d" >/dev/null 2>&1
before > "$D/after.out" 2>&1
check "reindex reproduces every output" 'cmp -s "$D/before.out" "$D/after.out"'
check "export leaves unknown registered voters empty" 'grep -Eq "^$FIRST,[^,]*,[^,]*,[^,]*,[^,]*,official,[0-9]+,,0,," "$D/after.out"'

finish
