// The flexible checksum a presigned URL binds, held to what the request asked for without
// trusting the presigner: a PUT or a part signs at most one x-amz-checksum-* header (S3
// refuses two), exactly the one asked for with the value asked for where the value can be
// seen, and a well-formed one in any case; a GET signs none (it sends no body) and, when it
// asked for the stored checksum, signs x-amz-checksum-mode.
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_MODE_HEADER,
  CHECKSUM_NAMES,
  checksumHeader,
  checksumValuePattern,
  type ChecksumAlgorithm,
} from '../endpoint/checksum-algorithms.js';
import type { Fail } from './check-failures.js';
import { urlOperation } from './encryption-headers.js';
import type { UrlExpectation, ValidationReport } from './types.js';

const ALGORITHM_OF_HEADER: ReadonlyMap<string, ChecksumAlgorithm> = new Map(
  CHECKSUM_ALGORITHMS.map((algorithm) => [checksumHeader(algorithm), algorithm]),
);

export function checkUrlChecksums(
  query: ReadonlyMap<string, string>,
  expectation: UrlExpectation,
  report: ValidationReport,
  fail: Fail,
): void {
  // checkUrlEncryption reported a conflicting x-id already.
  const operation = urlOperation(query, expectation, () => {});
  const signed = report.signedHeaders ?? [];
  const signedChecksums = signed.filter((name) => ALGORITHM_OF_HEADER.has(name));

  if (operation === 'GET') {
    if (signedChecksums.length > 0) {
      fail(
        'URL_CHECKSUM_MISMATCH',
        `a GET signs ${signedChecksums.join(', ')}: a checksum belongs to an upload's body`,
      );
    }
    if (expectation.checksumMode === true && !signed.includes(CHECKSUM_MODE_HEADER)) {
      fail(
        'URL_CHECKSUM_MISSING',
        `the GET was asked to return the stored checksum but does not sign ${CHECKSUM_MODE_HEADER}`,
      );
    }
    const mode = expectation.headers?.[CHECKSUM_MODE_HEADER] ?? query.get(CHECKSUM_MODE_HEADER);
    if (mode !== undefined && mode !== 'ENABLED') {
      fail('URL_CHECKSUM_MISMATCH', `${CHECKSUM_MODE_HEADER} is ${JSON.stringify(mode)}; S3 knows only ENABLED`);
    }
  }
  if (signedChecksums.length > 1) {
    fail(
      'URL_CHECKSUM_MISMATCH',
      `the URL signs ${signedChecksums.join(', ')}: S3 refuses more than one checksum on a request`,
    );
  }

  const expected = expectation.checksum;
  if (expected !== undefined) {
    const header = checksumHeader(expected.algorithm);
    if (!signed.includes(header)) {
      fail(
        'URL_CHECKSUM_MISSING',
        `the URL does not sign ${header}: the ${CHECKSUM_NAMES[expected.algorithm]} asked for would not bind the bytes`,
      );
    }
    const others = signedChecksums.filter((name) => name !== header);
    if (others.length > 0) {
      fail('URL_CHECKSUM_MISMATCH', `the URL signs ${others.join(', ')}; the request asked for ${header}`);
    }
  }

  // A header value is in the signature, not the URL: it is seen only when the caller says
  // what it will send, or when a signer hoisted it into the query.
  for (const name of signedChecksums) {
    const algorithm = ALGORITHM_OF_HEADER.get(name) as ChecksumAlgorithm;
    for (const [where, seen] of [
      ['header', expectation.headers?.[name]],
      ['query parameter', query.get(name)],
    ] as const) {
      if (seen === undefined) continue;
      if (!checksumValuePattern(algorithm).test(seen)) {
        fail('URL_CHECKSUM_MISMATCH', `the ${where} ${name} is not a base64 ${CHECKSUM_NAMES[algorithm]} digest`);
      } else if (expected !== undefined && expected.algorithm === algorithm && seen !== expected.value) {
        fail('URL_CHECKSUM_MISMATCH', `the ${where} ${name} is not the value the request asked to bind`);
      }
    }
  }
}
