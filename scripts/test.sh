#!/usr/bin/env bash
# Sets up and runs every test of tallylog on Debian 12:
#   1. installs missing Debian packages (scripts/install-deps.sh, incl. chromium and node for the browser test)
#   2. builds with -Werror and runs the whole ctest suite
#   3. builds everything again with clang-19, AddressSanitizer + UndefinedBehaviorSanitizer and the
#      libFuzzer harnesses (-DTALLYLOG_FUZZ=ON), and runs the tests plus every harness once over its
#      committed corpus and for a 5,000-execution smoke with a fixed seed (ctest label "fuzz"; the
#      long campaigns are scripts/fuzz.sh and fuzz/campaign.sh, docs/fuzzing.md)
#   4. runs the browser test of the web page (Debian chromium driven by playwright-core)
# Prints the number of tests each ctest run ran, passed, failed and skipped (a skipped test fails
# its step: every test must run from a fresh clone), then "test steps: N passed, N failed" last;
# exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

TALLYLOG_WITH_BROWSER=1 TALLYLOG_WITH_FUZZ=1 scripts/install-deps.sh || { echo "tallylog: could not install dependencies" >&2; exit 1; }

passed=0
failed=0
step() {  # step <name> <command...>
  local name=$1
  shift
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1))
    echo "=== $name: FAILED ($((SECONDS - t0)) s)"
  fi
}

counts=()
# run_ctest <build dir> <ctest args...>: ctest, then its counts; fails on a failed or skipped test.
run_ctest() {
  local dir=$1
  shift
  local log
  log=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local total failed skipped
  total=$(sed -nE 's/.* tests failed out of ([0-9]+)$/\1/p' "$log" | tail -1)
  failed=$(sed -nE 's/.*, ([0-9]+) tests failed out of [0-9]+$/\1/p' "$log" | tail -1)
  # ctest lists every test that did not run at the end: "  21 - Name (Skipped)".
  skipped=$(grep -cE '^[[:space:]]*[0-9]+ - .* \((Skipped|Not Run|Disabled)\)$' "$log" || true)
  rm -f "$log"
  local line="ctest $dir: ${total:-0} tests run: $(( ${total:-0} - ${failed:-0} - skipped )) passed, ${failed:-?} failed, $skipped skipped"
  echo "$line"
  counts+=("$line")
  [[ $rc == 0 && -n $total && $total -gt 0 && $skipped == 0 ]]
}

JOBS=$(nproc)
step "build (Werror)" env TALLYLOG_BUILD_DIR=build scripts/build.sh -DTALLYLOG_WERROR=ON
step "unit and integration tests" run_ctest build -j "$JOBS" --timeout 600
if [[ "${TALLYLOG_SKIP_SANITIZERS:-0}" != 1 ]]; then
  # clang-19 (not gcc) so that the same build holds the fuzz harnesses; a build-asan left by an
  # older gcc configuration cannot switch compilers in place, so it is started afresh.
  grep -qs '^TALLYLOG_FUZZ:BOOL=ON' build-asan/CMakeCache.txt || rm -rf build-asan
  step "build (clang-19, ASan+UBSan, fuzz harnesses)" env TALLYLOG_BUILD_DIR=build-asan TALLYLOG_BUILD_TYPE=Debug \
    scripts/build.sh -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 -DTALLYLOG_FUZZ=ON \
    -DTALLYLOG_WERROR=ON -DTALLYLOG_BENCHMARKS=OFF
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # Tests labelled no_sanitizer judge peak memory (which ASan's shadow memory inflates) or are slow
  # results checks the optimised build already runs.
  step "tests and fuzz corpora under ASan+UBSan" run_ctest build-asan -j "$JOBS" --timeout 900 -LE no_sanitizer
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi
if [[ -x tests/browser/run.sh && "${TALLYLOG_SKIP_BROWSER:-0}" != 1 ]]; then
  step "browser test of the web page" env TALLYLOG_BIN="$ROOT/build/src/tallylog/cli/tallylog" tests/browser/run.sh
fi

echo
for line in "${counts[@]}"; do echo "$line"; done
echo "test steps: $passed passed, $failed failed"
[[ $failed == 0 ]]
