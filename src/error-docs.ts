// What each error code means and what to do about it, beside the table in errors.ts. The type
// makes it complete: a code added to errors.ts without its entry here fails `tsc` ("Property
// 'NEW_CODE' is missing"), and an entry for a code that is gone fails it too. docs/errors.md is
// written from this table by `npm run docs:errors` (scripts/error-docs.ts);
// test/unit/error-docs.test.ts fails when the page drifts or an entry is empty.
import type { ErrorCode } from './errors.js';

export interface ErrorDoc {
  /** What happened, as the code that raises it decides: when, and on which routes. */
  meaning: string;
  /** What the caller (or, where it is theirs to fix, the operator) should do. */
  action: string;
}

export const ERROR_DOCS: Readonly<Record<ErrorCode, ErrorDoc>> = {
  VALIDATION_FAILED: {
    meaning:
      'The request does not match the route\'s schema: a missing or unknown field, a wrong type, a value out of range, or fields that do not go together (`contentType`, `contentLength` or `checksumSha256` on a `get`; `responseContentDisposition` on a `put`; `checksumSha256` with `"method": "post"`). Also a body that is not valid JSON or is empty under `content-type: application/json`, a multipart completion listing no parts or more than 10,000, an Uppy part request without its `uploadId` or `partNumber`, a completion body that is not S3\'s `CompleteMultipartUpload` XML, and a path parameter over 2,100 characters or with a broken `%`-escape. `field` names the first field at fault; the message lists every problem, separated by `;`.',
    action:
      "Fix each field the message names and send the request again; the OpenAPI document gives every route's schema.",
  },
  INVALID_KEY: {
    meaning:
      'The object key breaks the key rules the service signs under: it is empty, holds a lone surrogate, is over 1,024 bytes of UTF-8, holds a control character, starts with `/`, or has a `.` or `..` path segment. On `POST /downloads`, a key that ends in `/` names a folder, not an object.',
    action: 'Choose a key that follows these rules (the message says which one it broke).',
  },
  INVALID_BUCKET: {
    meaning:
      'The bucket cannot be addressed under the pinned endpoint mode: not a valid bucket name or S3 access-point ARN, an access point of another region or partition, a dotted name under S3 Transfer Acceleration, or an access point in local, accelerate or path-style mode. The service checks every bucket in `S3_BUCKETS` this way at start-up and refuses any other bucket with `BUCKET_NOT_ALLOWED` first, so a running service does not answer with it.',
    action:
      'If you see it, the allowlist and the mode disagree in a way start-up did not catch: report it with the bucket and the mode.',
  },
  INVALID_EXPIRES: {
    meaning:
      "`expiresIn` is above the service's maximum (`PRESIGN_MAX_EXPIRES`; 3,600 s by default) or is not a whole number of seconds from 1.",
    action:
      'Ask for at most the maximum the message states, or leave `expiresIn` out to get the default (`PRESIGN_DEFAULT_EXPIRES`, capped by your policy).',
  },
  CONTENT_TYPE_REQUIRED: {
    meaning:
      'An upload (`put`) without `contentType`, from a caller whose policy limits content types: without a signed type S3 would store any.',
    action: 'Send `contentType` with one of the types your policy allows; the URL then signs it.',
  },
  CONTENT_LENGTH_REQUIRED: {
    meaning:
      "An upload (`put`) without `contentLength`, from a caller whose policy limits the size (`maxContentLength`): without a signed length S3 would take any size. A multipart upload must always declare its size, whoever the caller: Companion's `POST /s3/multipart` in `metadata.size`, Uppy 6's create request in `size` (each part URL then signs its part's length).",
    action:
      'Send the exact `contentLength` of the object (Uppy 5: `setFileMeta(file.id, { size: file.size })`; Uppy 6: add `size` in `signRequest`, see docs/upload-clients.md); the URL then signs it and S3 refuses any other size.',
  },
  CHECKSUM_NOT_VERIFIED: {
    meaning:
      "The request asks to sign a checksum (`checksumSha256` and the like, or a multipart `checksumAlgorithm`) with an algorithm this deployment's store does not verify (`S3_STORE_CHECKSUMS`: all algorithms on AWS and the embedded store, none on a custom store until `doctor --probe-store` has shown which it checks). Signed, such a value would look like a guarantee while the store kept other bytes. `field` names the checksum field.",
    action:
      'Send the upload without that checksum field, or with an algorithm the store verifies. Operators: run `s3-presign doctor --probe-store` against the store and set `S3_STORE_CHECKSUMS` to what it reports.',
  },
  CHECKSUM_TYPE_NOT_ALLOWED: {
    meaning:
      '`POST /multipart` names a `checksumType` S3 refuses for its `checksumAlgorithm` (CRC64NVME is FULL_OBJECT only, SHA1 and SHA256 COMPOSITE only, CRC32 and CRC32C either), or a `checksumType` without an algorithm. `field` names the field.',
    action:
      'Pick a pair S3 allows (see docs/encryption-and-integrity.md), or leave `checksumType` out: it defaults to FULL_OBJECT for CRC64NVME and COMPOSITE for the others, as at S3.',
  },
  CHECKSUM_MISSING: {
    meaning:
      "The multipart upload was created with a `checksumAlgorithm`, and a call lacks a value it needs: `POST /multipart/parts` asked for a part URL without that part's value in `checksums`, or `POST /multipart/complete` could find a composite upload's part value neither in the request nor in S3's part list. `field` names where it was missing.",
    action:
      "Compute the part's checksum with the upload's algorithm (base64 of the digest) and send it as `checksums: [{partNumber, value}]`; S3 then refuses the part's PUT if its bytes differ.",
  },
  CHECKSUM_MISMATCH: {
    meaning:
      "S3 refused the bytes against a checksum (`BadDigest`): at completion, the full-object `checksum` sent is not the value of the parts joined, or a part's value differs from the one S3 stored. Nothing was completed; the upload and its parts remain until completed right or aborted.",
    action:
      'Compute the value again over the whole file (FULL_OBJECT) or send the values the parts were uploaded with; if the file changed while it was uploaded, abort and start over.',
  },
  MALFORMED_REQUEST: {
    meaning:
      "Node's HTTP parser could not read the request as HTTP/1.1 (bad request line, header syntax, chunked encoding or method), before any route ran. The answer is written to the socket, which is then closed.",
    action: 'Fix the client or proxy that sends it; a plain HTTP/1.1 client never gets this.',
  },
  METADATA_NOT_ALLOWED: {
    meaning:
      "A `metadata` key (or an Uppy meta field) that the caller's policy does not list in `metadataKeys` (nor, for Uppy meta, in `tagKeys`), or `metadata` on a `get`. `field` names the key, as `metadata.<key>`. Uppy's own fields (`name`, `type`, `relativePath`) are dropped rather than refused.",
    action:
      'Send only the keys your policy allows (the message lists them), or ask the operator to add the key to `metadataKeys` in the clients file. With Uppy, narrow `allowedMetaFields`.',
  },
  METADATA_INVALID: {
    meaning:
      "The object's user metadata breaks S3's rules: a value with a control character, a key given twice in two spellings (names are not case-sensitive), or more than 2 KB of names and values in all, the service's provenance (`uploaded-by`, `grant`) included.",
    action: 'Shorten or drop the metadata the message names and send the request again.',
  },
  TAG_NOT_ALLOWED: {
    meaning:
      "A `tags` key the caller's policy does not list in `tagKeys` (tag keys are case-sensitive), or `tags` on a `get`. `field` names it, as `tags.<key>`.",
    action:
      'Send only the tags your policy allows, or ask the operator to add the key to `tagKeys` in the clients file.',
  },
  TAGS_INVALID: {
    meaning:
      "The tags break S3's rules: more than 10, or a value over 256 characters or with a character other than letters, digits, spaces and `+ - = . _ : / @`.",
    action: 'Send at most 10 tags with values S3 accepts.',
  },
  AUTH_REQUIRED: {
    meaning:
      'The route needs a caller and the request has no `Authorization` header. The answer carries `WWW-Authenticate: Bearer realm="s3-presign"`.',
    action: 'Send `Authorization: Bearer <API key or JWT>` (see Callers).',
  },
  AUTH_INVALID: {
    meaning:
      'The `Authorization` header is not `Bearer <token>`, or the token is neither a known API key nor a JWT that verifies: malformed, from an unknown issuer, signed by a key not in the issuer\'s key set or with an algorithm not accepted, a claim (`aud`, `iss`, `nbf`…) refused, or a `sub` that is not a string or cannot be used in a key prefix. The message says which. The answer carries `WWW-Authenticate: Bearer …, error="invalid_token"`.',
    action:
      'Send a valid API key, or a JWT from a configured issuer with the configured audience and a plain `sub`. The operator adds issuers and keys in the callers file (`AUTH_CLIENTS_FILE`).',
  },
  AUTH_EXPIRED: {
    meaning: "The JWT's `exp` has passed (beyond a small clock tolerance).",
    action: 'Get a fresh token from your identity provider and send the request again.',
  },
  OPERATION_NOT_ALLOWED: {
    meaning:
      "The caller's policy does not allow this operation (`get` or `put`; multipart and form uploads need `put`). Uppy's whole-object PUT through `/s3/params` and its GET are not offered at all.",
    action: "Ask only for operations in your policy's `operations`; the operator changes that in the callers file.",
  },
  BUCKET_NOT_ALLOWED: {
    meaning:
      "The bucket is not in the service's allowlist (`S3_BUCKETS`), or not among the caller's own `buckets`. For a multipart call, the upload's bucket is no longer among the caller's.",
    action:
      "Use a bucket from your policy, or leave `bucket` out to use your first one; the operator changes `S3_BUCKETS` or the caller's `buckets`.",
  },
  KEY_PREFIX_NOT_ALLOWED: {
    meaning:
      "The key does not start with one of the caller's `keyPrefixes` (for an end user, `{sub}` there is their token's subject).",
    action: 'Use a key under one of the prefixes the message lists.',
  },
  EXPIRES_NOT_ALLOWED: {
    meaning: "`expiresIn` is above the caller's own maximum (`maxExpiresSeconds` in its policy).",
    action: 'Ask for at most the maximum the message states, or leave `expiresIn` out.',
  },
  CONTENT_LENGTH_NOT_ALLOWED: {
    meaning:
      "The declared size is above the caller's `maxContentLength`; for a multipart completion, the stored parts add up to more than it (a limit lowered since the upload began): the service then aborts the upload, so its parts do not stay stored, and says whether the abort worked.",
    action:
      'Upload less, or ask the operator for a larger `maxContentLength`; an incomplete multipart upload can be aborted.',
  },
  CONTENT_TYPE_NOT_ALLOWED: {
    meaning:
      "`contentType` (its media type without parameters) matches none of the caller's `contentTypes` patterns (`type/subtype` or `type/*`).",
    action: 'Send a type the message lists; the operator changes `contentTypes` in the callers file.',
  },
  ROUTE_NOT_ALLOWED: {
    meaning:
      'A frontend caller (a JWT) called a route family that is not open to frontends: services-only routes, or `/presign` and `/presign/batch` without `presignRoutes: true` in its policy.',
    action:
      'Frontends use `/uploads`, `/downloads` and the multipart and Uppy routes; the operator sets `presignRoutes: true` for a frontend that must name its own keys.',
  },
  CORS_ORIGIN_NOT_ALLOWED: {
    meaning:
      "A browser's CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) came from an origin that is not in `CORS_ORIGINS` (or none is configured). The message names the origin when it is a plain `scheme://host[:port]` and says how to allow it; the configured list is never shown.",
    action:
      "Call from an allowed origin. Operators: add the page's origin to `CORS_ORIGINS` (comma-separated, exact origins) and restart.",
  },
  INVALID_UPLOAD_ID: {
    meaning:
      "The multipart `uploadId` (or create grant) is not a token this service issued: wrong shape, version or length. It is not S3's own upload ID, which the service never hands out.",
    action: 'Send back the `uploadId` exactly as `POST /multipart` returned it (or the grant as it was issued).',
  },
  INVALID_PART_NUMBER: {
    meaning:
      "A part number outside 1 to the upload's part count (its declared size split into `partSize` parts), or the same number asked for twice in one request.",
    action: "Ask for part numbers from 1 to the upload's `partCount`, each once.",
  },
  INVALID_PART_SIZE: {
    meaning: "`partSize` is outside S3's limits: 5 MiB to 5 GiB.",
    action: 'Choose a part size in that range, or leave it out (8 MiB, or more when the object needs it).',
  },
  TOO_MANY_PARTS: {
    meaning: "`contentLength` split into parts of `partSize` makes more than S3's 10,000 parts.",
    action: 'Choose a larger `partSize` (the message gives the smallest that fits), or leave it out.',
  },
  OBJECT_TOO_LARGE: {
    meaning:
      "The declared size exceeds S3's 5 TiB object limit, or, for a form upload (`method: post`, `/s3/params`, Uppy's whole-file PUT), S3's 5 GiB limit for one request.",
    action: 'Upload a file over 5 GiB in parts; split data over 5 TiB into several objects.',
  },
  CONTENT_LENGTH_MISMATCH: {
    meaning: 'The parts listed for completion add up to another size than the `contentLength` declared at creation.',
    action: 'Upload every part (ListParts shows what is stored) and list exactly those parts.',
  },
  INVALID_PART: {
    meaning:
      "A part listed for completion has not been uploaded, or its ETag is not the stored one (checked against S3's ListParts before completing, and S3's own `InvalidPart`).",
    action: 'List each part with the ETag S3 returned for its PUT; upload any part that is missing.',
  },
  INVALID_PART_ORDER: {
    meaning: "The parts for completion are not in strictly ascending part-number order (or S3's `InvalidPartOrder`).",
    action: 'List the parts sorted by part number, each once.',
  },
  ENTITY_TOO_SMALL: {
    meaning:
      "A part other than the last is smaller than S3's 5 MiB minimum (as stored, checked before completing; or S3's `EntityTooSmall`).",
    action: 'Upload every part but the last with at least 5 MiB (the `partSize` the upload was created with).',
  },
  UPLOAD_NOT_ALLOWED: {
    meaning:
      "The `uploadId` (or create grant) fails its HMAC for this caller and key: it was issued to another caller or for another key, or it was altered. Replicas with different `UPLOAD_TOKEN_SECRET` values (it is drawn per process when unset) refuse each other's upload IDs the same way.",
    action:
      'Use the upload ID with the key and credentials it was created for. Operators: set the same `UPLOAD_TOKEN_SECRET` on every replica, and keep it across restarts.',
  },
  S3_ACCESS_DENIED: {
    meaning: "S3 answered `AccessDenied` to the service's own multipart call (create, list, complete or abort).",
    action:
      "Nothing for the caller. Operators: the service's role lacks the multipart permissions on this bucket or key, or a bucket policy denies them; `s3-presign policy` and `s3-presign doctor` show what is needed.",
  },
  NO_SUCH_UPLOAD: {
    meaning:
      'S3 knows no such multipart upload: it was completed, aborted, removed by a lifecycle rule, or never started.',
    action: 'Start a new upload with `POST /multipart`.',
  },
  UPLOAD_EXPIRED: {
    meaning:
      'The multipart upload is past its deadline (7 days after creation): no more part URLs are signed and it cannot be completed. For a create grant, the grant has expired.',
    action: 'Start a new upload (or sign the create call again); abort the old one.',
  },
  NOT_FOUND: {
    meaning:
      'No route for this method and path. Fastify answers a known path with a method it does not serve (a `GET /presign`) this way too.',
    action: 'Check the method and path against the API page or the OpenAPI document.',
  },
  METHOD_NOT_ALLOWED: {
    meaning:
      'Kept for a 405 from Fastify or a plugin; no current route answers with it: a path called with a method it does not serve gets 404 `NOT_FOUND`.',
    action: 'Check the method against the API page or the OpenAPI document.',
  },
  REQUEST_TIMEOUT: {
    meaning:
      'The whole request (headers and body) did not arrive within `HTTP_REQUEST_TIMEOUT_MS`, or its headers within `HTTP_HEADERS_TIMEOUT_MS`: a stalled or very slow client. The connection is closed.',
    action: 'Send the request at once; operators raise the timeouts only for clients on slow links.',
  },
  BODY_TOO_LARGE: {
    meaning:
      "The body is larger than the route accepts: `REQUEST_BODY_LIMIT` (64 KiB unless set), or Uppy's largest completion for the Uppy completion route.",
    action:
      'Send less (a batch holds at most 100 items; a presign body never needs much), or ask the operator to raise the limit.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    meaning: 'The body is not `application/json` (a `text/plain` body is refused rather than half-parsed).',
    action: 'Send JSON with `content-type: application/json`.',
  },
  HEADERS_TOO_LARGE: {
    meaning:
      "The request line and headers exceed Node's limit (16 KiB), before any route ran. The connection is closed.",
    action:
      "Send fewer or shorter headers (a cookie jar sent to the API is the usual cause), or a shorter query: Companion's batch route with checksums fits about 150 SHA-512 or 290 SHA-256 values.",
  },
  RATE_LIMITED: {
    meaning:
      "The caller's budget is spent: `RATE_LIMIT_MAX` requests per `RATE_LIMIT_WINDOW_SECONDS` for each API key and each end user, where a request for several URLs (a batch, multipart part URLs) counts each (one that does not fit is refused whole, nothing issued); for `POST /verify`, `VERIFY_RATE_LIMIT_MAX` per `VERIFY_RATE_LIMIT_WINDOW_SECONDS` per client address (an IPv6 client per /64), or, when a replica already counts 10,000 client addresses, any new one until a window ends. `Retry-After` says when to retry.",
    action: 'Wait `Retry-After` seconds, or ask for fewer URLs at a time; the operator can raise the limits.',
  },
  INTERNAL_ERROR: {
    meaning:
      'An unexpected failure inside the service: a bug. The answer holds no detail; the log line at `error` level has the stack, with the request id.',
    action: 'Retry once. Operators: report the log line (it holds no secrets).',
  },
  S3_REQUEST_FAILED: {
    meaning:
      "S3 refused or failed a multipart call in a way that is no caller's mistake (throttling, an outage, a network error), or created an upload without returning its ID.",
    action: 'Retry with back-off. Operators: `GET /healthz` shows whether S3 answers (the `s3` check).',
  },
  PRESIGN_FAILED: {
    meaning:
      'The signer could not produce a URL or POST policy for this request: an exception inside the SDK or the fast signer, not a validation failure (those have their own `URL_*` codes).',
    action: 'Retry once. Operators: the `error` log line has the cause; report it.',
  },
  CREDENTIALS_UNAVAILABLE: {
    meaning:
      "No AWS credentials could be had to sign with: the SDK's chain (environment, profile, web identity / IRSA, container, instance metadata) found none, or fetching them failed or timed out.",
    action:
      "Retry later. Operators: the `credentials` check of `GET /healthz` names the failure; check the pod's role (IRSA annotation, pod identity) or the container's credentials.",
  },
  CREDENTIALS_EXPIRED: {
    meaning:
      "The signing credentials expire within 60 seconds: a URL would die with them. (Otherwise a URL's expiry is shortened to end 60 s before its credentials do.)",
    action:
      'Retry shortly, once the credentials have been refreshed. Operators: if it lasts, the refresh fails; the `credentials` check of `GET /healthz` and the credentials-expiry alert say why.',
  },
  AUTH_UNAVAILABLE: {
    meaning:
      "The key set (JWKS) of the token's issuer could not be fetched (timeout, network error, a non-200 answer, or not a key set), so the token cannot be verified either way.",
    action: "Retry later. Operators: make the issuer's JWKS URL reachable from the service.",
  },
  OVERLOADED: {
    meaning:
      'The event loop lags past `OVERLOAD_MAX_EVENT_LOOP_DELAY_MS`: the replica sheds new work on the authenticated routes (probes and metrics keep answering). `Retry-After: 5`.',
    action: 'Retry after 5 seconds (another replica may take it). Operators: scale out, and see the overload alerts.',
  },
  RATE_LIMIT_UNAVAILABLE: {
    meaning:
      "The shared rate-limit store (Redis, `RATE_LIMIT_REDIS_URL`) does not answer and `RATE_LIMIT_REDIS_FAILURE=closed`: requests that cannot be counted are refused. Also when a replica counting in its own memory already holds 100,000 callers' windows: a new caller is refused (with `Retry-After`) rather than any budget dropped.",
    action:
      'Retry shortly (after `Retry-After` when sent). Operators: bring Redis back (the `rate-limit-store` check of `GET /healthz`), or choose `local` or `open` for `RATE_LIMIT_REDIS_FAILURE`; for a full table (`s3presign_rate_limit_table_full_total{side="callers"}`), count in Redis, which holds any number.',
  },

  URL_MALFORMED: {
    meaning:
      'Not an absolute `http(s)://` URL, or a query parameter that is not valid percent-encoding; for a form, a URL that does not parse or carries a query, fragment or user information.',
    action: 'Pass the URL exactly as the signing tool printed it, without truncation or re-encoding.',
  },
  URL_NOT_CANONICAL: {
    meaning:
      'The URL is not written in the one form the service emits, which every URL parser reads alike: printable ASCII only, lowercase scheme and host, no user information, no `%`-escape in the authority, no `\\` before the query, no default port or IPv4 address in another notation. The message names what was found.',
    action:
      'Have the tool emit the plain form (the SDKs do): a URL that parsers read differently could reach two hosts, so no other spelling passes.',
  },
  URL_SCHEME: {
    meaning:
      "The scheme is not the pinned mode's: `https`, or `http` only in a custom or local mode allowed it (`S3_ALLOW_HTTP`).",
    action: 'Sign for the pinned endpoint with its scheme.',
  },
  URL_GLOBAL_ENDPOINT: {
    meaning:
      'The host is the legacy global endpoint (`s3.amazonaws.com`, `s3-external-1`), which routes by DNS and is never a pinned route.',
    action:
      'Sign with a client set to the pinned region and its regional endpoint (for us-east-1, `s3.us-east-1.amazonaws.com`, not the global name some tools still default to).',
  },
  URL_HOST: {
    meaning:
      'The host is not where the pinned mode addresses this bucket: another region, the public name where PrivateLink is pinned, another custom endpoint, or no S3 host of the mode at all. The bucket is read from the URL, then its expected host derived independently.',
    action:
      'For a URL from elsewhere: sign through a client configured like the service (region, FIPS, dual-stack, endpoint). When the service refused its own URL (500): its client and its pinned route disagree, the route is drifting (alert `S3PresignUrlRefused`): compare `S3_ENDPOINT_MODE`, `S3_REGION`, `S3_VPCE_DNS_NAME` or `S3_ENDPOINT_URL` with the last good deployment and roll back a release that changed them or the SDK.',
  },
  URL_PATH: {
    meaning:
      "The path is not the bucket's prefix followed by the key encoded exactly as S3 encodes it (or, for a URL the service just signed, not the key it asked for); or the key in the path is not valid percent-encoding. For a form, it does not post to the bucket's URL.",
    action: 'Sign the key as is and let the SDK encode it; do not rewrite the path afterwards.',
  },
  URL_ADDRESSING_STYLE: {
    meaning:
      "The host is the pinned mode's own, but in the other addressing style: path-style where the mode addresses this bucket virtual-hosted, or the reverse (`S3_FORCE_PATH_STYLE` decides).",
    action:
      'Sign with the same addressing style as the service (the SDK option `forcePathStyle` / boto3 `addressing_style`).',
  },
  URL_FRAGMENT: {
    meaning: 'The URL carries a `#fragment`, which clients drop or send differently.',
    action: 'Remove the fragment; a presigned URL never has one.',
  },
  URL_DUPLICATE_PARAMETER: {
    meaning: 'A query parameter appears more than once: S3 and the validator could read different values.',
    action: 'Send each parameter once, as the signer wrote it.',
  },
  URL_ALGORITHM: {
    meaning:
      '`X-Amz-Algorithm` is not `AWS4-HMAC-SHA256`, or the URL is signed with SigV2 (`AWSAccessKeyId`, `Signature`), which S3 no longer accepts everywhere.',
    action: 'Sign with SigV4 (boto3: `signature_version="s3v4"`).',
  },
  URL_CREDENTIAL_SCOPE: {
    meaning:
      "`X-Amz-Credential` is not `ACCESS_KEY/DATE/REGION/s3/aws4_request`, names another service than `s3`, or its date differs from `X-Amz-Date`'s.",
    action: 'Sign for the `s3` service with an unmodified SigV4 signer.',
  },
  URL_REGION: {
    meaning:
      "The credential scope names another region than the one the bucket's pinned location signs for (the service's `S3_REGION`, or an access point's own region).",
    action:
      'Sign with the pinned region. When the service refused its own URL: a region change is under way; see `S3PresignUrlRefused`.',
  },
  URL_ACCESS_KEY: {
    meaning: "A URL the service signed itself carries another access key than the service's credentials.",
    action: 'Nothing for the caller. Operators: the signer and the credential source disagree, a bug; report it.',
  },
  URL_DATE: {
    meaning: '`X-Amz-Date` is missing or not a real UTC time as `YYYYMMDDTHHMMSSZ`.',
    action: 'Sign with an unmodified SigV4 signer.',
  },
  URL_DATE_SKEW: {
    meaning:
      "`X-Amz-Date` is in the future beyond `PRESIGN_MAX_CLOCK_SKEW` (300 s unless set); for a URL just signed, also that far in the past. The signer's clock and the service's disagree.",
    action:
      "Synchronise the signing machine's clock (NTP). When the service refused its own URL: its clock stepped; the `clock` check of `GET /healthz` shows the skew.",
  },
  URL_EXPIRED: {
    meaning: 'The URL has expired: `X-Amz-Date` plus `X-Amz-Expires` is past.',
    action: 'Get a new URL.',
  },
  URL_EXPIRES_RANGE: {
    meaning: "`X-Amz-Expires` is missing or not a whole number of seconds from 1 to SigV4's 604,800 (7 days).",
    action: 'Ask the signer for an expiry within 7 days.',
  },
  URL_EXPIRES_OVER_MAXIMUM: {
    meaning:
      "The URL (or form policy) lives longer than the service's `PRESIGN_MAX_EXPIRES`, though within SigV4's 7 days.",
    action: 'Sign with an expiry no longer than the configured maximum.',
  },
  URL_EXPIRES_AFTER_CREDENTIALS: {
    meaning:
      'A URL or policy the service signed would outlive its temporary credentials: it would stop working before its stated expiry.',
    action:
      'Retry. Operators: if it persists, the credentials changed under the request; see `S3PresignUrlRefused` and the credentials check.',
  },
  URL_SIGNED_HEADERS: {
    meaning:
      '`X-Amz-SignedHeaders` is not a sorted, lowercase, `;`-separated list, lacks `host`, or (for a URL the service signed) lacks a header the caller was told to send (so S3 would not enforce it) or signs one it was not told about.',
    action: 'Sign with an unmodified SigV4 signer and send exactly the headers returned with the URL.',
  },
  URL_UNEXPECTED_PARAMETER: {
    meaning:
      "The query holds a parameter that was not asked for: anything besides SigV4's own, the SDK's `x-id` and `X-Amz-Content-Sha256: UNSIGNED-PAYLOAD`, and the GET overrides (`response-*`, `versionId`). An `x-amz-checksum-*` parameter added behind the caller's back is named as such; a part URL's `x-id` must be `UploadPart`.",
    action:
      'Sign without extra parameters. When the service refused its own URL: an SDK upgrade added one (flexible checksums); pin the SDK back and report it.',
  },
  URL_MISSING_PARAMETER: {
    meaning:
      "A URL the service signed lacks a query parameter it asked for, or carries another value: a response override, or a part URL's `uploadId` or `partNumber`.",
    action: 'Nothing for the caller. Operators: the signer dropped a parameter, a bug; report it.',
  },
  URL_GRANT: {
    meaning:
      "The URL's `x-s3p-grant` parameter (the grant id, see [Audit and provenance](audit-and-provenance.md)) is wrong: a URL the service signed lacks it or carries another id than its audit event, or a URL checked with `POST /verify` carries one that is not a grant id (a lowercase version 4 UUID). A URL from another tool without the parameter is valid; it is just not traceable to a grant.",
    action:
      "Nothing for the caller of a presign route. Operators: the signer dropped the grant, a bug; report it. With `POST /verify`: the URL's `x-s3p-grant` was altered after signing (S3 would refuse the signature); use the URL as it was issued.",
  },
  URL_SECURITY_TOKEN: {
    meaning:
      '`X-Amz-Security-Token` is missing though temporary credentials (`ASIA…`) signed it, present though long-term credentials (`AKIA…`) did, or empty.',
    action:
      'Sign with the whole credential set (key, secret and session token together). When the service refused its own URL: the credentials changed under the request; retry.',
  },
  URL_SIGNATURE_FORMAT: {
    meaning: '`X-Amz-Signature` is missing or not 64 lowercase hexadecimal characters.',
    action: 'Pass the URL as signed, without truncating or re-encoding it.',
  },
  URL_KEY: {
    meaning:
      'The key read from the path breaks the key rules (see `INVALID_KEY`): empty, over 1,024 bytes, control characters, a leading `/`, or `.`/`..` segments. The report leaves the key out.',
    action: 'Use a key that follows the rules.',
  },
  URL_DOT_SEGMENT: {
    meaning:
      "The raw path holds a `.` or `..` segment, in any spelling (`%2e`, `.%2E`, …), in the base path, the bucket segment or the key. Browsers, curl, undici and urllib3 collapse such segments before sending, so the request would reach another bucket or key than the one the URL names (and could leave a proxy's base path); the check runs before any bucket is read from the path.",
    action: 'Mint the URL for the object it is meant to reach; a key with a `.` or `..` segment cannot be signed here.',
  },
  URL_BUCKET_NOT_ALLOWED: {
    meaning:
      '`POST /verify` (or `s3-presign verify` given `--bucket` or `S3_BUCKETS`): the URL or form is for a bucket outside the allowlist. It may be well signed for the route, but this service would never have issued it. The rest of the report still describes the URL.',
    action: 'Use a bucket in `S3_BUCKETS`, or judge the URL against a deployment that serves that bucket.',
  },
  URL_ENCRYPTION_MISSING: {
    meaning:
      "A PUT URL or form for a bucket whose uploads carry server-side encryption (`S3_SSE*`, `S3_SSE_BUCKETS`) does not sign the encryption headers (or lacks the form fields): S3 would store the object under the bucket's default encryption, or a bucket policy would refuse it. When the service refused its own URL (500), its signer and configuration disagree.",
    action:
      'Sign the upload with the headers the bucket needs (`x-amz-server-side-encryption`, and for KMS the key id and, where configured, the bucket-key header) and send them; URLs and forms from this service carry them already.',
  },
  URL_ENCRYPTION_MISMATCH: {
    meaning:
      'The URL or form names encryption other than the configuration: another algorithm or KMS key (in a header the caller says it will send, a form field, or a query parameter a signer hoisted), encryption headers the bucket does not use, or encryption headers on a GET or a part URL, where S3 refuses them (400).',
    action: "Sign with exactly the bucket's configured encryption, and none on downloads and parts.",
  },
  URL_CHECKSUM_MISSING: {
    meaning:
      "The URL does not sign the checksum asked for: a PUT or part URL without the `x-amz-checksum-*` header of the request's checksum field (S3 would then store any bytes), or a GET asked to return the stored checksum (`checksumMode`) without `x-amz-checksum-mode`. When the service refused its own URL (500), its signer and the request disagree.",
    action:
      "Sign the request's checksum header (and send it with the value given); URLs from this service carry it already.",
  },
  URL_CHECKSUM_MISMATCH: {
    meaning:
      'The URL signs a checksum other than the one asked for, more than one (S3 refuses that), a value that is not a base64 digest of its algorithm, a value other than the one asked for (in a header the caller says it will send, or a query parameter a signer hoisted), a checksum on a GET, or an `x-amz-checksum-mode` other than ENABLED.',
    action: 'Sign exactly one checksum, the base64 digest of the body with the algorithm asked for; none on downloads.',
  },
  URL_METHOD_UNKNOWN: {
    meaning:
      "The URL does not say whether it is a GET or a PUT (no `x-id`, as boto3's URLs), and its bucket's uploads carry encryption, so whether the encryption headers are required cannot be decided.",
    action: 'Verify it again with `method` (`POST /verify`) or `--method GET|PUT` (`s3-presign verify`).',
  },
  POLICY_MALFORMED: {
    meaning:
      "The form's `Policy` field is not standard padded base64, does not decode to a JSON object, holds other members than exactly `expiration` and `conditions`, or its `conditions` is not an array.",
    action: 'Post the fields exactly as the service returned them.',
  },
  POLICY_FIELDS: {
    meaning:
      'A form field is missing, not a string, not asked for, or differs from what was meant: `bucket`, `key`, `Content-Type`, `success_action_status`.',
    action: 'Post every field as returned, unchanged, and the file last.',
  },
  POLICY_EXPIRATION: {
    meaning:
      "The policy's `expiration` is not an ISO 8601 UTC time, is not the moment the service meant, has passed, or comes before the signing date.",
    action: 'Get a new form; when the service refused its own, the clock stepped, retry.',
  },
  POLICY_CONDITIONS: {
    meaning:
      "The policy's conditions would let S3 accept more than meant: each signed field needs exactly one exact-match condition equal to the field, plus one `content-length-range` with the expected bounds, and nothing else (no `starts-with`, no condition on a field the form does not send).",
    action: 'Post the form as returned; the service never signs looser conditions, so report one it returned.',
  },
};
