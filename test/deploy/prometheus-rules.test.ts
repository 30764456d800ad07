// The alert rules (deploy/prometheus/) with Prometheus's own tool: promtool checks them and runs
// their unit tests (series in, alerts out). Around that, what promtool cannot know: every rule
// has a case that fires it, pages to a runbook section that exists, and reads metrics the
// service exports; and the operator's PrometheusRule holds the same groups.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { PROMETHEUS_RULE_FILE, renderPrometheusRule, RULES_FILE } from '../../scripts/prometheus-rule.js';
import { startLocalApp } from '../helpers.js';
import { prometheusMissing, promtool } from '../prometheus-tools.js';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rulesPath = fileURLToPath(RULES_FILE);
const testsPath = fileURLToPath(new URL('../../deploy/prometheus/s3-presign.rules.test.yaml', import.meta.url));
const rules = (parse(readFileSync(rulesPath, 'utf8')) as { groups: Array<{ rules: AlertRule[] }> }).groups.flatMap(
  (group) => group.rules,
);

function runPromtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(promtool as string, args, { encoding: 'utf8', cwd: fileURLToPath(new URL('.', RULES_FILE)) });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

test('promtool check rules accepts the rule file', { skip: prometheusMissing() }, () => {
  const { status, output } = runPromtool('check', 'rules', rulesPath);
  assert.equal(status, 0, output);
  assert.match(output, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

test('promtool test rules: every unit test passes', { skip: prometheusMissing() }, () => {
  const { status, output } = runPromtool('test', 'rules', testsPath);
  assert.equal(status, 0, output);
  assert.match(output, /SUCCESS/);
});

test('every rule has a unit test that fires it and one where it stays quiet', () => {
  const cases = (
    parse(readFileSync(testsPath, 'utf8')) as {
      tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    }
  ).tests.flatMap((unit) => unit.alert_rule_test ?? []);
  for (const rule of rules) {
    const own = cases.filter((entry) => entry.alertname === rule.alert);
    assert.ok(
      own.some((entry) => entry.exp_alerts.length > 0),
      `${rule.alert}: no test expects it to fire`,
    );
    assert.ok(
      own.some((entry) => entry.exp_alerts.length === 0),
      `${rule.alert}: no test expects it to stay quiet`,
    );
  }
});

test('every alert has a severity, a summary, a description and a runbook section that exists', () => {
  const operations = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const anchors = new Set(
    [...operations.matchAll(/^#+\s+(.+)$/gm)].map(([, heading]) => githubAnchor(heading as string)),
  );
  assert.ok(rules.length >= 10, `${rules.length} rules`);
  for (const rule of rules) {
    assert.match(rule.alert, /^S3Presign[A-Z][A-Za-z0-9]+$/);
    assert.ok(['critical', 'warning'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity`);
    assert.ok(rule.annotations?.summary, `${rule.alert}: summary`);
    assert.ok(rule.annotations?.description, `${rule.alert}: description`);
    const runbook = rule.annotations?.runbook_url ?? '';
    const [page, anchor] = runbook.split('#');
    assert.equal(page, 'docs/operations.md', `${rule.alert}: runbook_url ${runbook}`);
    assert.equal(anchor, githubAnchor(rule.alert), `${rule.alert}: the runbook section is named after the alert`);
    assert.ok(anchors.has(anchor as string), `${rule.alert}: docs/operations.md has no section #${anchor}`);
  }
});

test('every metric the rules read is one the service exports', async (t) => {
  const { app } = await startLocalApp(t);
  const exposition = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const exported = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    exported.add(name as string);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${name}${suffix}`);
  }
  for (const rule of rules) {
    const read = [...rule.expr.matchAll(/\b(?:s3presign|nodejs|process)_[a-z0-9_]+/g)].map(([name]) => name);
    assert.ok(read.length > 0, `${rule.alert} reads no metric of the service`);
    for (const name of read)
      assert.ok(exported.has(name), `${rule.alert} reads ${name}, which /metrics does not export`);
  }
});

test('the PrometheusRule is what `npm run prometheus-rule` renders from the rule file', async () => {
  assert.equal(readFileSync(PROMETHEUS_RULE_FILE, 'utf8'), await renderPrometheusRule());
});

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
