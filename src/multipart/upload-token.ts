// What the service hands out as a multipart `uploadId`: S3's upload ID with what was decided
// at creation (bucket, declared length, part size, the upload's deadline), bound by an HMAC
// to the key and the caller it was created for. The service keeps no state, so this is how
// a later call proves the upload is the caller's and learns the sizes to sign; a token copied
// to another caller or another key fails the HMAC (403), and a changed one fails it too.
//
// A token opens only in the exact form it was issued in: base64url without padding, its
// unused low bits zero. Base64 decoders forgive other spellings (`=` padding, `+/` for `-_`,
// other unused bits, stray characters), so the HMAC is compared as the issued text, and the
// payload, which the HMAC covers as text, cannot be respelled either.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Caller } from '../auth/caller-policy.js';
import {
  CHECKSUM_ALGORITHMS,
  MULTIPART_CHECKSUM_TYPES,
  type ChecksumAlgorithm,
  type ChecksumType,
} from '../endpoint/checksum-algorithms.js';
import { AppError, type ErrorCode } from '../errors.js';

/** What opening an upload token or a create grant refuses with. */
export const UPLOAD_TOKEN_ERRORS = [
  'INVALID_UPLOAD_ID',
  'UPLOAD_NOT_ALLOWED',
  'UPLOAD_EXPIRED',
] as const satisfies readonly ErrorCode[];

export interface UploadState {
  /** S3's own upload ID. */
  s3UploadId: string;
  bucket: string;
  /** The object's size, declared at creation: every part URL signs its share of it. */
  contentLength: number;
  partSize: number;
  /** After this the service signs no more parts and completes nothing (epoch seconds). */
  expiresAt: number;
  /** The checksum the upload was created with: every part carries one, completion checks the whole. */
  checksum?: UploadChecksum | undefined;
}

export interface UploadChecksum {
  algorithm: ChecksumAlgorithm;
  type: ChecksumType;
}

/** What a create grant promises: a key, until a deadline, for an object of this size (and checksum). */
export interface CreateGrant {
  key: string;
  expiresAt: number;
  contentLength: number;
  partSize: number;
  checksum?: UploadChecksum | undefined;
}

const VERSION = 'u1';
/** Create grants: a separate version, so a grant is never read as an upload ID or back. */
const GRANT_VERSION = 'g1';
export const MAX_TOKEN_LENGTH = 2048;
/** An HMAC-SHA256 in base64url without padding. */
const MAC_LENGTH = 43;

const DOT = 0x2e;
const BASE64URL = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')
  BASE64URL[char.charCodeAt(0)] = 1;

/** Counts the characters a reading visits: each is visited at most once (the linearity test). */
export interface ReadingWork {
  characters: number;
}

/**
 * `version.payload.mac` split in one pass over the token, or undefined when it is not that
 * shape: at most MAX_TOKEN_LENGTH characters, exactly two dots, only base64url between them,
 * no empty part, the version named.
 */
export function tokenParts(
  token: string,
  version: string,
  work?: ReadingWork,
): { payload: string; mac: string } | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  let first = -1;
  let second = -1;
  for (let index = 0; index < token.length; index++) {
    if (work) work.characters++;
    const code = token.charCodeAt(index);
    if (code === DOT) {
      if (second !== -1) return undefined;
      if (first === -1) first = index;
      else second = index;
    } else if (BASE64URL[code] !== 1) {
      // Past the table (code 128 and up) reads undefined: refused like any other character.
      return undefined;
    }
  }
  if (second === -1 || second === first + 1 || second === token.length - 1) return undefined;
  if (token.slice(0, first) !== version) return undefined;
  return { payload: token.slice(first + 1, second), mac: token.slice(second + 1) };
}

export class UploadTokens {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 32) throw new RangeError('the upload token secret must be at least 32 bytes');
    this.#secret = secret;
  }

  issue(state: UploadState, caller: Caller, key: string): string {
    const payload = encodePayload([
      state.s3UploadId,
      state.bucket,
      state.contentLength,
      state.partSize,
      state.expiresAt,
      // Only for an upload with one: an upload without reads as the tokens issued before checksums.
      ...(state.checksum === undefined ? [] : [checksumText(state.checksum)]),
    ]);
    return `${VERSION}.${payload}.${this.#mac(payload, caller, key, VERSION)}`;
  }

  /** The state behind a token the caller presents for this key, or a 4xx AppError. */
  open(token: string, caller: Caller, key: string, now: Date): UploadState {
    const parts = tokenParts(token, VERSION);
    if (parts === undefined) {
      throw new AppError('INVALID_UPLOAD_ID', 'uploadId is not one this service issued', { field: 'uploadId' });
    }
    if (!this.#macMatches(parts, caller, key, VERSION)) {
      // Another caller's upload, another key, or a forged or respelled token: all the same answer.
      throw new AppError('UPLOAD_NOT_ALLOWED', 'this uploadId was not issued to you for this key', {
        field: 'uploadId',
      });
    }
    const fields = decodePayload(parts.payload);
    const [s3UploadId, bucket, contentLength, partSize, expiresAt, checksumText] = fields ?? [];
    const checksum = uploadChecksum(checksumText);
    if (
      (fields?.length !== 5 && fields?.length !== 6) ||
      checksum === null ||
      typeof s3UploadId !== 'string' ||
      typeof bucket !== 'string' ||
      !isCount(contentLength) ||
      !isCount(partSize) ||
      !isCount(expiresAt)
    ) {
      // Issued with this secret, so by another version of the service (one that let an upload
      // start without its size, for one).
      throw new AppError('INVALID_UPLOAD_ID', 'uploadId was issued by an older version of this service; start anew', {
        field: 'uploadId',
      });
    }
    if (expiresAt * 1000 <= now.getTime()) {
      throw new AppError('UPLOAD_EXPIRED', 'this multipart upload is past its deadline; start a new one', {
        field: 'uploadId',
      });
    }
    return { s3UploadId, bucket, contentLength, partSize, expiresAt, ...(checksum && { checksum }) };
  }

  /** A promise of `grant.key` to this caller until `grant.expiresAt` (epoch seconds), for a later create. */
  issueGrant(caller: Caller, grant: CreateGrant): string {
    const payload = encodePayload([
      grant.key,
      grant.expiresAt,
      grant.contentLength,
      grant.partSize,
      ...(grant.checksum === undefined ? [] : [checksumText(grant.checksum)]),
    ]);
    return `${GRANT_VERSION}.${payload}.${this.#mac(payload, caller, grant.key, GRANT_VERSION)}`;
  }

  /** What a grant from issueGrant promised, if it was issued to this caller and is still good. */
  openGrant(token: string, caller: Caller, now: Date): CreateGrant {
    const invalid = () =>
      new AppError('INVALID_UPLOAD_ID', 'the create grant is not one this service issued', { field: 'grant' });
    const parts = tokenParts(token, GRANT_VERSION);
    if (parts === undefined) throw invalid();
    // The key is inside the payload and the HMAC binds it: read it first, trust it after.
    const fields = decodePayload(parts.payload);
    const [key, expiresAt, contentLength, partSize, checksumText] = fields ?? [];
    const checksum = uploadChecksum(checksumText);
    if (
      (fields?.length !== 4 && fields?.length !== 5) ||
      checksum === null ||
      typeof key !== 'string' ||
      !isCount(expiresAt) ||
      !isCount(contentLength) ||
      !isCount(partSize)
    ) {
      throw invalid();
    }
    if (!this.#macMatches(parts, caller, key, GRANT_VERSION)) {
      throw new AppError('UPLOAD_NOT_ALLOWED', 'this create grant was not issued to you', { field: 'grant' });
    }
    if (expiresAt * 1000 <= now.getTime()) {
      throw new AppError('UPLOAD_EXPIRED', 'this create grant has expired; sign the create call again', {
        field: 'grant',
      });
    }
    return { key, expiresAt, contentLength, partSize, ...(checksum && { checksum }) };
  }

  /** The given HMAC is the issued text, compared in constant time. */
  #macMatches(parts: { payload: string; mac: string }, caller: Caller, key: string, version: string): boolean {
    if (parts.mac.length !== MAC_LENGTH) return false;
    const expected = Buffer.from(this.#mac(parts.payload, caller, key, version), 'latin1');
    // tokenParts let only base64url through: one byte per character.
    return timingSafeEqual(Buffer.from(parts.mac, 'latin1'), expected);
  }

  #mac(payload: string, caller: Caller, key: string, version: string): string {
    // Lengths first: no choice of id, subject and key can collide with another.
    const subject = caller.subject ?? '';
    return createHmac('sha256', this.#secret)
      .update(`${version}\n${payload}\n${caller.id.length}:${caller.id}\n${subject.length}:${subject}\n${key}`)
      .digest('base64url');
  }
}

function encodePayload(fields: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url');
}

/** The payload's JSON array, or undefined. Only base64url reaches here (tokenParts). */
function decodePayload(payload: string): unknown[] | undefined {
  try {
    const fields: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return Array.isArray(fields) ? fields : undefined;
  } catch {
    return undefined;
  }
}

function checksumText(checksum: UploadChecksum): string {
  return `${checksum.algorithm}:${checksum.type}`;
}

/** `algorithm:type` as checksumText writes it, undefined when absent, null for anything else. */
function uploadChecksum(text: unknown): UploadChecksum | undefined | null {
  if (text === undefined) return undefined;
  if (typeof text !== 'string') return null;
  const [algorithm, type] = text.split(':');
  const known = CHECKSUM_ALGORITHMS.find((name) => name === algorithm);
  if (known === undefined) return null;
  const allowed = MULTIPART_CHECKSUM_TYPES[known].find((name) => name === type);
  return allowed === undefined ? null : { algorithm: known, type: allowed };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
