#!/usr/bin/env bash
# `npm start`: installs what is missing, builds the CLI bundle, brings up the local cluster and S3
# server, then runs the demo (scripts/demo.sh) when it exists.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash scripts/ensure-deps.sh
export PATH="$ROOT/node_modules/.bin:$PATH"
# bin/skiff.mjs runs the bundle only while it is up to date, else falls back to slower tsx.
node --import tsx scripts/build.ts
ENVFILE=$(bash scripts/testenv/up.sh)
set -a; . "$ENVFILE"; set +a
if [ -f scripts/demo.sh ]; then bash scripts/demo.sh; fi
cat <<MSG

The local cluster and S3 server are running. Point kubectl (1.35, built here) at them:

  set -a; . $ENVFILE; set +a
  export PATH="$SKIFF_TESTENV_BIN:\$PATH"
  kubectl get nodes -L topology.kubernetes.io/zone

Stop everything with: npm run env:down
MSG
