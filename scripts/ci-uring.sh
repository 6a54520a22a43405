#!/usr/bin/env bash
# CI: the whole mocha suite and the differential suite again on a per-thread io_uring
# (native/uring*.cc) instead of libuv's loop, forced with BSD_SOCKETS_BACKEND=uring, with the ring's
# completion-based operations on (BSD_SOCKETS_URING_OPS=1: the Promise recv, recvInto, send and
# sendall of stream sockets and the datagram calls are submitted to the ring, and accept waits for
# a multishot accept;
# test/uring.test.ts, part of the suite, also
# tests the fallback to libuv and the operations off). Prints the suites'
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
export BSD_SOCKETS_BACKEND=uring BSD_SOCKETS_URING_OPS=1
ops=$(node -p 'require("./dist/lib/engine/readiness").ringOps' 2>&1)
[ "$ops" = true ] || echo "ci-uring: the kernel lacks the ring's socket operations: readiness only" >&2
npx mocha 'dist/test/**/*.test.js' || status=1
bash scripts/ci-differential.sh || status=1
exit $status
