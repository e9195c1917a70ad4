#!/bin/bash
# Issue 13 performance: the Russia 2018 import (97,699 stations and sheets) with a mapping that uses
# expressions (split and a PCRE2 match on the commission column, int() normalisation of every
# count, col("...") headers) against the plain-column mapping of the same data
# (elections/ru2018/cec-uik.mapping.toml), run alternately in one session, same binary. Prints
# each run's wall time for `stations import` and `import` and the expression/plain ratio.
# Usage: bench/mapping_expressions.sh <tallylog binary> <2018.csv> <ru2018 election.toml> <plain mapping> [runs]
set -euo pipefail
bin=$1 csv=$2 election=$3 plain=$4 runs=${5:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The expression mapping: the plain one with codes and names computed and every count through int().
python3 - "$plain" "$work/expr.mapping.toml" <<'PY'
import re, sys
src = open(sys.argv[1], encoding="utf-8").read()
src = src.replace('code = "{region}|{tik}|{uik}"', '''code = "{region}|{split(tik, ' ', 0)}|{uik}"''')
src = src.replace('station = "{region}|{tik}|{uik}"', '''station = "{region}|{split(tik, ' ', 0)}|{uik}"''')
src = src.replace('{ level = "tik", code = "{region}|{tik}", name = "{tik}" }',
                  '''{ level = "tik", code = "{region}|{split(tik, ' ', 0)}", name = '{match(tik, "^\\d+ (.*)$")}' }''')
src = src.replace('{ level = "uik", code = "{region}|{tik}|{uik}", name = "УИК {uik}" }',
                  '''{ level = "uik", code = "{region}|{split(tik, ' ', 0)}|{uik}", name = "УИК {uik}" }''')
# every count: int(col("header"))
src = re.sub(r'^(\w+) = "([^"{]+)"$', lambda m: f"{m.group(1)} = 'int(col(\"{m.group(2)}\"))'", src, flags=re.M)
src = src.replace('registered = "Число избирателей, включенных в список избирателей"',
                  '''registered = 'int(col("Число избирателей, включенных в список избирателей"))' ''')
open(sys.argv[2], "w", encoding="utf-8").write(src)
PY
secs() { local t0 t1; t0=$(date +%s.%N); "$@" > "$work/out" 2>&1 || { cat "$work/out"; exit 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
  for kind in plain expr; do
    m=$plain; [ $kind = expr ] && m=$work/expr.mapping.toml
    rm -rf "$work/d"; "$bin" init "$work/d" --election "$election" > /dev/null
    st=$(secs "$bin" stations import "$work/d" "$csv" --mapping "$m")
    tail -1 "$work/out" | grep -q "rejected 0" || { echo "$kind stations: $(tail -1 "$work/out")"; exit 1; }
    sh=$(secs "$bin" import "$work/d" "$csv" --source official --mapping "$m")
    tail -1 "$work/out" | grep -q "accepted 97699, duplicates 0, conflicts 0, rejected 0" || { echo "$kind sheets: $(tail -1 "$work/out")"; exit 1; }
    echo "run $i $kind: stations import ${st} s, sheets import ${sh} s"
    eval "${kind}_st_$i=$st ${kind}_sh_$i=$sh"
  done
done
python3 - "$runs" <<PY
import sys
runs = int(sys.argv[1])
v = {$(for i in $(seq "$runs"); do for k in plain expr; do for p in st sh; do n=${k}_${p}_$i; echo -n "'$n': ${!n}, "; done; done; done)}
for p, name in (("st", "stations import"), ("sh", "sheets import")):
    plain = min(v[f"plain_{p}_{i}"] for i in range(1, runs + 1))
    expr = min(v[f"expr_{p}_{i}"] for i in range(1, runs + 1))
    print(f"{name}: plain {plain:.2f} s, expressions {expr:.2f} s, ratio {expr / plain:.2f} (best of {runs})")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
