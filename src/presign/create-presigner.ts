// Wires the pinned client, the credentials and the validator into one Presigner: the
// service and the CLI build it the same way.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/config.js';
import { createPinnedS3, type PinnedS3 } from '../endpoint/s3-client.js';
import { encryptionFor, sseHeaders } from '../encryption/sse.js';
import { validatorPolicy, type ValidatorPolicy } from '../verify/url-validator.js';
import { credentialSource, type CredentialRefreshOptions, type CredentialSource } from './credentials.js';
import { FastSigner } from './fast-signer.js';
import { Presigner, type PresignerDependencies } from './presigner.js';
import { SdkSigner } from './sdk-signer.js';
import type { UrlSigner } from './url-signer.js';

export interface PresignerOptions {
  credentials?: CredentialSource;
  now?: () => Date;
  onRejected?: PresignerDependencies['onRejected'];
  /** Applied to each pinned S3 client as it is built (src/telemetry/tracing.ts). */
  instrumentS3?: ((client: S3Client) => void) | undefined;
}

export interface PresignerBundle {
  presigner: Presigner;
  s3: PinnedS3;
  credentials: CredentialSource;
  policy: ValidatorPolicy;
  close(): void;
}

/**
 * The SDK's default chain; in local mode only its first link, the environment: the embedded
 * store draws its key pair at each start (the service passes it in), so a CLI in another
 * process signs with the pair `npm start` printed, in AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, and never with a profile's or an instance's real credentials.
 */
export async function defaultCredentialSource(config: Config): Promise<CredentialSource> {
  if (config.mode.kind === 'local') {
    const { fromEnv } = await import('@aws-sdk/credential-providers');
    return credentialSource(fromEnv(), 'embedded-s3');
  }
  return sdkChainCredentialSource();
}

/**
 * The SDK's default chain (environment, profile, web identity (IRSA), container, instance
 * metadata), built afresh for each fetch. One long-lived chain memoises its pending call: when
 * the container endpoint accepts a connection and never answers (the SDK only warns past its
 * request timeout), every later fetch would join that call and the service would never sign
 * again, even after the endpoint recovered (test/http/faults.test.ts). A fresh chain per fetch,
 * under credentialSource's own timeout, abandons the hung call instead. Fetches are rare (once
 * per credential lifetime, or per back-off while failing).
 */
export async function sdkChainCredentialSource(options: CredentialRefreshOptions = {}): Promise<CredentialSource> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  return credentialSource(() => fromNodeProviderChain()(), 'default-chain', options);
}

export async function createPresigner(config: Config, options: PresignerOptions = {}): Promise<PresignerBundle> {
  const credentials = options.credentials ?? (await defaultCredentialSource(config));
  const s3 = createPinnedS3(config.mode, credentials.provider, options.instrumentS3);
  const policy = validatorPolicy(config, options.now);
  const sdk = new SdkSigner(s3);
  const signer: UrlSigner = config.presign.engine === 'sdk' ? sdk : new FastSigner(s3, { fallback: sdk });
  const presigner = new Presigner({
    mode: config.mode,
    s3,
    credentials,
    policy,
    signer,
    onRejected: options.onRejected,
    uploadHeaders: (bucket) => sseHeaders(encryptionFor(config.encryption, bucket)),
  });
  return { presigner, s3, credentials, policy, close: () => s3.destroy() };
}
