// `s3-presign audit --audit-log FILE --s3-access-log FILE…`: for each request in S3's server
// access logs, the grant it came from (its `x-s3p-grant`) and who was given that grant, from
// the service's audit stream. cli.ts dispatches here; this module owns the command.
import { readFile } from 'node:fs/promises';
import type { ParseArgsConfig } from 'node:util';
import { escapeControlCharacters as shown, jsonForDisplay } from '../control-characters.js';
import { parseAccessLogLine, type AccessLogRecord } from './access-log.js';
import type { WorkCounter } from '../work-counter.js';
import { auditEventSchema, type GrantEvent } from './audit-event.js';

export const AUDIT_OPTIONS = {
  'audit-log': { type: 'string', multiple: true },
  's3-access-log': { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export interface AuditFlags {
  'audit-log'?: string[] | undefined;
  's3-access-log'?: string[] | undefined;
  json?: boolean | undefined;
}

/** A flag missing or a file unreadable: the CLI's usage error (exit 2). */
export class AuditInputError extends Error {}

export interface JoinedRequest {
  s3: Omit<AccessLogRecord, 'grant'>;
  /** The grant id the request's URL carried, if any. */
  grant: string | undefined;
  /** The audit event of that grant, when the audit log holds it. */
  granted: GrantEvent | undefined;
}

export interface AuditJoin {
  requests: JoinedRequest[];
  /** Lines of the access logs that are not records, and of the audit logs that are not events. */
  skipped: { accessLog: number; auditLog: number };
}

/** The join itself: grant events by id, then each access-log record with its grant's event. */
export function joinAuditAndAccessLogs(
  auditText: readonly string[],
  accessText: readonly string[],
  work?: WorkCounter,
): AuditJoin {
  const grants = new Map<string, GrantEvent>();
  let auditSkipped = 0;
  for (const text of auditText) {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        auditSkipped++;
        continue;
      }
      // AUDIT_LOG=stdout interleaves the request log: its lines are not events, and not errors.
      if ((parsed as { audit?: unknown } | null)?.audit !== true) continue;
      const event = auditEventSchema.safeParse(parsed);
      if (!event.success) auditSkipped++;
      else if (event.data.event === 'grant') grants.set(event.data.grant, event.data);
    }
  }
  const requests: JoinedRequest[] = [];
  let accessSkipped = 0;
  for (const text of accessText) {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const record = parseAccessLogLine(line, work);
      if (record === undefined) {
        accessSkipped++;
        continue;
      }
      const { grant, ...s3 } = record;
      requests.push({ s3, grant, granted: grant === undefined ? undefined : grants.get(grant) });
    }
  }
  return { requests, skipped: { accessLog: accessSkipped, auditLog: auditSkipped } };
}

async function readAll(flag: string, files: readonly string[] | undefined): Promise<string[]> {
  if (files === undefined || files.length === 0) throw new AuditInputError(`--${flag} FILE is required`);
  return Promise.all(
    files.map(async (file) => {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        throw new AuditInputError(`--${flag}: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
      }
    }),
  );
}

/** Runs the command: the table (or JSON) on stdout, skipped lines counted on stderr. */
export async function runAuditCommand(flags: AuditFlags): Promise<number> {
  const audit = await readAll('audit-log', flags['audit-log']);
  const access = await readAll('s3-access-log', flags['s3-access-log']);
  const joined = joinAuditAndAccessLogs(audit, access);
  if (flags.json) process.stdout.write(`${jsonForDisplay(joined.requests)}\n`);
  else process.stdout.write(auditTable(joined.requests));
  const { accessLog, auditLog } = joined.skipped;
  if (accessLog > 0 || auditLog > 0) {
    process.stderr.write(
      `s3-presign audit: skipped ${accessLog} access-log line(s) not in S3's format and ${auditLog} audit line(s) not in the event schema\n`,
    );
  }
  return 0;
}

const HEADINGS = [
  'TIME',
  'S3 OPERATION',
  'STATUS',
  'BUCKET/KEY',
  'S3 CLIENT',
  'GRANT',
  'GRANTED TO',
  'FROM',
  'GRANTED AT',
];

/** One row per S3 request, the columns as wide as their widest cell. */
export function auditTable(requests: readonly JoinedRequest[]): string {
  const rows = requests.map(({ s3, grant, granted }) => {
    const who =
      granted?.caller === undefined
        ? grant === undefined
          ? '(no grant)'
          : '(grant not in the audit log)'
        : granted.caller.subject === undefined
          ? granted.caller.id
          : `${granted.caller.id} (${granted.caller.subject})`;
    return [
      s3.time,
      s3.operation,
      s3.httpStatus,
      `${s3.bucket}/${s3.key}`,
      s3.remoteIp,
      grant ?? '-',
      who,
      granted?.clientAddress ?? '-',
      granted?.time ?? '-',
    ].map(shown);
  });
  // A loop, not Math.max(...cells): spreading a day's access log (130,000 rows and more) as
  // arguments overflowed the stack.
  const widths = HEADINGS.map((heading) => heading.length);
  for (const row of rows) {
    for (const [column, cell] of row.entries()) widths[column] = Math.max(widths[column] as number, cell.length);
  }
  const format = (cells: readonly string[]) =>
    `${cells
      .map((cell, column) => cell.padEnd(widths[column] as number))
      .join('  ')
      .trimEnd()}\n`;
  return [HEADINGS, ...rows].map(format).join('');
}
