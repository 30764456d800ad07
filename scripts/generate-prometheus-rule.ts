// npm run prometheus-rule: rewrites deploy/prometheus/prometheusrule.yaml from the rule file.
import { writeFile } from 'node:fs/promises';
import { PROMETHEUS_RULE_FILE, renderPrometheusRule } from './prometheus-rule.js';

await writeFile(PROMETHEUS_RULE_FILE, await renderPrometheusRule());
process.stdout.write(`wrote ${PROMETHEUS_RULE_FILE.pathname}\n`);
