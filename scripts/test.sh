#!/usr/bin/env bash
# The one test command (`npm test`): type-check, lint, build, unit and integration tests with coverage.
# Integration tests run against the real environment of scripts/testenv (started if needed).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash scripts/ensure-deps.sh
export PATH="$ROOT/node_modules/.bin:$PATH"
echo "== node $(node --version)"
echo "== typecheck"; tsc --noEmit -p .
echo "== lint"; eslint --max-warnings=0 . && prettier --check . >/dev/null || { prettier --check . ; exit 1; }
# The CLI integration tests run bin/skiff.mjs, which runs the bundle only when it is up to date:
# build it so they exercise the code users run, not the tsx fallback. c8 leaves the bundle out of
# the report (--include src/**): remapped through its source map, it would show as all covered.
echo "== build"; node --import tsx scripts/build.ts
files=("$@")
[ ${#files[@]} -gt 0 ] || files=('test/unit/**/*.test.ts' 'test/integration/**/*.test.ts')
echo "== tests: ${files[*]}"
out=$(mktemp)
set +e
c8 --reporter=text-summary --reporter=lcov --reports-dir=coverage --include='src/**' \
  node --import tsx --test --test-global-setup=test/integration/global-setup.ts --test-reporter=spec \
  --test-timeout=600000 "${files[@]}" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
# c8 prints coverage after the runner's summary; repeat the summary so the output ends with it.
echo; grep -E '^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$out" | tail -n 8
if ! grep -qE '^ℹ tests [1-9]' "$out"; then echo "no test ran" >&2; rc=1; fi
rm -f "$out"
exit "$rc"
