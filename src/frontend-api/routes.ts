// The frontend routes: the service picks upload keys under the caller's own prefix and
// binds type, length and checksum; downloads stay inside the caller's prefixes.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteAccess } from '../auth/route-access.js';
import { refuseUnverifiedChecksums, requestChecksum } from '../endpoint/checksum-algorithms.js';
import { AppError } from '../errors.js';
import { isoTimeMemo } from '../iso-time.js';
import { CALLER_ERRORS, errorResponses, JSON_BODY_ERRORS } from '../http/error-schema.js';
import { FORM_UPLOAD_ERRORS } from '../form-uploads/form-upload-service.js';
import { MAX_SINGLE_PUT_BYTES } from '../endpoint/s3-limits.js';
import { callerDefaults, issueForCaller, ISSUE_ERRORS } from '../presign/routes.js';
import {
  checksumFieldsShape,
  checksumModeSchema,
  objectKeySchema,
  objectMetadataSchema,
  objectTagsSchema,
  partNumberSchema,
  presignRequestSchema,
  presignResponseSchema,
} from '../presign/schemas.js';
import { attachmentDisposition } from './filenames.js';
import { filenameSchema, postPolicyResponseSchema } from './schemas.js';
import { pickUploadKey } from './keys.js';

const uploadRequestSchema = z
  .strictObject({
    filename: filenameSchema,
    contentType: presignRequestSchema.shape.contentType.unwrap(),
    contentLength: z.number().int().min(0).max(MAX_SINGLE_PUT_BYTES).describe('Exact body size in bytes (signed)'),
    ...checksumFieldsShape,
    method: z
      .enum(['put', 'post'])
      .optional()
      .describe(
        '`put` (default): one presigned PUT URL. `post`: a browser form policy (POST Object) for exactly this key, type and length',
      ),
    metadata: objectMetadataSchema.describe(
      'User metadata (`x-amz-meta-<name>`, signed): only names your policy lists in `metadataKeys`, at most 2 KB in all with the provenance',
    ),
    tags: objectTagsSchema.describe('Object tags (signed): only keys your policy lists in `tagKeys`, at most 10'),
  })
  .meta({ id: 'UploadRequest' });

const downloadRequestSchema = z
  .strictObject({
    key: objectKeySchema,
    filename: filenameSchema.optional().describe('Download as this name (Content-Disposition: attachment)'),
    checksumMode: checksumModeSchema,
    partNumber: partNumberSchema,
  })
  .meta({ id: 'DownloadRequest' });

/** The service picks (uploads) or checks (downloads) the key and binds size and type. */
const FRONTEND_ACCESS: RouteAccess = { family: 'uploads', frontends: 'open' };

/** A POST policy's expiry as toISOString writes it; the policies of one second mostly share theirs. */
const policyExpiresAtText = isoTimeMemo();

export const uploadRoutes: FastifyPluginAsyncZod = async (app) => {
  const { config } = app;

  app.post(
    '/uploads',
    {
      config: { access: FRONTEND_ACCESS },
      schema: {
        operationId: 'presignUpload',
        summary: 'Get a PUT URL, or a browser form policy, for a new upload',
        description:
          'For frontends. The service chooses the key (`<your prefix><uuid>/<sanitised filename>`) and signs content-type, content-length and, when given, the one checksum field (checksumCrc64nvme, checksumCrc32, checksumCrc32c, checksumSha1, checksumSha256, checksumSha512, checksumXxhash64, checksumXxhash3 or checksumXxhash128; checksumMd5 is refused, S3 documents MD5 for parts only) as its x-amz-checksum-* header: S3 refuses any other type, size or bytes (a checksum the store would not verify is refused with 400 CHECKSUM_NOT_VERIFIED). Send exactly the returned headers (browsers set content-length themselves). With `"method": "post"` the answer is a POST policy instead: post a multipart/form-data form to `url` with every returned field (the checksum is one, with an exact condition), then the file as the last field (`file`); S3 answers 201 and refuses another key, type, size or bytes.',
        tags: ['frontend'],
        security: [{ bearer: [] }],
        body: uploadRequestSchema,
        response: {
          200: z.union([presignResponseSchema, postPolicyResponseSchema]),
          ...errorResponses(CALLER_ERRORS, JSON_BODY_ERRORS, ISSUE_ERRORS, FORM_UPLOAD_ERRORS),
        },
      },
    },
    async (request) => {
      const { caller } = request;
      const { body } = request;
      const { filename, contentType, contentLength, method, metadata, tags, ...checksums } = body;
      if (method === 'post') {
        const checksum = requestChecksum(checksums);
        refuseUnverifiedChecksums(checksums, config.store.verifiedChecksums);
        const policy = await app.formUploads.createPostPolicy(
          caller,
          { filename, contentType, contentLength, checksum, metadata, tags },
          request,
        );
        return {
          url: policy.url,
          method: policy.method,
          fields: policy.fields,
          key: policy.key,
          expiresAt: policyExpiresAtText(policy.expiresAt.getTime()),
        } satisfies Record<keyof typeof policy, unknown>;
      }
      return issueForCaller(
        app,
        request,
        {
          operation: 'put',
          ...callerDefaults(caller, config),
          key: pickUploadKey(caller, filename),
          contentType,
          contentLength,
          ...checksums,
        },
        { metadata, tags },
      );
    },
  );

  app.post(
    '/downloads',
    {
      config: { access: FRONTEND_ACCESS },
      schema: {
        operationId: 'presignDownload',
        summary: 'Get a GET URL for a key inside your prefixes',
        description:
          "For frontends. With `filename`, S3 answers with `Content-Disposition: attachment` naming it (RFC 6266, with a UTF-8 `filename*`). With `checksumMode: true` the URL signs x-amz-checksum-mode (send the returned headers) and S3 answers with the stored checksum, to compare with the bytes received. With `partNumber` it fetches that part of a multipart object (with checksumMode, and that part's checksum): how a COMPOSITE checksum is verified.",
        tags: ['frontend'],
        security: [{ bearer: [] }],
        body: downloadRequestSchema,
        response: {
          200: presignResponseSchema,
          ...errorResponses(CALLER_ERRORS, JSON_BODY_ERRORS, 'INVALID_KEY', ISSUE_ERRORS),
        },
      },
    },
    async (request) => {
      const { caller, body } = request;
      if (body.key.endsWith('/'))
        throw new AppError('INVALID_KEY', 'key names a folder, not an object', { field: 'key' });
      return issueForCaller(app, request, {
        operation: 'get',
        ...callerDefaults(caller, config),
        key: body.key,
        responseContentDisposition: body.filename === undefined ? undefined : attachmentDisposition(body.filename),
        checksumMode: body.checksumMode,
        partNumber: body.partNumber,
      });
    },
  );
};
