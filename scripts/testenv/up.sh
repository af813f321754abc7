#!/usr/bin/env bash
# Starts a real local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler), kwok with 3 simulated nodes, MinIO with a bucket, and the pod agent, all on
# 127.0.0.1 with free ports. Writes <run>/env for tests and people. Idempotent: a running
# environment is reused. See docs/testenv.md.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/scripts/testenv/versions.env"
mkdir -p "$(dirname "$RUN")"
if env_alive && [ -f "$RUN/env" ]; then say "already up (run folder $RUN)"; echo "$RUN/env"; exit 0; fi
exec 8>"$RUN.lock"; flock 8
if env_alive && [ -f "$RUN/env" ]; then say "already up (run folder $RUN)"; echo "$RUN/env"; exit 0; fi
stop_recorded
t0=$(date +%s.%N)

STEP="build binaries"
BIN=$(bash "$ROOT/scripts/testenv/build.sh") || die "the build failed (see above)"
export PATH="$BIN:$ROOT/node_modules/.bin:$PATH"
for tool in openssl curl; do command -v $tool >/dev/null || die "$tool is not installed (apt-get install -y $tool)"; done
command -v node >/dev/null || die "node is not installed: run npm ci first"

STEP="prepare run folder"
rm -rf "$RUN"; mkdir -p "$RUN"/{logs,pki,etcd,minio-data,kwokhome,pods,volumes}
: > "$RUN/pids"
CACHE=${SKIFF_TESTENV_CACHE:-$HOME/.cache/skiff-testenv}
KWOKMOD=$CACHE/gomod/sigs.k8s.io/kwok@v$KWOK
[ -d "$KWOKMOD/kustomize" ] || die "kwok sources not found in $KWOKMOD (the build should have downloaded them)"

STEP="generate PKI"
bash "$ROOT/scripts/testenv/pki.sh" "$RUN/pki"
PKI=$RUN/pki

freeport() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
ETCDP=$(freeport); ETCDPEER=$(freeport); API=$(freeport); KWOKP=$(freeport); S3=$(freeport); S3CON=$(freeport)
# The lock's descriptor (8) is closed for the daemons, or they would hold the lock for their whole life.
start() { local name=$1; shift; setsid "$@" > "$RUN/logs/$name.log" 2>&1 < /dev/null 8>&- & echo "$name $!" >> "$RUN/pids"; }
waitfor() { # what timeout-seconds command...
  local what=$1 limit=$2 i; shift 2
  for i in $(seq $((limit * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$what did not become ready in ${limit}s (logs: $RUN/logs)"
}
trap 'if [ $? -ne 0 ]; then say "start failed; stopping what was started"; stop_recorded; fi' EXIT

STEP="start MinIO"
MINIO_ROOT_USER=skiffadmin MINIO_ROOT_PASSWORD=skiff-secret-123 MINIO_BROWSER=off \
  start minio "$BIN/minio" server --address "127.0.0.1:$S3" --console-address "127.0.0.1:$S3CON" --quiet "$RUN/minio-data"

STEP="start etcd"
start etcd "$BIN/etcd" --name=skiff --data-dir="$RUN/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCDP" --advertise-client-urls="http://127.0.0.1:$ETCDP" \
  --listen-peer-urls="http://127.0.0.1:$ETCDPEER" --initial-advertise-peer-urls="http://127.0.0.1:$ETCDPEER" \
  --initial-cluster="skiff=http://127.0.0.1:$ETCDPEER" \
  --unsafe-no-fsync=true --auto-compaction-retention=1 --quota-backend-bytes=4294967296 --log-level=warn
waitfor etcd 30 curl -fs "http://127.0.0.1:$ETCDP/health"

STEP="start kube-apiserver"
start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCDP" \
  --bind-address=127.0.0.1 --secure-port="$API" \
  --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range=10.96.0.0/12 \
  --authorization-mode=Node,RBAC \
  --allow-privileged=true \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --kubelet-certificate-authority="$PKI/ca.crt" \
  --enable-priority-and-fairness=false --profiling=false
waitfor kube-apiserver 60 curl -fsk "https://127.0.0.1:$API/readyz"

STEP="write kubeconfigs"
kubeconfig() { # file user cert
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: skiff-test
  cluster:
    server: https://127.0.0.1:$API
    certificate-authority: $PKI/ca.crt
users:
- name: $2
  user:
    client-certificate: $PKI/$3.crt
    client-key: $PKI/$3.key
contexts:
- name: skiff-test
  context: {cluster: skiff-test, user: $2}
current-context: skiff-test
KC
}
kubeconfig "$RUN/admin.kubeconfig" skiff-admin admin
kubeconfig "$RUN/restricted.kubeconfig" skiff-restricted restricted
export KUBECONFIG=$RUN/admin.kubeconfig

STEP="configure kwok"
{
  for f in stage/node/fast/node-initialize.yaml stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           stage/pod/fast/pod-ready.yaml stage/pod/fast/pod-complete.yaml stage/pod/fast/pod-delete.yaml; do
    cat "$KWOKMOD/kustomize/$f"; echo '---'
  done
  # Fallback for pods the pod agent has not given their own Exec yet (see pod-agent.ts).
  cat <<KW
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata: {name: skiff-default-exec}
spec:
  execs:
  - local:
      workDir: $RUN/pods
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: skiff-default-logs}
spec:
  logs:
  - logsFile: $RUN/pods/app.log
    follow: true
KW
} > "$RUN/kwok.yaml"
printf '%s stdout F skiff test environment started\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" > "$RUN/pods/app.log"
kubectl apply -f "$KWOKMOD/kustomize/crd/bases/kwok.x-k8s.io_execs.yaml" > "$RUN/logs/kwok-crds.log" 2>&1 || die "applying the kwok Exec CRD failed: $(cat "$RUN/logs/kwok-crds.log")"

STEP="start controllers and kwok"
start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$RUN/admin.kubeconfig" \
  --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --use-service-account-credentials=false
start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$RUN/admin.kubeconfig" --leader-elect=false --bind-address=127.0.0.1 --secure-port=0
# kwok always also reads ~/.kwok/kwok.yaml, so it gets a private HOME.
start kwok env HOME="$RUN/kwokhome" "$BIN/kwok" --kubeconfig="$RUN/admin.kubeconfig" --config="$RUN/kwok.yaml" \
  --manage-all-nodes=true --node-ip=127.0.0.1 --node-name=localhost --node-port="$KWOKP" \
  --server-address="127.0.0.1:$KWOKP" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --cidr=10.244.0.0/16 --node-lease-duration-seconds=40 --enable-crds=Exec

STEP="create nodes"
NODES="kwok-node-0 kwok-node-1 kwok-node-2"
for n in $NODES; do
  z=zone-a; [ "$n" = kwok-node-2 ] && z=zone-b
  mkdir -p "$RUN/nodes/$n/var/lib/kubelet/pods"
  cat <<ND
apiVersion: v1
kind: Node
metadata:
  name: $n
  labels: {kubernetes.io/hostname: $n, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok, topology.kubernetes.io/zone: $z, topology.kubernetes.io/region: skiff-region-1}
  annotations: {node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake}
---
ND
done > "$RUN/nodes.yaml"
cat >> "$RUN/nodes.yaml" <<SC
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: skiff.dev/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
SC
kubectl apply -f "$RUN/nodes.yaml" > "$RUN/logs/nodes.log" 2>&1 || die "$(cat "$RUN/logs/nodes.log")"
waitfor "3 Ready nodes" 60 sh -c "[ \$(kubectl get nodes --no-headers 2>/dev/null | grep -c ' Ready') -eq 3 ]"
waitfor "the default ServiceAccount" 60 kubectl -n default get serviceaccount default

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
SKIFF_NODES=${NODES// /,}
SKIFF_TESTENV_BIN=$BIN
EV

STEP="start the pod agent"
start pod-agent node --import tsx "$ROOT/scripts/testenv/pod-agent.ts" --run "$RUN"
waitfor "pod agent" 30 test -f "$RUN/pod-agent.ready"

trap - EXIT
say "up in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s: $(kubectl get nodes --no-headers | wc -l) nodes, S3 at http://127.0.0.1:$S3"
echo "$RUN/env"
