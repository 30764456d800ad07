#!/usr/bin/env bash
# Validates the deployment files without a Docker engine, a cluster or the network:
#   Dockerfile, .dockerignore, docker-compose.yml, deploy/kubernetes/.
#
#   bash scripts/lint-deploy.sh        (needs `npm ci` first: it runs TypeScript through tsx)
#
# 1. Built-in checks (scripts/lint-deploy.ts): YAML well-formedness, compose structure,
#    Dockerfile rules, Kubernetes invariants, and the service's own loadConfig run against the
#    compose environment and the Kubernetes ConfigMap. Always run.
# 2. External tools, each used only when installed, otherwise reported as skipped:
#    hadolint, dclint, kubectl kustomize, kubeconform, docker compose config, shellcheck.
# Prints one line per check; exits non-zero when anything failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2

failed=0
ran=0
skipped=0

ok() {
  ran=$((ran + 1))
  printf 'ok    %-10s %s\n' tool "$1"
}
fail() {
  ran=$((ran + 1))
  failed=$((failed + 1))
  printf 'FAIL  %-10s %s\n' tool "$1"
}
skip() {
  skipped=$((skipped + 1))
  printf 'skip  %-10s %s\n                 - %s\n' tool "$1" "$2"
}
have() { command -v "$1" >/dev/null 2>&1; }

# --- 1. built-in checks -------------------------------------------------------------------------
if [ ! -d node_modules/tsx ]; then
  echo 'lint-deploy: node_modules/tsx is missing; run "npm ci" first' >&2
  exit 2
fi
node --import tsx scripts/lint-deploy.ts || failed=$((failed + 1))

# --- 2. external tools --------------------------------------------------------------------------
echo 'lint-deploy: external tools'

# Dockerfile linter. Not packaged by Debian (bookworm) or npm; install the binary yourself.
if have hadolint; then
  if hadolint Dockerfile; then ok 'hadolint Dockerfile'; else fail 'hadolint Dockerfile'; fi
else
  skip 'hadolint Dockerfile' 'hadolint is not installed (the built-in Dockerfile rules above stand in)'
fi

# Compose schema and best practices (npm package dclint). Rules about key and service ordering
# are style only; the schema check (unknown keys, wrong types) is what matters here.
dclint_bin=node_modules/.bin/dclint
if [ ! -x "$dclint_bin" ] && have dclint; then dclint_bin=$(command -v dclint); fi
if [ -x "$dclint_bin" ]; then
  if "$dclint_bin" docker-compose.yml --color=false \
    --disable-rule service-keys-order services-alphabetical-order service-dependencies-alphabetical-order; then
    ok 'dclint docker-compose.yml (Compose JSON schema + rules)'
  else
    fail 'dclint docker-compose.yml (Compose JSON schema + rules)'
  fi
else
  skip 'dclint docker-compose.yml' 'dclint is not installed (devDependency dclint); no Compose JSON-schema check'
fi

# Compose's own parser and interpolation; needs the compose plugin, not the engine.
if docker compose version >/dev/null 2>&1; then
  if docker compose -f docker-compose.yml config --quiet; then
    ok 'docker compose config'
  else
    fail 'docker compose config'
  fi
else
  skip 'docker compose config' 'the docker compose plugin is not installed'
fi

# Kustomize build: resources resolve, the image transform applies. Offline.
rendered=''
if have kubectl; then
  if rendered=$(kubectl kustomize deploy/kubernetes 2>&1); then
    count=$(printf '%s\n' "$rendered" | grep -c '^kind:' || true)
    ok "kubectl kustomize deploy/kubernetes ($count objects)"
  else
    printf '%s\n' "$rendered" >&2
    rendered=''
    fail 'kubectl kustomize deploy/kubernetes'
  fi
else
  skip 'kubectl kustomize deploy/kubernetes' 'kubectl is not installed'
fi

# Strict schema validation (rejects unknown fields). kubeconform downloads its schemas unless
# KUBECONFORM_SCHEMA_LOCATION points at a local copy.
if have kubeconform; then
  args=(-strict -summary)
  if [ -n "${KUBECONFORM_SCHEMA_LOCATION:-}" ]; then args+=(-schema-location "$KUBECONFORM_SCHEMA_LOCATION"); fi
  if [ -n "$rendered" ]; then
    if printf '%s\n' "$rendered" | kubeconform "${args[@]}" -; then ok 'kubeconform -strict'; else fail 'kubeconform -strict'; fi
  elif kubeconform "${args[@]}" deploy/kubernetes/{configmap,deployment,hpa,pdb,service,serviceaccount}.yaml; then
    ok 'kubeconform -strict'
  else
    fail 'kubeconform -strict'
  fi
else
  skip 'kubeconform -strict' 'kubeconform is not installed (unknown Kubernetes fields are not detected)'
fi

if have shellcheck; then
  if shellcheck scripts/lint-deploy.sh; then ok 'shellcheck scripts/lint-deploy.sh'; else fail 'shellcheck scripts/lint-deploy.sh'; fi
else
  skip 'shellcheck scripts/lint-deploy.sh' 'shellcheck is not installed (Debian package shellcheck)'
fi

echo "lint-deploy: external tools: $ran run, $skipped skipped"
if [ "$failed" -gt 0 ]; then
  echo 'lint-deploy: FAILED'
  exit 1
fi
echo 'lint-deploy: all checks that could run are clean'
