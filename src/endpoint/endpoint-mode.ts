import type { Partition } from './partitions.js';

/**
 * The one route a deployment presigns for, fixed at start-up. A discriminated union so a
 * combination AWS rejects (FIPS with a custom endpoint, accelerate with path-style, …)
 * cannot be represented at all.
 */
export type EndpointMode =
  | {
      kind: 'regional';
      region: string;
      partition: Partition;
      useFips: boolean;
      useDualstack: boolean;
      forcePathStyle: boolean;
    }
  | {
      kind: 'interface';
      region: string;
      partition: Partition;
      /** The endpoint's regional DNS name: `vpce-ID.s3.REGION.vpce.amazonaws.com`. */
      vpceDnsName: string;
      forcePathStyle: boolean;
    }
  | {
      kind: 'accelerate';
      region: string;
      partition: Partition;
      useDualstack: boolean;
    }
  | {
      kind: 'custom';
      /** Only the credential scope: S3-compatible stores accept any label ("auto" for R2). */
      region: string;
      endpoint: URL;
      forcePathStyle: boolean;
    }
  | {
      kind: 'local';
      region: string;
      /** The embedded server, http://127.0.0.1:PORT; always path-style. */
      endpoint: URL;
    };

export type EndpointModeKind = EndpointMode['kind'];
export const ENDPOINT_MODE_KINDS = ['regional', 'interface', 'accelerate', 'custom', 'local'] as const;
