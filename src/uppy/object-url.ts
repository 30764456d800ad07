// The address of a stored object on the pinned route, without a signature: what Companion
// and S3 answer as an upload's `location`. Built from the same location rules as the
// validator, so it names the pinned host and never the public one.
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import { expectedLocation } from '../endpoint/expected-location.js';
import { encodeObjectKey } from '../endpoint/s3-uri-encoding.js';

export function objectUrl(mode: EndpointMode, bucket: string, key: string): string {
  const location = expectedLocation(mode, bucket);
  return `${location.protocol}//${location.host}${location.pathPrefix}/${encodeObjectKey(key)}`;
}
