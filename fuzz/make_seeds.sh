#!/usr/bin/env bash
# Regenerates the seeds of fuzz/corpus/ that come from real data: logs, checkpoints, entries and
# tile paths made by the real `tallylog` binary from the bundled ve2024 data, the CSV and QR
# fixtures, and hand-written HTTP requests. Usage: fuzz/make_seeds.sh <path to tallylog>
# Seeds named seed-* are overwritten; regression inputs (crash-*, regression-*) are never touched.
set -euo pipefail
T="$(realpath "$1")"
cd "$(dirname "$0")"
C="$PWD/corpus"
ROOT="$(cd .. && pwd)"
D="$(mktemp -d)"
trap 'rm -rf "$D"' EXIT
ORIGIN="fuzz.example/log"  # the key name the tiles and checkpoint harnesses sign with

# A real ve2024 data directory: election, 20 stations and their sheets from the bundled CSV.
head -n 21 "$ROOT/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv" > "$D/small.csv"
"$T" init "$D/ve" --election "$ROOT/elections/ve2024/election.toml" --origin "$ORIGIN" > /dev/null
M="$ROOT/elections/ve2024/convzla-v1.mapping.toml"
"$T" stations import "$D/ve" "$D/small.csv" --mapping "$M" > /dev/null
"$T" import "$D/ve" "$D/small.csv" --source witness:convzla --mapping "$M" > /dev/null
# A raw log of 300 lines, with a checkpoint kept at size 0 and at size 257.
"$T" init "$D/raw" --origin "$ORIGIN" > /dev/null
cp "$D/raw/log/checkpoint" "$D/cp0"
seq 1 257 | "$T" log append "$D/raw" > /dev/null
cp "$D/raw/log/checkpoint" "$D/cp257"
seq 258 300 | "$T" log append "$D/raw" > /dev/null

python3 - "$D" "$C" "$ROOT" <<'PY'
import os, sys, glob, hashlib
D, C, ROOT = sys.argv[1:4]
def put(harness, name, data):
    if isinstance(data, str): data = data.encode()
    os.makedirs(f"{C}/{harness}", exist_ok=True)
    open(f"{C}/{harness}/seed-{name}", "wb").write(data)
def body(note):  # a signed note's text, without the signature block
    return note[: note.rindex(b"\n\n") + 1]

# checkpoints and notes
for name, path in [("ve2024", f"{D}/ve/log/checkpoint"), ("raw300", f"{D}/raw/log/checkpoint"),
                   ("raw0", f"{D}/cp0"), ("raw257", f"{D}/cp257")]:
    note = open(path, "rb").read()
    put("checkpoint", f"{name}-signed", note)
    put("checkpoint", f"{name}-body", body(note))
    put("note", f"{name}-checkpoint", note)
put("note", "vkey", open(f"{D}/ve/log.vkey", "rb").read().strip())
# Go's signed-note test vectors (golang.org/x/mod/sumdb/note), as in note_test.cc.
put("note", "go-skey", "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
put("note", "go-vkey", "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
put("note", "go-two-signatures",
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n"
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n")

# log trees for the tiles harness: path NUL len16 bytes, checkpoint as its body
def pack(files):
    out = b""
    for p, data in files:
        out += p.encode() + b"\0" + len(data).to_bytes(2, "big") + data
    return out
def tree(logdir, previous=None, drop=()):
    files = []
    for f in sorted(glob.glob(f"{logdir}/**", recursive=True)):
        if os.path.isdir(f): continue
        rel = os.path.relpath(f, logdir)
        if rel in drop: continue
        data = open(f, "rb").read()
        files.append((rel, body(data) if rel == "checkpoint" else data))
    if previous: files.append(("previous", body(open(previous, "rb").read())))
    return pack(files)
put("tiles", "ve2024", tree(f"{D}/ve/log"))
put("tiles", "raw300-previous257", tree(f"{D}/raw/log", previous=f"{D}/cp257"))
put("tiles", "raw300-nolist", tree(f"{D}/raw/log") + pack([("nolist", b"")]))
put("tiles", "raw0", pack([("checkpoint", body(open(f"{D}/cp0", "rb").read()))]))

# tile and blob paths, as a client requests them
paths = set()
for logdir in (f"{D}/ve/log", f"{D}/raw/log"):
    for f in glob.glob(f"{logdir}/**", recursive=True):
        if not os.path.isdir(f): paths.add(os.path.relpath(f, logdir))
paths |= {"tile/0/x001/x234/067", "tile/entries/x001/x234/067.p/255", "tile/3/000.p/1"}
for i, p in enumerate(sorted(paths)): put("tile_path", f"{i:02d}", p)
put("tile_path", "blob", "sha256/" + hashlib.sha256(b"x").hexdigest())

# entries: every entry of the ve2024 log (election, stations, sheets)
entries = []
for f in sorted(glob.glob(f"{D}/ve/log/tile/entries/**", recursive=True)):
    if os.path.isdir(f) or ".p" in f: continue
    entries.append(open(f, "rb").read())
partials = sorted(glob.glob(f"{D}/ve/log/tile/entries/*.p/*"))
if partials: entries.append(open(partials[-1], "rb").read())
n = 0
for bundle in entries:
    i = 0
    while i < len(bundle):
        ln = int.from_bytes(bundle[i:i+2], "big"); e = bundle[i+2:i+2+ln]; i += 2 + ln
        kind = e.split(b'"type":"')[1].split(b'"')[0].decode() if b'"type":"' in e else "raw"
        if n < 3 or kind != "station" or n % 5 == 0:
            put("entry", f"{n:03d}-{kind}", e)
        n += 1
PY

# CSV: the bundled data's first rows, the ingest fixtures
cp "$D/small.csv" "$C/csv/seed-convzla-head.csv"
cp "$ROOT/tests/fixtures/ingest/hostile.csv" "$C/csv/seed-hostile.csv"
cp "$ROOT/tests/fixtures/ingest/stations.csv" "$C/csv/seed-stations.csv"
# mapping and election TOML
cp "$M" "$C/mapping_toml/seed-convzla-v1.mapping.toml"
cp "$ROOT/elections/ve2024/election.toml" "$C/election_toml/seed-ve2024.toml"
# QR payloads: the bundled fixtures and, when present, the real actas' payloads
python3 - "$C" "$ROOT/tests/fixtures/qr/expected_qr.csv" "${TALLYLOG_SHARED_DATA:-$ROOT/../shared/data}/ve2024/actas/expected_qr.csv" <<'PY'
import csv, os, sys
C = sys.argv[1]
for path in sys.argv[2:]:
    if not os.path.exists(path): continue
    for row in csv.DictReader(open(path, encoding="utf-8")):
        name = os.path.splitext(row["file"])[0]
        open(f"{C}/qr_profile/seed-{name}", "w").write(row["qr_payload"])
PY
# HTTP: targets, queries, bodies and raw requests a client sends (docs/api.md)
python3 - "$C" <<'PY'
import hashlib, json, os, sys
C = sys.argv[1]
def put(harness, name, data):
    if isinstance(data, str): data = data.encode()
    os.makedirs(f"{C}/{harness}", exist_ok=True)
    open(f"{C}/{harness}/seed-{name}", "wb").write(data)
token = "tl_" + ("74" * 32)  # the HTTP fixture's token (fuzz::fixed_bytes('t'))
targets = ["/", "/index.html", "/assets/app.js", "/log/checkpoint", "/log/tile/0/000.p/3", "/log/tile/entries/000.p/3",
           "/blobs/sha256/" + hashlib.sha256(b"\x89PNG\r\n\x1a\n fuzz fixture image").hexdigest(), "/metrics",
           "/api/v1/election", "/api/v1/log/vkey", "/api/v1/tally?level=state&source=witness:*",
           "/api/v1/tally?level=parish&parent=0101&format=csv", "/api/v1/compare?a=witness:fuzz&b=official&level=state",
           "/api/v1/bound?source=witness:*", "/api/v1/areas?level=municipality&parent=01",
           "/api/v1/stations?level=centre&area=010113042", "/api/v1/stations/010113042.01",
           "/api/v1/stations/010113042%2E01/sheets", "/api/v1/export?format=csv&source=*", "/api/v1/conflicts",
           "/api/v1/sources", "/api/v1/metrics", "/../../etc/passwd", "/log/tile/../../log.key"]
for i, t in enumerate(targets): put("http_path", f"{i:02d}", t)
# http_query: a route selector ('0' tally, '1' areas, '2' stations, '3' compare, '4' bound,
# '5' export, '6' a station's sheets, '7' POST images), then the query string
queries = ["0level=state&source=witness:*", "0level=parish&parent=0101&format=csv",
           "3a=witness:fuzz&b=official&level=state", "4source=witness%3Afuzz&depth=2", "2level=centre&area=010113042",
           "5format=json&source=*", "7source=qr", "0level=table&parent=010113042&format=csv&depth=5", "3a=*&b=witness:*",
           "1level=municipality&parent=01", "6"]
for i, q in enumerate(queries): put("http_query", f"{i:02d}", q)
sheet = {"station": "010113042.01", "source": "witness:mud",
         "cards": [120,0,0,0,0,0,0,0,0,0,0,0,0,5,0,0,0,0,0,0,0,0,0,0,3,0,0,0,0,0,1,1,0,232,0,0,0,2],
         "candidates": {"EG": 232, "NM": 120}, "fields": {"valid": 364, "null": 0}}
put("sheet_json", "docs-example", json.dumps(sheet))
put("sheet_json", "accepted", json.dumps({"station": "010113042.01", "source": "witness:fuzz",
    "candidates": {"EG": 232, "NM": 120, "LM": 5, "JABE": 0, "JOBR": 0, "AE": 3, "CF": 1, "DC": 1, "EM": 0, "BERA": 2},
    "fields": {"valid": 364, "null": 0}}))
put("sheet_json", "correction", json.dumps({"station": "010113042.02", "source": "official", "candidates": {"EG": 1},
    "fields": {"valid": 1, "null": 0}, "supersedes": 3, "qr_payload": "x", "image_sha256": "ab" * 32}))
payload = "010113042.01.1.0001!" + ",".join(str(i) for i in range(1, 39)) + "!4!0"
multipart = ("--XyZ\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nwitness:fuzz\r\n"
             "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"acta.png\"\r\n"
             "Content-Type: image/png\r\n\r\n" + payload + "\r\n--XyZ--\r\n")
put("http_multipart", "image-and-source", "multipart/form-data; boundary=XyZ\n" + multipart)
put("http_multipart", "quoted-boundary", 'multipart/form-data; boundary="XyZ"; charset=utf-8\n' + multipart)
put("http_multipart", "raw-body", "image/png\n" + payload)
def req(method, target, headers=(), body=""):
    h = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for k, v in headers: h += f"{k}: {v}\r\n"
    if body or method == "POST": h += f"Content-Length: {len(body.encode())}\r\n"
    return h + "\r\n" + body
auth = ("Authorization", "Bearer " + token)
put("http_request", "get-tally", req("GET", "/api/v1/tally?level=state"))
put("http_request", "head-checkpoint", req("HEAD", "/log/checkpoint"))
put("http_request", "post-sheet", req("POST", "/api/v1/sheets", [auth, ("Content-Type", "application/json")], json.dumps(sheet)))
put("http_request", "post-multipart", req("POST", "/api/v1/images", [auth, ("Content-Type", "multipart/form-data; boundary=XyZ")], multipart))
put("http_request", "pipelined", req("GET", "/api/v1/election") + req("GET", "/metrics", [("Connection", "close")]))
put("http_request", "chunked", "POST /api/v1/sheets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
    "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"sta\r\n0\r\n\r\n")
put("http_request", "expect-continue", req("POST", "/api/v1/sheets", [auth, ("Expect", "100-continue")], "{}"))
put("http_request", "no-token", req("POST", "/api/v1/sheets", [], "{}"))
put("http_request", "http10", "GET /api/v1/sources HTTP/1.0\r\n\r\n")
tokens = {"tokens": [
    {"name": "fuzz-client", "sources": ["witness:*", "qr"], "sha256": hashlib.sha256(token.encode()).hexdigest(),
     "created_at": "2024-07-28T00:00:00Z"},
    {"name": "revoked", "sources": ["official"], "sha256": hashlib.sha256(("tl_" + "75" * 32).encode()).hexdigest(),
     "created_at": "2024-07-28T00:00:00Z", "revoked_at": "2024-07-29T00:00:00Z"}]}
put("token_file", "two-tokens", json.dumps(tokens, indent=2) + "\n")
put("token_file", "empty-list", '{"tokens": []}\n')
PY
echo "seeds written under $C"
