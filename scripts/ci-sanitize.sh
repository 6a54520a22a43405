#!/usr/bin/env bash
# CI: the whole mocha suite against the AddressSanitizer + UBSan build of the addon
# (npm run build:asan -> build-asan/). node itself is not instrumented, so the ASan runtime is
# preloaded; child processes the tests start (node, python3, ip) inherit the environment and load
# the same build. Fails - exit code and a failed count - on any test failure or sanitizer report.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

fail() { echo "sanitize: $1"; echo; echo "0 passed, 1 failed"; exit 1; }

asan=$(gcc -print-file-name=libasan.so)
if [ ! -e "$asan" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  # libasan comes with gcc on Debian; install it if a slimmed-down image lacks it.
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq libasan8 libubsan1 >/dev/null
  asan=$(gcc -print-file-name=libasan.so)
fi
[ -e "$asan" ] || fail "the ASan runtime (libasan.so) is not installed"
asan=$(readlink -f "$asan")

if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then
  export npm_config_nodedir=/usr
fi
echo "--- building the ASan+UBSan addon (build-asan/)"
# From scratch: the CMake source list is globbed when the build directory is configured.
rm -rf build-asan
npm run build:asan >build-asan.log 2>&1 || { tail -40 build-asan.log; rm -f build-asan.log; fail "build:asan failed"; }
rm -f build-asan.log
addon="$root/build-asan/Release/bsd_sockets.node"
[ -f "$addon" ] || fail "no $addon after build:asan"
[ -f dist/test/helpers.js ] || npm run build:ts >/dev/null 2>&1 || fail "build:ts failed"

# An absolute path: tests start child processes in other directories.
export BSD_SOCKETS_ADDON="$addon"
export LD_PRELOAD="$asan"
# node leaks by design at exit: no leak check. Stop at the first report. No strict_string_checks:
# child processes (make, python3) inherit the preload and would report false positives.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:print_stacktrace=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

# Prove that the instrumented build is the one loaded, with the runtime in place.
node -e '
  const fs = require("fs");
  require("./dist/lib");
  const maps = fs.readFileSync("/proc/self/maps", "utf8");
  if (!maps.includes(process.env.BSD_SOCKETS_ADDON)) { console.error("the ASan addon is not loaded"); process.exit(1); }
  if (!/libasan\.so/.test(maps)) { console.error("the ASan runtime is not loaded"); process.exit(1); }
  console.log("loaded", process.env.BSD_SOCKETS_ADDON, "with", process.env.LD_PRELOAD);
' || fail "the sanitizer build could not be loaded"

# The JS fuzzer (test/fuzz.test.ts, hostile getters and Proxies included) runs as part of the suite,
# for a bounded time.
export FUZZ_BUDGET_MS="${FUZZ_BUDGET_MS:-20000}"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "--- mocha under ASan+UBSan"
node_modules/.bin/mocha --timeout 60000 'dist/test/**/*.test.js' 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

reports=$(grep -cE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$log")
if [ "$reports" != 0 ]; then
  echo "=== $reports sanitizer report(s):"
  grep -nE -A30 'ERROR: AddressSanitizer|runtime error:' "$log" | head -200
  echo
  echo "0 passed, $reports failed"
  exit 1
fi
if ! grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log"; then
  fail "mocha ended without a summary (exit code $rc): a crash?"
fi
if ! grep -q 'calls with hostile arguments' "$log"; then
  fail "the hostile-argument fuzzer (test/fuzz.test.ts) did not run under the sanitizers"
fi
exit "$rc"
