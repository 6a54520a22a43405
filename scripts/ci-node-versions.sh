#!/usr/bin/env bash
# CI: the whole mocha suite again under the newest Node the npm registry has (its binary package
# node-<platform>-<arch>), against the prebuild made under the default node: one Node-API binary
# for every Node version. Prints the suite's "N passed, M failed, K skipped" line.
#   BSD_SOCKETS_NODE_VERSION=24   another version or range (default: latest)
#   BSD_SOCKETS_NODE_CACHE=dir    where the Node binaries are kept (default: ~/.cache/bsd-sockets/node)
# If the newest Node does not run on this OS, the newest release of each older major is tried.
set -uo pipefail
cd "$(dirname "$0")/.."

fail() { echo "ci-node-versions: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

tuple=$(node -p 'process.platform + "-" + process.arch')
pkg="node-$tuple"
wanted=${BSD_SOCKETS_NODE_VERSION:-latest}
cache=${BSD_SOCKETS_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bsd-sockets/node}
mkdir -p "$cache" || fail "cannot create $cache"

# install VERSION: the node binary of that exact version, from the cache or the registry.
install() {
  local dir="$cache/$1" bin="$cache/$1/node_modules/$pkg/bin/node"
  if [ ! -x "$bin" ]; then
    rm -rf "$dir"
    timeout 180 npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
      "$pkg@$1" >"$cache/install-$1.log" 2>&1 || { echo "could not install $pkg@$1 (see $cache/install-$1.log)" >&2; return 1; }
  fi
  echo "$bin"
}

if [ "$wanted" = latest ]; then query=(versions); else query=(); fi
versions=$(timeout 60 npm view "$pkg@$wanted" "${query[@]:-version}" --json 2>/dev/null | node -e '
  let v = JSON.parse(require("fs").readFileSync(0, "utf8") || "[]");
  v = [].concat(v).filter((s) => /^\d+\.\d+\.\d+$/.test(s)).sort((a, b) => { const [x, y] = [a, b].map((s) => s.split(".").map(Number));
    return y[0] - x[0] || y[1] - x[1] || y[2] - x[2]; });
  // the newest of each major, newest first: the fallbacks when a newer Node refuses this OS
  const seen = new Set(); console.log(v.filter((s) => !seen.has(s.split(".")[0]) && seen.add(s.split(".")[0])).slice(0, 4).join(" "));
') || true
[ -n "$versions" ] || fail "no $pkg@$wanted in the npm registry"

NODE=""
for v in $versions; do
  bin=$(install "$v") || continue
  if out=$("$bin" -e 'console.log(process.version)' 2>&1); then NODE=$bin; break; fi
  echo "Node $v does not run on this OS: $out" >&2
done
[ -n "$NODE" ] || fail "none of $versions runs here"
default_version=$(node -p process.version)
new_version=$("$NODE" -p process.version)

# The compiled tests and the prebuild, made with the default node (as CI has them after npm test).
[ -f dist/test/prebuild.js ] || npm run build:ts >/dev/null || fail "npm run build:ts failed"
prebuild=$(timeout 330 node dist/test/prebuild.js) || fail "no prebuild"
[ -f "$prebuild" ] || fail "no prebuild at $prebuild"

# The new node must load that very file: it is the only addon the process maps.
BSD_SOCKETS_ADDON="$prebuild" "$NODE" -e '
  require("./dist/lib/index.js");
  const maps = require("fs").readFileSync("/proc/self/maps", "utf8");
  const addons = new Set(maps.split("\n").map((l) => l.trim().split(/\s+/)[5]).filter((p) => p && p.endsWith(".node")));
  if (addons.size !== 1 || !addons.has(process.argv[1])) { console.error("loaded", [...addons]); process.exit(1); }
' "$prebuild" || fail "Node $new_version did not load $prebuild"

echo "Node $new_version, with the prebuild made under Node $default_version: $prebuild"
# Child processes of the tests that run "node" get the new one too.
BSD_SOCKETS_ADDON="$prebuild" PATH="$(dirname "$NODE"):$PATH" \
  timeout 600 "$NODE" node_modules/mocha/bin/mocha.js 'dist/test/**/*.test.js'
rc=$?
[ $rc = 124 ] && fail "the suite under Node $new_version timed out"
exit $rc
