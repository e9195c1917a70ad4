#!/usr/bin/env python3
"""Writes sheets for nodes_submitter.py: one JSON file per CSV row (the ve2024 columns, as the
bundled file and bench/ingest_synthetic_csv.py write them), in the shape of POST /api/v1/sheets.

Used by tests/cli/nodes_test.sh and bench/follower_scale.sh. Usage:
  nodes_sheets.py <csv> <dir> <source> [first row] [rows]
Rows from <first row> (0-based, after the header), at most <rows> of them (default: all), to
<dir>/<n>.json with n zero-padded so that a sorted listing keeps the file's order.
"""
import csv
import itertools
import json
import os
import sys

path, out, source = sys.argv[1:4]
first = int(sys.argv[4]) if len(sys.argv) > 4 else 0
count = int(sys.argv[5]) if len(sys.argv) > 5 else None
os.makedirs(out)
rows = csv.DictReader(open(path, encoding="utf-8-sig"))
end = None if count is None else first + count
for n, r in enumerate(itertools.islice(rows, first, end)):
    s = {"station": "%09d.%02d" % (int(r["CENTRO"]), int(r["MESA"])), "source": source,
         "candidates": {k: int(r[k]) for k in ["EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"]},
         "fields": {"valid": int(r["VOTOS_VALIDOS"]), "null": int(r["VOTOS_NULOS"])}}
    with open("%s/%07d.json" % (out, n), "w") as f:
        f.write(json.dumps(s))
