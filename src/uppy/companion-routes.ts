// Uppy Companion's S3 routes (`/s3/params`, `/s3/multipart…`) with Companion's request and
// response shapes, so an app that signed through Companion switches by changing its URL and
// adding its token (`@uppy/aws-s3` 5.x: `endpoint` and `headers`). Unlike Companion, every
// route authenticates the caller, keys are picked under the caller's prefix, upload IDs are
// bound to their caller and key, form policies carry a size range, and part URLs carry no
// empty-body checksum. A multipart upload declares its file's size in Companion's `metadata`
// (`size`, as Uppy sends a file's meta fields), so that each part URL signs its exact length.
// Beyond Companion, it may name a checksum algorithm there too (`checksumAlgorithm`), and each
// part's signing call then gives the part's value (`checksum`; `checksums` on the batch
// route), signed into its URL; a whole-file form names both (`metadata[checksumAlgorithm]`,
// `checksum`), a field with an exact condition.
// Each route is a thin shape over the multipart service, /s3/params over the form-upload one.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CALLER_ERRORS, errorResponses, JSON_BODY_ERRORS } from '../http/error-schema.js';
import { labelsFromUppyMeta } from '../metadata/object-metadata.js';
import { FORM_UPLOAD_ERRORS } from '../form-uploads/form-upload-service.js';
import { MULTIPART_ERRORS } from '../multipart/multipart-service.js';
import { CHECKSUM_VALUE_MAX_LENGTH } from '../endpoint/checksum-algorithms.js';
import { MAX_PARTS } from '../endpoint/s3-limits.js';
import { smallestPartSize } from '../multipart/part-rules.js';
import { checksumValueSchema, createMultipartRequestSchema } from '../multipart/schemas.js';
import {
  browserHeaders,
  declaredBytes,
  DEFAULT_CONTENT_TYPE,
  mediaType,
  sizeRequired,
  UPLOAD_CLIENT_ACCESS,
  wholeFileChecksum,
} from './common.js';
import { AppError } from '../errors.js';
import { objectUrl } from './object-url.js';
import { uploadCheckedBeforeBody } from './upload-before-body.js';

const keyQuery = z.strictObject({ key: z.string().min(1).max(1024).describe('The key /s3/multipart returned') });
const uploadIdParams = z.strictObject({
  uploadId: z.string().min(1).max(2048).describe('The uploadId /s3/multipart returned'),
});
const partNumber = z.coerce.number().int().min(1).max(MAX_PARTS);
/**
/**
 * Companion's metadata, as Uppy sends a file's meta fields (its `allowedMetaFields`). `size`
 * and `partSize` are read; Companion stores every other field as `x-amz-meta-*`, here a field
 * becomes metadata or a tag only as the caller's policy allows (metadataKeys, tagKeys), else a
 * 400 naming it.
 */
const metadata = z
  .object({
    size: declaredBytes.optional().describe("The file's size in bytes: required, each part URL signs its share"),
    partSize: declaredBytes
      .optional()
      .describe(
        "Bytes per part but the last, when the app sets Uppy's getChunkSize; default max(5 MiB, ceil(size / 10,000)), Uppy's own split",
      ),
    checksumAlgorithm: createMultipartRequestSchema.shape.checksumAlgorithm.describe(
      "Not Companion's: the checksum every part then carries (each part's value as `checksum` on its signing call), as POST /multipart's",
    ),
    checksumType: createMultipartRequestSchema.shape.checksumType.describe(
      "Not Companion's: FULL_OBJECT or COMPOSITE by S3's rules, as POST /multipart's",
    ),
  })
  .catchall(z.unknown())
  .optional();
/** `/s3/params` sends each meta field as its own query name, `metadata[<field>]`. */
const QUERY_META = /^metadata\[(.+)\]$/;

/** The batch route's most part numbers, and so checksums, in one call. */
const MAX_BATCH_PARTS = 1000;
/** Comma-separated part numbers of up to five digits (S3's are at most 10,000). */
export const PART_NUMBER_LIST = new RegExp(`^\\d{1,5}(,\\d{1,5}){0,${MAX_BATCH_PARTS - 1}}$`);
/** Comma-separated values, each at most the longest checksum (SHA-512's): one pass, no backtracking. */
export const CHECKSUM_LIST = new RegExp(
  `^[A-Za-z0-9+/=]{1,${CHECKSUM_VALUE_MAX_LENGTH}}(,[A-Za-z0-9+/=]{1,${CHECKSUM_VALUE_MAX_LENGTH}}){0,${MAX_BATCH_PARTS - 1}}$`,
);

const paramsQuery = z
  .object({
    filename: z.string().min(1).max(1024),
    type: mediaType.optional(),
    'metadata[size]': declaredBytes
      .optional()
      .describe("The file's size in bytes: the form policy then binds exactly that many"),
    'metadata[checksumAlgorithm]': createMultipartRequestSchema.shape.checksumAlgorithm.describe(
      "Not Companion's: the algorithm of `checksum` (S3's name)",
    ),
    checksum: checksumValueSchema
      .optional()
      .describe(
        "Not Companion's: the file's base64 checksum, with `metadata[checksumAlgorithm]`: a form field with an exact condition, so the store refuses other bytes (BadDigest). Refused with 400 CHECKSUM_NOT_VERIFIED where the store does not verify the algorithm",
      ),
  })
  // Other `metadata[name]=value` pairs come as their own query names.
  .catchall(z.string().max(1024));

const createBody = z.object({
  filename: z.string().min(1).max(1024),
  type: mediaType.optional(),
  metadata,
});

const partsResponse = z.array(
  z.object({ PartNumber: z.number().int(), ETag: z.string(), Size: z.number().int() }).meta({ id: 'CompanionPart' }),
);

export const companionRoutes: FastifyPluginAsyncZod = async (app) => {
  const common = { tags: ['companion'], security: [{ bearer: [] }] };
  const config = { access: UPLOAD_CLIENT_ACCESS };
  const { multipart, formUploads } = app;

  app.get(
    '/s3/params',
    {
      config,
      schema: {
        ...common,
        operationId: 'companionGetUploadParameters',
        summary: 'Companion: a browser form policy for one file',
        description:
          "Companion's GET /s3/params. A POST policy for a key the service picks under your prefix, with the file's content type and a content-length-range: exactly `metadata[size]` when given, else up to your policy's limit (Companion sets none). With `metadata[checksumAlgorithm]` and `checksum` (not Companion's), the file's checksum is a field with an exact condition.",
        querystring: paramsQuery,
        response: {
          200: z.object({
            method: z.literal('POST'),
            url: z.string(),
            fields: z.record(z.string(), z.string()),
            expires: z.number().int().describe('Seconds until the policy expires'),
          }),
          ...errorResponses(CALLER_ERRORS, 'VALIDATION_FAILED', 'CHECKSUM_NOT_VERIFIED', FORM_UPLOAD_ERRORS),
        },
      },
    },
    async (request) => {
      const {
        filename,
        type,
        'metadata[size]': size,
        'metadata[checksumAlgorithm]': checksumAlgorithm,
        checksum,
        ...rest
      } = request.query;
      const fileChecksum = wholeFileChecksum({ checksumAlgorithm, checksum }, app.config.store.verifiedChecksums, {
        algorithm: 'metadata[checksumAlgorithm]',
        value: 'checksum',
      });
      const meta: Record<string, string> = {};
      for (const [name, value] of Object.entries(rest)) {
        const field = QUERY_META.exec(name)?.[1];
        if (field !== undefined && typeof value === 'string') meta[field] = value;
      }
      const policy = await formUploads.createPostPolicy(
        request.caller,
        {
          filename,
          contentType: type || DEFAULT_CONTENT_TYPE,
          contentLength: size,
          checksum: fileChecksum,
          ...labelsFromUppyMeta(request.caller.policy, meta),
        },
        request,
      );
      return {
        method: 'POST' as const,
        url: policy.url,
        fields: policy.fields,
        expires: secondsUntil(policy.expiresAt),
      };
    },
  );

  app.post(
    '/s3/multipart',
    {
      config,
      schema: {
        ...common,
        operationId: 'companionCreateMultipartUpload',
        summary: 'Companion: start a multipart upload',
        description:
          "Companion's POST /s3/multipart. `metadata.size` (the file's size) is required: it is checked against your policy now, and each part URL signs its part's exact length. The key is picked under your prefix; the uploadId is bound to you, that key and that size.",
        body: createBody,
        response: {
          200: z.object({ key: z.string(), uploadId: z.string(), bucket: z.string() }),
          ...errorResponses(
            CALLER_ERRORS,
            JSON_BODY_ERRORS,
            'CONTENT_LENGTH_REQUIRED',
            MULTIPART_ERRORS.createMultipartUpload,
          ),
        },
      },
    },
    async (request) => {
      const { filename, type } = request.body;
      const { size, partSize, checksumAlgorithm, checksumType, ...meta } = request.body.metadata ?? {};
      if (size === undefined) throw sizeRequired('metadata.size', "the file's meta field `size`");
      const created = await multipart.createMultipartUpload(
        request.caller,
        {
          filename,
          contentType: type || DEFAULT_CONTENT_TYPE,
          contentLength: size,
          partSize: partSize ?? smallestPartSize(size),
          checksumAlgorithm,
          checksumType,
          ...labelsFromUppyMeta(request.caller.policy, meta),
        },
        request,
      );
      return { key: created.key, uploadId: created.uploadId, bucket: created.bucket };
    },
  );

  app.get(
    '/s3/multipart/:uploadId',
    {
      config,
      schema: {
        ...common,
        operationId: 'companionListParts',
        summary: 'Companion: the parts already uploaded',
        description: "Companion's GET /s3/multipart/:uploadId, every page merged: what a resumed upload skips.",
        params: uploadIdParams,
        querystring: keyQuery,
        response: {
          200: partsResponse,
          ...errorResponses(CALLER_ERRORS, 'VALIDATION_FAILED', MULTIPART_ERRORS.listParts),
        },
      },
    },
    async (request) => {
      const { parts } = await multipart.listParts(request.caller, {
        key: request.query.key,
        uploadId: request.params.uploadId,
      });
      return parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag, Size: part.size }));
    },
  );

  app.get(
    '/s3/multipart/:uploadId/batch',
    {
      config,
      schema: {
        ...common,
        operationId: 'companionSignParts',
        summary: 'Companion: URLs for several parts',
        description:
          "Companion's batch route: `partNumbers` is a comma-separated list. For an upload created with `metadata.checksumAlgorithm` (not Companion's), `checksums` gives each part's value in the same order, each signed into its part's URL; `headers` then holds, per part, the headers to send with it.",
        params: uploadIdParams,
        querystring: keyQuery.extend({
          partNumbers: z
            .string()
            .regex(PART_NUMBER_LIST, 'must be part numbers separated by commas')
            .transform((list) => list.split(',').map(Number)),
          checksums: z
            .string()
            .max(MAX_BATCH_PARTS * (CHECKSUM_VALUE_MAX_LENGTH + 1))
            .regex(CHECKSUM_LIST, 'must be base64 values separated by commas')
            .transform((list) => list.split(','))
            .optional()
            .describe(
              "Not Companion's: each part's base64 checksum with the upload's algorithm, in the order of `partNumbers`; required for an upload created with one (400 CHECKSUM_MISSING), refused for one without",
            ),
        }),
        response: {
          200: z.object({
            presignedUrls: z.record(z.string(), z.string()),
            headers: z
              .record(z.string(), z.record(z.string(), z.string()))
              .optional()
              .describe("Not Companion's: by part number, the signed headers to send with each part (its checksum)"),
          }),
          ...errorResponses(CALLER_ERRORS, 'VALIDATION_FAILED', MULTIPART_ERRORS.signPartUrls),
        },
      },
    },
    async (request, reply) => {
      const { partNumbers, checksums } = request.query;
      if (checksums !== undefined && checksums.length !== partNumbers.length) {
        throw new AppError(
          'VALIDATION_FAILED',
          `checksums must give one value per part number: ${checksums.length} values for ${partNumbers.length} parts`,
          { field: 'checksums' },
        );
      }
      await reply.chargeUrls(partNumbers.length);
      const { parts } = await multipart.signPartUrls(
        request.caller,
        {
          key: request.query.key,
          uploadId: request.params.uploadId,
          partNumbers,
          ...(checksums !== undefined && {
            checksums: partNumbers.map((partNumber, index) => ({ partNumber, value: checksums[index] as string })),
          }),
        },
        request,
      );
      const headers = parts.map((part) => [String(part.partNumber), browserHeaders(part.headers)] as const);
      return {
        presignedUrls: Object.fromEntries(parts.map((part) => [String(part.partNumber), part.url])),
        ...(headers.some(([, sent]) => Object.keys(sent).length > 0) && { headers: Object.fromEntries(headers) }),
      };
    },
  );

  app.get(
    '/s3/multipart/:uploadId/:partNumber',
    {
      config,
      schema: {
        ...common,
        operationId: 'companionSignPart',
        summary: 'Companion: the URL for one part',
        description:
          "Companion's GET /s3/multipart/:uploadId/:partNumber. For an upload created with `metadata.checksumAlgorithm` (not Companion's), `checksum` gives the part's value, signed into its URL and returned in `headers`.",
        params: uploadIdParams.extend({ partNumber }),
        querystring: keyQuery.extend({
          checksum: checksumValueSchema
            .optional()
            .describe(
              "Not Companion's: the part's base64 checksum with the upload's algorithm; required for an upload created with one (400 CHECKSUM_MISSING), refused for one without",
            ),
        }),
        response: {
          200: z.object({
            url: z.string(),
            expires: z.number().int(),
            headers: z.record(z.string(), z.string()).optional(),
          }),
          ...errorResponses(CALLER_ERRORS, 'VALIDATION_FAILED', MULTIPART_ERRORS.signPartUrls),
        },
      },
    },
    async (request) => {
      const signed = await multipart.signPartUrls(
        request.caller,
        {
          key: request.query.key,
          uploadId: request.params.uploadId,
          partNumbers: [request.params.partNumber],
          ...(request.query.checksum !== undefined && {
            checksums: [{ partNumber: request.params.partNumber, value: request.query.checksum }],
          }),
        },
        request,
      );
      const [part] = signed.parts;
      return { url: part?.url ?? '', expires: secondsUntil(signed.expiresAt), headers: browserHeaders(part?.headers) };
    },
  );

  app.post(
    '/s3/multipart/:uploadId/complete',
    {
      config,
      preParsing: uploadCheckedBeforeBody((request) => ({
        key: (request.query as Record<string, unknown>).key,
        uploadId: (request.params as Record<string, unknown>).uploadId,
      })),
      schema: {
        ...common,
        operationId: 'companionCompleteMultipartUpload',
        summary: 'Companion: complete a multipart upload',
        description:
          "Companion's POST /s3/multipart/:uploadId/complete. The stored parts are checked against your policy's size limit before S3 joins them.",
        params: uploadIdParams,
        querystring: keyQuery,
        body: z.object({
          parts: z
            .array(z.object({ PartNumber: partNumber, ETag: z.string().min(1).max(128) }))
            .min(1)
            .max(MAX_PARTS),
        }),
        response: {
          200: z.object({ location: z.string(), key: z.string(), bucket: z.string() }),
          ...errorResponses(CALLER_ERRORS, JSON_BODY_ERRORS, MULTIPART_ERRORS.completeMultipartUpload),
        },
      },
    },
    async (request) => {
      const completed = await multipart.completeMultipartUpload(
        request.caller,
        {
          key: request.query.key,
          uploadId: request.params.uploadId,
          parts: request.body.parts.map((part) => ({ partNumber: part.PartNumber, etag: part.ETag })),
        },
        request,
      );
      return {
        location: objectUrl(app.config.mode, completed.bucket, completed.key),
        key: completed.key,
        bucket: completed.bucket,
      };
    },
  );

  app.delete(
    '/s3/multipart/:uploadId',
    {
      config,
      schema: {
        ...common,
        operationId: 'companionAbortMultipartUpload',
        summary: 'Companion: abort a multipart upload',
        description: "Companion's DELETE /s3/multipart/:uploadId: S3 drops the parts already sent.",
        params: uploadIdParams,
        querystring: keyQuery,
        response: {
          200: z.object({}),
          ...errorResponses(CALLER_ERRORS, 'VALIDATION_FAILED', MULTIPART_ERRORS.abortMultipartUpload),
        },
      },
    },
    async (request) => {
      await multipart.abortMultipartUpload(
        request.caller,
        { key: request.query.key, uploadId: request.params.uploadId },
        request,
      );
      return {};
    },
  );
};

function secondsUntil(date: Date): number {
  return Math.max(0, Math.floor((date.getTime() - Date.now()) / 1000));
}
