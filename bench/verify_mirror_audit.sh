#!/bin/bash
# Issue 9 end to end through the real binary: a synthetic election of N stations (default
# 100,000: 2N+1 log entries — the election, N station registrations, N official sheets) is
# imported and served by `tallylog serve` on 127.0.0.1; then, as a third party would:
#   1. `tallylog mirror <url> <dir> --vkey`   (first run: every tile and bundle over HTTP, every
#      entry hash checked against the tree, every tile recomputed);
#   2. the alternative a user would pick for the same check: `tallylog verify <url>/log` (reads
#      and checks the remote log over HTTP, keeps nothing);
#   3. `tallylog mirror` again with nothing new (the catch-up cost);
#   4. `tallylog audit <url> --vkey --mirror <dir>` (catch-up, re-derive from the entries alone,
#      ask the server for every published figure, compare);
#   5. the alternative: `tallylog reindex <mirror>` (re-derives the index only, compares nothing).
# Prints wall-clock seconds and entries/s for each. Target (issue 9): mirror and audit of a
# 1,000,000-entry log each under 10 s on the 2-core machine.
# Usage: bench/verify_mirror_audit.sh [stations, default 100000] [build dir, default build]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100000}
build=${2:-$root/build}
bin=$build/src/tallylog/cli/tallylog
mapping=$root/elections/ve2024/convzla-v1.mapping.toml
work=${TMPDIR:-/tmp}/tallylog-bench-verify-mirror.$$
mkdir -p "$work"
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
now() { date +%s.%N; }
# run <var> <label> <command...>: times the command into $t_<var>, prints seconds and entries/s.
run() {
  local var=$1 label=$2; shift 2
  local t0 t1
  t0=$(now); "$@" >"$work/out.txt" 2>"$work/err.txt" || { echo "$label failed:"; cat "$work/err.txt"; exit 1; }; t1=$(now)
  awk -v l="$label" -v a="$t0" -v b="$t1" -v e="$entries" 'BEGIN { printf "%-34s %7.2f s  (%.0f entries/s)\n", l, b - a, e / (b - a) }'
  eval "t_$var=$(echo "$t1 - $t0" | bc)"
}

echo "uptime: $(uptime)"
python3 "$root/bench/ingest_synthetic_csv.py" "$work/synthetic.csv" "$n"
"$bin" init "$work/data" --election "$root/elections/ve2024/election.toml" >/dev/null
"$bin" stations import "$work/data" "$work/synthetic.csv" --mapping "$mapping" --batch 100000 >/dev/null
"$bin" import "$work/data" "$work/synthetic.csv" --source official --mapping "$mapping" --batch 100000 >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$bin" serve "$work/data" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$port/log/checkpoint" >/dev/null 2>&1 && break; sleep 0.1; done
url="http://127.0.0.1:$port"
entries=$(curl -fs "$url/log/checkpoint" | sed -n 2p)
echo "log: $entries entries ($n stations), $(du -sh "$work/data/log" | cut -f1) of tiles and bundles; build: $(grep -m1 CMAKE_BUILD_TYPE: "$build/CMakeCache.txt" | cut -d= -f2)"
run mirror "mirror (first, full)" "$bin" mirror "$url" "$work/m" --vkey "$work/data/log.vkey" --quiet
run verify "verify <url>/log (alternative)" "$bin" verify "$url/log" --vkey "$work/data/log.vkey"
run again "mirror (again, nothing new)" "$bin" mirror "$url" "$work/m" --vkey "$work/data/log.vkey" --quiet
# CPU seconds (user + system) of a process so far, from /proc (clock ticks).
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
s0=$(cpu_of "$server")
a0=$(now)
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -f "%U %S %M" -o "$work/audit-cpu")
"${timer[@]}" "$bin" audit "$url" --vkey "$work/data/log.vkey" --mirror "$work/m" >"$work/audit.txt" \
  2> >(while IFS= read -r l; do printf '%s %s\n' "$(date +%s.%N)" "$l"; done >"$work/audit-steps")
a1=$(now)
s1=$(cpu_of "$server")
t_audit=$(echo "$a1 - $a0" | bc)
awk -v a="$a0" -v b="$a1" -v e="$entries" 'BEGIN { printf "%-34s %7.2f s  (%.0f entries/s)\n", "audit", b - a, e / (b - a) }'
sleep 0.2
grep "^audited" "$work/audit.txt" | sed 's/^/  audit said: /'
awk -v a="$a0" '{ t = $1; $1 = ""; printf "  audit at %6.2f s:%s\n", t - a, $0 }' "$work/audit-steps"
# Where the audit's time goes: CPU of the audit process and of the server answering it (2 cores).
[ -s "$work/audit-cpu" ] && awk '{ printf "  audit process CPU: %.2f s (user %.2f, system %.2f), peak RSS %.0f MB\n", $1 + $2, $1, $2, $3 / 1024 }' "$work/audit-cpu"
awk -v a="$s0" -v b="$s1" 'BEGIN { printf "  server CPU answering the audit: %.2f s\n", b - a }'
run reindex "reindex <mirror> (alternative)" "$bin" reindex "$work/m"
awk -v m="$t_mirror" -v v="$t_verify" -v a="$t_audit" -v r="$t_reindex" -v e="$entries" 'BEGIN {
  printf "ratios: mirror / verify = %.2f; audit / reindex = %.2f\n", m / v, a / r;
  printf "at 1,000,000 entries, scaled linearly: mirror %.1f s, audit %.1f s  [target < 10 s each]\n", m * 1e6 / e, a * 1e6 / e }'
echo "uptime: $(uptime)"
