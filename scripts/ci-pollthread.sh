#!/usr/bin/env bash
# CI: the whole mocha suite again with readiness from the addon's own poll thread
# (native/pollthread.cc, the backend Bun gets) instead of libuv's loop, forced with
# BSD_SOCKETS_BACKEND=thread. Prints the suite's "N passed, M failed, K skipped" line (the
# reporter's), and fails if the backend could not be forced.
set -uo pipefail
cd "$(dirname "$0")/.."

backend=$(BSD_SOCKETS_BACKEND=thread node -p 'require("./dist/lib/engine/readiness").backend' 2>&1)
if [ "$backend" != thread ]; then
  echo "ci-pollthread: BSD_SOCKETS_BACKEND=thread gave backend '$backend'" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
BSD_SOCKETS_BACKEND=thread npx mocha 'dist/test/**/*.test.js'
