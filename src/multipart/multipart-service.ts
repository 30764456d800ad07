// Multipart uploads, framework-free: the routes in this folder and the Uppy and Companion
// routes call the same functions. A file sent in one form request is src/form-uploads/'s.
//
//   createMultipartUpload(caller, {filename, contentType, contentLength?, partSize?})
//       → {bucket, key, uploadId, partSize, partCount?, expiresAt}
//   signPartUrls(caller, {key, uploadId, partNumbers}) → {parts: [{partNumber, url, method, headers}], expiresAt}
//   listParts(caller, {key, uploadId}) → {parts: [{partNumber, etag, size}]}
//   completeMultipartUpload(caller, {key, uploadId, parts}) → {bucket, key, etag, size}
//   abortMultipartUpload(caller, {key, uploadId}) → void
//
// Create, list, complete and abort go to S3 through the pinned client, so they follow the
// endpoint mode; part URLs come from the Presigner and pass the validator.
//
// The caller's policy holds for whatever S3 is made to hold, not only for the finished object:
// every upload declares its length at creation (the upload-client routes too), that length
// is checked against the policy then, and each part URL signs its part's exact content-length
// and only part numbers inside the declared layout are signed, so S3 refuses any other size or
// part. Completion sums the stored parts' sizes and refuses, before S3 joins them, any total
// different from the declared length; a total over the caller's limit (a policy lowered since
// the upload began) also aborts the upload, so its parts do not stay stored.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
} from '@aws-sdk/client-s3';
import type { AuditedRequest, AuditTrail, GrantConstraints } from '../audit/audit-trail.js';
import { newGrantId } from '../audit/grant-id.js';
import { withGrant } from '../audit/grant-query.js';
import type { Caller } from '../auth/caller-policy.js';
import { authorizeUpload, authorizeUploadSize, UPLOAD_AUTHORIZATION_ERRORS } from '../auth/upload-authorization.js';
import type { Config } from '../config/config.js';
import { uploadConstraints } from '../audit/upload-constraints.js';
import {
  checkLabels,
  LABEL_ERRORS,
  objectHeaders,
  type CheckedLabels,
  type ObjectLabels,
} from '../metadata/object-metadata.js';
import {
  algorithmOfApiName,
  CHECKSUM_ALGORITHMS,
  CHECKSUM_API_NAMES,
  CHECKSUM_MEMBERS,
  refuseUnverifiedAlgorithm,
  checksumValueDescription,
  checksumValuePattern,
  MULTIPART_CHECKSUM_TYPES,
  type ChecksumApiName,
  type ChecksumType,
  type RequestChecksum,
} from '../endpoint/checksum-algorithms.js';
import type { PinnedS3 } from '../endpoint/s3-client.js';
import { MAX_PARTS, MIN_PART_BYTES } from '../endpoint/s3-limits.js';
import { AppError, type ErrorCode } from '../errors.js';
import { sdkInputMembers } from '../presign/object-headers.js';
import { PRESIGNER_ERRORS, type Presigner } from '../presign/presigner.js';
import { callerDefaults } from '../presign/routes.js';
import { pickUploadKey } from '../frontend-api/keys.js';
import { checkPartNumber, defaultPartSize, partLayout, sizeOfPart } from './part-rules.js';
import { completedEtag } from './completed-etag.js';
import { fromS3Error } from './s3-errors.js';
import { UPLOAD_TOKEN_ERRORS, UploadTokens, type UploadChecksum, type UploadState } from './upload-token.js';
import { UPLOAD_LIFETIME_SECONDS } from './upload-lifetime.js';

/** How long a key picked by grantCreate waits for its create call. */
const CREATE_GRANT_SECONDS = 600;

export interface MultipartDependencies {
  config: Config;
  s3: PinnedS3;
  presigner: Presigner;
  /** Binds upload IDs to their caller and key; the same on every replica. */
  tokenSecret: Buffer;
  now?: () => Date;
  /**
   * Called once per batch of part URLs issued, before they are returned: the one place where
   * issuance is counted (metrics, and a per-caller URL budget).
   */
  onIssued?: (caller: Caller, operation: 'upload-part', count: number) => void;
  /** Where each grant (part URLs, create, complete, abort) is recorded. */
  audit?: Pick<AuditTrail, 'grant'>;
}

export interface CreateInput extends ObjectLabels {
  filename: string;
  contentType: string;
  contentLength: number;
  partSize?: number | undefined;
  checksumAlgorithm?: ChecksumApiName | undefined;
  checksumType?: ChecksumType | undefined;
}
export interface UploadRef {
  key: string;
  uploadId: string;
}

/** #open's refusals: the caller's policy, then the upload token. */
const UPLOAD_REF_ERRORS = [
  'OPERATION_NOT_ALLOWED',
  'KEY_PREFIX_NOT_ALLOWED',
  'BUCKET_NOT_ALLOWED',
  ...UPLOAD_TOKEN_ERRORS,
] as const satisfies readonly ErrorCode[];
/** fromS3Error's answers for a call on an existing upload (s3-errors.ts). */
const S3_UPLOAD_ERRORS = [
  'NO_SUCH_UPLOAD',
  'S3_ACCESS_DENIED',
  'S3_REQUEST_FAILED',
] as const satisfies readonly ErrorCode[];
const CREATE_ERRORS = [
  ...UPLOAD_AUTHORIZATION_ERRORS,
  ...LABEL_ERRORS,
  // #uploadChecksum: a pair S3 refuses, an algorithm the store does not verify.
  'CHECKSUM_TYPE_NOT_ALLOWED',
  'CHECKSUM_NOT_VERIFIED',
  'OBJECT_TOO_LARGE',
  'TOO_MANY_PARTS',
  'INVALID_PART_SIZE',
  'S3_ACCESS_DENIED',
  'S3_REQUEST_FAILED',
] as const satisfies readonly ErrorCode[];

/** What each method refuses with: the routes that call one declare its list (src/http/error-schema.ts). */
export const MULTIPART_ERRORS = {
  createMultipartUpload: CREATE_ERRORS,
  createGrantedMultipartUpload: [...CREATE_ERRORS, ...UPLOAD_TOKEN_ERRORS],
  grantCreate: [
    ...UPLOAD_AUTHORIZATION_ERRORS,
    'OBJECT_TOO_LARGE',
    'TOO_MANY_PARTS',
    'INVALID_PART_SIZE',
    'CHECKSUM_TYPE_NOT_ALLOWED',
    'CHECKSUM_NOT_VERIFIED',
  ],
  signPartUrls: [
    ...UPLOAD_REF_ERRORS,
    'INVALID_PART_NUMBER',
    'CONTENT_LENGTH_NOT_ALLOWED',
    // partChecksums: a checksum sent for an upload without one, or malformed; an asked part without one.
    'VALIDATION_FAILED',
    'CHECKSUM_MISSING',
    ...PRESIGNER_ERRORS,
  ],
  listParts: [...UPLOAD_REF_ERRORS, ...S3_UPLOAD_ERRORS],
  completeMultipartUpload: [
    ...UPLOAD_REF_ERRORS,
    'VALIDATION_FAILED',
    'INVALID_PART_NUMBER',
    'INVALID_PART_ORDER',
    'INVALID_PART',
    'ENTITY_TOO_SMALL',
    'CONTENT_LENGTH_NOT_ALLOWED',
    'OBJECT_TOO_LARGE',
    'CONTENT_LENGTH_MISMATCH',
    // completionChecksum, and S3's BadDigest (s3-errors.ts).
    'CHECKSUM_MISSING',
    'CHECKSUM_MISMATCH',
    ...S3_UPLOAD_ERRORS,
  ],
  abortMultipartUpload: [...UPLOAD_REF_ERRORS, ...S3_UPLOAD_ERRORS],
} as const satisfies Record<string, readonly ErrorCode[]>;

export class MultipartService {
  readonly #deps: MultipartDependencies;
  readonly #tokens: UploadTokens;
  readonly #now: () => Date;

  constructor(deps: MultipartDependencies) {
    this.#deps = deps;
    this.#tokens = new UploadTokens(deps.tokenSecret);
    this.#now = deps.now ?? (() => new Date());
  }

  async createMultipartUpload(caller: Caller, input: CreateInput, origin?: AuditedRequest) {
    return this.#create(caller, pickUploadKey(caller, input.filename), input, origin);
  }

  /**
   * A key picked now for an upload created later: for clients that must learn the key before
   * they say what they upload (Uppy 6 asks to sign the create call, then sends the file's type
   * with it). The token binds the key and the declared size to the caller for a few minutes;
   * the size is checked against the policy now, so a refusal comes before any upload starts.
   */
  grantCreate(
    caller: Caller,
    input: Pick<CreateInput, 'checksumAlgorithm' | 'checksumType'> & {
      filename: string;
      contentLength: number;
      partSize: number;
    },
  ): { key: string; token: string } {
    const { bucket } = callerDefaults(caller, this.#deps.config);
    authorizeUploadSize(caller, bucket, input.contentLength);
    partLayout(input.contentLength, input.partSize);
    const checksum = this.#uploadChecksum(input);
    const key = pickUploadKey(caller, input.filename);
    const expiresAt = Math.floor(this.#now().getTime() / 1000) + CREATE_GRANT_SECONDS;
    const grant = { key, expiresAt, contentLength: input.contentLength, partSize: input.partSize, checksum };
    return { key, token: this.#tokens.issueGrant(caller, grant) };
  }

  /**
   * The upload a grant from grantCreate promised, at the key and of the size it named. Uppy 6's
   * signRequest sends no file meta, so such an upload carries provenance but no client metadata.
   */
  async createGrantedMultipartUpload(
    caller: Caller,
    input: { grant: string; contentType: string },
    origin?: AuditedRequest,
  ) {
    const { checksum, ...grant } = this.#tokens.openGrant(input.grant, caller, this.#now());
    return this.#create(
      caller,
      grant.key,
      {
        ...grant,
        contentType: input.contentType,
        ...(checksum && { checksumAlgorithm: CHECKSUM_API_NAMES[checksum.algorithm], checksumType: checksum.type }),
      },
      origin,
    );
  }

  async #create(caller: Caller, key: string, input: Omit<CreateInput, 'filename'>, origin: AuditedRequest | undefined) {
    const { bucket } = callerDefaults(caller, this.#deps.config);
    authorizeUpload(caller, bucket, input.contentType, input.contentLength);
    const labels = checkLabels(caller.policy, input);
    const grant = newGrantId();
    const headers = this.#deps.presigner.serverHeaders(bucket, this.#objectHeaders(caller, grant, labels));
    const partSize = input.partSize ?? defaultPartSize(input.contentLength);
    const { partCount } = partLayout(input.contentLength, partSize);
    const checksum = this.#uploadChecksum(input);
    let s3UploadId: string | undefined;
    try {
      const created = await this.#client(bucket).send(
        withGrant(
          new CreateMultipartUploadCommand({
            // Encryption, provenance, metadata and tags: the object gets them at completion.
            ...sdkInputMembers('create-multipart-upload', headers),
            Bucket: bucket,
            Key: key,
            ContentType: input.contentType,
            ...(checksum && {
              ChecksumAlgorithm: CHECKSUM_API_NAMES[checksum.algorithm],
              ChecksumType: checksum.type,
            }),
          }),
          grant,
        ),
      );
      s3UploadId = created.UploadId;
    } catch (error) {
      throw fromS3Error(error, 'CreateMultipartUpload');
    }
    if (!s3UploadId) throw new AppError('S3_REQUEST_FAILED', 'S3 created the upload but returned no upload ID');
    const expiresAt = Math.floor(this.#now().getTime() / 1000) + UPLOAD_LIFETIME_SECONDS;
    const state: UploadState = {
      s3UploadId,
      bucket,
      contentLength: input.contentLength,
      partSize,
      expiresAt,
      checksum,
    };
    this.#deps.audit?.grant(origin, {
      grant,
      operation: 'create-multipart-upload',
      bucket,
      key,
      uploadId: s3UploadId,
      expiresAt: new Date(expiresAt * 1000),
      constraints: this.#constraints(bucket, headers, labels, {
        contentType: input.contentType,
        contentLength: input.contentLength,
        checksum: checksum && { algorithm: CHECKSUM_API_NAMES[checksum.algorithm], type: checksum.type },
      }),
    });
    return {
      bucket,
      key,
      uploadId: this.#tokens.issue(state, caller, key),
      partSize,
      partCount,
      expiresAt: new Date(expiresAt * 1000),
      ...(checksum && { checksumAlgorithm: CHECKSUM_API_NAMES[checksum.algorithm], checksumType: checksum.type }),
    };
  }

  /** The checksum an upload is created with, by S3's rules and what the store verifies. */
  #uploadChecksum(input: Pick<CreateInput, 'checksumAlgorithm' | 'checksumType'>): UploadChecksum | undefined {
    if (input.checksumAlgorithm === undefined) {
      if (input.checksumType === undefined) return undefined;
      throw new AppError('CHECKSUM_TYPE_NOT_ALLOWED', 'checksumType needs a checksumAlgorithm', {
        field: 'checksumType',
      });
    }
    const algorithm = algorithmOfApiName(input.checksumAlgorithm);
    refuseUnverifiedAlgorithm(
      algorithm,
      this.#deps.config.store.verifiedChecksums,
      'checksumAlgorithm',
      "a part's signed value would not stop other bytes; create the upload without checksumAlgorithm or with one the store verifies",
    );
    const allowed = MULTIPART_CHECKSUM_TYPES[algorithm];
    const type = input.checksumType ?? (allowed[0] as ChecksumType);
    if (!allowed.includes(type)) {
      throw new AppError(
        'CHECKSUM_TYPE_NOT_ALLOWED',
        `S3 allows ${input.checksumAlgorithm} only as ${allowed.join(' or ')}, not ${type}`,
        { field: 'checksumType' },
      );
    }
    return { algorithm, type };
  }

  async signPartUrls(
    caller: Caller,
    input: UploadRef & {
      partNumbers: readonly number[];
      checksums?: ReadonlyArray<{ partNumber: number; value: string }> | undefined;
    },
    origin?: AuditedRequest,
  ) {
    const state = this.#open(caller, input);
    // The policy of now: a limit lowered since the upload began signs no more of it.
    authorizeUploadSize(caller, state.bucket, state.contentLength);
    const layout = partLayout(state.contentLength, state.partSize);
    const seen = new Set<number>();
    const parts = input.partNumbers.map((partNumber, index) => {
      checkPartNumber(partNumber, layout.partCount, `partNumbers.${index}`);
      if (seen.has(partNumber)) {
        throw new AppError('INVALID_PART_NUMBER', `part number ${partNumber} is asked for twice`, {
          field: `partNumbers.${index}`,
        });
      }
      seen.add(partNumber);
      return { partNumber, contentLength: sizeOfPart(layout, partNumber) };
    });
    const checksums = partChecksums(state.checksum, input.checksums ?? [], seen);
    const { expiresIn } = callerDefaults(caller, this.#deps.config);
    // A part URL never outlives the upload it belongs to.
    const untilDeadline = state.expiresAt - Math.floor(this.#now().getTime() / 1000);
    const grant = newGrantId();
    const signed = await this.#deps.presigner.presignParts({
      bucket: state.bucket,
      key: input.key,
      uploadId: state.s3UploadId,
      expiresIn: Math.max(1, Math.min(expiresIn, untilDeadline)),
      grant,
      parts: parts.map((part) => ({
        partNumber: part.partNumber,
        contentLength: part.contentLength,
        checksum: checksums.get(part.partNumber),
      })),
    });
    this.#deps.onIssued?.(caller, 'upload-part', signed.parts.length);
    this.#deps.audit?.grant(origin, {
      grant,
      operation: 'upload-part',
      bucket: state.bucket,
      key: input.key,
      expiresAt: signed.expiresAt,
      uploadId: state.s3UploadId,
      partNumbers: input.partNumbers,
    });
    return signed;
  }

  async listParts(caller: Caller, input: UploadRef) {
    const state = this.#open(caller, input);
    return { parts: await this.#storedParts(state, input.key) };
  }

  async completeMultipartUpload(
    caller: Caller,
    input: UploadRef & {
      parts: ReadonlyArray<{ partNumber: number; etag: string; checksum?: string | undefined }>;
      checksum?: string | undefined;
    },
    origin?: AuditedRequest,
  ) {
    const state = this.#open(caller, input);
    const layout = partLayout(state.contentLength, state.partSize);
    if (input.parts.length === 0 || input.parts.length > MAX_PARTS) {
      throw new AppError('VALIDATION_FAILED', `parts must list 1..${MAX_PARTS} parts`, { field: 'parts' });
    }
    input.parts.forEach((part, index) => {
      checkPartNumber(part.partNumber, layout.partCount, `parts.${index}.partNumber`);
      const previous = input.parts[index - 1];
      if (previous !== undefined && previous.partNumber >= part.partNumber) {
        throw new AppError('INVALID_PART_ORDER', 'parts must be listed in strictly ascending part-number order', {
          field: `parts.${index}.partNumber`,
        });
      }
    });

    // What S3 holds decides: the ETags must be the stored ones, and the sizes they add up
    // to must fit the caller's policy, before S3 joins anything.
    const stored = new Map((await this.#storedParts(state, input.key)).map((part) => [part.partNumber, part]));
    let size = 0;
    input.parts.forEach((part, index) => {
      const found = stored.get(part.partNumber);
      if (found === undefined || unquote(found.etag) !== unquote(part.etag)) {
        throw new AppError(
          'INVALID_PART',
          found === undefined
            ? `part ${part.partNumber} has not been uploaded`
            : `part ${part.partNumber}'s ETag is not the stored one`,
          { field: `parts.${index}.etag` },
        );
      }
      if (index < input.parts.length - 1 && found.size < MIN_PART_BYTES) {
        throw new AppError(
          'ENTITY_TOO_SMALL',
          `part ${part.partNumber} is ${found.size} bytes; every part but the last must be at least ${MIN_PART_BYTES}`,
          { field: `parts.${index}` },
        );
      }
      size += found.size;
    });
    const limit = caller.policy.maxContentLength;
    if (limit !== undefined && size > limit) {
      // Only a policy lowered since the upload began gets here (each part URL signed its
      // length). Not joined, and not left stored either: S3 would keep (and bill) the parts
      // until a lifecycle rule removed them.
      const aborted = await this.#abort(state, input.key).then(
        () => 'the upload was aborted and its parts removed',
        () => 'aborting the upload failed: abort it, or its parts stay stored',
      );
      throw new AppError(
        'CONTENT_LENGTH_NOT_ALLOWED',
        `the parts add up to ${size} bytes; you may store at most ${limit}: ${aborted}`,
        { field: 'parts' },
      );
    }
    if (size !== state.contentLength) {
      throw new AppError(
        'CONTENT_LENGTH_MISMATCH',
        `the listed parts add up to ${size} bytes, not the ${state.contentLength} declared at creation`,
        { field: 'parts' },
      );
    }
    const checksum = completionChecksum(state.checksum, input, stored);
    const client = this.#client(state.bucket);
    const grant = newGrantId();
    let completed;
    try {
      completed = await client.send(
        withGrant(
          new CompleteMultipartUploadCommand({
            Bucket: state.bucket,
            Key: input.key,
            UploadId: state.s3UploadId,
            MultipartUpload: {
              Parts: input.parts.map((part, index) => ({
                PartNumber: part.partNumber,
                ETag: part.etag,
                ...checksum?.parts[index],
              })),
            },
            ...checksum?.whole,
          }),
          grant,
        ),
      );
    } catch (error) {
      throw fromS3Error(error, 'CompleteMultipartUpload');
    }
    this.#deps.audit?.grant(origin, {
      grant,
      operation: 'complete-multipart-upload',
      bucket: state.bucket,
      key: input.key,
      uploadId: state.s3UploadId,
      size,
    });
    try {
      const etag = await completedEtag(client, state.bucket, input.key, completed.ETag);
      if (state.checksum === undefined) return { bucket: state.bucket, key: input.key, etag, size };
      const { algorithm, type } = state.checksum;
      return {
        bucket: state.bucket,
        key: input.key,
        etag,
        size,
        checksumAlgorithm: CHECKSUM_API_NAMES[algorithm],
        checksumType: type,
        checksum: completed[CHECKSUM_MEMBERS[algorithm]] ?? input.checksum,
      };
    } catch (error) {
      throw new AppError('S3_REQUEST_FAILED', `completing the multipart upload: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async abortMultipartUpload(caller: Caller, input: UploadRef, origin?: AuditedRequest): Promise<void> {
    const state = this.#open(caller, input);
    const grant = newGrantId();
    await this.#abort(state, input.key, grant);
    this.#deps.audit?.grant(origin, {
      grant,
      operation: 'abort-multipart-upload',
      bucket: state.bucket,
      key: input.key,
      uploadId: state.s3UploadId,
    });
  }

  async #abort(state: UploadState, key: string, grant?: string): Promise<void> {
    try {
      await this.#client(state.bucket).send(
        withGrant(
          new AbortMultipartUploadCommand({ Bucket: state.bucket, Key: key, UploadId: state.s3UploadId }),
          grant,
        ),
      );
    } catch (error) {
      throw fromS3Error(error, 'AbortMultipartUpload');
    }
  }

  /**
   * Throws the 4xx any call on this upload would meet (operation, prefix, token, deadline).
   * Routes call it before they read a body: a made-up upload ID costs no parse.
   */
  checkUpload(caller: Caller, input: UploadRef): void {
    this.#open(caller, input);
  }

  /** The upload behind the caller's token, once the key is inside its prefixes. */
  #open(caller: Caller, input: UploadRef): UploadState {
    if (!caller.policy.operations.includes('put')) {
      throw new AppError('OPERATION_NOT_ALLOWED', `caller ${caller.id} may not put`, { field: 'operation' });
    }
    if (!caller.policy.keyPrefixes.some((prefix) => input.key.startsWith(prefix))) {
      throw new AppError('KEY_PREFIX_NOT_ALLOWED', 'key is outside your prefixes', { field: 'key' });
    }
    const state = this.#tokens.open(input.uploadId, caller, input.key, this.#now());
    if (!caller.policy.buckets.includes(state.bucket)) {
      throw new AppError('BUCKET_NOT_ALLOWED', `caller ${caller.id} may not use bucket "${state.bucket}"`);
    }
    return state;
  }

  /** Every stored part, all pages merged (S3 answers at most 1,000 per page). */
  async #storedParts(state: UploadState, key: string) {
    const parts: Array<{ partNumber: number; etag: string; size: number; checksum?: string }> = [];
    let marker: string | undefined;
    try {
      for (let page = 0; page <= MAX_PARTS / 1000; page++) {
        const listed = await this.#client(state.bucket).send(
          new ListPartsCommand({
            Bucket: state.bucket,
            Key: key,
            UploadId: state.s3UploadId,
            PartNumberMarker: marker,
          }),
        );
        for (const part of listed.Parts ?? []) {
          if (part.PartNumber !== undefined && part.ETag !== undefined) {
            const checksum = CHECKSUM_ALGORITHMS.map((algorithm) => part[CHECKSUM_MEMBERS[algorithm]]).find(
              (value) => value !== undefined,
            );
            parts.push({
              partNumber: part.PartNumber,
              etag: part.ETag,
              size: part.Size ?? 0,
              ...(checksum === undefined ? {} : { checksum }),
            });
          }
        }
        if (!listed.IsTruncated || listed.NextPartNumberMarker === undefined) break;
        marker = listed.NextPartNumberMarker;
      }
    } catch (error) {
      throw fromS3Error(error, 'ListParts');
    }
    return parts;
  }

  #client(bucket: string) {
    return this.#deps.s3.clientFor(bucket);
  }

  #objectHeaders(caller: Caller, grant: string, labels: CheckedLabels): Record<string, string> {
    return objectHeaders({ provenance: this.#deps.config.audit.provenance, caller, grant, labels });
  }

  /** What an upload binds, for its audit event: the bucket's encryption, metadata and tag names. */
  #constraints(
    bucket: string,
    headers: Readonly<Record<string, string>>,
    labels: CheckedLabels,
    own: GrantConstraints,
  ): GrantConstraints {
    return uploadConstraints(this.#deps.config, bucket, headers, labels, own);
  }
}

/**
 * Each asked part's checksum, by part number: one well-formed value of the upload's algorithm
 * for every part asked, none for an upload without an algorithm.
 */
function partChecksums(
  expected: UploadChecksum | undefined,
  sent: ReadonlyArray<{ partNumber: number; value: string }>,
  asked: ReadonlySet<number>,
): Map<number, RequestChecksum> {
  const byPart = new Map<number, RequestChecksum>();
  if (expected === undefined) {
    if (sent.length > 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        'this upload was created without checksumAlgorithm: its parts carry no checksum',
        { field: 'checksums' },
      );
    }
    return byPart;
  }
  sent.forEach((entry, index) => {
    if (!asked.has(entry.partNumber) || byPart.has(entry.partNumber)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `checksums names part ${entry.partNumber} ${byPart.has(entry.partNumber) ? 'twice' : 'which is not in partNumbers'}`,
        { field: `checksums.${index}.partNumber` },
      );
    }
    if (!checksumValuePattern(expected.algorithm).test(entry.value)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `checksums.${index}.value ${checksumValueDescription(expected.algorithm, 'the part')}`,
        {
          field: `checksums.${index}.value`,
        },
      );
    }
    byPart.set(entry.partNumber, { algorithm: expected.algorithm, value: entry.value });
  });
  const missing = [...asked].find((partNumber) => !byPart.has(partNumber));
  if (missing !== undefined) {
    throw new AppError(
      'CHECKSUM_MISSING',
      `this upload was created with ${CHECKSUM_API_NAMES[expected.algorithm]}: send part ${missing}'s checksum in checksums (S3 refuses a part without it)`,
      { field: 'checksums' },
    );
  }
  return byPart;
}

/**
 * What CompleteMultipartUpload sends for an upload with a checksum: each part's value (sent,
 * else S3's own from its part list; a composite upload needs every one), and for a
 * full-object upload the whole file's value when the caller gave it.
 */
function completionChecksum(
  expected: UploadChecksum | undefined,
  input: { parts: ReadonlyArray<{ partNumber: number; checksum?: string | undefined }>; checksum?: string | undefined },
  stored: ReadonlyMap<number, { checksum?: string }>,
) {
  if (expected === undefined) {
    const field =
      input.checksum !== undefined ? 'checksum' : input.parts.findIndex((part) => part.checksum !== undefined);
    if (field !== -1) {
      throw new AppError(
        'VALIDATION_FAILED',
        'this upload was created without checksumAlgorithm: it completes without checksums',
        {
          field: field === 'checksum' ? 'checksum' : `parts.${field}.checksum`,
        },
      );
    }
    return undefined;
  }
  const member = CHECKSUM_MEMBERS[expected.algorithm];
  const pattern = checksumValuePattern(expected.algorithm);
  const parts = input.parts.map((part, index) => {
    if (part.checksum !== undefined && !pattern.test(part.checksum)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `parts.${index}.checksum ${checksumValueDescription(expected.algorithm, 'the part')}`,
        {
          field: `parts.${index}.checksum`,
        },
      );
    }
    const kept = stored.get(part.partNumber)?.checksum;
    if (part.checksum !== undefined && kept !== undefined && part.checksum !== kept) {
      // S3 would answer InvalidPart, which reads as a missing part or a wrong ETag.
      throw new AppError(
        'CHECKSUM_MISMATCH',
        `part ${part.partNumber}'s ${CHECKSUM_API_NAMES[expected.algorithm]} (${part.checksum}) is not the one S3 keeps for it (${kept}): send the value the part was uploaded with, or leave it out`,
        { field: `parts.${index}.checksum` },
      );
    }
    const value = part.checksum ?? kept;
    if (value === undefined && expected.type === 'COMPOSITE') {
      throw new AppError(
        'CHECKSUM_MISSING',
        `part ${part.partNumber}'s checksum is neither sent nor listed by S3: a composite ${CHECKSUM_API_NAMES[expected.algorithm]} is computed from every part's`,
        { field: `parts.${index}.checksum` },
      );
    }
    return value === undefined ? {} : { [member]: value };
  });
  if (input.checksum !== undefined) {
    if (expected.type === 'COMPOSITE') {
      throw new AppError(
        'VALIDATION_FAILED',
        "a COMPOSITE upload's checksum is computed from its parts' values: complete it without checksum",
        { field: 'checksum' },
      );
    }
    if (!pattern.test(input.checksum)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `checksum ${checksumValueDescription(expected.algorithm, 'the whole file')}`,
        {
          field: 'checksum',
        },
      );
    }
  }
  return {
    parts,
    whole: {
      ChecksumType: expected.type,
      ...(input.checksum === undefined ? {} : { [member]: input.checksum }),
    },
  };
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}
