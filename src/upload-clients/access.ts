import type { RouteAccess } from '../auth/route-access.js';

/**
 * The upload clients' routes (Companion's shapes, Uppy 6's signer) are frontends' routes:
 * the service picks every key under the caller's prefix and binds its limits, as for /uploads.
 */
export const UPLOAD_CLIENT_ACCESS: RouteAccess = { family: 'upload-clients', frontends: 'open' };
