import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  /** Gives every bucket a CORS rule so a browser on loopback can use presigned URLs. */
  cors?: boolean;
}

export interface EmbeddedS3 {
  endpoint: URL;
  region: 'us-east-1';
  credentials: { accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

// Bound to loopback only: the server accepts its well-known default keys, so it
// must never be reachable from another host.
const LOOPBACK_ADDRESS = '127.0.0.1';

// s3rver has a single built-in account and rejects any other access key.
const S3RVER_ACCESS_KEY_ID = 'S3RVER';
const S3RVER_SECRET_ACCESS_KEY = 'S3RVER';

// Origin "*" is acceptable because the server only listens on loopback.
// ETag is exposed so browser multipart or conditional-request code can read it.
const LOOPBACK_CORS_CONFIGURATION = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
  </CORSRule>
</CORSConfiguration>`;

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

  const server = new S3rver({
    address: LOOPBACK_ADDRESS,
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((name) => ({
      name,
      configs: options.cors === true ? [LOOPBACK_CORS_CONFIGURATION] : [],
    })),
  });

  let address: AddressInfo;
  try {
    // With port 0 the real port is only known from the address run() resolves with.
    address = await server.run();
  } catch (error) {
    await removeOwnedDirectory();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    endpoint: new URL(`http://${LOOPBACK_ADDRESS}:${address.port}`),
    region: 'us-east-1',
    credentials: {
      accessKeyId: S3RVER_ACCESS_KEY_ID,
      secretAccessKey: S3RVER_SECRET_ACCESS_KEY,
    },
    close() {
      // Memoised so a cleanup hook and an explicit close() can both run: a second
      // close() on the underlying http.Server would fail with ERR_SERVER_NOT_RUNNING.
      closing ??= server.close().finally(removeOwnedDirectory);
      return closing;
    },
  };
}
