#!/usr/bin/env bash
# CI: the model suite (test/model/, docs/MODEL.md): 2 000 generated interleavings of Promise and
# Sync operations on real socket pairs, checked against the model of API.md, on each backend
# (libuv, the poll thread with BSD_SOCKETS_BACKEND=thread, and io_uring with its operations on,
# where the kernel allows io_uring). Runs after `npm ci` and `npm test`, so dist/ and the addon
# exist. Prints one "N passed, M failed" line for the backends together.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f dist/test/model/main.js ] || npm run build:ts >/dev/null
passed=0
failed=0
status=0
backends="libuv thread"
if [ "$(BSD_SOCKETS_BACKEND=uring node -p 'require("./dist/lib/engine/readiness").backend' 2>/dev/null)" = uring ]; then
  backends="$backends uring"
else
  echo "ci-model: io_uring refused here: the uring backend is not modelled" >&2
fi
for backend in $backends; do
  out=$(BSD_SOCKETS_BACKEND=$backend BSD_SOCKETS_URING_OPS=1 node dist/test/model/main.js --count "${MODEL_COUNT:-2000}" "$@" 2>&1)
  rc=$?
  [ $rc -eq 0 ] || status=1
  # every line but the total, so that .ci/run sums only the line printed below
  printf '%s\n' "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed' | sed "s/^/[$backend] /"
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
  if [ -z "$line" ]; then failed=$((failed + 1)); status=1; continue; fi
  passed=$((passed + $(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')))
  failed=$((failed + $(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')))
done
echo "$passed passed, $failed failed"
exit $status
