// The deployment checks (scripts/deploy-checks/, `npm run check:deploy` in CI): the
// repository's files pass them all, and a copy broken the way a hand edit breaks it fails the
// check meant to catch it, naming the problem. The generic checks run real tools: the
// Kubernetes schemas and types (kubernetes-models, the prometheus-operator's CRDs), the Compose
// schema (dclint), dockerfile-utils and Debian's shellcheck (skipped without it, failing under
// CI=true, as the runner itself does).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { installed, runCheck, type Check } from '../../scripts/deploy-checks/check.js';
import { DeployFiles } from '../../scripts/deploy-checks/files.js';
import { ALL_CHECKS } from '../../scripts/deploy-checks/run.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What the checks read: the deployment files and what they refer to. */
const COPIED = [
  'Dockerfile',
  '.dockerignore',
  'docker-compose.yml',
  'deploy',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'README.md',
  'src',
  'patches',
  '.ci',
];
const CI = process.env.CI === 'true';
const SHELLCHECK = installed('shellcheck');

function check(name: RegExp): Check {
  const found = ALL_CHECKS.filter((candidate) => name.test(candidate.name));
  assert.equal(found.length, 1, `one check matches ${name}`);
  return found[0] as Check;
}

/** A copy of the repository's deployment files, with `edit` applied, removed after the test. */
function brokenCopy(t: TestContext, edits: Record<string, (text: string) => string>): DeployFiles {
  const root = mkdtempSync(join(tmpdir(), 's3-presign-deploy-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(root, entry), { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const before = readFileSync(join(root, file), 'utf8');
    const after = edit(before);
    assert.notEqual(after, before, `the edit of ${file} changes it`);
    writeFileSync(join(root, file), after);
  }
  return new DeployFiles(root);
}

async function problemsOf(files: DeployFiles, name: RegExp): Promise<string> {
  const result = await runCheck(check(name), files, false);
  assert.equal(result.outcome, 'FAIL', `${check(name).name} fails`);
  return result.details.join('\n');
}

describe('deployment checks', () => {
  it("pass on the repository's own files, every one of them run", async (t) => {
    const files = new DeployFiles(ROOT);
    const failed: string[] = [];
    for (const candidate of ALL_CHECKS) {
      const result = await runCheck(candidate, files, CI);
      if (result.outcome === 'skip') t.diagnostic(`skipped: ${candidate.name}: ${result.details.join('; ')}`);
      if (result.outcome === 'FAIL') failed.push(`${candidate.name}: ${result.details.join('; ')}`);
    }
    assert.deepEqual(failed, []);
    assert.ok(ALL_CHECKS.length >= 40, `${ALL_CHECKS.length} checks`);
  });

  it('Kubernetes: a misspelt field, a wrong type and a bad enum fail, in the workload and the monitoring objects', async (t) => {
    const files = brokenCopy(t, {
      'deploy/kubernetes/deployment.yaml': (text) =>
        text.replace('readinessProbe:', 'readinesProbe:').replace('replicas: 2', 'replicas: two'),
      'deploy/kubernetes/monitoring/servicemonitor.yaml': (text) => text.replace('interval: 30s', 'intervall: 30s'),
      'deploy/prometheus/prometheusrule.yaml': (text) => text.replace('for: 2m', 'for: 2 minutes'),
    });
    const schema = await problemsOf(files, /validates against its API schema/);
    assert.match(schema, /deployment\.yaml \(Deployment s3-presign\): spec\/replicas must be integer/);
    assert.match(
      schema,
      /prometheusrule\.yaml \(PrometheusRule s3-presign\): spec\/groups\/0\/rules\/\d+\/for must match pattern/,
    );
    const fields = await problemsOf(files, /field its API does not define/);
    assert.match(
      fields,
      /deployment\.yaml \(Deployment s3-presign\): .*'"readinesProbe"' does not exist in type 'IContainer'/,
    );
    assert.match(fields, /servicemonitor\.yaml \(ServiceMonitor s3-presign\): .*'"intervall"' does not exist/);
  });

  it('Kubernetes: an unknown kind, and a manifest missing from its kustomization, fail', async (t) => {
    const files = brokenCopy(t, {
      'deploy/kubernetes/hpa.yaml': (text) => text.replace('apiVersion: autoscaling/v2', 'apiVersion: autoscaling/v9'),
      'deploy/kubernetes/kustomization.yaml': (text) => text.replace('  - pdb.yaml\n', ''),
    });
    assert.match(
      await problemsOf(files, /validates against its API schema/),
      /no schema for apiVersion autoscaling\/v9/,
    );
    assert.match(await problemsOf(files, /lists exactly the manifests/), /does not list deploy\/kubernetes\/pdb\.yaml/);
  });

  it('Compose: an unknown key fails the Compose schema; the obsolete version field fails its rules', async (t) => {
    const unknownKey = brokenCopy(t, {
      'docker-compose.yml': (text) => text.replace("restart: 'no'", "restart: 'no'\n    restrat: always"),
    });
    assert.match(
      await problemsOf(unknownKey, /Compose Specification schema/),
      /instancePath="\/services\/create-bucket".*must NOT have additional properties.*\(invalid-schema, error\)/,
    );
    const version = brokenCopy(t, { 'docker-compose.yml': (text) => `version: '3.8'\n${text}` });
    assert.match(
      await problemsOf(version, /Compose Specification schema/),
      /The "version" field should not be present/,
    );
  });

  it('Dockerfile: an unknown instruction, an unknown flag and a relative WORKDIR fail the linter', async (t) => {
    const files = brokenCopy(t, {
      Dockerfile: (text) =>
        text
          .replace('WORKDIR /app', 'WORKDIR app\nFOO bar')
          .replace('COPY --from=prod-deps', 'COPY --frm=prod-deps --from=prod-deps'),
    });
    const problems = await problemsOf(files, /dockerfile-utils/);
    assert.match(problems, /Unknown instruction: FOO/);
    assert.match(problems, /Unknown flag: frm/);
    assert.match(problems, /WORKDIR paths should be absolute/);
  });

  it(
    'shellcheck: an unquoted expansion in a RUN line or the bucket job, and a broken script, fail',
    { skip: !SHELLCHECK && !CI && 'shellcheck is not installed' },
    async (t) => {
      const files = brokenCopy(t, {
        Dockerfile: (text) => text.replace('RUN npm run build', 'RUN cd $HOME && npm run build'),
        // A function: in a replacement string `$$` would be one `$`, which compose would expand away.
        'docker-compose.yml': (text) => text.replace('grep -qw "$$BUCKET"', () => 'grep -qw $$BUCKET'),
        '.ci/run': (text) => text.replace('cd "$(dirname "$0")/.."', 'cd $(dirname "$0")/..'),
      });
      const embedded = await problemsOf(files, /RUN lines and compose/);
      assert.match(embedded, /Dockerfile line \d+: line 1:\d+: .*\[SC2086\]/);
      assert.match(embedded, /docker-compose\.yml service create-bucket: line \d+:\d+: .*\[SC2086\]/);
      assert.match(await problemsOf(files, /every shell script/), /\.ci\/run:\d+:\d+: .*\[SC2046\]/);
    },
  );

  it("the project's rules: the service's loadConfig, probes on declared ports, secrets from Secrets, a shared upload key", async (t) => {
    const files = brokenCopy(t, {
      'deploy/kubernetes/configmap.yaml': (text) => text.replace(/S3_ENDPOINT_MODE: .*/, 'S3_ENDPOINT_MODE: nearby'),
      'deploy/kubernetes/deployment.yaml': (text) =>
        text
          .replace(/(livenessProbe:\s*\n\s*httpGet:\s*\n\s*path: \/livez\s*\n\s*port: )\S+/, '$1metrics')
          .replace(
            /- name: RATE_LIMIT_REDIS_URL\n(\s*)valueFrom:\n\s*secretKeyRef:\n\s*name: s3-presign-redis\n\s*key: url/,
            '- name: RATE_LIMIT_REDIS_URL\n$1value: redis://:hunter2@redis:6379',
          )
          .replace(/- name: UPLOAD_TOKEN_SECRET\n(?:\s+(?:valueFrom|secretKeyRef|name|key|optional):.*\n)+/, ''),
    });
    assert.match(await problemsOf(files, /passes its loadConfig/), /S3_ENDPOINT_MODE/);
    assert.match(
      await problemsOf(files, /Deployment probes/),
      /livenessProbe port metrics is not a port the container declares/,
    );
    const secrets = await problemsOf(files, /come only from a Secret/);
    assert.match(secrets, /RATE_LIMIT_REDIS_URL is a literal value, not a secretKeyRef/);
    assert.match(secrets, /no UPLOAD_TOKEN_SECRET: each replica would refuse the others' multipart upload IDs/);
  });

  it('a check whose tool is missing skips, and fails under CI=true', async () => {
    const files = new DeployFiles(ROOT);
    const needsTool: Check = {
      area: 'test',
      name: 'needs a tool',
      tool: { command: 'no-such-tool-s3-presign', install: 'nowhere' },
      run: () => [],
    };
    assert.equal((await runCheck(needsTool, files, false)).outcome, 'skip');
    const underCi = await runCheck(needsTool, files, true);
    assert.equal(underCi.outcome, 'FAIL');
    assert.match(underCi.details.join(), /no-such-tool-s3-presign is not installed \(nowhere\): CI runs every check/);
  });
});
