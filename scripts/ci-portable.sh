#!/usr/bin/env bash
# CI: the addon built with only the code paths every Unix has (BSD_FORCE_PORTABLE: no accept4, no
# SOCK_NONBLOCK/SOCK_CLOEXEC flags, no MSG_NOSIGNAL, no recvmmsg/sendmmsg), so that what macOS and
# the BSDs run is compiled and tested on Linux too; then the whole mocha suite against that build.
# Prints the suite's "N passed, M failed, K skipped" line. The build goes to build-portable/.
set -uo pipefail
cd "$(dirname "$0")/.."

fail() { echo "ci-portable: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# The Node headers installed with node, when there are any: nothing is downloaded.
if [ -z "${npm_config_nodedir:-}" ]; then
  nodedir=$(dirname "$(dirname "$(command -v node)")")
  [ -f "$nodedir/include/node/node_api.h" ] && export npm_config_nodedir=$nodedir
fi

out=build-portable
addon=$PWD/$out/Release/bsd_sockets.node
timeout 300 node_modules/.bin/cmake-js compile --out "$out" --CDPORTABLE=ON >"$out.log" 2>&1 \
  || { tail -30 "$out.log" >&2; fail "the portable build failed (see $out.log)"; }
rm -f "$out.log"
[ -f "$addon" ] || fail "the portable build made no $addon"
grep -q 'BSD_FORCE_PORTABLE' "$out/compile_commands.json" 2>/dev/null || fail "$addon was not built with -DBSD_FORCE_PORTABLE"

[ -f dist/test/features.test.js ] || npm run build:ts >/dev/null || fail "npm run build:ts failed"

echo "the portable build: $addon"
# features.test.js checks that this is the build loaded (features.portable, no accept4, no mmsg).
BSD_SOCKETS_ADDON="$addon" BSD_SOCKETS_EXPECT_PORTABLE=1 \
  timeout 600 node node_modules/mocha/bin/mocha.js 'dist/test/**/*.test.js'
rc=$?
[ $rc = 124 ] && fail "the suite against the portable build timed out"
exit $rc
