import { z } from 'zod';
import { objectKeySchema, objectMetadataSchema, objectTagsSchema, presignRequestSchema } from '../presign/schemas.js';
import { filenameSchema } from '../uploads/schemas.js';
import { MAX_OBJECT_BYTES, MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES } from './part-rules.js';

/** Part URLs per /multipart/parts call: the same bound as /presign/batch. */
export const MAX_PART_URLS_PER_REQUEST = 100;

const uploadIdSchema = z.string().min(1).max(2048).describe('The uploadId POST /multipart returned (opaque)');
const partNumberSchema = z.number().int().describe(`1..${MAX_PARTS}, and at most the upload's partCount`);

export const createMultipartRequestSchema = z
  .strictObject({
    filename: filenameSchema,
    contentType: presignRequestSchema.shape.contentType.unwrap(),
    contentLength: z
      .number()
      .int()
      .min(0)
      .describe(`The whole object's exact size in bytes, at most ${MAX_OBJECT_BYTES} (5 TiB) and the policy's limit`),
    partSize: z
      .number()
      .int()
      .optional()
      .describe(
        `Bytes per part but the last, ${MIN_PART_BYTES}..${MAX_PART_BYTES} (5 MiB..5 GiB); defaults to 8 MiB or the smallest size that keeps the upload within ${MAX_PARTS} parts`,
      ),
    metadata: objectMetadataSchema.describe(
      'User metadata (`x-amz-meta-<name>`), set at the create: only names your policy lists in `metadataKeys`, at most 2 KB in all with the provenance',
    ),
    tags: objectTagsSchema.describe(
      'Object tags, set at the create: only keys your policy lists in `tagKeys`, at most 10',
    ),
  })
  .meta({ id: 'CreateMultipartRequest' });

export const createMultipartResponseSchema = z
  .object({
    bucket: z.string(),
    key: z.string(),
    uploadId: z.string(),
    partSize: z.number().int(),
    partCount: z.number().int(),
    expiresAt: z.iso.datetime().describe('After this no part is signed and nothing is completed'),
  })
  .meta({ id: 'MultipartUpload' });

const uploadRef = { key: objectKeySchema, uploadId: uploadIdSchema };

export const partUrlsRequestSchema = z
  .strictObject({
    ...uploadRef,
    partNumbers: z.array(partNumberSchema).min(1).max(MAX_PART_URLS_PER_REQUEST),
  })
  .meta({ id: 'PartUrlsRequest' });

export const partUrlsResponseSchema = z
  .object({
    parts: z.array(
      z.object({
        partNumber: z.number().int(),
        url: z.url(),
        method: z.literal('PUT'),
        headers: z.record(z.string(), z.string()).describe('Exactly the headers to send: the signed content-length'),
      }),
    ),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'PartUrls' });

export const uploadRefSchema = z.strictObject(uploadRef).meta({ id: 'MultipartUploadRef' });

export const listPartsResponseSchema = z
  .object({
    parts: z.array(z.object({ partNumber: z.number().int(), etag: z.string(), size: z.number().int() })),
  })
  .meta({ id: 'StoredParts' });

export const completeRequestSchema = z
  .strictObject({
    ...uploadRef,
    parts: z
      .array(z.strictObject({ partNumber: partNumberSchema, etag: z.string().min(1).max(256) }))
      .min(1)
      .max(MAX_PARTS)
      .describe('Every part, in ascending order, with the ETag S3 answered its PUT with'),
  })
  .meta({ id: 'CompleteMultipartRequest' });

export const completeResponseSchema = z
  .object({ bucket: z.string(), key: z.string(), etag: z.string(), size: z.number().int() })
  .meta({ id: 'CompletedUpload' });
