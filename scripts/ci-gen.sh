#!/usr/bin/env bash
# Regenerates the generated sources (native/constants.cc, lib/binding/constants.ts) from the committed
# name lists in native/names/ and fails on any difference from what is committed.
set -u
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! python3 scripts/gen-constants.py --out "$out"; then
  echo "gen: the generator failed"
  echo "0 passed, 1 failed"
  exit 1
fi
status=0
for f in native/constants.cc lib/binding/constants.ts; do
  if ! diff -u "$f" "$out/$f" > "$out/diff.txt"; then
    echo "gen: $f differs from what scripts/gen-constants.py writes (run: npm run gen)"
    head -40 "$out/diff.txt"
    status=1
  fi
done
if [ "$status" -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit "$status"
