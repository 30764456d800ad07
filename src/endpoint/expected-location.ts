// Where a presigned URL for a bucket must point under a mode: scheme, host (with port)
// and the path before the key. Derived from the mode alone, following AWS's S3 endpoint
// rules, and never by asking the SDK: this is what the validator holds the signer to.
import { BucketNameError, isVirtualHostableBucket, parseBucket, type ParsedBucket } from './bucket-name.js';
import type { EndpointMode } from './endpoint-mode.js';
import { LruCache } from '../lru-cache.js';
import { uriEncode } from './s3-uri-encoding.js';

export type Addressing = 'virtual-hosted' | 'path-style' | 'access-point';

export interface ExpectedLocation {
  protocol: 'https:' | 'http:';
  /** Lowercase host name, with `:port` only when the port is not the scheme's default. */
  host: string;
  /** The path before `/KEY`: '' (virtual-hosted), '/BUCKET', or a custom endpoint's base path. */
  pathPrefix: string;
  addressing: Addressing;
  /** The region the credential scope must name. */
  signingRegion: string;
}

/** The bucket cannot be addressed under the pinned mode (a caller's or operator's mistake). */
export class BucketAddressError extends Error {
  override name = 'BucketAddressError';
}

const LEGACY_GLOBAL_HOST = /(^|\.)s3(-external-1)?\.amazonaws\.com$/;

export function isLegacyGlobalHost(hostname: string): boolean {
  // A fully qualified name ends in a dot and still resolves to the same host.
  return LEGACY_GLOBAL_HOST.test(withoutTrailing(hostname.toLowerCase(), '.'));
}

/**
 * `text` less the run of `character` at its end. Not /\.+$/: tried at every character of a
 * long run that something else follows, that reads the run's length squared (a /verify host of
 * 8,000 dots and a letter took 95 ms).
 */
export function withoutTrailing(text: string, character: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === character) end--;
  return end === text.length ? text : text.slice(0, end);
}

function isIpHost(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith('[');
}

// Every URL is checked against its location, so each (mode, bucket) is worked out once. A
// mode is fixed at start-up and never mutated, so the mode object itself keys the cache;
// /verify and the CLI see buckets from anyone, hence the cap.
const MAX_CACHED_BUCKETS = 1000;
const locations = new WeakMap<EndpointMode, LruCache<string, ExpectedLocation | BucketAddressError>>();
const hostsByMode = new WeakMap<EndpointMode, ModeHosts>();

/** The result is shared and frozen. */
export function expectedLocation(mode: EndpointMode, bucket: string): ExpectedLocation {
  let cache = locations.get(mode);
  if (cache === undefined) {
    cache = new LruCache(MAX_CACHED_BUCKETS);
    locations.set(mode, cache);
  }
  let entry = cache.get(bucket);
  if (entry === undefined) {
    try {
      entry = Object.freeze(computeLocation(mode, bucket));
    } catch (error) {
      if (!(error instanceof BucketAddressError)) throw error;
      entry = error;
    }
    cache.set(bucket, entry);
  }
  if (entry instanceof BucketAddressError) throw new BucketAddressError(entry.message);
  return entry;
}

function computeLocation(mode: EndpointMode, bucket: string): ExpectedLocation {
  let parsed: ParsedBucket;
  try {
    parsed = parseBucket(bucket);
  } catch (error) {
    if (error instanceof BucketNameError) throw new BucketAddressError(error.message);
    throw error;
  }
  const location = locate(mode, parsed);
  if (isLegacyGlobalHost(location.host.replace(/:\d+$/, ''))) {
    throw new BucketAddressError(`bucket "${bucket}" would resolve to the legacy global endpoint`);
  }
  return location;
}

/** The hosts a mode addresses buckets on, before any bucket is known. */
export interface ModeHosts {
  protocol: 'https:' | 'http:';
  /** Host of path-style URLs; undefined where the mode has none (accelerate). */
  pathStyleHost: string | undefined;
  /** A custom endpoint's path without its trailing slash ('' for the root). */
  basePath: string;
  /** Virtual-hosted URLs are `BUCKET` + this; undefined where buckets cannot be hosts. */
  bucketHostSuffix: string | undefined;
  /** Access-point URLs are `NAME-ACCOUNT` + this (AWS modes only). */
  accessPointHostSuffix: string | undefined;
}

/** The result is shared and frozen. */
export function modeHosts(mode: EndpointMode): ModeHosts {
  let hosts = hostsByMode.get(mode);
  if (hosts === undefined) {
    hosts = Object.freeze(computeModeHosts(mode));
    hostsByMode.set(mode, hosts);
  }
  return hosts;
}

function computeModeHosts(mode: EndpointMode): ModeHosts {
  switch (mode.kind) {
    case 'regional': {
      const variant = `${mode.useFips ? '-fips' : ''}${mode.useDualstack ? '.dualstack' : ''}`;
      const host = `s3${variant}.${mode.region}.${mode.partition.dnsSuffix}`;
      return {
        protocol: 'https:',
        pathStyleHost: host,
        basePath: '',
        bucketHostSuffix: `.${host}`,
        accessPointHostSuffix: `.s3-accesspoint${variant}.${mode.region}.${mode.partition.dnsSuffix}`,
      };
    }
    case 'interface':
      return {
        protocol: 'https:',
        pathStyleHost: `bucket.${mode.vpceDnsName}`,
        basePath: '',
        bucketHostSuffix: `.bucket.${mode.vpceDnsName}`,
        accessPointHostSuffix: `.accesspoint.${mode.vpceDnsName}`,
      };
    case 'accelerate':
      return {
        protocol: 'https:',
        pathStyleHost: undefined,
        basePath: '',
        bucketHostSuffix: `.s3-accelerate${mode.useDualstack ? '.dualstack' : ''}.${mode.partition.dnsSuffix}`,
        accessPointHostSuffix: undefined,
      };
    case 'custom':
    case 'local': {
      const { endpoint } = mode;
      const hostable = mode.kind === 'custom' && !isIpHost(endpoint.hostname);
      return {
        protocol: endpoint.protocol === 'http:' ? 'http:' : 'https:',
        pathStyleHost: endpoint.host,
        basePath: withoutTrailing(endpoint.pathname, '/'),
        bucketHostSuffix: hostable ? `.${endpoint.host}` : undefined,
        accessPointHostSuffix: hostable ? `.${endpoint.host}` : undefined,
      };
    }
  }
}

function locate(mode: EndpointMode, bucket: ParsedBucket): ExpectedLocation {
  const hosts = modeHosts(mode);
  if (bucket.kind === 'access-point') return locateAccessPoint(mode, hosts, bucket);
  const name = bucket.name;
  const pathStyleOnly = mode.kind === 'local' || (mode.kind !== 'accelerate' && mode.forcePathStyle);
  // Over http a dotted bucket makes no certificate mismatch, so AWS's rules allow it as a host.
  const virtual =
    !pathStyleOnly && hosts.bucketHostSuffix !== undefined && isVirtualHostableBucket(name, hosts.protocol === 'http:');
  if (virtual) {
    return {
      protocol: hosts.protocol,
      host: `${name}${hosts.bucketHostSuffix}`,
      pathPrefix: hosts.basePath,
      addressing: 'virtual-hosted',
      signingRegion: mode.region,
    };
  }
  if (hosts.pathStyleHost === undefined) {
    throw new BucketAddressError(
      `bucket "${name}" cannot be used with S3 Transfer Acceleration: it needs a DNS-compatible name without dots`,
    );
  }
  return {
    protocol: hosts.protocol,
    host: hosts.pathStyleHost,
    pathPrefix: `${hosts.basePath}/${uriEncode(name)}`,
    addressing: 'path-style',
    signingRegion: mode.region,
  };
}

function locateAccessPoint(
  mode: EndpointMode,
  hosts: ModeHosts,
  bucket: Extract<ParsedBucket, { kind: 'access-point' }>,
): ExpectedLocation {
  const { arn, text } = bucket;
  if (mode.kind === 'local') throw new BucketAddressError('access-point ARNs are not supported by the local S3 server');
  if (mode.kind === 'accelerate') throw new BucketAddressError('access points do not support S3 Transfer Acceleration');
  if (mode.forcePathStyle) throw new BucketAddressError('path-style addressing cannot be used with access-point ARNs');
  if (mode.kind !== 'custom' && arn.partition !== mode.partition.name) {
    throw new BucketAddressError(
      `access point "${text}" is in partition ${arn.partition}, the service is pinned to ${mode.partition.name}`,
    );
  }
  if (arn.region !== mode.region) {
    throw new BucketAddressError(
      `access point "${text}" is in region ${arn.region}, the service is pinned to ${mode.region}`,
    );
  }
  if (hosts.accessPointHostSuffix === undefined) {
    throw new BucketAddressError('access-point ARNs need a custom endpoint with a host name, not an IP address');
  }
  return {
    protocol: hosts.protocol,
    host: `${arn.accessPointName}-${arn.accountId}${hosts.accessPointHostSuffix}`,
    pathPrefix: hosts.basePath,
    addressing: 'access-point',
    signingRegion: arn.region,
  };
}
