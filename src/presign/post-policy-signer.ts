// Browser form uploads (S3 "POST Object" with a policy): the policy document, its base64 and
// one HMAC of that base64 under the day's signing key. Byte for byte what
// @aws-sdk/s3-presigned-post's createPresignedPost returns for the same fields and conditions
// (test/unit/presign/post-policy-signer.test.ts holds it to that), without its per-call endpoint
// resolution and promise chain.
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { PinnedS3 } from '../endpoint/s3-client.js';
import { DELEGATE, S3RouteResolver, type RouteEntry, type S3Route } from './s3-route.js';
import { amzDates, sharedSigningKeys, SigningKeyCache } from './signing-key.js';
import { ALGORITHM } from './sigv4-query.js';
import { jsonString } from '../json-string.js';

export interface PostPolicyRequest {
  bucket: string;
  /** The exact key: the policy holds `{"key": …}`, never `starts-with`. */
  key: string;
  /** The Content-Type the form must send, held as an exact condition. */
  contentType: string;
  /** The body's size must fall in [min, max] (`content-length-range`). */
  contentLengthRange: readonly [min: number, max: number];
  /** The status S3 answers a successful POST with; the form must send it. */
  successActionStatus: '200' | '201' | '204';
  /**
   * Further fields the service decides (encryption now; tagging, x-amz-meta-* later), each
   * sent as given and held by an exact condition, after Content-Type and success_action_status.
   */
  fields?: Readonly<Record<string, string>> | undefined;
  expiresIn: number;
  signingDate: Date;
  credentials: AwsCredentialIdentity;
}

export interface SignedPostPolicy {
  url: string;
  /** Every form field to send before the file, in order; `file` goes last. */
  fields: Record<string, string>;
  /** The decoded policy document, for the validator. */
  policyDocument: string;
}

const OWN_FIELDS = new Set([
  'content-type',
  'success_action_status',
  'bucket',
  'key',
  'policy',
  'file',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-signature',
]);

/** Where the form posts to: the bucket's endpoint, its path without the key. */
export function postUrl(route: S3Route): string {
  return `${route.origin}${route.pathPrefix === '' ? '/' : route.pathPrefix}`;
}

export function signPostPolicy(
  route: S3Route,
  request: PostPolicyRequest,
  keys: SigningKeyCache = sharedSigningKeys,
): SignedPostPolicy {
  const { credentials } = request;
  if (typeof credentials.accessKeyId !== 'string' || typeof credentials.secretAccessKey !== 'string') {
    throw new TypeError('Resolved credential object is not valid');
  }
  const [min, max] = request.contentLengthRange;
  if (!(Number.isSafeInteger(min) && Number.isSafeInteger(max) && min >= 0 && min <= max)) {
    throw new RangeError('content-length-range must be two integers, 0 <= min <= max');
  }
  if (!(Number.isInteger(request.expiresIn) && request.expiresIn >= 1)) {
    throw new RangeError('a POST policy expires at least a second after it is signed');
  }
  const extra = request.fields ?? {};
  for (const name of Object.keys(extra)) {
    // S3 reads field names in any case: another spelling of a signer's own field is the same field.
    if (OWN_FIELDS.has(name.toLowerCase())) throw new TypeError(`form field ${name} is the signer's own`);
  }
  const { longDate, shortDate } = amzDates(request.signingDate);
  const region = route.signingRegion;
  const credential = `${credentials.accessKeyId}/${shortDate}/${region}/s3/aws4_request`;
  // createPresignedPost's order: its Fields, then bucket and the signing fields; the
  // conditions are its Conditions, then one exact match per field, then the key.
  const fields: Record<string, string> = {
    'Content-Type': request.contentType,
    success_action_status: request.successActionStatus,
    ...extra,
    bucket: request.bucket,
    'X-Amz-Algorithm': ALGORITHM,
    'X-Amz-Credential': credential,
    'X-Amz-Date': longDate,
  };
  if (credentials.sessionToken) fields['X-Amz-Security-Token'] = credentials.sessionToken;
  const expiration = expirationText(Math.floor(request.signingDate.getTime() / 1000) + request.expiresIn);
  // JSON.stringify({expiration, conditions}) written out: one object per condition, each of
  // its own shape, then a generic walk over them cost two thirds of this function. Every
  // string is written as JSON.stringify writes it, so the text is the same byte for byte.
  let policyDocument = `{"expiration":"${expiration}","conditions":[["content-length-range",${min},${max}]`;
  for (const name of Object.keys(fields))
    policyDocument += `,{${jsonString(name)}:${jsonString(fields[name] as string)}}`;
  policyDocument += `,{"key":${jsonString(request.key)}}]}`;
  const policy = Buffer.from(policyDocument, 'utf8').toString('base64');
  const signingKey = keys.get(credentials.secretAccessKey, shortDate, region, 's3');
  // The form's own fields go after those the policy lists, in createPresignedPost's order.
  fields.key = request.key;
  fields.Policy = policy;
  fields['X-Amz-Signature'] = signingKey.hmac.hex(policy);
  return { url: postUrl(route), fields, policyDocument };
}

/** The last expiration written: policies signed in the same second with the same expiry share it. */
let lastExpiration: { second: number; text: string } | undefined;

/** A policy's expiration as createPresignedPost writes it: ISO 8601 to the second, in UTC. */
function expirationText(epochSecond: number): string {
  if (lastExpiration?.second !== epochSecond) {
    lastExpiration = {
      second: epochSecond,
      text: new Date(epochSecond * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }
  return lastExpiration.text;
}

/** Signs POST policies for the pinned route of each bucket. */
export class PostPolicySigner {
  readonly #routes: S3RouteResolver;
  readonly #keys = new SigningKeyCache();

  constructor(s3: PinnedS3, maxCachedBuckets = 1000) {
    this.#routes = new S3RouteResolver(s3, maxCachedBuckets);
  }

  sign(request: PostPolicyRequest): SignedPostPolicy | Promise<SignedPostPolicy> {
    const route = this.#routes.cached(request.bucket);
    if (route === undefined)
      return this.#routes.resolve(request.bucket).then((resolved) => this.#signOn(resolved, request));
    return this.#signOn(route, request);
  }

  #signOn(route: RouteEntry, request: PostPolicyRequest): SignedPostPolicy {
    // S3 Express and the other routes the fast engine leaves to the SDK take no POST policy
    // this service could prove: refused rather than guessed.
    if (route === DELEGATE) throw new Error(`bucket ${request.bucket} has no endpoint a POST policy can be signed for`);
    return signPostPolicy(route, request, this.#keys);
  }
}
