// AuditTrail writes each event member by member for speed (issue 22); the object-then-
// JSON.stringify version it replaced is kept here as the reference every generated event must
// equal, byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  AUDIT_SCHEMA_VERSION,
  AuditTrail,
  type AuditedRequest,
  type GrantConstraints,
  type GrantOperation,
  type GrantRecord,
} from '../../../src/audit/audit-trail.js';
import { grantEventSchema } from '../../../src/audit/audit-event.js';
import type { Caller } from '../../../src/auth/caller-policy.js';
import { AppError, ERROR_CODES, statusOf } from '../../../src/errors.js';
import { loggableUrl, redactAddress, redactSecrets } from '../../../src/http/log-redaction.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';

/** The members every event began with: what it is, when, and who from where. */
function replacedHead(event: 'grant' | 'refusal', time: Date, request: AuditedRequest | undefined) {
  return { audit: true, version: AUDIT_SCHEMA_VERSION, event, time: time.toISOString(), ...replacedOrigin(request) };
}

function replacedOrigin(request: AuditedRequest | undefined) {
  if (request === undefined) return {};
  const { caller } = request;
  return {
    reqId: request.id,
    traceId: request.traceId,
    caller:
      caller === undefined
        ? undefined
        : {
            id: caller.id,
            kind: caller.kind,
            subject: caller.subject === undefined ? undefined : redactSecrets(caller.subject),
          },
    clientAddress: request.ip.length <= 256 ? redactAddress(request.ip) : 'REDACTED',
    method: request.method,
    route: request.routeOptions.url ?? redactSecrets(loggableUrl(request.url)),
  };
}

function replacedGrantLine(time: Date, request: AuditedRequest | undefined, record: GrantRecord): string {
  const { constraints } = record;
  const event = {
    ...replacedHead('grant', time, request),
    grant: record.grant,
    operation: record.operation,
    bucket: redactSecrets(record.bucket),
    key: redactSecrets(record.key),
    expiresAt: record.expiresAt?.toISOString(),
    uploadId: record.uploadId === undefined ? undefined : redactSecrets(record.uploadId),
    partNumbers: record.partNumbers,
    size: record.size,
    constraints:
      constraints === undefined
        ? undefined
        : {
            ...constraints,
            contentType: constraints.contentType === undefined ? undefined : redactSecrets(constraints.contentType),
            responseContentDisposition:
              constraints.responseContentDisposition === undefined
                ? undefined
                : redactSecrets(constraints.responseContentDisposition),
          },
  };
  return `${JSON.stringify(event)}\n`;
}

function replacedRefusalLine(time: Date, request: AuditedRequest, error: AppError): string {
  const event = {
    ...replacedHead('refusal', time, request),
    status: error.statusCode,
    code: error.code,
    field: error.field === undefined ? undefined : redactSecrets(error.field),
  };
  return `${JSON.stringify(event)}\n`;
}

const optional = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined, freq: 3 });
/** Text from outside: plain, escaped in JSON, non-ASCII, and shaped like the secrets redaction removes. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  // Any UTF-16 unit, lone surrogates and control characters included: what JSON.stringify escapes.
  fc.string({ unit: fc.nat(0xffff).map((code) => String.fromCharCode(code)), maxLength: 20 }),
  fc.constantFrom(
    'uploads/2026/photo 1 (original).jpg',
    'a"b\\c\nd\u2028e\u0000\u007f',
    'lone \ud800 surrogate \udfff',
    'X-Amz-Signature=0123abcd',
    EXAMPLE_CREDENTIALS.accessKeyId,
    's3p_abcdef',
    'eyJhbGciOiJIUzI1NiJ9.e30.x',
    'attachment; filename="x.pdf"',
    // The key id with its first letter percent-encoded twice.
    `%2541${EXAMPLE_CREDENTIALS.accessKeyId.slice(1)}`,
    'ü/日本/🙂',
    '',
  ),
);
const date = fc.date({ noInvalidDate: true, min: new Date(-1e14), max: new Date(1e14) });
const caller: fc.Arbitrary<Caller> = fc
  .record({ id: text, kind: fc.constantFrom('api-key' as const, 'jwt' as const), subject: optional(text) })
  .map((who) => ({ ...who, policy: {} as Caller['policy'] }));
const request: fc.Arbitrary<AuditedRequest> = fc.record({
  id: text,
  ip: fc.oneof(fc.constantFrom('127.0.0.1', '::1', '2001:db8::1'), text, fc.string({ minLength: 250, maxLength: 300 })),
  method: fc.constantFrom('POST', 'GET', 'PUT', 'DELETE'),
  url: fc.oneof(text, fc.constantFrom('/presign?X-Amz-Signature=abc&a=1', '/s3/multipart/u1.abc.def/1')),
  routeOptions: fc.record({
    url: optional(fc.constantFrom('/presign', '/uploads', '/s3/multipart/:uploadId/:partNumber')),
  }),
  caller: optional(caller),
  traceId: optional(fc.stringMatching(/^[0-9a-f]{32}$/)),
});
const integer = fc.oneof(fc.nat(), fc.constantFrom(0, 5 * 1024 ** 4, Number.MAX_SAFE_INTEGER));
/** Every member a constraint may have, each present or not, in any order (the record keeps its own). */
const constraints: fc.Arbitrary<GrantConstraints> = fc
  .shuffledSubarray([
    ['contentType', optional(text)],
    ['contentLength', optional(integer)],
    ['contentLengthRange', optional(fc.tuple(integer, integer))],
    [
      'checksum',
      optional(
        fc.record(
          { algorithm: fc.constantFrom('CRC64NVME', 'SHA256'), value: optional(text), type: optional(text) },
          { requiredKeys: ['algorithm'] },
        ),
      ),
    ],
    [
      'encryption',
      optional(
        fc.record(
          {
            algorithm: fc.constantFrom('AES256', 'aws:kms'),
            kmsKeyId: optional(text),
            bucketKey: optional(fc.boolean()),
          },
          { requiredKeys: ['algorithm'] },
        ),
      ),
    ],
    ['metadataKeys', optional(fc.array(text, { maxLength: 3 }))],
    ['tagKeys', optional(fc.array(text, { maxLength: 3 }))],
    ['responseContentDisposition', optional(text)],
  ] as const)
  .chain((members) =>
    fc.tuple(
      ...members.map(([name, value]) => (value as fc.Arbitrary<unknown>).map((drawn) => [name, drawn] as const)),
    ),
  )
  .map((members) => Object.fromEntries(members) as GrantConstraints);
const record: fc.Arbitrary<GrantRecord> = fc.record(
  {
    grant: fc.uuid({ version: 4 }),
    operation: fc.constantFrom<GrantOperation>(...grantEventSchema.shape.operation.options),
    bucket: text,
    key: text,
    expiresAt: optional(date),
    constraints: optional(constraints),
    partNumbers: optional(fc.array(fc.integer({ min: 1, max: 10_000 }), { maxLength: 5 })),
    uploadId: optional(text),
    size: optional(integer),
  },
  { requiredKeys: ['grant', 'operation', 'bucket', 'key'] },
);

function trailAt(time: Date) {
  const lines: string[] = [];
  const trail = new AuditTrail({ destination: { write: (line: string) => lines.push(line) }, now: () => time });
  return { trail, lines };
}

test('a grant event is the line the object-and-stringify version wrote, byte for byte', () => {
  fc.assert(
    fc.property(date, optional(request), record, (time, origin, granted) => {
      const { trail, lines } = trailAt(time);
      trail.grant(origin, granted);
      assert.deepEqual(lines, [replacedGrantLine(time, origin, granted)]);
    }),
    { numRuns: 3000 },
  );
});

test('one trail writes each event as its own, times within a second or not (the time texts are kept per second)', () => {
  // Times a few milliseconds to seconds apart, as a running service writes them.
  const nearTime = fc.integer({ min: 1_765_000_000_000, max: 1_765_000_003_000 }).map((ms) => new Date(ms));
  fc.assert(
    fc.property(fc.array(fc.tuple(nearTime, optional(request), record), { minLength: 2, maxLength: 6 }), (events) => {
      let now = new Date(0);
      const lines: string[] = [];
      const trail = new AuditTrail({ destination: { write: (line: string) => lines.push(line) }, now: () => now });
      for (const [time, origin, granted] of events) {
        now = time;
        trail.grant(origin, granted);
      }
      assert.deepEqual(
        lines,
        events.map(([time, origin, granted]) => replacedGrantLine(time, origin, granted)),
      );
    }),
    { numRuns: 500 },
  );
});

const refusalCodes = ERROR_CODES.filter((code) => [401, 403, 429].includes(statusOf(code)));

test('a refusal event is the line the object-and-stringify version wrote, byte for byte', () => {
  assert.ok(refusalCodes.length >= 3, 'the error table has 401, 403 and 429 codes');
  fc.assert(
    fc.property(date, request, fc.constantFrom(...refusalCodes), optional(text), (time, origin, code, field) => {
      const { trail, lines } = trailAt(time);
      trail.refusal(origin, new AppError(code, 'refused', { field }));
      assert.deepEqual(lines, [replacedRefusalLine(time, origin, new AppError(code, 'refused', { field }))]);
    }),
    { numRuns: 1000 },
  );
});

test('a secret in any text from outside is redacted in the event, and the line is one JSON document', () => {
  const { trail, lines } = trailAt(new Date('2026-12-06T12:00:00.000Z'));
  const secret = 'X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  trail.grant(
    {
      id: 'req-1',
      ip: '127.0.0.1',
      method: 'POST',
      url: '/presign',
      routeOptions: { url: '/presign' },
      caller: { id: 'web', kind: 'jwt', subject: `eyJhbGciOiJIUzI1NiJ9.e30.sig`, policy: {} as Caller['policy'] },
    },
    {
      grant: '0b6f2b6e-8f0a-4b8e-9c39-0d1f3a4b5c6d',
      operation: 'put',
      bucket: 'photos',
      key: `a/${secret}`,
      constraints: { contentType: `text/plain; ${secret}`, responseContentDisposition: secret, contentLength: 3 },
    },
  );
  assert.equal(lines.length, 1);
  const line = lines[0] as string;
  assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'));
  assert.ok(!line.includes('aeeed9bb') && !line.includes('eyJ'), line);
  const event = JSON.parse(line);
  assert.equal(event.key, 'a/X-Amz-Signature=REDACTED');
  assert.deepEqual(Object.keys(event.constraints), ['contentType', 'responseContentDisposition', 'contentLength']);
});
