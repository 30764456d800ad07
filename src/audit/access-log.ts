// Amazon S3 server access log records (Amazon S3 User Guide, "Amazon S3 server access log
// format"): space-delimited fields, the time in brackets, Request-URI, Referer and User-Agent
// in double quotes, `-` for a field that does not apply. S3 ignores query parameters whose
// names begin with `x-` but writes them into the Request-URI ("Custom access log
// information"), which is where a URL's `x-s3p-grant` shows up.
import type { WorkCounter } from '../work-counter.js';
import { GRANT_PARAMETER, isGrantId } from './grant-id.js';

export interface AccessLogRecord {
  bucket: string;
  /** As S3 writes it: `06/Feb/2019:00:00:38 +0000`. */
  time: string;
  remoteIp: string;
  requester: string;
  requestId: string;
  /** `REST.PUT.OBJECT`, `REST.GET.OBJECT`, … */
  operation: string;
  key: string;
  requestUri: string;
  httpStatus: string;
  errorCode: string;
  /** The grant id in the Request-URI's query, when it carries a well-formed one. */
  grant: string | undefined;
}

const FIELDS_BEFORE_STATUS = 10;

/** A record, or undefined for a line that is not one (blank, truncated, another format). */
export function parseAccessLogLine(line: string, work?: WorkCounter): AccessLogRecord | undefined {
  const fields = splitFields(line, FIELDS_BEFORE_STATUS + 1, work);
  if (fields.length < FIELDS_BEFORE_STATUS + 1) return undefined;
  const [, bucket, time, remoteIp, requester, requestId, operation, key, requestUri, httpStatus, errorCode] =
    fields as [string, string, string, string, string, string, string, string, string, string, string];
  const bracketed = time.length > 1 && time.startsWith('[') && time.endsWith(']');
  const quoted = requestUri.length > 1 && requestUri.startsWith('"') && requestUri.endsWith('"');
  if (!bracketed || !quoted) return undefined;
  const uri = requestUri.slice(1, -1);
  return {
    bucket,
    time: time.slice(1, -1),
    remoteIp,
    requester,
    requestId,
    operation,
    key,
    requestUri: uri,
    httpStatus,
    errorCode,
    grant: grantOf(uri),
  };
}

/** `PUT /bucket/key?…&x-s3p-grant=<id> HTTP/1.1` → the id. */
function grantOf(requestUri: string): string | undefined {
  const target = requestUri.split(' ')[1] ?? '';
  const query = target.indexOf('?');
  if (query === -1) return undefined;
  const value = new URLSearchParams(target.slice(query + 1)).get(GRANT_PARAMETER);
  return value !== null && isGrantId(value) ? value : undefined;
}

/**
 * The first `count` fields: a bracketed time, a quoted string, or a run of non-spaces. One
 * pass over the line (a regex alternative that scans for a closing bracket from every
 * position is quadratic on a line of unclosed brackets).
 */
export function splitFields(line: string, count: number, work?: WorkCounter): string[] {
  const fields: string[] = [];
  let at = 0;
  while (fields.length < count) {
    const start = at;
    while (line[at] === ' ') at++;
    if (work !== undefined) work.steps += at - start + 1;
    if (at >= line.length) break;
    const close = line[at] === '[' ? ']' : line[at] === '"' ? '"' : ' ';
    let end = line.indexOf(close, close === ' ' ? at : at + 1);
    if (end === -1) end = line.length;
    else if (close !== ' ') end++;
    fields.push(line.slice(at, end));
    at = end;
  }
  return fields;
}
