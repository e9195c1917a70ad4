#!/usr/bin/env bash
# Runs every benchmark of tallylog and prints the figures quoted in issue notes. Timings belong
# here, never in tests (machines are noisy): run it on a quiet machine. Takes ~10 minutes.
#   bench/run.sh [build dir, default build-bench]   (configured Release with benchmarks)
# Needs the shared real data (../shared/data or $TALLYLOG_SHARED_DATA) for the QR benchmark.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-bench}
TALLYLOG_WITH_BENCH_TOOLS=1 TALLYLOG_WITH_BROWSER=1 scripts/install-deps.sh
TALLYLOG_BUILD_DIR=$BUILD TALLYLOG_BUILD_TYPE=Release scripts/build.sh -DTALLYLOG_BENCHMARKS=ON >/dev/null
scripts/build-web.sh >/dev/null
export TALLYLOG_BIN=$PWD/$BUILD/src/tallylog/cli/tallylog

section() { echo; echo "################ $*"; }
section "log: durable batched appends, hashing vs OpenSSL, proofs (issue 2)"
"$BUILD/bench/log_benchmark" --benchmark_counters_tabular=true
section "log: verify of a 1,000,000-entry log (issue 2)"
bench/verify_1m.sh 1000000 "$BUILD"
section "election: validate + encode + decode per sheet (issue 3)"
"$BUILD/bench/election_benchmark"
section "ingest: the real Venezuela table (issue 3)"
bench/ingest_ve2024.sh "$BUILD"
section "ingest: synthetic 1,000,000-station election (issue 3)"
bench/ingest_synthetic.sh 1000000 "$BUILD"
section "qr: real actas, ours vs zbarimg vs plain zxing (issue 4)"
bench/qr_benchmark.sh "$BUILD"
section "tally: 1,000,000 tables x 40 cards, incremental update (issue 5)"
"$BUILD/bench/tally_benchmark"
section "tally: end to end on the real data (issue 5)"
bench/tally_ve2024.sh "$BUILD"
section "http: wrk with 1,000 keep-alive connections, 200 submissions/s under read load (issue 6)"
bench/http_wrk.sh
section "http: 200 slow readers of the largest cached answer, RSS before/peak/after (issue 10.4)"
bench/http_slow_readers.sh
section "http: connection storm right after start, tallylog vs nginx on the same bytes (issue 10.6)"
bench/http_cold_start.sh
