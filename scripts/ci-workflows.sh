#!/usr/bin/env bash
# CI: every workflow in .github/workflows/ is valid against the GitHub Actions schema, checked with
# action-validator (@action-validator/cli, a devDependency). First a workflow with a misspelt key
# must be refused, so that a validator that accepts anything cannot pass. Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
validator=node_modules/.bin/action-validator
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

if [ ! -x "$validator" ]; then
  echo "no $validator: run npm ci"
  echo "0 passed, 1 failed"
  exit 1
fi

bad=$(mktemp --suffix=.yml)
trap 'rm -f "$bad"' EXIT
printf 'name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n' >"$bad"
if "$validator" "$bad" >/dev/null 2>&1; then fail "a workflow with a misspelt key is refused"; else pass "a workflow with a misspelt key is refused"; fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
[ ${#workflows[@]} -gt 0 ] || fail "there is a workflow in .github/workflows/"
for wf in "${workflows[@]}"; do
  if out=$("$validator" "$wf" 2>&1); then pass "$wf"; else fail "$wf"; echo "$out" | head -n 40 | sed 's/^/    /'; fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
