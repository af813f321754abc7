#!/usr/bin/env bash
# Builds the test environment's binaries from the Go module proxy into a cache outside the clone,
# keyed by Go version and component version. Warm runs take well under a second.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$HERE/versions.env"
CACHE=${SKIFF_TESTENV_CACHE:-$HOME/.cache/skiff-testenv}

fail() { echo "testenv build: step '$STEP' failed: $*" >&2; exit 1; }
STEP="check toolchain"
command -v go >/dev/null 2>&1 || fail "Go is not installed: kwok $KWOK and the Kubernetes build need Go >= 1.26 on PATH"
GOV=$(go env GOVERSION)
case "$GOV" in go1.2[6-9]*|go1.[3-9]*) ;; *) fail "need Go >= 1.26 (kwok $KWOK requires it), have $GOV";; esac
BIN=$CACHE/bin/$GOV; mkdir -p "$BIN" "$CACHE/src" "$CACHE/logs"
export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gocache GOPATH=$CACHE/gopath \
       GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=
exec 9>"$CACHE/.lock"
flock -n 9 || { echo "testenv build: another setup holds $CACHE/.lock, waiting for it..." >&2; flock 9; }

have() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/$1.version" 2>/dev/null)" = "$2" ]; }
mark() { echo "$2" > "$BIN/$1.version"; }
t() { echo "[$(date +%T)] testenv build: $*" >&2; }
# Runs a build step with its output in a log; on failure prints the log tail and names the step.
run() {
  STEP=$1; shift
  local log=$CACHE/logs/$STEP.log
  t "$STEP (log: $log)"
  if ! "$@" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    if grep -qE '403 Forbidden|dial tcp|no such host|i/o timeout|connection refused' "$log"; then
      fail "the Go module proxy ($(go env GOPROXY)) refused or could not be reached; see $log"
    fi
    fail "see $log"
  fi
}

build_k8s() {
  local d=$CACHE/src/k8sbins KMIN KPATCH KMOD GD LDF p m
  IFS=. read -r _ KMIN KPATCH <<<"$KUBE"
  mkdir -p "$d" "$BIN/.tmp"; cd "$d"
  printf 'module skiff.local/k8sbins\n\ngo 1.26.0\n' > go.mod; rm -f go.sum
  local dl; dl=$(go mod download -json "k8s.io/kubernetes@v$KUBE" 2>&1) || true
  KMOD=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$dl")
  [ -n "$KMOD" ] || { echo "could not download k8s.io/kubernetes@v$KUBE: $(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$dl")"; return 1; }
  GD=$(sed -n 's/^godebug default=\(go[0-9.]*\).*/\1/p' "$KMOD")
  if [ -n "$GD" ]; then printf '\ngodebug default=%s\n' "$GD" >> go.mod; fi
  go mod edit -require="k8s.io/kubernetes@v$KUBE"
  for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*#\1#p' "$KMOD"); do
    go mod edit -replace="$m=$m@v0.$KMIN.$KPATCH"
  done
  LDF="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    LDF="$LDF -X $p.gitVersion=v$KUBE -X $p.gitMajor=1 -X $p.gitMinor=$KMIN -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  go build -mod=mod -trimpath -pgo=off -ldflags "$LDF" -o "$BIN/.tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  mv "$BIN/.tmp/"* "$BIN/"
}
build_etcd() {
  local d=$CACHE/src/etcdbin; mkdir -p "$d" "$BIN/.tmp"; cd "$d"
  printf 'module skiff.local/etcdbin\n\ngo 1.26.0\n\nrequire (\n\tgo.etcd.io/etcd/server/v3 v%s\n\tgo.etcd.io/etcd/etcdctl/v3 v%s\n)\n' "$ETCD" "$ETCD" > go.mod
  go build -mod=mod -trimpath -ldflags "-s -w" -o "$BIN/.tmp/etcd"    go.etcd.io/etcd/server/v3
  go build -mod=mod -trimpath -ldflags "-s -w" -o "$BIN/.tmp/etcdctl" go.etcd.io/etcd/etcdctl/v3
  mv "$BIN/.tmp/etcd" "$BIN/.tmp/etcdctl" "$BIN/"
}
build_kwok() { GOBIN=$BIN go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK"; }
build_minio() { GOBIN=$BIN go install -trimpath -ldflags "-s -w" "github.com/minio/minio@$MINIO"; }
# Helm, for the chart tests (helm template | kubectl apply --dry-run=server); the -X flag gives `helm version` its full version.
build_helm() { GOBIN=$BIN go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM" "helm.sh/helm/v3/cmd/helm@v$HELM"; }

# kopia, the default file-system backup uploader (issue 14). `go install kopia@v` fails here (the proxy refuses
# kopia's version list, which go install reads for deprecation notices), so build it through a wrapper module
# whose go.sum is seeded from kopia's own (../shared testenv.md §6).
build_kopia() {
  local d=$CACHE/src/kopiabin; mkdir -p "$d" "$BIN/.tmp"; cd "$d"
  printf 'module skiff.local/kopiabin\n\ngo 1.26.0\n\nrequire github.com/kopia/kopia v%s\n' "$KOPIA" > go.mod
  go mod download "github.com/kopia/kopia@v$KOPIA"
  cp "$GOMODCACHE/github.com/kopia/kopia@v$KOPIA/go.sum" . && chmod u+w go.sum
  go build -mod=mod -trimpath -ldflags "-s -w" -o "$BIN/.tmp/kopia" github.com/kopia/kopia
  mv "$BIN/.tmp/kopia" "$BIN/"
}

start=$(date +%s)
have kube-apiserver "$KUBE" && have kubectl "$KUBE" || { run kubernetes-$KUBE build_k8s; for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do mark $b "$KUBE"; done; }
have etcd "$ETCD" || { run etcd-$ETCD build_etcd; mark etcd "$ETCD"; }
have kwok "$KWOK" || { run kwok-$KWOK build_kwok; mark kwok "$KWOK"; }
have minio "$MINIO" || { run minio build_minio; mark minio "$MINIO"; }
have helm "$HELM" || { run helm-$HELM build_helm; mark helm "$HELM"; }
have kopia "$KOPIA" || { run kopia-$KOPIA build_kopia; mark kopia "$KOPIA"; }
t "binaries ready in $BIN ($(( $(date +%s) - start )) s)"
echo "$BIN"
