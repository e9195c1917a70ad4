#!/bin/bash
# Issue 13, "What it must show", through the real binary on the bundled data:
#  - Mexico (elections/mx2024): the raw per-casilla file (packed casilla key, districts written
#    "14.0", names from a JSON file, party AND coalition cards, no valid-votes column) imported by
#    configuration alone; national and per-district totals checked against sums computed here,
#    independently, with python3 over the same CSV.
#  - Venezuela, a second source without null votes (elections/ve2024/actas-qr.mapping.toml, keyed
#    by the acta id) imported against the convzla registry: `compare` with the first source finds
#    exactly the three deliberate transcription differences and none in the null votes the second
#    source does not report; its tally says null votes are unknown instead of printing 0.
# Usage: countries_cli_test.sh <path to tallylog> <source dir>
set -u
source "$(dirname "$0")/lib.sh" "$@"

# --- Mexico --------------------------------------------------------------------------------
MX="$SRC/elections/mx2024"
CSV="$MX/data/casillas_cdmx_2024.csv"
"$T" init "$D/mx" --election "$MX/election.toml" >/dev/null
# Issue 13 point 2: the file's 3 special casillas (type S) have no roll (empty LISTA_NOMINAL):
# they are registered with unknown registered voters, still count as tables, and turnout leaves
# them out (numerator and denominator), saying how many.
OUT="$("$T" stations import "$D/mx" "$CSV" --mapping "$MX/casillas.mapping.toml" --rejects "$D/mx-st.csv" 2>&1)"
check "mx: every casilla is registered, the special ones with unknown registered voters" '[[ "$OUT" == *"accepted 31,"* ]] || { echo "$OUT"; false; }'
OUT="$("$T" import "$D/mx" "$CSV" --source official --mapping "$MX/casillas.mapping.toml" --rejects "$D/mx-sh.csv" 2>&1)"
check "mx: every sheet is accepted" '[[ "$OUT" == *"accepted 31, duplicates 0, conflicts 0"* ]] || { echo "$OUT"; false; }'
"$T" tally "$D/mx" --level district --format json > "$D/mx.json"

# Independent sums: straight from the CSV columns, with the coalition arithmetic written out here.
python3 - "$CSV" "$D/mx.json" > "$D/mx-check.txt" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
known = lambda rs: [r for r in rs if r["LISTA_NOMINAL"].strip()]  # special casillas: no roll
tally = json.load(open(sys.argv[2]))
XGR = ["PAN", "PRI", "PRD", "PAN_PRI_PRD", "PAN_PRI", "PAN_PRD", "PRI_PRD"]
CSP = ["PVEM", "PT", "MORENA", "PVEM_PT_MORENA", "PVEM_PT", "PVEM_MORENA", "PT_MORENA"]
CARDS = ["PAN", "PRI", "PRD", "PVEM", "PT", "MC", "MORENA", "PAN_PRI_PRD", "PAN_PRI", "PAN_PRD",
         "PRI_PRD", "PVEM_PT_MORENA", "PVEM_PT", "PVEM_MORENA", "PT_MORENA"]
def sums(rs):
    n = lambda c: sum(int(r[c]) for r in rs)
    return {
        "tables": len(rs),
        "registered": sum(int(r["LISTA_NOMINAL"]) for r in known(rs)),
        "unknown": len(rs) - len(known(rs)),
        # turnout (the declared cast) over the casillas whose roll is known, both sides
        "turnout": round(sum(int(r["TOTAL_VOTOS_CALCULADOS"]) for r in known(rs)) /
                         sum(int(r["LISTA_NOMINAL"]) for r in known(rs)), 6) if known(rs) else None,
        "CSP": sum(n(c) for c in CSP), "XGR": sum(n(c) for c in XGR), "JAMM": n("MC"),
        "null": n("VOTOS NULOS"), "write_in": n("CANDIDATO/A NO REGISTRADO/A"),
        "cast": n("TOTAL_VOTOS_CALCULADOS"), "cards": [n(c) for c in CARDS],
    }
def got(a):
    return {
        "tables": a["tables_reported"], "registered": a["registered_voters"],
        "unknown": a.get("tables_registered_unknown", 0), "turnout": a["turnout"],
        "CSP": a["candidates"]["CSP"], "XGR": a["candidates"]["XGR"], "JAMM": a["candidates"]["JAMM"],
        "null": a["fields"]["null"], "write_in": a["fields"]["write_in"], "cast": a["cast"],
        "cards": a["cards"],
    }
ok = True
exp, have = sums(rows), got(tally["total"])
for k in exp:
    if exp[k] != have[k]:
        ok = False
        print(f"national {k}: expected {exp[k]}, tally says {have[k]}")
# Per district: the code is the district number written "14.0" in the file, as two digits.
by = {}
for r in rows:
    by.setdefault(f"{int(float(r['ID_DISTRITO_FEDERAL'])):02d}", []).append(r)
areas = {a["code"]: a for a in tally["areas"]}
if sorted(by) != sorted(areas):
    ok = False
    print("districts:", sorted(by), "vs", sorted(areas))
for code, rs in by.items():
    if code in areas and sums(rs) != got(areas[code]):
        ok = False
        print(f"district {code}: expected {sums(rs)}, tally says {got(areas[code])}")
print("OK" if ok else "MISMATCH")
PY
check "mx: national and per-district totals equal sums computed from the raw CSV" \
  '[ "$(tail -1 "$D/mx-check.txt")" = OK ] || { cat "$D/mx-check.txt"; false; }'
check "mx: the tally states the 3 casillas turnout leaves out" \
  'python3 -c "import json,sys; t=json.load(open(sys.argv[1]))[\"total\"]; sys.exit(0 if t[\"turnout_excluded_tables\"]==3 and t[\"tables_registered_unknown\"]==3 else 1)" "$D/mx.json"'
check "mx: district names come from the JSON lookup" \
  'grep -q "\"code\":\"14\",\"name\":\"COYOACÁN\"" "$D/mx.json"'
check "mx: per-card totals are labelled by party in the tally's CSV and text" \
  '"$T" tally "$D/mx" --format csv | head -1 | grep -q ",PVEM-PT-MORENA (card 12)," && "$T" tally "$D/mx" | grep -q "PVEM-PT-MORENA (card 12)"'
check "mx: shares are of votes cast, as the election declares" \
  'python3 -c "import json,sys; t=json.load(open(sys.argv[1]))[\"total\"]; sys.exit(0 if t[\"share_base\"]==t[\"cast\"] else 1)" "$D/mx.json"'

# --- Venezuela: a second source without null votes ----------------------------------------
VE="$SRC/elections/ve2024"
"$T" init "$D/ve" --election "$VE/election.toml" >/dev/null
"$T" stations import "$D/ve" "$VE/data/RESULTADOS_2024_CSV_V1.csv" --mapping "$VE/convzla-v1.mapping.toml" >/dev/null
"$T" import "$D/ve" "$VE/data/RESULTADOS_2024_CSV_V1.csv" --source witness:convzla \
  --mapping "$VE/convzla-v1.mapping.toml" >/dev/null
OUT="$("$T" import "$D/ve" "$VE/data/actas_qr_sample.csv" --source observer:qr --mapping "$VE/actas-qr.mapping.toml" 2>&1)"
check "ve: the second source (no null count, keyed by acta id) imports by configuration" \
  '[[ "$OUT" == *"accepted 307, duplicates 0, conflicts 0, rejected 0"* ]] || { echo "$OUT"; false; }'
"$T" compare "$D/ve" --source witness:convzla --source observer:qr --format json > "$D/cmp.json"
python3 - "$D/cmp.json" > "$D/cmp-check.txt" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
diffs = {d["table"]: d["fields"] for d in c["differing"]}  # {table: {field: [a, b]}}
want = {"010102006.01": "NM", "091501007.01": "EG", "100102005.01": "LM"}
ok = c["matching"] == 307 - 3 and set(diffs) == set(want)
for t, f in want.items():
    fields = diffs.get(t, {})
    # the candidate and valid votes (the sample's VALIDOS is its candidates' sum), never null
    ok = ok and set(fields) == {f, "valid"}
print(json.dumps({"matching": c["matching"], "differing": diffs}))
print("OK" if ok else "MISMATCH")
PY
check "ve: compare finds the 3 deliberate differences and none in the unreported null votes" \
  '[ "$(tail -1 "$D/cmp-check.txt")" = OK ] || { cat "$D/cmp-check.txt"; false; }'
"$T" tally "$D/ve" --source observer:qr --format json > "$D/qr.json"
check "ve: the second source's tally gives null votes as unknown, with the reason, not 0" \
  'python3 -c "import json,sys; t=json.load(open(sys.argv[1]))[\"total\"]; sys.exit(0 if t[\"null\"] is None and \"null\" in t[\"unknown\"] and t[\"valid\"] > 0 else 1)" "$D/qr.json"'

finish
