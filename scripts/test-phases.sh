#!/usr/bin/env bash
# Runs test files in phases (scripts/test.sh runs this under c8, which merges the coverage of every phase), then
# prints one summary of all of them in node --test's format.
# Usage: test-phases.sh [--list] FILE|GLOB...   (--list: print each file's group, run nothing)
#
#   unit         test/unit/**: no servers. One file at a time, beside the exclusive integration files, which
#                mostly wait on controllers (a CI run measured them at 0.4 of a core): the unit files' CPU fits
#                in the other core instead of competing with the shared files, which keep both busy.
#   integration  test/integration/** files that share the environment safely: each uses its own namespaces,
#                server namespace (so its node agents and servers never see another file's PodVolumeBackups,
#                Restores or Leases), bucket prefix and uniquely named cluster-scoped objects. Two files at a
#                time (SKIFF_TEST_CONCURRENCY). node --test sorts its files by path, whatever order they are given
#                in, so the slow volumes/ files come last (a CI run: their tail is ~3 min of one file alone).
#   lane NAME    integration files that are safe beside the shared ones but not beside each other (a line
#                `// test-lane: NAME <why>`): one at a time, beside the integration group. The lanes run one
#                after another, in one slot (at most CONCURRENCY + 1 files at once). E.g. the tenant files:
#                each one's server executes every TenantBackup in the cluster, which `skiff server` processes
#                of other files leave alone (tests start them with tenant operations off); the cluster-b files:
#                only they use cluster B (a file that uses it without that lane line is exclusive).
#   exclusive    integration files that change what every other file depends on, one at a time, alone.
#
# On a warm cache (build.sh --check) there is one integration group and one exclusive group, in the full
# environment. On a cold one each runs twice: first their "core" files, in an environment without the CSI stack
# (up.sh's SKIFF_TESTENV_CORE=1), then the rest (integration-late, exclusive-late), once up.sh has added the CSI
# stack. The core files need only Kubernetes, etcd, kwok and MinIO, built first: they run while the CSI sidecars,
# kopia and Helm build (a third of the build). A file is late when it matches LATE_PATTERN (CSI, node agents,
# kopia, restic, Helm; cluster B only with CSI). A core file that uses CSI, kopia or Helm fails at once on a cold
# cache (the core environment has no CSI keys, and its binary folder only the core binaries); SKIFF_TEST_SPLIT=1
# runs the cold-cache groups on a warm cache too, to check a new file's group.
#
# A file is exclusive when it has a line `// exclusive-test: <why>` or uses one of EXCLUSIVE_PATTERN (a net for
# new files). Mark a new integration file exclusive when it:
#   - stops or restarts a shared component (stopCsiDriver, MinIO, the API server), or uses cluster B outside
#     the cluster-b lane;
#   - creates or deletes CRDs other than its own uniquely named ones while other files may be listing
#     (a CRD deleted mid-backup makes another file's backup PartiallyFailed: "cannot list ..."), or runs
#     `skiff install`/`uninstall` (cluster-wide CRDs and RBAC);
#   - registers webhooks or APIServices (they can refuse or hide other files' objects);
#   - asserts on timing that a loaded neighbour could break (leader-election lease durations);
#   - creates or deletes thousands of namespaces (the namespace controller slows for everyone), or asserts on
#     cluster-wide contents.
# Everything else is shared. See docs/testing.md.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# The pinned Node 24 even when run as `bash scripts/test-phases.sh` from a shell whose own Node is older
# (Node 20 has no --test-global-setup and is too old for undici).
export PATH="$ROOT/node_modules/.bin:$PATH"
EXCLUSIVE_PATTERN='^// exclusive-test:|stopCsiDriver|apiregistration\.k8s\.io|webhookconfigurations|delete\(CRDS|deleteRestoreSource'
LATE_PATTERN='\bcsi\b|Csi|CSI|kopia|restic|NodeAgent|nodeAgent|node-agent|[Uu]ploader|helm|VolumeSnapshot(Class|Content)?\b|snapshot\.storage|[Ff]sBackup|PodVolume'
CONCURRENCY=${SKIFF_TEST_CONCURRENCY:-2}

LANE_PATTERN='^// test-lane: [a-z0-9-]+'
# Cluster B is shared only by the files of this lane: another file that uses it is exclusive (a net for new files).
CLUSTER_B_LANE='^// test-lane: cluster-b( |$)'

list=0
if [ "${1:-}" = --list ]; then list=1; shift; fi
shopt -s globstar nullglob
unit=() shared_core=() exclusive_core=() shared=() exclusive=() lane_core=() lane=()
for arg in "$@"; do
  # shellcheck disable=SC2206 # an argument may be a glob ('test/unit/**/*.test.ts'): expand it here
  matches=($arg)
  [ ${#matches[@]} -gt 0 ] || { echo "test-phases: no file matches $arg" >&2; exit 1; }
  for f in "${matches[@]}"; do
    case "$f" in
      test/unit/* | */test/unit/*) unit+=("$f") ;;
      *)
        late=0; grep -qE "$LATE_PATTERN" "$f" && late=1
        if grep -qE "$EXCLUSIVE_PATTERN" "$f" || { grep -q testClusterB "$f" && ! grep -qE "$CLUSTER_B_LANE" "$f"; }; then
          if [ "$late" = 1 ]; then exclusive+=("$f"); else exclusive_core+=("$f"); fi
        elif grep -qE "$LANE_PATTERN" "$f"; then
          if [ "$late" = 1 ]; then lane+=("$f"); else lane_core+=("$f"); fi
        elif [ "$late" = 1 ]; then shared+=("$f")
        else shared_core+=("$f"); fi ;;
    esac
  done
done
# The lanes: their files by lane name (a lane's files run one at a time; lanes run beside each other).
lane_names() { for f in "$@"; do grep -m1 -oE "$LANE_PATTERN" "$f" | awk '{ print $3 }'; done | sort -u; }
lane_files() { local name=$1 f; shift; for f in "$@"; do grep -qE "^// test-lane: $name( |$)" "$f" && echo "$f"; done; }

if [ "$list" = 1 ]; then
  for f in "${unit[@]}"; do echo "unit $f"; done
  for f in "${shared_core[@]}"; do echo "integration-core $f"; done
  for f in "${lane_core[@]}"; do echo "lane-core:$(lane_names "$f") $f"; done
  for f in "${exclusive_core[@]}"; do echo "exclusive-core $f"; done
  for f in "${shared[@]}"; do echo "integration-late $f"; done
  for f in "${lane[@]}"; do echo "lane-late:$(lane_names "$f") $f"; done
  for f in "${exclusive[@]}"; do echo "exclusive-late $f"; done
  exit 0
fi

common=(--import tsx --test --test-reporter=spec --test-reporter-destination=stdout --test-timeout=600000)
# Each phase's per-file times (scripts/test-file-times.mjs), slowest first; the slowest are printed after it.
times_dir=${SKIFF_TEST_TIMES_DIR:-$ROOT/coverage}
mkdir -p "$times_dir"
setup=(--test-global-setup=test/integration/global-setup.ts)
summary=$(mktemp) cpu_file=$(mktemp)
trap 'rm -f "$summary" "$cpu_file"' EXIT
rc=0
start=$(date +%s%N)

# CPU seconds (user + system) of this script's finished children and theirs: the test processes, the servers and
# node agents they start, kopia, restic. Printed per phase beside the wall time: on a shared or loaded machine
# the wall time says little, and the CPU time says how much of a phase is work rather than waiting.
# `times` runs in this shell (never in a pipe or $(...): a subshell has no finished children of its own). Each
# (sub)shell writes its own file: a background phase sharing one with the foreground read the other's figures.
child_cpu() {
  local f="$cpu_file.$BASHPID"
  times >"$f"
  CPU=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } print s }' "$f")
  rm -f "$f"
}

# phase NAME CONCURRENCY NODE-ARGS... -- FILES...: runs one node --test, keeps its summary lines.
phase() {
  local name=$1 conc=$2; shift 2
  local args=() out
  while [ "$1" != -- ]; do args+=("$1"); shift; done; shift
  [ $# -gt 0 ] || return 0
  echo "== tests ($name, $# files, $conc at a time)"
  local t0 c0; t0=$(date +%s); child_cpu; c0=$CPU
  out=$(mktemp)
  node "${common[@]}" --test-reporter=./scripts/test-file-times.mjs --test-reporter-destination="$times_dir/test-times-$name.tsv" \
    "${args[@]}" --test-concurrency="$conc" "$@" 2>&1 | tee "$out"
  local prc=${PIPESTATUS[0]}
  child_cpu
  [ "$prc" -eq 0 ] || rc=$prc
  grep -E '^ℹ (tests|suites|pass|fail|cancelled|skipped|todo) [0-9]+$' "$out" >> "$summary"
  rm -f "$out"
  echo "== tests ($name): $(( $(date +%s) - t0 )) s, $(awk -v a="$c0" -v b="$CPU" 'BEGIN { printf "%.0f", b - a }') CPU s, exit $prc; slowest files (wall s, tests s; all in $times_dir/test-times-$name.tsv):"
  sed -n '2,9p' "$times_dir/test-times-$name.tsv" 2>/dev/null | sed 's/^/   /' || true
}

# A phase in the background, its output kept for when it is waited for (bg_start NAME PHASE-ARGS...; bg_wait).
bg_pids=() bg_outs=()
bg_start() {
  local out; out=$(mktemp)
  ( rc=0; phase "$@"; exit "$rc" ) > "$out" 2>&1 &
  bg_pids+=($!) bg_outs+=("$out")
}
bg_wait() {
  local i
  for i in "${!bg_pids[@]}"; do
    wait "${bg_pids[$i]}" || rc=$?
    cat "${bg_outs[$i]}"; rm -f "${bg_outs[$i]}"
  done
  bg_pids=() bg_outs=()
}
# lanes: each lane of LANE_FILES in turn, its files one at a time (one phase per lane, for its times and summary).
lanes() {
  local l files
  for l in $(lane_names "${LANE_FILES[@]}"); do
    mapfile -t files < <(lane_files "$l" "${LANE_FILES[@]}")
    phase "lane-$l" 1 "${setup[@]}" -- "${files[@]}"
  done
}
# integration_group NAME FILES...: the shared files, with the lanes of LANE_FILES beside them, in one slot: the
# lanes together are much shorter than the shared files (a CI run: the tenant lane 605 s beside 1,266 s).
integration_group() {
  local name=$1 out; shift
  if [ ${#LANE_FILES[@]} -gt 0 ]; then
    out=$(mktemp)
    ( rc=0; lanes; exit "$rc" ) > "$out" 2>&1 &
    bg_pids+=($!) bg_outs+=("$out")
  fi
  phase "$name" "$CONCURRENCY" "${setup[@]}" -- "$@"
  bg_wait
}

# The integration groups share one environment: started here if needed (global-setup then finds it up and leaves
# it running), stopped at the end only if it was not running before.
if [ $((${#shared_core[@]} + ${#exclusive_core[@]} + ${#shared[@]} + ${#exclusive[@]} + ${#lane_core[@]} + ${#lane[@]})) -eq 0 ]; then
  phase unit "$CONCURRENCY" -- "${unit[@]}"
else
  envdir=${SKIFF_TESTENV_RUN:-$ROOT/.testenv}
  if [ -f "$envdir/env" ]; then was_up=1; else was_up=0; fi
  if [ "$was_up" = 0 ] && [ -z "${SKIFF_KEEP_TESTENV:-}" ]; then
    trap 'rm -f "$summary" "$cpu_file"; bash "$ROOT/scripts/testenv/down.sh" >/dev/null 2>&1 || true' EXIT
  fi
  export SKIFF_KEEP_TESTENV=1
  if [ -z "${SKIFF_TEST_SPLIT:-}" ] && bash scripts/testenv/build.sh --check; then
    # Warm cache: one integration group and one exclusive group in the full environment. (If up.sh fails, the
    # first group's global setup tries again and fails the run with the reason.)
    bash scripts/testenv/up.sh >/dev/null || true
    LANE_FILES=("${lane_core[@]}" "${lane[@]}")
    integration_group integration "${shared_core[@]}" "${shared[@]}"
    [ ${#unit[@]} -eq 0 ] || bg_start unit 1 -- "${unit[@]}"
    phase exclusive 1 "${setup[@]}" -- "${exclusive_core[@]}" "${exclusive[@]}"
    bg_wait
  else
    # Cold cache: the core groups in an environment without the CSI stack while the rest builds, then the late
    # groups once up.sh has added it. The unit files start with the first exclusive group and run on beside the
    # late groups when they outlast it.
    SKIFF_TESTENV_CORE=1 bash scripts/testenv/up.sh >/dev/null || true
    LANE_FILES=("${lane_core[@]}")
    SKIFF_TESTENV_CORE=1 integration_group integration-core "${shared_core[@]}"
    unit_pid='' unit_out=''
    if [ ${#unit[@]} -gt 0 ]; then
      unit_out=$(mktemp)
      ( rc=0; phase unit 1 -- "${unit[@]}"; exit "$rc" ) > "$unit_out" 2>&1 &
      unit_pid=$!
    fi
    SKIFF_TESTENV_CORE=1 phase exclusive-core 1 "${setup[@]}" -- "${exclusive_core[@]}"
    LANE_FILES=("${lane[@]}")
    integration_group integration-late "${shared[@]}"
    phase exclusive-late 1 "${setup[@]}" -- "${exclusive[@]}"
    if [ -n "$unit_pid" ]; then
      wait "$unit_pid" || rc=$?
      cat "$unit_out"; rm -f "$unit_out"
    fi
  fi
fi

# One summary for all phases, in the runner's own format (scripts/test.sh and CI read it).
echo
for k in tests suites pass fail cancelled skipped todo; do
  echo "ℹ $k $(awk -v k="$k" '$2 == k { s += $3 } END { print s + 0 }' "$summary")"
done
echo "ℹ duration_ms $(( ($(date +%s%N) - start) / 1000000 ))"
exit "$rc"
