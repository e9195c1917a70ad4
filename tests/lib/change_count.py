#!/usr/bin/env python3
"""One vote more in one sheet's stored counts in an index (docs/formats/index.md, "counts":
version, contest, width, presence mask, one zigzag uvarint per present slot), as a server whose
database was altered behind its log would hold it. Used by the audit tests.

  change_count.py <index.sqlite> [--station S --source SRC] [--count V]

The sheet: the station's sheet of that source, or the first sheet in log order. The count: the only
one equal to V (V -> V+1), or the first positive one (+1)."""
import argparse
import sqlite3


def uvarint(b, i):
    v = s = 0
    while True:
        v |= (b[i] & 0x7F) << s
        s += 7
        i += 1
        if not b[i - 1] & 0x80:
            return v, i


def put(v):
    out = bytearray()
    while True:
        out.append((v & 0x7F) | (0x80 if v > 0x7F else 0))
        v >>= 7
        if not out[-1] & 0x80:
            return bytes(out)


a = argparse.ArgumentParser()
a.add_argument("db")
a.add_argument("--station")
a.add_argument("--source")
a.add_argument("--count", type=int)
args = a.parse_args()
db = sqlite3.connect(args.db)
if args.station:
    (log_index, blob), = db.execute("SELECT log_index, counts FROM sheets WHERE station = ? AND source = ?",
                                    (args.station, args.source))
else:
    (log_index, blob), = db.execute("SELECT log_index, counts FROM sheets ORDER BY log_index LIMIT 1")
b = bytes(blob)
assert b[0] == 1, "counts format version"
_, i = uvarint(b, 1)
width, i = uvarint(b, i)
i += (width + 7) // 8
head, values = b[:i], []
while i < len(b):
    v, i = uvarint(b, i)
    values.append((v >> 1) ^ -(v & 1))
if args.count is not None:
    assert values.count(args.count) == 1, values
    k = values.index(args.count)
else:
    k = next(j for j, v in enumerate(values) if v > 0)
values[k] += 1
db.execute("UPDATE sheets SET counts = ? WHERE log_index = ?",
           (head + b"".join(put((v << 1) ^ (v >> 63)) for v in values), log_index))
db.commit()
