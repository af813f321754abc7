#!/usr/bin/env bash
# The one test command (`npm test`): type-check, lint, build, unit and integration tests with coverage.
# Integration tests run against the real environment of scripts/testenv (started if needed).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
files=("$@")
[ ${#files[@]} -gt 0 ] || files=('test/unit/**/*.test.ts' 'test/integration/**/*.test.ts')
# The test environment's binaries (scripts/testenv/build.sh): on a cold cache 15-20 min of Go module
# downloads and builds. Started now, in the background, so they overlap npm ci, the type-check, lint,
# build and the unit tests. build.sh holds the cache lock while it builds, and up.sh (run by the
# integration tests' global setup) calls build.sh again: it waits for the lock, and finds everything
# built, or re-runs a step that failed here, failing with that step's message. Warm: under a second.
envbuild_log=$(mktemp) envbuild_pid=
if [[ " ${files[*]}" == *" test/integration"* ]] && command -v go >/dev/null && command -v flock >/dev/null && command -v setsid >/dev/null; then
  # Its own process group (setsid), so that the exit trap can stop the build and the go commands it runs;
  # its step lines go to the output as it runs, and to a log for the exit trap.
  setsid bash -c 'bash scripts/testenv/build.sh 2>&1 >/dev/null | tee "$1" >&2; echo "${PIPESTATUS[0]}" >"$1.rc"' _ "$envbuild_log" &
  envbuild_pid=$!
fi
# On exit: stop a background build still running (e.g. the type-check failed), or show why it failed.
envbuild_end() {
  if [ -n "$envbuild_pid" ]; then
    if [ ! -f "$envbuild_log.rc" ]; then
      kill -- -"$envbuild_pid" 2>/dev/null || true
    elif [ "$(cat "$envbuild_log.rc")" != 0 ]; then
      echo "== the background test-environment build failed:" >&2; tail -n 20 "$envbuild_log" >&2
    fi
  fi
  rm -f "$envbuild_log" "$envbuild_log.rc"
}
trap envbuild_end EXIT
bash scripts/ensure-deps.sh
export PATH="$ROOT/node_modules/.bin:$PATH"
echo "== node $(node --version)"
echo "== typecheck"; tsc --noEmit -p .
echo "== lint"; eslint --max-warnings=0 . && prettier --check . >/dev/null || { prettier --check . ; exit 1; }
# The CLI integration tests run bin/skiff.mjs, which runs the bundle only when it is up to date:
# build it so they exercise the code users run, not the tsx fallback. c8 leaves the bundle out of
# the report (--include src/**): remapped through its source map, it would show as all covered.
echo "== build"; node --import tsx scripts/build.ts
# Integration tests two files at a time (and the tenant lane beside them), then the exclusive ones alone with the unit
# tests beside them (scripts/test-phases.sh says which are which, and how to mark a new file); c8 merges the coverage of every process of every phase.
# --merge-async: the raw coverage of every process is over 3 GB by now; merged all at once it passed Node's
# default 4 GB heap and aborted the run after every test had passed. Merged one file at a time: ~40 s, ~550 MB.
echo "== tests: ${files[*]}"
out=$(mktemp)
set +e
c8 --merge-async --reporter=text-summary --reporter=lcov --reports-dir=coverage --include='src/**' \
  bash scripts/test-phases.sh "${files[@]}" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
# The reporter prints each phase's failures right after that phase, far above the end of a 20-minute run; a
# reader of the output's tail (CI keeps the tail) would see only that something failed. Repeat them here, without
# stack frames, before the closing summary.
failures=$(awk '/^✖ failing tests:/ { on = 1; next } on && (/^ℹ / || /^== /) { on = 0 } on && !/^ +at / { print }' "$out" | head -n 120) || true
if [ -n "$failures" ]; then echo; echo "== failing tests (repeated from above, without stack frames):"; echo "$failures"; fi
# c8 prints coverage after test-phases.sh's summary of all phases; repeat that summary so the output ends with it.
echo; summary=$(grep -E '^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$out" | tail -n 8)
echo "$summary"
if ! grep -qE '^ℹ tests [1-9]' <<<"$summary"; then echo "no test ran" >&2; rc=1; fi
rm -f "$out"
exit "$rc"
