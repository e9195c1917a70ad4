#!/usr/bin/env bash
# Runs the benchmarks of tallylog and ends with ONE summary table of the headline user-path figures
# (figure | value | what exactly it measures | command), the table docs/benchmarks.md quotes.
# Timings belong here, never in tests (machines are noisy): run it on a quiet machine.
#
#   bench/run.sh [--quick | --summary] [build dir, default build-bench]
#
# Builds the CLI and the benchmark binaries Release into the build dir (installing the Debian
# packages it needs), then runs every section; each section's full output is printed as it runs. Works from a
# fresh clone: nothing needs ../shared (the QR rows use the bundled real crops; with ../shared
# present the real-acta row uses the whole actas instead).
#   full  (~40-60 min on 2 cores): 1,000,000-table national scale, verify at 100k / 1M / 10M
#         entries, 228 degraded QR images, wrk 15 s, 200 submissions/s for 30 s, and the
#         micro-benchmarks of earlier issues (Google Benchmark).
#   --quick (a few minutes): the same summary rows at small sizes (20,000 tables, verify at 10k and
#         100k, every 4th degraded QR image, wrk 3 s, 100 submissions/s for 5 s, 100 uncached
#         rounds), no micro-benchmarks:
#         checks the whole script end to end; its figures are not the documented ones.
#   --summary: full sizes, only the sections of the summary table (no micro-benchmarks).
set -uo pipefail
cd "$(dirname "$0")/.."
QUICK=0
ONLY_SUMMARY=0
if [[ ${1:-} == --quick ]]; then QUICK=1; ONLY_SUMMARY=1; shift; fi
if [[ ${1:-} == --summary ]]; then ONLY_SUMMARY=1; shift; fi
BUILD=${1:-build-bench}
TALLYLOG_WITH_BENCH_TOOLS=1 TALLYLOG_WITH_BROWSER=1 scripts/install-deps.sh
# Only what the benchmarks run: the CLI and the benchmark binaries (not the tests).
TARGETS=(tallylog qr_benchmark)
((ONLY_SUMMARY)) || TARGETS+=(log_benchmark log_one_by_one_benchmark election_benchmark tally_benchmark forensics_benchmark)
LAUNCHER=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
  LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
{ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTALLYLOG_BENCHMARKS=ON "${LAUNCHER[@]}" >/dev/null &&
  cmake --build "$BUILD" -j "${TALLYLOG_JOBS:-$(nproc)}" --target "${TARGETS[@]}" >/dev/null; } || {
  echo "build failed: cmake --build $BUILD --target ${TARGETS[*]}" >&2; exit 1; }
export TALLYLOG_BIN=$PWD/$BUILD/src/tallylog/cli/tallylog
export SUMMARY=1

if ((QUICK)); then
  SCALE_N=20000; VERIFY_NS=(10000 100000); QR_RUNS=3; QR_DEG_RUNS=1; QR_DEG_STRIDE=4
  export WRK_SECONDS=3 SUBMIT_RATE=100 SUBMIT_SECONDS=5 UNCACHED_ROUNDS=100
else
  SCALE_N=1000000; VERIFY_NS=(100000 1000000 10000000); QR_RUNS=15; QR_DEG_RUNS=3; QR_DEG_STRIDE=1
  export WRK_SECONDS=${WRK_SECONDS:-15} SUBMIT_RATE=${SUBMIT_RATE:-200} SUBMIT_SECONDS=${SUBMIT_SECONDS:-30}
  export UNCACHED_ROUNDS=${UNCACHED_ROUNDS:-300}
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tallylog-bench-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export TALLYLOG_BENCH_DATA=$WORK/http-data  # a fresh data dir for the HTTP sections
LOG=$WORK/run.log
FAILED=()
START_UPTIME=$(uptime)

# section <title> <command...>: prints and records the output; a failing section is listed at the end.
section() {
  local title=$1
  shift
  echo
  echo "################ $title"
  echo "\$ $*"
  "$@" 2>&1 | tee -a "$LOG"
  local rc=${PIPESTATUS[0]}
  ((rc == 0)) || { FAILED+=("$title (exit $rc)"); echo "!!!!!!!! FAILED: $title (exit $rc)"; }
}

section "verify: memory and time at ${VERIFY_NS[*]} entries (issue 11.3)" \
  bench/verify_sizes.sh "$BUILD" "${VERIFY_NS[@]}"
section "national scale: import at the default batch, cold tally, serve start, reindex on $SCALE_N tables (issues 16, 11.3)" \
  bench/index_scale.sh "$SCALE_N" "$TALLYLOG_BIN"
section "qr: real actas, ours vs zbarimg vs plain zxing vs the zbar library (issues 4, 11.3)" \
  bench/qr_benchmark.sh "$BUILD" "" "$QR_RUNS"
section "qr: read rate on degraded images, 3 libraries in process and 3 command-line tools (issue 11.3)" \
  bench/qr_degraded.sh "$BUILD" "$QR_DEG_RUNS" 11 "$QR_DEG_STRIDE"
section "http: wrk with 1,000 connections (cached answers), uncached tally, submissions under load checked against the log (issues 6, 11.3)" \
  bench/http_wrk.sh

if ((!ONLY_SUMMARY)); then
  section "log: durable batched appends, hashing vs OpenSSL, proofs (issue 2)" \
    "$BUILD/bench/log_benchmark" --benchmark_counters_tabular=true
  section "log: disk and restart cost of 36,000 one-by-one appends vs batched (issue 10, finding 10)" \
    "$BUILD/bench/log_one_by_one_benchmark" 36000 300
  section "log: verify of a 1,000,000-entry log, writer open of it (issues 2, 10)" \
    bench/verify_1m.sh 1000000 "$BUILD"
  section "election: validate + encode + decode per sheet (issue 3)" "$BUILD/bench/election_benchmark"
  section "ingest: the real Venezuela table (issue 3)" bench/ingest_ve2024.sh "$BUILD"
  section "tally: in-memory tabulation kernel, 1,000,000 tables x 40 cards, incremental update (issue 5)" \
    "$BUILD/bench/tally_benchmark"
  section "tally: end to end on the real data (issue 5)" bench/tally_ve2024.sh "$BUILD"
  section "forensics: 100,000 tables, 1,000 Monte Carlo resamples (issue 12)" \
    "$BUILD/bench/forensics_benchmark" --benchmark_counters_tabular=true
  section "forensics: end to end on Russia 2018, 97,699 stations (issue 12)" bench/forensics_ru2018.sh "$BUILD"
  section "http: 200 slow readers of the largest cached answer (issue 10.4)" bench/http_slow_readers.sh
  section "http: connection storm right after start, tallylog vs nginx (issue 10.6)" bench/http_cold_start.sh
  section "PostgreSQL: the log in the database against POSIX files, ve2024 import (issue 15)" \
    bench/pg_store_import.sh "$BUILD/src/tallylog/cli/tallylog"
  section "several nodes: 30 fail-overs, reads on one and three nodes (issue 15)" \
    env TALLYLOG_BIN="$BUILD/src/tallylog/cli/tallylog" bench/nodes.sh
  section "several nodes at national scale: a follower's start, lag and CPU on $SCALE_N tables (issue 15)" \
    env TALLYLOG_BIN="$BUILD/src/tallylog/cli/tallylog" STATIONS="$SCALE_N" bench/follower_scale.sh
fi

# The summary: one row per headline figure, its value as the section printed it.
value() { grep -m1 "^summary: $1 = " "$LOG" | sed "s/^summary: $1 = //" || true; }
row() {  # row <key> <figure> <what it measures> <command>
  local v
  v=$(value "$1")
  printf '| %s | %s | %s | `%s` |\n' "$2" "${v:-**not measured (section failed)**}" "$3" "$4"
}
B=$BUILD
echo
echo "################ SUMMARY (issue 11)"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), Release build ($B);" \
  "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
  "$( ((QUICK)) && echo 'QUICK mode (small sizes)' || echo 'full sizes')"
echo "load before: ${START_UPTIME##*load average: }; after: $(uptime | sed 's/.*load average: //')"
echo
echo '| figure | value | what exactly it measures | command |'
echo '|---|---|---|---|'
row tally_state_cold "tally, $SCALE_N tables, state level" \
  "cold process \`tallylog tally --level state --format json\`: open the data dir, read the index's stored per-area totals (kept up to date at import), render; wall, peak RSS. national level in brackets" \
  "bench/index_scale.sh $SCALE_N $B/src/tallylog/cli/tallylog"
row tally_table_cold "tally, $SCALE_N tables, every table" \
  "cold process \`tallylog tally --level table --format csv\`: open, read and decode every table's current sheet rows from the index, aggregate every level, print one CSV row per table; wall, peak RSS" \
  "(same run)"
row import_default_batch "import, $SCALE_N sheets, default batch" \
  "\`tallylog import\` of a synthetic CSV (1 official sheet per table, stations imported before), default --batch (10,000): validate, durable log append, index; wall, sheets/s, peak RSS" \
  "(same run)"
row serve_first_tally "serve start, $SCALE_N tables" \
  "\`tallylog serve\` process start to the first answered GET /api/v1/tally?level=state after a clean close; server peak RSS by then" "(same run)"
row reindex "reindex, $SCALE_N tables" "\`tallylog reindex\`: the index rebuilt from the log alone; wall, peak RSS" "(same run)"
row verify_sizes "verify memory and time" \
  "\`tallylog verify <data>/log\` (recompute every tile from the entry bundles, check the checkpoint signature) on logs of ~100-byte entries built by \`tallylog log append\` (build time in brackets); wall, peak RSS per size" \
  "bench/verify_sizes.sh $B ${VERIFY_NS[*]}"
row qr_real "QR, real actas: exact reads" \
  "the real acta QR codes (../shared whole actas if present, else the 5 bundled crops): payload equal to the expected one, per decoder" \
  "bench/qr_benchmark.sh $B '' $QR_RUNS"
row qr_real_ms "QR, real actas: time per image" \
  "median per image: ours in process (file read + JPEG decode + QR, 1 thread, median of $QR_RUNS) vs \`zbarimg\` as a whole process" "(same run)"
row qr_degraded_rate "QR, degraded images: read rate" \
  "$(value qr_degraded_n) images generated from a fixed seed (blur, rotation, perspective, JPEG quality, low light, occlusion x 3 strengths, and undegraded) from the 5 real crops and 7 qrencode renderings; read = exact payload; per-kind table in the section" \
  "bench/qr_degraded.sh $B $QR_DEG_RUNS 11 $QR_DEG_STRIDE"
row qr_degraded_ms "QR, degraded images: time per image" \
  "median ms per image over the set: in process from the file bytes in memory (image + QR decode), and each command-line tool as one process per image" "(same run)"
row wrk_checkpoint "HTTP GET /log/checkpoint" \
  "wrk -t2 -c1000 -d${WRK_SECONDS}s on the same machine, bundled Venezuela data: a static 181-byte answer" "bench/http_wrk.sh"
row wrk_tally_cached "HTTP GET /api/v1/tally?level=state, CACHED" \
  "same wrk run; nothing lands between requests, so every answer is the cached body (shared buffer)" "(same run)"
row tally_uncached "HTTP GET /api/v1/tally?level=state, UNCACHED" \
  "one keep-alive connection, $UNCACHED_ROUNDS rounds of POST a new sheet then GET the tally: each counted GET reflects the new sheet (larger X-Tallylog-Log-Size), so it re-reads the index totals and re-renders; vs $UNCACHED_ROUNDS cached GETs on the same connection in the same run" \
  "(same run; node bench/http_tally_uncached.mjs)"
row submit_load "submissions under load" \
  "$SUBMIT_RATE POST /api/v1/sheets per second for ${SUBMIT_SECONDS} s while wrk reads the tally (50 connections); any non-acknowledged answer (e.g. 503 failed append) is an error; then every acknowledged sheet checked: the log's entry bytes at its index decode to it, its leaf hash folds through the inclusion proof to the root of a checkpoint whose Ed25519 signature verifies" \
  "(same run; node bench/http_submit_load.mjs)"
echo
if ((${#FAILED[@]})); then
  echo "FAILED sections:"
  printf '  %s\n' "${FAILED[@]}"
  exit 1
fi
echo "all sections passed"
