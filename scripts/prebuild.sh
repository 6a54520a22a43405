#!/usr/bin/env bash
# npm run prebuild: the Node-API binaries the package ships, made with prebuildify into
# prebuilds/<platform>-<arch>/ (one binary serves every Node version from 20 on). Always the
# machine's own; on Linux x64 also linux-arm64 (glibc), cross-compiled with Debian's
# g++-aarch64-linux-gnu and stripped with its aarch64-linux-gnu-strip.
#   BSD_SOCKETS_PREBUILD_ARM64=auto  (default) cross-build when the cross compiler is on the PATH
#   BSD_SOCKETS_PREBUILD_ARM64=1     cross-build, and fail when the cross compiler is missing
#   BSD_SOCKETS_PREBUILD_ARM64=0     only the machine's own binary
# Runs from npm (prebuildify on the PATH), in the package's root.
set -euo pipefail

prebuildify --napi --strip --tag-libc

cross=${BSD_SOCKETS_PREBUILD_ARM64:-auto}
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && [ "$cross" != 0 ] || exit 0
if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v aarch64-linux-gnu-strip >/dev/null; then
  msg="no aarch64-linux-gnu-g++ / aarch64-linux-gnu-strip (Debian: g++-aarch64-linux-gnu binutils-aarch64-linux-gnu)"
  if [ "$cross" = 1 ]; then echo "prebuild: $msg" >&2; exit 1; fi
  echo "prebuild: $msg: skipping the linux-arm64 binary" >&2
  exit 0
fi
CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
  prebuildify --napi --strip --tag-libc --arch arm64 --strip-bin aarch64-linux-gnu-strip
