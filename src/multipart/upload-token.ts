// What the service hands out as a multipart `uploadId`: S3's upload ID with what was decided
// at creation (bucket, declared length, part size, the upload's deadline), bound by an HMAC
// to the key and the caller it was created for. The service keeps no state, so this is how
// a later call proves the upload is the caller's and learns the sizes to sign; a token copied
// to another caller or another key fails the HMAC (403), and a changed one fails it too.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Caller } from '../auth/policy.js';
import { AppError } from '../errors.js';

export interface UploadState {
  /** S3's own upload ID. */
  s3UploadId: string;
  bucket: string;
  /** Declared total, when the caller gave one at creation. */
  contentLength: number | undefined;
  partSize: number;
  /** After this the service signs no more parts and completes nothing (epoch seconds). */
  expiresAt: number;
  /** The grant id of the create (the object's x-amz-meta-grant): later calls' audit events name it. */
  grant?: string | undefined;
}

const VERSION = 'u1';
/** Create grants: a separate version, so a grant is never read as an upload ID or back. */
const GRANT_VERSION = 'g1';
const MAX_TOKEN_LENGTH = 2048;

export class UploadTokens {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 32) throw new RangeError('the upload token secret must be at least 32 bytes');
    this.#secret = secret;
  }

  issue(state: UploadState, caller: Caller, key: string): string {
    const payload = Buffer.from(
      JSON.stringify([
        state.s3UploadId,
        state.bucket,
        state.contentLength ?? null,
        state.partSize,
        state.expiresAt,
        ...(state.grant === undefined ? [] : [state.grant]),
      ]),
      'utf8',
    ).toString('base64url');
    return `${VERSION}.${payload}.${this.#mac(payload, caller, key).toString('base64url')}`;
  }

  /** The state behind a token the caller presents for this key, or a 4xx AppError. */
  open(token: string, caller: Caller, key: string, now: Date): UploadState {
    const parts = token.length <= MAX_TOKEN_LENGTH ? token.split('.') : [];
    const [version, payload, mac] = parts;
    if (parts.length !== 3 || version !== VERSION || !payload || !mac) {
      throw new AppError('INVALID_UPLOAD_ID', 'uploadId is not one this service issued', { field: 'uploadId' });
    }
    const expected = this.#mac(payload, caller, key);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      // Another caller's upload, another key, or a forged token: all the same answer.
      throw new AppError('UPLOAD_NOT_ALLOWED', 'this uploadId was not issued to you for this key', {
        field: 'uploadId',
      });
    }
    const [s3UploadId, bucket, contentLength, partSize, expiresAt, grant] = JSON.parse(
      Buffer.from(payload, 'base64url').toString('utf8'),
    ) as [string, string, number | null, number, number, string | undefined];
    if (expiresAt * 1000 <= now.getTime()) {
      throw new AppError('UPLOAD_EXPIRED', 'this multipart upload is past its deadline; start a new one', {
        field: 'uploadId',
      });
    }
    return {
      s3UploadId,
      bucket,
      contentLength: contentLength ?? undefined,
      partSize,
      expiresAt,
      ...(grant === undefined ? {} : { grant }),
    };
  }

  /** A promise of `key` to this caller until `expiresAt` (epoch seconds), for a later create. */
  issueGrant(caller: Caller, key: string, expiresAt: number): string {
    const payload = Buffer.from(JSON.stringify([key, expiresAt]), 'utf8').toString('base64url');
    return `${GRANT_VERSION}.${payload}.${this.#mac(payload, caller, key, GRANT_VERSION).toString('base64url')}`;
  }

  /** The key a grant from issueGrant names, if it was issued to this caller and is still good. */
  openGrant(token: string, caller: Caller, now: Date): string {
    const invalid = () =>
      new AppError('INVALID_UPLOAD_ID', 'the create grant is not one this service issued', { field: 'grant' });
    const parts = token.length <= MAX_TOKEN_LENGTH ? token.split('.') : [];
    const [version, payload, mac] = parts;
    if (parts.length !== 3 || version !== GRANT_VERSION || !payload || !mac) throw invalid();
    let key: unknown;
    let expiresAt: unknown;
    try {
      [key, expiresAt] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown[];
    } catch {
      throw invalid();
    }
    if (typeof key !== 'string' || typeof expiresAt !== 'number') throw invalid();
    const expected = this.#mac(payload, caller, key, GRANT_VERSION);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError('UPLOAD_NOT_ALLOWED', 'this create grant was not issued to you', { field: 'grant' });
    }
    if (expiresAt * 1000 <= now.getTime()) {
      throw new AppError('UPLOAD_EXPIRED', 'this create grant has expired; sign the create call again', {
        field: 'grant',
      });
    }
    return key;
  }

  #mac(payload: string, caller: Caller, key: string, version = VERSION): Buffer {
    // Lengths first: no choice of id, subject and key can collide with another.
    const subject = caller.subject ?? '';
    return createHmac('sha256', this.#secret)
      .update(`${version}\n${payload}\n${caller.id.length}:${caller.id}\n${subject.length}:${subject}\n${key}`)
      .digest();
  }
}
