# The Skiff server image: the CLI bundle (npm run build, scripts/build.ts) on the official Node 24 base.
#   docker build -t skiff/skiff:0.1.0 .
# Not built in CI (no registry there); `skiff install --image` and the Helm chart's image.* pick it.

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
WORKDIR /app
COPY --from=build /src/dist/ /app/dist/
# The server's V8 flags (bin/server-process.mjs) given directly, so no launcher process stays around.
RUN printf '#!/bin/sh\nexec node --max-semi-space-size=8 --enable-source-maps /app/dist/skiff.mjs "$@"\n' > /usr/local/bin/skiff \
 && chmod 0755 /usr/local/bin/skiff
ENV NODE_ENV=production TMPDIR=/scratch
RUN mkdir -p /scratch && chown 1000:1000 /scratch
# The base image's `node` user (uid 1000), as the Deployment's runAsUser.
USER 1000:1000
ENTRYPOINT ["/usr/local/bin/skiff"]
CMD ["server"]
