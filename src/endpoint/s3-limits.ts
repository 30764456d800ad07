// S3's own limits on objects, uploads and labels (its user guide's quotas), in one place: the
// schemas, the caller rules, the multipart and upload-client routes and the CLI check against
// these, so a caller hears of a breach from the service before S3 refuses the bytes.

/** One PUT (or one form POST) carries at most 5 GiB. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
/** An object is at most 5 TiB, which only a multipart upload reaches. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;
/** A multipart upload has 1..10,000 parts. */
export const MAX_PARTS = 10_000;
/** Every part but the last is at least 5 MiB; any part is at most 5 GiB. */
export const MIN_PART_BYTES = 5 * 1024 ** 2;
export const MAX_PART_BYTES = 5 * 1024 ** 3;
/** User-defined metadata: names and values together, in bytes. */
export const MAX_METADATA_BYTES = 2048;
/** Tags per object, and their keys' and values' lengths in characters. */
export const MAX_TAGS = 10;
export const MAX_TAG_KEY_CHARACTERS = 128;
export const MAX_TAG_VALUE_CHARACTERS = 256;
