// The health checks of one deployment: the default bucket's endpoint, probed with the
// pinned client and the signing credentials. /healthz and `s3-presign doctor` share it.
import type { Config } from '../config/config.js';
import { expectedLocation } from '../endpoint/expected-location.js';
import type { PresignerBundle } from '../presign/create-presigner.js';
import { probeS3, runHealthChecks, type HealthReport } from './endpoint-checks.js';

export function serviceHealthCheck(config: Config, signing: PresignerBundle): () => Promise<HealthReport> {
  const bucket = config.buckets[0] as string;
  const location = expectedLocation(config.mode, bucket);
  const client = signing.s3.clientFor(bucket);
  return () =>
    runHealthChecks(
      {
        endpoint: new URL(`${location.protocol}//${location.host}`),
        // PrivateLink names must resolve to the endpoint's private addresses, or traffic
        // is about to leave the VPC.
        expectPrivateAddresses: config.mode.kind === 'interface',
        probeS3: (abortSignal) => probeS3(client, bucket, { probeKey: config.health.probeKey, abortSignal }),
        credentials: async () => {
          const credentials = await signing.credentials.get();
          return { source: credentials.source, expiration: credentials.expiration };
        },
      },
      {
        timeoutMs: config.health.timeoutMs,
        maxClockSkewMs: config.presign.maxClockSkewSeconds * 1000,
        now: signing.policy.now,
      },
    );
}
