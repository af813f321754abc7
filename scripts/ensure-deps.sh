#!/usr/bin/env bash
# Installs what Skiff's scripts need, only when missing: OS packages (as root, via apt-get)
# and the npm dependencies (npm ci when node_modules is absent or older than the lock file).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
missing=()
for pair in openssl:openssl curl:curl restic:restic flock:util-linux; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ensure-deps: installing OS packages: ${missing[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || { echo "ensure-deps: apt-get install ${missing[*]} failed" >&2; exit 1; }
  else
    echo "ensure-deps: missing OS packages: ${missing[*]} (install them with your package manager)" >&2; exit 1
  fi
fi
# Compared by content, not by timestamp: a fresh checkout (a clone, a git worktree sharing
# node_modules) has a newer lock file with the same packages, and must not reinstall them.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.package-lock.json ] || [ "$(cat node_modules/.skiff-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  echo "ensure-deps: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2 || { echo "ensure-deps: npm ci failed" >&2; exit 1; }
  echo "$lock_hash" > node_modules/.skiff-lock-hash
fi
[ -x node_modules/.bin/node ] || { echo "ensure-deps: node_modules/.bin/node missing: the node@24 package did not install" >&2; exit 1; }
