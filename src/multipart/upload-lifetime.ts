// How long an upload ID stays usable, apart from the service that enforces it: `s3-presign
// policy` derives the bucket's lifecycle rule from it, and importing the multipart service
// would pull its routes into the CLI.

/** How long the service keeps signing parts for an upload (`UPLOAD_EXPIRED` afterwards). */
export const UPLOAD_LIFETIME_SECONDS = 7 * 24 * 3600;
