#!/usr/bin/env python3
"""Writes casillas_cdmx_2024.csv: an INVENTED, small fixture in the shape of the per-casilla
results of Mexico's 2 June 2024 presidential election as they circulate for Mexico City (one row
per polling station, votes per party and per coalition combination, no valid-votes column, the
federal district written as "14.0" by a spreadsheet round trip, a packed CLAVE_CASILLA). The
numbers are made up (fixed seed); only the shape is real. See SOURCE.md."""
import csv
import random

rng = random.Random(20240602)
PARTIES = ["PAN", "PRI", "PRD", "PVEM", "PT", "MC", "MORENA",
           "PAN_PRI_PRD", "PAN_PRI", "PAN_PRD", "PRI_PRD",
           "PVEM_PT_MORENA", "PVEM_PT", "PVEM_MORENA", "PT_MORENA"]
# Share of each candidate's votes by card (roughly how coalition votes split in 2024).
XGR = {"PAN": 0.52, "PRI": 0.24, "PRD": 0.06, "PAN_PRI_PRD": 0.12, "PAN_PRI": 0.04, "PAN_PRD": 0.01, "PRI_PRD": 0.01}
CSP = {"MORENA": 0.70, "PVEM": 0.09, "PT": 0.08, "PVEM_PT_MORENA": 0.09, "PVEM_PT": 0.01, "PVEM_MORENA": 0.02,
       "PT_MORENA": 0.01}
DISTRICTS = {5: [1412, 1413, 1420, 1433], 14: [3877, 3878, 3891], 22: [5101, 5102, 5119, 5120]}

header = ["CLAVE_CASILLA", "ID_ENTIDAD", "ENTIDAD", "ID_DISTRITO_FEDERAL", "SECCION", "TIPO_CASILLA",
          "ID_CASILLA", "EXT_CONTIGUA"] + PARTIES + ["CANDIDATO/A NO REGISTRADO/A", "VOTOS NULOS",
                                                      "TOTAL_VOTOS_CALCULADOS", "LISTA_NOMINAL"]
rows = []
for district, sections in DISTRICTS.items():
    for si, section in enumerate(sections):
        kinds = [("B", 1), ("C", 1)] + ([("C", 2)] if si % 2 == 0 else []) + ([("S", 1)] if si == 0 else [])
        for kind, number in kinds:
            special = kind == "S"
            registered = None if special else rng.randint(380, 760)
            cast = rng.randint(300, 700) if special else int(registered * rng.uniform(0.52, 0.71))
            if (section, kind, number) == (3877, "B", 1):
                # Party representatives vote where they serve: a casilla may exceed its roll.
                registered, cast = 412, 415
            nulls = max(0, int(cast * rng.uniform(0.006, 0.025)))
            write_in = rng.choice([0, 0, 0, 1, 2])
            valid = cast - nulls - write_in
            csp = int(valid * rng.uniform(0.50, 0.64))
            jamm = int(valid * rng.uniform(0.07, 0.13))
            xgr = valid - csp - jamm
            votes = {p: 0 for p in PARTIES}
            for total, split in ((xgr, XGR), (csp, CSP)):
                left = total
                for p, share in list(split.items())[1:]:
                    v = min(left, int(round(total * share * rng.uniform(0.7, 1.3))))
                    votes[p] = v
                    left -= v
                votes[list(split)[0]] = left
            votes["MC"] = jamm
            clave = f"09{section:04d}{kind}{number:02d}00"
            rows.append([clave, "9", "CIUDAD DE MÉXICO", f"{district}.0", str(section), kind, str(number), "0"]
                        + [str(votes[p]) for p in PARTIES]
                        + [str(write_in), str(nulls), str(cast), "" if registered is None else str(registered)])

with open("casillas_cdmx_2024.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
print(len(rows), "rows")
