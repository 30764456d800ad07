// The checksum a presigned URL binds, held by the validator to what the request asked for
// (src/verify/checksum-headers.ts): URLs signed by a SigV4 signer with chosen headers, checked
// with the expectation the Presigner derives from the request's own fields.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Config } from '../../../src/config/config.js';
import { createPinnedS3 } from '../../../src/endpoint/s3-client.js';
import type { UrlCheckCode } from '../../../src/errors.js';
import { createPresigner } from '../../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../../src/presign/credentials.js';
import { FastSigner } from '../../../src/presign/fast-signer.js';
import { SdkSigner } from '../../../src/presign/sdk-signer.js';
import type { SigningRequest } from '../../../src/presign/url-signer.js';
import { validatePresignedUrl, validatorPolicy, type UrlExpectation } from '../../../src/verify/url-validator.js';
import { signingConfigFrom } from '../../fixtures/config.js';
import { EXAMPLE_CREDENTIALS as CREDENTIALS } from '../../fixtures/credentials.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const now = () => new Date(NOW.getTime());
const CRC64 = 'M3eFcAZSQlc=';
const SHA1 = '2jmj7l5rSw0yVb/vlWAYkK/YBwk=';

const configFrom = (env: Record<string, string> = {}): Config =>
  signingConfigFrom({ S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_BUCKETS: 'sums', ...env });
const config = configFrom();
const policy = validatorPolicy(config, now);
const s3 = createPinnedS3(config.mode, async () => CREDENTIALS);
after(() => s3.destroy());
const fast = new FastSigner(s3, { fallback: new SdkSigner(s3) });
before(async () => {
  await fast.sign({
    operation: 'get',
    bucket: 'sums',
    key: 'k',
    expiresIn: 1,
    signingDate: NOW,
    headers: {},
    credentials: CREDENTIALS,
  });
});

function signed(request: Partial<SigningRequest>): string {
  const url = fast.sign({
    operation: 'put',
    bucket: 'sums',
    key: 'a.bin',
    expiresIn: 600,
    signingDate: NOW,
    headers: {},
    credentials: CREDENTIALS,
    ...request,
  });
  assert.equal(typeof url, 'string');
  return url as string;
}

function codes(url: string, expectation: UrlExpectation): UrlCheckCode[] {
  return validatePresignedUrl(url, policy, { bucket: 'sums', key: 'a.bin', ...expectation }).failures.map(
    (failure) => failure.code,
  );
}

describe('the validator holds a URL to the checksum asked for', () => {
  const asked = { checksum: { algorithm: 'crc64nvme', value: CRC64 } as const, method: 'PUT' as const };

  it('passes a PUT that signs exactly the checksum asked for, with its value', () => {
    const headers = { 'x-amz-checksum-crc64nvme': CRC64 };
    assert.deepEqual(codes(signed({ headers }), { ...asked, headers }), []);
  });

  it('refuses a PUT without it, with another algorithm, or with two', () => {
    assert.deepEqual(codes(signed({}), asked), ['URL_CHECKSUM_MISSING']);
    assert.deepEqual(codes(signed({ headers: { 'x-amz-checksum-sha1': SHA1 } }), asked), [
      'URL_CHECKSUM_MISSING',
      'URL_CHECKSUM_MISMATCH',
    ]);
    const two = { 'x-amz-checksum-crc64nvme': CRC64, 'x-amz-checksum-sha1': SHA1 };
    assert.deepEqual(codes(signed({ headers: two }), { method: 'PUT' }), ['URL_CHECKSUM_MISMATCH']);
  });

  it('refuses a value other than the one asked for, or one that is no digest of its algorithm', () => {
    const other = { 'x-amz-checksum-crc64nvme': 'AAAAAAAAAAA=' };
    assert.deepEqual(codes(signed({ headers: other }), { ...asked, headers: other }), ['URL_CHECKSUM_MISMATCH']);
    const malformed = { 'x-amz-checksum-crc64nvme': 'AAAAAA==' };
    assert.deepEqual(codes(signed({ headers: malformed }), { method: 'PUT', headers: malformed }), [
      'URL_CHECKSUM_MISMATCH',
    ]);
  });

  it('a part URL is held to its part’s checksum the same way', () => {
    const part = { uploadId: 'u-1', partNumber: 3 };
    const expectation = {
      uploadPart: true,
      queryParameters: { partNumber: '3', uploadId: 'u-1' },
      checksum: { algorithm: 'sha1', value: SHA1 } as const,
    };
    const headers = { 'x-amz-checksum-sha1': SHA1 };
    assert.deepEqual(codes(signed({ operation: 'upload-part', part, headers }), { ...expectation, headers }), []);
    assert.deepEqual(codes(signed({ operation: 'upload-part', part }), expectation), ['URL_CHECKSUM_MISSING']);
  });

  it('a GET signs no checksum, and x-amz-checksum-mode when it asked for the stored one', () => {
    const mode = { 'x-amz-checksum-mode': 'ENABLED' };
    assert.deepEqual(
      codes(signed({ operation: 'get', headers: mode }), { method: 'GET', checksumMode: true, headers: mode }),
      [],
    );
    assert.deepEqual(codes(signed({ operation: 'get' }), { method: 'GET', checksumMode: true }), [
      'URL_CHECKSUM_MISSING',
    ]);
    const disabled = { 'x-amz-checksum-mode': 'DISABLED' };
    assert.deepEqual(codes(signed({ operation: 'get', headers: disabled }), { method: 'GET', headers: disabled }), [
      'URL_CHECKSUM_MISMATCH',
    ]);
    assert.deepEqual(
      codes(signed({ operation: 'get', headers: { 'x-amz-checksum-crc64nvme': CRC64 } }), { method: 'GET' }),
      ['URL_CHECKSUM_MISMATCH'],
    );
  });

  it('a GET of one part (partNumber, no uploadId) is held as a GET: checksum mode, the part asked for, no body checksum', () => {
    const mode = { 'x-amz-checksum-mode': 'ENABLED' };
    const part = { method: 'GET' as const, checksumMode: true, queryParameters: { partNumber: '2' } };
    assert.deepEqual(codes(signed({ operation: 'get', partNumber: 2, headers: mode }), { ...part, headers: mode }), []);
    assert.deepEqual(codes(signed({ operation: 'get', partNumber: 2 }), part), ['URL_CHECKSUM_MISSING']);
    assert.deepEqual(
      codes(signed({ operation: 'get', partNumber: 2, headers: { ...mode, 'x-amz-checksum-sha1': SHA1 } }), part),
      ['URL_CHECKSUM_MISMATCH'],
    );
    // Checked without the caller's word, x-id=GetObject says GET all the same.
    assert.deepEqual(
      codes(signed({ operation: 'get', partNumber: 2 }), { checksumMode: true, queryParameters: { partNumber: '2' } }),
      ['URL_CHECKSUM_MISSING'],
    );
  });
});

describe('the Presigner signs the request’s checksum with either engine', () => {
  for (const engine of ['fast', 'sdk'] as const) {
    it(`${engine}: a PUT and a part sign the checksum header, a GET the checksum mode`, async () => {
      const bundle = await createPresigner(configFrom({ PRESIGN_ENGINE: engine }), {
        credentials: staticCredentialSource(CREDENTIALS),
        now,
      });
      try {
        const put = await bundle.presigner.presign({
          operation: 'put',
          bucket: 'sums',
          key: 'a.bin',
          expiresIn: 60,
          checksumCrc64nvme: CRC64,
        });
        assert.deepEqual(put.headers, { 'x-amz-checksum-crc64nvme': CRC64 });
        assert.equal(new URL(put.url).searchParams.get('X-Amz-SignedHeaders'), 'host;x-amz-checksum-crc64nvme');
        const get = await bundle.presigner.presign({
          operation: 'get',
          bucket: 'sums',
          key: 'a.bin',
          expiresIn: 60,
          checksumMode: true,
        });
        assert.deepEqual(get.headers, { 'x-amz-checksum-mode': 'ENABLED' });
        assert.equal(new URL(get.url).searchParams.get('X-Amz-SignedHeaders'), 'host;x-amz-checksum-mode');
        const parts = await bundle.presigner.presignParts({
          bucket: 'sums',
          key: 'a.bin',
          uploadId: 'u-1',
          expiresIn: 60,
          parts: [{ partNumber: 1, contentLength: 5, checksum: { algorithm: 'sha1', value: SHA1 } }],
        });
        assert.deepEqual(parts.parts[0]?.headers, { 'content-length': '5', 'x-amz-checksum-sha1': SHA1 });
        assert.equal(
          new URL(parts.parts[0]!.url).searchParams.get('X-Amz-SignedHeaders'),
          'content-length;host;x-amz-checksum-sha1',
        );
      } finally {
        bundle.close();
      }
    });
  }
});
