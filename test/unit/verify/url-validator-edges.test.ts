// validatePresignedUrl on the inputs mutation testing showed no other test tells apart: a
// bucket of the same length in the path, a signed header swapped for another at the same
// count, a truncated scope terminator, path segments that are no bucket or no valid escape.
// Each URL differs from a valid one in one respect and must fail with exactly its own code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EndpointMode } from '../../../src/endpoint/endpoint-mode.js';
import type { UrlCheckCode } from '../../../src/errors.js';
import { GRANT_PARAMETER } from '../../../src/audit/grant-id.js';
import { validatePresignedUrl, type UrlExpectation, type ValidatorPolicy } from '../../../src/verify/url-validator.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';
import { LOCAL, regionalMode } from '../../fixtures/endpoint-modes.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const ACCESS_KEY = EXAMPLE_CREDENTIALS.accessKeyId;
const SIGNATURE = 'b2c4e6f8a0b2c4e6f8a0b2c4e6f8a0b2c4e6f8a0b2c4e6f8a0b2c4e6f8a0b2c4';

const REGIONAL_PATH_STYLE = regionalMode('eu-west-1', { pathStyle: true });

function policy(mode: EndpointMode): ValidatorPolicy {
  return { mode, maxExpiresSeconds: 3600, maxClockSkewSeconds: 300, now: () => new Date(NOW.getTime()) };
}

/** A SigV4 query, every part overridable as written on the wire (already encoded). */
function query(region: string, parts: { credential?: string; signedHeaders?: string } = {}): string {
  const credential = parts.credential ?? `${ACCESS_KEY}%2F20260301%2F${region}%2Fs3%2Faws4_request`;
  return [
    'X-Amz-Algorithm=AWS4-HMAC-SHA256',
    `X-Amz-Credential=${credential}`,
    'X-Amz-Date=20260301T120000Z',
    'X-Amz-Expires=900',
    `X-Amz-Signature=${SIGNATURE}`,
    `X-Amz-SignedHeaders=${parts.signedHeaders ?? 'host'}`,
  ].join('&');
}

function failureCodes(url: string, mode: EndpointMode, expectation?: UrlExpectation): UrlCheckCode[] {
  const report = validatePresignedUrl(url, policy(mode), expectation);
  assert.equal(report.valid, report.failures.length === 0);
  // Each code is reported once with how often it failed: one entry per failure here.
  return report.failures.flatMap((failure) => Array<UrlCheckCode>(failure.count).fill(failure.code)).sort();
}

describe('path-style URLs name the expected bucket, not one of the same length', () => {
  const cases = [
    { mode: LOCAL, origin: 'http://127.0.0.1:4568', region: 'us-east-1' },
    { mode: REGIONAL_PATH_STYLE, origin: 'https://s3.eu-west-1.amazonaws.com', region: 'eu-west-1' },
  ];
  for (const { mode, origin, region } of cases) {
    it(`${mode.kind}: /ur-bucket/a.txt for bucket my-bucket → URL_PATH`, () => {
      const q = query(region);
      assert.deepEqual(failureCodes(`${origin}/my-bucket/a.txt?${q}`, mode, { bucket: 'my-bucket', key: 'a.txt' }), []);
      assert.deepEqual(failureCodes(`${origin}/ur-bucket/a.txt?${q}`, mode, { bucket: 'my-bucket', key: 'a.txt' }), [
        'URL_PATH',
      ]);
      assert.deepEqual(failureCodes(`${origin}/ur-bucket/a.txt?${q}`, mode, { bucket: 'my-bucket' }), ['URL_PATH']);
      assert.deepEqual(failureCodes(`${origin}/my-bucketa.txt?${q}`, mode, { bucket: 'my-bucket' }), ['URL_PATH']);
      assert.deepEqual(failureCodes(`${origin}/my-bucket?${q}`, mode, { bucket: 'my-bucket' }), ['URL_PATH']);
    });
  }
});

describe('signed headers are exactly host and the ones the caller was told to send', () => {
  const origin = 'http://127.0.0.1:4568/my-bucket/a.txt';
  const check = (signedHeaders: string, expectation?: UrlExpectation) =>
    failureCodes(`${origin}?${query('us-east-1', { signedHeaders })}`, LOCAL, expectation);
  const toldContentType = { bucket: 'my-bucket', key: 'a.txt', signedHeaders: ['content-type'] };

  it('content-type;host is accepted where content-type was asked for, host or not in the list', () => {
    assert.deepEqual(check('content-type%3Bhost', toldContentType), []);
    assert.deepEqual(check('content-type%3Bhost', { signedHeaders: ['host', 'content-type'] }), []);
    assert.deepEqual(check('content-type%3Bhost', { signedHeaders: ['content-type', 'content-type'] }), []);
    assert.deepEqual(check('host', { signedHeaders: ['host'] }), []);
    assert.deepEqual(check('host', { signedHeaders: [] }), []);
  });

  it('another header in place of the one asked for, at the same count → URL_SIGNED_HEADERS', () => {
    assert.deepEqual(check('host%3Bx-amz-acl', toldContentType), ['URL_SIGNED_HEADERS', 'URL_SIGNED_HEADERS']);
    assert.deepEqual(check('content-md5%3Bhost', toldContentType), ['URL_SIGNED_HEADERS', 'URL_SIGNED_HEADERS']);
  });

  it('one header missing or one too many → URL_SIGNED_HEADERS', () => {
    assert.deepEqual(check('host', toldContentType), ['URL_SIGNED_HEADERS']);
    assert.deepEqual(check('content-type%3Bhost%3Bx-amz-acl', toldContentType), ['URL_SIGNED_HEADERS']);
    assert.deepEqual(check('content-type', toldContentType), ['URL_SIGNED_HEADERS', 'URL_SIGNED_HEADERS']);
    assert.deepEqual(check('content-type%3Bhost', { signedHeaders: [] }), ['URL_SIGNED_HEADERS']);
  });

  it('an upper-case name among several → URL_SIGNED_HEADERS, even where it sorts first', () => {
    assert.deepEqual(check('X-Foo%3Bhost'), ['URL_SIGNED_HEADERS']);
    assert.deepEqual(check('host%3BX-Foo'), ['URL_SIGNED_HEADERS']);
    assert.deepEqual(check('content-type%3Bhost%3Bx_foo'), ['URL_SIGNED_HEADERS']);
  });

  it('a header named twice → URL_SIGNED_HEADERS', () => {
    assert.deepEqual(check('host%3Bhost'), ['URL_SIGNED_HEADERS']);
    assert.deepEqual(check('content-type%3Bcontent-type%3Bhost', toldContentType), ['URL_SIGNED_HEADERS']);
  });

  it('an empty list, an empty name, or no list at all → URL_SIGNED_HEADERS', () => {
    assert.deepEqual(check(''), ['URL_SIGNED_HEADERS']);
    assert.deepEqual(check('%3Bhost'), ['URL_SIGNED_HEADERS']);
    const withoutList = `${origin}?${query('us-east-1').replace(/&X-Amz-SignedHeaders=host$/, '')}`;
    assert.deepEqual(failureCodes(withoutList, LOCAL), ['URL_SIGNED_HEADERS']);
  });
});

describe('the credential scope ends in exactly /s3/aws4_request', () => {
  const url = (credential: string) => `http://127.0.0.1:4568/my-bucket/a.txt?${query('us-east-1', { credential })}`;
  const scope = (tail: string) => `${ACCESS_KEY}%2F20260301%2Fus-east-1%2F${tail}`;

  it('the exact terminator passes', () => {
    assert.deepEqual(failureCodes(url(scope('s3%2Faws4_request')), LOCAL), []);
  });

  for (const tail of [
    's3%2Faws4_reques',
    's3%2Faws4_requests',
    's3%2FAWS4_REQUEST',
    's3%2Faws4',
    'sts%2Faws4_request',
    'S3%2Faws4_request',
    's3%2Faws4_request%2F',
    's3',
  ]) {
    it(`…/${decodeURIComponent(tail)} → URL_CREDENTIAL_SCOPE`, () => {
      assert.deepEqual(failureCodes(url(scope(tail)), LOCAL), ['URL_CREDENTIAL_SCOPE']);
    });
  }

  it('a scope date other than X-Amz-Date’s day → URL_CREDENTIAL_SCOPE', () => {
    const credential = `${ACCESS_KEY}%2F20260228%2Fus-east-1%2Fs3%2Faws4_request`;
    assert.deepEqual(failureCodes(url(credential), LOCAL), ['URL_CREDENTIAL_SCOPE']);
  });
});

describe('paths that are no bucket or no valid escape are reported, never thrown', () => {
  const cases = [
    { mode: LOCAL, origin: 'http://127.0.0.1:4568', region: 'us-east-1' },
    { mode: REGIONAL_PATH_STYLE, origin: 'https://s3.eu-west-1.amazonaws.com', region: 'eu-west-1' },
  ];
  for (const { mode, origin, region } of cases) {
    it(`${mode.kind}: a first segment that is no bucket name → URL_HOST`, () => {
      for (const segment of ['Bad_Bucket!', '%ZZ', 'a%2Fb', 'b%20b']) {
        assert.deepEqual(failureCodes(`${origin}/${segment}/a.txt?${query(region)}`, mode), ['URL_HOST'], segment);
      }
      assert.deepEqual(failureCodes(`${origin}//a.txt?${query(region)}`, mode), ['URL_HOST']);
    });

    it(`${mode.kind}: a key with a broken escape → URL_PATH`, () => {
      for (const key of ['a%ZZ.txt', 'dir/a%E0%A4%A.txt', '%']) {
        assert.deepEqual(failureCodes(`${origin}/my-bucket/${key}?${query(region)}`, mode), ['URL_PATH'], key);
      }
    });
  }
});

describe('a GET of one part: partNumber without uploadId, on a URL checked as a GET', () => {
  const origin = 'https://s3.eu-west-1.amazonaws.com/my-bucket/big.bin';
  const codes = (parameters: string, expectation: UrlExpectation = {}) =>
    failureCodes(`${origin}?${parameters}&${query('eu-west-1')}`, REGIONAL_PATH_STYLE, expectation);

  it('part numbers 1 to 10,000, as S3 reads them and the service writes them, pass', () => {
    for (const value of ['1', '2', '999', '10000']) {
      assert.deepEqual(codes(`partNumber=${value}&x-id=GetObject`), [], value);
      assert.deepEqual(codes(`partNumber=${value}`, { method: 'GET' }), [], value);
    }
  });

  it('each refusal says why, naming the parameter', () => {
    const messages = (parameters: string, expectation: UrlExpectation = {}) =>
      validatePresignedUrl(
        `${origin}?${parameters}&${query('eu-west-1')}`,
        policy(REGIONAL_PATH_STYLE),
        expectation,
      ).failures.map((failure) => failure.message);
    assert.deepEqual(messages('partNumber=03&x-id=GetObject'), [
      'query parameter partNumber must be a part number, 1..10000, got 03',
    ]);
    assert.deepEqual(messages('partNumber=2'), [
      'query parameter partNumber without uploadId is a GET of one part, but the URL is not checked as a GET (x-id=GetObject, or verify it with method GET)',
    ]);
  });

  it('any other value is URL_UNEXPECTED_PARAMETER: past 10,000, zero, a leading zero, an exponent, a sign, empty', () => {
    for (const value of ['10001', '99999', '100000', '0', '03', '1e3', '-1', '+1', '', 'x', '1.0', ' 1']) {
      assert.deepEqual(
        codes(`partNumber=${encodeURIComponent(value)}&x-id=GetObject`),
        ['URL_UNEXPECTED_PARAMETER'],
        value,
      );
    }
  });

  it('not checked as a GET, a part number is not a part GET: a PUT, x-id PutObject, or neither x-id nor a method', () => {
    assert.deepEqual(codes('partNumber=2', { method: 'PUT' }), ['URL_UNEXPECTED_PARAMETER']);
    assert.deepEqual(codes('partNumber=2&x-id=PutObject'), ['URL_UNEXPECTED_PARAMETER']);
    assert.deepEqual(codes('partNumber=2'), ['URL_UNEXPECTED_PARAMETER']);
    // The method said decides over the SDK's x-id (which is then refused for naming the other).
    assert.deepEqual(codes('partNumber=2&x-id=GetObject', { method: 'PUT' }), [
      'URL_UNEXPECTED_PARAMETER',
      'URL_UNEXPECTED_PARAMETER',
    ]);
    assert.deepEqual(codes('partNumber=2&x-id=PutObject', { method: 'GET' }), ['URL_UNEXPECTED_PARAMETER']);
  });

  it('beside an uploadId, or when the parameters were asked for, a part number is judged as before', () => {
    // An upload's part URL that nobody asked for: both of its parameters are refused.
    assert.deepEqual(codes('partNumber=2&uploadId=abc&x-id=GetObject'), [
      'URL_UNEXPECTED_PARAMETER',
      'URL_UNEXPECTED_PARAMETER',
    ]);
    assert.deepEqual(codes('partNumber=2&x-id=GetObject', { queryParameters: { partNumber: '2' } }), []);
    assert.deepEqual(codes('partNumber=3&x-id=GetObject', { queryParameters: { partNumber: '2' } }), [
      'URL_MISSING_PARAMETER',
      'URL_UNEXPECTED_PARAMETER',
    ]);
  });
});

describe("the grant id (x-s3p-grant) is the service's own parameter, not one to refuse", () => {
  const origin = 'https://s3.eu-west-1.amazonaws.com/my-bucket/a.txt';
  const grant = '0f8e2a4c-9b1d-4c3e-8f7a-6b5d4c3e2f1a';

  it('on a URL from elsewhere, a grant id passes and is reported; another shape is URL_GRANT', () => {
    const url = `${origin}?${GRANT_PARAMETER}=${grant}&${query('eu-west-1')}`;
    const report = validatePresignedUrl(url, policy(REGIONAL_PATH_STYLE));
    assert.deepEqual(report.failures, []);
    assert.equal(report.grant, grant);
    assert.deepEqual(failureCodes(`${origin}?${GRANT_PARAMETER}=G&${query('eu-west-1')}`, REGIONAL_PATH_STYLE), [
      'URL_GRANT',
    ]);
  });

  it('on the service’s own URL, exactly the grant it signed, even where the parameters were asked for', () => {
    const url = `${origin}?${GRANT_PARAMETER}=${grant}&${query('eu-west-1')}`;
    assert.deepEqual(failureCodes(url, REGIONAL_PATH_STYLE, { grant, queryParameters: {} }), []);
    assert.equal(validatePresignedUrl(url, policy(REGIONAL_PATH_STYLE), { grant }).grant, grant);
  });

  it('each refusal of a grant says why: missing, another grant, not a grant id', () => {
    const messages = (parameters: string, expectation: UrlExpectation = {}) => {
      const report = validatePresignedUrl(
        `${origin}?${parameters}${query('eu-west-1')}`,
        policy(REGIONAL_PATH_STYLE),
        expectation,
      );
      assert.equal(report.grant, undefined, 'a refused grant is not reported');
      return report.failures.map((failure) => `${failure.code}: ${failure.message}`);
    };
    const other = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
    assert.deepEqual(messages('', { grant }), [`URL_GRANT: the URL lacks its grant id (${GRANT_PARAMETER})`]);
    assert.deepEqual(messages(`${GRANT_PARAMETER}=${other}&`, { grant }), [
      `URL_GRANT: ${GRANT_PARAMETER} is not the grant the URL was signed for`,
    ]);
    assert.deepEqual(messages(`${GRANT_PARAMETER}=${grant.toUpperCase()}&`), [
      `URL_GRANT: ${GRANT_PARAMETER} must be a grant id (a lowercase version 4 UUID)`,
    ]);
    assert.deepEqual(messages(''), []);
  });
});
