// `s3-presign doctor`: the health checks and the private-route checklist from a shell
// (src/health/doctor.ts runs them), printed as lines or as JSON.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config/config.js';
import { escapeControlCharacters as shown, jsonForDisplay } from '../control-characters.js';
import { verifiedChecksumsSetting } from '../endpoint/checksum-algorithms.js';
import { objectKeyProblem } from '../endpoint/object-key.js';
import type { HealthCheckResult } from '../health/endpoint-checks.js';
import type { ChecklistItem } from '../health/private-route-checklist.js';
import type { DoctorFindings } from '../health/doctor.js';
import type { GuaranteeVerdict, StoreVerdict } from '../health/store-guarantees.js';
import type { StoreProbeReport } from '../health/store-probe.js';
import { describeMode } from '../verify/url-validator.js';
import { UsageError, type Command } from './command.js';
import { MODE_FLAGS } from './help.js';
import { cliCredentials, configFrom, MODE_OPTIONS } from './mode-flags.js';

const OPTIONS = {
  ...MODE_OPTIONS,
  bucket: { type: 'string' },
  'vpce-id': { type: 'string', multiple: true },
  'service-role-arn': { type: 'string' },
  'probe-store': { type: 'boolean' },
  'probe-prefix': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const doctor: Command = {
  summary: 'run the health checks and the private-route checklist',
  help: `Usage: s3-presign doctor [--bucket B] [--vpce-id ID]… [--service-role-arn ARN] [--probe-store [--probe-prefix P]] [mode flags]

Runs the health checks and the private-route checklist from a shell.
  --bucket B                 the bucket to check (else S3_BUCKETS)
  --vpce-id ID               a VPC endpoint the bucket policy should admit (repeatable)
  --service-role-arn ARN     the service's role, when STS cannot say its path
  --probe-store              find out with real requests what the store enforces
  --probe-prefix P           where the probe writes (cleaned up after)
  --json                     the results as JSON

${MODE_FLAGS}

Example:
  s3-presign doctor --mode regional --region eu-west-1 --bucket my-bucket`,

  async run(args, io) {
    const { values } = parseArgs({ args, options: OPTIONS, strict: true });
    const prefix = values['probe-prefix'];
    if (prefix !== undefined) {
      if (!values['probe-store']) throw new UsageError('--probe-prefix only applies with --probe-store');
      const problem = objectKeyProblem(`${prefix}probe`);
      if (problem) throw new UsageError(`--probe-prefix: a key under it ${problem}`);
    }
    const config = configFrom(values, io.env, {
      bucket: values.bucket ?? io.env.S3_BUCKETS,
      requireBuckets: true,
    });
    const credentials = await cliCredentials(config, io.env);
    const serviceRoleArn = values['service-role-arn'];
    if (serviceRoleArn !== undefined) await checkDoctorRole(serviceRoleArn, config);
    const { runDoctorChecks } = await import('../health/doctor.js');
    const { DEFAULT_STORE_PROBE_PREFIX } = await import('../health/store-probe.js');
    const findings = await runDoctorChecks(config, {
      credentials,
      env: io.env,
      vpceIds: values['vpce-id'] ?? [],
      serviceRoleArn,
      probeStore: values['probe-store'] ? { prefix: prefix ?? DEFAULT_STORE_PROBE_PREFIX } : undefined,
    });
    io.stdout.write(values.json ? `${jsonForDisplay(findingsJson(findings))}\n` : findingsText(findings, config));
    return findings.ok ? 0 : 1;
  },
};

/** doctor's --service-role-arn is there for the role's path: a session ARN has none. */
async function checkDoctorRole(arn: string, config: Config): Promise<void> {
  const { roleOf, serviceRoleProblem } = await import('../iam/principal-arn.js');
  const partition = 'partition' in config.mode ? config.mode.partition.name : 'aws';
  const problem = serviceRoleProblem({ arn, source: '--service-role-arn' }, partition);
  if (problem) throw new UsageError(problem);
  if (roleOf(arn)?.path === undefined) {
    throw new UsageError(
      `--service-role-arn "${arn}" is a role session, which does not say the role's path: pass the role's ARN (aws iam get-role --role-name NAME --query Role.Arn)`,
    );
  }
}

function findingsJson({ report, ok, checklist, store, probed, probeFailure }: DoctorFindings): unknown {
  return {
    ...report,
    ok,
    checklist,
    store,
    ...(probed
      ? {
          storeProbe: {
            ...probed.report,
            verdicts: probed.judged.verdicts,
            recommendedChecksums: probed.judged.recommendedChecksums,
            ...(probed.recordedIn ? { recordedIn: probed.recordedIn } : {}),
          },
        }
      : {}),
    ...(probeFailure ? { storeProbeFailure: probeFailure } : {}),
  };
}

function findingsText(findings: DoctorFindings, config: Config): string {
  const { report, checklist, store, probed, probeFailure } = findings;
  const lines = [`s3-presign doctor: ${shown(describeMode(config.mode))}, bucket ${shown(findings.bucket)}\n`];
  for (const check of report.checks) lines.push(`${checklistLine(check)}\n`);
  for (const item of checklist) lines.push(`${itemLines(item)}\n`);
  if (probed) lines.push(probeTable(probed.report, probed.judged, config, probed.recordedIn));
  if (probeFailure) lines.push(`[✗] store probe     ${shown(probeFailure)}\n`);
  // Right after a probe, a skipped store check would only repeat the table's last line.
  if (!(probed && store.skipped)) lines.push(`${checklistLine({ name: 'store', ...store })}\n`);
  lines.push(findings.ok ? 'healthy\n' : 'unhealthy\n');
  return lines.join('');
}

const VERDICT_MARKS: Record<GuaranteeVerdict['status'], string> = { ok: '[✓]', warn: '[!]', fail: '[✗]' };

/** The probe's findings as a table: guarantee, whether it holds, what the store did, what the service does. */
function probeTable(report: StoreProbeReport, judged: StoreVerdict, config: Config, recordedIn?: string): string {
  const rows = judged.verdicts.map((verdict) => [
    `${VERDICT_MARKS[verdict.status]} ${verdict.label}`,
    verdict.holds === true ? 'holds' : verdict.holds === false ? 'does not hold' : 'unknown',
    verdict.observed,
    verdict.reaction,
  ]);
  const header = ['    guarantee', 'on this store', 'what the store did', 'what the service does'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] as number)))
      .join('  ');
  const { cleanup } = report;
  const lines = [
    `store guarantees, probed under ${report.prefix} ([✓] fine as configured, [!] worth knowing, [✗] to fix):`,
    line(header),
    ...rows.map(line),
    `S3_STORE_CHECKSUMS for this store: ${judged.recommendedChecksums} (configured: ${verifiedChecksumsSetting(config.store.verifiedChecksums)})`,
    cleanup.failed.length === 0
      ? `probe keys: ${cleanup.deleted} deleted`
      : `probe keys: ${cleanup.deleted} deleted, ${cleanup.failed.length} left behind: ${cleanup.failed.map((left) => `${left.key} (${left.error})`).join(', ')}`,
    recordedIn
      ? `recorded in ${recordedIn} (S3_STORE_PROBE_FILE) for /healthz`
      : 'not recorded: set S3_STORE_PROBE_FILE to keep it for /healthz',
  ];
  return `${lines.map(shown).join('\n')}\n`;
}

function checklistLine(check: Omit<HealthCheckResult, 'name'> & { name: string }): string {
  const mark = check.skipped ? '[-]' : check.ok ? '[✓]' : '[✗]';
  const code = check.ok ? '' : ` (${check.code})`;
  return `${mark} ${check.name.padEnd(15)} ${shown(check.message)}${code}  ${Math.round(check.durationMs)} ms`;
}

const MARKS: Record<ChecklistItem['status'], string> = {
  ok: '[✓]',
  warn: '[!]',
  fail: '[✗]',
  skipped: '[-]',
  manual: '[?]',
};

function itemLines(item: ChecklistItem): string {
  const prefix = item.status === 'manual' ? 'verify by hand: ' : '';
  const code = item.code ? ` (${item.code})` : '';
  const head = `${MARKS[item.status]} ${item.name.padEnd(15)} ${prefix}${shown(item.message)}${code}`;
  return [head, ...(item.commands ?? []).map((command) => `      $ ${shown(command)}`)].join('\n');
}
