import { z } from 'zod';
import { HEADER_FORBIDDEN_CLASS } from '../control-characters.js';
import { SIGV4_MAX_EXPIRES_SECONDS } from '../config/config.js';
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_API_NAMES,
  CHECKSUM_FIELDS,
  CHECKSUM_NAMES,
  checksumHeader,
  checksumValueDescription,
  checksumValuePattern,
  singleRequestAlgorithm,
  type ChecksumAlgorithm,
  type ChecksumField,
} from '../endpoint/checksum-algorithms.js';
import { ENDPOINT_MODE_KINDS } from '../endpoint/endpoint-mode.js';
import { MAX_METADATA_BYTES, MAX_PARTS, MAX_SINGLE_PUT_BYTES } from '../endpoint/s3-limits.js';

const TOKEN = '[A-Za-z0-9!#$&^_.+-]+';
// type/subtype with optional parameters, RFC 9110 tokens; a quoted value holds nothing that
// a key could not (HEADER_FORBIDDEN_CLASS: controls, NEL, line separators), so nothing that could end a header.
export const MEDIA_TYPE = new RegExp(
  `^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[^"\\\\${HEADER_FORBIDDEN_CLASS}]*"))*$`,
);
/** Text bound for a header: the rule object keys follow. */
export const HEADER_TEXT = new RegExp(`^[^${HEADER_FORBIDDEN_CLASS}]*$`);

// Names and values are checked in src/metadata/object-metadata.ts, not here: a schema issue under
// a record key reaches the error as a `/`-joined path, which splits a key holding `/` (and
// with it the log redaction's view of a secret sent as a key). The documented shape stays.
const labelRecord = (valueMaxLength: number) =>
  z.record(z.string(), z.unknown()).meta({ additionalProperties: { type: 'string', maxLength: valueMaxLength } });

/** User metadata an upload carries, for the names the caller's policy lists (metadataKeys). */
export const objectMetadataSchema = labelRecord(MAX_METADATA_BYTES)
  .optional()
  .describe(
    'put only: user metadata, stored as `x-amz-meta-<name>` (signed): only names your policy lists in `metadataKeys`, at most 2 KB in all with the provenance; non-ASCII values are stored RFC 2047-encoded, as S3 returns them',
  );

/** Tags an upload carries, for the keys the caller's policy lists (tagKeys). */
export const objectTagsSchema = labelRecord(256)
  .optional()
  .describe(
    "put only: object tags (signed as `x-amz-tagging`): only keys your policy lists in `tagKeys`, at most 10, values in S3's tag characters",
  );

export const objectKeySchema = z
  .string()
  .min(1)
  .max(1024)
  .describe('Object key: 1-1024 bytes of UTF-8, no control characters, no "." or ".." segments, no leading "/"');

function checksumField(algorithm: ChecksumAlgorithm) {
  const name = CHECKSUM_NAMES[algorithm];
  return z
    .string()
    .regex(checksumValuePattern(algorithm), { error: checksumValueDescription(algorithm) })
    .optional()
    .describe(
      singleRequestAlgorithm(algorithm)
        ? `put only: base64 ${name} of the body, signed as ${checksumHeader(algorithm)}: the store refuses other bytes (400 BadDigest). At most one checksum per request. Refused with 400 CHECKSUM_NOT_VERIFIED where the store does not verify ${name} (S3_STORE_CHECKSUMS)`
        : `Refused (400 VALIDATION_FAILED): S3 documents ${name} checksums for the parts of a multipart upload only; use POST /multipart with checksumAlgorithm ${CHECKSUM_API_NAMES[algorithm]}`,
    );
}

/** checksumCrc32 … checksumXxhash128: one optional field per algorithm, named as the SDK names them. */
export const checksumFieldsShape = Object.fromEntries(
  CHECKSUM_ALGORITHMS.map((algorithm) => [CHECKSUM_FIELDS[algorithm], checksumField(algorithm)]),
) as { [Field in ChecksumField]: ReturnType<typeof checksumField> };

export const checksumModeSchema = z
  .boolean()
  .optional()
  .describe(
    'get only: true signs x-amz-checksum-mode: ENABLED (send it as returned in `headers`), so the store answers with the checksum it keeps (x-amz-checksum-*, x-amz-checksum-type)',
  );

export const partNumberSchema = z
  .number()
  .int()
  .min(1)
  .max(MAX_PARTS)
  .optional()
  .describe(
    `get only: 1..${MAX_PARTS}, signed as the partNumber query parameter: the store answers that part of a multipart object (206, its Content-Range, x-amz-mp-parts-count) and, with checksumMode, that part's checksum, which verifies a COMPOSITE object part by part; part 1 of an object uploaded whole is all of it. Send no Range with it (S3 refuses both)`,
  );

export const presignRequestSchema = z
  .strictObject({
    operation: z.enum(['get', 'put']),
    bucket: z.string().min(1).max(255).optional().describe('A bucket from the allowlist; defaults to the first one'),
    key: objectKeySchema,
    expiresIn: z
      .number()
      .int()
      .min(1)
      .max(SIGV4_MAX_EXPIRES_SECONDS)
      .optional()
      .describe('Seconds the URL stays valid; defaults to PRESIGN_DEFAULT_EXPIRES, at most PRESIGN_MAX_EXPIRES'),
    contentType: z
      .string()
      .max(255)
      .regex(MEDIA_TYPE, { error: 'must be a media type such as image/png' })
      .optional()
      .describe('put only: the Content-Type the upload must carry (signed)'),
    contentLength: z
      .number()
      .int()
      .min(0)
      .max(MAX_SINGLE_PUT_BYTES)
      .optional()
      .describe('put only: the exact body size in bytes (signed)'),
    ...checksumFieldsShape,
    checksumMode: checksumModeSchema,
    partNumber: partNumberSchema,
    responseContentDisposition: z
      .string()
      .min(1)
      .max(1024)
      .regex(HEADER_TEXT, { error: 'must not contain control characters' })
      // A lone surrogate has no UTF-8: the signer could not encode it (a 500 before this check).
      .refine((text) => text.isWellFormed(), 'must be valid UTF-8 (it contains a lone surrogate)')
      .optional()
      .describe('get only: the Content-Disposition S3 answers with'),
    metadata: objectMetadataSchema,
    tags: objectTagsSchema,
  })
  .meta({ id: 'PresignRequest' });
export type PresignRequestBody = z.output<typeof presignRequestSchema>;

export const presignResponseSchema = z
  .object({
    url: z.url(),
    method: z.enum(['GET', 'PUT']),
    headers: z.record(z.string(), z.string()).describe('Exactly the headers to send with the URL'),
    expiresAt: z.iso.datetime(),
    expiresIn: z.number().int(),
    bucket: z.string(),
    key: z.string(),
    endpoint: z.object({ mode: z.enum(ENDPOINT_MODE_KINDS), host: z.string() }),
  })
  .meta({ id: 'PresignedUrl' });
