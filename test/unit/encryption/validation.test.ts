// Server-side encryption through the Presigner and the validators: what a PUT URL and a form
// carry in an S3_SSE* configuration, and every way a URL or form from elsewhere (POST /verify)
// can lack the headers or name another key. The validator derives the required headers from
// the configuration itself: a presigner that forgets them is refused, not trusted.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Config } from '../../../src/config/config.js';
import { createPinnedS3 } from '../../../src/endpoint/s3-client.js';
import { AppError, type UrlCheckCode } from '../../../src/errors.js';
import { createPresigner } from '../../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../../src/presign/credentials.js';
import { FastSigner } from '../../../src/presign/fast-signer.js';
import { PostPolicySigner } from '../../../src/presign/post-policy-signer.js';
import { Presigner, type RejectedRequest } from '../../../src/presign/presigner.js';
import { SdkSigner } from '../../../src/presign/sdk-signer.js';
import type { SigningRequest } from '../../../src/presign/url-signer.js';
import { validatePostPolicy, type PostPolicyExpectation } from '../../../src/verify/post-policy-validator.js';
import {
  validatePresignedUrl,
  validatorPolicy,
  type UrlExpectation,
  type ValidationReport,
} from '../../../src/verify/url-validator.js';
import { signingConfigFrom } from '../../fixtures/config.js';
import { EXAMPLE_CREDENTIALS as CREDENTIALS } from '../../fixtures/credentials.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const now = () => new Date(NOW.getTime());
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/99999999-12ab-34cd-56ef-1234567890ab';

const configFrom = (env: Record<string, string>): Config =>
  signingConfigFrom({
    S3_ENDPOINT_MODE: 'regional',
    S3_REGION: 'eu-west-1',
    S3_BUCKETS: 'kms-bucket,aes-bucket,plain-bucket',
    ...env,
  });

const config = configFrom({
  S3_SSE: 'aws:kms',
  S3_SSE_KMS_KEY_ID: KEY,
  S3_SSE_BUCKET_KEY: 'true',
  S3_SSE_BUCKETS: JSON.stringify({ 'aes-bucket': { sse: 'AES256' }, 'plain-bucket': null }),
});
const policy = validatorPolicy(config, now);
const KMS_HEADERS = {
  'x-amz-server-side-encryption': 'aws:kms',
  'x-amz-server-side-encryption-aws-kms-key-id': KEY,
  'x-amz-server-side-encryption-bucket-key-enabled': 'true',
};

const s3 = createPinnedS3(config.mode, async () => CREDENTIALS);
after(() => s3.destroy());
const fast = new FastSigner(s3, { fallback: new SdkSigner(s3) });

/** A URL as any SigV4 signer would make it, with exactly these headers signed. */
function signed(request: Partial<SigningRequest>): string {
  const url = fast.sign({
    operation: 'put',
    bucket: 'kms-bucket',
    key: 'uploads/report.pdf',
    expiresIn: 600,
    signingDate: NOW,
    headers: {},
    credentials: CREDENTIALS,
    ...request,
  });
  assert.equal(typeof url, 'string', 'the bucket’s route is resolved (before)');
  return url as string;
}
// Only a bucket's first URL waits for its route: resolved here, every URL below is signed at once.
before(async () => {
  for (const bucket of config.buckets)
    await fast.sign({
      operation: 'get',
      bucket,
      key: 'k',
      expiresIn: 1,
      signingDate: NOW,
      headers: {},
      credentials: CREDENTIALS,
    });
});

function codes(report: ValidationReport): UrlCheckCode[] {
  return report.failures.map((failure) => failure.code);
}

function check(url: string, expectation: UrlExpectation = {}): ValidationReport {
  return validatePresignedUrl(url, policy, expectation);
}

describe('the Presigner signs the configured encryption into every upload', () => {
  it('a PUT URL signs the bucket’s encryption headers and returns them to send', async () => {
    const bundle = await createPresigner(config, { credentials: staticCredentialSource(CREDENTIALS), now });
    try {
      const kms = await bundle.presigner.presign({
        operation: 'put',
        bucket: 'kms-bucket',
        key: 'a.txt',
        expiresIn: 60,
        contentType: 'text/plain',
      });
      assert.deepEqual(kms.headers, { 'content-type': 'text/plain', ...KMS_HEADERS });
      assert.equal(
        new URL(kms.url).searchParams.get('X-Amz-SignedHeaders'),
        'content-type;host;x-amz-server-side-encryption;x-amz-server-side-encryption-aws-kms-key-id;x-amz-server-side-encryption-bucket-key-enabled',
      );
      const aes = await bundle.presigner.presign({ operation: 'put', bucket: 'aes-bucket', key: 'a', expiresIn: 60 });
      assert.deepEqual(aes.headers, { 'x-amz-server-side-encryption': 'AES256' });
      const plain = await bundle.presigner.presign({
        operation: 'put',
        bucket: 'plain-bucket',
        key: 'a',
        expiresIn: 60,
      });
      assert.deepEqual(plain.headers, {});
      // A GET and a part carry none: S3 refuses encryption headers there.
      const get = await bundle.presigner.presign({ operation: 'get', bucket: 'kms-bucket', key: 'a', expiresIn: 60 });
      assert.deepEqual(get.headers, {});
      const parts = await bundle.presigner.presignParts({
        bucket: 'kms-bucket',
        key: 'a',
        uploadId: 'upload-1',
        expiresIn: 60,
        parts: [{ partNumber: 1, contentLength: 5 }],
      });
      assert.deepEqual(parts.parts[0]?.headers, { 'content-length': '5' });
    } finally {
      bundle.close();
    }
  });

  it('a form policy sends them as fields, each with an exact condition', async () => {
    const bundle = await createPresigner(config, { credentials: staticCredentialSource(CREDENTIALS), now });
    try {
      const form = await bundle.presigner.presignPost({
        bucket: 'kms-bucket',
        key: 'a.png',
        contentType: 'image/png',
        contentLengthRange: [1, 10],
        expiresIn: 60,
      });
      for (const [name, value] of Object.entries(KMS_HEADERS)) assert.equal(form.fields[name], value);
      const conditions = JSON.parse(Buffer.from(form.fields.Policy as string, 'base64').toString()).conditions;
      for (const [name, value] of Object.entries(KMS_HEADERS))
        assert.deepEqual(
          conditions.filter((c: object) => name in c),
          [{ [name]: value }],
        );
    } finally {
      bundle.close();
    }
  });

  it("a request's own server headers (tagging, metadata) are signed and returned beside the bucket's", async () => {
    const bundle = await createPresigner(config, { credentials: staticCredentialSource(CREDENTIALS), now });
    try {
      const own = { 'x-amz-tagging': 'source=cli', 'x-amz-meta-uploaded-by': 'billing' };
      const put = await bundle.presigner.presign({
        operation: 'put',
        bucket: 'kms-bucket',
        key: 'a',
        expiresIn: 60,
        serverHeaders: own,
      });
      assert.deepEqual(put.headers, { ...own, ...KMS_HEADERS });
      const form = await bundle.presigner.presignPost({
        bucket: 'aes-bucket',
        key: 'a',
        contentType: 'a/b',
        contentLengthRange: [0, 1],
        expiresIn: 60,
        serverFields: own,
      });
      assert.equal(form.fields['x-amz-meta-uploaded-by'], 'billing');
      // The configuration's headers are not the request's to change; the request's fields bind the rest.
      for (const clash of [
        { 'x-amz-server-side-encryption': 'AES256' },
        { 'content-type': 'a/b' },
        { 'X-Amz-Tagging': 'a=b' },
      ] as Array<Record<string, string>>) {
        await assert.rejects(
          bundle.presigner.presign({
            operation: 'put',
            bucket: 'kms-bucket',
            key: 'a',
            expiresIn: 60,
            serverHeaders: clash,
          }),
          TypeError,
        );
      }
    } finally {
      bundle.close();
    }
  });

  it('a presigner that forgets the encryption is refused by the validator, which reads the configuration', async () => {
    const rejected: Array<{ report: ValidationReport; request: RejectedRequest }> = [];
    const forgetful = new Presigner({
      mode: config.mode,
      s3,
      credentials: staticCredentialSource(CREDENTIALS),
      policy,
      onRejected: (report, request) => rejected.push({ report, request }),
      // no uploadHeaders: it signs none
    });
    await assert.rejects(
      forgetful.presign({ operation: 'put', bucket: 'kms-bucket', key: 'a', expiresIn: 60 }),
      (error: unknown) =>
        error instanceof AppError && error.code === 'URL_ENCRYPTION_MISSING' && error.statusCode === 500,
    );
    await assert.rejects(
      forgetful.presignPost({
        bucket: 'aes-bucket',
        key: 'a',
        contentType: 'a/b',
        contentLengthRange: [0, 1],
        expiresIn: 60,
      }),
      (error: unknown) => error instanceof AppError && error.code === 'URL_ENCRYPTION_MISSING',
    );
    assert.deepEqual(
      rejected.map((entry) => codes(entry.report)),
      [['URL_ENCRYPTION_MISSING'], ['URL_ENCRYPTION_MISSING']],
    );
    // The bucket without encryption still gets its URLs.
    await forgetful.presign({ operation: 'put', bucket: 'plain-bucket', key: 'a', expiresIn: 60 });
  });
});

describe('the URL validator holds PUT URLs to the configured encryption', () => {
  it('a PUT URL that signs exactly the configured headers is valid, told or not what they say', () => {
    const url = signed({ headers: KMS_HEADERS });
    assert.deepEqual(codes(check(url)), []);
    assert.deepEqual(codes(check(url, { headers: KMS_HEADERS, method: 'PUT' })), []);
  });

  it('a PUT URL without them → URL_ENCRYPTION_MISSING, naming what is missing', () => {
    const report = check(signed({ headers: { 'content-type': 'text/plain' } }));
    assert.deepEqual(codes(report), ['URL_ENCRYPTION_MISSING']);
    assert.match(
      report.failures[0]?.message ?? '',
      /^the URL does not sign x-amz-server-side-encryption, x-amz-server-side-encryption-aws-kms-key-id, x-amz-server-side-encryption-bucket-key-enabled: bucket kms-bucket's uploads carry aws:kms with key ar/,
    );
    // Only the key missing: still refused.
    const { 'x-amz-server-side-encryption-aws-kms-key-id': _key, ...withoutKey } = KMS_HEADERS;
    assert.deepEqual(codes(check(signed({ headers: withoutKey }))), ['URL_ENCRYPTION_MISSING']);
  });

  it('another key or algorithm, as the caller says it will send → URL_ENCRYPTION_MISMATCH', () => {
    const url = signed({ headers: KMS_HEADERS });
    const report = check(url, {
      headers: { ...KMS_HEADERS, 'x-amz-server-side-encryption-aws-kms-key-id': OTHER_KEY },
    });
    assert.deepEqual(codes(report), ['URL_ENCRYPTION_MISMATCH']);
    assert.match(report.failures[0]?.message ?? '', /99999999-12ab/);
    assert.deepEqual(
      codes(check(url, { headers: { ...KMS_HEADERS, 'x-amz-server-side-encryption': 'aws:kms:dsse' } })),
      ['URL_ENCRYPTION_MISMATCH'],
    );
  });

  it('an encryption header the configuration does not send → URL_ENCRYPTION_MISMATCH', () => {
    const report = validatePresignedUrl(
      signed({
        bucket: 'aes-bucket',
        headers: {
          'x-amz-server-side-encryption': 'AES256',
          'x-amz-server-side-encryption-bucket-key-enabled': 'true',
        },
      }),
      policy,
    );
    assert.deepEqual(codes(report), ['URL_ENCRYPTION_MISMATCH']);
    assert.match(
      report.failures[0]?.message ?? '',
      /signs x-amz-server-side-encryption-bucket-key-enabled, which bucket aes-bucket's configuration \(AES256\)/,
    );
  });

  it('a key hoisted into the query: refused as a parameter, and as another key when it is one', () => {
    const base = signed({ headers: { 'x-amz-server-side-encryption': 'aws:kms' } });
    const hoisted = signed({ headers: { 'x-amz-server-side-encryption': 'aws:kms' } }).replace(
      'x-id=PutObject',
      `x-amz-server-side-encryption-aws-kms-key-id=${encodeURIComponent(OTHER_KEY)}&x-id=PutObject`,
    );
    assert.notEqual(base, hoisted);
    const report = check(hoisted);
    assert.deepEqual(
      new Set(codes(report)),
      new Set(['URL_ENCRYPTION_MISSING', 'URL_ENCRYPTION_MISMATCH', 'URL_UNEXPECTED_PARAMETER']),
    );
  });

  it('per bucket: a bucket configured with none takes a PUT without encryption', () => {
    assert.deepEqual(codes(check(signed({ bucket: 'plain-bucket' }))), []);
  });

  it('a GET or a part URL that signs encryption headers → URL_ENCRYPTION_MISMATCH (S3 answers 400), whatever the configuration', () => {
    for (const validator of [policy, validatorPolicy(configFrom({}), now)]) {
      const get = signed({ operation: 'get', headers: { 'x-amz-server-side-encryption': 'aws:kms' } });
      assert.deepEqual(codes(validatePresignedUrl(get, validator)), ['URL_ENCRYPTION_MISMATCH']);
      const part = signed({
        operation: 'upload-part',
        part: { uploadId: 'u-1', partNumber: 3 },
        headers: { 'x-amz-server-side-encryption': 'aws:kms' },
      });
      const asPart = { uploadPart: true, queryParameters: { uploadId: 'u-1', partNumber: '3' } };
      assert.deepEqual(codes(validatePresignedUrl(part, validator, asPart)), ['URL_ENCRYPTION_MISMATCH']);
      // SSE-C headers belong on GETs and parts: not an encryption setting of the upload.
      const ssec = signed({
        operation: 'get',
        headers: { 'x-amz-server-side-encryption-customer-algorithm': 'AES256' },
      });
      assert.deepEqual(codes(validatePresignedUrl(ssec, validator)), []);
    }
    assert.deepEqual(codes(check(signed({ operation: 'get' }))), []);
  });

  it('a URL that says neither GET nor PUT (boto3 adds no x-id) → URL_METHOD_UNKNOWN until the caller says', () => {
    const url = signed({ headers: {} }).replace('&x-id=PutObject', '');
    assert.deepEqual(codes(check(url)), ['URL_METHOD_UNKNOWN']);
    assert.deepEqual(codes(check(url, { method: 'GET' })), []);
    assert.deepEqual(codes(check(url, { method: 'PUT' })), ['URL_ENCRYPTION_MISSING']);
    const withHeaders = signed({ headers: KMS_HEADERS }).replace('&x-id=PutObject', '');
    assert.deepEqual(codes(check(withHeaders, { method: 'PUT' })), []);
    // Without encryption configured for the bucket, nothing to ask.
    assert.deepEqual(codes(check(signed({ bucket: 'plain-bucket' }).replace('&x-id=PutObject', ''))), []);
  });

  it('a method that contradicts the x-id hint → URL_UNEXPECTED_PARAMETER', () => {
    const report = check(signed({ operation: 'get' }), { method: 'PUT' });
    assert.ok(codes(report).includes('URL_UNEXPECTED_PARAMETER'), JSON.stringify(report.failures));
    assert.match(
      report.failures.find((f) => f.code === 'URL_UNEXPECTED_PARAMETER')?.message ?? '',
      /x-id=GetObject names a GET/,
    );
  });
});

describe('the POST policy validator holds forms to the configured encryption', () => {
  const signer = new PostPolicySigner(s3);
  const base = {
    key: 'u/photo.png',
    contentType: 'image/png',
    contentLengthRange: [1, 1024] as const,
    successActionStatus: '201' as const,
    expiresIn: 600,
    signingDate: NOW,
    credentials: CREDENTIALS,
  };
  async function form(bucket: string, fields: Record<string, string>) {
    return signer.sign({ ...base, bucket, fields });
  }
  function expect(bucket: string, fields: Record<string, string>): PostPolicyExpectation {
    return {
      bucket,
      key: base.key,
      contentType: base.contentType,
      contentLengthRange: base.contentLengthRange,
      successActionStatus: base.successActionStatus,
      fields,
      accessKeyId: CREDENTIALS.accessKeyId,
      temporaryCredentials: false,
    };
  }

  it('a form with exactly the configured fields and conditions is valid', async () => {
    const signedForm = await form('kms-bucket', KMS_HEADERS);
    assert.deepEqual(codes(validatePostPolicy(signedForm, policy, expect('kms-bucket', KMS_HEADERS))), []);
  });

  it('a form without them → URL_ENCRYPTION_MISSING; with another key → URL_ENCRYPTION_MISMATCH', async () => {
    const bare = await form('kms-bucket', {});
    assert.deepEqual(codes(validatePostPolicy(bare, policy, expect('kms-bucket', {}))), ['URL_ENCRYPTION_MISSING']);
    const other = { ...KMS_HEADERS, 'x-amz-server-side-encryption-aws-kms-key-id': OTHER_KEY };
    const wrong = await form('kms-bucket', other);
    assert.deepEqual(codes(validatePostPolicy(wrong, policy, expect('kms-bucket', other))), [
      'URL_ENCRYPTION_MISMATCH',
    ]);
    const aes = await form('aes-bucket', KMS_HEADERS);
    assert.deepEqual(
      new Set(codes(validatePostPolicy(aes, policy, expect('aes-bucket', KMS_HEADERS)))),
      new Set(['URL_ENCRYPTION_MISMATCH']),
    );
  });

  it('a field the service decided but the form lacks, or without its exact condition, is refused', async () => {
    const signedForm = await form('kms-bucket', KMS_HEADERS);
    const { 'x-amz-server-side-encryption-bucket-key-enabled': _dropped, ...fields } = signedForm.fields;
    const report = validatePostPolicy({ url: signedForm.url, fields }, policy, expect('kms-bucket', KMS_HEADERS));
    assert.ok(codes(report).includes('URL_ENCRYPTION_MISSING'), JSON.stringify(report.failures));
    assert.ok(codes(report).includes('POLICY_FIELDS'), JSON.stringify(report.failures));
    // The same field, changed after signing: its condition no longer holds.
    const changed = { ...signedForm.fields, 'x-amz-server-side-encryption-aws-kms-key-id': OTHER_KEY };
    const tampered = validatePostPolicy(
      { url: signedForm.url, fields: changed },
      policy,
      expect('kms-bucket', KMS_HEADERS),
    );
    assert.ok(codes(tampered).includes('POLICY_CONDITIONS'), JSON.stringify(tampered.failures));
    assert.ok(codes(tampered).includes('URL_ENCRYPTION_MISMATCH'), JSON.stringify(tampered.failures));
  });
});
