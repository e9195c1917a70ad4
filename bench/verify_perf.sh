#!/bin/bash
# Issue 9 performance in one command: mirror and audit of a log of 2N+1 entries over HTTP
# (bench/verify_mirror_audit.sh N) and the witness cosign rate (witness_benchmark), for one build
# or for two (before and after) in the same run, printed as one table.
# Targets: mirror and audit of a 1,000,000-entry log (N = 500000) each < 10 s; witness >= 1,000
# cosigned checkpoints/s.
# Usage: bench/verify_perf.sh [stations, default 500000] [build dir, default build] [before build dir]
#   e.g. bench/verify_perf.sh 500000 build build-main   (build-main: main before issue 9's speed work)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-500000}
builds=("${2:-$root/build}")
[ -n "${3:-}" ] && builds=("$3" "${builds[0]}")
out=${TMPDIR:-/tmp}/tallylog-bench-verify-perf.$$
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT

echo "uptime: $(uptime)"
for i in "${!builds[@]}"; do
  b=${builds[$i]}
  echo "== build $i: $b"
  "$root/bench/verify_mirror_audit.sh" "$n" "$b" | tee "$out/mirror-audit.$i"
  "$b/bench/witness_benchmark" 200 | tee "$out/witness.$i"
done
echo "uptime: $(uptime)"

# The table: one column per build.
fig() {  # fig <file> <awk program printing the figure>
  awk "$2" "$1" 2>/dev/null | head -1
}
row() {  # row <label> <kind> <awk program>
  local label=$1 kind=$2 prog=$3 line="| $1 |"
  for i in "${!builds[@]}"; do line+=" $(fig "$out/$kind.$i" "$prog") |"; done
  echo "$line"
}
echo
header="| figure |"; rule="|---|"
for i in "${!builds[@]}"; do
  if [ ${#builds[@]} = 2 ] && [ "$i" = 0 ]; then header+=" before (${builds[$i]}) |"; else header+=" ${builds[$i]} |"; fi
  rule+="---|"
done
echo "$header"; echo "$rule"
row "log entries" mirror-audit '/^log:/ { print $2 }'
row "mirror (first, full), s" mirror-audit '/^mirror \(first/ { print $4 }'
row "mirror again, nothing new, s" mirror-audit '/^mirror \(again/ { print $5 }'
row "audit, s" mirror-audit '/^audit  / { print $2 }'
row "audit process CPU, s" mirror-audit '/audit process CPU/ { print $4 }'
row "server CPU answering the audit, s" mirror-audit '/server CPU answering/ { print $6 }'
row "audit peak RSS, MB" mirror-audit '/audit process CPU/ { print $(NF-1) }'
row "audit said" mirror-audit '/audit said/ { sub(/.*audit said: /, ""); print }'
row "reindex <mirror> (alternative), s" mirror-audit '/^reindex/ { print $4 }'
row "witness over HTTP, 64 logs, cosigned/s" witness '/over HTTP, 64 logs/ { print $(NF-3) }'
row "witness in-process, 64 logs, cosigned/s" witness '/in-process/ { print $(NF-1) }'
