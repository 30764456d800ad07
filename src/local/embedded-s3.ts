import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PutBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';

import { bucketCorsRule } from './bucket-cors.js';

export interface EmbeddedS3Options {
  /**
   * 0 (the default) lets the OS pick a free port. Prefer it: s3rver does not
   * reject when a fixed port is taken, the EADDRINUSE surfaces as an uncaught
   * exception and the returned promise never settles.
   */
  port?: number;
  buckets: string[];
  /** Defaults to a fresh temporary directory that close() removes. */
  directory?: string;
  /**
   * Browser origins every bucket answers (bucketCorsRule). None by default: no web page
   * can then use the store. The service adds its own origin once it listens.
   */
  corsOrigins?: readonly string[];
}

export interface EmbeddedS3 {
  endpoint: URL;
  region: 'us-east-1';
  /** The one key pair this store accepts, drawn at start: whatever signs for it needs these. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /**
   * Replaces every bucket's CORS configuration with bucketCorsRule(origins), through S3's
   * own PutBucketCors call, signed as for any bucket.
   */
  allowCorsOrigins(origins: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

// Bound to loopback only: a development store, never reachable from another host.
const LOOPBACK_ADDRESS = '127.0.0.1';
const REGION = 'us-east-1';

/**
 * A key pair of its own for each start. s3rver's built-in pair (S3RVER/S3RVER) is public: with
 * it any page the developer opened could sign a form post into the local bucket. The patched
 * s3rver accepts exactly the pairs it is given (`accessKeys`), per server.
 */
function drawKeyPair(): { accessKeyId: string; secretAccessKey: string } {
  return {
    accessKeyId: `LOCAL${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  // Loaded on demand: s3rver is a devDependency and production deployments,
  // which never run in local mode, do not install it.
  const { default: S3rver } = await import('@20minutes/s3rver');

  const ownsDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 's3-presign-embedded-s3-')));
  const removeOwnedDirectory = async (): Promise<void> => {
    if (ownsDirectory) {
      await rm(directory, { recursive: true, force: true });
    }
  };

  const credentials = drawKeyPair();
  const server = new S3rver({
    address: LOOPBACK_ADDRESS,
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((name) => ({ name })),
    accessKeys: [credentials],
  });

  let address: AddressInfo;
  try {
    // With port 0 the real port is only known from the address run() resolves with.
    address = await server.run();
  } catch (error) {
    await removeOwnedDirectory();
    throw error;
  }

  const endpoint = new URL(`http://${LOOPBACK_ADDRESS}:${address.port}`);
  const client = new S3Client({
    endpoint: endpoint.href,
    region: REGION,
    forcePathStyle: true,
    credentials,
    // s3rver checks Content-MD5 (the patch), not the CRC32 the SDK would add by default.
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const allowCorsOrigins = async (origins: readonly string[]): Promise<void> => {
    const rule = bucketCorsRule(origins);
    for (const bucket of options.buckets) {
      await client.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [rule] } }));
    }
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    // Memoised so a cleanup hook and an explicit close() can both run: a second
    // close() on the underlying http.Server would fail with ERR_SERVER_NOT_RUNNING.
    // s3rver's own close() waits for every open connection, and a client that holds one
    // mid-request (a half-sent upload, a browser that keeps a request open) would keep it
    // from ever resolving. A development store has nothing to drain: drop them.
    closing ??= new Promise<void>((resolve, reject) => {
      server.httpServer.close((error) => (error ? reject(error) : resolve()));
      server.httpServer.closeAllConnections();
    })
      .finally(() => client.destroy())
      .finally(removeOwnedDirectory);
    return closing;
  };

  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    try {
      await allowCorsOrigins(options.corsOrigins);
    } catch (error) {
      await close();
      throw error;
    }
  }

  return { endpoint, region: REGION, credentials, allowCorsOrigins, close };
}
