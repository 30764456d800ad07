// The audit join: each request in S3's server access logs with the grant it came from (its
// `x-s3p-grant`) and who was given that grant, from the service's audit stream.
import type { WorkCounter } from '../work-counter.js';
import { parseAccessLogLine, type AccessLogRecord } from './access-log.js';
import { auditEventSchema, type GrantEvent } from './audit-event.js';

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
