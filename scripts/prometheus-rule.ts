// The prometheus-operator's PrometheusRule for the alert rules: the plain rule file's groups,
// unchanged, inside a Kubernetes object. `npm run prometheus-rule` writes it; the rules test
// fails when the committed one differs from what this renders.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parse, stringify } from 'yaml';

export const RULES_FILE = new URL('../deploy/prometheus/s3-presign.rules.yaml', import.meta.url);
export const PROMETHEUS_RULE_FILE = new URL('../deploy/prometheus/prometheusrule.yaml', import.meta.url);

export async function renderPrometheusRule(): Promise<string> {
  const rules = parse(await readFile(RULES_FILE, 'utf8')) as { groups: unknown[] };
  const object = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 's3-presign',
      labels: { 'app.kubernetes.io/name': 's3-presign', 'app.kubernetes.io/component': 'api' },
    },
    spec: { groups: rules.groups },
  };
  const text = [
    '# Generated from s3-presign.rules.yaml by `npm run prometheus-rule`: edit that file, not this one.',
    '# A Prometheus run by the operator loads the rules whose labels match its ruleSelector (the',
    '# kube-prometheus-stack chart selects `release: <its release name>`): add that label in an',
    '# overlay. deploy/kubernetes/monitoring/ applies it with the ServiceMonitor.',
    stringify(object, { lineWidth: 0 }),
  ].join('\n');
  // Formatted as `npm run lint` wants every file.
  const path = fileURLToPath(PROMETHEUS_RULE_FILE);
  return format(text, { ...(await resolveConfig(path)), filepath: path });
}
