#!/usr/bin/env bash
# Russia 2018 end to end (issue 12): import the bundled CEC table (elections/ru2018/data/2018.csv.zip,
# 97,699 stations) from the published .zip, then `tallylog forensics` (tabulation from the index +
# every test, 1,000 resamples, all cores) with its wall time, and the Shpilkin figure against the
# published 9,947 thousand.   bench/forensics_ru2018.sh [build dir]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BIN=${TALLYLOG_BIN:-$BUILD/src/tallylog/cli/tallylog}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
E=elections/ru2018
"$BIN" init "$WORK/d" --election $E/election.toml >/dev/null
/usr/bin/time -f "stations import: %e s" "$BIN" stations import "$WORK/d" $E/data/2018.csv.zip --mapping $E/cec-uik.mapping.toml
/usr/bin/time -f "sheets import: %e s" "$BIN" import "$WORK/d" $E/data/2018.csv.zip --source official --mapping $E/cec-uik.mapping.toml
/usr/bin/time -f "forensics (all cores): %e s" "$BIN" forensics "$WORK/d" --format json --plots "$WORK/plots" >"$WORK/f.json"
/usr/bin/time -f "forensics (1 thread): %e s" "$BIN" forensics "$WORK/d" --threads 1 --format json >/dev/null
python3 - "$WORK/f.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["shpilkin"]
print(f"tables {j['tables']}, leader {j['leader']}")
for k in ("turnout", "leader_share"):
    t = j["integer"][k]
    print(f"integer {k}: observed {t['observed']}, expected {t['expected']:.1f} (sd {t['sd']:.1f}), p = {t['p_value']}, peaks {[p['percent'] for p in t['peaks']]}")
print(f"Shpilkin: mode {s['mode']} %, reference share {s['reference_share']:.4f}, anomalous {s['anomalous_votes']:,} "
      f"(published 9,947,000: {100 * (s['anomalous_votes'] / 9947000 - 1):+.1f} %)")
PY
echo "load: $(uptime)"
