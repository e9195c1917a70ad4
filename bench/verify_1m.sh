#!/bin/bash
# Builds a 1,000,000-entry log with `tallylog log append` (entries of ~100 bytes), then times
# `tallylog verify` over it and prints its peak RSS. Target: verify < 5 s, memory independent of
# the log size (compare with N=100000). Then times a writer's open of the same log (`tallylog log
# append` of nothing: open, which checks every stored file against the tree rebuilt from the
# journal, then close), the cost of OpenCheck::kFull at that size.
# Usage: bench/verify_1m.sh [entries, default 1000000] [build dir, default build]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000000}
build=${2:-$root/build}
bin=$build/src/tallylog/cli/tallylog
work=${TMPDIR:-/tmp}/tallylog-bench-verify.$$
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }

"$bin" init "$work/data" --origin bench.example/verify >/dev/null
python3 -c "
import sys
w = sys.stdout.write
for i in range($n):
    w('entry %010d %s\n' % (i, 'x' * 80))
" > "$work/lines.txt"
t0=$(now)
"$bin" log append "$work/data" "$work/lines.txt" >/dev/null
t1=$(now)
echo "append: $n entries in $(echo "$t1 - $t0" | bc) s (tallylog log append, batches of 4096, fsync'd)"
echo "log size on disk: $(du -sh "$work/data/log" | cut -f1)"
sync
/usr/bin/time -v "$bin" verify "$work/data/log" 2> "$work/time.txt"
grep -E "Elapsed \(wall clock\)|Maximum resident set size|User time|System time" "$work/time.txt" | sed 's/^\s*/verify: /'
/usr/bin/time -v "$bin" log append "$work/data" < /dev/null 2> "$work/time.txt" >/dev/null
grep -E "Elapsed \(wall clock\)|Maximum resident set size|User time|System time" "$work/time.txt" | sed 's/^\s*/writer open+close: /'
