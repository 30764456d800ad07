// A grant is one thing the service handed out or did for a caller: a URL, a batch of part URLs,
// a POST policy, a multipart create, complete or abort. Its id names it in the audit stream, on
// the object (x-amz-meta-grant) and, signed into every URL as `x-s3p-grant`, in S3's server
// access log: S3 ignores query parameters whose names begin with `x-` but writes them into the
// log record's Request-URI (docs/audit-and-provenance.md).
import { randomUUID } from 'node:crypto';

/** The query parameter every URL the service signs carries its grant id in. */
export const GRANT_PARAMETER = 'x-s3p-grant';

/** A grant id as the service draws it: a random (version 4) UUID, lowercase. */
export const GRANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A new grant id. node:crypto's randomUUID draws from a cached pool: no system call per id. */
export function newGrantId(): string {
  return randomUUID();
}

export function isGrantId(value: string): boolean {
  return GRANT_ID.test(value);
}
