// What the Presigner asks of a signing engine. The Presigner owns every decision (key and
// bucket checks, expiry clamping, which headers bind, validation); an engine only turns
// one decided request into a SigV4 query-string URL for the pinned route.
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { Config } from '../config/config.js';

/** `sdk`: the AWS SDK's getSignedUrl, the reference. `fast`: the same bytes from node:crypto. */
export type PresignEngine = Config['presign']['engine'];

/** One part of a multipart upload: S3's upload ID and the part's number (1..10,000). */
export interface UploadPartTarget {
  uploadId: string;
  partNumber: number;
}

export interface SigningRequest {
  operation: 'get' | 'put' | 'upload-part';
  bucket: string;
  key: string;
  /** Already clamped to the credentials' remaining life. */
  expiresIn: number;
  signingDate: Date;
  /** Exactly the headers the client will send, by lowercase name; each is signed, and so is host. */
  headers: Readonly<Record<string, string>>;
  /** GET only: signed into the query as `response-content-disposition`. */
  responseContentDisposition?: string | undefined;
  /** GET only: the part of a multipart object, signed into the query as `partNumber`. */
  partNumber?: number | undefined;
  /** upload-part only: signed into the query as `uploadId` and `partNumber`. */
  part?: UploadPartTarget | undefined;
  /**
   * The grant the URL belongs to, signed into the query as `x-s3p-grant`: S3 ignores it and
   * writes it into its server access log (src/audit/grant-id.ts).
   */
  grant?: string | undefined;
  /** The identity the Presigner fetched and clamped against: an engine signs with these and no other. */
  credentials: AwsCredentialIdentity;
}

export interface UrlSigner {
  readonly engine: PresignEngine;
  /** A string when it could sign at once: a promise costs a turn of the event loop per URL. */
  sign(request: SigningRequest): string | Promise<string>;
}
