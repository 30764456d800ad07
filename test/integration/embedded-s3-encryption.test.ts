// The embedded S3 server records each object's server-side encryption and returns it on
// GET and HEAD, as S3 does (patches/@20minutes+s3rver+4.0.4.patch): from a PUT, a POST form
// and CreateMultipartUpload (for the object its completion makes); an object that names none
// is SSE-S3 (AES256), as every new S3 object has been since 2023. It refuses what S3 refuses:
// an unknown algorithm, KMS settings without KMS, and encryption headers on GET, HEAD and
// UploadPart (400 InvalidArgument), storing nothing. Unpatched s3rver 4.0.4 dropped the
// headers and returned none.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';

import { presignSigV4Query } from '../../src/presign/sigv4-query.js';
import { embeddedS3ForSuite, s3RefusalOf } from '../embedded-store.js';

const BUCKET = 'encryption-test-bucket';
const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('embedded S3 records and returns server-side encryption', () => {
  const store = embeddedS3ForSuite({ buckets: [BUCKET] });

  const head = (Key: string) => store.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key }));
  const encryptionOf = async (Key: string) => {
    const { ServerSideEncryption, SSEKMSKeyId, BucketKeyEnabled } = await head(Key);
    return { ServerSideEncryption, SSEKMSKeyId, BucketKeyEnabled };
  };
  const exists = (Key: string) =>
    head(Key).then(
      () => true,
      (error: unknown) => {
        if (error instanceof S3ServiceException && error.name === 'NotFound') return false;
        throw error;
      },
    );

  it('PUT: SSE-KMS with its key and S3 Bucket Key comes back on HEAD and GET', async () => {
    await store.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'kms.txt',
        Body: 'secret',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KEY_ARN,
        BucketKeyEnabled: true,
      }),
    );
    assert.deepEqual(await encryptionOf('kms.txt'), {
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_ARN,
      BucketKeyEnabled: true,
    });
    const got = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'kms.txt' }));
    assert.equal(got.ServerSideEncryption, 'aws:kms');
    assert.equal(got.SSEKMSKeyId, KEY_ARN);
    assert.equal(await got.Body?.transformToString(), 'secret');
  });

  it('PUT: DSSE-KMS, and a Bucket Key turned off is not reported', async () => {
    await store.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'dsse.txt',
        Body: 'x',
        ServerSideEncryption: 'aws:kms:dsse',
        SSEKMSKeyId: KEY_ARN,
        BucketKeyEnabled: false,
      }),
    );
    assert.deepEqual(await encryptionOf('dsse.txt'), {
      ServerSideEncryption: 'aws:kms:dsse',
      SSEKMSKeyId: KEY_ARN,
      BucketKeyEnabled: undefined,
    });
  });

  it('PUT without encryption headers: SSE-S3 (AES256), as S3 applies to every object', async () => {
    await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'default.txt', Body: 'x' }));
    assert.deepEqual(await encryptionOf('default.txt'), {
      ServerSideEncryption: 'AES256',
      SSEKMSKeyId: undefined,
      BucketKeyEnabled: undefined,
    });
  });

  it('PUT refused as S3 refuses it: an unknown algorithm, a key or Bucket Key without KMS; nothing stored', async () => {
    for (const [Key, input, message] of [
      ['unknown.txt', { ServerSideEncryption: 'aes256' }, /The encryption method specified is not supported/],
      [
        'key-aes.txt',
        { ServerSideEncryption: 'AES256', SSEKMSKeyId: KEY_ARN },
        /requires HTTP header x-amz-server-side-encryption : aws:kms/,
      ],
      ['key-alone.txt', { SSEKMSKeyId: KEY_ARN }, /requires HTTP header x-amz-server-side-encryption : aws:kms/],
      ['bucket-key-aes.txt', { ServerSideEncryption: 'AES256', BucketKeyEnabled: true }, /requires HTTP header/],
    ] as const) {
      const refused = await s3RefusalOf(
        store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x', ...(input as object) })),
      );
      assert.equal(refused.status, 400, Key);
      assert.equal(refused.code, 'InvalidArgument', Key);
      assert.match(refused.message, message, Key);
      assert.equal(await exists(Key), false, `${Key} was not stored`);
    }
  });

  it('POST form: the encryption fields reach the object; an unknown algorithm is refused', async () => {
    const post = async (Key: string, fields: Record<string, string>) => {
      const policy = await createPresignedPost(store.client, { Bucket: BUCKET, Key, Fields: fields, Expires: 300 });
      const form = new FormData();
      for (const [name, value] of Object.entries(policy.fields)) form.append(name, value);
      form.append('file', new Blob(['form body']), 'f.txt');
      return fetch(policy.url, { method: 'POST', body: form });
    };
    const stored = await post('form.txt', {
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN,
      'x-amz-server-side-encryption-bucket-key-enabled': 'true',
    });
    assert.equal(stored.status, 204, await stored.text());
    assert.deepEqual(await encryptionOf('form.txt'), {
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_ARN,
      BucketKeyEnabled: true,
    });
    const refused = await post('form-bad.txt', { 'x-amz-server-side-encryption': 'rot13' });
    assert.equal(refused.status, 400);
    assert.match(
      await refused.text(),
      /<Code>InvalidArgument<\/Code><Message>The encryption method specified is not supported/,
    );
    assert.equal(await exists('form-bad.txt'), false);
  });

  it('CreateMultipartUpload: the completed object has the upload’s encryption; bad settings are refused at creation', async () => {
    const created = await store.client.send(
      new CreateMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'multipart.bin',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KEY_ARN,
      }),
    );
    const part = await store.client.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'multipart.bin',
        UploadId: created.UploadId,
        PartNumber: 1,
        Body: 'only part',
      }),
    );
    await store.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'multipart.bin',
        UploadId: created.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    assert.deepEqual(await encryptionOf('multipart.bin'), {
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_ARN,
      BucketKeyEnabled: undefined,
    });
    const refused = await s3RefusalOf(
      store.client.send(
        new CreateMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'mp-bad.bin',
          ServerSideEncryption: 'KMS' as 'aws:kms',
        }),
      ),
    );
    assert.equal(refused.code, 'InvalidArgument');
    assert.match(refused.message, /The encryption method specified is not supported/);
  });

  it('encryption headers on GET, HEAD and UploadPart: 400 InvalidArgument (the encryption is set at creation)', async () => {
    await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'read.txt', Body: 'x' }));
    const signedFor = (
      method: string,
      path: string,
      headers: Record<string, string>,
      query: Array<[string, string]> = [],
    ) =>
      presignSigV4Query({
        method,
        origin: store.s3.endpoint.origin,
        host: store.s3.endpoint.host,
        path: `/${BUCKET}/${path}`,
        query,
        headers,
        credentials: store.s3.credentials,
        region: store.s3.region,
        service: 's3',
        signingDate: new Date(),
        expiresIn: 300,
      });
    const sse = { 'x-amz-server-side-encryption': 'AES256' };
    const get = await fetch(signedFor('GET', 'read.txt', sse), { headers: sse });
    assert.equal(get.status, 400);
    assert.match(await get.text(), /x-amz-server-side-encryption header is not supported for this operation/);
    const headResponse = await fetch(signedFor('HEAD', 'read.txt', sse), { method: 'HEAD', headers: sse });
    assert.equal(headResponse.status, 400);
    // SSE-C headers are not encryption settings: a GET may carry them.
    const plain = await fetch(signedFor('GET', 'read.txt', {}));
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('x-amz-server-side-encryption'), 'AES256');

    const created = await store.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'parts.bin' }));
    const kms = { 'x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN };
    const part = await fetch(
      signedFor('PUT', 'parts.bin', kms, [
        ['partNumber', '1'],
        ['uploadId', created.UploadId as string],
      ]),
      { method: 'PUT', headers: kms, body: 'part' },
    );
    assert.equal(part.status, 400);
    assert.match(await part.text(), /x-amz-server-side-encryption-aws-kms-key-id header is not supported/);
  });
});
