#!/usr/bin/env bash
# CI: representative suites under valgrind memcheck, which needs no special build: every invalid
# read or write the addon makes (in the real node process, with the real addon) is reported.
# node runs with --jitless so that V8 generates no machine code for valgrind to trip over, and
# mocha runs in-process (lib/cli/cli.js, no re-spawn). Uninitialised-value checks and leak checks
# are off: V8's own use of such memory is noise here, and the leak tests (test/leaks.test.ts)
# measure leaks directly. Fails on any "Invalid read/write" or other memcheck error.
set -uo pipefail
cd "$(dirname "$0")/.."
suites=(dist/test/echo.test.js dist/test/async.test.js dist/test/select.test.js dist/test/hostile.test.js)

if ! command -v valgrind >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing valgrind"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq valgrind >/dev/null
  fi
fi
if ! command -v valgrind >/dev/null; then echo "valgrind is not available"; echo "0 passed, 1 failed"; exit 1; fi
[ -f dist/test/helpers.js ] || npm run build:ts >/dev/null 2>&1 || { echo "build:ts failed"; echo "0 passed, 1 failed"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "--- valgrind memcheck: ${suites[*]}"
timeout 600 valgrind --tool=memcheck --error-exitcode=99 --undef-value-errors=no --leak-check=no \
  --smc-check=all-non-file --trace-children=no --num-callers=30 --log-file="$work/vg.%p.log" \
  node --jitless node_modules/mocha/lib/cli/cli.js --timeout 120000 "${suites[@]}" 2>&1 | tee "$work/out.log"
rc=${PIPESTATUS[0]}

invalid=$(cat "$work"/vg.*.log | grep -cE 'Invalid (read|write)|Invalid free|Mismatched free|Source and destination overlap|Jump to the invalid address')
errors=$(grep -hE 'ERROR SUMMARY: [1-9]' "$work"/vg.*.log | head -5)
echo "--- valgrind: $invalid invalid access(es); exit code $rc"
grep -h 'ERROR SUMMARY' "$work"/vg.*.log | sort | uniq -c
if [ "$invalid" != 0 ] || [ -n "$errors" ] || [ "$rc" = 99 ]; then
  grep -hE -B2 -A30 'Invalid (read|write)|Invalid free|Mismatched free|Jump to the invalid' "$work"/vg.*.log | head -200
  echo
  echo "0 passed, 1 failed"
  exit 1
fi
if ! grep -qE '^[0-9]+ passed, [0-9]+ failed' "$work/out.log"; then
  echo "mocha ended without a summary (exit code $rc)"
  echo "0 passed, 1 failed"
  exit 1
fi
exit "$rc"
