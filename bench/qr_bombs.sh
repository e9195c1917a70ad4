#!/usr/bin/env bash
# Decompression bombs and real actas through `tallylog qr` as a user runs it (one process per
# image: file read, decode, QR search): wall time and peak RSS of each, against zbarimg (the tool
# a user would otherwise run) on the same files in the same run, and optionally against a
# baseline tallylog binary (e.g. a build of an older commit) as "before".
#   bench/qr_bombs.sh [tallylog binary] [baseline tallylog binary]
#   default binary: build-bench/src/tallylog/cli/tallylog (bench/run.sh builds it Release)
# Bombs are generated: one-colour 8-bit grey PNGs of 4000x4000 and 8000x8000 (plain and Adam7
# interlaced) and a 1000000x1 strip. Real actas: ../shared/data/ve2024/actas (or
# $TALLYLOG_SHARED_DATA/ve2024/actas) when present, else the bundled QR crops. Bombs run once
# (the baseline takes minutes on them), actas TALLYLOG_BENCH_RUNS times (default 5, median).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build-bench/src/tallylog/cli/tallylog}
before=${2:-}
[[ -x "$bin" ]] || { echo "no tallylog binary at $bin (build it: bench/run.sh or scripts/build.sh)" >&2; exit 1; }
command -v zbarimg >/dev/null || { echo "zbarimg not installed (apt-get install zbar-tools)" >&2; exit 1; }
actas="${TALLYLOG_SHARED_DATA:-$root/../shared/data}/ve2024/actas"
[[ -f "$actas/expected_qr.csv" ]] || actas="$root/tests/fixtures/qr/actas"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); binary: $bin${before:+; before: $before}"

python3 - "$work" "$bin" "$before" "$actas" "${TALLYLOG_BENCH_RUNS:-5}" <<'PY'
import csv, os, struct, subprocess, sys, time, zlib

work, ours, before, actas, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

def png(path, w, h, interlaced=False):
    z = zlib.compressobj(9)
    parts = []
    # Adam7 passes (x start, y start, x step, y step); one pass of everything when not interlaced.
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
              (0, 1, 1, 2)] if interlaced else [(0, 0, 1, 1)]
    for xs, ys, dx, dy in passes:
        pw, ph = (w - xs + dx - 1) // dx, (h - ys + dy - 1) // dy
        if pw <= 0 or ph <= 0:
            continue
        row = b"\0" + b"\xff" * pw
        parts.extend(z.compress(row) for _ in range(ph))
    data = b"".join(parts) + z.flush()
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, int(interlaced)))
                + chunk(b"IDAT", data) + chunk(b"IEND", b""))

bombs = [("one-colour 4000x4000 PNG", "bomb-4000.png", 4000, 4000, False),
         ("one-colour 8000x8000 PNG", "bomb-8000.png", 8000, 8000, False),
         ("one-colour 8000x8000 PNG, interlaced", "bomb-8000-adam7.png", 8000, 8000, True),
         ("1000000x1 PNG", "wide.png", 1000000, 1, False)]
for _, name, w, h, il in bombs:
    png(os.path.join(work, name), w, h, il)

def measure(cmd):
    """Wall seconds, peak RSS in MB and stdout of one process."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, _, ru = os.wait4(p.pid, 0)
    return time.monotonic() - t0, ru.ru_maxrss / 1024, out.decode(errors="replace")

def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]

def outcome(out, expected=None):
    if "\tERROR: " in out:
        msg = out.split("\tERROR: ", 1)[1].strip()
        return "refused: " + (msg[:60] + "..." if len(msg) > 63 else msg)
    payload = out.split("\t", 1)[1].strip() if "\t" in out else out.strip()
    if expected is None:
        return "decoded" if payload else "nothing"
    return "exact payload" if payload == expected else ("WRONG payload" if payload else "not decoded")

def row(label, path, n, expected=None):
    r = {"label": label, "kB": os.path.getsize(path) / 1024}
    t, m, out = zip(*[measure([ours, "qr", path]) for _ in range(n)])
    r["ours"] = (median(t), max(m), outcome(out[0], expected))
    if before:
        t, m, out = zip(*[measure([before, "qr", path]) for _ in range(n)])
        r["before"] = (median(t), max(m), outcome(out[0], expected))
    t, m, out = zip(*[measure(["zbarimg", "-q", "--raw", path]) for _ in range(n)])
    zout = out[0].splitlines()[0] if out[0].strip() else ""
    r["zbarimg"] = (median(t), max(m), ("exact payload" if zout == expected else "WRONG payload" if zout else "not decoded")
                    if expected is not None else ("decoded" if zout else "nothing"))
    return r

rows = [row(label, os.path.join(work, name), 1) for label, name, *_ in bombs]
with open(os.path.join(actas, "expected_qr.csv"), newline="") as f:
    for rec in list(csv.reader(f))[1:]:
        rows.append(row("acta " + rec[0], os.path.join(actas, rec[0]), runs, rec[1]))

cols = [("ours", "tallylog qr")] + ([("before", "before")] if before else []) + [("zbarimg", "zbarimg")]
head = "| image | file | " + " | ".join(f"{t} s | {t} peak MB" for _, t in cols) + " | tallylog qr result | zbarimg result |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
for r in rows:
    cells = [r["label"], f"{r['kB']:.0f} KB"]
    for k, _ in cols:
        cells += [f"{r[k][0]:.2f}", f"{r[k][1]:.0f}"]
    cells += [r["ours"][2], r["zbarimg"][2]]
    print("| " + " | ".join(cells) + " |")
if before:
    print()
    for r in rows[:3]:
        print(f"{r['label']}: {r['before'][0] / r['ours'][0]:.0f}x faster, {r['before'][1] / r['ours'][1]:.0f}x less memory than before")
PY
