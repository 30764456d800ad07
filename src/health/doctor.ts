// `s3-presign doctor`: the /healthz checks from a shell, as a checklist a person can read.
import type { Config } from '../config/config.js';
import { escapeControlCharacters as shown, jsonForDisplay } from '../control-characters.js';
import { describeMode } from '../verify/url-validator.js';
import { createPresigner } from '../presign/create-presigner.js';
import type { HealthCheckResult } from './checks.js';
import { serviceHealthCheck } from './service-health.js';

export async function runDoctor(config: Config, options: { json: boolean }): Promise<number> {
  const signing = await createPresigner(config);
  try {
    const report = await serviceHealthCheck(config, signing)();
    if (options.json) {
      process.stdout.write(`${jsonForDisplay(report)}\n`);
    } else {
      process.stdout.write(
        `s3-presign doctor: ${shown(describeMode(config.mode))}, bucket ${shown(config.buckets[0] ?? '')}\n`,
      );
      for (const check of report.checks) process.stdout.write(`${checklistLine(check)}\n`);
      process.stdout.write(report.ok ? 'healthy\n' : 'unhealthy\n');
    }
    return report.ok ? 0 : 1;
  } finally {
    signing.close();
  }
}

function checklistLine(check: HealthCheckResult): string {
  const mark = check.skipped ? '[-]' : check.ok ? '[✓]' : '[✗]';
  const code = check.ok ? '' : ` (${check.code})`;
  return `${mark} ${check.name.padEnd(11)} ${shown(check.message)}${code}  ${Math.round(check.durationMs)} ms`;
}
