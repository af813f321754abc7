# The CSI test stack (issue 16, ../shared testenv.md §11, /CSI-CONTRACT): the VolumeSnapshot CRDs, the cluster
# objects of driver hostpath.csi.skiff.dev, snapshot-controller once per cluster, per kwok node a supervised
# group (csi-node.sh: the project's test driver + csi-provisioner + csi-snapshotter, data under the node's host
# root), and csi-kubelet.ts, which plays kubelet for CSI volumes of pods. Sourced after cluster.sh, not run.
CSI_DRIVER=hostpath.csi.skiff.dev
CSI_TOPOLOGY_KEY=topology.hostpath.csi.skiff.dev/node
CSI_STORAGE_CLASS=skiff-csi
CSI_STORAGE_CLASS_IMMEDIATE=skiff-csi-immediate
CSI_SNAPSHOT_CLASS=skiff-csi-snapclass

# start_csi DIR PREFIX NODE...: DIR is the cluster's folder (admin.kubeconfig, nodes/<node>/), PREFIX as in
# start_cluster. Node N's group keeps its files (socket, status, logs) in DIR/csi/N/. Then wait_csi.
start_csi() {
  local dir=$1 p=$2; shift 2
  local what=""; [ -z "$p" ] || what="cluster $(printf %s "${p%-}" | tr a-z A-Z): "
  local kc=$dir/admin.kubeconfig n uid log=$RUN/logs/${p}csi-objects.log

  STEP="${what}install the VolumeSnapshot CRDs"
  kubectl --kubeconfig="$kc" apply $(printf -- '-f %s ' "$BIN/csi-crds-$CSI_SNAPSHOTTER"/*.yaml) > "$log" 2>&1 || die "$(cat "$log")"
  # Right after the apply a CRD can have a status without conditions, and kubectl wait then fails at
  # once (".status.conditions accessor error: <nil>") instead of waiting: so it is asked again.
  local attempt
  for attempt in 1 2 3 4 5; do
    kubectl --kubeconfig="$kc" wait --for=condition=Established --timeout=60s \
      crd/volumesnapshots.snapshot.storage.k8s.io crd/volumesnapshotcontents.snapshot.storage.k8s.io \
      crd/volumesnapshotclasses.snapshot.storage.k8s.io >> "$log" 2>&1 && break
    [ "$attempt" = 5 ] && die "$(cat "$log")"
    sleep 1
  done

  STEP="${what}create the CSI cluster objects"
  {
    cat <<OBJ
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: $CSI_DRIVER}
spec:
  attachRequired: false
  podInfoOnMount: true
  volumeLifecycleModes: [Persistent]
  fsGroupPolicy: File
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: $CSI_STORAGE_CLASS}
provisioner: $CSI_DRIVER
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: $CSI_STORAGE_CLASS_IMMEDIATE}
provisioner: $CSI_DRIVER
reclaimPolicy: Delete
volumeBindingMode: Immediate
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: $CSI_SNAPSHOT_CLASS
  annotations: {snapshot.storage.kubernetes.io/is-default-class: "true"}
  labels: {velero.io/csi-volumesnapshot-class: "true"}
driver: $CSI_DRIVER
deletionPolicy: Delete
OBJ
    # No kubelet and no node-driver-registrar here: each node's CSINode and topology label are made by hand,
    # or provisioning fails with "no available topology found". (Not a server-side apply of partial Nodes for the
    # labels: kubectl would move the client-side-applied labels to that apply and drop them.)
    local uids; uids=$(kubectl --kubeconfig="$kc" get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid}{"\n"}{end}')
    for n in "$@"; do
      uid=$(sed -n "s/^$n=//p" <<<"$uids"); [ -n "$uid" ] || die "node $n not found"
      cat <<OBJ
---
apiVersion: storage.k8s.io/v1
kind: CSINode
metadata:
  name: $n
  ownerReferences: [{apiVersion: v1, kind: Node, name: $n, uid: $uid}]
spec:
  drivers: [{name: $CSI_DRIVER, nodeID: $n, topologyKeys: [$CSI_TOPOLOGY_KEY]}]
OBJ
    done
  } > "$dir/csi-objects.yaml"
  kubectl --kubeconfig="$kc" apply -f "$dir/csi-objects.yaml" >> "$log" 2>&1 || die "$(cat "$log")"
  # One kubectl per node, in parallel: each costs about a second on a loaded machine.
  local pids=()
  for n in "$@"; do
    kubectl --kubeconfig="$kc" label --overwrite node "$n" "$CSI_TOPOLOGY_KEY=$n" >> "$log" 2>&1 & pids+=($!)
  done
  for n in "${pids[@]}"; do wait "$n" || die "labelling the nodes failed: $(cat "$log")"; done

  STEP="${what}put the CSI driver's data on a copy-on-write filesystem"
  csi_storage "$dir" "$@"

  STEP="${what}start the CSI processes"
  start "${p}snapshot-controller" "$BIN/snapshot-controller" --kubeconfig="$kc" --enable-distributed-snapshotting=true
  for n in "$@"; do
    mkdir -p "$dir/csi/$n" "$dir/nodes/$n/var/lib/skiff-csi"
    start "${p}csi-$n" bash "$ROOT/scripts/testenv/csi-node.sh" "$BIN" "$kc" "$n" "$dir/nodes/$n" "$dir/csi/$n"
  done
  start "${p}csi-kubelet" node --import tsx "$ROOT/scripts/testenv/csi-kubelet.ts" --kubeconfig "$kc" \
    --nodes "$dir/nodes" --csi "$dir/csi" --driver-binary "$BIN/skiff-csi-driver" --ready "$dir/csi/kubelet.ready"
}

# csi_storage DIR NODE...: a real CSI driver snapshots and clones copy-on-write, in moments and whatever the
# volume's size; the test driver does the same with FICLONE (`cp --reflink`) when its data is on a filesystem that
# can. So: an XFS image (reflink=1, sparse, $SKIFF_CSI_STORAGE_SIZE, default 32G) loop-mounted at DIR/csi-storage,
# one folder per node bind-mounted at the node's var/lib/skiff-csi. Without root, mkfs.xfs (Debian package
# xfsprogs) or a loop device, the data stays on the run folder's filesystem and the driver copies files in full,
# saying why in its log. down.sh's unmount_under unmounts all of it (deepest first; the loop device goes with it).
csi_storage() {
  local dir=$1 n; shift
  local img=$dir/csi-storage.img mnt=$dir/csi-storage log=$dir/csi-storage.log why="" mkfs
  # Debian puts mkfs.xfs in /usr/sbin, which a root shell started without a login (su, env -i) lacks on PATH.
  mkfs=$(PATH="$PATH:/usr/sbin:/sbin" command -v mkfs.xfs || true)
  if [ "$(id -u)" != 0 ]; then why="not root"
  elif [ -z "$mkfs" ]; then why="mkfs.xfs not found (apt-get install xfsprogs)"
  elif ! { truncate -s "${SKIFF_CSI_STORAGE_SIZE:-32G}" "$img" && "$mkfs" -q -m reflink=1 "$img" && mkdir -p "$mnt" &&
           mount -o loop "$img" "$mnt"; } > "$log" 2>&1; then why="making or mounting $img failed: $(tail -n 3 "$log")"
  fi
  if [ -n "$why" ]; then
    rm -f "$img"
    say "warning: the CSI test driver's data is not on a copy-on-write filesystem ($why): snapshots and clones copy in full"
    return 0
  fi
  for n in "$@"; do
    mkdir -p "$mnt/$n" "$dir/nodes/$n/var/lib/skiff-csi"
    mount --bind "$mnt/$n" "$dir/nodes/$n/var/lib/skiff-csi" >> "$log" 2>&1 || die "bind-mounting $mnt/$n: $(cat "$log")"
  done
}

# wait_csi DIR PREFIX NODE...: waits until start_csi's processes serve (separate, so the caller can start other
# things meanwhile).
wait_csi() {
  local dir=$1 p=$2 n; shift 2
  local what=""; [ -z "$p" ] || what="cluster $(printf %s "${p%-}" | tr a-z A-Z): "
  STEP="${what}wait for the CSI processes"
  for n in "$@"; do
    waitfor "the CSI driver of ${p}$n" 60 grep -q '^running' "$dir/csi/$n/status"
  done
  waitfor "${p}csi-kubelet" 30 test -f "$dir/csi/kubelet.ready"
}
