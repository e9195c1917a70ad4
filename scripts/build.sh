#!/usr/bin/env bash
# Configures and builds tallylog into build/ (or $TALLYLOG_BUILD_DIR). Extra args go to cmake.
# Uses ccache when it is installed (paths relative to the checkout, so clones share the cache).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${TALLYLOG_BUILD_DIR:-build}"
JOBS="${TALLYLOG_JOBS:-$(nproc)}"
LAUNCHER=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$(pwd)" CCACHE_NOHASHDIR=1
  LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${TALLYLOG_BUILD_TYPE:-RelWithDebInfo}" "${LAUNCHER[@]}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
