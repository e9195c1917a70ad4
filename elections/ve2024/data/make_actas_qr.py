#!/usr/bin/env python3
"""Writes actas_qr_sample.csv: a SECOND Venezuelan source for tests and the operator guide, in
the shape of a transcription of the actas' QR codes: one row per acta, keyed by the acta id
(EEMMPPCCC.TT.1.0001, whose first 12 characters are the table code), votes per candidate and
valid votes, and NO null-vote count (the QR payload's null count was not transcribed).

Derived from the bundled RESULTADOS_2024_CSV_V1.csv (public results, see SOURCE.md): every 80th
row, with three deliberate transcription differences (listed below) so that a comparison has
real differences to find. Deterministic; re-run to regenerate."""
import csv

CANDS = ["EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"]
# (row number among the sampled rows, candidate, delta): a digit misread in transcription.
CHANGES = {5: ("NM", +10), 77: ("EG", -100), 201: ("LM", +1)}

with open("RESULTADOS_2024_CSV_V1.csv", encoding="utf-8-sig", newline="") as f:
    rows = list(csv.DictReader(f))
out = []
for i, r in enumerate(rows[::80]):
    votes = {c: int(r[c]) for c in CANDS}
    if i in CHANGES:
        c, d = CHANGES[i]
        votes[c] += d
    acta = f"{int(r['CENTRO']):09d}.{int(r['MESA']):02d}.1.0001"
    out.append([acta] + [str(votes[c]) for c in CANDS] + [str(sum(votes.values()))])
with open("actas_qr_sample.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["ACTA"] + CANDS + ["VALIDOS"])
    w.writerows(out)
print(len(out), "rows;", "changed:", [out[i][0][:12] for i in CHANGES])
