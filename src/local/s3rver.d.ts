// @20minutes/s3rver ships no type declarations. Only the surface used by
// embedded-s3.ts is declared, so a misuse of anything else stays a type error.
declare module '@20minutes/s3rver' {
  import type { Server } from 'node:http';
  import type { AddressInfo } from 'node:net';

  interface S3rverBucketConfig {
    name: string;
    /** CORSConfiguration or WebsiteConfiguration XML documents. */
    configs?: ReadonlyArray<string | Buffer>;
  }

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    configureBuckets?: ReadonlyArray<S3rverBucketConfig>;
    /**
     * Our patch: the only key pairs this server accepts (s3rver's built-in S3RVER/S3RVER and
     * other servers' keys are then refused). Unset, the built-in pair.
     */
    accessKeys?: ReadonlyArray<{ accessKeyId: string; secretAccessKey: string }>;
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    /** Resolves with the bound address, so port 0 can be read back. */
    run(): Promise<AddressInfo>;
    /** Set by run(). */
    readonly httpServer: Server;
  }

  export = S3rver;
}
