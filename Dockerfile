# The Skiff image: the CLI bundle (npm run build, scripts/build.ts: dist/skiff.mjs and its chunks) on the official Node 24 base, for the
# server Deployment and the node-agent DaemonSet (which runs kopia, built here from Go modules, or
# restic, from Debian).
#   docker build -t skiff/skiff:0.1.0 .
# Not built in CI (no registry there); `skiff install --image` and the Helm chart's image.* pick it.

# kopia from the Go module proxy, as scripts/testenv/build.sh builds it for the tests (a unit test keeps
# the version equal to versions.env's KOPIA): `go install kopia@v` fails where the proxy refuses kopia's
# version list, so through a wrapper module whose go.sum is kopia's own.
FROM golang:1.26-bookworm AS kopia
ARG KOPIA_VERSION=0.23.1
ENV CGO_ENABLED=0 GOFLAGS= GOTOOLCHAIN=local
WORKDIR /src/kopiabin
RUN printf 'module skiff.local/kopiabin\n\ngo 1.26.0\n\nrequire github.com/kopia/kopia v%s\n' "$KOPIA_VERSION" > go.mod \
 && go mod download "github.com/kopia/kopia@v$KOPIA_VERSION" \
 && cp "$(go env GOMODCACHE)/github.com/kopia/kopia@v$KOPIA_VERSION/go.sum" . && chmod u+w go.sum \
 && go build -mod=mod -trimpath -ldflags "-s -w" -o /out/kopia github.com/kopia/kopia \
 && /out/kopia --version

FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# No install scripts: the `node` devDependency would download a second Node, and the bundle needs none.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.ts scripts/build.ts
COPY src src
# Straight through node, not `npm run build`: npm would put node_modules/.bin (where the `node`
# package's unpopulated stub lives) first on PATH.
RUN node --import tsx scripts/build.ts

FROM node:24-slim
LABEL org.opencontainers.image.title="skiff" \
      org.opencontainers.image.description="Kubernetes backup and restore compatible with Velero's API and bucket layout" \
      org.opencontainers.image.licenses="Apache-2.0"
# restic (the node agent's other uploader, 0.14 as in the tests) from Debian; certificates for S3 over TLS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends restic ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=kopia /out/kopia /usr/local/bin/kopia
WORKDIR /app
COPY --from=build /src/dist/ /app/dist/
# The server's V8 flags (SERVER_NODE_FLAGS in bin/server-process.mjs; a unit test keeps them equal) given
# directly, so no launcher process stays around; the node agent's (NODE_AGENT_NODE_FLAGS) when the
# command is node-agent, as the DaemonSet runs it. No --enable-source-maps: it parses the bundle's 10 MB
# map into the heap of every process, measured 96 -> 203 MiB RSS for an idle node agent; set
# NODE_OPTIONS=--enable-source-maps to read stack traces against the TypeScript sources.
RUN printf '#!/bin/sh\nif [ "$1" = node-agent ]; then exec node --max-semi-space-size=4 --heap-growing-percent=30 --lite-mode /app/dist/skiff.mjs "$@"; fi\nexec node --max-semi-space-size=4 --heap-growing-percent=30 /app/dist/skiff.mjs "$@"\n' > /usr/local/bin/skiff \
 && chmod 0755 /usr/local/bin/skiff
ENV NODE_ENV=production TMPDIR=/scratch
RUN mkdir -p /scratch && chown 1000:1000 /scratch
# The base image's `node` user (uid 1000), as the Deployment's runAsUser.
USER 1000:1000
ENTRYPOINT ["/usr/local/bin/skiff"]
CMD ["server"]
