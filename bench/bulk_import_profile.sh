#!/usr/bin/env bash
# Where the CPU of `tallylog import <url>` goes, per stage (issue 17): one import of the bundled
# Venezuela CSV (24,532 actas) into a running `tallylog serve` over loopback, with `perf record`
# (DWARF call graphs, 1,000 samples per CPU-second) on the server and on the client; each sample is
# attributed to the first stage below whose functions are on its stack, and the table gives
# CPU-ms per stage (samples x 1 ms). Needs perf; builds nothing.
# Usage: bench/bulk_import_profile.sh [binary]   (default build/src/tallylog/cli/tallylog)
#   TIMELINE=1  also prints the import as a timeline: one row per 10 ms, one column per server
#               thread plus the client, each cell the stage that thread ran and its samples (10 =
#               a whole core): where the pipeline's stages overlap and where one runs alone.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(readlink -f "${1:-$ROOT/build/src/tallylog/cli/tallylog}")
E=$ROOT/elections/ve2024
CSV=$E/data/RESULTADOS_2024_CSV_V1.csv
MAP=$E/convzla-v1.mapping.toml
command -v perf >/dev/null || { echo "perf missing: apt-get install linux-perf" >&2; exit 1; }
WORK=$(mktemp -d)
SP=
cleanup() { [ -n "$SP" ] && { kill -TERM "$SP" 2>/dev/null; wait "$SP" 2>/dev/null || true; }; rm -rf "$WORK"; }
trap cleanup EXIT
"$BIN" init "$WORK/server" --election "$E/election.toml" >/dev/null
"$BIN" stations import "$WORK/server" "$CSV" --mapping "$MAP" >/dev/null
TOKEN=$("$BIN" tokens add "$WORK/server" --name bench --source 'witness:*' 2>/dev/null)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$BIN" serve "$WORK/server" --listen "127.0.0.1:$port" --rate 1000 --burst 2000 2>"$WORK/serve.log" &
SP=$!
for _ in $(seq 1 300); do curl -fs --max-time 2 "http://127.0.0.1:$port/api/v1/election" >/dev/null 2>&1 && break; sleep 0.05; done
curl -fs --max-time 30 "http://127.0.0.1:$port/api/v1/tally?level=state" >/dev/null
perf record -q --call-graph dwarf,32768 -F 1000 -o "$WORK/server.data" -p "$SP" 2>/dev/null &
PP=$!
sleep 0.5
out=$(perf record -q --call-graph dwarf,32768 -F 1000 -o "$WORK/client.data" "$BIN" import "http://127.0.0.1:$port" "$CSV" \
  --source witness:convzla --mapping "$MAP" --token "$TOKEN" 2>"$WORK/client.err") || { cat "$WORK/client.err" >&2; exit 1; }
sleep 0.2
kill -INT $PP; wait $PP 2>/dev/null || true
[[ $out == "accepted "* ]] || { echo "import <url>: $out" >&2; exit 1; }
perf script -i "$WORK/server.data" 2>/dev/null >"$WORK/server.txt"
perf script -i "$WORK/client.data" 2>/dev/null >"$WORK/client.txt"
echo "issue 17 profile, $(date -u +%F), $(nproc) cores, load: $(uptime | sed 's/.*load average: //'), $out"
python3 - "$WORK/server.txt" "$WORK/client.txt" <<'PY'
import re, sys, collections
# (process, stage, pattern): the first stage whose pattern is on a sample's stack takes it.
STAGES = [
  ("server", "handshake: registry (GET /api/v1/bulk/stations)", r"Bulk::stations|decode_station_areas|for_each_station"),
  ("server", "handshake: session, held digests", r"Bulk::held|for_each_sheet_summary|Bulk::session"),
  ("server", "checkpoint publisher (background)", r"[Pp]ublish"),
  ("server", "decode the POSTed entries", r"decode_entry|fast_decode_sheet"),
  ("server", "index: SQLite rows, aggregates, commits", r"build_and_commit"),
  ("server", "log: durable append (hashes, tiles, fsync)", r"append_batch"),
  ("server", "check: validate, verdict rule, encode entries", r"submit_locked"),
  ("server", "bulk route: batch and verdict JSON", r"Bulk::sheets|bulk_routes|outcome_to_json"),
  ("server", "HTTP server (read bodies, write answers)", r"beast|asio"),
  ("client", "connect: session, registry, held digests", r"BulkClient::connect"),
  ("client", "local checks (validator)", r"validate_sheet"),
  ("client", "encode, POST, read verdicts", r"BulkClient::submit_batch|HttpClient|append_sheet_entry"),
  ("client", "CSV parse and mapping", r"CsvReader|BoundMapping|run_import|SheetBatch|Mapping::"),
  ("client", "process start and exit (loader, frees)", r"_dl_|exit|~"),
]
for proc, path in (("server", sys.argv[1]), ("client", sys.argv[2])):
    cnt = collections.Counter(); total = 0; cur = []
    def flush():
        global total
        if not cur: return
        total += 1
        st = "\n".join(cur)
        for p, name, pat in STAGES:
            if p == proc and re.search(pat, st):
                cnt[name] += 1; return
        cnt["other"] += 1
    for line in open(path, errors="replace"):
        if not line.strip():
            flush(); cur = []
        elif line[0] in " \t":
            cur.append(line.strip())
    flush()
    print(f"\n| {proc} stage | CPU-ms | share |\n|---|---|---|")
    for p, name, _ in STAGES + [(proc, "other", "")]:
        if p == proc and cnt[name]:
            print(f"| {name} | {cnt[name]} | {100 * cnt[name] / max(total, 1):.0f}% |")
    print(f"| **{proc} total** | **{total}** | |")
PY

if [ "${TIMELINE:-0}" = 1 ]; then
python3 - "$WORK/server.txt" "$WORK/client.txt" <<'PY2'
import re, sys, collections
LETTERS = [("I", r"build_and_commit"), ("P", r"[Pp]ublish"), ("L", r"append_batch"),
           ("H", r"Bulk::stations|Bulk::held|Bulk::session"), ("K", r"submit_locked|decode_entry|fast_decode_sheet|Bulk::")]
def load(path):
    out, cur = [], None
    for line in open(path, errors="replace"):
        if not line.strip():
            if cur: out.append(cur)
            cur = None
        elif line[0] not in " \t":
            m = re.match(r"\S+\s+(\d+)\s+([\d.]+):", line)
            cur = [int(m.group(1)), float(m.group(2)), []] if m else None
        elif cur:
            cur[2].append(line.strip())
    if cur: out.append(cur)
    return out
def letter(stack):
    st = "\n".join(stack)
    for l, pat in LETTERS:
        if re.search(pat, st): return l
    return "o"
server, client = load(sys.argv[1]), load(sys.argv[2])
t0 = min(t for _, t, _ in client)
rows = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
for tid, t, st in server:
    if t >= t0: rows[int((t - t0) * 100)][tid][letter(st)] += 1
for tid, t, st in client:
    rows[int((t - t0) * 100)]["client"]["c"] += 1
tids = sorted({tid for r in rows.values() for tid in r if tid != "client"}) + ["client"]
print("\ntimeline: 10 ms per row; I index, L log append, K check (decode, validate, route), H handshake,")
print("P checkpoint publisher, o other, c client; the number is samples (10 = one core all the time)")
print("ms    " + " ".join(f"{str(t)[-6:]:>6}" for t in tids))
for k in range(max(rows) + 1 if rows else 0):
    cells = []
    for t in tids:
        c = rows.get(k, {}).get(t)
        cells.append(f"{''.join(f'{a}{n}' for a, n in c.most_common(2)) if c else '.':>6}")
    print(f"{k * 10:5d} " + " ".join(cells))
PY2
fi
