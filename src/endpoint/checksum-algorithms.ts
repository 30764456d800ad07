// S3's flexible checksum algorithms, as the headers and request fields name them, and which of
// them the store verifies. A signed `x-amz-checksum-*` header only protects an upload when the
// store compares it with the bytes: AWS S3 and the embedded store do for every one, Ceph RGW
// 16.2 for none (it stores other bytes under a signed value). S3_STORE_CHECKSUMS
// says which the configured store verifies; `s3-presign doctor --probe-store` finds out.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32cJs, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import { createXXHash128, createXXHash3, createXXHash64, type IHasher } from 'hash-wasm';
import { AppError, type ErrorCode } from '../errors.js';

export const CHECKSUM_TYPES = ['FULL_OBJECT', 'COMPOSITE'] as const;
export type ChecksumType = (typeof CHECKSUM_TYPES)[number];

/** A running checksum, fed in chunks (a file read or received piece by piece). */
export interface ChecksumHasher {
  update(chunk: Uint8Array): void;
  /** The base64 value, as S3 writes it in `x-amz-checksum-<algorithm>`. */
  digest(): Promise<string>;
}

/** What the service knows of one algorithm; keyed by the header's suffix (`x-amz-checksum-<key>`). */
interface ChecksumAlgorithmRecord {
  /** The request field that carries its value, as the SDK names its PutObject member. */
  readonly field: string;
  /** As S3's documentation writes it. */
  readonly name: string;
  /** As S3's API names it (x-amz-checksum-algorithm, ChecksumAlgorithm). */
  readonly apiName: string;
  /** The SDK member that carries its value (PutObject, UploadPart, CompletedPart, outputs). */
  readonly member: string;
  /** The types S3 allows for a multipart upload; the first is S3's default when none is named. */
  readonly multipartTypes: readonly ChecksumType[];
  /** The digest's size: its base64 value has exactly this many bytes. */
  readonly digestBytes: number;
  /**
   * Whether S3 documents it for a whole object sent in one request (PUT, form POST); false
   * for an algorithm S3 documents only for a multipart upload's parts.
   */
  readonly singleRequest: boolean;
  readonly hasher: () => ChecksumHasher;
}

/**
 * S3's flexible checksum algorithms, every one the pinned SDK's ChecksumAlgorithm names.
 * S3's multipart rules: a full-object value is defined for the CRCs only (S3 combines the
 * parts' CRCs), so CRC64NVME is full-object only, CRC32 and CRC32C either, and the hashes
 * composite only (a checksum of the parts' checksums). MD5 is documented for parts only: a
 * single upload's MD5 is its Content-MD5. docs/encryption-and-integrity.md gives the sources.
 */
const ALGORITHMS = {
  crc32: {
    field: 'checksumCrc32',
    name: 'CRC32',
    apiName: 'CRC32',
    member: 'ChecksumCRC32',
    multipartTypes: ['COMPOSITE', 'FULL_OBJECT'],
    digestBytes: 4,
    singleRequest: true,
    hasher: crc32Hasher,
  },
  crc32c: {
    field: 'checksumCrc32c',
    name: 'CRC32C',
    apiName: 'CRC32C',
    member: 'ChecksumCRC32C',
    multipartTypes: ['COMPOSITE', 'FULL_OBJECT'],
    digestBytes: 4,
    singleRequest: true,
    hasher: () => sdkHasher(new Crc32cJs()),
  },
  crc64nvme: {
    field: 'checksumCrc64nvme',
    name: 'CRC64NVME',
    apiName: 'CRC64NVME',
    member: 'ChecksumCRC64NVME',
    multipartTypes: ['FULL_OBJECT'],
    digestBytes: 8,
    singleRequest: true,
    hasher: () => sdkHasher(new Crc64NvmeJs()),
  },
  sha1: {
    field: 'checksumSha1',
    name: 'SHA-1',
    apiName: 'SHA1',
    member: 'ChecksumSHA1',
    multipartTypes: ['COMPOSITE'],
    digestBytes: 20,
    singleRequest: true,
    hasher: () => cryptoHasher('sha1'),
  },
  sha256: {
    field: 'checksumSha256',
    name: 'SHA-256',
    apiName: 'SHA256',
    member: 'ChecksumSHA256',
    multipartTypes: ['COMPOSITE'],
    digestBytes: 32,
    singleRequest: true,
    hasher: () => cryptoHasher('sha256'),
  },
  md5: {
    field: 'checksumMd5',
    name: 'MD5',
    apiName: 'MD5',
    member: 'ChecksumMD5',
    multipartTypes: ['COMPOSITE'],
    digestBytes: 16,
    singleRequest: false,
    hasher: () => cryptoHasher('md5'),
  },
  sha512: {
    field: 'checksumSha512',
    name: 'SHA-512',
    apiName: 'SHA512',
    member: 'ChecksumSHA512',
    multipartTypes: ['COMPOSITE'],
    digestBytes: 64,
    singleRequest: true,
    hasher: () => cryptoHasher('sha512'),
  },
  xxhash64: {
    field: 'checksumXxhash64',
    name: 'XXHash64',
    apiName: 'XXHASH64',
    member: 'ChecksumXXHASH64',
    multipartTypes: ['COMPOSITE'],
    digestBytes: 8,
    singleRequest: true,
    hasher: () => wasmHasher(createXXHash64),
  },
  xxhash3: {
    field: 'checksumXxhash3',
    name: 'XXHash3',
    apiName: 'XXHASH3',
    member: 'ChecksumXXHASH3',
    multipartTypes: ['COMPOSITE'],
    digestBytes: 8,
    singleRequest: true,
    hasher: () => wasmHasher(createXXHash3),
  },
  xxhash128: {
    field: 'checksumXxhash128',
    name: 'XXHash128',
    apiName: 'XXHASH128',
    member: 'ChecksumXXHASH128',
    multipartTypes: ['COMPOSITE'],
    digestBytes: 16,
    singleRequest: true,
    hasher: () => wasmHasher(createXXHash128),
  },
} as const satisfies Readonly<Record<string, ChecksumAlgorithmRecord>>;

export type ChecksumAlgorithm = keyof typeof ALGORITHMS;
export const CHECKSUM_ALGORITHMS = Object.keys(ALGORITHMS) as readonly ChecksumAlgorithm[];

type Column<Name extends keyof ChecksumAlgorithmRecord> = {
  readonly [Algorithm in ChecksumAlgorithm]: (typeof ALGORITHMS)[Algorithm][Name];
};

function column<Name extends keyof ChecksumAlgorithmRecord>(name: Name): Column<Name> {
  return Object.fromEntries(
    CHECKSUM_ALGORITHMS.map((algorithm) => [algorithm, ALGORITHMS[algorithm][name]]),
  ) as Column<Name>;
}

export const CHECKSUM_FIELDS = column('field');
export type ChecksumField = (typeof CHECKSUM_FIELDS)[ChecksumAlgorithm];
export const CHECKSUM_NAMES = column('name');
export const CHECKSUM_API_NAMES = column('apiName');
export type ChecksumApiName = (typeof CHECKSUM_API_NAMES)[ChecksumAlgorithm];
export const CHECKSUM_MEMBERS = column('member');
export type ChecksumMember = (typeof CHECKSUM_MEMBERS)[ChecksumAlgorithm];
/** Each algorithm's digest size in bytes: its base64 value has exactly this many. */
export const CHECKSUM_DIGEST_BYTES = column('digestBytes');
export const MULTIPART_CHECKSUM_TYPES: Readonly<Record<ChecksumAlgorithm, readonly ChecksumType[]>> =
  column('multipartTypes');

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

/**
 * Canonical base64 of exactly the algorithm's digest size: the characters a digest of that
 * size fills, then the padding, whose last data character carries no stray bits (S3 and the
 * embedded store compare the text, so `AAAAAB==` and `AAAAAA==` must not both pass).
 */
export function checksumValuePattern(algorithm: ChecksumAlgorithm): RegExp {
  return CHECKSUM_VALUE_PATTERNS[algorithm];
}

function buildChecksumValuePattern(algorithm: ChecksumAlgorithm): RegExp {
  const bytes = CHECKSUM_DIGEST_BYTES[algorithm];
  const full = Math.floor(bytes / 3) * 4;
  const rest = bytes % 3;
  const tail = rest === 0 ? '' : rest === 1 ? '[A-Za-z0-9+/][AQgw]==' : '[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=';
  return new RegExp(`^[A-Za-z0-9+/]{${full}}${tail}$`);
}

/**
 * Built once: the validator and the upload routes test a value on every checksummed URL, and
 * building the expression each time was 1.2 µs of /presign (bench/profile.mjs). No `g` or `y`
 * flag, so `test` keeps no state between callers.
 */
const CHECKSUM_VALUE_PATTERNS = Object.fromEntries(
  CHECKSUM_ALGORITHMS.map((algorithm) => [algorithm, buildChecksumValuePattern(algorithm)]),
) as Readonly<Record<ChecksumAlgorithm, RegExp>>;

function checksumValueLength(algorithm: ChecksumAlgorithm): number {
  return Math.ceil(CHECKSUM_DIGEST_BYTES[algorithm] / 3) * 4;
}

/** The longest base64 value of any algorithm (SHA-512's): a bound for a field of any of them. */
export const CHECKSUM_VALUE_MAX_LENGTH = Math.max(...CHECKSUM_ALGORITHMS.map(checksumValueLength));

/** How a value of this algorithm is described in an error. */
export function checksumValueDescription(algorithm: ChecksumAlgorithm, of = 'the body'): string {
  const length = checksumValueLength(algorithm);
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
  if (first === undefined) return undefined;
  refuseMultipartOnlyAlgorithm(first, CHECKSUM_FIELDS[first]);
  return { algorithm: first, value: request[CHECKSUM_FIELDS[first]] as string };
}

/** Whether S3 documents the algorithm for a whole object sent in one request. */
export function singleRequestAlgorithm(algorithm: ChecksumAlgorithm): boolean {
  return ALGORITHMS[algorithm].singleRequest;
}

/** A 400 for an algorithm S3 documents only for a multipart upload's parts (MD5), sent with a whole object. */
export function refuseMultipartOnlyAlgorithm(algorithm: ChecksumAlgorithm, field: string): void {
  if (singleRequestAlgorithm(algorithm)) return;
  const name = CHECKSUM_NAMES[algorithm];
  throw new AppError(
    'VALIDATION_FAILED',
    `S3 documents ${name} checksums for the parts of a multipart upload only (a single upload's ${name} is its Content-MD5): create a multipart upload with checksumAlgorithm ${CHECKSUM_API_NAMES[algorithm]}, or send another checksum`,
    { field },
  );
}

/** The base64 value S3 expects in `x-amz-checksum-<algorithm>` for these bytes. */
export async function checksumOf(algorithm: ChecksumAlgorithm, body: Uint8Array): Promise<string> {
  const hasher = checksumHasher(algorithm);
  hasher.update(body);
  return hasher.digest();
}

export function checksumHasher(algorithm: ChecksumAlgorithm): ChecksumHasher {
  return ALGORITHMS[algorithm].hasher();
}

function cryptoHasher(algorithm: string): ChecksumHasher {
  const hash = createHash(algorithm);
  return { update: (chunk) => hash.update(chunk), digest: async () => hash.digest('base64') };
}

function crc32Hasher(): ChecksumHasher {
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

/** The SDK's own checksum classes (`@aws-sdk/checksums`), which digest to the raw bytes. */
/**
 * XXHash from hash-wasm's WebAssembly build: 4.6 to 5.4 GB/s on this 2-core machine idle, where
 * the SDK's JavaScript classes (`@aws-sdk/checksums/xxh`, which the embedded store keeps as its
 * reference) give 87 to 140 MB/s, and 19 to 43 under load: slower than a 1 Gbit/s link
 * (bench/checksums.mjs, docs/encryption-and-integrity.md). Its hashers are made
 * asynchronously: what arrives before the first one is ready is copied and queued, since a
 * caller may reuse its buffer once `update` returns.
 */
function wasmHasher(create: () => Promise<IHasher>): ChecksumHasher {
  let hasher: IHasher | undefined;
  const queued: Uint8Array[] = [];
  const ready = create().then((created) => {
    created.init();
    for (const chunk of queued) created.update(chunk);
    queued.length = 0;
    hasher = created;
    return created;
  });
  return {
    update: (chunk) => {
      if (hasher) hasher.update(chunk);
      else queued.push(Uint8Array.from(chunk));
    },
    digest: async () => Buffer.from((await ready).digest('binary')).toString('base64'),
  };
}

function sdkHasher(checksum: { update(chunk: Uint8Array): void; digest(): Promise<Uint8Array> }): ChecksumHasher {
  return {
    update: (chunk) => checksum.update(chunk),
    digest: async () => Buffer.from(await checksum.digest()).toString('base64'),
  };
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
