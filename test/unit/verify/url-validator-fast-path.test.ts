// The validator's shortcuts must not loosen it: a URL is only ever accepted when WHATWG URL
// parsing gives exactly the expected scheme and host, whatever the spelling of its origin;
// cached locations are shared read-only; and query parameter names that exist on
// Object.prototype are ordinary unexpected parameters, not a crash.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import type { EndpointMode } from '../../../src/endpoint/endpoint-mode.js';
import { BucketAddressError, expectedLocation, modeHosts } from '../../../src/endpoint/expected-location.js';
import { encodeObjectKey } from '../../../src/endpoint/s3-uri-encoding.js';
import { validatePresignedUrl, type ValidatorPolicy } from '../../../src/verify/url-validator.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';
import { customMode, LOCAL, localMode, regionalMode } from '../../fixtures/endpoint-modes.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const SIGNATURE = 'f9ecf9e6409b391afb0a12400f56799eb07216657de209521ad0495c684f4b4d';

/** A mode object of its own: the location caches are per mode. */
const regional = () => regionalMode('eu-west-1');

const MODES: EndpointMode[] = [
  regional(),
  customMode('https://minio.internal:9000'),
  customMode('http://10.0.0.5:9000/base', { pathStyle: true }),
  LOCAL,
];

/**
 * Modes config never builds: an endpoint written as URL parsing would not leave it (a default
 * port, a leading zero, IPv4 shorthand, a port out of range). Their expected host is never what
 * a URL parses to, so no URL may pass for it, shortcut or not.
 */
function handBuilt(protocol: 'http:' | 'https:', host: string): EndpointMode {
  const endpoint = { protocol, host, hostname: host.replace(/:\d+$/, ''), pathname: '/' } as URL;
  return { kind: 'custom', region: 'us-east-1', endpoint, forcePathStyle: true };
}

const NON_CANONICAL_MODES: EndpointMode[] = [
  handBuilt('https:', 'minio.internal:443'),
  handBuilt('http:', 'minio.internal:80'),
  handBuilt('https:', 'minio.internal:09000'),
  handBuilt('http:', '127.1:4568'),
  handBuilt('https:', 'minio.internal:99999'),
];

const policyFor = (mode: EndpointMode): ValidatorPolicy => ({
  mode,
  maxExpiresSeconds: 3600,
  maxClockSkewSeconds: 300,
  now: () => NOW,
});

function query(extra = ''): string {
  return (
    '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD' +
    `&X-Amz-Credential=${EXAMPLE_CREDENTIALS.accessKeyId}%2F20260301%2F${'REGION'}%2Fs3%2Faws4_request` +
    `&X-Amz-Date=20260301T120000Z&X-Amz-Expires=900&X-Amz-Signature=${SIGNATURE}` +
    `&X-Amz-SignedHeaders=host&x-id=GetObject${extra}`
  );
}

function validUrl(mode: EndpointMode, bucket: string, key: string, extra = ''): string {
  const location = expectedLocation(mode, bucket);
  return (
    `${location.protocol}//${location.host}${location.pathPrefix}/${encodeObjectKey(key)}` +
    query(extra).replace('REGION', location.signingRegion)
  );
}

const expectation = (bucket: string, key: string) => ({
  bucket,
  key,
  signedHeaders: [],
  queryParameters: {},
  accessKeyId: EXAMPLE_CREDENTIALS.accessKeyId,
  temporaryCredentials: false,
  fresh: true,
});

describe('validatePresignedUrl: the origin shortcut never loosens a check', () => {
  it('accepts the canonical URL in every mode', () => {
    for (const mode of MODES) {
      const url = validUrl(mode, 'my-bucket', 'a b/c.txt');
      assert.deepEqual(validatePresignedUrl(url, policyFor(mode), expectation('my-bucket', 'a b/c.txt')).failures, []);
    }
  });

  it('any other spelling of the scheme or authority is judged by full URL parsing', () => {
    const origins = (host: string, protocol: string) =>
      fc.oneof(
        fc.constant(`${protocol}//${host}`),
        fc.constant(`${protocol.toUpperCase()}//${host}`),
        fc.constant(`${protocol}//${host.toUpperCase()}`),
        fc.constant(`${protocol}//${host}.`),
        fc.constant(`${protocol}//${host}:`),
        fc.constant(`${protocol}//${host.replace(/:\d+$/, '')}:${protocol === 'https:' ? 443 : 80}`),
        fc.constant(`${protocol}//${host}:0${host.split(':')[1] ?? '443'}`),
        fc.constant(`${protocol}//user:pass@${host}`),
        fc.constant(`${protocol}//@${host}`),
        fc.constant(`${protocol}//${host}\t`),
        fc.constant(`${protocol === 'https:' ? 'http:' : 'https:'}//${host}`),
        fc.constant(`${protocol}/${host}`),
        fc.constant(`${protocol}\\\\${host}`),
        fc.constant(`${protocol}//${host}%2e`),
        fc.constant(`${protocol}//${host.replace('.', '%2E')}`),
        fc.constant(`${protocol}//${host}\\`),
      );
    fc.assert(
      fc.property(
        fc.constantFrom(...MODES, ...NON_CANONICAL_MODES).chain((mode) => {
          const location = expectedLocation(mode, 'my-bucket');
          return fc.tuple(fc.constant(mode), origins(location.host, location.protocol));
        }),
        ([mode, origin]) => {
          const location = expectedLocation(mode, 'my-bucket');
          const url = `${origin}${location.pathPrefix}/k${query().replace('REGION', location.signingRegion)}`;
          const report = validatePresignedUrl(url, policyFor(mode), expectation('my-bucket', 'k'));
          if (report.valid) {
            const parsed = new URL(url);
            assert.equal(parsed.protocol, location.protocol, url);
            assert.equal(parsed.host, location.host, url);
            assert.equal(parsed.username + parsed.password, '', url);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('the other scheme is judged by full URL parsing, even on the expected authority', () => {
    // The port is the default of http, not of the pinned https: URL parsing drops it.
    const mode = customMode('https://minio.internal:80', { pathStyle: true });
    const location = expectedLocation(mode, 'my-bucket');
    assert.equal(location.host, 'minio.internal:80');
    const url = `http://${location.host}${location.pathPrefix}/k${query().replace('REGION', 'us-east-1')}`;
    const report = validatePresignedUrl(url, policyFor(mode), expectation('my-bucket', 'k'));
    assert.deepEqual(
      report.failures.map(({ code, message }) => [code, message]),
      [['URL_NOT_CANONICAL', 'the authority "minio.internal:80" is not canonical: it is read as "minio.internal"']],
    );
  });

  it('a bucket the mode cannot address is a failure, not a crash', () => {
    const mode = regional();
    const url = validUrl(mode, 'my-bucket', 'k');
    for (const [bucket, message] of <Array<[string, string]>>[
      [
        'Bad_Bucket!',
        'bucket "Bad_Bucket!" is not a valid S3 bucket name (1-255 of A-Z a-z 0-9 . _ -) or access-point ARN',
      ],
      [
        'arn:aws:s3:us-west-2:123456789012:accesspoint/ap',
        'access point "arn:aws:s3:us-west-2:123456789012:accesspoint/ap" is in region us-west-2, the service is pinned to eu-west-1',
      ],
    ]) {
      const report = validatePresignedUrl(url, policyFor(mode), expectation(bucket, 'k'));
      assert.deepEqual(
        report.failures.map(({ code, message }) => [code, message]),
        [['URL_HOST', message]],
        bucket,
      );
    }
  });

  it('an uppercase access-point name is never accepted, though the expected host spells it so', () => {
    const mode = regional();
    const bucket = 'arn:aws:s3:eu-west-1:123456789012:accesspoint/MyAP';
    const location = expectedLocation(mode, bucket);
    assert.match(location.host, /^MyAP-/);
    const url = `${location.protocol}//${location.host}/k${query().replace('REGION', 'eu-west-1')}`;
    const report = validatePresignedUrl(url, policyFor(mode), expectation(bucket, 'k'));
    assert.equal(report.valid, false);
    assert.deepEqual(
      report.failures.map((failure) => failure.code),
      ['URL_NOT_CANONICAL'],
    );
  });
});

describe('validatePresignedUrl: query parameter names from Object.prototype', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    it(`?${name}=… is an unexpected parameter, not a crash`, () => {
      const mode = regional();
      const url = validUrl(mode, 'my-bucket', 'k', `&${name}=x`);
      for (const expected of [{}, expectation('my-bucket', 'k')]) {
        const report = validatePresignedUrl(url, policyFor(mode), expected);
        assert.equal(report.valid, false);
        assert.deepEqual(
          report.failures.map((failure) => failure.code),
          ['URL_UNEXPECTED_PARAMETER'],
        );
      }
    });
  }
});

describe('expectedLocation and modeHosts caches', () => {
  it('share one frozen answer per mode and bucket', () => {
    const mode = regional();
    const first = expectedLocation(mode, 'my-bucket');
    assert.equal(expectedLocation(mode, 'my-bucket'), first);
    assert.ok(Object.isFrozen(first));
    assert.throws(() => {
      (first as { host: string }).host = 'evil.example.com';
    }, TypeError);
    assert.equal(expectedLocation(mode, 'my-bucket').host, 'my-bucket.s3.eu-west-1.amazonaws.com');
    assert.ok(Object.isFrozen(modeHosts(mode)));
    assert.equal(modeHosts(mode), modeHosts(mode));
  });

  it('keep modes apart', () => {
    const virtual = regional();
    const pathStyle: EndpointMode = { ...virtual, forcePathStyle: true };
    assert.equal(expectedLocation(virtual, 'my-bucket').addressing, 'virtual-hosted');
    assert.equal(expectedLocation(pathStyle, 'my-bucket').addressing, 'path-style');
  });

  it('refuse a bucket every time, each with its own error', () => {
    const mode = localMode(4568);
    const bucket = 'arn:aws:s3:us-east-1:123456789012:accesspoint/ap';
    let first: unknown;
    let second: unknown;
    assert.throws(
      () => expectedLocation(mode, bucket),
      (error) => ((first = error), error instanceof BucketAddressError),
    );
    assert.throws(
      () => expectedLocation(mode, bucket),
      (error) => ((second = error), error instanceof BucketAddressError),
    );
    assert.notEqual(first, second);
    assert.equal((first as Error).message, (second as Error).message);
  });
});
