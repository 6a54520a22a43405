#!/usr/bin/env bash
# CI: the whole mocha suite and the differential suite again with readiness from a per-thread
# io_uring (native/uring.cc) instead of libuv's loop, forced with BSD_SOCKETS_BACKEND=uring
# (test/uring.test.ts, part of the suite, also tests the fallback to libuv). Prints the suites'
# "N passed, M failed[, K skipped]" lines. Where the kernel refuses io_uring (a container's seccomp
# profile, kernel.io_uring_disabled) it says why and reports one skipped test.
set -uo pipefail
cd "$(dirname "$0")/.."

backend=$(BSD_SOCKETS_BACKEND=uring node -p 'require("./dist/lib/engine/readiness").backend' 2>&1)
if [ "$backend" != uring ]; then
  refused=$(node -p 'const n = require("./dist/lib/binding/native").native; n.startUring ? n.startUring() : "not built"' 2>&1)
  echo "ci-uring: skipped: BSD_SOCKETS_BACKEND=uring gave backend '$backend' (io_uring probe: $refused)" >&2
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
status=0
BSD_SOCKETS_BACKEND=uring npx mocha 'dist/test/**/*.test.js' || status=1
BSD_SOCKETS_BACKEND=uring bash scripts/ci-differential.sh || status=1
exit $status
