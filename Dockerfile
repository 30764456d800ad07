# syntax=docker/dockerfile:1
#
# s3-presign container image.
#
#   docker build -t s3-presign:0.1.0 .
#   docker run --rm -p 8080:8080 -e S3_ENDPOINT_MODE=regional -e S3_REGION=eu-west-1 \
#     -e S3_BUCKETS=my-bucket s3-presign:0.1.0
#
# Three stages:
#   build      full install (dev dependencies, postinstall/patch-package) and `tsc` -> dist/
#   prod-deps  a clean production-only install, with install scripts off
#   runtime    the slim Node image with dist/, the production node_modules and package.json
#
# Why a separate clean `npm ci --omit=dev --ignore-scripts` rather than `npm prune --omit=dev`
# in the build stage: the runtime tree then comes from package-lock.json alone, never from a
# tree that dev tooling has touched (patch-package rewrites files under node_modules, tsc and
# tsx leave caches), so nothing dev-only can survive into the image by accident. The stage
# depends only on package.json + package-lock.json, so BuildKit runs it in parallel with the
# build and caches it until the lock file changes. --ignore-scripts keeps the `postinstall:
# patch-package` hook (a dev dependency) from running; no production dependency has an
# install script (checked against package-lock.json: only esbuild, a dev dependency, has one).
#
# The base image is pinned by tag only (no digest could be resolved where this was written).
# Pin a digest in CI for reproducible builds:  --build-arg NODE_IMAGE=node:20-bookworm-slim@sha256:...
# Node 20 reached end-of-life upstream on 2026-04-30; package.json `engines` pins Node 20, so
# moving to Node 22/24 is a project decision (change `engines` and this ARG together).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# patches/ must be present before `npm ci`: the postinstall hook applies them.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

# npm, npx, corepack and yarn are not needed to run the service; removing them shrinks the
# attack surface (and the scanner noise) of the runtime image. The CMD below calls node directly.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*

ENV NODE_ENV=production \
    PORT=8080

WORKDIR /app
# Owned by root and not writable by the runtime user: the process cannot modify its own code.
COPY package.json ./
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist

# The base image's `node` user. Numeric, so Kubernetes' runAsNonRoot can verify it without
# a passwd lookup (a user *name* makes the kubelet refuse the pod under runAsNonRoot).
USER 1000:1000

EXPOSE 8080

# Liveness only (is the process serving HTTP?). /healthz checks S3 reachability and must not
# decide whether a container is restarted. Node's global fetch: the slim image has no curl.
# Assumes HOST is 0.0.0.0 (the default outside local mode) or includes loopback.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Exec form: node is PID 1 and receives SIGTERM itself; server.ts drains connections
# (close-with-grace) and exits. Run with `--init` (compose: `init: true`) to add a reaper.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node"]
CMD ["dist/server.js"]
