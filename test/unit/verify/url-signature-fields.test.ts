// The validator's SigV4 field checks, one at a time: a URL written out by hand (the validator
// never holds the secret key, so the signature is any 64 lowercase hex) with one field changed
// is refused with exactly the failure written out here, at each boundary.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Config } from '../../../src/config/config.js';
import {
  isSignatureHex,
  parseAmzDate,
  parseCredential,
  validatePresignedUrl,
  validatorPolicy,
  type UrlExpectation,
  type ValidatorPolicy,
} from '../../../src/verify/url-validator.js';
import type { WorkCounter } from '../../../src/work-counter.js';
import { EXAMPLE_CREDENTIALS, EXAMPLE_TEMPORARY_KEY_ID, OTHER_CREDENTIALS } from '../../fixtures/credentials.js';
import { LOCAL } from '../../fixtures/endpoint-modes.js';
import { assertLinearWork } from '../../linearity.js';
import { countNativeWork } from '../../native-work.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const POLICY: ValidatorPolicy = { mode: LOCAL, maxExpiresSeconds: 3600, maxClockSkewSeconds: 300, now: () => NOW };
const SIGNATURE = '0123456789abcdef'.repeat(4);
const KEY_ID = EXAMPLE_CREDENTIALS.accessKeyId;
const CREDENTIAL = `${KEY_ID}%2F20260301%2Fus-east-1%2Fs3%2Faws4_request`;
const PARAMETERS: ReadonlyArray<readonly [string, string]> = [
  ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
  ['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD'],
  ['X-Amz-Credential', CREDENTIAL],
  ['X-Amz-Date', '20260301T120000Z'],
  ['X-Amz-Expires', '900'],
  ['X-Amz-Signature', SIGNATURE],
  ['X-Amz-SignedHeaders', 'host'],
  ['x-id', 'GetObject'],
];
const EXPECTATION: UrlExpectation = { bucket: 'my-bucket', key: 'a.txt', accessKeyId: KEY_ID };

/** The URL with parameters replaced (a value), dropped (undefined) or added, already encoded. */
function urlWith(changes: Record<string, string | undefined> = {}): string {
  const parameters = new Map(PARAMETERS);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) parameters.delete(name);
    else parameters.set(name, value);
  }
  // As written, but for what a canonical query never holds raw (`;`, `+`, `:`, `/`, …):
  // escaped as the service's encoder would, so each case reaches the check it is about.
  const escape = (text: string) =>
    text.replace(
      /[^\w.~%-]/g,
      (character) => `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
    );
  const query = [...parameters].map(([name, value]) => `${escape(name)}=${escape(value)}`).join('&');
  return `http://127.0.0.1:4568/my-bucket/a.txt?${query}`;
}

function failures(
  changes: Record<string, string | undefined> = {},
  expectation: UrlExpectation = {},
  policy: Partial<ValidatorPolicy> = {},
): string[] {
  const report = validatePresignedUrl(urlWith(changes), { ...POLICY, ...policy }, { ...EXPECTATION, ...expectation });
  assert.equal(report.valid, report.failures.length === 0);
  return report.failures.map(
    (failure) => `${failure.code}: ${failure.message}${failure.count > 1 ? ` (×${failure.count})` : ''}`,
  );
}

describe('a URL written out by hand', () => {
  it('passes, and the report says when it was signed, when it expires and what it signs', () => {
    const report = validatePresignedUrl(urlWith(), POLICY, EXPECTATION);
    assert.deepEqual(report.failures, []);
    assert.equal(report.signedAt, '2026-03-01T12:00:00.000Z');
    assert.equal(report.expiresAt, '2026-03-01T12:15:00.000Z');
    assert.deepEqual(report.signedHeaders, ['host']);
  });
});

describe('X-Amz-Algorithm', () => {
  it('is AWS4-HMAC-SHA256', () => {
    assert.deepEqual(failures({ 'X-Amz-Algorithm': 'AWS4-HMAC-SHA1' }), [
      'URL_ALGORITHM: X-Amz-Algorithm must be AWS4-HMAC-SHA256, got AWS4-HMAC-SHA1',
    ]);
    assert.deepEqual(failures({ 'X-Amz-Algorithm': undefined }), [
      'URL_ALGORITHM: X-Amz-Algorithm must be AWS4-HMAC-SHA256, got nothing',
    ]);
  });

  it('names SigV2 when the URL is signed that way', () => {
    const sigV2 =
      'URL_ALGORITHM: the URL is signed with SigV2, which S3 no longer accepts everywhere; SigV4 (AWS4-HMAC-SHA256) is required';
    for (const name of ['AWSAccessKeyId', 'Signature'])
      assert.equal(failures({ 'X-Amz-Algorithm': undefined, [name]: 'x' })[0], sigV2, name);
  });
});

describe('X-Amz-Date', () => {
  it('is a real UTC time in the basic ISO 8601 form', () => {
    for (const value of [
      '2026-03-01T12:00:00Z',
      '20260301T120000',
      '20260230T120000Z',
      '20260301T240000Z',
      '20260301T126000Z',
      '20260301T120060Z',
      '20261301T120000Z',
      '20260001T120000Z',
      '',
    ])
      assert.ok(
        failures({ 'X-Amz-Date': value }).includes(`URL_DATE: X-Amz-Date must be YYYYMMDDTHHMMSSZ, got ${value}`),
        value,
      );
    assert.ok(
      failures({ 'X-Amz-Date': undefined }).includes('URL_DATE: X-Amz-Date must be YYYYMMDDTHHMMSSZ, got nothing'),
    );
  });

  it('is read as UTC, to the second', () => {
    assert.equal(parseAmzDate('20240229T235959Z'), Date.UTC(2024, 1, 29, 23, 59, 59));
    assert.equal(parseAmzDate('20250229T000000Z'), undefined);
    assert.equal(parseAmzDate('00000101T000000Z'), Date.parse('0000-01-01T00:00:00Z'));
    assert.equal(parseAmzDate('19700101T000000Z'), 0);
    assert.equal(parseAmzDate('20261231T000000Z'), Date.UTC(2026, 11, 31));
    assert.equal(parseAmzDate('x20261231T000000Z'), undefined);
    assert.equal(parseAmzDate('20261231T000000Zx'), undefined);
  });

  it('is within the clock skew: ahead always, behind when just signed', () => {
    const skewed = (date: string, fresh: boolean) =>
      failures({ 'X-Amz-Date': date, 'X-Amz-Credential': CREDENTIAL }, { fresh });
    assert.deepEqual(skewed('20260301T120500Z', false), []);
    assert.deepEqual(skewed('20260301T120501Z', false), [
      'URL_DATE_SKEW: X-Amz-Date 20260301T120501Z is in the future (beyond 300s of skew)',
    ]);
    assert.deepEqual(skewed('20260301T115500Z', true), []);
    assert.deepEqual(skewed('20260301T115459Z', true), [
      'URL_DATE_SKEW: X-Amz-Date 20260301T115459Z is more than 300s in the past',
    ]);
    assert.deepEqual(skewed('20260301T115459Z', false), []);
  });
});

describe('X-Amz-Credential', () => {
  const scoped = (credential: string | undefined) => failures({ 'X-Amz-Credential': credential });

  it('is ACCESS_KEY/DATE/REGION/s3/aws4_request for this key, day and region', () => {
    const shape = 'URL_CREDENTIAL_SCOPE: X-Amz-Credential must be ACCESS_KEY/DATE/REGION/s3/aws4_request';
    for (const credential of [
      undefined,
      '',
      `${KEY_ID}%2F20260301%2Fus-east-1%2Fs3`,
      `${KEY_ID}%2F2026031%2Fus-east-1%2Fs3%2Faws4_request`,
      '%2F20260301%2Fus-east-1%2Fs3%2Faws4_request',
      `${KEY_ID}%2F20260301%2Fus-east-1%2Fs3%2Faws4_request%2Fx`,
    ])
      assert.deepEqual(scoped(credential), [shape], String(credential));
    assert.deepEqual(scoped(`${KEY_ID}%2F20260301%2Fus-east-1%2Fsts%2Faws4_request`), [
      'URL_CREDENTIAL_SCOPE: credential scope must end in /s3/aws4_request, got /sts/aws4_request',
    ]);
    assert.deepEqual(scoped(`${KEY_ID}%2F20260301%2Fus-east-1%2Fs3%2Faws4_reques`), [
      'URL_CREDENTIAL_SCOPE: credential scope must end in /s3/aws4_request, got /s3/aws4_reques',
    ]);
    assert.deepEqual(scoped(`${KEY_ID}%2F20260302%2Fus-east-1%2Fs3%2Faws4_request`), [
      'URL_CREDENTIAL_SCOPE: credential scope date 20260302 differs from X-Amz-Date 20260301T120000Z',
    ]);
    assert.deepEqual(scoped(`${KEY_ID}%2F20260301%2Fus-west-2%2Fs3%2Faws4_request`), [
      'URL_REGION: credential scope names region us-west-2, the pinned region is us-east-1',
    ]);
    assert.deepEqual(scoped(`${OTHER_CREDENTIALS.accessKeyId}%2F20260301%2Fus-east-1%2Fs3%2Faws4_request`), [
      'URL_ACCESS_KEY: signed with an access key other than the service credentials',
    ]);
  });

  it('names any access key when the service does not say which', () => {
    assert.deepEqual(
      failures(
        { 'X-Amz-Credential': `${OTHER_CREDENTIALS.accessKeyId}%2F20260301%2Fus-east-1%2Fs3%2Faws4_request` },
        { accessKeyId: undefined },
      ),
      [],
    );
  });

  it('splits into exactly five parts', () => {
    assert.deepEqual(parseCredential('K/20260301/r/s3/aws4_request'), ['K', '20260301', 'r', 's3', 'aws4_request']);
    for (const value of [
      'K/20260301/r/s3',
      'X/K/20260301/r/s3/aws4_request',
      'K/20260301/r/s3/aws4_request/x',
      'K//r/s3/aws4_request',
      'K/2026030/r/s3/aws4_request',
    ])
      assert.equal(parseCredential(value), undefined, value);
  });
});

describe('X-Amz-Expires', () => {
  it('is 1 to 604800 seconds, written in digits', () => {
    // 0 is out of range, and also over: the URL expires the moment it is signed.
    assert.deepEqual(failures({ 'X-Amz-Expires': '0' }), [
      'URL_EXPIRES_RANGE: X-Amz-Expires must be 1..604800 seconds, got 0',
      'URL_EXPIRED: the URL expired at 2026-03-01T12:00:00.000Z',
    ]);
    for (const value of ['604801', '12345678', '-1', '1.5', '', '1e3', '+5'])
      assert.deepEqual(
        failures({ 'X-Amz-Expires': value }, {}, { maxExpiresSeconds: 604800 }),
        [`URL_EXPIRES_RANGE: X-Amz-Expires must be 1..604800 seconds, got ${value}`],
        value,
      );
    assert.deepEqual(failures({ 'X-Amz-Expires': undefined }), [
      'URL_EXPIRES_RANGE: X-Amz-Expires must be 1..604800 seconds, got nothing',
    ]);
    assert.deepEqual(failures({ 'X-Amz-Expires': '604800' }, {}, { maxExpiresSeconds: 604800 }), []);
    assert.deepEqual(failures({ 'X-Amz-Expires': '1' }), []);
  });

  it('is within the configured maximum', () => {
    assert.deepEqual(failures({ 'X-Amz-Expires': '3600' }), []);
    assert.deepEqual(failures({ 'X-Amz-Expires': '3601' }), [
      'URL_EXPIRES_OVER_MAXIMUM: X-Amz-Expires 3601 is above the configured maximum 3600',
    ]);
  });

  it('has not passed (for a URL from elsewhere), nor outlives the credentials', () => {
    const at = (date: string, expires: string, expectation: UrlExpectation = {}) =>
      failures({ 'X-Amz-Date': date, 'X-Amz-Credential': CREDENTIAL, 'X-Amz-Expires': expires }, expectation);
    assert.deepEqual(at('20260301T115000Z', '601'), []);
    assert.deepEqual(at('20260301T115000Z', '600'), ['URL_EXPIRED: the URL expired at 2026-03-01T12:00:00.000Z']);
    const credentialsExpireAt = new Date('2026-03-01T12:15:00Z');
    assert.deepEqual(at('20260301T120000Z', '900', { credentialsExpireAt }), []);
    assert.deepEqual(at('20260301T120000Z', '901', { credentialsExpireAt }), [
      'URL_EXPIRES_AFTER_CREDENTIALS: the URL outlives its credentials (2026-03-01T12:15:01.000Z > 2026-03-01T12:15:00.000Z)',
    ]);
  });
});

describe('X-Amz-SignedHeaders', () => {
  const signing = (value: string | undefined, signedHeaders?: readonly string[]) =>
    failures({ 'X-Amz-SignedHeaders': value }, signedHeaders === undefined ? {} : { signedHeaders });

  it('is a sorted, distinct, lowercase list', () => {
    const shape = 'URL_SIGNED_HEADERS: X-Amz-SignedHeaders must be a sorted, lowercase, semicolon-separated list';
    for (const value of [
      undefined,
      '',
      'Host',
      'host;host',
      'x-a;host',
      'host;',
      ';host',
      'host%3Bhost',
      'content_type;host',
    ])
      assert.deepEqual(signing(value), [shape], String(value));
  });

  it('includes host', () => {
    assert.deepEqual(signing('content-type'), ['URL_SIGNED_HEADERS: X-Amz-SignedHeaders must include host']);
  });

  it('is exactly host and the headers the caller was told to send', () => {
    assert.deepEqual(signing('content-type;host', ['content-type']), []);
    assert.deepEqual(signing('content-type;host', ['host', 'content-type']), []);
    assert.deepEqual(signing('content-type;host', ['content-type', 'content-type']), []);
    assert.deepEqual(signing('host', []), []);
    assert.deepEqual(signing('host', ['content-type']), [
      'URL_SIGNED_HEADERS: X-Amz-SignedHeaders is missing content-type: the store would not enforce them',
    ]);
    assert.deepEqual(signing('content-type;host;x-amz-acl', ['content-type']), [
      'URL_SIGNED_HEADERS: X-Amz-SignedHeaders has x-amz-acl, which the caller was not told to send',
    ]);
    // One header swapped for another at the same count: both wrongs are counted.
    assert.deepEqual(signing('host;x-amz-acl', ['content-type']), [
      'URL_SIGNED_HEADERS: X-Amz-SignedHeaders is missing content-type: the store would not enforce them (×2)',
    ]);
    assert.deepEqual(signing('content-type;host', ['content-md5']), [
      'URL_SIGNED_HEADERS: X-Amz-SignedHeaders is missing content-md5: the store would not enforce them (×2)',
    ]);
    assert.deepEqual(signing('content-length;content-type', ['content-length', 'content-type']), [
      'URL_SIGNED_HEADERS: X-Amz-SignedHeaders must include host (×2)',
    ]);
    assert.deepEqual(signing('content-length;content-type;host', ['content-length', 'content-type']), []);
    assert.deepEqual(signing('content-length;host', ['content-length', 'content-type']), [
      'URL_SIGNED_HEADERS: X-Amz-SignedHeaders is missing content-type: the store would not enforce them',
    ]);
  });

  it('is exactly host and the headers required, when the requirement names host or a header twice', () => {
    const unexpected = (names: string) =>
      `URL_SIGNED_HEADERS: X-Amz-SignedHeaders has ${names}, which the caller was not told to send`;
    assert.deepEqual(signing('host', ['host']), []);
    assert.deepEqual(signing('content-type;host', ['host']), [unexpected('content-type')]);
    assert.deepEqual(signing('content-md5;content-type;host', ['host']), [unexpected('content-md5, content-type')]);
    assert.deepEqual(signing('content-md5;content-type;host', ['content-type', 'content-type']), [
      unexpected('content-md5'),
    ]);
    assert.deepEqual(signing('content-md5;content-type;host', ['host', 'content-type', 'host']), [
      unexpected('content-md5'),
    ]);
  });

  it('is judged the same however often a list comes back', () => {
    // More distinct lists than the parser remembers, then the first ones again.
    const lists = Array.from({ length: 40 }, (_, index) => `host;x-h${String(index).padStart(2, '0')}`);
    for (const round of [1, 2])
      for (const list of lists) assert.deepEqual(signing(list, [list.slice(5)]), [], `${list}, round ${round}`);
    assert.deepEqual(signing('Host'), [
      'URL_SIGNED_HEADERS: X-Amz-SignedHeaders must be a sorted, lowercase, semicolon-separated list',
    ]);
  });
});

describe('X-Amz-Security-Token', () => {
  const withToken = { 'X-Amz-Security-Token': 'FwoGZXIvYXdzEBY' };
  const asia = `${EXAMPLE_TEMPORARY_KEY_ID}%2F20260301%2Fus-east-1%2Fs3%2Faws4_request`;

  it('is there exactly when temporary credentials signed it', () => {
    assert.deepEqual(failures(withToken, { temporaryCredentials: true }), []);
    assert.deepEqual(failures({}, { temporaryCredentials: true }), [
      'URL_SECURITY_TOKEN: temporary credentials signed it, but X-Amz-Security-Token is missing',
    ]);
    assert.deepEqual(failures(withToken, { temporaryCredentials: false }), [
      'URL_SECURITY_TOKEN: long-term credentials signed it, but it carries an X-Amz-Security-Token',
    ]);
  });

  it('is judged by the access key prefix when the service does not say', () => {
    const asiaUrl = (changes: Record<string, string>) =>
      failures({ 'X-Amz-Credential': asia, ...changes }, { accessKeyId: undefined });
    assert.deepEqual(asiaUrl(withToken), []);
    assert.deepEqual(asiaUrl({}), [
      'URL_SECURITY_TOKEN: temporary credentials signed it, but X-Amz-Security-Token is missing',
    ]);
    assert.deepEqual(failures(withToken, { accessKeyId: undefined }), [
      'URL_SECURITY_TOKEN: long-term credentials signed it, but it carries an X-Amz-Security-Token',
    ]);
    const other = 'minioadmin%2F20260301%2Fus-east-1%2Fs3%2Faws4_request';
    assert.deepEqual(failures({ 'X-Amz-Credential': other }, { accessKeyId: undefined }), []);
    assert.deepEqual(failures({ 'X-Amz-Credential': other, ...withToken }, { accessKeyId: undefined }), []);
  });

  it('is never empty', () => {
    assert.deepEqual(
      failures(
        { 'X-Amz-Credential': 'minioadmin%2F20260301%2Fus-east-1%2Fs3%2Faws4_request', 'X-Amz-Security-Token': '' },
        { accessKeyId: undefined },
      ),
      ['URL_SECURITY_TOKEN: X-Amz-Security-Token is empty'],
    );
  });
});

describe('X-Amz-Signature', () => {
  it('is 64 lowercase hex characters', () => {
    const format = 'URL_SIGNATURE_FORMAT: X-Amz-Signature must be 64 lowercase hex characters';
    for (const value of [
      undefined,
      '',
      SIGNATURE.toUpperCase(),
      SIGNATURE.slice(1),
      `${SIGNATURE}0`,
      `${SIGNATURE.slice(1)}g`,
    ])
      assert.deepEqual(failures({ 'X-Amz-Signature': value }), [format], String(value));
  });

  it('is told apart from other text by isSignatureHex, whatever the characters', () => {
    assert.equal(isSignatureHex(SIGNATURE), true);
    assert.equal(isSignatureHex('f'.repeat(64)), true);
    for (const value of [
      `${SIGNATURE.slice(1)}é`,
      `${SIGNATURE.slice(1)}\u0100`,
      `${SIGNATURE.slice(1)}\u0080`,
      `${SIGNATURE.slice(1)}\u0130`,
      `${SIGNATURE.slice(1)}G`,
      `${SIGNATURE.slice(1)}/`,
      `${SIGNATURE.slice(1)}:`,
      `é${SIGNATURE.slice(1)}`,
    ])
      assert.equal(isSignatureHex(value), false, JSON.stringify(value));
  });
});

describe('the other query parameters', () => {
  it('hold the SDK hints only with their one value', () => {
    for (const [name, value] of [
      ['X-Amz-Content-Sha256', 'xUNSIGNED-PAYLOAD'],
      ['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOADx'],
      ['x-id', 'xGetObject'],
      ['x-id', 'GetObjectx'],
      ['x-id', 'UploadPart'],
    ] as const)
      assert.deepEqual(
        failures({ [name]: value }),
        [`URL_UNEXPECTED_PARAMETER: query parameter ${name}=${value} is not expected`],
        `${name}=${value}`,
      );
    assert.deepEqual(failures({ 'x-id': 'PutObject' }), []);
  });

  it('hold UploadPart as the x-id of a part URL, and nothing else', () => {
    const part = { uploadPart: true, queryParameters: { partNumber: '1', uploadId: 'u1' } };
    assert.deepEqual(failures({ 'x-id': 'UploadPart', partNumber: '1', uploadId: 'u1' }, part), []);
    assert.deepEqual(failures({ 'x-id': 'GetObject', partNumber: '1', uploadId: 'u1' }, part), [
      "URL_UNEXPECTED_PARAMETER: a part URL's x-id must be UploadPart, got GetObject",
    ]);
  });

  it('hold the GET overrides in a URL from elsewhere, and nothing more', () => {
    for (const name of [
      'response-content-disposition',
      'response-content-type',
      'response-content-language',
      'response-content-encoding',
      'response-cache-control',
      'response-expires',
      'versionId',
    ])
      assert.deepEqual(failures({ [name]: 'v' }), [], name);
    assert.deepEqual(failures({ 'response-content-length': 'v' }), [
      'URL_UNEXPECTED_PARAMETER: query parameter response-content-length was not asked for',
    ]);
  });

  it('hold exactly what the service asked for, with the value asked', () => {
    const asked = { queryParameters: { 'response-content-disposition': 'attachment' } };
    assert.deepEqual(failures({ 'response-content-disposition': 'attachment' }, asked), []);
    assert.deepEqual(failures({ 'response-content-disposition': 'inline' }, asked), [
      'URL_UNEXPECTED_PARAMETER: query parameter response-content-disposition was not asked for',
      'URL_MISSING_PARAMETER: query parameter response-content-disposition was asked for but is missing or different',
    ]);
    assert.deepEqual(failures({}, asked), [
      'URL_MISSING_PARAMETER: query parameter response-content-disposition was asked for but is missing or different',
    ]);
    // Asked for nothing: an override the SDK could add is still one nobody asked for.
    assert.deepEqual(failures({ 'response-content-type': 'text/html' }, { queryParameters: {} }), [
      'URL_UNEXPECTED_PARAMETER: query parameter response-content-type was not asked for',
    ]);
  });

  it('name a checksum the SDK added behind the caller’s back', () => {
    assert.deepEqual(failures({ 'x-amz-checksum-crc32': 'AAAAAA%3D%3D' }), [
      "URL_UNEXPECTED_PARAMETER: query parameter x-amz-checksum-crc32 was added behind the caller's back: S3-compatible stores reject it and S3 would check it",
    ]);
    assert.deepEqual(failures({ 'my-x-amz-checksum-crc32': 'A' }), [
      'URL_UNEXPECTED_PARAMETER: query parameter my-x-amz-checksum-crc32 was not asked for',
    ]);
  });
});

describe('the signed headers a message names', () => {
  it('are listed with commas', () => {
    assert.deepEqual(failures({ 'X-Amz-SignedHeaders': 'host' }, { signedHeaders: ['content-md5', 'content-type'] }), [
      'URL_SIGNED_HEADERS: X-Amz-SignedHeaders is missing content-md5, content-type: the store would not enforce them',
    ]);
    assert.deepEqual(
      failures(
        { 'X-Amz-SignedHeaders': 'content-md5;content-type;host;x-amz-acl' },
        { signedHeaders: ['content-type', 'x-amz-acl'] },
      ),
      ['URL_SIGNED_HEADERS: X-Amz-SignedHeaders has content-md5, which the caller was not told to send'],
    );
    assert.deepEqual(failures({ 'X-Amz-SignedHeaders': 'content-md5;host;x-amz-acl' }, { signedHeaders: [] }), [
      'URL_SIGNED_HEADERS: X-Amz-SignedHeaders has content-md5, x-amz-acl, which the caller was not told to send',
    ]);
  });
});

describe('the URL as a whole', () => {
  it('is an absolute http(s) URL that URL parsing reads', () => {
    for (const url of [
      'not a url',
      '//127.0.0.1:4568/my-bucket/a.txt',
      `http://127.0.0.1:99999/my-bucket/a.txt?${urlWith().split('?')[1]}`,
    ])
      assert.deepEqual(
        validatePresignedUrl(url, POLICY, EXPECTATION).failures.map((failure) => `${failure.code}: ${failure.message}`),
        ['URL_MALFORMED: not an absolute http(s) URL'],
        url,
      );
  });

  it('carries no fragment', () => {
    assert.deepEqual(
      validatePresignedUrl(`${urlWith()}#top`, POLICY, EXPECTATION).failures.map(
        (failure) => `${failure.code}: ${failure.message}`,
      ),
      ['URL_FRAGMENT: a presigned URL must not carry a #fragment'],
    );
  });

  it('without a query lacks the SigV4 fields, and has no other parameter', () => {
    const codes = validatePresignedUrl('http://127.0.0.1:4568/my-bucket/a.txt', POLICY, EXPECTATION).failures.map(
      (failure) => failure.code,
    );
    assert.deepEqual(codes, [
      'URL_ALGORITHM',
      'URL_DATE',
      'URL_CREDENTIAL_SCOPE',
      'URL_EXPIRES_RANGE',
      'URL_SIGNED_HEADERS',
      'URL_SIGNATURE_FORMAT',
    ]);
  });
});

describe('validatorPolicy', () => {
  it('holds the configured limits, and reads the real clock unless given one', () => {
    const config = { mode: LOCAL, presign: { maxExpiresSeconds: 60, maxClockSkewSeconds: 5 } } as unknown as Config;
    const policy = validatorPolicy(config);
    assert.equal(policy.mode, LOCAL);
    assert.equal(policy.maxExpiresSeconds, 60);
    assert.equal(policy.maxClockSkewSeconds, 5);
    const now = policy.now();
    assert.ok(now instanceof Date);
    assert.ok(Math.abs(now.getTime() - Date.now()) < 60_000);
    assert.equal(validatorPolicy(config, () => NOW).now(), NOW);
  });

  it('requires each bucket’s configured upload encryption: its own entry, or the default', () => {
    const encryption = {
      default: { algorithm: 'AES256' },
      perBucket: new Map([
        ['kms-bucket', { algorithm: 'aws:kms', kmsKeyId: 'alias/uploads' }],
        ['plain-bucket', null],
      ]),
    };
    const config = { mode: LOCAL, presign: { maxExpiresSeconds: 60, maxClockSkewSeconds: 5 }, encryption };
    const { uploadEncryption } = validatorPolicy(config as unknown as Config);
    assert.deepEqual(uploadEncryption?.('kms-bucket'), { algorithm: 'aws:kms', kmsKeyId: 'alias/uploads' });
    assert.deepEqual(uploadEncryption?.('my-bucket'), { algorithm: 'AES256' });
    assert.equal(uploadEncryption?.('plain-bucket'), undefined);
  });
});

describe('the fields are read in work linear in their length', () => {
  it('signed-header lists, credentials, dates and expiries of any length (characters visited by the built-ins, counted)', () => {
    const field = (name: string) => (value: string, work: WorkCounter) =>
      countNativeWork(work, () =>
        validatePresignedUrl(urlWith({ [name]: value }), POLICY, {
          ...EXPECTATION,
          signedHeaders: ['content-type', 'x-a'],
        }),
      );
    const shapes = {
      'many names': (n: number) => Array.from({ length: n / 6 }, (_, i) => `h${i}`.padStart(5, 'x')).join(';'),
      'one name many times': (n: number) => 'host;'.repeat(n / 5),
      'unsorted names': (n: number) => Array.from({ length: n / 6 }, (_, i) => `h${n - i}`.padStart(5, 'x')).join(';'),
      'separators only': (n: number) => ';'.repeat(n),
      'one long name': (n: number) => `${'a'.repeat(n)};host`,
    };
    // Per character of the value: escaped in the URL, a ";" is three.
    assertLinearWork(shapes, field('X-Amz-SignedHeaders'), { perCharacter: 72 });
    assertLinearWork(
      {
        'many slashes': (n) => '/'.repeat(n),
        'many segments': (n) => 'a/'.repeat(n / 2),
        'a long key ID': (n) => `${'A'.repeat(n)}/20260301/us-east-1/s3/aws4_request`,
      },
      field('X-Amz-Credential'),
      { perCharacter: 72 },
    );
    assertLinearWork(
      { 'a long date': (n) => '2'.repeat(n), 'a long expiry': (n) => '9'.repeat(n) },
      (value, work) => {
        field('X-Amz-Date')(value, work);
        field('X-Amz-Expires')(value, work);
      },
      { perCharacter: 48 },
    );
  });
});
