#!/usr/bin/env bash
# `tallylog publish` end to end (issue 15.4): a data directory from the bundled Venezuela rows, published;
# the published log verified and mirrored from the local path; more sheets appended and published again:
# only new files are written (no full tile, entry bundle, image or page file rewritten) and every
# results file equals, byte for byte, what `tallylog serve` answers for the route it stands for;
# the page's search over the published index answers as serve's /api/v1/search (search_diff.mjs).
#   publish_cli_test.sh <tallylog binary> <source root>
set -euo pipefail
BIN=$1
ROOT=$2
E=$ROOT/elections/ve2024
MAP=$E/convzla-v1.mapping.toml
WORK=$(mktemp -d)
SERVER_PID=""
WITNESS_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ -n $WITNESS_PID ]]; then kill -TERM "$WITNESS_PID" 2>/dev/null || true; wait "$WITNESS_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
source "$ROOT/tests/lib/server.sh"
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }

# 1,500 tables registered; 1,000 official sheets and 40 read from QR codes (a second source), then 500
# more official sheets and 2 more QR sheets for tables already published.
head -n 1501 "$E/data/RESULTADOS_2024_CSV_V1.csv" >"$WORK/all.csv"
head -n 1001 "$WORK/all.csv" >"$WORK/first.csv"
{ head -n 1 "$WORK/all.csv"; tail -n +1002 "$WORK/all.csv"; } >"$WORK/more.csv"
head -n 41 "$WORK/all.csv" >"$WORK/qr.csv"
D=$WORK/data
S=$WORK/site
"$BIN" init "$D" --election "$E/election.toml" >/dev/null
"$BIN" stations import "$D" "$WORK/all.csv" --mapping "$MAP" >/dev/null
"$BIN" import "$D" "$WORK/first.csv" --source official --mapping "$MAP" >/dev/null
"$BIN" import "$D" "$WORK/qr.csv" --source qr --mapping "$MAP" >/dev/null
mkdir -p "$WORK/web/assets"; echo '<!doctype html><title>t</title>' >"$WORK/web/index.html"; echo 'x' >"$WORK/web/assets/a.js"

"$BIN" publish "$D" "$S" --web "$WORK/web" | tee "$WORK/first.out"
cp -a "$S" "$WORK/first-site"  # for the lagging copy audited below
check "the published log verifies" "'$BIN' verify '$S/log' >/dev/null"
check "the published checkpoint is the data directory's" "cmp -s '$D/log/checkpoint' '$S/log/checkpoint'"
check "the verifier key is published" "cmp -s '$D/log.vkey' '$S/log.vkey'"
check "a mirror of the published directory verifies" "'$BIN' mirror '$S' '$WORK/mirror' --vkey '$D/log.vkey' --quiet >/dev/null"
check "the page and site.json are published" "[[ -f '$S/index.html' && -f '$S/assets/a.js' ]] && grep -q '\"static\":true' '$S/site.json'"

# What the first run wrote: path, size and modification time of every file.
snapshot() { (cd "$S" && find . -type f ! -name .publish-state.json -printf '%P %s %T@\n' | sort); }
snapshot >"$WORK/before"
sleep 1  # a rewrite changes the modification time
"$BIN" publish "$D" "$S" --web "$WORK/web" | tee "$WORK/same.out"
check "a re-run with nothing new writes nothing" "grep -q ': 0 files written' '$WORK/same.out'"

"$BIN" import "$D" "$WORK/more.csv" --source official --mapping "$MAP" >/dev/null
# Two tables that already have a published sheets file get a second source's sheet.
{ head -n 1 "$WORK/all.csv"; sed -n '42,43p' "$WORK/all.csv"; } >"$WORK/qr2.csv"
"$BIN" import "$D" "$WORK/qr2.csv" --source qr --mapping "$MAP" >/dev/null
"$BIN" publish "$D" "$S" --web "$WORK/web" | tee "$WORK/second.out"
snapshot >"$WORK/after"
# Files present before whose size or time changed: allowed only for the checkpoint and results JSON.
join <(awk '{print $1, $2 "_" $3}' "$WORK/before") <(awk '{print $1, $2 "_" $3}' "$WORK/after") |
  awk '$2 != $3 {print $1}' >"$WORK/changed"
grep -vE '^(log/checkpoint|api/v1/.*\.json)$' "$WORK/changed" >"$WORK/bad" || true
check "no published tile, bundle, image or page file was rewritten ($(wc -l <"$WORK/changed") results files changed)" "[[ ! -s '$WORK/bad' ]]"
[[ -s $WORK/bad ]] && head "$WORK/bad"
comm -13 <(cut -d' ' -f1 "$WORK/before") <(cut -d' ' -f1 "$WORK/after") >"$WORK/new"
check "new tiles and entry bundles were written ($(grep -c '^log/tile/' "$WORK/new") files)" "grep -q '^log/tile/entries/' '$WORK/new' && grep -q '^log/tile/0/' '$WORK/new'"
check "the new checkpoint is published" "cmp -s '$D/log/checkpoint' '$S/log/checkpoint'"
check "the grown published log verifies" "'$BIN' verify '$S/log' >/dev/null"
check "the mirror catches up from the published directory" "'$BIN' mirror '$S' '$WORK/mirror' --vkey '$D/log.vkey' --quiet >/dev/null && cmp -s '$D/log/checkpoint' '$WORK/mirror/log/checkpoint'"

# Every results file equals serve's answer for its route.
"$BIN" serve "$D" --listen 127.0.0.1:0 --web "$WORK/web" 2>"$WORK/serve.log" &
SERVER_PID=$!
PORT=$(listening_port "$WORK/serve.log")
wait_for 60 curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/v1/election"
rule() { [[ $1 == _all ]] && echo '*' || echo "$1"; }
compared=0; differ=0; stations=0
while read -r f; do
  IFS=/ read -r -a p <<<"${f%.json}"
  case ${p[0]} in
    election|sources|conflicts|search-index|witnesses) url="/api/v1/${p[0]}" ;;
    tally) url="/api/v1/tally?level=${p[1]}&source=$(rule "${p[2]}")" ;;
    areas) if [[ ${#p[@]} == 3 ]]; then url="/api/v1/areas?level=${p[1]}&parent=${p[2]}"; else url="/api/v1/areas?level=${p[1]}"; fi ;;
    stations)
      # A table's file is rewritten only when its sheets change; those equal serve's answer now.
      grep -qx "api/v1/$f" "$WORK/changed" "$WORK/new" 2>/dev/null || continue
      stations=$((stations + 1)); url="/api/v1/stations/${p[1]}/sheets" ;;
    bound|flags) url="/api/v1/${p[0]}?source=$(rule "${p[1]}")" ;;
    compare) url="/api/v1/compare?a=$(rule "${p[1]}")&b=$(rule "${p[2]}")&level=${p[3]}" ;;
    *) continue ;;
  esac
  curl -fsg "http://127.0.0.1:$PORT$url" >"$WORK/answer"
  compared=$((compared + 1))
  if ! cmp -s "$WORK/answer" "$S/api/v1/$f"; then differ=$((differ + 1)); echo "differs: $f ($url)"; fi
done < <(cd "$S/api/v1" && find . -name '*.json' -printf '%P\n' | sort)
curl -fs "http://127.0.0.1:$PORT/api/v1/log/vkey" >"$WORK/answer"
check "the results of every level and source rule were published (tally, bound, compare)" \
  "[[ -f '$S/api/v1/tally/table/_all.json' && -f '$S/api/v1/tally/national/qr.json' && -f '$S/api/v1/compare/official/qr/state.json' ]]"
check "all $compared results files equal serve's answers byte for byte" "(( compared > 40 && differ == 0 ))"
changed_stations=$(grep -c '^api/v1/stations/' "$WORK/changed" || true)
check "only the 502 tables with new sheets got a new sheets file ($changed_stations rewritten, $(grep -c '^api/v1/stations/' "$WORK/new" || true) new; $stations compared)" \
  "(( changed_stations == 2 && \$(grep -c '^api/v1/stations/' '$WORK/new' || true) == 500 && stations == 502 ))"
check "drill-down areas files were published and none rewritten" \
  "[[ -n \$(ls '$S/api/v1/areas/table') ]] && ! grep -q '^api/v1/areas/' '$WORK/changed'"
check "the verifier key equals serve's /api/v1/log/vkey" "cmp -s '$WORK/answer' '$S/api/v1/log/vkey'"
# The static site's search: published once (the registry did not change), and the page's answer
# from it (web/src/search.js) equals serve's /api/v1/search for every query of search_diff.mjs.
check "the search index is published and the second run left it alone" \
  "[[ -s '$S/api/v1/search-index.json' ]] && ! grep -qx 'api/v1/search-index.json' '$WORK/changed'"
if command -v node >/dev/null; then
  check "the page's search over the published index answers as serve's /api/v1/search" \
    "node '$ROOT/tests/publish/search_diff.mjs' 'http://127.0.0.1:$PORT' '$S' '$ROOT'"
else
  echo "skip the page's search against serve's (no node on PATH)"
fi

# static_http <dir>: a plain web server (python's) on the directory; sets HTTPD_PID and HTTPD_PORT.
static_http() {
  python3 -u -m http.server --bind 127.0.0.1 0 --directory "$1" >"$WORK/http.log" 2>&1 &
  HTTPD_PID=$!
  wait_for 60 grep -q 'port [0-9]' "$WORK/http.log"
  HTTPD_PORT=$(grep -o 'port [0-9]*' "$WORK/http.log" | head -1 | cut -d' ' -f2)
}

# The static copy audited where a journalist finds it, on a plain web server: every published
# file re-derived from the published log; then one figure changed in one file is caught.
static_http "$S"; SPORT=$HTTPD_PORT
STATUS=0; OUT="$("$BIN" audit "http://127.0.0.1:$SPORT" --vkey "$D/log.vkey" --quiet 2>&1)" || STATUS=$?
echo "$OUT" >"$WORK/audit1.out"
check "audit of the static site over HTTP: 0 differences ($(tail -1 "$WORK/audit1.out"))" \
  "[ $STATUS = 0 ] && grep -qE '^audited [0-9]+ entries, [1-9][0-9]* published figures: 0 differences$' '$WORK/audit1.out'"
cp "$S/api/v1/tally/state/official.json" "$WORK/official-state.json"
python3 - "$S/api/v1/tally/state/official.json" <<'PY'
import json, sys
p = sys.argv[1]
j = json.load(open(p))
j["areas"][0]["valid"] += 1
open(p, "w").write(json.dumps(j, separators=(",", ":")) + "\n")
PY
STATUS=0; OUT="$("$BIN" audit "http://127.0.0.1:$SPORT" --vkey "$D/log.vkey" --quiet 2>&1)" || STATUS=$?
echo "$OUT" >"$WORK/audit2.out"
check "audit of the static site catches one figure changed in tally/state/official.json (exit $STATUS)" \
  "[ $STATUS = 4 ] && grep -qP '^/api/v1/tally\\?level=state&source=official\t[^\t]+\tvalid\t' '$WORK/audit2.out'"
mv "$WORK/official-state.json" "$S/api/v1/tally/state/official.json"  # publish trusts its own state file
# The levels and rules audited come from the log's election, not the site's word: an election.json
# that leaves out a source pattern is itself a difference (and that rule is still audited).
cp "$S/api/v1/election.json" "$WORK/election.json"
python3 - "$S/api/v1/election.json" <<'PY'
import json, sys
p = sys.argv[1]
j = json.load(open(p))
j["sources"] = j["sources"][:-1]
open(p, "w").write(json.dumps(j, separators=(",", ":")) + "\n")
PY
STATUS=0; OUT="$("$BIN" audit "http://127.0.0.1:$SPORT" --vkey "$D/log.vkey" --quiet 2>&1)" || STATUS=$?
echo "$OUT" >"$WORK/audit3.out"
check "audit compares the site's election with the log's: a source left out of election.json is a difference (exit $STATUS)" \
  "[ $STATUS = 4 ] && grep -qP '^/api/v1/election\t-\tsources\t' '$WORK/audit3.out' && grep -q 'published figures: 1 differences' '$WORK/audit3.out'"
mv "$WORK/election.json" "$S/api/v1/election.json"
kill -TERM "$HTTPD_PID"; wait "$HTTPD_PID" 2>/dev/null || true
# A copy whose log has grown (the second run's) but whose results are still the first run's: every
# figure is true of the log it states, so no difference, but the report says they lag and by how much.
cp -a "$S/log/." "$WORK/first-site/log/"
static_http "$WORK/first-site"; LPORT=$HTTPD_PORT
STATUS=0; OUT="$("$BIN" audit "http://127.0.0.1:$LPORT" --vkey "$D/log.vkey" --quiet 2>&1)" || STATUS=$?
echo "$OUT" >"$WORK/audit4.out"
check "audit of results that lag the log: 0 differences, and a note saying they leave out the last 502 entries" \
  "[ $STATUS = 0 ] && grep -q '^note: some answers reflect an older log than the checkpoint mirrored (3043 entries): .*reflects 2541, leaving out the last 502 entries' '$WORK/audit4.out' && grep -q 'published figures: 0 differences' '$WORK/audit4.out'"
kill -TERM "$HTTPD_PID"; wait "$HTTPD_PID" 2>/dev/null || true

check "without --witness, api/v1/witnesses.json declares none, as serve without witnesses answers" \
  "[[ \$(cat '$S/api/v1/witnesses.json') == '{\"quorum\":0,\"witnesses\":[]}' ]]"

# A log cosigned by a witness: the static site declares the witness given to `publish --witness`
# and what the published checkpoint carries from it, for the page to check (web/src/main.js).
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
WVKEY=$("$BIN" witness keygen "$WORK/w.key" --name witness.test/pub)
"$BIN" witness serve --key "$WORK/w.key" --log "$D/log.vkey" --listen 127.0.0.1:0 --state "$WORK/wstate" 2>"$WORK/witness.log" &
WITNESS_PID=$!
WPORT=$(listening_port "$WORK/witness.log")
# Started on a log that is not growing: the checkpoint it opened with is sent to the witness.
"$BIN" serve "$D" --listen 127.0.0.1:0 --witness "$WVKEY@http://127.0.0.1:$WPORT" --witness-quorum 1 2>"$WORK/serve2.log" &
SERVER_PID=$!
listening_port "$WORK/serve2.log" >/dev/null
check "serve has the checkpoint it opened with cosigned by the witness" "wait_for 120 grep -q '^— witness.test/pub ' '$D/log/checkpoint'"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
"$BIN" publish "$D" "$S" --web "$WORK/web" --witness "$WVKEY" --witness-quorum 1 >"$WORK/witnessed.out"
check "the cosigned checkpoint is published and verifies with the witness policy" \
  "cmp -s '$D/log/checkpoint' '$S/log/checkpoint' && '$BIN' verify '$S/log' --witness '$WVKEY' --witness-policy 1 >/dev/null"
check "api/v1/witnesses.json declares the witness, its cosignature and the quorum met" \
  "python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(not (j[\"quorum\"] == 1 and j[\"checkpoint\"][\"cosignatures\"] == 1 and j[\"checkpoint\"][\"quorum_met\"] and [w[\"vkey\"] for w in j[\"witnesses\"]] == [sys.argv[2]]))' '$S/api/v1/witnesses.json' '$WVKEY'"
check "publish refuses a quorum above the witnesses given" "! '$BIN' publish '$D' '$WORK/site2' --no-web --witness '$WVKEY' --witness-quorum 2 2>/dev/null"

echo "publish test: $fails failed"
exit $(( fails == 0 ? 0 : 1 ))
