#!/usr/bin/env bash
# The PostgreSQL index backend from the command line (issue 15.2): `reindex --index postgresql://...`
# rebuilds the index in PostgreSQL from the log, and `tally` at every level (and compare, export,
# sheets show) prints byte for byte what it prints on the data directory's SQLite index, for the
# bundled Venezuela data (its first 3,000 tables, two sources). A database that cannot be reached
# is one clear error naming the URL without its password.
# Usage: postgres_cli_test.sh <tallylog binary> <source dir>
set -u
source "$(dirname "$0")/lib.sh" "$@"
chmod 0755 "$D"  # as root the server runs as postgres, which must reach $D/pg
mkdir "$D/pg"
URL="$("$SRC/scripts/pg_test_server.sh" start "$D/pg" $$)" || { echo "FAIL could not start PostgreSQL"; exit 1; }
trap '"$SRC/scripts/pg_test_server.sh" stop "$D/pg"; rm -rf "$D"' EXIT

VE="$SRC/elections/ve2024"
head -n 3001 "$VE/data/RESULTADOS_2024_CSV_V1.csv" >"$D/ve.csv"
"$T" init "$D/ve" --election "$VE/election.toml" >/dev/null
"$T" stations import "$D/ve" "$D/ve.csv" --mapping "$VE/convzla-v1.mapping.toml" >/dev/null
"$T" import "$D/ve" "$D/ve.csv" --source witness:convzla --mapping "$VE/convzla-v1.mapping.toml" >/dev/null
"$T" import "$D/ve" "$VE/data/actas_qr_sample.csv" --source observer:qr --mapping "$VE/actas-qr.mapping.toml" \
  >/dev/null 2>&1

OUT="$("$T" reindex "$D/ve" --index "$URL" 2>/dev/null)"
check "reindex --index postgresql://... rebuilds the index there from the log" \
  '[[ "$OUT" == "reindexed "*" entries, 3000 stations" ]] || { echo "$OUT"; false; }'

same() {  # same <what> <command...> (DATA for the data directory): SQLite and PostgreSQL print the same bytes
  local what="$1"
  shift
  local args=("${@/#DATA/$D/ve}")
  "$T" "${args[@]}" >"$D/a.out" 2>"$D/a.err"
  local a=$?
  "$T" "${args[@]}" --index "$URL" >"$D/b.out" 2>"$D/b.err"
  local b=$?
  check "$what" '[ $a = 0 ] && [ $b = 0 ] && [ -s "$D/a.out" ] && cmp -s "$D/a.out" "$D/b.out" || { echo "exit $a $b"; diff "$D/a.out" "$D/b.out" | head -5; cat "$D/b.err"; false; }'
}
for level in national state municipality parish centre table; do
  for format in json csv table; do
    same "tally --level $level --format $format: the same bytes on PostgreSQL as on SQLite" tally DATA --level "$level" --format "$format"
  done
done
same "tally of one source: the same bytes" tally DATA --source observer:qr --format json
same "tally of a prefix rule: the same bytes" tally DATA --source 'witness:*' --level state --format csv
same "compare of two sources: the same bytes" compare DATA --source witness:convzla --source observer:qr --format json
same "bound: the same bytes" bound DATA --format json
same "export: the same bytes" export DATA --format csv
same "sheets show: the same bytes" sheets show DATA --station 010102006.01

# Later imports: one keeps the SQLite index (PostgreSQL catches up from the log on its next read),
# the other writes PostgreSQL directly (`import --index`; SQLite catches up).
tail -n 2 "$VE/data/RESULTADOS_2024_CSV_V1.csv" | head -n 1 | cat <(head -n 1 "$D/ve.csv") - >"$D/one.csv"
tail -n 1 "$VE/data/RESULTADOS_2024_CSV_V1.csv" | cat <(head -n 1 "$D/ve.csv") - >"$D/two.csv"
"$T" stations import "$D/ve" "$D/one.csv" --mapping "$VE/convzla-v1.mapping.toml" >/dev/null
"$T" import "$D/ve" "$D/one.csv" --source witness:convzla --mapping "$VE/convzla-v1.mapping.toml" >/dev/null
same "after an import into SQLite, the PostgreSQL index catches up and still agrees" tally DATA --level state --format json
"$T" stations import "$D/ve" "$D/two.csv" --mapping "$VE/convzla-v1.mapping.toml" --index "$URL" >/dev/null
OUT="$("$T" import "$D/ve" "$D/two.csv" --source witness:convzla --mapping "$VE/convzla-v1.mapping.toml" --index "$URL" 2>&1)"
check "import --index postgresql://... accepts the sheet" '[[ "$OUT" == *"accepted 1,"* ]] || { echo "$OUT"; false; }'
same "after an import into PostgreSQL, both indexes agree" tally DATA --level table --format csv
same "... and the table appears in both" sheets show DATA --station "$(python3 -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1])))[0]; print("%09d.%02d" % (int(r["CENTRO"]), int(r["MESA"])))' "$D/two.csv")"

# Bad input: one clear error at start naming the URL, never the password.
BAD="postgresql://tallylog:s3cret@/tally?host=$D/nowhere&port=5999"
"$T" tally "$D/ve" --index "$BAD" >"$D/bad.out" 2>"$D/bad.err"
rc=$?
check "an unreachable database: exit non-zero, one line naming the URL without the password" \
  '[ $rc != 0 ] && [ ! -s "$D/bad.out" ] && [ "$(wc -l <"$D/bad.err")" = 1 ] && grep -q "postgresql://tallylog@/tally?host=$D/nowhere" "$D/bad.err" && ! grep -q s3cret "$D/bad.err" || { cat "$D/bad.err"; false; }'

finish
