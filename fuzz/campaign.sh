#!/usr/bin/env bash
# The recorded campaign of docs/fuzzing.md: every harness for N executions (default 10 million),
# two harnesses at a time (the machine has 2 cores), under nice -n 19 so other work comes first.
#   fuzz/campaign.sh [executions] [harness[=executions] ...]
#   LANES=1 fuzz/campaign.sh ...   one harness at a time (e.g. a second campaign beside a long one)
# A harness=N argument runs that harness for N executions: what is left of its 10 million after
# earlier runs, which share its corpus (<build>/fuzz-corpus/<harness>), as ClusterFuzz sums the
# executions of its fuzzing sessions.
# Uses scripts/fuzz.sh with $TALLYLOG_FUZZ_BUILD_DIR (default build-fuzz, RelWithDebInfo). The
# table lines go to <build>/fuzz-campaign.txt with the load average at start and end.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10000000}
shift || true
BUILD_DIR="${TALLYLOG_FUZZ_BUILD_DIR:-build-fuzz}"
export TALLYLOG_FUZZ_BUILD_DIR="$BUILD_DIR"
# Cheaper ASan bookkeeping for long runs (no fill of new blocks, 5-frame allocation stacks); a
# crash is then reproduced with the default options from its saved input.
export ASAN_OPTIONS="${ASAN_OPTIONS:-max_malloc_fill_size=0:malloc_context_size=5}"
# Harnesses that write files (token_file writes the token file for every input) write them in
# memory when the machine has /dev/shm: 3,181 exec/s there against 1,416 on ext4 for token_file.
if [[ -z "${TMPDIR:-}" && -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi
ALL=$(cd fuzz && ls ./*_fuzzer.cc | sed 's|^\./||; s|_fuzzer\.cc$||')
HARNESSES=("$@")
if ((${#HARNESSES[@]} == 0)); then read -r -d '' -a HARNESSES <<<"$ALL"; fi
LANES=${LANES:-2}
scripts/fuzz.sh --runs 1 "${HARNESSES[0]%%=*}" >/dev/null 2>&1  # builds once before the lanes start
export TALLYLOG_FUZZ_NO_BUILD=1
OUT="$BUILD_DIR/fuzz-campaign.txt"
echo "campaign $(date -u +%FT%TZ): ${HARNESSES[*]} ($RUNS executions where no =N), LANES=$LANES, ASAN_OPTIONS=$ASAN_OPTIONS;" \
  "load at start: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT"
lane() {  # runs every LANES-th harness, starting at index $1
  for ((i = $1; i < ${#HARNESSES[@]}; i += LANES)); do
    local h=${HARNESSES[$i]%%=*} runs=$RUNS t0=$SECONDS
    [[ ${HARNESSES[$i]} == *=* ]] && runs=${HARNESSES[$i]#*=}
    line=$(nice -n 19 scripts/fuzz.sh --runs "$runs" "$h" | tail -1)
    echo "$line  [$((SECONDS - t0)) s wall, load $(cut -d' ' -f1 /proc/loadavg)]" | tee -a "$OUT"
  done
}
for ((l = 0; l < LANES; ++l)); do lane $l & done
wait
echo "campaign end $(date -u +%FT%TZ); load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT"
