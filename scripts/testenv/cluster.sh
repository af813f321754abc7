# Starting one Kubernetes control plane with kwok nodes: the part of the test environment that
# cluster A (up.sh) and cluster B (up-cluster-b.sh) share. Sourced after lib.sh, not run.
# Needs BIN (built binaries on PATH) and KWOKMOD (the kwok module sources); records every
# process in $RUN/pids and logs to $RUN/logs/<name>.log.

freeport() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
# The lock's descriptor (8) is closed for the daemons, or they would hold the lock for their whole life.
start() { local name=$1; shift; setsid "$@" > "$RUN/logs/$name.log" 2>&1 < /dev/null 8>&- & echo "$name $!" >> "$RUN/pids"; }
waitfor() { # what timeout-seconds command...
  local what=$1 limit=$2 i; shift 2
  for i in $(seq $((limit * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$what did not become ready in ${limit}s (logs: $RUN/logs)"
}

# start_cluster DIR PREFIX REGION NODE=ZONE...
# Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok for one cluster
# whose files live in DIR (pki/, etcd/, kwokhome/, pods/, nodes/, admin.kubeconfig,
# restricted.kubeconfig). PREFIX goes before each process and log name ("" for cluster A,
# "b-" for B). Creates the nodes, labelled with REGION and their zone, and waits until they
# are Ready and the default ServiceAccount exists. Sets CLUSTER_NODES (comma-separated) and
# CLUSTER_ZONES (distinct zones, comma-separated, in node order).
start_cluster() {
  local dir=$1 p=$2 region=$3; shift 3
  local what=""; [ -z "$p" ] || what="cluster $(printf %s "${p%-}" | tr a-z A-Z): "
  local pki=$dir/pki etcdp etcdpeer api kwokp spec n z
  mkdir -p "$dir"/{pki,etcd,kwokhome,pods,nodes}

  STEP="${what}generate PKI"
  bash "$ROOT/scripts/testenv/pki.sh" "$pki"
  etcdp=$(freeport); etcdpeer=$(freeport); api=$(freeport); kwokp=$(freeport)

  STEP="${what}start etcd"
  start "${p}etcd" "$BIN/etcd" --name=skiff --data-dir="$dir/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcdp" --advertise-client-urls="http://127.0.0.1:$etcdp" \
    --listen-peer-urls="http://127.0.0.1:$etcdpeer" --initial-advertise-peer-urls="http://127.0.0.1:$etcdpeer" \
    --initial-cluster="skiff=http://127.0.0.1:$etcdpeer" \
    --unsafe-no-fsync=true --auto-compaction-retention=1 --quota-backend-bytes=4294967296 --log-level=warn
  waitfor "${p}etcd" 30 curl -fs "http://127.0.0.1:$etcdp/health"

  STEP="${what}start kube-apiserver"
  start "${p}kube-apiserver" "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$etcdp" \
    --bind-address=127.0.0.1 --secure-port="$api" \
    --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --requestheader-client-ca-file="$pki/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$pki/front-proxy-client.crt" --proxy-client-key-file="$pki/front-proxy-client.key" \
    --enable-aggregator-routing=true \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/12 \
    --authorization-mode=Node,RBAC \
    --allow-privileged=true \
    --kubelet-preferred-address-types=InternalIP,Hostname \
    --kubelet-certificate-authority="$pki/ca.crt" \
    --enable-priority-and-fairness=false --profiling=false
  waitfor "${p}kube-apiserver" 60 curl -fsk "https://127.0.0.1:$api/readyz"

  STEP="${what}write kubeconfigs"
  write_kubeconfig "$dir/admin.kubeconfig" "$api" "$pki" skiff-admin admin
  write_kubeconfig "$dir/restricted.kubeconfig" "$api" "$pki" skiff-restricted restricted
  local kc=$dir/admin.kubeconfig

  STEP="${what}configure kwok"
  local holds=(-f "$ROOT/scripts/testenv/restore-wait-hold.sed")
  [ -n "$p" ] || holds+=(-f "$ROOT/scripts/testenv/exec-ready-hold.sed")
  {
    for spec in stage/node/fast/node-initialize.yaml stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
             stage/pod/fast/pod-ready.yaml stage/pod/fast/pod-complete.yaml stage/pod/fast/pod-delete.yaml; do
      # pod-ready holds a pod that starts with restore-wait until that init container lets it start
      # (restore-wait-hold.sed) and, in cluster A, whose pod agent gives each pod its own Exec
      # (up.sh, pod-agent.ts), until commands run under that Exec (exec-ready-hold.sed).
      if [ "$spec" = stage/pod/fast/pod-ready.yaml ]; then sed "${holds[@]}" "$KWOKMOD/kustomize/$spec"
      else cat "$KWOKMOD/kustomize/$spec"; fi; echo '---'
    done
    # Cluster A has no ClusterExec: a command kwok has no pod Exec for fails rather than running in
    # the wrong folder. Cluster B has no pod agent, so its pods' commands all run in one folder.
    [ -z "$p" ] || cat <<KW
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata: {name: skiff-default-exec}
spec:
  execs:
  - local:
      workDir: $dir/pods
---
KW
    cat <<KW
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: skiff-default-logs}
spec:
  logs:
  - logsFile: $dir/pods/app.log
    follow: true
KW
  } > "$dir/kwok.yaml"
  printf '%s stdout F skiff test environment started\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" > "$dir/pods/app.log"
  kubectl --kubeconfig="$kc" apply -f "$KWOKMOD/kustomize/crd/bases/kwok.x-k8s.io_execs.yaml" > "$RUN/logs/${p}kwok-crds.log" 2>&1 \
    || die "applying the kwok Exec CRD failed: $(cat "$RUN/logs/${p}kwok-crds.log")"

  STEP="${what}start controllers and kwok"
  # A quota on a just-installed CRD (count/tenantbackups...) is counted only at the quota controller's
  # next full resync: 5 min by default, which a test cannot wait for.
  start "${p}kube-controller-manager" "$BIN/kube-controller-manager" --kubeconfig="$kc" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --use-service-account-credentials=false --resource-quota-sync-period=10s
  start "${p}kube-scheduler" "$BIN/kube-scheduler" --kubeconfig="$kc" --leader-elect=false --bind-address=127.0.0.1 --secure-port=0
  # kwok always also reads ~/.kwok/kwok.yaml, so it gets a private HOME.
  start "${p}kwok" env HOME="$dir/kwokhome" "$BIN/kwok" --kubeconfig="$kc" --config="$dir/kwok.yaml" \
    --manage-all-nodes=true --node-ip=127.0.0.1 --node-name=localhost --node-port="$kwokp" \
    --server-address="127.0.0.1:$kwokp" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --cidr=10.244.0.0/16 --node-lease-duration-seconds=40 --enable-crds=Exec

  STEP="${what}create nodes"
  CLUSTER_NODES=""; CLUSTER_ZONES=""
  for spec in "$@"; do
    n=${spec%%=*}; z=${spec#*=}
    CLUSTER_NODES+="${CLUSTER_NODES:+,}$n"
    case ",$CLUSTER_ZONES," in *",$z,"*) ;; *) CLUSTER_ZONES+="${CLUSTER_ZONES:+,}$z";; esac
    mkdir -p "$dir/nodes/$n/var/lib/kubelet/pods"
    cat <<ND
apiVersion: v1
kind: Node
metadata:
  name: $n
  labels: {kubernetes.io/hostname: $n, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok, topology.kubernetes.io/zone: $z, topology.kubernetes.io/region: $region}
  annotations: {node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake}
---
ND
  done > "$dir/nodes.yaml"
  kubectl --kubeconfig="$kc" apply -f "$dir/nodes.yaml" > "$RUN/logs/${p}nodes.log" 2>&1 || die "$(cat "$RUN/logs/${p}nodes.log")"
  waitfor "$# Ready ${p}nodes" 60 sh -c "[ \$(kubectl --kubeconfig='$kc' get nodes --no-headers 2>/dev/null | grep -c ' Ready') -eq $# ]"
  waitfor "the ${p}default ServiceAccount" 60 kubectl --kubeconfig="$kc" -n default get serviceaccount default
}

write_kubeconfig() { # file api-port pki-dir user cert
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: skiff-test
  cluster:
    server: https://127.0.0.1:$2
    certificate-authority: $3/ca.crt
users:
- name: $4
  user:
    client-certificate: $3/$5.crt
    client-key: $3/$5.key
contexts:
- name: skiff-test
  context: {cluster: skiff-test, user: $4}
current-context: skiff-test
KC
}
