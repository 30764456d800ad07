// Multipart uploads for frontends and services alike: the service creates, lists, completes
// and aborts through the pinned client; the caller PUTs the parts to the URLs it is given.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteAccess } from '../auth/route-access.js';
import { CALLER_ERRORS, errorResponses, JSON_BODY_ERRORS } from '../http/error-schema.js';
import { MULTIPART_ERRORS } from './multipart-service.js';
import {
  completeRequestSchema,
  completeResponseSchema,
  createMultipartRequestSchema,
  createMultipartResponseSchema,
  listPartsResponseSchema,
  partUrlsRequestSchema,
  partUrlsResponseSchema,
  uploadRefSchema,
} from './schemas.js';

const security = [{ bearer: [] }];
const tags = ['multipart'];
/** Frontends and services alike: the service picks the key and binds the caller's limits. */
const MULTIPART_ACCESS: RouteAccess = { family: 'multipart', frontends: 'open' };

export const multipartRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/multipart',
    {
      config: { access: MULTIPART_ACCESS },
      schema: {
        operationId: 'createMultipartUpload',
        summary: 'Start a multipart upload',
        description:
          "The service picks the key (`<your prefix><uuid>/<sanitised filename>`) and creates the upload at S3. The object's size and type are checked against your policy now, every part URL signs its part's exact size, and completion refuses a total other than contentLength. With checksumAlgorithm (and checksumType, by S3's rules) every part URL also signs its part's checksum, and S3 checks the whole at completion.",
        tags,
        security,
        body: createMultipartRequestSchema,
        response: {
          200: createMultipartResponseSchema,
          ...errorResponses(CALLER_ERRORS, JSON_BODY_ERRORS, MULTIPART_ERRORS.createMultipartUpload),
        },
      },
    },
    async (request) => {
      const created = await app.multipart.createMultipartUpload(request.caller, request.body, request);
      return { ...created, expiresAt: created.expiresAt.toISOString() };
    },
  );

  app.post(
    '/multipart/parts',
    {
      config: { access: MULTIPART_ACCESS },
      schema: {
        operationId: 'presignParts',
        summary: 'Get PUT URLs for parts of a multipart upload',
        description:
          "One validated URL per part number. Send each part with exactly the returned headers and keep the ETag S3 answers with. For an upload created with checksumAlgorithm, `checksums` gives every asked part's value (400 CHECKSUM_MISSING otherwise), signed into its URL: S3 refuses the part's PUT if its bytes differ (BadDigest).",
        tags,
        security,
        body: partUrlsRequestSchema,
        response: {
          200: partUrlsResponseSchema,
          ...errorResponses(CALLER_ERRORS, JSON_BODY_ERRORS, MULTIPART_ERRORS.signPartUrls),
        },
      },
    },
    async (request, reply) => {
      // Every part URL counts against the caller's budget, not the one request.
      await reply.chargeUrls(request.body.partNumbers.length);
      const signed = await app.multipart.signPartUrls(request.caller, request.body, request);
      return { parts: signed.parts, expiresAt: signed.expiresAt.toISOString() };
    },
  );

  app.post(
    '/multipart/list',
    {
      config: { access: MULTIPART_ACCESS },
      schema: {
        operationId: 'listParts',
        summary: 'List the parts S3 holds for an upload (to resume)',
        description:
          "Every page of S3's ListParts merged: part number, ETag and size of each part S3 holds. A resumed upload sends only the parts missing here, then completes with this list.",
        tags,
        security,
        body: uploadRefSchema,
        response: {
          200: listPartsResponseSchema,
          ...errorResponses(CALLER_ERRORS, JSON_BODY_ERRORS, MULTIPART_ERRORS.listParts),
        },
      },
    },
    async (request) => app.multipart.listParts(request.caller, request.body),
  );

  app.post(
    '/multipart/complete',
    {
      config: { access: MULTIPART_ACCESS },
      schema: {
        operationId: 'completeMultipartUpload',
        summary: 'Complete a multipart upload',
        description:
          "Checked against S3's own list of parts first: every ETag must be the stored one, every part but the last at least 5 MiB, and the total within your policy and equal to the declared contentLength. For an upload with a checksum, each part's value is sent to S3 (from the request, else from S3's list) and, for FULL_OBJECT, the whole file's `checksum` when given; S3 refuses a difference (400 CHECKSUM_MISMATCH). The answer names the object's checksum as S3 computed it.",
        tags,
        security,
        body: completeRequestSchema,
        response: {
          200: completeResponseSchema,
          ...errorResponses(CALLER_ERRORS, JSON_BODY_ERRORS, MULTIPART_ERRORS.completeMultipartUpload),
        },
      },
    },
    async (request) => app.multipart.completeMultipartUpload(request.caller, request.body, request),
  );

  app.post(
    '/multipart/abort',
    {
      config: { access: MULTIPART_ACCESS },
      schema: {
        operationId: 'abortMultipartUpload',
        summary: 'Abort a multipart upload and discard its parts',
        description:
          'S3 drops the parts already sent and the upload ID stops working. Part URLs already handed out then fail at S3.',
        tags,
        security,
        body: uploadRefSchema,
        response: {
          204: z.null().describe('Aborted: S3 holds no part of it any more'),
          ...errorResponses(CALLER_ERRORS, JSON_BODY_ERRORS, MULTIPART_ERRORS.abortMultipartUpload),
        },
      },
    },
    async (request, reply) => {
      await app.multipart.abortMultipartUpload(request.caller, request.body, request);
      return reply.status(204).send(null);
    },
  );
};
