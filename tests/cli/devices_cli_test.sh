#!/bin/bash
# Issue 14 through the real binary: an election that requires device signatures for witness:*,
# an organisation key, a scanner enrolled directly and a phone enrolled by one-time code over
# HTTP (the phone's signatures made by openssl, from the documented bytes, not by our code);
# unsigned, forged, wrong-source, replayed and revoked submissions; receipts verified against a
# mirror and the server's URL, and refused against a log rewritten with the same key; `verify`
# re-checking every signature from the tiles.
# Usage: devices_cli_test.sh <tallylog> <source dir>   (needs curl, python3, openssl)
set -u
source "$(dirname "$0")/lib.sh" "$@"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$D"
}
trap cleanup EXIT
curl() { command curl --max-time 30 "$@"; }
wait_for() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.2; done
}
serve() {
  "$T" serve "$1" --listen 127.0.0.1:0 --rate 100000 --burst 100000 >"$2" 2>&1 &
  PIDS+=($!)
  wait_for 120 grep -q 'on http://127\.0\.0\.1:[0-9]*/' "$2" || { echo "no server started:"; cat "$2"; }
  PORT=$(grep -o 'on http://127\.0\.0\.1:[0-9]*/' "$2" | head -1 | grep -o '[0-9]*/$' | tr -d /)
}
stop_last() { local p=${PIDS[-1]}; kill "$p"; wait "$p" 2>/dev/null; unset 'PIDS[-1]'; }

E="$SRC/elections/ve2024"
# Stations: the first 60 tables. The scanner imports tables 1-40; the phone submits table 50;
# after the revocation the scanner tries tables 41-49.
head -n 61 "$E/data/RESULTADOS_2024_CSV_V1.csv" >"$D/stations.csv"
head -n 41 "$E/data/RESULTADOS_2024_CSV_V1.csv" >"$D/actas.csv"

# ---- keys and the election ----------------------------------------------------------------------
ORG_VKEY="$("$T" org keygen --name mud --key-file "$D/mud.key" 2>/dev/null)"
check "org keygen writes a 0600 key and prints its verifier key" \
  '[[ "$ORG_VKEY" == mud+* ]] && [ "$(stat -c %a "$D/mud.key")" = 600 ]'
SCANNER="$("$T" devices keygen --name scanner-1 --key-file "$D/scanner.key" 2>/dev/null)"
PHONE="$("$T" devices keygen --name phone-1 --key-file "$D/phone.key" 2>/dev/null)"
cp "$E/election.toml" "$D/election.toml"
cat >>"$D/election.toml" <<EOF

[[organisations]]
id = "mud"
name = "Plataforma Unitaria"
key = "$ORG_VKEY"
sources = ["witness:*"]

[submissions]
require_device_signature = ["witness:*"]
EOF
"$T" init "$D/data" --election "$D/election.toml" >/dev/null
"$T" stations import "$D/data" "$D/stations.csv" --mapping "$E/convzla-v1.mapping.toml" >/dev/null 2>&1
VKEY="$D/data/log.vkey"

# ---- the scanner: CLI import with --device-key ----------------------------------------------------
"$T" import "$D/data" "$D/actas.csv" --source witness:mud --mapping "$E/convzla-v1.mapping.toml" >"$D/out" 2>&1
check "an unsigned import for witness:mud is refused row by row (signature required)" \
  'grep -q "accepted 0, duplicates 0, conflicts 0, rejected 40" "$D/out" && grep -q "requires a device signature" "$D/actas.csv.rejects.csv"'
"$T" import "$D/data" "$D/actas.csv" --source witness:mud --mapping "$E/convzla-v1.mapping.toml" \
  --device-key "$D/scanner.key" >"$D/out" 2>&1
check "a key that is not enrolled signs nothing that is accepted" 'grep -q "accepted 0, duplicates 0, conflicts 0, rejected 40" "$D/out"'
# The organisation signs the enrolment on its machine (--out); the operator logs it without the key.
"$T" devices enrol --org mud --org-key "$D/mud.key" --device "$SCANNER" --source witness:mud --out "$D/enrol.json" 2>/dev/null
"$T" devices log "$D/data" "$D/enrol.json" >/dev/null 2>&1
check "an enrolment signed by the organisation is logged" '[ $? = 0 ]'
"$T" org keygen --name mud --key-file "$D/operator.key" >/dev/null 2>&1
"$T" devices enrol "$D/data" --org mud --org-key "$D/operator.key" --device "$PHONE" --source witness:mud >"$D/out" 2>&1
check "an enrolment signed by another key (the operator's) is refused naming org_signature" \
  '[ $? != 0 ] && grep -q "org_signature" "$D/out"'
"$T" import "$D/data" "$D/actas.csv" --source witness:mud --mapping "$E/convzla-v1.mapping.toml" \
  --device-key "$D/scanner.key" >"$D/out" 2>&1
check "the enrolled scanner's signed import is accepted" 'grep -q "accepted 40, duplicates 0, conflicts 0, rejected 0" "$D/out"'
"$T" import "$D/data" "$D/actas.csv" --source witness:mud --mapping "$E/convzla-v1.mapping.toml" \
  --device-key "$D/scanner.key" >"$D/out" 2>&1
check "importing the same signed file again gives duplicates, not conflicts" 'grep -q "accepted 0, duplicates 40, conflicts 0, rejected 0" "$D/out"'
"$T" verify "$D/data" >"$D/out" 2>&1
check "verify re-checks the enrolment and the 40 signatures from the log" \
  '[ $? = 0 ] && grep -q "devices: 1 enrolment/revocation records, 40 signed sheets verified (0 signed by keys revoked since" "$D/out"'

# ---- the phone: enrolment by one-time code over HTTP ----------------------------------------------
CODE="$("$T" devices invite --org mud --org-key "$D/mud.key" --source witness:mud --out "$D/invites.jsonl" 2>/dev/null)"
check "devices invite prints one code" '[[ "$CODE" =~ ^TL(-[0-9A-Z]{4}){4}$ ]]'
check "the invites file holds the code's hash, never the code" '! grep -q "$CODE" "$D/invites.jsonl" && grep -q "$(printf %s "$CODE" | sha256sum | cut -c1-64)" "$D/invites.jsonl"'
"$T" devices add-invites "$D/data" "$D/invites.jsonl" 2>/dev/null
cp -r "$D/data" "$D/before"  # a copy from which a different history will be written (below)
serve "$D/data" "$D/serve.log"
URL="http://127.0.0.1:$PORT"
TOKEN="$("$T" tokens add "$D/data" --name phones --source 'witness:*' 2>/dev/null)"
python3 - "$URL" "$TOKEN" "$CODE" "$D/phone.key" "$D" "$D/stations.csv" "$SRC/tests/fixtures/qr/acta-240111018.01.png" <<'PY'
import base64, csv, hashlib, json, subprocess, sys, urllib.request, urllib.error
url, token, code, keyfile, d, stations, acta = sys.argv[1:8]
rows = list(csv.DictReader(open(stations, encoding="utf-8-sig")))
skey = open(keyfile).read().strip()            # PRIVATE+KEY+<name>+<hex8>+<base64(0x01||seed)>
parts = skey.split("+", 4)                     # the base64 may itself hold '+'
name, seed = parts[2], base64.b64decode(parts[4])[1:]
der = bytes.fromhex("302e020100300506032b657004220420") + seed   # PKCS#8 Ed25519
pem = d + "/phone.pem"
open(pem, "w").write("-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PRIVATE KEY-----\n")
pub = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"], capture_output=True, check=True).stdout[-32:]
hexid = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4].hex()
vkey = name + "+" + hexid + "+" + base64.b64encode(b"\x01" + pub).decode()

def sign(message):
    open(d + "/msg", "wb").write(message)
    sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", pem, "-rawin", "-in", d + "/msg"],
                         capture_output=True, check=True).stdout
    return base64.b64encode(sig).decode()

def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

def call(method, path, body=None, auth=True):
    req = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode())
    if auth:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")

results = {}
st, inv = call("GET", "/api/v1/devices/invites/" + hashlib.sha256(code.encode()).hexdigest(), auth=False)
results["invite"] = st == 200 and inv == {"org": "mud", "sources": ["witness:mud"]}
record = {"action": "enrol", "code": code, "device_key": vkey, "org": inv["org"], "sources": inv["sources"], "type": "device", "v": 1}
dsig = sign(b"tallylog device record v1\n" + canonical(record))
st, wrong = call("POST", "/api/v1/devices/enrol", {"code": code, "device_key": vkey, "device_signature": sign(b"something else")}, auth=False)
results["enrol_bad_signature"] = st == 400 and wrong["field"] == "device_signature"
st, out = call("POST", "/api/v1/devices/enrol", {"code": code, "device_key": vkey, "device_signature": dsig}, auth=False)
entry = json.loads(base64.b64decode(out.get("receipt", {}).get("entry", "")) or b"{}")
results["enrol"] = st == 201 and entry.get("device_key") == vkey and entry.get("code") == code
st, again = call("POST", "/api/v1/devices/enrol", {"code": code, "device_key": vkey, "device_signature": dsig}, auth=False)
results["code_once"] = st == 400 and again["field"] in ("code", "device_key")

def sheet_of(r):
    votes = {k: int(r[k]) for k in ["EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"]}
    return {"station": "%09d.%02d" % (int(r["CENTRO"]), int(r["MESA"])), "source": "witness:mud",
            "candidates": votes, "fields": {"valid": sum(votes.values()), "null": int(r["VOTOS_NULOS"])}}
sheet = sheet_of(rows[49])
def signed(s):
    s = dict(s, device_key=vkey)
    s["device_signature"] = sign(b"tallylog sheet signature v1\n" + canonical(dict(s, type="sheet", v=1)))
    return s
st, out = call("POST", "/api/v1/sheets", signed(sheet))
results["signed_sheet"] = st == 201 and "receipt" in out
json.dump(out.get("receipt"), open(d + "/receipt.json", "w"))
results["receipt_entry"] = json.loads(base64.b64decode(out["receipt"]["entry"])).get("device_signature") is not None
st, dup = call("POST", "/api/v1/sheets", signed(sheet))  # the phone retries
results["replay_is_duplicate"] = st == 200 and dup["verdict"] == "duplicate" and dup["log_index"] == out["log_index"] and "receipt" in dup
forged = signed(sheet)
forged["candidates"]["EG"] += 1
forged["fields"]["valid"] += 1
st, f = call("POST", "/api/v1/sheets", forged)
results["forged"] = st == 400 and f["field"] == "device_signature" and "does not verify" in f["reason"]
st, u = call("POST", "/api/v1/sheets", sheet_of(rows[50]))
results["unsigned"] = st == 400 and u["field"] == "device_signature" and "requires a device signature" in u["reason"]
st, w = call("POST", "/api/v1/sheets", signed(dict(sheet, source="witness:pp")))
results["wrong_source"] = st == 400 and w["field"] == "source"
# The witness page sends no bearer token: the device's signature is the credential.
st, nt = call("POST", "/api/v1/sheets", signed(sheet_of(rows[51])), auth=False)
entry = json.loads(base64.b64decode(nt.get("receipt", {}).get("entry", "")) or b"{}")
results["signed_without_token"] = st == 201 and entry.get("submitted_by") == "device:" + "+".join(vkey.split("+")[:2])
if not results["signed_without_token"]:
    print("signed without token:", st, json.dumps(nt)[:300], entry.get("submitted_by"))
st, nt = call("POST", "/api/v1/sheets", signed(sheet_of(rows[51])), auth=False)
results["signed_without_token_retry_is_duplicate"] = st == 200 and nt["verdict"] == "duplicate"
st, nt = call("POST", "/api/v1/sheets", sheet_of(rows[52]), auth=False)
results["unsigned_without_token_is_401"] = st == 401
bad = signed(sheet_of(rows[52]))
bad["fields"]["null"] += 1
st, nt = call("POST", "/api/v1/sheets", bad, auth=False)
results["forged_without_token"] = st == 400 and nt["field"] == "device_signature"
# A key the log never enrolled is no credential: 401, and nothing of it is kept (no reject row).
stranger = dict(signed(sheet_of(rows[54])), device_key="stranger+0a0b0c0d+" + base64.b64encode(b"\x01" + bytes(range(32))).decode())
rejects_before = subprocess.run(["sqlite3", d + "/data/rejects.sqlite", "SELECT count(*) FROM rejects"], capture_output=True, text=True).stdout
st, nt = call("POST", "/api/v1/sheets", stranger, auth=False)
rejects_after = subprocess.run(["sqlite3", d + "/data/rejects.sqlite", "SELECT count(*) FROM rejects"], capture_output=True, text=True).stdout
results["unknown_key_without_token_is_401"] = st == 401 and rejects_before.strip() != "" and rejects_before == rejects_after
# With its photo (POST /api/v1/sheets/with-image): stored only once the sheet is logged.
def with_image(s, image):
    b = "tallylogboundary"
    body = ("--%s\r\nContent-Disposition: form-data; name=\"sheet\"\r\n\r\n%s\r\n--%s\r\n"
            "Content-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n" % (b, json.dumps(s), b)).encode() \
        + image + ("\r\n--%s--\r\n" % b).encode()
    req = urllib.request.Request(url + "/api/v1/sheets/with-image", method="POST", data=body,
                                 headers={"Content-Type": "multipart/form-data; boundary=" + b})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
def blob_status(h):
    try:
        with urllib.request.urlopen(url + "/blobs/sha256/" + h, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
photo = b"\xff\xd8 a photo of table 54 \xff\xd9"
ph = hashlib.sha256(photo).hexdigest()
forged = signed(dict(sheet_of(rows[53]), image_sha256=ph))
forged["fields"]["null"] += 1
st, fi = with_image(forged, photo)
results["with_image_refused_stores_nothing"] = st == 400 and fi["field"] == "device_signature" and blob_status(ph) == 404
st, wi = with_image(signed(dict(sheet_of(rows[53]), image_sha256=hashlib.sha256(b"other").hexdigest())), photo)
results["with_image_wrong_hash"] = st == 400 and wi["field"] == "image_sha256" and blob_status(ph) == 404
st, wi = with_image(signed(dict(sheet_of(rows[53]), image_sha256=ph)), photo)
results["with_image_logged_then_stored"] = st == 201 and blob_status(ph) == 200
# The server's decoder for the page's fallback: only for an enrolled key signing this very photo.
def decode(image, key, sig):
    req = urllib.request.Request(url + "/api/v1/devices/decode", method="POST", data=image,
                                 headers={"X-Tallylog-Device-Key": key, "X-Tallylog-Device-Signature": sig})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
acta_png = open(acta, "rb").read()
acta_sig = sign(b"tallylog decode v1\n" + hashlib.sha256(acta_png).hexdigest().encode())
st, dec = decode(acta_png, vkey, acta_sig)
results["server_decode_for_enrolled_device"] = st == 200 and dec["sheet"]["station"] == "240111018.01" and dec["qr_payload"] != ""
st, dec = decode(acta_png + b"x", vkey, acta_sig)
results["server_decode_signature_must_cover_the_photo"] = st == 401
st, dec = decode(acta_png, "stranger+0a0b0c0d+" + base64.b64encode(b"\x01" + bytes(range(32))).decode(), acta_sig)
results["server_decode_refuses_unknown_key"] = st == 401
json.dump({"vkey": vkey, "sheet": sheet}, open(d + "/phone.json", "w"))
for k, v in results.items():
    print(("ok   " if v else "FAIL ") + "phone: " + k)
sys.exit(0 if all(results.values()) else 1)
PY
check "the phone enrols by code and submits signed sheets over HTTP (details above)" '[ $? = 0 ]'

# ---- receipts ---------------------------------------------------------------------------------------
"$T" mirror "$URL" "$D/m" --vkey "$VKEY" --quiet >/dev/null
OUT="$("$T" verify-receipt "$D/receipt.json" "$D/m" --vkey "$VKEY" 2>&1)"
check "the receipt verifies against a mirror" '[ $? = 0 ] && [[ "$OUT" == ok:* ]]'
OUT="$("$T" verify-receipt "$D/receipt.json" "$URL" --vkey "$VKEY" 2>&1)"
check "the receipt verifies against the server's URL" '[ $? = 0 ] && [[ "$OUT" == ok:* ]]'
stop_last
# The operator rewrites history with the same key: from the copy taken before the phone's sheets,
# another entry takes the receipt's index.
IDX=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log_index"])' "$D/receipt.json")
N=$(( IDX - $(sed -n 2p "$D/before/log/checkpoint") + 1 ))
for i in $(seq 1 "$N"); do echo "rewritten $i"; done | "$T" log append "$D/before" >/dev/null
OUT="$("$T" verify-receipt "$D/receipt.json" "$D/before" --vkey "$VKEY" 2>&1)"
check "the receipt is refused against a log rewritten with the same key" \
  '[ $? != 0 ] && [[ "$OUT" == *"receipt NOT verified"*"does not hold the receipt"* ]]'
EDITED="$D/edited.json"
python3 -c 'import json,sys,base64; r=json.load(open(sys.argv[1])); e=base64.b64decode(r["entry"]).replace(b"\"EG\":", b"\"EG\":1"); r["entry"]=base64.b64encode(e).decode(); json.dump(r, open(sys.argv[2],"w"))' "$D/receipt.json" "$EDITED"
OUT="$("$T" verify-receipt "$EDITED" "$D/m" --vkey "$VKEY" 2>&1)"
check "an edited receipt is refused (entry not included)" '[ $? != 0 ] && [[ "$OUT" == *"not included at index"* ]]'

# ---- revocation ---------------------------------------------------------------------------------------
"$T" devices revoke "$D/data" --org mud --org-key "$D/mud.key" --device "$SCANNER" --reason "scanner stolen" >/dev/null 2>&1
check "the organisation revokes the scanner" '[ $? = 0 ]'
sed -n '1p;42,50p' "$E/data/RESULTADOS_2024_CSV_V1.csv" >"$D/more.csv"
"$T" import "$D/data" "$D/more.csv" --source witness:mud --mapping "$E/convzla-v1.mapping.toml" \
  --device-key "$D/scanner.key" >"$D/out" 2>&1
check "a revoked key's new sheets are refused" 'grep -q "accepted 0, duplicates 0, conflicts 0, rejected 9" "$D/out" && grep -q "revoked" "$D/more.csv.rejects.csv"'
"$T" devices list "$D/data" >"$D/out"
check "devices list shows the scanner revoked and the phone active" \
  'grep -q "^scanner-1+.*revoked" "$D/out" && grep -q "^phone-1+.*active" "$D/out"'
"$T" verify "$D/data" >"$D/out" 2>&1
check "verify: the revoked key's 40 earlier sheets stay valid and are counted apart" \
  '[ $? = 0 ] && grep -q "devices: 3 enrolment/revocation records, 43 signed sheets verified (40 signed by keys revoked since" "$D/out"'

# ---- revocation on a running server (a phone lost or seized on election night) ------------------------
serve "$D/data" "$D/serve2.log"
URL="http://127.0.0.1:$PORT"
PHONE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vkey"])' "$D/phone.json")
"$T" devices revoke --org mud --org-key "$D/mud.key" --device "$PHONE" --reason "phone seized" --out "$D/phone-revoke.json" >/dev/null 2>&1
python3 - "$D/phone-revoke.json" "$D/forged-revoke.json" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read())
r["reason"] = "forged by the operator"
open(sys.argv[2], "w").write(json.dumps(r, sort_keys=True, separators=(",", ":")))
PY
SIZE=$(curl -s "$URL/log/checkpoint" | sed -n 2p)
STATUS=$(curl -s -o "$D/forged.out" -w '%{http_code}' --data-binary "@$D/forged-revoke.json" "$URL/api/v1/devices/records")
check "a record whose organisation signature does not verify is refused, nothing logged" \
  '[ "$STATUS" = 400 ] && grep -q "\"field\":\"org_signature\"" "$D/forged.out" && [ "$(curl -s "$URL/log/checkpoint" | sed -n 2p)" = "$SIZE" ] || { cat "$D/forged.out"; false; }'
OUT="$("$T" devices log "$URL" "$D/phone-revoke.json" 2>"$D/err")"
check "the organisation's signed revocation is logged by the running server (devices log <url>)" \
  '[ $? = 0 ] && [[ "$OUT" =~ ^[0-9]+$ ]] && grep -q "logged by http://127.0.0.1:$PORT at index $OUT" "$D/err" || { echo "$OUT"; cat "$D/err"; false; }'
OUT="$("$T" devices log "$URL" "$D/phone-revoke.json" 2>&1)"
check "the same revocation sent again is refused with the reason" \
  '[ $? != 0 ] && [[ "$OUT" == *"refused the revoke (HTTP 400): device_key: already revoked at log index"* ]] || { echo "$OUT"; false; }'
python3 - "$URL" "$TOKEN" "$D" "$D/stations.csv" <<'PY'
import base64, csv, json, subprocess, sys, urllib.request, urllib.error
url, token, d, stations = sys.argv[1:5]
phone = json.load(open(d + "/phone.json"))
r = list(csv.DictReader(open(stations, encoding="utf-8-sig")))[55]
votes = {k: int(r[k]) for k in ["EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"]}
s = {"station": "%09d.%02d" % (int(r["CENTRO"]), int(r["MESA"])), "source": "witness:mud", "candidates": votes,
     "fields": {"valid": sum(votes.values()), "null": int(r["VOTOS_NULOS"])}, "device_key": phone["vkey"]}
canonical = json.dumps(dict(s, type="sheet", v=1), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
open(d + "/msg", "wb").write(b"tallylog sheet signature v1\n" + canonical)
s["device_signature"] = base64.b64encode(subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", d + "/phone.pem", "-rawin",
                                                         "-in", d + "/msg"], capture_output=True, check=True).stdout).decode()
req = urllib.request.Request(url + "/api/v1/sheets", data=json.dumps(s).encode(), method="POST",
                             headers={"Authorization": "Bearer " + token})
try:
    urllib.request.urlopen(req, timeout=30)
    sys.exit(1)
except urllib.error.HTTPError as e:
    body = json.loads(e.read())
    print(e.code, body)
    sys.exit(0 if e.code == 400 and body.get("field") == "device_key" and "revoked" in body.get("reason", "") else 1)
PY
check "after the revocation through the server, the phone's next signed sheet is refused (revoked)" '[ $? = 0 ]'
stop_last
"$T" devices list "$D/data" >"$D/out"
check "devices list shows the phone revoked" 'grep -q "^phone-1+.*revoked" "$D/out"'
finish
