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
# The base image is Node.js 26, the newest LTS line (LTS since 2026-10-28; package.json
# `engines` and the README's "Node.js lines" agree, and scripts/deploy-checks/image.ts checks it). It is
# pinned by exact version and by the digest docker-library/repo-info recorded for that build
# (repos/node/remote/current-trixie-slim.md, 2026-09-22: the index of node:26.10.0-trixie-slim,
# amd64/arm64/ppc64le/s390x); with a digest, Docker pulls exactly that and ignores the tag.
# 26.10.0 is also what the npm registry's `node@26` installs, so `.ci/run` tests the same
# Node.js. Move version and digest together:
#   docker buildx imagetools inspect node:26.X.Y-trixie-slim   (prints the index digest)
ARG NODE_IMAGE=node:26.10.0-trixie-slim@sha256:ec7758ee051e457b468b32bde57b0879010b325bb9862718e9615225ce4aaae1

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

# npm and npx (and corepack and yarn, which older node images carried) are not needed to run the
# service; removing them shrinks the attack surface (and the scanner noise) of the runtime image.
# The CMD below calls node directly.
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
