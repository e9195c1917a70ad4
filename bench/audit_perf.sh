#!/bin/bash
# Issue 9, `tallylog audit` speed and memory, before and after, in ONE run: one synthetic election
# of N stations (2N+1 log entries: the election, N station registrations, N official sheets) is
# built once; then for each binary (before, after) that binary's `tallylog serve` answers on
# 127.0.0.1 and that binary's `tallylog audit` mirrors, re-derives and compares every published
# figure (the mirror is made once, before: both audits only catch up, with nothing new). Prints
# wall seconds, the audit's CPU (user + system) and peak RSS, the server's CPU answering it, and
# what the audit said; then `tallylog reindex <mirror>` (the after binary) as the alternative.
# Each audit starts once its server has settled (see below): the audit of a running server.
# Target (issue 9): audit of a 1,000,000-entry log (N = 500000) < 10 s on the 2-core machine.
# TALLYLOG_BENCH_DATA=<data dir> reuses a data directory built by these same steps (copied first;
# with TALLYLOG_BENCH_DATA_IN_PLACE=1 used where it is).
# Usage: bench/audit_perf.sh [stations, default 500000] [after binary, default build's] [before binary]
#   e.g. bench/audit_perf.sh 500000 build/src/tallylog/cli/tallylog build-main/src/tallylog/cli/tallylog
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-500000}
after=$(realpath "${2:-$root/build/src/tallylog/cli/tallylog}")
bins=("$after"); names=(after)
if [ -n "${3:-}" ]; then bins=("$(realpath "$3")" "$after"); names=(before after); fi
mapping=$root/elections/ve2024/convzla-v1.mapping.toml
work=${TMPDIR:-/tmp}/tallylog-bench-audit-perf.$$
mkdir -p "$work"
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
now() { date +%s.%N; }
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

echo "uptime: $(uptime)"
if [ -n "${TALLYLOG_BENCH_DATA:-}" ] && [ "${TALLYLOG_BENCH_DATA_IN_PLACE:-}" = 1 ]; then
  # The same, used where it is (no copy; for a disk without room for one): the servers open it.
  ln -s "$(realpath "$TALLYLOG_BENCH_DATA")" "$work/data"
elif [ -n "${TALLYLOG_BENCH_DATA:-}" ]; then
  # A data directory built before by this script's steps (same N), reused: building it is not measured.
  cp -a "$TALLYLOG_BENCH_DATA" "$work/data"
else
  python3 "$root/bench/ingest_synthetic_csv.py" "$work/synthetic.csv" "$n"
  "$after" init "$work/data" --election "$root/elections/ve2024/election.toml" >/dev/null
  "$after" stations import "$work/data" "$work/synthetic.csv" --mapping "$mapping" --batch 100000 >/dev/null
  "$after" import "$work/data" "$work/synthetic.csv" --source official --mapping "$mapping" --batch 100000 >/dev/null
  rm -f "$work/synthetic.csv"
fi
for i in "${!bins[@]}"; do
  bin=${bins[$i]}
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  "$bin" serve "$work/data" --listen "127.0.0.1:$port" >"$work/serve.$i.log" 2>&1 &
  server=$!
  for _ in $(seq 1 1200); do curl -fs "http://127.0.0.1:$port/log/checkpoint" >/dev/null 2>&1 && break; sleep 0.1; done
  url="http://127.0.0.1:$port"
  entries=$(curl -fs "$url/log/checkpoint" | sed -n 2p)
  if [ ! -d "$work/m" ]; then
    "$bin" mirror "$url" "$work/m" --vkey "$work/data/log.vkey" --quiet >/dev/null
    sync  # the kernel's writeback of the mirror just written is the mirror's, not the audit's
  fi
  # A running server: its work after start (loading the verdict state, ~1 CPU-s at this size)
  # is over before the audit starts (its CPU time stops growing for a second).
  prev=-1; cur=$(cpu_of "$server")
  while [ "$cur" != "$prev" ]; do prev=$cur; sleep 1; cur=$(cpu_of "$server"); done
  s0=$(cpu_of "$server"); a0=$(now)
  /usr/bin/time -f "%U %S %M" -o "$work/cpu.$i" "$bin" audit "$url" --vkey "$work/data/log.vkey" --mirror "$work/m" --quiet \
    >"$work/audit.$i" || true
  a1=$(now); s1=$(cpu_of "$server")
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  echo "${names[$i]}: $bin"
  awk -v a="$a0" -v b="$a1" -v s="$(echo "$s1 - $s0" | bc)" '{ printf "  audit %.2f s wall; audit CPU %.2f s (user %.2f, system %.2f), peak RSS %.0f MB; server CPU %.2f s\n", b - a, $1 + $2, $1, $2, $3 / 1024, s }' "$work/cpu.$i"
  echo "wall $(echo "$a1 - $a0" | bc) server $(echo "$s1 - $s0" | bc)" >"$work/fig.$i"
  grep "^audited\|^note" "$work/audit.$i" | sed 's/^/  /'
done
t0=$(now); "$after" reindex "$work/m" >/dev/null 2>&1; t1=$(now)
t_reindex=$(echo "$t1 - $t0" | bc)
echo "uptime: $(uptime)"
echo
build_type() { grep -m1 CMAKE_BUILD_TYPE: "$(dirname "$1")/../../../CMakeCache.txt" 2>/dev/null | cut -d= -f2 || echo unknown; }
for i in "${!bins[@]}"; do echo "${names[$i]}: $(build_type "${bins[$i]}") build"; done
echo "log: $entries entries ($n stations); uptime before and after above"
line() {  # line <label> <awk program over 'fig cpu audit' lines>
  local out="| $1 |"
  for i in "${!bins[@]}"; do out+=" $(cat "$work/fig.$i" "$work/cpu.$i" "$work/audit.$i" | awk "$2" | head -1) |"; done
  echo "$out"
}
header="| figure ($entries entries) |"; rule="|---|"
for i in "${!bins[@]}"; do header+=" ${names[$i]} |"; rule+="---|"; done
echo "$header"; echo "$rule"
line "\`tallylog audit\`, wall s" 'NR == 1 { printf "%.2f", $2 }'
line "audit process CPU (user + system), s" 'NR == 2 { printf "%.2f", $1 + $2 }'
line "server CPU answering the audit, s" 'NR == 1 { printf "%.2f", $4 }'
line "audit peak RSS, MB" 'NR == 2 { printf "%.0f", $3 / 1024 }'
line "audit said" '/^audited/ { print }'
echo "| \`tallylog reindex <mirror>\` (the alternative, after binary), wall s | $(printf '%.2f' "$t_reindex") |"
