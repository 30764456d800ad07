// The reference engine: the AWS SDK's getSignedUrl through the pinned client.
import { GetObjectCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { withGrant } from '../audit/grant-query.js';
import type { PinnedS3 } from '../endpoint/s3-client.js';
import { sdkInputMembers, unhoistableHeaders } from './object-headers.js';
import type { SigningRequest, UrlSigner } from './url-signer.js';

export class SdkSigner implements UrlSigner {
  readonly engine = 'sdk' as const;
  readonly #s3: PinnedS3;
  /** One overlay per client and credentials object: copying the client's config costs ~15 µs. */
  readonly #overlays = new WeakMap<S3Client, WeakMap<AwsCredentialIdentity, S3Client>>();

  constructor(s3: PinnedS3) {
    this.#s3 = s3;
  }

  async sign(request: SigningRequest): Promise<string> {
    const { headers } = request;
    if (request.operation === 'get' && Object.keys(headers).some((name) => name !== 'x-amz-checksum-mode')) {
      throw new Error('the sdk engine binds no header but x-amz-checksum-mode to a get');
    }
    const client = this.#signingClient(request);
    const options = {
      expiresIn: request.expiresIn,
      signingDate: request.signingDate,
      // Signed headers are what make S3 refuse other content: the presigner leaves
      // content-type and content-length unsigned unless told.
      signableHeaders: new Set(Object.keys(headers)),
      unhoistableHeaders: unhoistableHeaders(headers),
    };
    if (request.operation === 'get') {
      const command = new GetObjectCommand({
        Bucket: request.bucket,
        Key: request.key,
        ResponseContentDisposition: request.responseContentDisposition,
        PartNumber: request.partNumber,
        ChecksumMode: headers['x-amz-checksum-mode'] === 'ENABLED' ? 'ENABLED' : undefined,
      });
      return getSignedUrl(client, withGrant(command, request.grant), options);
    }
    if (request.operation === 'put') {
      const command = new PutObjectCommand({
        ...sdkInputMembers('put-object', headers),
        Bucket: request.bucket,
        Key: request.key,
      });
      return getSignedUrl(client, withGrant(command, request.grant), options);
    }
    if (request.part === undefined) throw new TypeError('an upload-part request names its upload and part');
    const command = new UploadPartCommand({
      ...sdkInputMembers('upload-part', headers),
      Bucket: request.bucket,
      Key: request.key,
      UploadId: request.part.uploadId,
      PartNumber: request.part.partNumber,
    });
    return getSignedUrl(client, withGrant(command, request.grant), options);
  }

  /**
   * The pinned client seen through an overlay that carries the Presigner's credentials.
   * Left to itself, getSignedUrl signs with whatever the client's own identity cache holds at
   * that instant, which refreshes on the SDK's schedule (5 minutes before expiry), not the
   * Presigner's: the access key, token and expiry the validator checks could then differ from
   * the ones that signed. getSignedUrl reads only `config` and `middlewareStack`, and the
   * client itself is left untouched.
   */
  #signingClient(request: SigningRequest): S3Client {
    const client = this.#s3.clientFor(request.bucket);
    const identity = request.credentials;
    let byIdentity = this.#overlays.get(client);
    if (byIdentity === undefined) {
      byIdentity = new WeakMap();
      this.#overlays.set(client, byIdentity);
    }
    let overlay = byIdentity.get(identity);
    if (overlay === undefined) {
      // A snapshot of the config is enough: presigning reads nothing the client changes later
      // (the signing date is always given, so its clock-skew offset plays no part).
      overlay = {
        config: { ...client.config, credentials: async () => identity },
        middlewareStack: client.middlewareStack,
      } as unknown as S3Client;
      byIdentity.set(identity, overlay);
    }
    return overlay;
  }
}
