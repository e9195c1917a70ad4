#!/usr/bin/env bash
# Installs the Debian 12 packages tallylog needs to build, test and serve, if any are missing.
# Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libssl-dev libsqlite3-dev sqlite3 libfmt-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev
  libboost-dev libzxing-dev libzbar-dev zbar-tools libqrencode-dev qrencode libjpeg-dev libpng-dev libzip-dev
  libgtest-dev libgmock-dev libbenchmark-dev libpcre2-dev curl python3
  # the PostgreSQL index backend (libpq) and the throwaway server its tests start (scripts/pg_test_server.sh)
  libpq-dev postgresql-15
)
if [[ "${TALLYLOG_WITH_BROWSER:-0}" == 1 ]]; then
  PACKAGES+=(chromium nodejs npm nginx)  # nginx: serves the static site (`tallylog publish`) in tests/browser/run.sh, run as the test user
fi
# clang with libFuzzer and the sanitizer runtimes, for the fuzz harnesses (fuzz/, scripts/fuzz.sh)
# and the sanitizer build of scripts/test.sh. clang-19, not Debian 12's default clang 14: clang 14
# cannot compile libstdc++ 12's std::expected (it needs P0848, conditionally trivial destructors).
if [[ "${TALLYLOG_WITH_FUZZ:-0}" == 1 ]]; then
  PACKAGES+=(clang-19 libclang-rt-19-dev)
fi
if [[ "${TALLYLOG_WITH_BENCH_TOOLS:-0}" == 1 ]]; then
  PACKAGES+=(wrk hyperfine nginx)  # nginx: the baseline in bench/http_cold_start.sh (never started as a service)
  # bench/qr_degraded.{py,sh}: image degradation (Debian python3), the zxing-cpp command-line reader
  PACKAGES+=(python3-pil python3-numpy zxing-cpp-tools bc time)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node/npm may come from outside Debian (nodesource); accept any working node and npm.
if [[ " ${missing[*]} " == *" nodejs "* ]] && command -v node >/dev/null; then
  missing=("${missing[@]/nodejs}")
fi
if [[ " ${missing[*]} " == *" npm "* ]] && command -v npm >/dev/null; then
  missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) != 0 ]]; then SUDO="sudo"; fi
echo "tallylog: installing Debian packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
