#!/usr/bin/env bash
# The main job on the embedded default (SQLite + local files): installs what is missing, builds,
# creates data/ve2024 for the bundled Venezuela 2024 election (first run only: init, station
# registry, the opposition's published actas as source "official"), verifies the log and serves
# the results page on http://127.0.0.1:8080 (TALLYLOG_LISTEN overrides). Re-running reuses the data.
set -euo pipefail
cd "$(dirname "$0")/.."

TALLYLOG_WITH_BROWSER=0 scripts/install-deps.sh
if ! command -v npm >/dev/null; then
  sudo_cmd=""; [[ $(id -u) != 0 ]] && sudo_cmd=sudo
  $sudo_cmd apt-get install -y -qq nodejs npm
fi
TALLYLOG_BUILD_DIR=build scripts/build.sh -DTALLYLOG_BENCHMARKS=OFF
[[ -x scripts/build-web.sh ]] && scripts/build-web.sh

BIN=build/src/tallylog/cli/tallylog
DATA=${TALLYLOG_DATA:-data/ve2024}
ELECTION=elections/ve2024
CSV=$ELECTION/data/RESULTADOS_2024_CSV_V1.csv
MAPPING=$ELECTION/convzla-v1.mapping.toml
LISTEN=${TALLYLOG_LISTEN:-127.0.0.1:8080}

if [[ ! -f "$DATA/log/checkpoint" ]]; then
  mkdir -p "$(dirname "$DATA")"
  $BIN init "$DATA" --election "$ELECTION/election.toml"
  $BIN stations import "$DATA" "$CSV" --mapping "$MAPPING"
fi
# Importing again is harmless: identical sheets are recognised as duplicates and not logged twice.
$BIN import "$DATA" "$CSV" --source official --mapping "$MAPPING"
$BIN verify "$DATA/log"
$BIN tally "$DATA" --level state
echo
echo "tallylog: serving the results at http://$LISTEN/  (Ctrl-C to stop)"
exec $BIN serve "$DATA" --listen "$LISTEN"
