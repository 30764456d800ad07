// Scheme, host, port and path: the parts of a URL the signature cannot vouch for, held to
// where the pinned mode says this bucket's URLs must go.
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import {
  BucketAddressError,
  expectedLocation,
  isLegacyGlobalHost,
  modeHosts,
  type ExpectedLocation,
} from '../endpoint/expected-location.js';
import { objectKeyProblem } from '../endpoint/object-key.js';
import { encodeObjectKey, uriEncode } from '../endpoint/s3-uri-encoding.js';
import type { Fail } from './check-failures.js';
import type { ParsedOrigin, UrlExpectation, ValidationReport } from './types.js';

export function safeLocation(mode: EndpointMode, bucket: string) {
  try {
    return expectedLocation(mode, bucket);
  } catch {
    return undefined;
  }
}

/** Scheme, host, port and path: the parts of the URL the signature cannot vouch for. */
export function checkLocation(
  url: ParsedOrigin,
  rawPath: string,
  mode: EndpointMode,
  expectation: UrlExpectation,
  report: ValidationReport,
  fail: Fail,
): void {
  const expected = checkBucketEndpoint(url, rawPath, mode, expectation, report, fail);
  if (expected === undefined) return;
  const keyPrefix = `${expected.pathPrefix}/`;
  if (!rawPath.startsWith(keyPrefix)) {
    fail('URL_PATH', `path must start with ${keyPrefix}`);
    return;
  }
  const encodedKey = rawPath.slice(keyPrefix.length);
  if (expectation.key !== undefined) {
    report.key = expectation.key;
    if (encodedKey !== encodeObjectKey(expectation.key)) {
      fail('URL_PATH', `path must be ${keyPrefix}${encodeObjectKey(expectation.key)}, got ${rawPath}`);
    }
    return;
  }
  let key: string;
  try {
    key = encodedKey.split('/').map(decodeURIComponent).join('/');
  } catch {
    fail('URL_PATH', 'the key in the path is not valid percent-encoding');
    return;
  }
  const problem = objectKeyProblem(key);
  if (problem) {
    // Not reported back: a refused key may hold anything, up to the whole URL's length.
    fail('URL_KEY', `object key ${problem}`);
    return;
  }
  report.key = key;
  if (encodeObjectKey(key) !== encodedKey) {
    fail('URL_PATH', `the key is not encoded the way S3 expects: ${keyPrefix}${encodeObjectKey(key)}`);
  }
}

/**
 * The bucket a URL (or a form's URL) addresses, held to the pinned mode: not the legacy
 * global endpoint, a bucket the mode can address, on the allowlist when one is given, with
 * the scheme and host the mode gives that bucket. The bucket's expected location when the
 * host is right (its path is then the caller's to check), else undefined.
 */
export function checkBucketEndpoint(
  url: ParsedOrigin,
  rawPath: string,
  mode: EndpointMode,
  expectation: Pick<UrlExpectation, 'bucket' | 'allowedBuckets'>,
  report: ValidationReport,
  fail: Fail,
): ExpectedLocation | undefined {
  if (isLegacyGlobalHost(url.hostname)) {
    fail('URL_GLOBAL_ENDPOINT', `host ${url.hostname} is the legacy global S3 endpoint, never a pinned route`);
    return undefined;
  }
  const bucket = expectation.bucket ?? inferBucket(url.host, rawPath, mode);
  if (bucket === undefined) {
    fail('URL_HOST', `host ${url.host} is not an S3 endpoint of the pinned ${describeMode(mode)}`);
    return undefined;
  }
  let expected;
  try {
    expected = expectedLocation(mode, bucket);
  } catch (error) {
    if (!(error instanceof BucketAddressError)) throw error;
    fail('URL_HOST', error.message);
    return undefined;
  }
  report.bucket = bucket;
  report.addressing = expected.addressing;
  report.region = expected.signingRegion;
  if (expectation.allowedBuckets !== undefined && !expectation.allowedBuckets.includes(bucket)) {
    // The URL may be well formed for its bucket: the other checks still run and say so.
    fail('URL_BUCKET_NOT_ALLOWED', `bucket "${bucket}" is not on the bucket allowlist (S3_BUCKETS)`);
  }

  if (url.protocol !== expected.protocol) {
    fail('URL_SCHEME', `scheme must be ${expected.protocol.slice(0, -1)}, got ${url.protocol.slice(0, -1)}`);
  }
  if (url.host !== expected.host) {
    // Only the mode's own host for the other style is a style mistake; any other host is the wrong route.
    // Modes with one style still have an obvious other-style spelling of their host.
    const hosts = modeHosts(mode);
    const pathStyleHost = hosts.pathStyleHost ?? hosts.bucketHostSuffix?.slice(1);
    const virtualHost = `${bucket}${hosts.bucketHostSuffix ?? `.${hosts.pathStyleHost}`}`;
    const styleMismatch =
      expected.addressing === 'virtual-hosted'
        ? url.host === pathStyleHost && rawPath.startsWith(`${hosts.basePath}/${uriEncode(bucket)}/`)
        : url.host === virtualHost;
    fail(
      styleMismatch ? 'URL_ADDRESSING_STYLE' : 'URL_HOST',
      styleMismatch
        ? `bucket "${bucket}" must be addressed ${expected.addressing} under the pinned ${describeMode(mode)} (host ${expected.host})`
        : `host must be ${expected.host}, got ${url.host}`,
    );
    return undefined;
  }
  return expected;
}

/**
 * Reads the bucket out of a URL from elsewhere: an access point's host, a path-style
 * path's first segment, or a virtual-hosted host's first label(s). expectedLocation then
 * decides whether that is how the mode must address it.
 */
function inferBucket(host: string, rawPath: string, mode: EndpointMode): string | undefined {
  const hosts = modeHosts(mode);
  if (
    (mode.kind === 'regional' || mode.kind === 'interface') &&
    hosts.accessPointHostSuffix &&
    host.endsWith(hosts.accessPointHostSuffix)
  ) {
    const label = host.slice(0, -hosts.accessPointHostSuffix.length);
    const split = label.lastIndexOf('-');
    if (split > 0) {
      return `arn:${mode.partition.name}:s3:${mode.region}:${label.slice(split + 1)}:accesspoint/${label.slice(0, split)}`;
    }
  }
  if (host === hosts.pathStyleHost) {
    if (!rawPath.startsWith(`${hosts.basePath}/`)) return undefined;
    const segment = rawPath.slice(hosts.basePath.length + 1).split('/')[0];
    return segment ? safeDecode(segment) : undefined;
  }
  if (hosts.bucketHostSuffix && host.endsWith(hosts.bucketHostSuffix) && host.length > hosts.bucketHostSuffix.length) {
    return host.slice(0, -hosts.bucketHostSuffix.length);
  }
  return undefined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function describeMode(mode: EndpointMode): string {
  switch (mode.kind) {
    case 'regional':
      return `regional mode (${mode.region}${mode.useFips ? ', FIPS' : ''}${mode.useDualstack ? ', dual-stack' : ''})`;
    case 'interface':
      return `interface mode (${mode.vpceDnsName})`;
    case 'accelerate':
      return `accelerate mode${mode.useDualstack ? ' (dual-stack)' : ''}`;
    case 'custom':
    case 'local':
      return `${mode.kind} mode (${mode.endpoint.origin})`;
  }
}
