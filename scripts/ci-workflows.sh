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
# What the README promises of the hosted workflow: darwin prebuilds built and tested on macOS
# runners, Alpine built from source with only g++, make and python3, one release tarball that
# gathers the prebuild of every tuple the test matrix builds.
promises=$(node - .github/workflows/ci.yml <<'JS'
const yaml = require('js-yaml');
const wf = yaml.load(require('fs').readFileSync(process.argv[2], 'utf8'));
const jobs = wf.jobs || {};
const runs = (job) => (job?.steps || []).map((step) => step.run || '').join('\n');
const test = jobs.test;
const tuples = test?.strategy?.matrix?.include || [];
const release = jobs.release;
const needs = [].concat(release?.needs || []);
const alpine = Object.values(jobs).find((job) => /alpine/.test(String(job.container?.image ?? job.container ?? '')));
const out = [];
const check = (ok, what) => out.push(`${ok ? 'PASS' : 'FAIL'} ${what}`);
for (const arch of ['x64', 'arm64']) {
  const entry = tuples.find((t) => t.tuple === `darwin-${arch}`);
  check(entry && /^macos-/.test(entry.os), `darwin-${arch} is built on a macOS runner`);
}
check(/npm test/.test(runs(test)) && /npm run prebuild/.test(runs(test)), 'each runner runs mocha (npm test) and builds its prebuild');
check(needs.includes('test') && /download-artifact/.test(JSON.stringify(release?.steps)), 'the release job gathers the prebuilds of the test job');
check(tuples.length > 0 && tuples.every((t) => runs(release).includes(t.tuple)),
  `the release tarball is checked for every tuple (${tuples.map((t) => t.tuple).join(', ')})`);
check(alpine && /apk add[^\n]*\bg\+\+/.test(runs(alpine)) && /\bmake\b/.test(runs(alpine)) && /python3/.test(runs(alpine)) && /npm test/.test(runs(alpine)),
  'an Alpine job builds from source with g++, make and python3 and runs npm test');
console.log(out.join('\n'));
JS
) || promises="FAIL the workflow's promises could not be read"
while IFS= read -r line; do
  case "$line" in PASS\ *) pass "${line#PASS }" ;; *) fail "${line#FAIL }" ;; esac
done <<<"$promises"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
