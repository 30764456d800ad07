import { z } from 'zod';
import { CHECKSUM_API_NAMES, CHECKSUM_TYPES, CHECKSUM_VALUE_MAX_LENGTH } from '../endpoint/checksum-algorithms.js';
import { objectKeySchema, objectMetadataSchema, objectTagsSchema, presignRequestSchema } from '../presign/schemas.js';
import { filenameSchema } from '../frontend-api/schemas.js';
import { MAX_OBJECT_BYTES, MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES } from '../endpoint/s3-limits.js';

/** Part URLs per /multipart/parts call: the same bound as /presign/batch. */
export const MAX_PART_URLS_PER_REQUEST = 100;

const uploadIdSchema = z.string().min(1).max(2048).describe('The uploadId POST /multipart returned (opaque)');
const partNumberSchema = z.number().int().describe(`1..${MAX_PARTS}, and at most the upload's partCount`);
/** A base64 digest, checked against the upload's algorithm by the service. */
export const checksumValueSchema = z.string().min(1).max(CHECKSUM_VALUE_MAX_LENGTH);
const checksumAlgorithmSchema = z.enum(Object.values(CHECKSUM_API_NAMES));
const checksumTypeSchema = z.enum(CHECKSUM_TYPES);

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
    checksumAlgorithm: checksumAlgorithmSchema
      .optional()
      .describe(
        "The flexible checksum every part carries (its value in /multipart/parts' `checksums`), checked by the store on each part's PUT and over the whole at completion. Refused with 400 CHECKSUM_NOT_VERIFIED where the store does not verify it (S3_STORE_CHECKSUMS)",
      ),
    checksumType: checksumTypeSchema
      .optional()
      .describe(
        "FULL_OBJECT: the checksum of the whole object's bytes (CRC64NVME, CRC32, CRC32C). COMPOSITE: the checksum of the parts' checksums, `<base64>-<parts>` (CRC32, CRC32C, SHA1, SHA256). Defaults as at S3: FULL_OBJECT for CRC64NVME, COMPOSITE for the others",
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
    checksumAlgorithm: checksumAlgorithmSchema.optional(),
    checksumType: checksumTypeSchema.optional(),
  })
  .meta({ id: 'MultipartUpload' });

const uploadRef = { key: objectKeySchema, uploadId: uploadIdSchema };

export const partUrlsRequestSchema = z
  .strictObject({
    ...uploadRef,
    partNumbers: z.array(partNumberSchema).min(1).max(MAX_PART_URLS_PER_REQUEST),
    checksums: z
      .array(z.strictObject({ partNumber: partNumberSchema, value: checksumValueSchema }))
      .max(MAX_PART_URLS_PER_REQUEST)
      .optional()
      .describe(
        "Each asked part's base64 checksum with the upload's checksumAlgorithm, signed into its URL as x-amz-checksum-*: required for every part of an upload created with one, refused for an upload without",
      ),
  })
  .meta({ id: 'PartUrlsRequest' });

export const partUrlsResponseSchema = z
  .object({
    parts: z.array(
      z.object({
        partNumber: z.number().int(),
        url: z.url(),
        method: z.literal('PUT'),
        headers: z
          .record(z.string(), z.string())
          .describe("Exactly the headers to send: the signed content-length and the part's checksum"),
      }),
    ),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'PartUrls' });

export const uploadRefSchema = z.strictObject(uploadRef).meta({ id: 'MultipartUploadRef' });

export const listPartsResponseSchema = z
  .object({
    parts: z.array(
      z.object({
        partNumber: z.number().int(),
        etag: z.string(),
        size: z.number().int(),
        checksum: z.string().optional().describe("The part's checksum, for an upload created with one"),
      }),
    ),
  })
  .meta({ id: 'StoredParts' });

export const completeRequestSchema = z
  .strictObject({
    ...uploadRef,
    parts: z
      .array(
        z.strictObject({
          partNumber: partNumberSchema,
          etag: z.string().min(1).max(256),
          checksum: checksumValueSchema
            .optional()
            .describe("The part's checksum as uploaded; read from S3's part list when left out"),
        }),
      )
      .min(1)
      .max(MAX_PARTS)
      .describe('Every part, in ascending order, with the ETag S3 answered its PUT with'),
    checksum: checksumValueSchema
      .optional()
      .describe(
        "A FULL_OBJECT upload's checksum of the whole file (base64, the upload's algorithm): S3 computes it over the joined parts and refuses to complete on a difference (400 CHECKSUM_MISMATCH)",
      ),
  })
  .meta({ id: 'CompleteMultipartRequest' });

export const completeResponseSchema = z
  .object({
    bucket: z.string(),
    key: z.string(),
    etag: z.string(),
    size: z.number().int(),
    checksumAlgorithm: checksumAlgorithmSchema.optional(),
    checksumType: checksumTypeSchema.optional(),
    checksum: z
      .string()
      .optional()
      .describe(
        "The object's checksum as S3 computed it: the whole file's (FULL_OBJECT) or `<base64>-<parts>` (COMPOSITE)",
      ),
  })
  .meta({ id: 'CompletedUpload' });
