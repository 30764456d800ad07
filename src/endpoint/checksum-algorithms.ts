// S3's flexible checksum algorithms, as the headers and request fields name them, and which of
// them the store verifies. A signed `x-amz-checksum-*` header only protects an upload when the
// store compares it with the bytes: AWS S3 and the embedded store do for all five, Ceph RGW
// 16.2 for none (it stores other bytes under a signed value). S3_STORE_CHECKSUMS
// says which the configured store verifies; `s3-presign doctor --probe-store` finds out.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32cJs, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import { AppError, type ErrorCode } from '../errors.js';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** The request field that carries each algorithm's value, as the SDK names its members. */
export const CHECKSUM_FIELDS = {
  crc32: 'checksumCrc32',
  crc32c: 'checksumCrc32c',
  crc64nvme: 'checksumCrc64nvme',
  sha1: 'checksumSha1',
  sha256: 'checksumSha256',
} as const satisfies Readonly<Record<ChecksumAlgorithm, string>>;
export type ChecksumField = (typeof CHECKSUM_FIELDS)[ChecksumAlgorithm];

/** As S3's documentation writes them. */
export const CHECKSUM_NAMES: Readonly<Record<ChecksumAlgorithm, string>> = {
  crc32: 'CRC32',
  crc32c: 'CRC32C',
  crc64nvme: 'CRC64NVME',
  sha1: 'SHA-1',
  sha256: 'SHA-256',
};

/** As S3's API names them (x-amz-checksum-algorithm, ChecksumAlgorithm). */
export const CHECKSUM_API_NAMES = {
  crc32: 'CRC32',
  crc32c: 'CRC32C',
  crc64nvme: 'CRC64NVME',
  sha1: 'SHA1',
  sha256: 'SHA256',
} as const satisfies Readonly<Record<ChecksumAlgorithm, string>>;
export type ChecksumApiName = (typeof CHECKSUM_API_NAMES)[ChecksumAlgorithm];

/** The SDK member that carries each algorithm's value (PutObject, UploadPart, CompletedPart, outputs). */
export const CHECKSUM_MEMBERS = {
  crc32: 'ChecksumCRC32',
  crc32c: 'ChecksumCRC32C',
  crc64nvme: 'ChecksumCRC64NVME',
  sha1: 'ChecksumSHA1',
  sha256: 'ChecksumSHA256',
} as const satisfies Readonly<Record<ChecksumAlgorithm, string>>;
export type ChecksumMember = (typeof CHECKSUM_MEMBERS)[ChecksumAlgorithm];

export const CHECKSUM_TYPES = ['FULL_OBJECT', 'COMPOSITE'] as const;
export type ChecksumType = (typeof CHECKSUM_TYPES)[number];

/**
 * S3's rules for a multipart upload: CRC64NVME is full-object only, SHA-1 and SHA-256 are
 * composite only (a checksum of the parts' checksums), CRC32 and CRC32C either. The first
 * is S3's default when the upload names no type.
 */
export const MULTIPART_CHECKSUM_TYPES: Readonly<Record<ChecksumAlgorithm, readonly ChecksumType[]>> = {
  crc64nvme: ['FULL_OBJECT'],
  crc32: ['COMPOSITE', 'FULL_OBJECT'],
  crc32c: ['COMPOSITE', 'FULL_OBJECT'],
  sha1: ['COMPOSITE'],
  sha256: ['COMPOSITE'],
};

/** The type a client picks for a multipart upload: the whole object's wherever S3 allows it. */
export function multipartChecksumType(algorithm: ChecksumAlgorithm): ChecksumType {
  return MULTIPART_CHECKSUM_TYPES[algorithm].includes('FULL_OBJECT') ? 'FULL_OBJECT' : 'COMPOSITE';
}

export function algorithmOfApiName(name: ChecksumApiName): ChecksumAlgorithm {
  return CHECKSUM_ALGORITHMS.find((algorithm) => CHECKSUM_API_NAMES[algorithm] === name) as ChecksumAlgorithm;
}

export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm}`;
}

/** The header a GET sends to be answered with the stored checksum. */
export const CHECKSUM_MODE_HEADER = 'x-amz-checksum-mode';

/** Each algorithm's digest size in bytes: its base64 value has exactly this many. */
export const CHECKSUM_DIGEST_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = {
  crc32: 4,
  crc32c: 4,
  crc64nvme: 8,
  sha1: 20,
  sha256: 32,
};

/**
 * Canonical base64 of exactly the algorithm's digest size: the characters a digest of that
 * size fills, then the padding, whose last data character carries no stray bits (S3 and the
 * embedded store compare the text, so `AAAAAB==` and `AAAAAA==` must not both pass).
 */
export function checksumValuePattern(algorithm: ChecksumAlgorithm): RegExp {
  const bytes = CHECKSUM_DIGEST_BYTES[algorithm];
  const full = Math.floor(bytes / 3) * 4;
  const rest = bytes % 3;
  const tail = rest === 0 ? '' : rest === 1 ? '[A-Za-z0-9+/][AQgw]==' : '[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=';
  return new RegExp(`^[A-Za-z0-9+/]{${full}}${tail}$`);
}

/** How a value of this algorithm is described in an error. */
export function checksumValueDescription(algorithm: ChecksumAlgorithm, of = 'the body'): string {
  const length = Math.ceil(CHECKSUM_DIGEST_BYTES[algorithm] / 3) * 4;
  return `must be the base64 ${CHECKSUM_NAMES[algorithm]} of ${of} (${length} characters)`;
}

/** A request's checksum fields, as the SDK names its PutObject members. */
export type ChecksumFields = { [Field in ChecksumField]?: string | undefined };

export interface RequestChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
}

/**
 * The one checksum a request carries, or undefined; a 400 naming both fields when it carries
 * two (S3 refuses a request with more than one x-amz-checksum-* header).
 */
export function requestChecksum(request: Readonly<ChecksumFields>): RequestChecksum | undefined {
  const sent = CHECKSUM_ALGORITHMS.filter((algorithm) => request[CHECKSUM_FIELDS[algorithm]] !== undefined);
  const [first, second] = sent;
  if (second !== undefined) {
    throw new AppError(
      'VALIDATION_FAILED',
      `send at most one checksum: ${CHECKSUM_FIELDS[first as ChecksumAlgorithm]} and ${CHECKSUM_FIELDS[second]} were both given (S3 refuses more than one x-amz-checksum-* header)`,
      { field: CHECKSUM_FIELDS[second] },
    );
  }
  return first === undefined ? undefined : { algorithm: first, value: request[CHECKSUM_FIELDS[first]] as string };
}

/** The base64 value S3 expects in `x-amz-checksum-<algorithm>` for these bytes. */
export async function checksumOf(algorithm: ChecksumAlgorithm, body: Uint8Array): Promise<string> {
  const hasher = checksumHasher(algorithm);
  hasher.update(body);
  return hasher.digest();
}

/** A running checksum, fed in chunks (a file read or received piece by piece). */
export interface ChecksumHasher {
  update(chunk: Uint8Array): void;
  /** The base64 value, as S3 writes it in `x-amz-checksum-<algorithm>`. */
  digest(): Promise<string>;
}

export function checksumHasher(algorithm: ChecksumAlgorithm): ChecksumHasher {
  switch (algorithm) {
    case 'sha1':
    case 'sha256': {
      const hash = createHash(algorithm);
      return { update: (chunk) => hash.update(chunk), digest: async () => hash.digest('base64') };
    }
    case 'crc32': {
      let running = 0;
      return {
        update: (chunk) => (running = crc32(chunk, running)),
        digest: async () => {
          const value = Buffer.alloc(4);
          value.writeUInt32BE(running);
          return value.toString('base64');
        },
      };
    }
    case 'crc32c':
    case 'crc64nvme': {
      const checksum = algorithm === 'crc32c' ? new Crc32cJs() : new Crc64NvmeJs();
      return {
        update: (chunk) => checksum.update(chunk),
        digest: async () => Buffer.from(await checksum.digest()).toString('base64'),
      };
    }
  }
}

/**
 * S3_STORE_CHECKSUMS: `all`, `none`, or a comma-separated list of algorithms. Undefined (with
 * the problem pushed) when the value names something else.
 */
export function parseVerifiedChecksums(value: string, problems: string[]): ChecksumAlgorithm[] | undefined {
  const normalised = value.trim().toLowerCase();
  if (normalised === 'all') return [...CHECKSUM_ALGORITHMS];
  if (normalised === 'none') return [];
  const named = normalised
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const unknown = named.filter((entry) => !(CHECKSUM_ALGORITHMS as readonly string[]).includes(entry));
  if (named.length === 0 || unknown.length > 0) {
    problems.push(
      `S3_STORE_CHECKSUMS: must be all, none, or a comma-separated list of ${CHECKSUM_ALGORITHMS.join(', ')} (got "${value}")`,
    );
    return undefined;
  }
  return CHECKSUM_ALGORITHMS.filter((algorithm) => named.includes(algorithm));
}

/** The S3_STORE_CHECKSUMS value that names exactly these algorithms. */
export function verifiedChecksumsSetting(algorithms: readonly ChecksumAlgorithm[]): string {
  if (algorithms.length === 0) return 'none';
  if (CHECKSUM_ALGORITHMS.every((algorithm) => algorithms.includes(algorithm))) return 'all';
  return CHECKSUM_ALGORITHMS.filter((algorithm) => algorithms.includes(algorithm)).join(',');
}

/** What refuseUnverifiedChecksums and requestChecksum (two checksums at once) refuse with. */
export const CHECKSUM_ERRORS = ['CHECKSUM_NOT_VERIFIED', 'VALIDATION_FAILED'] as const satisfies readonly ErrorCode[];

/**
 * Refuses to sign `algorithm` when the store does not verify it: signed, the value would look
 * like a guarantee and stop nothing. `instead` says what the caller can send in its place.
 */
export function refuseUnverifiedAlgorithm(
  algorithm: ChecksumAlgorithm,
  verified: readonly ChecksumAlgorithm[],
  field: string,
  instead: string,
): void {
  if (verified.includes(algorithm)) return;
  throw new AppError(
    'CHECKSUM_NOT_VERIFIED',
    `this deployment's store does not verify ${CHECKSUM_NAMES[algorithm]} checksums (S3_STORE_CHECKSUMS=${verifiedChecksumsSetting(verified)}): ${instead}`,
    { field },
  );
}

/** refuseUnverifiedAlgorithm for each checksum field a request sends; every route that signs them calls it first. */
export function refuseUnverifiedChecksums(
  request: Readonly<Partial<Record<ChecksumField, unknown>>>,
  verified: readonly ChecksumAlgorithm[],
): void {
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const field = CHECKSUM_FIELDS[algorithm];
    if (request[field] === undefined) continue;
    refuseUnverifiedAlgorithm(
      algorithm,
      verified,
      field,
      `a signed ${field} would not stop other bytes; send the upload without it`,
    );
  }
}
