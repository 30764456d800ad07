// The audit stream's schema, version 2 (docs/audit-and-provenance.md, "Event schema"): what
// `s3-presign audit` reads back and what the tests hold every written event to. Strict: a
// field added to an event is a field added here, and documented, and a new version (a strict
// reader of the old one would skip the new events). Earlier versions still parse.
// Version 2 added `traceId`.
import { z } from 'zod';
import { GRANT_ID } from './grant-id.js';

const origin = {
  audit: z.literal(true),
  version: z.union([z.literal(1), z.literal(2)]),
  time: z.iso.datetime(),
  /** The request id the request's log line carries too (`reqId`). */
  reqId: z.string().min(1),
  /** With traces on: the trace id of the request's span, as the request's log line carries it. */
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  caller: z
    .strictObject({ id: z.string(), kind: z.enum(['api-key', 'jwt']), subject: z.string().optional() })
    .optional(),
  clientAddress: z.string(),
  method: z.string(),
  route: z.string(),
};

export const grantEventSchema = z.strictObject({
  ...origin,
  event: z.literal('grant'),
  grant: z.string().regex(GRANT_ID),
  operation: z.enum([
    'get',
    'put',
    'post',
    'upload-part',
    'create-multipart-upload',
    'complete-multipart-upload',
    'abort-multipart-upload',
  ]),
  bucket: z.string(),
  key: z.string(),
  expiresAt: z.iso.datetime().optional(),
  uploadId: z.string().optional(),
  partNumbers: z.array(z.number().int()).optional(),
  size: z.number().int().optional(),
  constraints: z
    .strictObject({
      contentType: z.string().optional(),
      contentLength: z.number().int().optional(),
      contentLengthRange: z.tuple([z.number().int(), z.number().int()]).optional(),
      checksum: z
        .strictObject({ algorithm: z.string(), value: z.string().optional(), type: z.string().optional() })
        .optional(),
      encryption: z
        .strictObject({ algorithm: z.string(), kmsKeyId: z.string().optional(), bucketKey: z.boolean().optional() })
        .optional(),
      metadataKeys: z.array(z.string()).optional(),
      tagKeys: z.array(z.string()).optional(),
      responseContentDisposition: z.string().optional(),
    })
    .optional(),
});

export const refusalEventSchema = z.strictObject({
  ...origin,
  event: z.literal('refusal'),
  status: z.union([z.literal(401), z.literal(403), z.literal(429)]),
  code: z.string(),
  field: z.string().optional(),
});

export const auditEventSchema = z.discriminatedUnion('event', [grantEventSchema, refusalEventSchema]);
export type AuditEvent = z.output<typeof auditEventSchema>;
export type GrantEvent = z.output<typeof grantEventSchema>;
