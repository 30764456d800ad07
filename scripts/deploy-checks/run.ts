// Checks the deployment files (Dockerfile, .dockerignore, docker-compose.yml, the Kubernetes
// manifests and monitoring objects) without a Docker engine, a cluster or the network, and
// prints one line per check: `ok`, `FAIL` with its problems, or `skip`. Exit code 1 when any
// check failed. Under CI=true a check whose program is missing fails instead of skipping.
//
//   npm run check:deploy        (after npm ci; shellcheck from Debian for the shell checks)
//
// The generic checks use tools: Kubernetes schemas (kubernetes-schemas.ts), the Compose schema
// (compose-schema.ts), a Dockerfile linter (dockerfile-lint.ts), shellcheck (shellcheck.ts).
// The rest are this project's own rules, one file per subject.
import { fileURLToPath } from 'node:url';
import { formatResult, runCheck, type Check, type Outcome } from './check.js';
import { CHECKS as COMPOSE_SCHEMA } from './compose-schema.js';
import { CHECKS as COMPOSE_STACK } from './compose-stack.js';
import { CHECKS as DOCKERFILE_LINT } from './dockerfile-lint.js';
import { DeployFiles } from './files.js';
import { CHECKS as IMAGE } from './image.js';
import { CHECKS as KUBERNETES_CONFIG } from './kubernetes-config.js';
import { CHECKS as KUBERNETES_OBJECTS } from './kubernetes-objects.js';
import { CHECKS as KUBERNETES_SCHEMAS } from './kubernetes-schemas.js';
import { CHECKS as KUBERNETES_WORKLOAD } from './kubernetes-workload.js';
import { CHECKS as PACKAGE } from './package.js';
import { CHECKS as SHELLCHECK } from './shellcheck.js';

export const ALL_CHECKS: readonly Check[] = [
  ...DOCKERFILE_LINT,
  ...IMAGE,
  ...PACKAGE,
  ...COMPOSE_SCHEMA,
  ...COMPOSE_STACK,
  ...KUBERNETES_SCHEMAS,
  ...KUBERNETES_OBJECTS,
  ...KUBERNETES_WORKLOAD,
  ...KUBERNETES_CONFIG,
  ...SHELLCHECK,
];

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = new DeployFiles(fileURLToPath(new URL('../../', import.meta.url)));
  const ci = process.env.CI === 'true';
  const tally: Record<Outcome, number> = { ok: 0, FAIL: 0, skip: 0 };
  process.stdout.write('deploy checks: Dockerfile, docker-compose.yml, deploy/kubernetes, deploy/prometheus, shell\n');
  for (const check of ALL_CHECKS) {
    const result = await runCheck(check, files, ci);
    tally[result.outcome]++;
    process.stdout.write(`${formatResult(result)}\n`);
  }
  process.stdout.write(`deploy checks: ${tally.ok} ok, ${tally.FAIL} failed, ${tally.skip} skipped\n`);
  process.exitCode = tally.FAIL > 0 ? 1 : 0;
}
