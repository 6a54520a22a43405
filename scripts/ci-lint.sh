#!/usr/bin/env bash
# CI: ESLint over lib/, test/ and examples/ (promise rules, unused names, imports point down) and
# clang-tidy over native/ (bug patterns, the analyzer, unchecked C library results), both with
# warnings as errors. Prints one "N passed, M failed" line: one check per tool.
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0
if node_modules/.bin/eslint --max-warnings 0 lib test examples; then
  echo "eslint: clean"; passed=$((passed + 1))
else
  echo "eslint: the problems above"; failed=$((failed + 1))
fi
if ! command -v clang-tidy >/dev/null; then
  echo "clang-tidy: not installed (apt-get install clang-tidy)"; failed=$((failed + 1))
else
  nodeinc=$(node -p "require('path').join(process.execPath, '../../include/node')")
  [ -f "$nodeinc/node_api.h" ] || nodeinc=/usr/include/node
  addon=$(node -p "require('node-addon-api').include_dir")
  out=$(mktemp)
  clang-tidy --quiet native/*.cc -- -x c++ -std=c++17 -I"$nodeinc" -I"$addon" -DNAPI_VERSION=8 \
    -DNODE_ADDON_API_CPP_EXCEPTIONS -DNODE_ADDON_API_CPP_EXCEPTIONS_ALL \
    -DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS > "$out" 2>&1
  rc=$?
  grep -v 'warnings\? generated' "$out"; rm -f "$out"
  if [ "$rc" = 0 ]; then
    echo "clang-tidy: clean"; passed=$((passed + 1))
  else
    echo "clang-tidy: the problems above"; failed=$((failed + 1))
  fi
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
