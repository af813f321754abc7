#!/usr/bin/env bash
# Starts a real local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler), kwok with 3 simulated nodes, MinIO with a bucket, the pod agent and the CSI test
# stack (csi.sh), all on
# 127.0.0.1 with free ports. Writes <run>/env for tests and people. Idempotent: a running
# environment is reused. See docs/testenv.md.
#
# SKIFF_TESTENV_CORE=1: everything but the CSI stack, from the core binaries only (build.sh --core: no CSI
# sidecars, kopia or Helm), so that on a cold cache the tests that need none of them (scripts/test-phases.sh's
# core groups) run while the rest builds. The env file then says SKIFF_TESTENV_CORE=1, has no SKIFF_CSI_* keys,
# and its SKIFF_TESTENV_BIN holds only the core binaries (a test that needs another fails at once, cold or warm).
# A later run without it adds the CSI stack to that environment (waiting for the build) and completes the env file.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/scripts/testenv/versions.env"
CORE=${SKIFF_TESTENV_CORE:-0}
mkdir -p "$(dirname "$RUN")"
# Up, and with the CSI stack unless only the core is asked for.
up_as_asked() { env_alive && [ -f "$RUN/env" ] && { [ "$CORE" = 1 ] || ! grep -q '^SKIFF_TESTENV_CORE=1' "$RUN/env"; }; }
if up_as_asked; then say "already up (run folder $RUN)"; echo "$RUN/env"; exit 0; fi
exec 8>"$RUN.lock"; flock 8
if up_as_asked; then say "already up (run folder $RUN)"; echo "$RUN/env"; exit 0; fi
t0=$(date +%s.%N)
CACHE=${SKIFF_TESTENV_CACHE:-$HOME/.cache/skiff-testenv}
KWOKMOD=$CACHE/gomod/sigs.k8s.io/kwok@v$KWOK
# The env file's CSI keys (csi.sh's names).
csi_keys() {
  cat <<EV
SKIFF_CSI_DRIVER=$CSI_DRIVER
SKIFF_CSI_STORAGE_CLASS=$CSI_STORAGE_CLASS
SKIFF_CSI_STORAGE_CLASS_IMMEDIATE=$CSI_STORAGE_CLASS_IMMEDIATE
SKIFF_CSI_SNAPSHOT_CLASS=$CSI_SNAPSHOT_CLASS
EV
}

if env_alive && [ -f "$RUN/env" ]; then
  # Up with the core only: build the rest (or wait for the build that is at it), start the CSI stack, then give
  # the env file the full binary folder and the CSI keys. On failure the core stays up; down.sh stops it all.
  STEP="build binaries"
  BIN=$(bash "$ROOT/scripts/testenv/build.sh") || die "the build failed (see above)"
  export PATH="$BIN:$ROOT/node_modules/.bin:$PATH" KUBECONFIG=$RUN/admin.kubeconfig
  . "$ROOT/scripts/testenv/cluster.sh"
  . "$ROOT/scripts/testenv/csi.sh"
  NODES=$(sed -n 's/^SKIFF_NODES=//p' "$RUN/env")
  start_csi "$RUN" "" ${NODES//,/ }
  wait_csi "$RUN" "" ${NODES//,/ }
  STEP="write env file"
  { sed -e '/^SKIFF_TESTENV_CORE=/d' -e "s#^SKIFF_TESTENV_BIN=.*#SKIFF_TESTENV_BIN=$BIN#" "$RUN/env"; csi_keys; } > "$RUN/env.tmp"
  mv "$RUN/env.tmp" "$RUN/env"
  say "CSI stack added in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s"
  echo "$RUN/env"
  exit 0
fi
stop_recorded

STEP="build binaries"
if [ "$CORE" = 1 ]; then
  BIN=$(bash "$ROOT/scripts/testenv/build.sh" --core) || die "the build failed (see above)"
else
  BIN=$(bash "$ROOT/scripts/testenv/build.sh") || die "the build failed (see above)"
fi
export PATH="$BIN:$ROOT/node_modules/.bin:$PATH"
for tool in openssl curl; do command -v $tool >/dev/null || die "$tool is not installed (apt-get install -y $tool)"; done
command -v node >/dev/null || die "node is not installed: run npm ci first"

STEP="prepare run folder"
unmount_under "$RUN"; rm -rf "$RUN"; mkdir -p "$RUN"/{logs,minio-data,volumes}
: > "$RUN/pids"
ENV_BIN=$BIN
if [ "$CORE" = 1 ]; then
  ENV_BIN=$RUN/core-bin; mkdir -p "$ENV_BIN"
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd etcdctl kwok minio; do ln -s "$BIN/$b" "$ENV_BIN/$b"; done
fi
[ -d "$KWOKMOD/kustomize" ] || die "kwok sources not found in $KWOKMOD (the build should have downloaded them)"
. "$ROOT/scripts/testenv/cluster.sh"
. "$ROOT/scripts/testenv/csi.sh"

S3=$(freeport); S3CON=$(freeport)
trap 'if [ $? -ne 0 ]; then say "start failed; stopping what was started"; stop_recorded; fi' EXIT

STEP="start MinIO"
MINIO_ROOT_USER=skiffadmin MINIO_ROOT_PASSWORD=skiff-secret-123 MINIO_BROWSER=off \
  start minio "$BIN/minio" server --address "127.0.0.1:$S3" --console-address "127.0.0.1:$S3CON" --quiet "$RUN/minio-data"

# Cluster A: three nodes in two zones of region skiff-region-1 (cluster B: up-cluster-b.sh).
start_cluster "$RUN" "" skiff-region-1 kwok-node-0=zone-a kwok-node-1=zone-a kwok-node-2=zone-b
NODES=$CLUSTER_NODES; ZONES=$CLUSTER_ZONES
export KUBECONFIG=$RUN/admin.kubeconfig

STEP="create the default StorageClass"
kubectl apply -f - > "$RUN/logs/storageclass.log" 2>&1 <<SC || die "$(cat "$RUN/logs/storageclass.log")"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: skiff.dev/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
---
# Local volumes on one node (issue 14): the pod agent provisions a PV of type local with node affinity to the
# node the scheduler picked, its data under <run>/nodes/<node>/mnt/skiff-volumes/<pv>. File-system backup
# works on these (Velero skips hostPath volumes like the ones of the class above).
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: node-local
provisioner: skiff.dev/node-local
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
SC

# The CSI test stack: snapshot CRDs, driver hostpath.csi.skiff.dev on every node, classes skiff-csi(-immediate)
# and skiff-csi-snapclass, kubelet for CSI volumes (csi.sh).
[ "$CORE" = 1 ] || start_csi "$RUN" "" ${NODES//,/ }

STEP="create the bucket"
waitfor MinIO 30 curl -fs "http://127.0.0.1:$S3/minio/health/ready"
curl -fsS --aws-sigv4 "aws:amz:us-east-1:s3" --user skiffadmin:skiff-secret-123 -X PUT "http://127.0.0.1:$S3/skiff-test" > "$RUN/logs/bucket.log" 2>&1 \
  || die "creating bucket skiff-test failed: $(cat "$RUN/logs/bucket.log")"

STEP="write env file"
cat > "$RUN/env" <<EV
KUBECONFIG=$RUN/admin.kubeconfig
SKIFF_TESTENV_RUN=$RUN
SKIFF_RESTRICTED_KUBECONFIG=$RUN/restricted.kubeconfig
SKIFF_S3_ENDPOINT=http://127.0.0.1:$S3
SKIFF_S3_BUCKET=skiff-test
SKIFF_S3_REGION=us-east-1
AWS_ACCESS_KEY_ID=skiffadmin
AWS_SECRET_ACCESS_KEY=skiff-secret-123
SKIFF_NODES=$NODES
SKIFF_REGION=skiff-region-1
SKIFF_ZONES=$ZONES
SKIFF_TESTENV_BIN=$ENV_BIN
$(if [ "$CORE" = 1 ]; then echo SKIFF_TESTENV_CORE=1; else csi_keys; fi)
EV

STEP="start the pod agent"
start pod-agent node --import tsx "$ROOT/scripts/testenv/pod-agent.ts" --run "$RUN"
waitfor "pod agent" 30 test -f "$RUN/pod-agent.ready"
[ "$CORE" = 1 ] || wait_csi "$RUN" "" ${NODES//,/ }

trap - EXIT
say "up$([ "$CORE" = 1 ] && echo " (core only: no CSI stack)") in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s: $(kubectl get nodes --no-headers | wc -l) nodes, S3 at http://127.0.0.1:$S3"
echo "$RUN/env"
