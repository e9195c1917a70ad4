#!/usr/bin/env bash
# Builds the results page into web/dist (served by `tallylog serve`): npm ci from the committed
# package-lock.json (npm registry only), then esbuild. Skips npm ci when node_modules matches the lock.
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v npm >/dev/null; then
  echo "tallylog: npm is needed to build the web page (apt-get install nodejs npm)" >&2
  exit 1
fi
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node build.mjs
