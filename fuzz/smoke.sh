#!/usr/bin/env bash
# CI's fuzzing smoke (ctest test fuzz_<name>_smoke, label "fuzz"): the harness mutates its
# committed corpus for a fixed number of executions with a fixed seed, writing what it finds to a
# fresh corpus of its own, never to fuzz/corpus/. Short (seconds per harness), and as repeatable
# as libFuzzer allows: the seed fixes the mutations, while comparison operands that are
# addresses can still steer coverage differently from run to run. A failure is a real finding:
# the failing input is in <work dir>/artifacts/, reproduce it as docs/fuzzing.md says.
#   fuzz/smoke.sh <harness binary> <harness name> <work dir> [executions, default 5000]
set -euo pipefail
bin=$1 name=$2 work=$3 runs=${4:-5000}
src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/fuzz/dicts.sh"
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
args=(-runs="$runs" -seed=1 -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$work/artifacts/")
d=$(dict_for "$name")
if [[ -n "$d" ]]; then args+=(-dict="$src/$d"); fi
if [[ -z "${ASAN_SYMBOLIZER_PATH:-}" ]] && command -v llvm-symbolizer >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=$(readlink -f "$(command -v llvm-symbolizer)")
fi
export TALLYLOG_SOURCE_DIR="$src"
exec "$bin" "${args[@]}" "$work/corpus" "$src/fuzz/corpus/$name"
