#!/bin/bash
# Issue 13 through the real binary: mistakes in a mapping, a source or a registry stop before
# anything is logged, with one message; an import that rejects every row fails; --rejects and
# `tallylog rejects`; `tallylog flags`; natural order of area codes.
# Usage: config_cli_test.sh <path to tallylog> <source dir>
set -u
source "$(dirname "$0")/lib.sh" "$@"
size() { sed -n 2p "$1/log/checkpoint"; }

E="$SRC/elections/ve2024/election.toml"
M="$SRC/elections/ve2024/convzla-v1.mapping.toml"
head -6 "$SRC/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv" > "$D/ve.csv"
"$T" init "$D/d" --election "$E" >/dev/null

# A typo in a mapping key is an error, not a silently ignored table.
sed 's/^\[sheet.fields\]/[sheet.feilds]/' "$M" > "$D/typo.toml"
OUT="$("$T" stations import "$D/d" "$D/ve.csv" --mapping "$D/typo.toml" 2>&1)"
check "an unknown mapping key stops the import" '[ $? != 0 ] && [[ "$OUT" == *"feilds: unknown key"* ]] && [ "$(size "$D/d")" = 1 ]'

# Columns missing from the header: all of them in one message, before the first row.
sed 's/"EG"$/"EGX"/; s/"NM"$/"NMX"/' "$M" > "$D/cols.toml"
"$T" stations import "$D/d" "$D/ve.csv" --mapping "$M" >/dev/null
S0="$(size "$D/d")"
OUT="$("$T" import "$D/d" "$D/ve.csv" --source official --mapping "$D/cols.toml" 2>&1)"
check "every missing column is named at once" '[ $? != 0 ] && [[ "$OUT" == *"no column '"'"'EGX'"'"'; no column '"'"'NMX'"'"'"* ]] && [ "$(size "$D/d")" = "$S0" ]'

# A source the election does not accept: one message, not one reject per row.
OUT="$("$T" import "$D/d" "$D/ve.csv" --source cne --mapping "$M" 2>&1)"
check "an unaccepted source stops before the first row" '[ $? != 0 ] && [[ "$OUT" == *"source \"cne\" is not accepted"* ]] && [ ! -e "$D/ve.csv.rejects.csv" ]'

# A field the election requires that the mapping does not give.
# (null is optional in ve2024: a source may leave it out; valid is not.)
grep -v '^valid = ' "$M" > "$D/novalid.toml"
OUT="$("$T" import "$D/d" "$D/ve.csv" --source official --mapping "$D/novalid.toml" 2>&1)"
check "an unmapped required field stops before the first row" '[ $? != 0 ] && [[ "$OUT" == *"gives no value for field '"'"'valid'"'"'"* ]]'

# Every row rejected: exit non-zero (a wrong file, not a few bad rows); --rejects chooses where.
sed 's/^valid = "VOTOS_VALIDOS"/valid = "VOTOS_NULOS"/' "$M" > "$D/wrong.toml"
OUT="$("$T" import "$D/d" "$D/ve.csv" --source official --mapping "$D/wrong.toml" --rejects "$D/out/r.csv" 2>&1)"
RC=$?
mkdir -p "$D/out"
"$T" import "$D/d" "$D/ve.csv" --source official --mapping "$D/wrong.toml" --rejects "$D/out/r.csv" >/dev/null 2>&1
RC2=$?
check "an import that rejects every row exits non-zero" '[ $RC2 != 0 ] && [[ "$OUT" == *"every one of the 5 rows was rejected"* ]]'
check "--rejects writes the rejected rows where it says" '[ "$(wc -l < "$D/out/r.csv")" = 6 ] && grep -q "^2,rules," "$D/out/r.csv"'
check "a good import still exits 0" '"$T" import "$D/d" "$D/ve.csv" --source official --mapping "$M" >/dev/null'

# The rejects store: list, then clear.
OUT="$("$T" rejects list "$D/d")"
check "rejects list shows stored rejects" '[[ "$OUT" == *"ve.csv:2  rules: rule"* ]]'
OUT="$("$T" rejects clear "$D/d")"
check "rejects clear empties the store" '[[ "$OUT" == removed* ]] && [[ "$("$T" rejects list "$D/d")" == "0 rejected submissions shown" ]]'

# The area hierarchy is checked before anything is logged: a municipality code reused in two
# states (COD_MUN alone) would make the data directory untabulable forever.
sed 's/code = "{COD_EDO:02}{COD_MUN:02}"/code = "{COD_MUN:02}"/' "$M" > "$D/muni.toml"
printf '%s\n' "$(head -1 "$D/ve.csv")" > "$D/two.csv"
grep -m1 '^1,' "$SRC/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv" >> "$D/two.csv"
grep -m1 '^2,[^,]*,1,' "$SRC/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv" >> "$D/two.csv"
"$T" init "$D/h" --election "$E" >/dev/null
OUT="$("$T" stations import "$D/h" "$D/two.csv" --mapping "$D/muni.toml" 2>&1)"
check "a code with two parents stops stations import with nothing logged" '[ $? != 0 ] && [[ "$OUT" == *"has two parents"* ]] && [ "$(size "$D/h")" = 1 ]'
check "the data directory still tabulates" '"$T" tally "$D/h" >/dev/null'

# Flags: the Mexican example flags one casilla whose votes exceed its roll.
MX="$SRC/elections/mx2024"
"$T" init "$D/mx" --election "$MX/election.toml" >/dev/null
"$T" stations import "$D/mx" "$MX/data/casillas_cdmx_2024.csv" --mapping "$MX/casillas.mapping.toml" >/dev/null 2>&1
OUT="$("$T" import "$D/mx" "$MX/data/casillas_cdmx_2024.csv" --source official --mapping "$MX/casillas.mapping.toml" 2>&1)"
check "import says how many logged sheets are flagged" '[[ "$OUT" == *"1 logged sheets break a flag rule"* ]]'
OUT="$("$T" flags "$D/mx")"
check "tallylog flags lists the sheet, the rule and the numbers" '[[ "$OUT" == *"093877B0100  official"*"fails: 415 > 412"* ]]'
OUT="$("$T" flags "$D/mx" --format json)"
check "tallylog flags --format json" '[[ "$OUT" == *"\"sheets_flagged\":1"* ]]'

# Natural order: districts 5, 14, 22 (codes 05, 14, 22) and sections by number.
printf 'R,T,REG,A\n10,1,5,1\n9,2,5,1\n100,3,5,1\n' > "$D/n.csv"
cat > "$D/n.toml" <<'TOML'
[station]
code = "{R}.{T}"
registered = "REG"
areas = [{ level = "region", code = "{R}" }, { level = "table", code = "{R}.{T}" }]
TOML
cat > "$D/n-election.toml" <<'TOML'
id = "n"
name = "N"
date = 2025-01-01
contest = "c"
sources = ["official"]
[[levels]]
code = "region"
name = "Region"
[[levels]]
code = "table"
name = "Table"
[[candidates]]
code = "A"
name = "A"
TOML
"$T" init "$D/n" --election "$D/n-election.toml" >/dev/null
"$T" stations import "$D/n" "$D/n.csv" --mapping "$D/n.toml" >/dev/null
OUT="$("$T" tally "$D/n" --level region --format csv | cut -d, -f2 | tr '\n' ' ')"
check "area listings sort numerically where codes are numbers" '[ "$OUT" = "code 9 10 100 national " ]'

finish
