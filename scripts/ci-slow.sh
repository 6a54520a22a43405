#!/usr/bin/env bash
# CI: the slow suites that `npm test` leaves out (package.json's test script names them in its
# --ignore glob, the one list), run here two at a time with mocha --parallel so that `npm test`
# stays under 3 minutes on 2 cores. They spawn compilers and child processes (types, teardown,
# workers, runtimes…) or run bounded load (fuzz, load, leaks). Prints the reporter's
# "N passed, M failed, K skipped" line.
set -uo pipefail
cd "$(dirname "$0")/.."

glob=$(node -p "(/--ignore '([^']+)'/.exec(require('./package.json').scripts.test) || [])[1] || ''")
if [ -z "$glob" ]; then
  echo "ci-slow: package.json's test script has no --ignore glob of slow suites" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
[ -f dist/lib/index.js ] || npm run build:ts >/dev/null || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
npx mocha --parallel --jobs "${BSD_SOCKETS_SLOW_JOBS:-2}" "$glob"
