#!/bin/bash
# Results stay byte-identical across index changes (issue 16): imports the bundled Venezuelan
# table (as witness:convzla, and an altered copy as official: 5 tables left out, 3 with EG + 10,
# 1 with null + 1, 10 only in official) and a synthetic 20,000-station election, prints every
# tally level for several source rules, compare, bound and export, and checks the SHA-256 of each
# output against tests/index/expected.sha256 — produced by the code before the index rewrite
# (main at e2cf0a3, whose JSON had no "log_size" member: it is removed before hashing).
# Usage: results_identity_test.sh <tallylog binary> [--generate]
set -uo pipefail
bin=$1
mode=${2:-check}
root=$(cd "$(dirname "$0")/../.." && pwd)
expected=$root/tests/index/expected.sha256
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapping=$root/elections/ve2024/convzla-v1.mapping.toml
csv=$root/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv
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
        c[11] = str(int(c[11]) + 10); c[9] = str(int(c[9]) + 10)
    if i == 400:
        c[10] = str(int(c[10]) + 1)
    off.append(','.join(c))
open(f'{work}/official.csv', 'w').write('\n'.join([head] + off) + '\n')
PY
python3 "$root/bench/ingest_synthetic_csv.py" "$work/synthetic.csv" 20000
q() { "$@" > /dev/null 2> "$work/err" || { echo "FAIL: $*"; cat "$work/err"; exit 1; }; }
q "$bin" init "$work/ve" --election "$root/elections/ve2024/election.toml"
q "$bin" stations import "$work/ve" "$csv" --mapping "$mapping"
q "$bin" import "$work/ve" "$work/witness.csv" --source witness:convzla --mapping "$mapping"
q "$bin" import "$work/ve" "$work/official.csv" --source official --mapping "$mapping"
q "$bin" init "$work/syn" --election "$root/elections/ve2024/election.toml"
q "$bin" stations import "$work/syn" "$work/synthetic.csv" --mapping "$mapping"
q "$bin" import "$work/syn" "$work/synthetic.csv" --source official --mapping "$mapping"

digest() {  # digest <name> <command...>: the output's SHA-256, "log_size" removed
  local name=$1
  shift
  "$@" 2> "$work/err" | sed -E 's/,"log_size":[0-9]+//' | sha256sum | sed "s/ .*/  $name/"
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "command failed: $*" >&2; cat "$work/err" >&2; echo "failed  $name"; }
}
{
  for rule in '*' official 'witness:*'; do
    for level in national state parish table; do
      digest "ve tally $rule $level json" "$bin" tally "$work/ve" --source "$rule" --level "$level" --format json
    done
  done
  digest "ve tally * state csv" "$bin" tally "$work/ve" --level state --format csv
  digest "ve tally * state text" "$bin" tally "$work/ve" --level state
  digest "ve bound * json" "$bin" bound "$work/ve" --format json
  digest "ve bound official json" "$bin" bound "$work/ve" --source official --format json
  digest "ve export csv" "$bin" export "$work/ve" --format csv
  digest "ve compare witness:convzla official parish json" "$bin" compare "$work/ve" --source witness:convzla --source official --level parish --format json
  digest "ve compare witness:* official state text" "$bin" compare "$work/ve" --source 'witness:*' --source official --level state
  for level in national state centre table; do
    digest "syn tally * $level json" "$bin" tally "$work/syn" --level "$level" --format json
  done
  digest "syn bound * json" "$bin" bound "$work/syn" --format json
  digest "syn export csv" "$bin" export "$work/syn" --format csv
} > "$work/actual.sha256"
if [ "$mode" = --generate ]; then
  cat "$work/actual.sha256"
  exit 0
fi
if diff <(grep -v '^#' "$expected") "$work/actual.sha256"; then
  echo "ok: $(wc -l < "$work/actual.sha256") outputs byte-identical to the expected ones"
else
  echo "FAIL: outputs differ from tests/index/expected.sha256 (lines above: < expected, > actual)"
  exit 1
fi
