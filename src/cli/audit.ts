// `s3-presign audit --audit-log FILE --s3-access-log FILE…`: for each request in S3's server
// access logs, who was granted it (src/audit/audit-join.ts joins them), as a table or JSON.
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { joinAuditAndAccessLogs, type JoinedRequest } from '../audit/audit-join.js';
import { escapeControlCharacters as shown, jsonForDisplay } from '../control-characters.js';
import { UsageError, type CliIo, type Command } from './command.js';

const OPTIONS = {
  'audit-log': { type: 'string', multiple: true },
  's3-access-log': { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

interface AuditFlags {
  'audit-log'?: string[] | undefined;
  's3-access-log'?: string[] | undefined;
  json?: boolean | undefined;
}

export const audit: Command = {
  summary: "join S3's access logs with the audit stream: who was granted each request",
  help: `Usage: s3-presign audit --audit-log FILE… --s3-access-log FILE… [--json]

Joins S3's server access logs with the service's audit stream by grant id (x-s3p-grant): for
each S3 request, who was granted it (see docs/audit-and-provenance.md).
  --audit-log FILE           the service's audit events (AUDIT_LOG), JSON lines; repeatable
  --s3-access-log FILE       S3 server access log files; repeatable
  --json                     one JSON object per S3 request instead of a table

Example:
  s3-presign audit --audit-log audit.jsonl --s3-access-log 2026-12-06-10-00-00-EXAMPLE`,

  async run(args, io) {
    const { values } = parseArgs({ args, options: OPTIONS, strict: true });
    return runAudit(values, io);
  },
};

async function readAll(flag: string, files: readonly string[] | undefined): Promise<string[]> {
  if (files === undefined || files.length === 0) throw new UsageError(`--${flag} FILE is required`);
  return Promise.all(
    files.map(async (file) => {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        throw new UsageError(`--${flag}: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
      }
    }),
  );
}

/** The table (or JSON) on stdout, skipped lines counted on stderr. */
async function runAudit(flags: AuditFlags, io: CliIo): Promise<number> {
  const audit = await readAll('audit-log', flags['audit-log']);
  const access = await readAll('s3-access-log', flags['s3-access-log']);
  const joined = joinAuditAndAccessLogs(audit, access);
  if (flags.json) io.stdout.write(`${jsonForDisplay(joined.requests)}\n`);
  else io.stdout.write(auditTable(joined.requests));
  const { accessLog, auditLog } = joined.skipped;
  if (accessLog > 0 || auditLog > 0) {
    io.stderr.write(
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
