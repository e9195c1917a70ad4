#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, docs/fuzzing.md) and fuzzes each in turn.
#
#   scripts/fuzz.sh [seconds] [harness ...]        each harness for `seconds` (default 60)
#   scripts/fuzz.sh --runs N [harness ...]         each harness for N executions
#
# Harnesses: the fuzz/*_fuzzer.cc names (csv, entry, http_request, ...); default: all of them.
# Build: $TALLYLOG_FUZZ_BUILD_DIR (default build-fuzz). A directory already configured with
# -DTALLYLOG_FUZZ=ON (e.g. CI's build-asan) is only brought up to date; otherwise it is
# configured with clang-19 and -DTALLYLOG_FUZZ=ON ($TALLYLOG_BUILD_TYPE, default RelWithDebInfo).
# Each harness starts from the committed seeds (fuzz/corpus/<name>, read only) and from what
# earlier runs found (<build>/fuzz-corpus/<name>, where new inputs go); crashing inputs land in
# <build>/fuzz-artifacts/<name>/, logs in <build>/fuzz-logs/<name>.log. Prints one line per
# harness (executions, exec/s, coverage) and exits non-zero if any harness failed.
# Long campaigns share the machine: run them as `nice -n 19 scripts/fuzz.sh ...` (fuzz/campaign.sh
# does). TALLYLOG_FUZZ_NO_BUILD=1 skips the build step.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR="${TALLYLOG_FUZZ_BUILD_DIR:-build-fuzz}"

RUNS=""
SECONDS_EACH=60
if [[ "${1:-}" == --runs ]]; then
  RUNS=$2
  shift 2
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  SECONDS_EACH=$1
  shift
fi
ALL=$(cd fuzz && ls ./*_fuzzer.cc | sed 's|^\./||; s|_fuzzer\.cc$||')
HARNESSES=("$@")
if ((${#HARNESSES[@]} == 0)); then read -r -d '' -a HARNESSES <<<"$ALL"; fi

if [[ "${TALLYLOG_FUZZ_NO_BUILD:-0}" != 1 ]]; then  # fuzz/campaign.sh builds once, then runs two of these
  TALLYLOG_WITH_FUZZ=1 scripts/install-deps.sh || { echo "fuzz.sh: could not install clang-19" >&2; exit 1; }
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1  # as scripts/build.sh: clones share the cache
  if ! grep -qs '^TALLYLOG_FUZZ:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
    LAUNCHER=()
    command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${TALLYLOG_BUILD_TYPE:-RelWithDebInfo}" "${LAUNCHER[@]}" \
      -DCMAKE_C_COMPILER="${CC:-clang-19}" -DCMAKE_CXX_COMPILER="${CXX:-clang++-19}" -DTALLYLOG_FUZZ=ON \
      -DTALLYLOG_BENCHMARKS=OFF >/dev/null || exit 1
  fi
  cmake --build "$BUILD_DIR" --target fuzzers -j "${TALLYLOG_JOBS:-$(nproc)}" >/dev/null || exit 1
fi

source fuzz/dicts.sh  # dict_for <harness>

# Symbolized stack traces in the logs (clang-19's runtime does not find llvm-symbolizer by itself).
if [[ -z "${ASAN_SYMBOLIZER_PATH:-}" ]] && command -v llvm-symbolizer >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=$(readlink -f "$(command -v llvm-symbolizer)")
fi

failed=0
printf '%-15s %12s %8s %7s %7s %7s  %s\n' harness executions exec/s cov ft corpus result
for h in "${HARNESSES[@]}"; do
  bin="$BUILD_DIR/fuzz/fuzz_$h"
  [[ -x "$bin" ]] || { echo "fuzz.sh: no harness $h ($bin)" >&2; failed=$((failed + 1)); continue; }
  mkdir -p "$BUILD_DIR/fuzz-corpus/$h" "$BUILD_DIR/fuzz-artifacts/$h" "$BUILD_DIR/fuzz-logs"
  log="$BUILD_DIR/fuzz-logs/$h.log"
  args=(-timeout=30 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$BUILD_DIR/fuzz-artifacts/$h/")
  if [[ -n "$RUNS" ]]; then args+=(-runs="$RUNS"); else args+=(-max_total_time="$SECONDS_EACH"); fi
  d=$(dict_for "$h")
  [[ -n "$d" && -f "$d" ]] && args+=(-dict="$d")
  TALLYLOG_SOURCE_DIR="$ROOT" "$bin" "${args[@]}" "$BUILD_DIR/fuzz-corpus/$h" "fuzz/corpus/$h" >"$log" 2>&1
  rc=$?
  stat() { grep -a "^stat::$1:" "$log" | tail -1 | awk '{print $2}'; }
  last=$(grep -aE '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.*corp: \([0-9]*\).*/\1/p' <<<"$last")
  result=ok
  if ((rc != 0)); then
    result="FAILED (exit $rc, see $log)"
    failed=$((failed + 1))
  fi
  printf '%-15s %12s %8s %7s %7s %7s  %s\n' "$h" "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" \
    "${cov:--}" "${ft:--}" "${corp:--}" "$result"
done
((failed == 0))
