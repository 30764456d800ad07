// The audit stream: one JSON line per grant (a URL, a batch of part URLs, a POST policy, a
// multipart create, complete or abort) and per refusal (401, 403, 429). Its schema is stable
// and versioned (docs/audit-and-provenance.md, "Event schema"); a change that adds, removes or renames a
// field raises AUDIT_SCHEMA_VERSION. An event never holds a signature, a token, a policy document
// or a credential: only who, from where, what, until when and under which constraints.
//
// On the hot path: the line is written member by member, and a redaction pass runs over the few
// strings that come from outside (key, subject, content type, client address), each short, so
// the cost is that of the request log line's `req` part, not of a whole line.
import type { Caller } from '../auth/caller-policy.js';
import type { AppError } from '../errors.js';
import { loggableUrl, redactAddress, redactSecrets } from '../http/log-redaction.js';
import { isoTimeMemo } from '../iso-time.js';
import { jsonString } from '../json-string.js';

export const AUDIT_SCHEMA_VERSION = 2;

/** What a grant lets its holder do (or, for create, complete and abort, what the service did). */
export type GrantOperation =
  | 'get'
  | 'put'
  | 'post'
  | 'upload-part'
  | 'create-multipart-upload'
  | 'complete-multipart-upload'
  | 'abort-multipart-upload';

/** What the grant binds: S3 refuses a request that breaks any of it. */
export interface GrantConstraints {
  contentType?: string | undefined;
  /** The exact size signed (a PUT, a part URL), or declared for a multipart upload. */
  contentLength?: number | undefined;
  /** A POST policy's content-length-range. */
  contentLengthRange?: readonly [min: number, max: number] | undefined;
  /**
   * The flexible checksum bound, as S3 names its algorithm (`CRC64NVME`, `SHA256`, …): the value
   * a PUT or form signs, or a multipart upload's algorithm and type (each part signs its own).
   */
  checksum?: { algorithm: string; value?: string | undefined; type?: string | undefined } | undefined;
  /** The server-side encryption the upload must carry (S3_SSE*). */
  encryption?: { algorithm: string; kmsKeyId?: string | undefined; bucketKey?: boolean | undefined } | undefined;
  /** User metadata names (without `x-amz-meta-`), provenance included when it is on. */
  metadataKeys?: readonly string[] | undefined;
  tagKeys?: readonly string[] | undefined;
  /** A GET's signed response-content-disposition. */
  responseContentDisposition?: string | undefined;
}

export interface GrantRecord {
  grant: string;
  operation: GrantOperation;
  bucket: string;
  key: string;
  /** When the URL or policy stops working; for a multipart create, the upload's deadline. */
  expiresAt?: Date | undefined;
  constraints?: GrantConstraints | undefined;
  /** Part URLs: the part numbers signed in this batch. */
  partNumbers?: readonly number[] | undefined;
  /** A multipart upload's S3 upload ID: links the create to its part URLs, complete and abort. */
  uploadId?: string | undefined;
  /** A completion: the object's size in bytes. */
  size?: number | undefined;
}

/** What an event reads of the request that caused it (a FastifyRequest has all of it). */
export interface AuditedRequest {
  readonly id: string;
  /** The client's address as TRUST_PROXY reads it. */
  readonly ip: string;
  readonly method: string;
  readonly url: string;
  readonly routeOptions: { readonly url?: string | undefined };
  readonly caller?: Caller | undefined;
  /** With traces on: the request span's trace id. */
  readonly traceId?: string | undefined;
}

/** Where the lines go: a pino destination (sonic-boom), a test's capture, anything with write. */
export interface AuditDestination {
  write(line: string): unknown;
}

/** The statuses that are refusals of access: unauthenticated, forbidden, rate limited. */
const REFUSAL_STATUSES: ReadonlySet<number> = new Set([401, 403, 429]);

export class AuditTrail {
  readonly #destination: AuditDestination | undefined;
  readonly #now: () => Date;
  // One memo each: an event's time and its grant's expiry are seconds apart.
  readonly #timeText = isoTimeMemo();
  readonly #expiresAtText = isoTimeMemo();

  constructor(options: { destination: AuditDestination | undefined; now?: () => Date }) {
    this.#destination = options.destination;
    this.#now = options.now ?? (() => new Date());
  }

  /** Whether events are written anywhere (a test app without a logger writes none). */
  get enabled(): boolean {
    return this.#destination !== undefined;
  }

  grant(request: AuditedRequest | undefined, record: GrantRecord): void {
    const destination = this.#destination;
    if (destination === undefined) return;
    const { constraints, expiresAt } = record;
    destination.write(
      `{"audit":true,"version":${AUDIT_SCHEMA_VERSION},"event":"grant","time":"${this.#time()}"${this.#origin(request)}` +
        `${member('grant', record.grant)}${member('operation', record.operation)}` +
        `${member('bucket', redactSecrets(record.bucket))}${member('key', redactSecrets(record.key))}` +
        `${expiresAt === undefined ? '' : `,"expiresAt":"${this.#expiresAtText(expiresAt.getTime())}"`}` +
        `${member('uploadId', record.uploadId === undefined ? undefined : redactSecrets(record.uploadId))}` +
        `${member('partNumbers', record.partNumbers)}${member('size', record.size)}` +
        `${constraints === undefined ? '' : `,"constraints":${constraintsJson(constraints)}`}}\n`,
    );
  }

  /** A 401, 403 or 429 the request was answered with; other errors are not audit events. */
  refusal(request: AuditedRequest, error: AppError): void {
    const destination = this.#destination;
    if (destination === undefined || !REFUSAL_STATUSES.has(error.statusCode)) return;
    destination.write(
      `{"audit":true,"version":${AUDIT_SCHEMA_VERSION},"event":"refusal","time":"${this.#time()}"${this.#origin(request)}` +
        `${member('status', error.statusCode)}${member('code', error.code)}` +
        `${member('field', error.field === undefined ? undefined : redactSecrets(error.field))}}\n`,
    );
  }

  /** The event's time, as toISOString writes it. */
  #time(): string {
    return this.#timeText(this.#now().getTime());
  }

  /** Who and from where, as members that follow the event's `time`. */
  #origin(request: AuditedRequest | undefined): string {
    if (request === undefined) return '';
    const { caller } = request;
    const callerJson =
      caller === undefined
        ? undefined
        : `{${member('id', caller.id).slice(1)}${member('kind', caller.kind)}${member(
            'subject',
            caller.subject === undefined ? undefined : redactSecrets(caller.subject),
          )}}`;
    return (
      `${member('reqId', request.id)}${member('traceId', request.traceId)}` +
      `${callerJson === undefined ? '' : `,"caller":${callerJson}`}` +
      `${member('clientAddress', request.ip.length <= 256 ? redactAddress(request.ip) : 'REDACTED')}` +
      `${member('method', request.method)}` +
      // The route's pattern, never the request's own path (it may hold anything the client sent).
      `${member('route', request.routeOptions.url ?? redactSecrets(loggableUrl(request.url)))}`
    );
  }
}

/**
 * `,"name":value` as JSON.stringify writes a member of an object, or nothing for undefined (an
 * absent field). The line is written member by member rather than built as an object and
 * stringified whole: half the event's cost (issue 22; test/unit/audit/audit-trail.test.ts holds
 * it to the object's JSON.stringify on generated events).
 */
function member(name: string, value: unknown): string {
  if (value === undefined) return '';
  return `,"${name}":${typeof value === 'string' ? jsonString(value) : JSON.stringify(value)}`;
}

/** The constraints in their own order, with the two texts from outside redacted. */
function constraintsJson(constraints: GrantConstraints): string {
  let members = '';
  for (const name of Object.keys(constraints) as (keyof GrantConstraints)[]) {
    const value = constraints[name];
    members += member(
      name,
      value !== undefined && (name === 'contentType' || name === 'responseContentDisposition')
        ? redactSecrets(value as string)
        : value,
    );
  }
  return `{${members.slice(1)}}`;
}
