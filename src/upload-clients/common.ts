// What the upload clients' routes (Companion's shapes, Uppy 6's signer) share.
import type { RouteAccess } from '../auth/route-access.js';
import { presignRequestSchema } from '../presign/schemas.js';

/**
 * Frontends' routes: the service picks every key under the caller's prefix and binds its
 * limits, as for /uploads.
 */
export const UPLOAD_CLIENT_ACCESS: RouteAccess = { family: 'upload-clients', frontends: 'open' };

/** The same media-type rule as every other route that binds a content type. */
export const mediaType = presignRequestSchema.shape.contentType.unwrap();

/** What S3 stores when a client names no type, as it does itself. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * The signed headers a browser client must send with a part URL. Content-length, when
 * signed, is left out: browsers set it from the body and refuse to be told it.
 */
export function browserHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => name !== 'content-length'));
}
