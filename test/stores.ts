// The stores the flows in test/flows/ run against: the embedded store (local mode, a fresh
// s3rver per test) and Ceph RGW (custom mode, path style, http, a fresh bucket per test on
// the tier's one cluster). A flow asks its store for an app and reads back with its client.
import type { TestContext } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AppDependencies } from '../src/app.js';
import type { Config } from '../src/config/config.js';
import type { StoreGuarantee } from '../src/health/store-probe.js';
import { startEmbeddedS3 } from '../src/local/embedded-s3.js';
import { staticCredentialSource } from '../src/presign/credentials.js';
import { buildTestApp, configFrom, embeddedS3Client, type LocalApp } from './helpers.js';
import type { RgwCluster } from './rgw.js';

/** One bucket on a running store, and how the service and the CLI reach it. */
export interface StoreTarget {
  bucket: string;
  /** The service's configuration for this store (mode, endpoint, bucket). */
  env: Record<string, string>;
  /** The keys the store knows; the CLI takes them as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The store's owner, to read back what a flow stored. */
  client: S3Client;
}

export interface TestStore {
  kind: 'embedded' | 'rgw';
  /**
   * What this store enforces, as docs/custom-stores.md says and `doctor --probe-store` must
   * find: the flows hold the probe to it.
   */
  guarantees: Readonly<Record<StoreGuarantee, boolean>>;
  /** A fresh bucket for one test; whatever it started is closed after the test. */
  target(t: TestContext): Promise<StoreTarget>;
}

export type StoreApp = Omit<LocalApp, 's3'> & { target: StoreTarget; client: S3Client };

const SIGNED_AND_POLICY: Pick<
  Record<StoreGuarantee, boolean>,
  'signed-content-type' | 'signed-content-length' | 'post-content-length-range' | 'post-field' | 'expiry'
> = {
  'signed-content-type': true,
  'signed-content-length': true,
  'post-content-length-range': true,
  'post-field': true,
  expiry: true,
};

export const embeddedStore: TestStore = {
  kind: 'embedded',
  guarantees: {
    ...SIGNED_AND_POLICY,
    'checksum-crc32': true,
    'checksum-crc32c': true,
    'checksum-crc64nvme': true,
    'checksum-sha1': true,
    'checksum-sha256': true,
    'checksum-md5': true,
    'checksum-sha512': true,
    'checksum-xxhash64': true,
    'checksum-xxhash3': true,
    'checksum-xxhash128': true,
    'content-md5': true,
    'sigv4-region': false,
  },
  async target(t) {
    const bucket = 'local-uploads';
    const s3 = await startEmbeddedS3({ buckets: [bucket] });
    t.after(() => s3.close());
    const client = embeddedS3Client(s3);
    t.after(() => client.destroy());
    return {
      bucket,
      env: { S3_ENDPOINT_MODE: 'local', LOCAL_S3_PORT: s3.endpoint.port, S3_BUCKETS: bucket },
      credentials: s3.credentials,
      client,
    };
  },
};

/** RGW in custom mode; `cluster` is read when a test runs (the tier boots it in before()). */
export function rgwStore(cluster: () => RgwCluster | undefined): TestStore {
  return {
    kind: 'rgw',
    // Ceph RGW 16.2: flexible checksums are signed but never compared with the bytes.
    guarantees: {
      ...SIGNED_AND_POLICY,
      'checksum-crc32': false,
      'checksum-crc32c': false,
      'checksum-crc64nvme': false,
      'checksum-sha1': false,
      'checksum-sha256': false,
      'checksum-md5': false,
      'checksum-sha512': false,
      'checksum-xxhash64': false,
      'checksum-xxhash3': false,
      'checksum-xxhash128': false,
      'content-md5': true,
      'sigv4-region': false,
    },
    async target(t) {
      const running = cluster();
      if (!running) throw new Error('the RGW cluster is not running');
      const bucket = await running.createBucket();
      const client = running.client();
      t.after(() => client.destroy());
      const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...env } = running.serviceEnv(bucket);
      return { bucket, env, credentials: running.credentials, client };
    },
  };
}

/**
 * The app against a fresh bucket of the store (or `options.target`, for a second app over the
 * same one), as startLocalApp builds it for the embedded store.
 */
export async function startStoreApp(
  t: TestContext,
  store: TestStore,
  env: Record<string, string> = {},
  deps: Partial<AppDependencies> = {},
  options: { clients?: unknown; target?: StoreTarget } = {},
): Promise<StoreApp> {
  const target = options.target ?? (await store.target(t));
  const config: Config = configFrom({ LOG_LEVEL: 'info', ...target.env, ...env }, { requireCallers: false });
  const built = await buildTestApp(t, config, staticCredentialSource(target.credentials, store.kind), deps, options);
  return { ...built, config, target, client: target.client };
}
