# Shared helpers for the test-environment scripts. Sourced, not run.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=${SKIFF_TESTENV_RUN:-$ROOT/.testenv}
STEP=init
say() { echo "[$(date +%T)] testenv: $*" >&2; }
die() { echo "testenv: step '$STEP' failed: $*" >&2; exit 1; }
# True when every process recorded in $RUN/pids is still alive.
env_alive() {
  [ -s "$RUN/pids" ] || return 1
  local name pid
  while read -r name pid; do kill -0 "$pid" 2>/dev/null || return 1; done < "$RUN/pids"
}
# Unmounts every mount point under DIR, deepest first (the CSI volumes' bind mounts: mounts outlive the
# processes that made them, and a mounted folder cannot be removed).
unmount_under() { # DIR
  local dir m
  dir=$(cd "$1" 2>/dev/null && pwd -P) || return 0
  # Field 5 of mountinfo is the mount point, with spaces and the like octal-escaped (printf %b decodes them).
  awk -v d="$dir/" 'index($5, d) == 1 { print length($5), $5 }' /proc/self/mountinfo | sort -rn | cut -d' ' -f2- |
    while read -r m; do
      m=$(printf '%b' "$m")
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
    done
}
# Stops the processes recorded in $RUN/pids, or only those after the first KEEP lines.
stop_recorded() { # [KEEP]
  [ -f "$RUN/pids" ] || return 0
  local keep=${1:-0} name pid i
  # Reverse start order, one at a time: the apiserver hangs if etcd goes first.
  tail -n +$((keep + 1)) "$RUN/pids" | tac | while read -r name pid; do
    kill "$pid" 2>/dev/null || continue
    for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then say "$name ($pid) ignored SIGTERM, killing"; kill -9 "$pid" 2>/dev/null || true; fi
  done
  if [ "$keep" -eq 0 ]; then unmount_under "$RUN"; fi
  if [ "$keep" -gt 0 ]; then head -n "$keep" "$RUN/pids" > "$RUN/pids.tmp" && mv "$RUN/pids.tmp" "$RUN/pids"; else rm -f "$RUN/pids"; fi
}
