#!/usr/bin/env bash
# CI: the API documentation builds from the TSDoc comments with no warning (every public name
# documented). Prints one "N passed, M failed" line.
cd "$(dirname "$0")/.."
if out=$(node_modules/.bin/typedoc --treatWarningsAsErrors --emit none 2>&1); then
  echo "typedoc: every public name is documented"
  echo "1 passed, 0 failed"
else
  echo "$out" | grep -v 'Unknown user config' | tail -40
  echo "0 passed, 1 failed"
  exit 1
fi
