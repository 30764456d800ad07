// Checks a presigned URL against the pinned mode without trusting the code that signed it:
// the expected host and path come from src/endpoint/expected-location.ts, every query
// parameter is accounted for, and each failed check carries its own stable code.
// The checks live beside it, each a part a reader can hold: url-parsing.ts (the URL as
// written, its canonical form, origin and query), url-location.ts (scheme, host, path),
// url-parameters.ts (which query parameters may be there), signature-fields.ts (SigV4's own
// fields), encryption-headers.ts (server-side encryption against the configuration),
// checksum-headers.ts (the x-amz-checksum-* a URL binds against the one asked for) and
// check-failures.ts (one counted failure per code). post-policy-validator.ts
// checks browser form policies the same way. The validate… functions are the door.
import type { Config } from '../config/config.js';
import { encryptionFor } from '../encryption/sse.js';
import { checkUrlChecksums } from './checksum-headers.js';
import { failureCollector } from './check-failures.js';
import { checkUrlEncryption } from './encryption-headers.js';
import { checkSignature } from './signature-fields.js';
import { checkLocation } from './url-location.js';
import { checkGrant } from './url-parameters.js';
import type { UrlExpectation, ValidationReport, ValidatorPolicy } from './types.js';
import { canonicalFormProblem, dotSegmentProblem, parseOrigin, parseQuery, splitRawUrl } from './url-parsing.js';

export { MAX_FAILURE_MESSAGE_LENGTH, type UrlCheckFailure } from './check-failures.js';
export { isSignatureHex, parseAmzDate, parseCredential, type CredentialScope } from './signature-fields.js';
export { describeMode } from './url-location.js';
export { canonicalFormProblem, splitRawUrl, type RawUrl } from './url-parsing.js';
export type { ParsedOrigin, UrlExpectation, ValidationReport, ValidatorPolicy } from './types.js';

/** The policy a configuration implies; the service and the CLI hold URLs to the same one. */
export function validatorPolicy(config: Config, now: () => Date = () => new Date()): ValidatorPolicy {
  return {
    mode: config.mode,
    maxExpiresSeconds: config.presign.maxExpiresSeconds,
    maxClockSkewSeconds: config.presign.maxClockSkewSeconds,
    now,
    uploadEncryption: (bucket) => encryptionFor(config.encryption, bucket),
  };
}

export function validatePresignedUrl(
  url: string,
  policy: ValidatorPolicy,
  expectation: UrlExpectation = {},
): ValidationReport {
  const { failures, fail } = failureCollector();
  const report: ValidationReport = { valid: false, failures };

  const raw = splitRawUrl(url);
  if (!raw) {
    fail('URL_MALFORMED', 'not an absolute http(s) URL');
    return report;
  }
  const notCanonical = canonicalFormProblem(url, raw);
  if (notCanonical !== undefined) {
    fail('URL_NOT_CANONICAL', notCanonical);
    return report;
  }
  const parsedUrl = parseOrigin(url, raw.scheme, raw.authority, policy.mode, expectation);
  if (!parsedUrl) {
    fail('URL_MALFORMED', 'not an absolute http(s) URL');
    return report;
  }
  if (parsedUrl.host !== raw.authority) {
    // In the character set above, only a spelling URL parsing rewrites: a default port,
    // an IPv4 address in another notation (`127.1`, `0x7f.0.0.1`), a leading zero in the port.
    fail('URL_NOT_CANONICAL', `the authority "${raw.authority}" is not canonical: it is read as "${parsedUrl.host}"`);
    return report;
  }
  const rawPath = raw.path;
  const rawQuery = raw.query ?? '';
  if (raw.fragment !== undefined) fail('URL_FRAGMENT', 'a presigned URL must not carry a #fragment');

  const query = parseQuery(rawQuery, fail);
  // Before any bucket is read from the path: a dot segment makes the path mean two things.
  const dotSegment = dotSegmentProblem(rawPath);
  if (dotSegment !== undefined) fail('URL_DOT_SEGMENT', dotSegment);
  else checkLocation(parsedUrl, rawPath, policy.mode, expectation, report, fail);
  // checkLocation reports the region of the bucket's pinned location once it has found one.
  checkSignature(query, policy, expectation, report.region, report, fail);
  checkGrant(query, expectation, report, fail);
  checkUrlEncryption(query, policy, expectation, report, fail);
  checkUrlChecksums(query, expectation, report, fail);

  report.valid = failures.length === 0;
  return report;
}
