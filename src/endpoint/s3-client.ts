// The pinned S3 clients: built once from the mode, never reconfigured, never mutated.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { parseBucket } from './bucket-name.js';
import type { EndpointMode } from './endpoint-mode.js';

export interface PinnedS3 {
  /** The client that addresses this bucket (interface mode routes access points apart). */
  clientFor(bucket: string): S3Client;
  destroy(): void;
}

export function createPinnedS3(
  mode: EndpointMode,
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  /** Applied to each client once, as it is built (traces: a span per command sent). */
  instrument?: (client: S3Client) => void,
): PinnedS3 {
  const common: S3ClientConfig = {
    region: mode.region,
    credentials,
    // Presigned PUTs must not grow checksum parameters the caller never asked for: MinIO,
    // R2 and others reject them, and S3 would check a checksum of an empty body.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // ARNs from another region would leave the pinned route; the validator refuses them too.
    useArnRegion: false,
    disableMultiregionAccessPoints: true,
    // Otherwise AWS_ENDPOINT_URL(_S3) or a profile's endpoint_url silently re-routes the
    // regional and accelerate clients, which take no endpoint of their own.
    ignoreConfiguredEndpointUrls: true,
  };
  const buckets = new S3Client({ ...common, ...bucketRoute(mode) });
  // An interface endpoint serves access points on its own name, `accesspoint.vpce-…`.
  const accessPoints =
    mode.kind === 'interface'
      ? new S3Client({ ...common, endpoint: `https://accesspoint.${mode.vpceDnsName}` })
      : buckets;
  instrument?.(buckets);
  if (accessPoints !== buckets) instrument?.(accessPoints);
  return {
    clientFor: (bucket) => (parseBucket(bucket).kind === 'access-point' ? accessPoints : buckets),
    destroy() {
      buckets.destroy();
      if (accessPoints !== buckets) accessPoints.destroy();
    },
  };
}

function bucketRoute(mode: EndpointMode): S3ClientConfig {
  switch (mode.kind) {
    case 'regional':
      return {
        useFipsEndpoint: mode.useFips,
        useDualstackEndpoint: mode.useDualstack,
        forcePathStyle: mode.forcePathStyle,
      };
    case 'interface':
      return { endpoint: `https://bucket.${mode.vpceDnsName}`, forcePathStyle: mode.forcePathStyle };
    case 'accelerate':
      return { useAccelerateEndpoint: true, useDualstackEndpoint: mode.useDualstack };
    case 'custom':
      return { endpoint: mode.endpoint.href, forcePathStyle: mode.forcePathStyle };
    case 'local':
      return { endpoint: mode.endpoint.href, forcePathStyle: true };
  }
}
