#!/usr/bin/env bash
# Starts cluster B beside a running test environment (up.sh): a second control plane with two
# kwok nodes in zones zone-c and zone-d of region skiff-region-2, for cross-cluster tests. It
# shares MinIO with cluster A, has no pod agent and no default StorageClass. Appends its keys
# (SKIFF_B_*) to <run>/env; down.sh stops it with the rest. Idempotent. See docs/testenv.md.
# With --csi, cluster B also gets the CSI test stack (csi.sh; SKIFF_B_CSI=1), also when it is already up.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/scripts/testenv/versions.env"
WANT_CSI=0; [ "${1:-}" = --csi ] && WANT_CSI=1
b_up() {
  env_alive && grep -q '^SKIFF_B_KUBECONFIG=' "$RUN/env" 2>/dev/null &&
    { [ "$WANT_CSI" = 0 ] || grep -q '^SKIFF_B_CSI=1' "$RUN/env"; }
}
if b_up; then say "cluster B already up"; echo "$RUN/env"; exit 0; fi
exec 8>"$RUN.lock"; flock 8
if b_up; then say "cluster B already up"; echo "$RUN/env"; exit 0; fi
STEP="check cluster A"
{ env_alive && [ -f "$RUN/env" ]; } || die "the test environment is not up at $RUN: run scripts/testenv/up.sh (npm run env:up) first"
t0=$(date +%s.%N)
BIN=$(sed -n 's/^SKIFF_TESTENV_BIN=//p' "$RUN/env")
export PATH="$BIN:$ROOT/node_modules/.bin:$PATH"
CACHE=${SKIFF_TESTENV_CACHE:-$HOME/.cache/skiff-testenv}
KWOKMOD=$CACHE/gomod/sigs.k8s.io/kwok@v$KWOK
. "$ROOT/scripts/testenv/cluster.sh"
. "$ROOT/scripts/testenv/csi.sh"

# On failure stop only what this script started: cluster A keeps running.
KEEP=$(wc -l < "$RUN/pids")
trap 'if [ $? -ne 0 ]; then say "cluster B failed to start; stopping it"; stop_recorded "$KEEP"; unmount_under "$RUN/cluster-b"; fi' EXIT
if ! grep -q '^SKIFF_B_KUBECONFIG=' "$RUN/env"; then
  rm -rf "$RUN/cluster-b"
  start_cluster "$RUN/cluster-b" b- skiff-region-2 kwok-b-node-0=zone-c kwok-b-node-1=zone-d

  STEP="cluster B: write env file"
  cat >> "$RUN/env" <<EV
SKIFF_B_KUBECONFIG=$RUN/cluster-b/admin.kubeconfig
SKIFF_B_NODES=$CLUSTER_NODES
SKIFF_B_REGION=skiff-region-2
SKIFF_B_ZONES=$CLUSTER_ZONES
EV
fi
if [ "$WANT_CSI" = 1 ]; then
  B_NODES=$(sed -n 's/^SKIFF_B_NODES=//p' "$RUN/env")
  start_csi "$RUN/cluster-b" b- ${B_NODES//,/ }
  wait_csi "$RUN/cluster-b" b- ${B_NODES//,/ }
  echo "SKIFF_B_CSI=1" >> "$RUN/env"
fi
trap - EXIT
say "cluster B up in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s: $(kubectl --kubeconfig="$RUN/cluster-b/admin.kubeconfig" get nodes --no-headers | wc -l) nodes"
echo "$RUN/env"
