#!/bin/bash
# Issue 13, point 4, through the real binary: one election file with two contests
# (elections/twocontests, an invented fixture: data/SOURCE.md), one log, one station registry,
# sheets per contest imported from the raw CSV files with --contest. Each contest's national and
# per-state totals are checked against sums computed here from the CSVs; the same station and
# source in two contests is no conflict; a command without --contest says which contests there
# are; a sheet of one contest is refused by the other; `reindex` reproduces every output.
# Usage: contests_cli_test.sh <path to tallylog> <source dir>
set -u
source "$(dirname "$0")/lib.sh" "$@"
X="$SRC/elections/twocontests"

# Independent sums from the raw files: "<contest> <area> <candidate>=<votes> ..." lines.
python3 - "$X/data" > "$D/expected" <<'PY'
import csv, sys
d = sys.argv[1]
tables = sum(1 for _ in csv.DictReader(open(f'{d}/mesas.csv', encoding='utf-8')))
print('tables', tables)
for contest, f, cols in (('president', 'presidente.csv', {'AR': ['AR'], 'BM': ['BM'], 'CS': ['CS']}),
                         ('assembly', 'asamblea.csv', {'UN': ['UN'], 'FP': ['FP', 'MV']})):
    sums = {}
    for r in csv.DictReader(open(f'{d}/{f}', encoding='utf-8')):
        for area in ('national', r['cod_estado']):
            s = sums.setdefault(area, {})
            for cand, cs in cols.items():
                s[cand] = s.get(cand, 0) + sum(int(r[c]) for c in cs)
    for area, s in sorted(sums.items()):
        print(contest, area, ' '.join(f'{k}={v}' for k, v in sorted(s.items())))
PY
# The same figures as the tally JSON gives them.
got() {  # <data> <contest>
  for level in national state; do
    "$T" tally "$1" --contest "$2" --level $level --format json | python3 -c '
import json, sys
contest, level = sys.argv[1], sys.argv[2]
t = json.load(sys.stdin)
rows = [("national", t["total"])] if level == "national" else [(a["code"], a) for a in t["areas"]]
for code, a in rows:
    c = a["candidates"]
    votes = {k: (v["votes"] if isinstance(v, dict) else v) for k, v in (c.items() if isinstance(c, dict) else ((x["code"], x) for x in c))}
    print(contest, code, " ".join(f"{k}={v}" for k, v in sorted(votes.items())))' "$2" $level
  done
}

"$T" init "$D/d" --election "$X/election.toml" >/dev/null
OUT="$("$T" stations import "$D/d" "$X/data/mesas.csv" --mapping "$X/mesas.mapping.toml" 2>&1)"
TABLES="$(awk '$1 == "tables" {print $2}' "$D/expected")"
check "one station registry for both contests ($TABLES tables)" '[ $? = 0 ] && [[ "$OUT" == *"accepted $TABLES,"* ]]'

OUT="$("$T" import "$D/d" "$X/data/presidente.csv" --source official --mapping "$X/presidente.mapping.toml" 2>&1)"
check "import without --contest names the contests and logs nothing" '[ $? != 0 ] && [[ "$OUT" == *"2 contests: president (Presidencia), assembly (Asamblea Nacional (lista)); choose one with --contest"* ]]'
OUT="$("$T" import "$D/d" "$X/data/presidente.csv" --contest senate --source official --mapping "$X/presidente.mapping.toml" 2>&1)"
check "an unknown contest is refused, listing the contests" '[ $? != 0 ] && [[ "$OUT" == *"contest \"senate\" is not one of election demo2026"* ]]'

OUT="$("$T" import "$D/d" "$X/data/presidente.csv" --contest president --source official --mapping "$X/presidente.mapping.toml" 2>&1)"
check "the presidential sheets import" '[ $? = 0 ] && [[ "$OUT" == *"accepted $TABLES,"* ]] && [[ "$OUT" == *"rejected 0"* ]]'
OUT="$("$T" import "$D/d" "$X/data/asamblea.csv" --contest assembly --source official --mapping "$X/asamblea.mapping.toml" 2>&1)"
check "the same stations and source in the other contest are new sheets, not conflicts" '[ $? = 0 ] && [[ "$OUT" == *"accepted $TABLES,"* ]] && [[ "$OUT" == *"conflicts 0"* ]] && [[ "$OUT" == *"rejected 0"* ]]'
OUT="$("$T" import "$D/d" "$X/data/asamblea.csv" --contest assembly --source official --mapping "$X/asamblea.mapping.toml" 2>&1)"
check "importing a contest's file again finds duplicates of that contest's sheets" '[[ "$OUT" == *"accepted 0, duplicates $TABLES,"* ]]'
OUT="$("$T" import "$D/d" "$X/data/asamblea.csv" --contest president --source official --mapping "$X/asamblea.mapping.toml" 2>&1)"
check "one contest's mapping against the other contest's ballot stops before the first row" '[ $? != 0 ] && [[ "$OUT" == *"maps 3 cards but election"* ]]'

OUT="$("$T" tally "$D/d" 2>&1)"
check "tally without --contest names the contests" '[ $? != 0 ] && [[ "$OUT" == *"choose one with --contest"* ]]'
{ got "$D/d" president; got "$D/d" assembly; } > "$D/got"
check "each contest's national and per-state totals equal the sums of its CSV" 'diff <(grep -v ^tables "$D/expected" | sort) <(sort "$D/got")'
[ "$fails" = 0 ] || { cat "$D/expected" "$D/got"; }

FIRST="0101.01"
OUT="$("$T" sheets show "$D/d" --contest assembly --station $FIRST 2>&1)"
check "a station's sheets are per contest" '[[ "$(grep -c "^log_index" <<< "$OUT")" = 1 ]] && [[ "$OUT" == *"UN="* ]] && [[ "$OUT" != *"AR="* ]]'
C="$("$T" compare "$D/d" --contest president --source official --source official --format json 2>&1)"
check "compare takes --contest" '[ $? = 0 ] && [[ "$C" == *"\"log_size\""* ]]'
B="$("$T" bound "$D/d" --contest assembly --format json 2>&1)"
check "bound takes --contest and names the list ahead" '[ $? = 0 ] && [[ "$B" == *"\"UN\""* ]]'
E="$("$T" export "$D/d" --contest president --format csv 2>&1)"
check "export takes --contest: one row per table" '[ "$(grep -c "^0" <<< "$E")" = "$TABLES" ]'
F="$("$T" flags "$D/d" --contest assembly --format json 2>&1)"
check "flags takes --contest: the assembly's report (no flag rules, so nothing checked)" '[ $? = 0 ] && [[ "$F" == "{\"source\":\"*\",\"sheets_checked\":0,"* ]]'
F="$("$T" flags "$D/d" --format json 2>&1)"
check "flags without --contest names the contests" '[ $? != 0 ] && [[ "$F" == *"choose one with --contest"* ]]'

outputs() {
  for c in president assembly; do
    for l in national state municipality table; do "$T" tally "$D/d" --contest $c --level $l --format json; done
    "$T" bound "$D/d" --contest $c --format json
    "$T" export "$D/d" --contest $c --format csv
    "$T" flags "$D/d" --contest $c --format json
  done
}
outputs > "$D/before.out" 2>/dev/null
OUT="$("$T" reindex "$D/d" 2>&1)"
check "reindex rebuilds every contest's index" '[[ "$OUT" == *"(contest president)"* ]] && [[ "$OUT" == *"(contest assembly)"* ]]'
outputs > "$D/after.out" 2>/dev/null
check "reindex reproduces every output of both contests" 'cmp -s "$D/before.out" "$D/after.out"'
rm -f "$D"/d/index.*.sqlite
outputs > "$D/rebuilt.out" 2>/dev/null
check "deleted contest indexes are rebuilt from the log by the next read" 'cmp -s "$D/before.out" "$D/rebuilt.out"'

# One file holding both contests' sheets (data/actas.csv: a column names the contest) imports in
# one run, and gives exactly the totals of the two per-contest files.
"$T" init "$D/one" --election "$X/election.toml" >/dev/null
"$T" stations import "$D/one" "$X/data/mesas.csv" --mapping "$X/mesas.mapping.toml" >/dev/null 2>&1
OUT="$("$T" import "$D/one" "$X/data/actas.csv" --source official --mapping "$X/actas.mapping.toml" 2>"$D/one.err")"
check "one file of both contests imports in one run ($OUT)" \
  '[ $? = 0 ] && [ "$OUT" = "accepted $((2 * TABLES)), duplicates 0, conflicts 0, rejected 0" ] && grep -q "^contest president: accepted $TABLES," "$D/one.err" && grep -q "^contest assembly: accepted $TABLES," "$D/one.err"'
same=1
for c in president assembly; do
  for l in national state table; do
    cmp -s <("$T" tally "$D/d" --contest $c --level $l --format json 2>/dev/null) \
      <("$T" tally "$D/one" --contest $c --level $l --format json 2>/dev/null) || same=0
  done
done
check "its tallies equal those of the per-contest files, every contest and level" '[ $same = 1 ]'
OUT="$("$T" import "$D/one" "$X/data/actas.csv" --contest assembly --source official --mapping "$X/actas.mapping.toml" 2>"$D/one.err")"
check "with --contest, only that contest's rows (the others left out and counted)" \
  '[ "$OUT" = "accepted 0, duplicates $TABLES, conflicts 0, rejected 0" ] && grep -q "^$TABLES rows of other contests left out" "$D/one.err"'
sed '2s/PRESIDENTE/SENADO/' "$X/data/actas.csv" > "$D/senado.csv"
OUT="$("$T" import "$D/one" "$D/senado.csv" --source witness:y --mapping "$X/actas.mapping.toml" 2>/dev/null)"
check "a row naming no contest is rejected once, naming the column ($OUT)" \
  '[ "$OUT" = "accepted $((2 * TABLES - 1)), duplicates 0, conflicts 0, rejected 1" ] && grep -q "^2,eleccion," "$D/senado.csv.rejects.csv"'
sed 's/contests.assembly/contests.senate/' "$X/actas.mapping.toml" > "$D/bad.mapping.toml"
OUT="$("$T" import "$D/one" "$X/data/actas.csv" --source official --mapping "$D/bad.mapping.toml" 2>&1)"
check "a mapping table for a contest the election lacks stops before the first row" \
  '[ $? != 0 ] && [[ "$OUT" == *"[sheet.contests.senate]: election demo2026 has no contest \"senate\" (it has president, assembly)"* ]]'

# Declarations are per contest (declare --contest): check-declared --contest X holds only X's
# announced totals against X's verified sheets, never another contest's.
declared() {  # <contest> <title> <candidate=votes ...>: a national declaration CSV logged with --contest
  local c="$1" t="$2"; shift 2
  { echo level,area,name,count; for kv in "$@"; do echo "national,,${kv%%=*},${kv#*=}"; done; } > "$D/$t.csv"
  "$T" declare "$D/d" "$D/$t.csv" --contest "$c" --source official --title "$t" 2>&1
}
PRES=($(awk '$1 == "president" && $2 == "national" {print $3, $4, $5}' "$D/expected"))
ASM=($(awk '$1 == "assembly" && $2 == "national" {print $3, $4}' "$D/expected"))
OUT="$({ echo level,area,name,count; echo "national,,${PRES[0]%%=*},1"; } > "$D/none.csv"; "$T" declare "$D/d" "$D/none.csv" --source official 2>&1)"
check "declare without --contest names the contests and logs nothing" '[ $? != 0 ] && [[ "$OUT" == *"choose one with --contest"* ]]'
OUT="$(declared assembly wrong-ballot "${PRES[0]}")"
check "a declaration naming another contest's candidate is refused by this contest's ballot" '[ $? != 0 ] && [[ "$OUT" == *"neither a candidate nor a field"* ]]'
OUT="$(declared president bulletin-president "${PRES[@]}")"
check "a presidential declaration logs with --contest president" '[ $? = 0 ] && [[ "$OUT" == "declaration logged at index "* ]]'
OUT="$(declared assembly bulletin-assembly "${ASM[@]}")"
check "an assembly declaration logs with --contest assembly" '[ $? = 0 ] && [[ "$OUT" == "declaration logged at index "* ]]'
P="$("$T" check-declared "$D/d" --contest president --format json 2>/dev/null)"
A="$("$T" check-declared "$D/d" --contest assembly --format json 2>/dev/null)"
check "check-declared --contest president holds only the presidential declaration, uncontradicted" \
  '[[ "$P" == *"\"title\":\"bulletin-president\""* ]] && [[ "$P" != *bulletin-assembly* ]] && [[ "$P" == *"\"contradicted\":0"* ]] && [[ "$P" != *"\"contradicted\":1"* ]]'
check "check-declared --contest assembly holds only the assembly declaration, uncontradicted" \
  '[[ "$A" == *"\"title\":\"bulletin-assembly\""* ]] && [[ "$A" != *bulletin-president* ]] && [[ "$A" == *"\"contradicted\":0"* ]] && [[ "$A" != *"\"contradicted\":1"* ]]'
OUT="$("$T" reindex "$D/d" 2>&1)"
check "reindex keeps each contest's declarations apart" \
  '[ "$("$T" check-declared "$D/d" --contest president --format json 2>/dev/null)" = "$P" ] && [ "$("$T" check-declared "$D/d" --contest assembly --format json 2>/dev/null)" = "$A" ]'

# The rejects store is every contest's, and reaching it never creates the index.sqlite that an
# election with several contests does not have (a stray, empty index nobody reads).
python3 - "$X/data/presidente.csv" > "$D/bad.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8')))
w = csv.DictWriter(sys.stdout, fieldnames=rows[0].keys(), lineterminator='\n')
w.writeheader()
rows[0]['VALIDOS'] = str(int(rows[0]['VALIDOS']) + 1)  # breaks "valid == candidates"
w.writerow(rows[0])
PY
"$T" import "$D/d" "$D/bad.csv" --contest president --source witness:x --mapping "$X/presidente.mapping.toml" --rejects "$D/bad.rejects.csv" >/dev/null 2>&1
OUT="$("$T" rejects list "$D/d" --format csv 2>&1)"
check "rejects list shows the rejected sheet with its field and reason" \
  '[ $? = 0 ] && [[ "$OUT" == *"witness:x"* ]] && [[ "$OUT" == *"valid == candidates"* ]]'
OUT="$("$T" rejects clear "$D/d" 2>&1)"
check "rejects clear empties the store" '[ $? = 0 ] && [[ "$OUT" == "removed 1 rejected submission" ]]'
check "rejects list|clear created no index.sqlite" '[ ! -e "$D/d/index.sqlite" ]'

finish
