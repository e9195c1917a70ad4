#!/usr/bin/env bash
# `tallylog init --store postgresql://...` (issue 15): the log itself (tiles, bundles, checkpoint,
# journal) lives in PostgreSQL. The bundled Venezuelan table imported into it tallies byte for
# byte as on the POSIX files; `verify` checks the log in the database; a second node's data
# directory (a copy of log.key, log.vkey and store.url, nothing else) reads the same log and
# builds the same tally from it; bad URLs are one clear error.
# Usage: postgres_store_test.sh <tallylog binary> <source dir>
set -u
source "$(dirname "$0")/lib.sh" "$@"
chmod 0755 "$D"  # as root the server runs as postgres, which must reach $D/pg
mkdir "$D/pg"
PG="$SRC/scripts/pg_test_server.sh"
URL="$("$PG" start "$D/pg" $$)" || { echo "FAIL could not start PostgreSQL"; exit 1; }
trap '"$PG" stop "$D/pg" 2>/dev/null; rm -rf "$D"' EXIT

VE="$SRC/elections/ve2024"
MAP="$VE/convzla-v1.mapping.toml"
CSV="$VE/data/RESULTADOS_2024_CSV_V1.csv"
rows=$(($(wc -l <"$CSV") - 1))

# Bad input: not a PostgreSQL URL; an unreachable database (one line, no password).
"$T" init "$D/x" --election "$VE/election.toml" --store "sqlite:$D/x.db" >/dev/null 2>"$D/e1"
rc=$?
check "init --store <not postgresql>: refused, nothing created" \
  '[ $rc != 0 ] && grep -q "expected a postgresql:// URL" "$D/e1" && [ ! -e "$D/x/log.key" ] || { cat "$D/e1"; false; }'
timeout 60 "$T" init "$D/y" --election "$VE/election.toml" \
  --store "postgresql://tallylog:s3cret@/tally?host=$D/nowhere&port=5999" >/dev/null 2>"$D/e2"
rc=$?
check "init --store <unreachable>: one clear line naming the URL without its password" \
  '[ $rc != 0 ] && [ $rc != 124 ] && [ "$(wc -l <"$D/e2")" = 1 ] && grep -q "log store URL postgresql://tallylog@/tally" "$D/e2" && ! grep -q s3cret "$D/e2" || { cat "$D/e2"; false; }'

# The same import into the POSIX files and into PostgreSQL.
"$T" init "$D/posix" --election "$VE/election.toml" >/dev/null
"$T" init "$D/pg1" --election "$VE/election.toml" --store "$URL" >"$D/vkey.out" 2>"$D/init.err"
check "init --store postgresql://: creates the log in the database; the data directory holds no log files" \
  '[ -s "$D/pg1/log.key" ] && [ -s "$D/pg1/store.url" ] && [ ! -e "$D/pg1/log/checkpoint" ] || { cat "$D/init.err"; ls -R "$D/pg1"; false; }'
"$T" init "$D/pg2" --election "$VE/election.toml" --store "$URL" >/dev/null 2>"$D/e3"
check "init --store on a database that already holds a log: refused" \
  '! [ -e "$D/pg2/log.key" ] && grep -q "already holds a log" "$D/e3" || { cat "$D/e3"; false; }'
for d in posix pg1; do
  "$T" stations import "$D/$d" "$CSV" --mapping "$MAP" >/dev/null 2>"$D/$d.st.err"
  "$T" import "$D/$d" "$CSV" --source witness:convzla --mapping "$MAP" >"$D/$d.import" 2>"$D/$d.import.err"
done
check "import into the PostgreSQL store accepts every row ($rows)" \
  'grep -q "accepted $rows," "$D/pg1.import" || { cat "$D/pg1.import" "$D/pg1.import.err"; false; }'
for level in national state table; do
  "$T" tally "$D/posix" --level $level --format json >"$D/posix.$level.json"
  "$T" tally "$D/pg1" --level $level --format json >"$D/pg1.$level.json"
done
check "tally at national, state and table level: byte for byte the same as on the POSIX files" \
  'for l in national state table; do [ -s "$D/posix.$l.json" ] && cmp "$D/posix.$l.json" "$D/pg1.$l.json" || exit 1; done'
"$T" verify "$D/pg1" --vkey "$D/pg1/log.vkey" >"$D/verify.out" 2>&1
rc=$?
check "verify <data with store.url>: checks the log in the database, clean" \
  '[ $rc = 0 ] && grep -q "size $((2 * rows + 1))" "$D/verify.out" || { echo "rc $rc"; cat "$D/verify.out"; false; }'
check "both logs hold as many entries (the election, every station, every sheet)" \
  '[ "$(sed -n 2p "$D/posix/log/checkpoint")" = $((2 * rows + 1)) ] || { sed -n 2p "$D/posix/log/checkpoint"; false; }'

# `publish` of it: a static site holding every tile and entry bundle the checkpoint commits to
# (a log in PostgreSQL has no files under <data>/log/ to copy), which a mirror fetches, verifies
# and tallies the same. Regression: the site held the checkpoint and no tile.
"$T" publish "$D/pg1" "$D/site" --no-web >"$D/publish.out" 2>&1
"$T" mirror "$D/site" "$D/site-mirror" --vkey "$D/pg1/log.vkey" >"$D/mirror.out" 2>&1
rc=$?
"$T" tally "$D/site-mirror" --level state --format json >"$D/site.state.json" 2>/dev/null
check "publish <data with store.url>: the site's log mirrors and verifies at its full size, and tallies the same" \
  '[ $rc = 0 ] && grep -q "mirrored size $((2 * rows + 1))" "$D/mirror.out" && cmp -s "$D/pg1.state.json" "$D/site.state.json" || { cat "$D/publish.out" "$D/mirror.out"; false; }'

# A second node: only the key, the verifier key and store.url; it builds its own index from the
# log in the database and tallies the same.
mkdir "$D/node2"
cp "$D/pg1/log.key" "$D/pg1/log.vkey" "$D/pg1/store.url" "$D/node2/"
"$T" tally "$D/node2" --level state --format json >"$D/node2.state.json" 2>"$D/node2.err"
check "a second node's data directory (log.key, log.vkey, store.url) tallies the same from the database" \
  'cmp "$D/pg1.state.json" "$D/node2.state.json" || { cat "$D/node2.err"; false; }'

# An append after a crash: kill -9 during an import into the database store, then the next
# import logs every row exactly once.
head -n 2001 "$CSV" >"$D/part.csv"
"$T" import "$D/pg1" "$D/part.csv" --source observer:a --mapping "$MAP" --batch 50 >/dev/null 2>&1 &
p=$!
sleep 0.5
kill -9 $p 2>/dev/null
wait $p 2>/dev/null
rm -f "$D/pg1/lock"
"$T" import "$D/pg1" "$D/part.csv" --source observer:a --mapping "$MAP" >"$D/again" 2>"$D/again.err"
n=$("$T" tally "$D/pg1" --level national --source observer:a --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["areas"][0]["tables_reported"])')
check "kill -9 during an import into PostgreSQL, then again: all 2000 observer sheets, none twice" \
  '[ "$n" = 2000 ] || { echo "tables_reported $n"; cat "$D/again" "$D/again.err"; false; }'
"$T" verify "$D/pg1" --vkey "$D/pg1/log.vkey" >"$D/verify2.out" 2>&1
rc=$?
check "verify after the crash: clean" '[ $rc = 0 ] || { cat "$D/verify2.out"; false; }'
finish
