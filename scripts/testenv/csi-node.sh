#!/usr/bin/env bash
# Supervises one kwok node's CSI processes as a group: the project's test driver, then csi-provisioner and
# csi-snapshotter in per-node mode (../shared testenv.md §11). The sidecars exit when they lose the driver
# ("Lost connection to CSI driver"): they are restarted, and when the driver exits all three restart together.
# A file `stop` in the node's CSI folder holds the driver down (fault tests: test/helpers/csi.ts).
# Writes `status` (running <driver-pid> | stopped) in that folder. SIGTERM stops the group.
# Usage: csi-node.sh BIN KUBECONFIG NODE HOST-ROOT CSI-DIR
set -u
BIN=$1 KC=$2 NODE=$3 HOSTROOT=$4 DIR=$5
SOCK=$DIR/csi.sock
mkdir -p "$DIR"
log() { echo "[$(date +%T)] csi-node $NODE: $*"; }
declare -A kids=()
stopping=0
stop_all() { # kill every child and wait for them
  local p
  for p in "${!kids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${!kids[@]}"; do wait "$p" 2>/dev/null; done
  kids=()
}
trap 'stopping=1; stop_all; echo stopped > "$DIR/status"; exit 0' TERM INT
sidecar() { # name: starts one sidecar in the background
  case $1 in
    provisioner)
      NODE_NAME=$NODE "$BIN/csi-provisioner" --kubeconfig="$KC" --csi-address="$SOCK" --node-deployment=true \
        --node-deployment-base-delay=1s --node-deployment-max-delay=5s --extra-create-metadata=true --timeout=60s \
        >> "$DIR/provisioner.log" 2>&1 & ;;
    snapshotter)
      NODE_NAME=$NODE "$BIN/csi-snapshotter" --kubeconfig="$KC" --csi-address="$SOCK" --node-deployment=true \
        --extra-create-metadata=true --timeout=60s >> "$DIR/snapshotter.log" 2>&1 & ;;
  esac
  kids[$!]=$1
}
while [ "$stopping" = 0 ]; do
  if [ -f "$DIR/stop" ]; then echo stopped > "$DIR/status"; sleep 0.2; continue; fi
  rm -f "$SOCK"
  "$BIN/skiff-csi-driver" serve --endpoint="unix://$SOCK" --node-id="$NODE" --state-dir="$HOSTROOT/var/lib/skiff-csi" \
    >> "$DIR/driver.log" 2>&1 &
  driver=$!; kids[$driver]=driver
  for _ in $(seq 300); do [ -S "$SOCK" ] || ! kill -0 "$driver" 2>/dev/null && break; sleep 0.1; done
  if [ ! -S "$SOCK" ]; then log "driver did not open $SOCK; restarting"; stop_all; sleep 1; continue; fi
  sidecar provisioner; sidecar snapshotter
  echo "running $driver" > "$DIR/status"
  log "driver $driver and sidecars started"
  while [ "$stopping" = 0 ]; do
    wait -n -p done "${!kids[@]}"
    [ -n "${done:-}" ] || continue
    what=${kids[$done]:-}; unset "kids[$done]"
    if [ "$what" = driver ]; then log "driver exited; restarting the group"; stop_all; break; fi
    log "$what exited; restarting it"; sleep 1; sidecar "$what"
  done
done
