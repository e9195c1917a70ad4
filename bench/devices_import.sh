#!/bin/bash
# What device signatures cost on the import path (issue 14): the real Venezuela table (24,532
# actas) imported by the real binary, end to end (CSV -> validation -> log append -> index), three
# ways, each into a fresh data directory:
#   unsigned  the election without organisations, --source witness:convzla (the path before issue 14)
#   required  the election requiring signatures for witness:*, the same import signed with
#             --device-key (Ed25519 sign + verify per sheet, enrolment replayed at open)
#   verify    `tallylog verify` of the signed log (tiles + every device signature) vs the unsigned one
# Prints wall and CPU seconds of each (/usr/bin/time) and the ratios. The machine is shared:
# compare ratios from one run, and re-measure quietly before quoting.
# Usage: bench/devices_import.sh [build dir, default build]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bin=$build/src/tallylog/cli/tallylog
E=$root/elections/ve2024
csv=$E/data/RESULTADOS_2024_CSV_V1.csv
mapping=$E/convzla-v1.mapping.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
timed() {  # timed <label> <command...>: appends "<label> <wall> <user+sys>" to $work/times
  local label=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$work/t" "$@" >/dev/null 2>&1
  read -r wall user sys <"$work/t"
  echo "$label $wall $(echo "$user + $sys" | bc)" >>"$work/times"
}
vkey=$("$bin" org keygen --name mud --key-file "$work/mud.key" 2>/dev/null)
dkey=$("$bin" devices keygen --name scanner --key-file "$work/scanner.key" 2>/dev/null)
cp "$E/election.toml" "$work/signed.toml"
printf '\n[[organisations]]\nid = "mud"\nkey = "%s"\nsources = ["witness:*"]\n\n[submissions]\nrequire_device_signature = ["witness:*"]\n' "$vkey" >>"$work/signed.toml"
for kind in unsigned required; do
  toml=$E/election.toml
  [ $kind = required ] && toml=$work/signed.toml
  "$bin" init "$work/$kind" --election "$toml" >/dev/null
  "$bin" stations import "$work/$kind" "$csv" --mapping "$mapping" >/dev/null 2>&1
done
"$bin" devices enrol "$work/required" --org mud --org-key "$work/mud.key" --device "$dkey" --source 'witness:convzla' >/dev/null 2>&1
timed import-unsigned "$bin" import "$work/unsigned" "$csv" --source witness:convzla --mapping "$mapping" --rejects "$work/r1.csv"
timed import-signed "$bin" import "$work/required" "$csv" --source witness:convzla --mapping "$mapping" \
  --device-key "$work/scanner.key" --rejects "$work/r2.csv"
timed verify-unsigned "$bin" verify "$work/unsigned"
timed verify-signed "$bin" verify "$work/required"
"$bin" verify "$work/required" | grep '^devices:' || { echo "the signed import did not verify"; exit 1; }
awk '{ w[$1] = $2; c[$1] = $3; printf "%-16s %7.2f s wall %7.2f s cpu  (24,532 sheets)\n", $1, $2, $3 }
     END { printf "signed/unsigned import: %.2fx wall, %.2fx cpu; verify: %.2fx wall, %.2fx cpu\n",
                  w["import-signed"] / w["import-unsigned"], c["import-signed"] / c["import-unsigned"],
                  w["verify-signed"] / w["verify-unsigned"], c["verify-signed"] / c["verify-unsigned"] }' "$work/times"
