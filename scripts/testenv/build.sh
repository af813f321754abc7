#!/usr/bin/env bash
# Builds the test environment's binaries from the Go module proxy into a cache outside the clone,
# keyed by Go version and component version. Warm runs take well under a second.
# Usage: build.sh [--core | --check]   (--core: only what an environment without the CSI stack, kopia and Helm
# needs: Kubernetes, etcd, kwok and MinIO, built first anyway; up.sh's SKIFF_TESTENV_CORE=1 mode, docs/testing.md.
# --check: build nothing, exit 0 when everything is built (scripts/test-phases.sh then runs no cold-cache groups))
set -euo pipefail
CORE=0 CHECK=0; [ "${1:-}" = --core ] && CORE=1; [ "${1:-}" = --check ] && CHECK=1
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
# -dwarf=false: no compiler debug info, which the linker's -w drops from every binary anyway. About 8% less compile
# CPU and a fifth less build cache (kwok cold: 361 -> 334 CPU s, 796 -> 629 MB); the same functions, of the same
# sizes and instructions (a few generated ones placed in another order, so call offsets differ).
export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gocache GOPATH=$CACHE/gopath \
       GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-gcflags=all=-dwarf=false
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

# CSI sidecars (issue 16, ../shared testenv.md §11). Their go.mods replace the k8s.io staging modules (and the
# snapshotter its ./client folder), which Go ignores in a dependency: a wrapper module per target restates every
# replace, mapping a local path to the published module at the target's version, with go.sum seeded from the
# target's own. Provisioner (k8s libs 0.36) and snapshotter (0.37) cannot share one module graph: two go builds.
# wrap_csi DIR MODULE VERSION: writes the wrapper module in DIR.
wrap_csi() {
  local d=$1 mod=$2 ver=$3 dl gomod dir old new
  mkdir -p "$d"; cd "$d"
  printf 'module skiff.local/%s\n\ngo 1.26.0\n' "$(basename "$d")" > go.mod; rm -f go.sum
  dl=$(go mod download -json "$mod@v$ver" 2>&1) || true
  gomod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$dl")
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$dl")
  [ -n "$gomod" ] || { echo "could not download $mod@v$ver: $dl"; return 1; }
  go mod edit -require="$mod@v$ver"
  # "replace OLD [V] => NEW [V]" lines, single or in a block.
  awk '/^replace[ \t]*\(/{b=1;next} b&&/^\)/{b=0;next} b{print;next} /^replace /{sub(/^replace[ \t]+/,"");print}' "$gomod" |
    while read -r old a b c; do
      if [ "$a" = "=>" ]; then new="$b${c:+@$c}"; else old="$old@$a"; read -r b c <<<"$c"; new="$b${c:+@$c}"; fi
      case "$new" in
        ./*|../*) new="${old%@*}@v$ver" ;; # a folder of the target's repo: its published module, same version
      esac
      go mod edit -replace="$old=$new"
    done
  cp "$dir/go.sum" go.sum && chmod u+w go.sum
}
build_csi_provisioner() {
  local d=$CACHE/src/csi-provisioner m=github.com/kubernetes-csi/external-provisioner/v6
  mkdir -p "$BIN/.tmp/csi"; wrap_csi "$d" $m "$CSI_PROVISIONER"
  go build -mod=mod -trimpath -pgo=off -ldflags "-s -w -X main.version=v$CSI_PROVISIONER" -o "$BIN/.tmp/csi/" $m/cmd/csi-provisioner
  mv "$BIN/.tmp/csi/csi-provisioner" "$BIN/"
}
build_csi_snapshotter() {
  local d=$CACHE/src/csi-snapshotter m=github.com/kubernetes-csi/external-snapshotter/v8
  mkdir -p "$BIN/.tmp/csi"; wrap_csi "$d" $m "$CSI_SNAPSHOTTER"
  go build -mod=mod -trimpath -pgo=off -ldflags "-s -w -X main.version=v$CSI_SNAPSHOTTER" -o "$BIN/.tmp/csi/" \
    $m/cmd/snapshot-controller $m/cmd/csi-snapshotter
  mv "$BIN/.tmp/csi/snapshot-controller" "$BIN/.tmp/csi/csi-snapshotter" "$BIN/"
}
# The VolumeSnapshot CRDs (incl. the three VolumeGroupSnapshot ones: without them snapshot-controller waits 30 s at
# start) from the client module's zip, copied to $BIN/csi-crds-<version>/ (only the CRD files, not kustomization.yaml).
fetch_csi_crds() {
  local dl dir out=$BIN/csi-crds-$CSI_SNAPSHOTTER
  cd "$CACHE/src" # outside any module, so no go.mod or go.sum is touched
  dl=$(go mod download -json "github.com/kubernetes-csi/external-snapshotter/client/v8@v$CSI_SNAPSHOTTER" 2>&1) || true
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$dl")
  [ -n "$dir" ] || { echo "could not download the snapshot client module: $dl"; return 1; }
  rm -rf "$out.tmp"; mkdir -p "$out.tmp"
  cp "$dir"/config/crd/*.storage.k8s.io_*.yaml "$out.tmp/"
  [ "$(ls "$out.tmp" | wc -l)" -ge 6 ] || { echo "expected 6 CRDs in $dir/config/crd, found: $(ls "$out.tmp")"; return 1; }
  chmod -R u+w "$out.tmp"; rm -rf "$out"; mv "$out.tmp" "$out"
}
# The project's own CSI test driver (test/csi-driver/), keyed by a hash of its sources so an edit rebuilds it.
CSI_DRIVER_SRC=$(cd "$HERE/../../test/csi-driver" && pwd)
CSI_DRIVER_KEY=$(cd "$CSI_DRIVER_SRC" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) ! -name '*_test.go' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
build_csi_driver() {
  mkdir -p "$BIN/.tmp/csi"; cd "$CSI_DRIVER_SRC"
  go build -trimpath -ldflags "-s -w" -o "$BIN/.tmp/csi/skiff-csi-driver" ./cmd/skiff-csi-driver
  mv "$BIN/.tmp/csi/skiff-csi-driver" "$BIN/"
}

# Everything this run is asked for is built (a binary is marked only once it is in place)?
core_ready() { have kube-apiserver "$KUBE" && have kubectl "$KUBE" && have etcd "$ETCD" && have kwok "$KWOK" && have minio "$MINIO"; }
ready() {
  core_ready && { [ "$CORE" = 1 ] || {
    have helm "$HELM" && have kopia "$KOPIA" && have csi-provisioner "$CSI_PROVISIONER" && have csi-snapshotter "$CSI_SNAPSHOTTER" &&
      have snapshot-controller "$CSI_SNAPSHOTTER" && [ -d "$BIN/csi-crds-$CSI_SNAPSHOTTER" ] && have skiff-csi-driver "$CSI_DRIVER_KEY"
  }; }
}
if [ "$CHECK" = 1 ]; then ready; exit; fi
# Another build holds the lock (scripts/test.sh's background build of everything): wait for it, or only until
# what this run needs is there (--core while the background build goes on to the CSI sidecars).
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  echo "testenv build: another setup holds $CACHE/.lock, waiting for it$([ "$CORE" = 1 ] && echo " or the core binaries")..." >&2
  until flock -n 9; do
    if ready; then echo "$BIN"; exit 0; fi
    sleep 2
  done
fi

start=$(date +%s)
have kube-apiserver "$KUBE" && have kubectl "$KUBE" || { run kubernetes-$KUBE build_k8s; for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do mark $b "$KUBE"; done; }
have etcd "$ETCD" || { run etcd-$ETCD build_etcd; mark etcd "$ETCD"; }
have kwok "$KWOK" || { run kwok-$KWOK build_kwok; mark kwok "$KWOK"; }
have minio "$MINIO" || { run minio build_minio; mark minio "$MINIO"; }
if [ "$CORE" = 1 ]; then t "core binaries ready in $BIN ($(( $(date +%s) - start )) s)"; echo "$BIN"; exit 0; fi
have helm "$HELM" || { run helm-$HELM build_helm; mark helm "$HELM"; }
have kopia "$KOPIA" || { run kopia-$KOPIA build_kopia; mark kopia "$KOPIA"; }
have csi-provisioner "$CSI_PROVISIONER" || { run csi-provisioner-$CSI_PROVISIONER build_csi_provisioner; mark csi-provisioner "$CSI_PROVISIONER"; }
have csi-snapshotter "$CSI_SNAPSHOTTER" && have snapshot-controller "$CSI_SNAPSHOTTER" ||
  { run csi-snapshotter-$CSI_SNAPSHOTTER build_csi_snapshotter; mark csi-snapshotter "$CSI_SNAPSHOTTER"; mark snapshot-controller "$CSI_SNAPSHOTTER"; }
[ -d "$BIN/csi-crds-$CSI_SNAPSHOTTER" ] || run csi-crds-$CSI_SNAPSHOTTER fetch_csi_crds
have skiff-csi-driver "$CSI_DRIVER_KEY" || { run skiff-csi-driver build_csi_driver; mark skiff-csi-driver "$CSI_DRIVER_KEY"; }
t "binaries ready in $BIN ($(( $(date +%s) - start )) s)"
echo "$BIN"
