#!/usr/bin/env bash
# Configures and builds tallylog into build/ (or $TALLYLOG_BUILD_DIR). Extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${TALLYLOG_BUILD_DIR:-build}"
JOBS="${TALLYLOG_JOBS:-$(nproc)}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${TALLYLOG_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
