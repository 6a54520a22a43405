#!/usr/bin/env bash
# CI: the differential suite against CPython (test/differential/, docs/DIFFERENTIAL.md): 2 000 seeded
# operation sequences, each run in bsd-sockets and in python3's socket module, results compared.
# Runs after `npm ci` and `npm test`, so dist/ and the addon exist. Prints its own "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v python3 >/dev/null; then
  echo "python3 is not available: no oracle to compare with"
  echo "0 passed, 1 failed"
  exit 1
fi
[ -f dist/test/differential/main.js ] || npm run build:ts >/dev/null
# --jobs 12: most of the time is spent waiting (timeouts, calls that never return), not computing.
node dist/test/differential/main.js --jobs 12 "$@"
