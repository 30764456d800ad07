// Multipart uploads and browser form policies, framework-free: the routes in this folder and
// the Companion-compatible routes call the same functions.
//
//   createMultipartUpload(caller, {filename, contentType, contentLength?, partSize?})
//       → {bucket, key, uploadId, partSize, partCount?, expiresAt}
//   signPartUrls(caller, {key, uploadId, partNumbers}) → {parts: [{partNumber, url, method, headers}], expiresAt}
//   listParts(caller, {key, uploadId}) → {parts: [{partNumber, etag, size}]}
//   completeMultipartUpload(caller, {key, uploadId, parts}) → {bucket, key, etag, size}
//   abortMultipartUpload(caller, {key, uploadId}) → void
//   createPostPolicy(caller, {filename, contentType, contentLength}) → {url, method, fields, key, expiresAt}
//
// Create, list, complete and abort go to S3 through the pinned client, so they follow the
// endpoint mode; part URLs and policies come from the Presigner and pass the validator.
//
// The caller's policy holds for the whole object, twice over: with the length declared at
// creation each part URL signs its exact content-length (S3 refuses any other size), and
// completion sums the stored parts' sizes and refuses, before S3 joins them, any total over
// the caller's limit or different from the declared length. With no declared length (the
// Companion routes), completion alone enforces the limit.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
} from '@aws-sdk/client-s3';
import type { AuditedRequest, AuditTrail, GrantConstraints } from '../audit/audit-trail.js';
import { newGrantId } from '../audit/grant-id.js';
import { withGrant } from '../audit/grant-query.js';
import { contentTypeAllowed, essence, type Caller } from '../auth/policy.js';
import type { Config } from '../config/config.js';
import { uploadConstraints } from '../audit/upload-constraints.js';
import {
  checkLabels,
  objectFormFields,
  objectHeaders,
  type CheckedLabels,
  type ObjectLabels,
} from '../metadata/object-metadata.js';
import type { PinnedS3 } from '../endpoint/s3-client.js';
import { AppError } from '../errors.js';
import { sdkInputMembers } from '../presign/object-headers.js';
import type { Presigner } from '../presign/presigner.js';
import { callerDefaults } from '../presign/routes.js';
import { MAX_SINGLE_PUT_BYTES } from '../presign/schemas.js';
import { pickUploadKey } from '../uploads/keys.js';
import {
  checkPartNumber,
  checkPartSize,
  defaultPartSize,
  MAX_OBJECT_BYTES,
  MAX_PARTS,
  MIN_PART_BYTES,
  partLayout,
  sizeOfPart,
} from './part-rules.js';
import { completedEtag } from './completed-etag.js';
import { fromS3Error } from './s3-errors.js';
import { UploadTokens, type UploadState } from './upload-token.js';
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
   * Called once per batch of URLs or policies issued, before they are returned: the one place
   * where issuance is counted (metrics, and a per-caller URL budget).
   */
  onIssued?: (caller: Caller, operation: 'upload-part' | 'post', count: number) => void;
  /** Where each grant (part URLs, policy, create, complete, abort) is recorded. */
  audit?: Pick<AuditTrail, 'grant'>;
}

export interface CreateInput extends ObjectLabels {
  filename: string;
  contentType: string;
  contentLength?: number | undefined;
  partSize?: number | undefined;
}
export interface UploadRef {
  key: string;
  uploadId: string;
}

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
   * with it). The token binds the key to the caller for a few minutes.
   */
  grantCreate(caller: Caller, filename: string): { key: string; token: string } {
    const key = pickUploadKey(caller, filename);
    const expiresAt = Math.floor(this.#now().getTime() / 1000) + CREATE_GRANT_SECONDS;
    return { key, token: this.#tokens.issueGrant(caller, key, expiresAt) };
  }

  /**
   * The upload a grant from grantCreate promised, at the key it named. Uppy 6's signRequest
   * sends no file meta, so such an upload carries provenance but no client metadata or tags.
   */
  async createGrantedMultipartUpload(
    caller: Caller,
    input: Omit<CreateInput, 'filename' | 'metadata' | 'tags'> & { grant: string },
    origin?: AuditedRequest,
  ) {
    return this.#create(caller, this.#tokens.openGrant(input.grant, caller, this.#now()), input, origin);
  }

  async #create(caller: Caller, key: string, input: Omit<CreateInput, 'filename'>, origin: AuditedRequest | undefined) {
    const { bucket } = callerDefaults(caller, this.#deps.config);
    authorizeUpload(caller, bucket, input.contentType, input.contentLength);
    const labels = checkLabels(caller.policy, input);
    const grant = newGrantId();
    const headers = this.#deps.presigner.serverHeaders(bucket, this.#objectHeaders(caller, grant, labels));
    const partSize = input.partSize ?? defaultPartSize(input.contentLength);
    let partCount: number | undefined;
    if (input.contentLength === undefined) checkPartSize(partSize);
    else partCount = partLayout(input.contentLength, partSize).partCount;
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
    const state: UploadState = { s3UploadId, bucket, contentLength: input.contentLength, partSize, expiresAt, grant };
    this.#deps.audit?.grant(origin, {
      grant,
      operation: 'create-multipart-upload',
      bucket,
      key,
      expiresAt: new Date(expiresAt * 1000),
      constraints: this.#constraints(bucket, headers, labels, {
        contentType: input.contentType,
        contentLength: input.contentLength,
      }),
    });
    return {
      bucket,
      key,
      uploadId: this.#tokens.issue(state, caller, key),
      partSize,
      partCount,
      expiresAt: new Date(expiresAt * 1000),
    };
  }

  async signPartUrls(caller: Caller, input: UploadRef & { partNumbers: readonly number[] }, origin?: AuditedRequest) {
    const state = this.#open(caller, input);
    const layout = state.contentLength === undefined ? undefined : partLayout(state.contentLength, state.partSize);
    const seen = new Set<number>();
    const parts = input.partNumbers.map((partNumber, index) => {
      checkPartNumber(partNumber, layout?.partCount, `partNumbers.${index}`);
      if (seen.has(partNumber)) {
        throw new AppError('INVALID_PART_NUMBER', `part number ${partNumber} is asked for twice`, {
          field: `partNumbers.${index}`,
        });
      }
      seen.add(partNumber);
      return { partNumber, contentLength: layout === undefined ? undefined : sizeOfPart(layout, partNumber) };
    });
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
      parts,
    });
    this.#deps.onIssued?.(caller, 'upload-part', signed.parts.length);
    this.#deps.audit?.grant(origin, {
      grant,
      operation: 'upload-part',
      bucket: state.bucket,
      key: input.key,
      expiresAt: signed.expiresAt,
      upload: state.grant,
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
    input: UploadRef & { parts: ReadonlyArray<{ partNumber: number; etag: string }> },
    origin?: AuditedRequest,
  ) {
    const state = this.#open(caller, input);
    const layout = state.contentLength === undefined ? undefined : partLayout(state.contentLength, state.partSize);
    if (input.parts.length === 0 || input.parts.length > MAX_PARTS) {
      throw new AppError('VALIDATION_FAILED', `parts must list 1..${MAX_PARTS} parts`, { field: 'parts' });
    }
    input.parts.forEach((part, index) => {
      checkPartNumber(part.partNumber, layout?.partCount, `parts.${index}.partNumber`);
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
      throw new AppError(
        'CONTENT_LENGTH_NOT_ALLOWED',
        `the parts add up to ${size} bytes; you may store at most ${limit}`,
        {
          field: 'parts',
        },
      );
    }
    if (size > MAX_OBJECT_BYTES) {
      throw new AppError('OBJECT_TOO_LARGE', `the parts add up to ${size} bytes, above S3's 5 TiB`, { field: 'parts' });
    }
    if (state.contentLength !== undefined && size !== state.contentLength) {
      throw new AppError(
        'CONTENT_LENGTH_MISMATCH',
        `the listed parts add up to ${size} bytes, not the ${state.contentLength} declared at creation`,
        { field: 'parts' },
      );
    }
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
            MultipartUpload: { Parts: input.parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
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
      upload: state.grant,
      size,
    });
    try {
      const etag = await completedEtag(client, state.bucket, input.key, completed.ETag);
      return { bucket: state.bucket, key: input.key, etag, size };
    } catch (error) {
      throw new AppError('S3_REQUEST_FAILED', `completing the multipart upload: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async abortMultipartUpload(caller: Caller, input: UploadRef, origin?: AuditedRequest): Promise<void> {
    const state = this.#open(caller, input);
    const grant = newGrantId();
    try {
      await this.#client(state.bucket).send(
        withGrant(
          new AbortMultipartUploadCommand({ Bucket: state.bucket, Key: input.key, UploadId: state.s3UploadId }),
          grant,
        ),
      );
    } catch (error) {
      throw fromS3Error(error, 'AbortMultipartUpload');
    }
    this.#deps.audit?.grant(origin, {
      grant,
      operation: 'abort-multipart-upload',
      bucket: state.bucket,
      key: input.key,
      upload: state.grant,
    });
  }

  /**
   * A browser form upload of `contentType` to a key picked here: exactly `contentLength` bytes
   * when stated, else anything up to the caller's limit (or S3's 5 GiB for a form upload), for
   * clients that ask before they say the size (Companion's /s3/params, Uppy 6).
   */
  async createPostPolicy(
    caller: Caller,
    input: ObjectLabels & { filename: string; contentType: string; contentLength: number | undefined },
    origin?: AuditedRequest,
  ) {
    const { bucket, expiresIn } = callerDefaults(caller, this.#deps.config);
    authorizeUpload(caller, bucket, input.contentType, input.contentLength);
    const labels = checkLabels(caller.policy, input);
    const grant = newGrantId();
    const fields = objectFormFields({
      provenance: this.#deps.config.audit.provenance,
      caller,
      grant,
      labels,
    });
    const contentLengthRange: [number, number] =
      input.contentLength === undefined
        ? [0, Math.min(caller.policy.maxContentLength ?? MAX_SINGLE_PUT_BYTES, MAX_SINGLE_PUT_BYTES)]
        : [input.contentLength, input.contentLength];
    const signed = await this.#deps.presigner.presignPost({
      bucket,
      key: pickUploadKey(caller, input.filename),
      contentType: input.contentType,
      contentLengthRange,
      expiresIn,
      serverFields: fields,
    });
    this.#deps.onIssued?.(caller, 'post', 1);
    this.#deps.audit?.grant(origin, {
      grant,
      operation: 'post',
      bucket,
      key: signed.key,
      expiresAt: signed.expiresAt,
      constraints: this.#constraints(bucket, fields, labels, { contentType: input.contentType, contentLengthRange }),
    });
    return {
      url: signed.url,
      method: 'POST' as const,
      fields: signed.fields,
      key: signed.key,
      expiresAt: signed.expiresAt,
    };
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
    const parts: Array<{ partNumber: number; etag: string; size: number }> = [];
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
            parts.push({ partNumber: part.PartNumber, etag: part.ETag, size: part.Size ?? 0 });
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

/** The caller may put to this bucket, this type and, when declared, this many bytes. */
function authorizeUpload(caller: Caller, bucket: string, contentType: string, contentLength: number | undefined): void {
  const { policy } = caller;
  if (!policy.operations.includes('put')) {
    throw new AppError('OPERATION_NOT_ALLOWED', `caller ${caller.id} may not put`, { field: 'operation' });
  }
  if (!policy.buckets.includes(bucket)) {
    throw new AppError('BUCKET_NOT_ALLOWED', `caller ${caller.id} may not use bucket "${bucket}"`);
  }
  if (policy.maxContentLength !== undefined && contentLength !== undefined && contentLength > policy.maxContentLength) {
    throw new AppError('CONTENT_LENGTH_NOT_ALLOWED', `contentLength may be at most ${policy.maxContentLength} bytes`, {
      field: 'contentLength',
    });
  }
  if (!contentTypeAllowed(policy.contentTypes, contentType)) {
    throw new AppError(
      'CONTENT_TYPE_NOT_ALLOWED',
      `contentType must match ${(policy.contentTypes ?? []).join(', ')}; got ${essence(contentType)}`,
      { field: 'contentType' },
    );
  }
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}
