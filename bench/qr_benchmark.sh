#!/usr/bin/env bash
# QR decoding on the real actas: which images zbarimg, plain zxing, the zbar library and tallylog
# decode (and whether the payload is exactly right), and median time per image, tallylog
# (single-threaded, file read + JPEG decode + QR) against zbarimg (whole process).
#
# Usage: bench/qr_benchmark.sh [build dir] [actas dir] [runs]
#   defaults: build, ../shared/data/ve2024/actas (or $TALLYLOG_SHARED_DATA/ve2024/actas) when it
#   exists, else the 5 bundled real QR crops (tests/fixtures/qr/actas), 15
# With SUMMARY=1 it ends with "summary: key = value" lines (bench/run.sh collects them).
# Needs zbarimg (Debian zbar-tools) and build/bench/qr_benchmark.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
actas="${2:-${TALLYLOG_SHARED_DATA:-$here/../shared/data}/ve2024/actas}"
[[ -n "${2:-}" || -f "$actas/expected_qr.csv" ]] || actas="$here/tests/fixtures/qr/actas"
runs="${3:-15}"
bin="$build/bench/qr_benchmark"
[[ -x "$bin" ]] || { echo "build $bin first: cmake --build $build --target qr_benchmark" >&2; exit 1; }
[[ -f "$actas/expected_qr.csv" ]] || { echo "no $actas/expected_qr.csv" >&2; exit 1; }
echo "images: $actas"
command -v zbarimg >/dev/null || { echo "zbarimg not installed (apt-get install zbar-tools)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# zbarimg: result and median wall time over $runs runs per image.
median_of_lines() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
tail -n +2 "$actas/expected_qr.csv" | while IFS= read -r line; do
  file="${line%%,*}"
  expected="${line#*,}"; expected="${expected#\"}"; expected="${expected%\"}"
  got="$(zbarimg -q --raw "$actas/$file" 2>/dev/null | head -n 1 || true)"
  if [[ -z "$got" ]]; then z=fail; elif [[ "$got" == "$expected" ]]; then z=ok; else z=wrong; fi
  for ((i = 0; i < runs; i++)); do
    s=$(date +%s%N); zbarimg -q --raw "$actas/$file" >/dev/null 2>&1 || true; e=$(date +%s%N)
    echo "$(( (e - s) / 1000 ))"
  done | median_of_lines | awk -v f="$file" -v z="$z" '{printf "%s\t%s\t%.2f\n", f, z, $1 / 1000}'
done > "$tmp/zbarimg.tsv"

"$bin" --table "$actas" "$runs" > "$tmp/ours.tsv"

join -t $'\t' <(sort "$tmp/ours.tsv") <(sort "$tmp/zbarimg.tsv") > "$tmp/all.tsv"
printf '%-34s %-8s %-8s %-8s %-8s %-22s %10s %12s\n' image zbarimg zxing zbar-lib ours "our method" "ours ms" "zbarimg ms"
awk -F'\t' '{printf "%-34s %-8s %-8s %-8s %-8s %-22s %10.2f %12.2f\n", $1, $7, $5, $6, $2, $3, $4, $8}' "$tmp/all.tsv"
awk -F'\t' -v summary="${SUMMARY:-0}" '
  { n++; ours_ok += ($2 == "ok"); wrong += ($2 == "wrong") + ($5 == "wrong") + ($6 == "wrong") + ($7 == "wrong");
    zi_ok += ($7 == "ok"); zx_ok += ($5 == "ok"); zb_ok += ($6 == "ok");
    missed += (($7 == "ok" || $5 == "ok") && $2 != "ok"); o[n] = $4; z[n] = $8 }
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END {
    mo = median(o, n); mz = median(z, n)
    printf "\ndecoded exactly: ours %d/%d, zbarimg %d/%d, plain zxing %d/%d, zbar library %d/%d\n", ours_ok, n, zi_ok, n, zx_ok, n, zb_ok, n
    printf "wrong payloads (any decoder): %d; images zbarimg or zxing decoded that we missed: %d\n", wrong, missed
    printf "median ms per image: ours %.2f (single-threaded), zbarimg %.2f -> %.1fx faster (target >= 5x)\n", mo, mz, mz / mo
    if (summary == 1) {
      printf "summary: qr_real = ours %d/%d exact, zbarimg %d/%d, plain zxing %d/%d, zbar library %d/%d; %d wrong\n", ours_ok, n, zi_ok, n, zx_ok, n, zb_ok, n, wrong
      printf "summary: qr_real_ms = ours %.2f ms (in process, file read + decode) vs zbarimg %.2f ms (whole process) = %.1fx\n", mo, mz, mz / mo
    }
  }' "$tmp/all.tsv"
