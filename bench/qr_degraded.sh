#!/usr/bin/env bash
# QR read rate on degraded images (issue 11.3): ≥ 200 images generated at run time from a fixed
# seed (bench/qr_degraded.py: the 5 bundled real acta crops and 7 payloads rendered by qrencode,
# each undegraded and under blur, rotation, perspective, JPEG quality, low light and occlusion at
# 3 strengths), decoded on the same images by
#   in process (build/bench/qr_benchmark --degraded; file bytes in memory -> payload):
#     ours       tallylog's decoder (qr::decode_qr_file, the full strategy)
#     zxing-lib  the zxing-cpp library, ReadBarcodes with default DecodeHints
#     zbar-lib   the zbar library, one scan of the whole image
#   as a whole process per image (what a user runs; file read, process start included):
#     tallylog   `tallylog qr <image>`
#     ZXingReader Debian zxing-cpp-tools, default options (-bytes to print the payload)
#     zbarimg    Debian zbar-tools, `zbarimg -q --raw`
# A code counts as read only if the payload printed equals the expected one exactly; a decoder
# that aborts on an image (Debian's zxing-cpp 1.4 asserts on some occluded ones) is counted as a
# crash, not a read. Prints the read rate per kind and strength, wrong payloads, crashes, then the
# median ms per image of each decoder (crashes left out).
#
# Usage: bench/qr_degraded.sh [build dir] [runs per image in process, default 3] [seed, default 11] [stride]
#   stride N > 1 keeps every Nth image only (bench/run.sh --quick uses 4: 57 images)
# Needs Debian python3-pil python3-numpy qrencode zbar-tools zxing-cpp-tools
# (TALLYLOG_WITH_BENCH_TOOLS=1 scripts/install-deps.sh) and build/bench/qr_benchmark.
# With SUMMARY=1 it ends with "summary: key = value" lines (bench/run.sh collects them).
set -euo pipefail
export LC_ALL=C
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
runs="${2:-3}"
seed="${3:-11}"
stride="${4:-1}"
bench_bin="$build/bench/qr_benchmark"
tallylog="$build/src/tallylog/cli/tallylog"
for b in "$bench_bin" "$tallylog"; do
  [[ -x "$b" ]] || { echo "build $b first (cmake --build $build --target qr_benchmark tallylog)" >&2; exit 1; }
done
for t in zbarimg ZXingReader qrencode; do
  command -v "$t" >/dev/null || { echo "$t missing: TALLYLOG_WITH_BENCH_TOOLS=1 scripts/install-deps.sh" >&2; exit 1; }
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tallylog-qr-degraded.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$root/bench/qr_degraded.py" "$tmp/img" "$seed"
if ((stride > 1)); then
  awk -v s="$stride" 'NR % s == 1' "$tmp/img/expected.tsv" > "$tmp/keep.tsv" && mv "$tmp/keep.tsv" "$tmp/img/expected.tsv"
fi
n=$(wc -l < "$tmp/img/expected.tsv")

# In process: file, ours, ms, zxing-lib, ms, zbar-lib, ms
"$bench_bin" --degraded "$tmp/img" "$runs" > "$tmp/lib.tsv" 2> "$tmp/lib.err" || { cat "$tmp/lib.err" >&2; exit 1; }

# Whole processes, one per image and tool: file, verdict, ms for each of tallylog, ZXingReader, zbarimg.
# verdict <exit status> <output> <payload>: crash (killed by a signal, e.g. an assertion's abort),
# fail (nothing printed), ok (the payload exactly) or wrong.
verdict() {
  if (($1 >= 128)); then echo crash; elif [[ -z "$2" ]]; then echo fail; elif [[ "$2" == "$3" ]]; then echo ok; else echo wrong; fi
}
zbar_verdict() {  # zbarimg prints one line per code: read if any line is the payload
  if (($1 >= 128)); then echo crash; elif [[ -z "$2" ]]; then echo fail; elif grep -qxF -- "$3" <<<"$2"; then echo ok; else echo wrong; fi
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000 )) | awk '{printf "%.3f", $1 / 1000}'; }
while IFS=$'\t' read -r file kind strength source payload; do
  f="$tmp/img/$file"
  # tallylog qr prints "<file>\t<payload>" (exit 0) or "<file>\tERROR: ..." (exit 1).
  s=$(date +%s%N); rc=0; out=$("$tallylog" qr "$f" 2>/dev/null) || rc=$?; t1=$(ms_since "$s")
  ((rc == 0)) && out=${out#*$'\t'} || { ((rc >= 128)) || out=""; }; v1=$(verdict $rc "$out" "$payload")
  s=$(date +%s%N); rc=0; out=$(ZXingReader -bytes "$f" 2>/dev/null) || rc=$?; t2=$(ms_since "$s"); v2=$(verdict $rc "$out" "$payload")
  s=$(date +%s%N); rc=0; out=$(zbarimg -q --raw "$f" 2>/dev/null) || rc=$?; t3=$(ms_since "$s"); v3=$(zbar_verdict $rc "$out" "$payload")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$file" "$v1" "$t1" "$v2" "$t2" "$v3" "$t3"
done < "$tmp/img/expected.tsv" > "$tmp/cli.tsv"

# expected: file kind strength source payload | lib: file 3x(verdict ms) | cli: file 3x(verdict ms)
join -t $'\t' <(cut -f1-3 "$tmp/img/expected.tsv" | sort) <(sort "$tmp/lib.tsv") > "$tmp/a.tsv"
join -t $'\t' "$tmp/a.tsv" <(sort "$tmp/cli.tsv") > "$tmp/all.tsv"
[[ $(wc -l < "$tmp/all.tsv") -eq $n ]] || { echo "lost rows joining the results" >&2; exit 1; }

echo "QR read rate on $n degraded images (seed $seed; read = exact payload; in-process times: median of $runs runs)"
awk -F'\t' -v summary="${SUMMARY:-0}" '
  BEGIN { split("ours zxing-lib zbar-lib tallylog-cli ZXingReader zbarimg", name, " ")
          split("4 6 8 10 12 14", vcol, " ") }
  {
    key = ($2 == "none") ? "none" : $2 " " $3
    rows[key]++; total++
    for (d = 1; d <= 6; d++) {
      v = $(vcol[d]); ms = $(vcol[d] + 1)
      if (v == "ok") { ok[key, d]++; okall[d]++ }
      if (v == "wrong") wrong[d]++
      if (v == "crash") crash[d]++
      else t[d, ++nt[d]] = ms
    }
  }
  function median(d, n,   i, j, x, a) {
    for (i = 1; i <= n; i++) a[i] = t[d, i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    printf "%-14s %4s", "degradation", "n"
    for (d = 1; d <= 6; d++) printf " %12s", name[d]
    printf "\n"
    nk = split("none", order, " ")
    split("blur rotation perspective jpeg lowlight occlusion", kinds, " ")
    for (i = 1; i <= 6; i++) for (j = 1; j <= 3; j++) order[++nk] = kinds[i] " " j
    for (k = 1; k <= nk; k++) {
      key = order[k]
      if (!(key in rows)) continue
      printf "%-14s %4d", key, rows[key]
      for (d = 1; d <= 6; d++) printf " %7d %3.0f%%", ok[key, d], 100 * ok[key, d] / rows[key]
      printf "\n"
    }
    printf "%-14s %4d", "all", total
    for (d = 1; d <= 6; d++) printf " %7d %3.0f%%", okall[d], 100 * okall[d] / total
    printf "\n%-14s %4s", "wrong payload", ""
    for (d = 1; d <= 6; d++) printf " %12d", wrong[d]
    printf "\n%-14s %4s", "crashed", ""
    for (d = 1; d <= 6; d++) printf " %12d", crash[d]
    printf "\n%-14s %4s", "median ms/img", ""
    for (d = 1; d <= 6; d++) { m[d] = median(d, nt[d]); printf " %12.2f", m[d] }
    printf "\n(in process: ours, zxing-lib, zbar-lib; whole process per image: tallylog-cli, ZXingReader, zbarimg;\n"
    printf " crashed: the decoder aborted (process killed by a signal); medians leave crashes out)\n"
    if (summary == 1) {
      printf "summary: qr_degraded_n = %d\n", total
      printf "summary: qr_degraded_rate = ours %.0f%%, zxing lib %.0f%%, zbar lib %.0f%%; CLI: tallylog %.0f%%, ZXingReader %.0f%%, zbarimg %.0f%% (wrong payloads: %d; crashes: ours %d, zxing lib %d, zbar lib %d, tallylog %d, ZXingReader %d, zbarimg %d)\n",
        100 * okall[1] / total, 100 * okall[2] / total, 100 * okall[3] / total,
        100 * okall[4] / total, 100 * okall[5] / total, 100 * okall[6] / total,
        wrong[1] + wrong[2] + wrong[3] + wrong[4] + wrong[5] + wrong[6],
        crash[1], crash[2], crash[3], crash[4], crash[5], crash[6]
      printf "summary: qr_degraded_ms = in process ours %.1f, zxing lib %.1f, zbar lib %.1f; per process tallylog %.1f, ZXingReader %.1f, zbarimg %.1f\n",
        m[1], m[2], m[3], m[4], m[5], m[6]
    }
  }' "$tmp/all.tsv"
