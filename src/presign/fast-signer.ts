// The fast engine: SigV4 query-string presigning written directly with node:crypto, byte for
// byte what the SDK's getSignedUrl produces (test/unit/presign/signer-equivalence.test.ts holds it to
// that). The SDK spends 150-250 µs per URL in middleware, request cloning and promise chains
// around ~2 µs of hashing; here the endpoint is resolved once per bucket, the signing key
// once per day, and a URL costs one SHA-256, one HMAC and the string building around them.
//
// The engine in parts: sigv4-query.ts (the canonical request and the URL), signing-key.ts
// (the day's key, the HMAC, the dates), sigv4-encoding.ts (UriEncode), s3-route.ts (the
// endpoint rule set per bucket) and post-policy-signer.ts (browser form policies). This
// file shapes each S3 operation's request as getSignedUrl does.
import { GRANT_PARAMETER } from '../audit/grant-id.js';
import type { PinnedS3 } from '../endpoint/s3-client.js';
import { DELEGATE, S3RouteResolver, type RouteEntry, type S3Route } from './s3-route.js';
import { SigningKeyCache } from './signing-key.js';
import { encodeKeyPath } from './sigv4-encoding.js';
import { presignSigV4Query, UNSIGNED_PAYLOAD } from './sigv4-query.js';
import type { SigningRequest, UrlSigner } from './url-signer.js';

export { HmacSha256, SigningKeyCache, type SigningKey } from './signing-key.js';
export { encodeKeyPath, uriEncode } from './sigv4-encoding.js';
export { presignSigV4Query, type SigV4QueryRequest } from './sigv4-query.js';

// What getSignedUrl adds: the payload marker it hoists from a header, and the operation hint
// from the model's `/{Key+}?x-id=…` path.
const PAYLOAD_PARAM = Object.freeze(['X-Amz-Content-Sha256', UNSIGNED_PAYLOAD] as const);
const GET_ID_PARAM = Object.freeze(['x-id', 'GetObject'] as const);
const GET_QUERY = Object.freeze([PAYLOAD_PARAM, GET_ID_PARAM]);
const PUT_ID_PARAM = Object.freeze(['x-id', 'PutObject'] as const);
const PUT_QUERY = Object.freeze([PAYLOAD_PARAM, PUT_ID_PARAM]);
const UPLOAD_PART_ID_PARAM = Object.freeze(['x-id', 'UploadPart'] as const);

export interface FastSignerOptions {
  /** Signs whatever this engine does not model; getSignedUrl over the same pinned clients. */
  fallback: UrlSigner;
  /** Buckets whose endpoints are remembered; the least recently used is forgotten first. */
  maxCachedBuckets?: number;
}

export class FastSigner implements UrlSigner {
  readonly engine = 'fast' as const;
  readonly #fallback: UrlSigner;
  readonly #routes: S3RouteResolver;
  readonly #keys = new SigningKeyCache();

  constructor(s3: PinnedS3, options: FastSignerOptions) {
    this.#fallback = options.fallback;
    this.#routes = new S3RouteResolver(s3, options.maxCachedBuckets ?? 1000);
  }

  sign(request: SigningRequest): string | Promise<string> {
    const route = this.#routes.cached(request.bucket);
    // Only a bucket's first URL waits: resolving its endpoint reads the client's async config.
    if (route === undefined)
      return this.#routes.resolve(request.bucket).then((resolved) => this.#signOn(resolved, request));
    return this.#signOn(route, request);
  }

  #signOn(route: RouteEntry, request: SigningRequest): string | Promise<string> {
    if (route === DELEGATE) return this.#fallback.sign(request);
    return presignSigV4Query(
      {
        method: request.operation === 'get' ? 'GET' : 'PUT',
        origin: route.origin,
        host: route.host,
        path: `${route.pathPrefix}/${encodeKeyPath(request.key)}`,
        query: queryFor(request),
        headers: request.headers,
        credentials: request.credentials,
        region: route.signingRegion,
        service: route.signingService,
        signingDate: request.signingDate,
        expiresIn: request.expiresIn,
      },
      this.#keys,
    );
  }
}

/**
 * The operation's own query parameters, in sorted order (which saves the core a sort). The
 * grant's `x-s3p-grant` sorts after every other name here, so it goes last.
 */
function queryFor(request: SigningRequest): ReadonlyArray<readonly [string, string]> {
  const own = operationQuery(request);
  return request.grant === undefined ? own : [...own, [GRANT_PARAMETER, request.grant]];
}

function operationQuery(request: SigningRequest): ReadonlyArray<readonly [string, string]> {
  switch (request.operation) {
    case 'get': {
      if (request.partNumber === undefined && request.responseContentDisposition === undefined) return GET_QUERY;
      const query: Array<readonly [string, string]> = [PAYLOAD_PARAM];
      if (request.partNumber !== undefined) query.push(['partNumber', String(request.partNumber)]);
      if (request.responseContentDisposition !== undefined) {
        query.push(['response-content-disposition', request.responseContentDisposition]);
      }
      query.push(GET_ID_PARAM);
      return query;
    }
    case 'put':
      return PUT_QUERY;
    case 'upload-part': {
      const part = request.part;
      if (part === undefined) throw new TypeError('an upload-part request names its upload and part');
      return [
        PAYLOAD_PARAM,
        ['partNumber', String(part.partNumber)],
        ['uploadId', part.uploadId],
        UPLOAD_PART_ID_PARAM,
      ];
    }
  }
}

export type { S3Route };
