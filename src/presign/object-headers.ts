// The headers an upload can bind, and the AWS SDK input member that carries each. The SDK
// engine builds its PutObject and UploadPart commands from this table, and multipart create
// passes the same server-decided headers to CreateMultipartUpload through it: a header the
// service decides (encryption, checksums now; tagging, x-amz-meta-* provenance later) is added
// here once and reaches every path. The fast engine needs no table: it signs any header.

type MemberValue = string | number | boolean;

interface HeaderMember {
  member: string;
  /** The member's value for the header's text; undefined: the SDK could not send this text. */
  parse: (value: string) => MemberValue | undefined;
}

const text = (value: string) => value;
const wholeNumber = (value: string) => (/^\d+$/.test(value) ? Number(value) : undefined);
// The SDK writes a boolean member back as `true` or `false`: only those spellings round-trip.
const flag = (value: string) => (value === 'true' ? true : value === 'false' ? false : undefined);

/** The object's own settings: PutObject and CreateMultipartUpload take them alike. */
const OBJECT_HEADERS: Readonly<Record<string, HeaderMember>> = {
  'content-type': { member: 'ContentType', parse: text },
  'x-amz-server-side-encryption': { member: 'ServerSideEncryption', parse: text },
  'x-amz-server-side-encryption-aws-kms-key-id': { member: 'SSEKMSKeyId', parse: text },
  'x-amz-server-side-encryption-bucket-key-enabled': { member: 'BucketKeyEnabled', parse: flag },
  'x-amz-tagging': { member: 'Tagging', parse: text },
};
/** What describes one request's body: PutObject and UploadPart take them alike. */
const BODY_HEADERS: Readonly<Record<string, HeaderMember>> = {
  'content-length': { member: 'ContentLength', parse: wholeNumber },
  'x-amz-checksum-crc32': { member: 'ChecksumCRC32', parse: text },
  'x-amz-checksum-crc32c': { member: 'ChecksumCRC32C', parse: text },
  'x-amz-checksum-crc64nvme': { member: 'ChecksumCRC64NVME', parse: text },
  'x-amz-checksum-sha1': { member: 'ChecksumSHA1', parse: text },
  'x-amz-checksum-sha256': { member: 'ChecksumSHA256', parse: text },
};
const METADATA_PREFIX = 'x-amz-meta-';

export type ObjectOperation = 'put-object' | 'upload-part' | 'create-multipart-upload';

const TABLES: Readonly<Record<ObjectOperation, ReadonlyArray<Readonly<Record<string, HeaderMember>>>>> = {
  'put-object': [OBJECT_HEADERS, BODY_HEADERS],
  'upload-part': [BODY_HEADERS],
  'create-multipart-upload': [OBJECT_HEADERS],
};

export class UnboundHeaderError extends Error {
  override name = 'UnboundHeaderError';
}

/**
 * The SDK command input members that send exactly these headers (lowercase names); throws
 * UnboundHeaderError for a header the operation cannot carry.
 */
export function sdkInputMembers(
  operation: ObjectOperation,
  headers: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const members: Record<string, unknown> = {};
  const tables = TABLES[operation];
  for (const [name, value] of Object.entries(headers)) {
    if (operation !== 'upload-part' && name.startsWith(METADATA_PREFIX) && name.length > METADATA_PREFIX.length) {
      const metadata = (members.Metadata ??= {}) as Record<string, string>;
      metadata[name.slice(METADATA_PREFIX.length)] = value;
      continue;
    }
    const entry = tables.find((table) => Object.hasOwn(table, name))?.[name];
    const parsed = entry?.parse(value);
    if (entry === undefined || parsed === undefined) {
      throw new UnboundHeaderError(`the sdk engine cannot bind header ${name} to ${operation}`);
    }
    members[entry.member] = parsed;
  }
  return members;
}

/**
 * The headers getSignedUrl must keep as signed headers. Left to itself it moves every
 * `x-amz-*` header but the encryption ones into the query ("hoisting"): the URL would then
 * differ from the fast engine's, and from the `headers` the caller is told to send.
 */
export function unhoistableHeaders(headers: Readonly<Record<string, string>>): Set<string> {
  return new Set(Object.keys(headers).filter((name) => name.startsWith('x-amz-')));
}
