#!/usr/bin/env bash
# The quickstart story on the local environment, as a new user sees it: deploy a sample app,
# back it up, delete its namespace, restore it, and show that it is back.
# Expects the environment's env file to be loaded (scripts/quickstart.sh does that).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$SKIFF_TESTENV_BIN:$ROOT/node_modules/.bin:$PATH"
skiff() { node "$ROOT/bin/skiff.mjs" "$@"; }
. "$ROOT/scripts/say.sh"
NS=skiff-demo
VELERO_NS=skiff-system
STORE="$SKIFF_TESTENV_RUN/demo-store"
STAMP=$(date -u +%Y%m%d%H%M%S)
BACKUP=demo-$STAMP

step "Install Skiff into namespace $VELERO_NS with a local-directory backup location ($STORE)"
skiff install -n "$VELERO_NS" --provider filesystem --bucket skiff \
  --backup-location-config "path=$STORE,createBucket=true" --use-volume-snapshots=false --no-server >/dev/null
# Not through the skiff function: $! would be a subshell's pid and the trap would leave node running.
node "$ROOT/bin/skiff.mjs" server -n "$VELERO_NS" --metrics-address '' --log-level warn \
  > "$SKIFF_TESTENV_RUN/logs/demo-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
done_ "CRDs installed, server running (pid $SERVER, log $SKIFF_TESTENV_RUN/logs/demo-server.log)"

step "Deploy the sample app into namespace $NS"
kubectl delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
kubectl create namespace "$NS" >/dev/null
until kubectl -n "$NS" get serviceaccount default >/dev/null 2>&1; do sleep 0.2; done
kubectl apply -n "$NS" -f - >/dev/null <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, labels: {app: web}}
data: {greeting: "hello from skiff"}
---
apiVersion: v1
kind: Secret
metadata: {name: web-secret, labels: {app: web}}
stringData: {password: "s3cret"}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: web-data, labels: {app: web}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        envFrom: [{configMapRef: {name: web-config}}, {secretRef: {name: web-secret}}]
        volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: web-data}}]
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec: {selector: {app: web}, ports: [{port: 80}]}
YAML
kubectl -n "$NS" wait --for=condition=available deployment/web --timeout=60s >/dev/null
kubectl -n "$NS" wait --for=jsonpath='{.status.phase}'=Bound pvc/web-data --timeout=60s >/dev/null
done_ "app running: $(kubectl -n "$NS" get pods --no-headers | wc -l) pods, PVC $(kubectl -n "$NS" get pvc web-data -o jsonpath='{.status.phase}')"

step "What would a backup take? (dry run: writes nothing)"
skiff backup create "$BACKUP" -n "$VELERO_NS" --include-namespaces "$NS" --dry-run

step "Back up namespace $NS"
skiff backup create "$BACKUP" -n "$VELERO_NS" --include-namespaces "$NS" --wait
done_ "backup $BACKUP: $(kubectl -n "$VELERO_NS" get backups.velero.io "$BACKUP" -o jsonpath='{.status.phase}, {.status.progress.itemsBackedUp} items')"

step "Delete namespace $NS (disaster)"
kubectl delete namespace "$NS" --wait=true >/dev/null
done_ "namespace $NS is gone: $(kubectl get namespace "$NS" 2>&1 | tail -1)"

step "What would a restore do? (dry run: writes nothing)"
skiff restore create "restore-$STAMP" -n "$VELERO_NS" --from-backup "$BACKUP" --dry-run | tail -n 15

step "Restore from $BACKUP"
skiff restore create "restore-$STAMP" -n "$VELERO_NS" --from-backup "$BACKUP" --wait
kubectl -n "$NS" wait --for=condition=available deployment/web --timeout=60s >/dev/null
done_ "restore restore-$STAMP: $(kubectl -n "$VELERO_NS" get restores.velero.io "restore-$STAMP" -o jsonpath='{.status.phase}, {.status.progress.itemsRestored} items')"

step "It is back"
kubectl -n "$NS" get deployment/web service/web configmap/web-config secret/web-secret pvc/web-data
kubectl -n "$NS" get pods -o wide
done_ "ConfigMap says: $(kubectl -n "$NS" get configmap web-config -o jsonpath='{.data.greeting}'); PVC $(kubectl -n "$NS" get pvc web-data -o jsonpath='{.status.phase}')"
