// The validator's location checks, one at a time: scheme, host, addressing style, path and
// key, and how a URL from elsewhere is read for its bucket. Each refusal's code and message
// are written out here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndpointMode } from '../../../src/endpoint/endpoint-mode.js';
import { safeLocation } from '../../../src/verify/url-location.js';
import {
  describeMode,
  validatePresignedUrl,
  type UrlExpectation,
  type ValidatorPolicy,
} from '../../../src/verify/url-validator.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';
import { accelerateMode, customMode, interfaceMode, localMode, regionalMode } from '../../fixtures/endpoint-modes.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const LOCAL = localMode(4568, 'eu-west-1');
const REGIONAL = regionalMode('eu-west-1');
const PATH_STYLE = regionalMode('eu-west-1', { pathStyle: true });
const ACCELERATE = accelerateMode('eu-west-1');
const CUSTOM = customMode('https://storage.example.com/base', { region: 'eu-west-1', pathStyle: true });
const QUERY = [
  'X-Amz-Algorithm=AWS4-HMAC-SHA256',
  `X-Amz-Credential=${EXAMPLE_CREDENTIALS.accessKeyId}%2F20260301%2Feu-west-1%2Fs3%2Faws4_request`,
  'X-Amz-Date=20260301T120000Z',
  'X-Amz-Expires=900',
  `X-Amz-Signature=${'0123456789abcdef'.repeat(4)}`,
  'X-Amz-SignedHeaders=host',
].join('&');

/** The failures of `origin + path` with a valid query, as `CODE: message`. */
function failures(mode: EndpointMode, originAndPath: string, expectation: UrlExpectation = {}): string[] {
  const policy: ValidatorPolicy = { mode, maxExpiresSeconds: 3600, maxClockSkewSeconds: 300, now: () => NOW };
  return validatePresignedUrl(`${originAndPath}?${QUERY}`, policy, expectation).failures.map(
    (failure) => `${failure.code}: ${failure.message}`,
  );
}
const mine = { bucket: 'my-bucket', key: 'a.txt' };

describe('URLs in the right place', () => {
  it('pass in each addressing style', () => {
    assert.deepEqual(failures(LOCAL, 'http://127.0.0.1:4568/my-bucket/a.txt', mine), []);
    assert.deepEqual(failures(REGIONAL, 'https://my-bucket.s3.eu-west-1.amazonaws.com/a.txt', mine), []);
    assert.deepEqual(failures(PATH_STYLE, 'https://s3.eu-west-1.amazonaws.com/my-bucket/a.txt', mine), []);
    assert.deepEqual(failures(CUSTOM, 'https://storage.example.com/base/my-bucket/a.txt', mine), []);
  });
});

describe('the scheme and host', () => {
  it('are never the legacy global endpoint', () => {
    assert.deepEqual(failures(REGIONAL, 'https://my-bucket.s3.amazonaws.com/a.txt', mine), [
      'URL_GLOBAL_ENDPOINT: host my-bucket.s3.amazonaws.com is the legacy global S3 endpoint, never a pinned route',
    ]);
  });

  it('are the pinned scheme', () => {
    assert.deepEqual(failures(LOCAL, 'https://127.0.0.1:4568/my-bucket/a.txt', mine), [
      'URL_SCHEME: scheme must be http, got https',
    ]);
  });

  it('are the pinned host', () => {
    assert.deepEqual(failures(LOCAL, 'http://127.0.0.1:4569/my-bucket/a.txt', mine), [
      'URL_HOST: host must be 127.0.0.1:4568, got 127.0.0.1:4569',
    ]);
    assert.deepEqual(failures(REGIONAL, 'https://s3.eu-west-1.amazonaws.com/other-bucket/a.txt', mine), [
      'URL_HOST: host must be my-bucket.s3.eu-west-1.amazonaws.com, got s3.eu-west-1.amazonaws.com',
    ]);
  });

  it('name the addressing style when only the style is wrong', () => {
    assert.deepEqual(failures(REGIONAL, 'https://s3.eu-west-1.amazonaws.com/my-bucket/a.txt', mine), [
      'URL_ADDRESSING_STYLE: bucket "my-bucket" must be addressed virtual-hosted under the pinned regional mode (eu-west-1) (host my-bucket.s3.eu-west-1.amazonaws.com)',
    ]);
    assert.deepEqual(failures(PATH_STYLE, 'https://my-bucket.s3.eu-west-1.amazonaws.com/a.txt', mine), [
      'URL_ADDRESSING_STYLE: bucket "my-bucket" must be addressed path-style under the pinned regional mode (eu-west-1) (host s3.eu-west-1.amazonaws.com)',
    ]);
    assert.deepEqual(failures(ACCELERATE, 'https://s3-accelerate.amazonaws.com/my-bucket/a.txt', mine), [
      'URL_ADDRESSING_STYLE: bucket "my-bucket" must be addressed virtual-hosted under the pinned accelerate mode (host my-bucket.s3-accelerate.amazonaws.com)',
    ]);
    // By hand: production's local mode is always on 127.0.0.1 (the embedded store's address).
    const localhost: EndpointMode = { ...LOCAL, endpoint: new URL('http://localhost:4568') };
    assert.deepEqual(failures(localhost, 'http://my-bucket.localhost:4568/a.txt', mine), [
      'URL_ADDRESSING_STYLE: bucket "my-bucket" must be addressed path-style under the pinned local mode (http://localhost:4568) (host localhost:4568)',
    ]);
  });
});

describe('the path', () => {
  it('starts with the bucket’s prefix', () => {
    assert.deepEqual(failures(LOCAL, 'http://127.0.0.1:4568/ur-bucket/a.txt', mine), [
      'URL_PATH: path must start with /my-bucket/',
    ]);
  });

  it('is the key the service signed', () => {
    assert.deepEqual(failures(LOCAL, 'http://127.0.0.1:4568/my-bucket/b.txt', mine), [
      'URL_PATH: path must be /my-bucket/a.txt, got /my-bucket/b.txt',
    ]);
  });

  it('holds, in a URL from elsewhere, a key S3 would read back the same', () => {
    const bucketOnly = { bucket: 'my-bucket' };
    assert.deepEqual(failures(LOCAL, 'http://127.0.0.1:4568/my-bucket/a%ZZ.txt', bucketOnly), [
      'URL_PATH: the key in the path is not valid percent-encoding',
    ]);
    assert.deepEqual(failures(LOCAL, 'http://127.0.0.1:4568/my-bucket/a%2Etxt', bucketOnly), [
      'URL_PATH: the key is not encoded the way S3 expects: /my-bucket/a.txt',
    ]);
    assert.deepEqual(failures(LOCAL, 'http://127.0.0.1:4568/my-bucket/a/%2e%2E/b.txt', bucketOnly), [
      'URL_DOT_SEGMENT: a ".." path segment ("%2e%2E" at position 13): browsers, curl and urllib3 drop it with the segment before, other clients send it, so they request different buckets and keys',
    ]);
  });
});

describe('the key of a URL from elsewhere', () => {
  it('is refused by name of its problem, and not echoed back', () => {
    const bucketOnly = { bucket: 'my-bucket' };
    assert.deepEqual(failures(LOCAL, 'http://127.0.0.1:4568/my-bucket/a%0Ab.txt', bucketOnly), [
      'URL_KEY: object key must not contain control characters',
    ]);
  });
});

describe('the bucket allowlist', () => {
  const allowed = (allowedBuckets: string[]) => ({ allowedBuckets });
  it('passes a bucket on it', () => {
    assert.deepEqual(failures(LOCAL, 'http://127.0.0.1:4568/my-bucket/a.txt', allowed(['other', 'my-bucket'])), []);
  });

  it('refuses a bucket not on it, and still checks the rest of the URL', () => {
    assert.deepEqual(failures(REGIONAL, 'http://my-bucket.s3.eu-west-1.amazonaws.com/a.txt', allowed(['other'])), [
      'URL_BUCKET_NOT_ALLOWED: bucket "my-bucket" is not on the bucket allowlist (S3_BUCKETS)',
      'URL_SCHEME: scheme must be https, got http',
    ]);
  });
});

describe('a URL from elsewhere', () => {
  it('is read for its bucket from the path, the host or an access point', () => {
    assert.deepEqual(failures(LOCAL, 'http://127.0.0.1:4568/my-bucket/a.txt'), []);
    assert.deepEqual(failures(REGIONAL, 'https://my-bucket.s3.eu-west-1.amazonaws.com/a.txt'), []);
    assert.deepEqual(failures(CUSTOM, 'https://storage.example.com/base/my-bucket/a.txt'), []);
    assert.deepEqual(failures(REGIONAL, 'https://my-ap-123456789012.s3-accesspoint.eu-west-1.amazonaws.com/a.txt'), []);
  });

  it('is refused when no host or path of the pinned mode holds a bucket', () => {
    const notS3 = (mode: string) => `is not an S3 endpoint of the pinned ${mode}`;
    assert.deepEqual(failures(REGIONAL, 'https://a-very-long-host-name-evil.example.com/a.txt'), [
      `URL_HOST: host a-very-long-host-name-evil.example.com ${notS3('regional mode (eu-west-1)')}`,
    ]);
    // The bucket host suffix alone, with no bucket label before it.
    assert.deepEqual(failures(REGIONAL, 'https://.s3.eu-west-1.amazonaws.com/a.txt'), [
      `URL_HOST: host .s3.eu-west-1.amazonaws.com ${notS3('regional mode (eu-west-1)')}`,
    ]);
    assert.deepEqual(failures(REGIONAL, 'https://-123456789012.s3-accesspoint.eu-west-1.amazonaws.com/a.txt'), [
      `URL_HOST: host -123456789012.s3-accesspoint.eu-west-1.amazonaws.com ${notS3('regional mode (eu-west-1)')}`,
    ]);
    assert.deepEqual(failures(CUSTOM, 'https://storage.example.com/basement/my-bucket/a.txt'), [
      `URL_HOST: host storage.example.com ${notS3('custom mode (https://storage.example.com)')}`,
    ]);
    assert.deepEqual(failures(CUSTOM, 'https://storage.example.com/base/'), [
      `URL_HOST: host storage.example.com ${notS3('custom mode (https://storage.example.com)')}`,
    ]);
    assert.deepEqual(failures(LOCAL, 'http://127.0.0.1:4568/a%ZZ/b.txt'), [
      `URL_HOST: host 127.0.0.1:4568 ${notS3('local mode (http://127.0.0.1:4568)')}`,
    ]);
  });
});

describe('an error that is not about the bucket', () => {
  it('is thrown, not reported as a wrong host (only a caller that breaks the mode’s type gets one)', () => {
    // By hand: a mode without its partition, which no configuration builds.
    const noPartition = { kind: 'regional', region: 'eu-west-1', useFips: false } as unknown as EndpointMode;
    assert.throws(() => failures(noPartition, 'https://my-bucket.s3.eu-west-1.amazonaws.com/a.txt', mine), TypeError);
  });
});

describe('safeLocation', () => {
  it('is the expected location, or undefined where the mode cannot address the bucket', () => {
    assert.deepEqual(safeLocation(LOCAL, 'my-bucket'), {
      protocol: 'http:',
      host: '127.0.0.1:4568',
      pathPrefix: '/my-bucket',
      addressing: 'path-style',
      signingRegion: 'eu-west-1',
    });
    assert.equal(safeLocation(LOCAL, 'bad bucket!'), undefined);
  });
});

describe('describeMode', () => {
  it('names each mode the way an operator configured it', () => {
    assert.equal(describeMode(REGIONAL), 'regional mode (eu-west-1)');
    assert.equal(describeMode(regionalMode('eu-west-1', { fips: true })), 'regional mode (eu-west-1, FIPS)');
    assert.equal(
      describeMode(regionalMode('eu-west-1', { fips: true, dualstack: true })),
      'regional mode (eu-west-1, FIPS, dual-stack)',
    );
    assert.equal(describeMode(regionalMode('eu-west-1', { dualstack: true })), 'regional mode (eu-west-1, dual-stack)');
    assert.equal(
      describeMode(interfaceMode('us-east-1', { vpce: 'vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com' })),
      'interface mode (vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com)',
    );
    assert.equal(describeMode(ACCELERATE), 'accelerate mode');
    assert.equal(describeMode(accelerateMode('eu-west-1', { dualstack: true })), 'accelerate mode (dual-stack)');
    assert.equal(describeMode(CUSTOM), 'custom mode (https://storage.example.com)');
    assert.equal(describeMode(LOCAL), 'local mode (http://127.0.0.1:4568)');
  });
});
