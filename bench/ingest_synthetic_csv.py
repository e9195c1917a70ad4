#!/usr/bin/env python3
"""Writes a synthetic election table in the convzla layout (RESULTADOS_2024_CSV_V1.csv columns),
so that elections/ve2024/convzla-v1.mapping.toml reads it: <centres> centres x <tables> tables.
Usage: ingest_synthetic_csv.py <out.csv> <stations> [tables per centre, default 10]"""
import sys

out, stations = sys.argv[1], int(sys.argv[2])
tables = int(sys.argv[3]) if len(sys.argv) > 3 else 10
centres = (stations + tables - 1) // tables
with open(out, "w", newline="") as f:
    f.write("COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
            "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\n")
    n = 0
    lines = []
    for c in range(centres):
        state, mun, par, ccc = c % 24 + 1, (c // 24) % 10 + 1, (c // 240) % 40 + 1, c // 9600 + 1
        cod_par = ((state - 1) * 10 + (mun - 1)) * 40 + par
        centro = ((state * 100 + mun) * 100 + par) * 1000 + ccc
        prefix = f"{state},S{state},{mun},M{mun},{cod_par},P{cod_par},{centro},"
        for t in range(1, tables + 1):
            if n == stations:
                break
            k = c * tables + t
            votes = [(k * (i + 7)) % 31 for i in range(10)]
            lines.append(f"{prefix}{t},{400 + k % 200},{sum(votes)},{k % 5},{','.join(map(str, votes))},\n")
            n += 1
        if len(lines) >= 100000:
            f.writelines(lines)
            lines = []
    f.writelines(lines)
