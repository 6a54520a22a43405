#!/usr/bin/env bash
# CI: libFuzzer on the pure parsers of native/parse.h (address literals, Unix paths, address blobs,
# received ancillary data), with AddressSanitizer and UBSan. Each fuzzer runs for a bounded time
# (FUZZ_SECONDS, default 30) from the seed corpus in fuzz/corpus/; one "test" per fuzzer in the
# closing "N passed, M failed" line. A longer run: see fuzz/README.md.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
fuzzers=(address cmsg)

if ! command -v clang++ >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing clang"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq clang >/dev/null
  fi
fi
if ! command -v clang++ >/dev/null; then
  echo "clang++ is not available: cannot build the fuzzers"
  echo "0 passed, ${#fuzzers[@]} failed"
  exit 1
fi

work=$(mktemp -d)
out=$work
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
for name in "${fuzzers[@]}"; do
  echo "--- ${name}_fuzzer: build"
  if ! clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -Wall -Wextra -o "$out/${name}_fuzzer" "fuzz/${name}_fuzzer.cc"; then
    echo "✘ ${name}_fuzzer: does not build"
    failed=$((failed + 1))
    continue
  fi
  mkdir -p "$work/$name"
  echo "--- ${name}_fuzzer: ${seconds} s"
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$out/${name}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/$name" "fuzz/corpus/$name" >"$work/$name.log" 2>&1
  rc=$?
  grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$work/$name.log"
  if [ "$rc" = 0 ] && ! grep -qE 'ERROR: (AddressSanitizer|libFuzzer)|runtime error:' "$work/$name.log"; then
    echo "✔ ${name}_fuzzer: no crash, no sanitizer report"
    passed=$((passed + 1))
  else
    echo "✘ ${name}_fuzzer: failed (exit code $rc)"
    tail -60 "$work/$name.log"
    for crash in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
      [ -f "$crash" ] && { echo "input $crash:"; od -A d -t x1 "$crash" | head -20; }
    done
    failed=$((failed + 1))
  fi
done
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
