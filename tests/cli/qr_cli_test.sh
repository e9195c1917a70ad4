#!/usr/bin/env bash
# `tallylog qr` and `tallylog serve` against oversized images and decompression bombs (finding
# 10.3): the limit an image breaks is named, a one-colour bomb is refused at the work budget,
# and `serve --max-pixels` applies the same limit to POST /api/v1/images.
# Peak memory on full-size bombs: src/tallylog/qr/bomb_test.cc; timings: bench/qr_bombs.sh.
#   Usage: qr_cli_test.sh <path to tallylog>
set -uo pipefail
T="$1"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E=$ROOT/elections/ve2024
FIX=$ROOT/tests/fixtures/qr
D=$(mktemp -d)
PID=""
trap '[[ -n $PID ]] && kill -TERM $PID 2>/dev/null; rm -rf "$D"' EXIT
fails=0
checks=0
check() {
  checks=$((checks + 1))
  if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}

# One-colour 8-bit grey PNGs written directly (zlib compresses their rows ~1000:1).
mkpng() {  # mkpng <file> <width> <height>
  python3 - "$@" <<'PY'
import struct, sys, zlib
path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
z = zlib.compressobj(9)
row = b"\0" + b"\xff" * w
data = b"".join(z.compress(row) for _ in range(h)) + z.flush()
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                       + chunk(b"IDAT", data) + chunk(b"IEND", b""))
PY
}
mkpng "$D/wide.png" 1000000 1
mkpng "$D/bomb.png" 4000 4000

OUT=$("$T" qr "$D/wide.png"); RC=$?
check "a 1000000x1 image is refused naming the side limit, not the pixel limit" \
  '[ $RC = 1 ] && [[ "$OUT" == *"a side of 1000000 pixels exceeds the limit of 65535 pixels per side"* ]] && [[ "$OUT" != *64000000* ]]'
OUT=$("$T" qr --max-pixels 100000 "$FIX/acta-240111018.01.png"); RC=$?
check "qr --max-pixels refuses a larger image and names the flag" \
  '[ $RC = 1 ] && [[ "$OUT" == *"480x1800 = 864000 pixels exceeds the limit of 100000 pixels (--max-pixels)"* ]]'
OUT=$("$T" qr "$D/bomb.png"); RC=$?
check "a 4000x4000 one-colour PNG is refused (nothing found, or the work budget ran out)" \
  '[ $RC = 1 ] && [[ "$OUT" == *"no readable QR code"* || "$OUT" == *"work budget"* ]]'
OUT=$("$T" qr "$FIX/acta-240111018.01.png"); RC=$?
check "an acta within the limits still decodes" '[ $RC = 0 ] && [[ "$OUT" == *"240111018.01.1.0001!145,"* ]]'

# serve --max-pixels: the same limit for images posted over HTTP.
head -n 201 "$E/data/RESULTADOS_2024_CSV_V1.csv" >"$D/a.csv"
"$T" init "$D/d" --election "$E/election.toml" >/dev/null
"$T" stations import "$D/d" "$D/a.csv" --mapping "$E/convzla-v1.mapping.toml" >/dev/null
TOKEN=$("$T" tokens add "$D/d" --name qr --source qr 2>/dev/null)
source "$ROOT/tests/lib/server.sh"  # curl with a time limit, wait_for, listening_port (port 0)
"$T" serve "$D/d" --listen 127.0.0.1:0 --max-pixels 16000000 2>"$D/serve.log" &
PID=$!
PORT=$(listening_port "$D/serve.log")
B=http://127.0.0.1:$PORT
wait_for 120 curl -fs -o /dev/null "$B/log/checkpoint"
post() {  # post <image> -> "<status> <body>"
  curl -s -w ' %{http_code}' -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: image/png' \
    --data-binary @"$1" "$B/api/v1/images?source=qr"
}
cards=(); for i in $(seq 1 38); do cards+=(0); done
cards[0]=120; cards[33]=232; cards[37]=2
qrencode -s 8 -m 4 -o "$D/small.png" "010113042.01.1.0001!$(IFS=,; echo "${cards[*]}")!0!0"  # 456x456
OUT=$(post "$D/small.png")
check "serve accepts a 456x456 QR image" '[[ "$OUT" == *" 201" ]]'
mkpng "$D/big.png" 4000 4001
OUT=$(post "$D/big.png")
check "serve --max-pixels 16000000 refuses a 4000x4001 image, naming the limit" \
  '[[ "$OUT" == *" 422" ]] && [[ "$OUT" == *"exceeds the limit of 16000000 pixels"* ]]'
OUT=$(post "$D/bomb.png")
check "serve refuses a one-colour bomb (nothing found, or the work budget ran out)" \
  '[[ "$OUT" == *" 422" ]] && [[ "$OUT" == *"no readable QR code"* || "$OUT" == *"work budget"* ]]'
check "serve still answers" 'curl -fs "$B/log/checkpoint" >/dev/null'
kill -TERM $PID; wait $PID; RC=$?; PID=""
check "serve stops with exit 0" '[ $RC = 0 ]'

echo "$((checks - fails)) passed, $fails failed"
[ "$fails" = 0 ] && [ "$checks" = 9 ]
