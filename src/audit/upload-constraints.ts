// What an upload's audit event says it binds: the request's own constraints (type, size,
// checksum), the bucket's encryption, and the names of the metadata and tags it carries.
import type { Config } from '../config/config.js';
import { CHECKSUM_API_NAMES, type RequestChecksum } from '../endpoint/checksum-algorithms.js';
import { encryptionFor } from '../encryption/sse.js';
import { METADATA_PREFIX, type CheckedLabels } from '../metadata/object-metadata.js';
import type { GrantConstraints } from './audit-trail.js';

/** An upload's constraints as its audit event records them. */
export function uploadConstraints(
  config: Config,
  bucket: string,
  headers: Readonly<Record<string, string>>,
  labels: CheckedLabels,
  own: GrantConstraints,
): GrantConstraints {
  const encryption = encryptionFor(config.encryption, bucket);
  const metadataKeys = Object.keys(headers)
    .filter((name) => name.startsWith(METADATA_PREFIX))
    .map((name) => name.slice(METADATA_PREFIX.length));
  return Object.assign({}, own, {
    encryption:
      encryption === undefined
        ? undefined
        : { algorithm: encryption.algorithm, kmsKeyId: encryption.kmsKeyId, bucketKey: encryption.bucketKey },
    metadataKeys: metadataKeys.length === 0 ? undefined : metadataKeys,
    tagKeys: labels.tags.length === 0 ? undefined : labels.tags.map(([key]) => key),
  });
}

/** A signed checksum as an audit event names it: S3's algorithm name and the value. */
export function auditedChecksum(checksum: RequestChecksum | undefined): GrantConstraints['checksum'] {
  return checksum && { algorithm: CHECKSUM_API_NAMES[checksum.algorithm], value: checksum.value };
}
