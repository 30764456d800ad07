// What the POST policy signer refuses, and the shape it gives what it signs: the inputs the
// byte-for-byte comparison with createPresignedPost (post-policy-signer.test.ts) never draws.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createPinnedS3 } from '../../../src/endpoint/s3-client.js';
import {
  postUrl,
  PostPolicySigner,
  signPostPolicy,
  type PostPolicyRequest,
} from '../../../src/presign/post-policy-signer.js';
import type { S3Route } from '../../../src/presign/s3-route.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';
import { regionalMode } from '../../fixtures/endpoint-modes.js';

const NOW = new Date('2026-03-01T12:00:00.750Z');
const ROUTE: S3Route = {
  origin: 'http://127.0.0.1:4568',
  host: '127.0.0.1:4568',
  pathPrefix: '/uploads-bucket',
  signingRegion: 'us-east-1',
  signingService: 's3',
};
const REQUEST: PostPolicyRequest = {
  bucket: 'uploads-bucket',
  key: 'u/photo.png',
  contentType: 'image/png',
  contentLengthRange: [1, 1024],
  successActionStatus: '201',
  expiresIn: 600,
  signingDate: NOW,
  credentials: EXAMPLE_CREDENTIALS,
};
const sign = (request: Partial<PostPolicyRequest>) => signPostPolicy(ROUTE, { ...REQUEST, ...request });

describe('signPostPolicy refuses', () => {
  it('credentials that are not strings', () => {
    for (const credentials of [
      { accessKeyId: undefined, secretAccessKey: 'x' },
      { accessKeyId: 'AKID', secretAccessKey: undefined },
    ])
      assert.throws(() => sign({ credentials: credentials as unknown as PostPolicyRequest['credentials'] }), {
        name: 'TypeError',
        message: 'Resolved credential object is not valid',
      });
  });

  it('a size range that is not two integers with 0 <= min <= max', () => {
    for (const range of [
      [-1, 5],
      [6, 5],
      [1.5, 5],
      [1, 5.5],
      [0, 2 ** 53],
      [Number.NaN, 5],
    ] as const)
      assert.throws(
        () => sign({ contentLengthRange: range }),
        {
          name: 'RangeError',
          message: 'content-length-range must be two integers, 0 <= min <= max',
        },
        JSON.stringify(range),
      );
    for (const range of [
      [0, 0],
      [5, 5],
      [0, 2 ** 53 - 1],
    ] as const)
      assert.deepEqual(JSON.parse(sign({ contentLengthRange: range }).policyDocument).conditions[0], [
        'content-length-range',
        ...range,
      ]);
  });

  it("a server-decided field that is one of the signer's own, in any spelling", () => {
    for (const name of [
      'bucket',
      'Key',
      'POLICY',
      'x-amz-signature',
      'X-Amz-Credential',
      'x-amz-algorithm',
      'X-Amz-Date',
      'x-amz-security-token',
      'success_action_status',
      'content-type',
      'file',
    ]) {
      assert.throws(() => sign({ fields: { [name]: 'x' } }), {
        name: 'TypeError',
        message: `form field ${name} is the signer's own`,
      });
    }
  });

  it('an expiry shorter than a second, or not whole', () => {
    for (const expiresIn of [0, -1, 0.5, 1.5, Number.NaN])
      assert.throws(
        () => sign({ expiresIn }),
        {
          name: 'RangeError',
          message: 'a POST policy expires at least a second after it is signed',
        },
        String(expiresIn),
      );
    assert.equal(JSON.parse(sign({ expiresIn: 1 }).policyDocument).expiration, '2026-03-01T12:00:01Z');
  });
});

describe('signPostPolicy signs', () => {
  it('an expiration counted from the whole second it was signed, without milliseconds', () => {
    const { policyDocument, fields } = sign({});
    assert.equal(JSON.parse(policyDocument).expiration, '2026-03-01T12:10:00Z');
    assert.equal(fields['X-Amz-Date'], '20260301T120000Z');
  });

  it('the fields in the order the form sends them, the file last', () => {
    const { fields, policyDocument } = sign({});
    assert.deepEqual(Object.keys(fields), [
      'Content-Type',
      'success_action_status',
      'bucket',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'key',
      'Policy',
      'X-Amz-Signature',
    ]);
    assert.equal(fields['X-Amz-Credential'], `${EXAMPLE_CREDENTIALS.accessKeyId}/20260301/us-east-1/s3/aws4_request`);
    assert.equal(fields.Policy, Buffer.from(policyDocument, 'utf8').toString('base64'));
    assert.match(fields['X-Amz-Signature']!, /^[0-9a-f]{64}$/);
    assert.deepEqual(JSON.parse(policyDocument).conditions, [
      ['content-length-range', 1, 1024],
      { 'Content-Type': 'image/png' },
      { success_action_status: '201' },
      { bucket: 'uploads-bucket' },
      { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' },
      { 'X-Amz-Credential': `${EXAMPLE_CREDENTIALS.accessKeyId}/20260301/us-east-1/s3/aws4_request` },
      { 'X-Amz-Date': '20260301T120000Z' },
      { key: 'u/photo.png' },
    ]);
  });

  it('server-decided fields after the type and status, each with an exact condition', () => {
    const { fields, policyDocument } = sign({
      fields: { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'arn:k' },
    });
    assert.deepEqual(Object.keys(fields).slice(0, 5), [
      'Content-Type',
      'success_action_status',
      'x-amz-server-side-encryption',
      'x-amz-server-side-encryption-aws-kms-key-id',
      'bucket',
    ]);
    assert.deepEqual(JSON.parse(policyDocument).conditions.slice(1, 5), [
      { 'Content-Type': 'image/png' },
      { success_action_status: '201' },
      { 'x-amz-server-side-encryption': 'aws:kms' },
      { 'x-amz-server-side-encryption-aws-kms-key-id': 'arn:k' },
    ]);
  });

  it('a session token only when there is one', () => {
    const empty = sign({ credentials: { ...REQUEST.credentials, sessionToken: '' } });
    assert.equal('X-Amz-Security-Token' in empty.fields, false);
    const temporary = sign({ credentials: { ...REQUEST.credentials, sessionToken: 'FwoGZXIvYXdzEBY' } });
    assert.equal(temporary.fields['X-Amz-Security-Token'], 'FwoGZXIvYXdzEBY');
    assert.deepEqual(JSON.parse(temporary.policyDocument).conditions.at(-2), {
      'X-Amz-Security-Token': 'FwoGZXIvYXdzEBY',
    });
  });

  it('for the endpoint: its path, or / when the bucket is in the host', () => {
    assert.equal(postUrl(ROUTE), 'http://127.0.0.1:4568/uploads-bucket');
    assert.equal(
      postUrl({ ...ROUTE, origin: 'https://b.s3.amazonaws.com', pathPrefix: '' }),
      'https://b.s3.amazonaws.com/',
    );
  });
});

describe("signPostPolicy's expiration text", () => {
  const expirationOf = (signed: { policyDocument: string }) =>
    (JSON.parse(signed.policyDocument) as { expiration: string }).expiration;

  it('is written once for policies that expire in the same second, and again for another', (t) => {
    // toISOString also writes X-Amz-Date, once per signing second (amzDates keeps it the same way).
    const toISOString = t.mock.method(Date.prototype, 'toISOString');
    const first = signPostPolicy(ROUTE, { ...REQUEST, signingDate: new Date('2031-05-06T07:08:09.100Z') });
    assert.equal(toISOString.mock.callCount(), 2);
    const sameSecond = signPostPolicy(ROUTE, { ...REQUEST, signingDate: new Date('2031-05-06T07:08:09.900Z') });
    assert.equal(toISOString.mock.callCount(), 2);
    const longer = signPostPolicy(ROUTE, {
      ...REQUEST,
      signingDate: new Date('2031-05-06T07:08:09.900Z'),
      expiresIn: REQUEST.expiresIn + 1,
    });
    assert.equal(toISOString.mock.callCount(), 3);
    t.mock.restoreAll();
    assert.equal(expirationOf(first), '2031-05-06T07:18:09Z');
    assert.equal(expirationOf(sameSecond), '2031-05-06T07:18:09Z');
    assert.equal(expirationOf(longer), '2031-05-06T07:18:10Z');
  });
});

describe('PostPolicySigner', () => {
  const s3 = createPinnedS3(regionalMode('us-east-1'), async () => REQUEST.credentials);
  after(() => s3.destroy());

  it('waits only for a bucket’s first policy, then signs synchronously', async () => {
    const signer = new PostPolicySigner(s3);
    const first = signer.sign({ ...REQUEST, bucket: 'sync-bucket' });
    assert.ok(first instanceof Promise);
    const signed = await first;
    assert.equal(signed.url, 'https://sync-bucket.s3.us-east-1.amazonaws.com/');
    const second = signer.sign({ ...REQUEST, bucket: 'sync-bucket' });
    assert.equal(second instanceof Promise, false);
    assert.deepEqual(second, signed);
  });

  it('refuses a bucket whose endpoint it cannot sign a policy for (S3 Express)', async () => {
    const signer = new PostPolicySigner(s3);
    await assert.rejects(async () => signer.sign({ ...REQUEST, bucket: 'my-bucket--use1-az4--x-s3' }), {
      message: 'bucket my-bucket--use1-az4--x-s3 has no endpoint a POST policy can be signed for',
    });
  });
});
