#!/bin/bash
# End-to-end check and timings of `tallylog tally | compare | bound | export` with the real binary
# on the Venezuela table (24,532 actas): imports it as source witness:convzla, imports a second
# source "official" built by altering a known set of rows (3 tables EG +10, 1 table null +1,
# 5 tables removed, 10 tables only in "official"), then checks that:
#   - national and state totals equal the CSV's column sums; coverage 24,532 tables, 17,745,239 voters;
#   - compare reports exactly the altered tables, fields and both values;
# and prints the time of each command. Usage: bench/tally_ve2024.sh [build dir, default build]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bin=$build/src/tallylog/cli/tallylog
csv=$root/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv
mapping=$root/elections/ve2024/convzla-v1.mapping.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$csv" "$work" <<'PY'
import sys
src, work = sys.argv[1], sys.argv[2]
lines = open(src, encoding='utf-8-sig').read().splitlines()
head, rows = lines[0], lines[1:]
open(f'{work}/witness.csv', 'w').write('\n'.join([head] + [r for i, r in enumerate(rows) if not 100 <= i < 110]) + '\n')
off = []
for i, r in enumerate(rows):
    if 200 <= i < 205:
        continue
    c = r.split(',')
    if 300 <= i < 303:
        c[11] = str(int(c[11]) + 10); c[9] = str(int(c[9]) + 10)   # EG and valid
    if i == 400:
        c[10] = str(int(c[10]) + 1)                                 # null
    off.append(','.join(c))
open(f'{work}/official.csv', 'w').write('\n'.join([head] + off) + '\n')
PY
"$bin" init "$work/data" --election "$root/elections/ve2024/election.toml" > /dev/null
"$bin" stations import "$work/data" "$csv" --mapping "$mapping" > /dev/null
"$bin" import "$work/data" "$work/witness.csv" --source witness:convzla --mapping "$mapping" > /dev/null
"$bin" import "$work/data" "$work/official.csv" --source official --mapping "$mapping" > /dev/null

timed() {  # timed <label> <command...>: runs, keeps stdout in $work/out, prints the wall time
  local t0 t1
  t0=$(date +%s.%N); "${@:2}" > "$work/out"; t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v l="$1" 'BEGIN { printf "%-44s %7.3f s\n", l, b - a }'
}
timed "tally --level table --format json (24,532)" "$bin" tally "$work/data" --level table --format json
timed "tally --source official --format table" "$bin" tally "$work/data" --source official
timed "compare witness:convzla vs official" "$bin" compare "$work/data" --source witness:convzla --source official --format json
cp "$work/out" "$work/compare.json"
timed "bound --format json" "$bin" bound "$work/data" --format json
timed "export --format csv (49,049 rows)" "$bin" export "$work/data" --format csv
"$bin" tally "$work/data" --source witness:convzla --level national --format json > "$work/national.json"
"$bin" tally "$work/data" --source witness:convzla --level state --format json > "$work/state.json"

python3 - "$csv" "$work" <<'PY'
import csv, json, sys
src, work = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(src, encoding='utf-8-sig')))
wit = [r for i, r in enumerate(rows) if not 100 <= i < 110]
cands = ['EG', 'NM', 'LM', 'JABE', 'JOBR', 'AE', 'CF', 'DC', 'EM', 'BERA']
n = json.load(open(f'{work}/national.json'))['total']
assert n['valid'] == sum(int(r['VOTOS_VALIDOS']) for r in wit), 'valid'
assert n['null'] == sum(int(r['VOTOS_NULOS']) for r in wit), 'null'
for c in cands:
    assert n['candidates'][c] == sum(int(r[c]) for r in wit), c
assert n['registered_voters'] == 17745239 and n['tables_registered'] == 24532
assert n['tables_reported'] == 24522  # 10 rows left out of this source
for area in json.load(open(f'{work}/state.json'))['areas']:
    mine = [r for r in wit if int(r['COD_EDO']) == int(area['code'])]
    assert area['valid'] == sum(int(r['VOTOS_VALIDOS']) for r in mine), area['code']
    assert area['null'] == sum(int(r['VOTOS_NULOS']) for r in mine), area['code']
    for c in cands:
        assert area['candidates'][c] == sum(int(r[c]) for r in mine), (area['code'], c)
c = json.load(open(f'{work}/compare.json'))
assert (c['matching'], c['only_a'], c['only_b'], len(c['differing'])) == (24513, 5, 10, 4), c
def code(r): return f"{int(r['CENTRO']):09d}.{int(r['MESA']):02d}"
want = {code(rows[i]): {'valid': [int(rows[i]['VOTOS_VALIDOS']), int(rows[i]['VOTOS_VALIDOS']) + 10],
                        'EG': [int(rows[i]['EG']), int(rows[i]['EG']) + 10]} for i in range(300, 303)}
want[code(rows[400])] = {'null': [int(rows[400]['VOTOS_NULOS']), int(rows[400]['VOTOS_NULOS']) + 1]}
assert {d['table']: d['fields'] for d in c['differing']} == want, c['differing']
assert sorted(c['only_a_tables']) == sorted(code(rows[i]) for i in range(200, 205))
assert sorted(c['only_b_tables']) == sorted(code(rows[i]) for i in range(100, 110))
print('checks passed: national and state totals = CSV column sums, coverage 24,532 / 17,745,239, compare exact')
PY
