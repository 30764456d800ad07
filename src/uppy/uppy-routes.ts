// The backend for Uppy's current major (`@uppy/aws-s3` 6.x) with its `signRequest` option:
// `POST /s3/sign` answers each request Uppy wants to make. Uploads (a form policy for a whole
// file, a PUT URL for a part) go straight to S3 on the pinned route. Uppy's requests do not say
// a file's size, so the app adds it (`size`) to the create request, and each part URL then
// signs its exact length. The control calls of a multipart upload (create, list, complete,
// abort) come back to the service, which runs them through the pinned client and answers in
// S3's XML, as Uppy expects. Those control URLs are built from PUBLIC_BASE_URL, or are paths;
// never from the request's Host or X-Forwarded-* headers, which whoever sends the request
// chooses. The app's signRequest adds its own token to them (the service echoes no header).
// Checksums are the app's too: Uppy 6 hands signRequest no bytes, so the app adds the
// algorithm to the create request and each part's value (hashed from its own slice of the
// file) to the part's request; completion sends S3 the values S3 lists for the parts.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply } from 'fastify';
import { AppError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { CALLER_ERRORS, errorResponses, JSON_BODY_ERRORS } from '../http/error-schema.js';
import {
  algorithmOfApiName,
  checksumValueDescription,
  checksumValuePattern,
  refuseMultipartOnlyAlgorithm,
  refuseUnverifiedAlgorithm,
  type ChecksumAlgorithm,
  type RequestChecksum,
} from '../endpoint/checksum-algorithms.js';
import { MULTIPART_ERRORS } from '../multipart/multipart-service.js';
import { MAX_OBJECT_BYTES, MAX_PARTS } from '../endpoint/s3-limits.js';
import { checksumValueSchema, createMultipartRequestSchema } from '../multipart/schemas.js';
import { smallestPartSize } from '../multipart/part-rules.js';
import { browserHeaders, DEFAULT_CONTENT_TYPE, mediaType, sizeRequired, UPLOAD_CLIENT_ACCESS } from './common.js';
import { objectUrl } from './object-url.js';
import { completionPartsFromXml, MAX_COMPLETION_XML_BYTES, xmlDocument } from './s3-xml.js';
import { uploadCheckedBeforeBody } from './upload-before-body.js';

/** Uppy's `PresignableRequest`, one shape per S3 call it makes. */
const signRequestSchema = z
  .strictObject({
    method: z.enum(['PUT', 'POST', 'GET', 'DELETE']),
    key: z.string().min(1).max(1024),
    uploadId: z.string().min(1).max(2048).optional(),
    partNumber: z.number().int().min(1).max(MAX_PARTS).optional(),
    contentType: mediaType.optional(),
    expiresIn: z.number().int().min(1).optional(),
    size: z
      .number()
      .int()
      .min(0)
      .max(MAX_OBJECT_BYTES)
      .optional()
      .describe(
        "Not Uppy's: the file's size, added by the app. Required to create a multipart upload (each part URL then signs its exact length); on a whole-file PUT the form policy binds exactly this many bytes",
      ),
    partSize: z
      .number()
      .int()
      .optional()
      .describe(
        "Not Uppy's: bytes per part but the last, when the app sets Uppy's getChunkSize; default max(5 MiB, ceil(size / 10,000)), Uppy's own split",
      ),
    checksumAlgorithm: createMultipartRequestSchema.shape.checksumAlgorithm.describe(
      "Not Uppy's: on the create request, the checksum every part then carries (as POST /multipart's); on a whole-file PUT, the algorithm of `checksum`. Refused with 400 CHECKSUM_NOT_VERIFIED where the store does not verify it",
    ),
    checksumType: createMultipartRequestSchema.shape.checksumType.describe(
      "Not Uppy's: on the create request, FULL_OBJECT or COMPOSITE by S3's rules (as POST /multipart's)",
    ),
    checksum: checksumValueSchema
      .optional()
      .describe(
        "Not Uppy's: the base64 checksum of the bytes this request sends, signed into its URL or form (the store refuses other bytes: BadDigest). Required on every part of an upload created with checksumAlgorithm (400 CHECKSUM_MISSING otherwise); on a whole-file PUT, with checksumAlgorithm",
      ),
  })
  .meta({ id: 'UppySignRequest' });

const signResponseSchema = z
  .object({
    url: z.string(),
    key: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    fields: z.record(z.string(), z.string()).optional(),
  })
  .meta({ id: 'UppySignResponse' });

const uploadQuery = z.strictObject({ key: z.string().min(1).max(1024), uploadId: z.string().min(1).max(2048) });

export const uppyRoutes: FastifyPluginAsyncZod = async (app) => {
  const { multipart } = app;
  const common = { tags: ['uppy'], security: [{ bearer: [] }] };
  const config = { access: UPLOAD_CLIENT_ACCESS };

  app.post(
    '/s3/sign',
    {
      config,
      schema: {
        ...common,
        operationId: 'uppySignRequest',
        summary: "Uppy 6: sign one of Uppy's S3 requests",
        description:
          "For `@uppy/aws-s3` 6.x's `signRequest`: send Uppy's request object with the file's `size` added, return this response to Uppy. A whole file gets a form policy (exact key picked under your prefix, content type, size); a part gets its PUT URL, signed for the part's exact length; multipart control calls get a URL back to this service (PUBLIC_BASE_URL, or a path relative to the service), to which the app adds its own Authorization header.",
        body: signRequestSchema,
        response: {
          200: signResponseSchema,
          ...errorResponses(
            CALLER_ERRORS,
            JSON_BODY_ERRORS,
            'OPERATION_NOT_ALLOWED',
            'CONTENT_LENGTH_REQUIRED',
            'CHECKSUM_NOT_VERIFIED',
            MULTIPART_ERRORS.createPostPolicy,
            MULTIPART_ERRORS.grantCreate,
            MULTIPART_ERRORS.signPartUrls,
          ),
        },
      },
    },
    async (request) => {
      const { caller, body } = request;
      const control = (path: string, query: Record<string, string>) => ({
        url: `${app.config.server.publicBaseUrl ?? ''}/s3/uppy/${path}?${new URLSearchParams(query)}`,
      });
      if (body.uploadId !== undefined && (body.size !== undefined || body.partSize !== undefined)) {
        throw new AppError('VALIDATION_FAILED', 'size and partSize belong to the create request or a whole-file PUT', {
          field: body.size !== undefined ? 'size' : 'partSize',
        });
      }
      refuseMisplacedChecksum(body);
      if (body.uploadId === undefined) {
        if (body.partNumber !== undefined) {
          throw new AppError('VALIDATION_FAILED', 'partNumber needs an uploadId', { field: 'uploadId' });
        }
        if (body.method === 'PUT') {
          if (body.partSize !== undefined) {
            throw new AppError('VALIDATION_FAILED', 'partSize belongs to the create request', { field: 'partSize' });
          }
          const policy = await multipart.createPostPolicy(
            caller,
            {
              filename: lastSegment(body.key),
              contentType: body.contentType ?? DEFAULT_CONTENT_TYPE,
              contentLength: body.size,
              checksum: wholeFileChecksum(body, app.config.store.verifiedChecksums),
            },
            request,
          );
          return { url: policy.url, key: policy.key, fields: policy.fields };
        }
        if (body.method === 'POST') {
          if (body.size === undefined) throw sizeRequired('size', "`size` with the create request's body");
          // The key and the size are decided now, so Uppy uses the key from here on; the grant
          // carries both to the create call, which also learns the file's type from Uppy's
          // Content-Type header.
          const grant = multipart.grantCreate(caller, {
            filename: lastSegment(body.key),
            contentLength: body.size,
            partSize: body.partSize ?? smallestPartSize(body.size),
            checksumAlgorithm: body.checksumAlgorithm,
            checksumType: body.checksumType,
          });
          return { ...control('uploads', { grant: grant.token }), key: grant.key };
        }
        throw new AppError('OPERATION_NOT_ALLOWED', `Uppy's ${body.method} of a whole object is not offered`, {
          field: 'method',
        });
      }
      const upload = { key: body.key, uploadId: body.uploadId };
      switch (body.method) {
        case 'PUT': {
          if (body.partNumber === undefined) {
            throw new AppError('VALIDATION_FAILED', 'a part upload needs its partNumber', { field: 'partNumber' });
          }
          const { parts } = await multipart.signPartUrls(
            caller,
            {
              ...upload,
              partNumbers: [body.partNumber],
              ...(body.checksum !== undefined && {
                checksums: [{ partNumber: body.partNumber, value: body.checksum }],
              }),
            },
            request,
          );
          const [part] = parts;
          return { url: part?.url ?? '', headers: browserHeaders(part?.headers) };
        }
        case 'GET':
          return control('parts', upload);
        case 'POST':
          return control('complete', upload);
        case 'DELETE':
          return control('upload', upload);
      }
    },
  );

  // The control calls Uppy sends to the URLs above. They answer in S3's XML; their bodies are
  // not JSON (an empty body typed as the file, or S3's CompleteMultipartUpload document).
  await app.register(async (xml) => {
    xml.removeAllContentTypeParsers();
    // The largest completion Uppy sends, and not a byte more (see MAX_COMPLETION_XML_BYTES).
    xml.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_COMPLETION_XML_BYTES }, (_request, body, done) =>
      done(null, body),
    );
    // Any body is taken as text, up to MAX_COMPLETION_XML_BYTES: no 415, and 413 beyond.
    const xmlRoute = (summary: string, querystring: z.ZodType, errors: readonly ErrorCode[]) => ({
      config,
      schema: {
        ...common,
        hide: true,
        summary,
        querystring,
        response: { 204: z.null(), ...errorResponses(CALLER_ERRORS, 'VALIDATION_FAILED', 'BODY_TOO_LARGE', errors) },
      },
    });
    const sendXml = (reply: FastifyReply, body: string) => reply.header('content-type', 'application/xml').send(body);

    xml.post(
      '/s3/uppy/uploads',
      xmlRoute(
        'Uppy 6: create a multipart upload',
        z.strictObject({ grant: z.string().min(1).max(4096) }),
        MULTIPART_ERRORS.createGrantedMultipartUpload,
      ),
      async (request, reply) => {
        const { grant } = request.query as { grant: string };
        // Uppy sends the file's type as the create call's Content-Type: held to the same rule.
        const declared = mediaType.safeParse(request.headers['content-type']?.trim() || DEFAULT_CONTENT_TYPE);
        if (!declared.success) {
          throw new AppError('VALIDATION_FAILED', 'the Content-Type header must be a media type', {
            field: 'content-type',
          });
        }
        const contentType = declared.data;
        const created = await multipart.createGrantedMultipartUpload(request.caller, { grant, contentType }, request);
        return sendXml(
          reply,
          xmlDocument('InitiateMultipartUploadResult', {
            Bucket: created.bucket,
            Key: created.key,
            UploadId: created.uploadId,
          }),
        );
      },
    );

    xml.get(
      '/s3/uppy/parts',
      xmlRoute('Uppy 6: the parts already uploaded', uploadQuery, MULTIPART_ERRORS.listParts),
      async (request, reply) => {
        const upload = request.query as z.output<typeof uploadQuery>;
        const { parts } = await multipart.listParts(request.caller, upload);
        return sendXml(
          reply,
          xmlDocument('ListPartsResult', {
            Key: upload.key,
            UploadId: upload.uploadId,
            Part: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag, Size: part.size })),
          }),
        );
      },
    );

    xml.post(
      '/s3/uppy/complete',
      {
        ...xmlRoute('Uppy 6: complete a multipart upload', uploadQuery, MULTIPART_ERRORS.completeMultipartUpload),
        preParsing: uploadCheckedBeforeBody((request) => request.query as Record<string, unknown>),
      },
      async (request, reply) => {
        const upload = request.query as z.output<typeof uploadQuery>;
        const parts = completionPartsFromXml(typeof request.body === 'string' ? request.body : '');
        const completed = await multipart.completeMultipartUpload(request.caller, { ...upload, parts }, request);
        return sendXml(
          reply,
          xmlDocument('CompleteMultipartUploadResult', {
            Location: objectUrl(app.config.mode, completed.bucket, completed.key),
            Bucket: completed.bucket,
            Key: completed.key,
            ETag: completed.etag,
            // As S3 answers: the object's checksum, as the store computed and checked it.
            ...(completed.checksumAlgorithm !== undefined &&
              completed.checksum !== undefined && {
                [`Checksum${completed.checksumAlgorithm}`]: completed.checksum,
                ChecksumType: completed.checksumType ?? '',
              }),
          }),
        );
      },
    );

    xml.delete(
      '/s3/uppy/upload',
      xmlRoute('Uppy 6: abort a multipart upload', uploadQuery, MULTIPART_ERRORS.abortMultipartUpload),
      async (request, reply) => {
        await multipart.abortMultipartUpload(request.caller, request.query as z.output<typeof uploadQuery>, request);
        return reply.code(204).send();
      },
    );
  });
};

type SignRequest = z.output<typeof signRequestSchema>;

/**
 * Each checksum field where its request has a use: the algorithm and type on the create call
 * (every part then carries a value) or a whole-file PUT, a value on a part or a whole-file PUT.
 */
function refuseMisplacedChecksum(body: SignRequest): void {
  const misplaced = (field: string, where: string) =>
    new AppError('VALIDATION_FAILED', `${field} belongs to ${where}`, { field });
  const isPart = body.uploadId !== undefined && body.method === 'PUT';
  const isCreate = body.uploadId === undefined && body.method === 'POST';
  const isWholePut = body.uploadId === undefined && body.method === 'PUT';
  if (body.checksumAlgorithm !== undefined && !isCreate && !isWholePut) {
    throw misplaced('checksumAlgorithm', 'the create request or a whole-file PUT');
  }
  if (body.checksumType !== undefined && !isCreate) throw misplaced('checksumType', 'the create request');
  if (body.checksum !== undefined && !isPart && !isWholePut) {
    throw misplaced('checksum', "a part's PUT or a whole-file PUT");
  }
}

/** A whole-file PUT's checksum: both its algorithm and its value, well formed, and one the store verifies. */
function wholeFileChecksum(body: SignRequest, verified: readonly ChecksumAlgorithm[]): RequestChecksum | undefined {
  if (body.checksumAlgorithm === undefined && body.checksum === undefined) return undefined;
  if (body.checksumAlgorithm === undefined || body.checksum === undefined) {
    const field = body.checksum === undefined ? 'checksum' : 'checksumAlgorithm';
    throw new AppError('VALIDATION_FAILED', 'a whole-file checksum needs both checksumAlgorithm and checksum', {
      field,
    });
  }
  const algorithm = algorithmOfApiName(body.checksumAlgorithm);
  refuseMultipartOnlyAlgorithm(algorithm, 'checksumAlgorithm');
  refuseUnverifiedAlgorithm(
    algorithm,
    verified,
    'checksumAlgorithm',
    'a signed value would not stop other bytes; send the upload without it',
  );
  if (!checksumValuePattern(algorithm).test(body.checksum)) {
    throw new AppError('VALIDATION_FAILED', `checksum ${checksumValueDescription(algorithm, 'the file')}`, {
      field: 'checksum',
    });
  }
  return { algorithm, value: body.checksum };
}

/** Uppy proposes `<random>-<file name>` as the key; the service keeps only the name. */
function lastSegment(key: string): string {
  return key.split('/').at(-1) || key;
}
