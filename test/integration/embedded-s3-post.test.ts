// Browser form uploads (POST Object) on the embedded store are checked as S3 checks them
// (patches/@20minutes+s3rver+4.0.4.patch, lib/signature/post-policy.js): the policy's SigV4
// signature, its expiry, every condition, and that every form field is covered by one.
// Policies come from @aws-sdk/s3-presigned-post and travel in real multipart/form-data
// POSTs. Unpatched s3rver 4.0.4 stored whatever file came with any (or no) policy.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { describe, it } from 'node:test';

import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPostOptions } from '@aws-sdk/s3-presigned-post';

import { embeddedS3ForSuite, embeddedS3ForTest, s3ErrorOf, xmlElement } from '../embedded-store.js';
import { OTHER_CREDENTIALS } from '../fixtures/credentials.js';

const BUCKET = 'post-test-bucket';
const OTHER_BUCKET = 'post-test-other-bucket';

type Fields = Record<string, string>;

/** A multipart/form-data POST: the fields in order, then the file, then any trailing fields. */
function postForm(
  url: string,
  fields: Fields,
  file: { bytes: Uint8Array; name: string },
  trailing: Fields = {},
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file.bytes]), file.name);
  for (const [name, value] of Object.entries(trailing)) form.append(name, value);
  return fetch(url, { method: 'POST', body: form });
}

describe('embedded S3 browser form uploads (POST policy)', () => {
  const store = embeddedS3ForSuite({ buckets: [BUCKET, OTHER_BUCKET] });

  /** A policy for one key: exact type, 201, and a size range, as the service issues them. */
  function presignPost(key: string, options: Partial<PresignedPostOptions> = {}, signer: S3Client = store.client) {
    return createPresignedPost(signer, {
      Bucket: BUCKET,
      Key: key,
      Conditions: [['content-length-range', 1, 1024]],
      Fields: { 'Content-Type': 'text/plain', success_action_status: '201' },
      Expires: 300,
      ...options,
    });
  }

  async function stored(key: string): Promise<Buffer | undefined> {
    try {
      const object = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return Buffer.from(await (object.Body?.transformToByteArray() ?? []));
    } catch {
      return undefined;
    }
  }

  const file = (bytes: Uint8Array, name = 'note.txt') => ({ bytes, name });

  /** A client for the store with other settings: another clock or other keys. */
  const signer = (overrides: Pick<S3ClientConfig, 'systemClockOffset' | 'credentials'>): S3Client =>
    new S3Client({
      endpoint: store.s3.endpoint.href,
      region: store.s3.region,
      forcePathStyle: true,
      credentials: store.s3.credentials,
      ...overrides,
    });

  it('stores the right file and answers 201 with the PostResponse document', async () => {
    const key = 'forms/right.txt';
    const { url, fields } = await presignPost(key);
    assert.equal(url, new URL(`/${BUCKET}`, store.s3.endpoint).href);
    const bytes = Buffer.from('hello from a form');

    const response = await postForm(url, fields, file(bytes));
    const body = await response.text();
    assert.equal(response.status, 201, body);
    const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
    assert.match(body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<PostResponse>/);
    assert.equal(xmlElement(body, 'Location'), `${url}/forms/right.txt`);
    assert.equal(xmlElement(body, 'Bucket'), BUCKET);
    assert.equal(xmlElement(body, 'Key'), key);
    assert.equal(xmlElement(body, 'ETag'), etag);

    const object = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(object.ContentType, 'text/plain');
    assert.equal(object.ETag, etag);
    assert.deepEqual(Buffer.from(await (object.Body?.transformToByteArray() ?? [])), bytes);
  });

  it('answers 204 without success_action_status, and replaces ${filename} by the file name alone', async () => {
    const { url, fields } = await presignPost('forms/named/${filename}', {
      Fields: { 'Content-Type': 'text/plain' },
    });
    assert.ok(
      JSON.parse(Buffer.from(fields.Policy ?? '', 'base64').toString()).conditions.some(
        (condition: unknown) => JSON.stringify(condition) === '["starts-with","$key","forms/named/"]',
      ),
    );
    const response = await postForm(url, fields, file(Buffer.from('named'), '../../outside.txt'));
    assert.equal(response.status, 204, await response.text());
    assert.deepEqual(await stored('forms/named/outside.txt'), Buffer.from('named'));
  });

  it('refuses a file over or under content-length-range (400), storing nothing', async () => {
    const { url, fields } = await presignPost('forms/sized.txt');
    const tooLarge = await s3ErrorOf(await postForm(url, fields, file(randomBytes(1025))));
    assert.deepEqual([tooLarge.status, tooLarge.code], [400, 'EntityTooLarge'], tooLarge.body);
    assert.match(tooLarge.body, /<MaxSizeAllowed>1024<\/MaxSizeAllowed>/);
    const tooSmall = await s3ErrorOf(await postForm(url, fields, file(new Uint8Array(0))));
    assert.deepEqual([tooSmall.status, tooSmall.code], [400, 'EntityTooSmall'], tooSmall.body);
    assert.equal(await stored('forms/sized.txt'), undefined);

    // A larger file, well past the limit, is refused just the same and the answer still arrives.
    const huge = await s3ErrorOf(await postForm(url, fields, file(randomBytes(4 * 1024 * 1024))));
    assert.equal(huge.code, 'EntityTooLarge');

    // The edges are allowed.
    assert.equal((await postForm(url, fields, file(randomBytes(1024)))).status, 201);
    assert.equal((await postForm(url, fields, file(randomBytes(1)))).status, 201);
  });

  it('refuses another key, another type, another status or another bucket (403), storing nothing', async () => {
    const { url, fields } = await presignPost('forms/bound.txt');
    const bytes = Buffer.from('bound');
    const cases: Array<[string, Fields, string]> = [
      ['other key', { ...fields, key: 'forms/other.txt' }, '["eq","$key","forms/bound.txt"]'],
      ['key with a suffix', { ...fields, key: 'forms/bound.txt.html' }, '["eq","$key","forms/bound.txt"]'],
      ['other type', { ...fields, 'Content-Type': 'text/html' }, '["eq","$Content-Type","text/plain"]'],
      [
        'no type',
        Object.fromEntries(Object.entries(fields).filter(([name]) => name !== 'Content-Type')),
        '"$Content-Type"',
      ],
      ['other status', { ...fields, success_action_status: '200' }, '"$success_action_status"'],
    ];
    for (const [name, form, condition] of cases) {
      const refused = await s3ErrorOf(await postForm(url, form, file(bytes)));
      assert.deepEqual([refused.status, refused.code], [403, 'AccessDenied'], `${name}: ${refused.body}`);
      assert.match(refused.message ?? '', /^Invalid according to Policy: Policy Condition failed: /, name);
      assert.ok(refused.message?.includes(condition), `${name}: ${refused.message}`);
    }
    // The same form posted to another bucket's URL.
    const elsewhere = await s3ErrorOf(
      await postForm(url.replace(`/${BUCKET}`, `/${OTHER_BUCKET}`), fields, file(bytes)),
    );
    assert.deepEqual([elsewhere.status, elsewhere.code], [403, 'AccessDenied'], elsewhere.body);
    assert.ok(elsewhere.message?.includes('"$bucket"'), elsewhere.message);

    for (const key of ['forms/bound.txt', 'forms/other.txt', 'forms/bound.txt.html']) {
      assert.equal(await stored(key), undefined, key);
    }
    const listedOther = await store.client.send(new ListObjectsV2Command({ Bucket: OTHER_BUCKET }));
    assert.equal(listedOther.Contents, undefined);
  });

  it('refuses an expired policy (403)', async () => {
    const past = signer({ systemClockOffset: -2 * 60 * 60 * 1000 });
    try {
      const { url, fields } = await presignPost('forms/expired.txt', { Expires: 60 }, past);
      const refused = await s3ErrorOf(await postForm(url, fields, file(Buffer.from('late'))));
      assert.deepEqual(
        [refused.status, refused.code, refused.message],
        [403, 'AccessDenied', 'Invalid according to Policy: Policy expired.'],
      );
      assert.equal(await stored('forms/expired.txt'), undefined);
    } finally {
      past.destroy();
    }
  });

  it('refuses a wrong signature, a policy changed after signing, and an unknown access key (403)', async () => {
    const { url, fields } = await presignPost('forms/signed.txt');
    const signature = fields['X-Amz-Signature'] ?? '';
    const flipped = (signature[0] === '0' ? '1' : '0') + signature.slice(1);
    const document = JSON.parse(Buffer.from(fields.Policy ?? '', 'base64').toString()) as {
      conditions: unknown[];
    };
    const widened = {
      ...document,
      conditions: document.conditions.map((condition) =>
        Array.isArray(condition) && condition[0] === 'content-length-range'
          ? ['content-length-range', 1, 1024 * 1024]
          : condition,
      ),
    };
    const forms: Array<[string, Fields]> = [
      ['flipped signature', { ...fields, 'X-Amz-Signature': flipped }],
      ['uppercase signature', { ...fields, 'X-Amz-Signature': signature.toUpperCase() }],
      ['widened policy', { ...fields, Policy: Buffer.from(JSON.stringify(widened)).toString('base64') }],
      [
        'other region in the credential',
        { ...fields, 'X-Amz-Credential': (fields['X-Amz-Credential'] ?? '').replace('us-east-1', 'eu-west-1') },
      ],
    ];
    for (const [name, form] of forms) {
      const refused = await s3ErrorOf(await postForm(url, form, file(Buffer.from('signed'))));
      assert.deepEqual([refused.status, refused.code], [403, 'SignatureDoesNotMatch'], `${name}: ${refused.body}`);
    }

    const stranger = signer({ credentials: OTHER_CREDENTIALS });
    try {
      const policy = await presignPost('forms/signed.txt', {}, stranger);
      const refused = await s3ErrorOf(await postForm(policy.url, policy.fields, file(Buffer.from('signed'))));
      assert.deepEqual([refused.status, refused.code], [403, 'InvalidAccessKeyId']);
    } finally {
      stranger.destroy();
    }
    assert.equal(await stored('forms/signed.txt'), undefined);
  });

  it('refuses a form field no condition covers, except the exempt ones; fields after the file are ignored', async () => {
    const { url, fields } = await presignPost('forms/fields.txt');
    const extras: Fields[] = [{ 'x-amz-meta-owner': 'me' }, { acl: 'public-read' }, { 'Cache-Control': 'max-age=1' }];
    for (const extra of extras) {
      const refused = await s3ErrorOf(await postForm(url, { ...fields, ...extra }, file(Buffer.from('x'))));
      assert.deepEqual([refused.status, refused.code], [403, 'AccessDenied'], refused.body);
      assert.equal(
        refused.message,
        `Invalid according to Policy: Extra input fields: ${Object.keys(extra)[0]?.toLowerCase()}`,
      );
    }
    assert.equal(await stored('forms/fields.txt'), undefined);

    const accepted = await postForm(url, { ...fields, 'x-ignore-anything': 'fine' }, file(Buffer.from('ok')), {
      'x-amz-meta-after-the-file': 'ignored',
    });
    assert.equal(accepted.status, 201, await accepted.text());
    const object = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'forms/fields.txt' }));
    assert.deepEqual(object.Metadata, {});

    // A metadata field the policy does cover is stored.
    const covered = await presignPost('forms/meta.txt', {
      Fields: { 'Content-Type': 'text/plain', success_action_status: '201', 'x-amz-meta-owner': 'me' },
    });
    assert.equal((await postForm(covered.url, covered.fields, file(Buffer.from('m')))).status, 201);
    const meta = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'forms/meta.txt' }));
    assert.deepEqual(meta.Metadata, { owner: 'me' });
  });

  it('evaluates eq and starts-with conditions, including a comma-separated Content-Type', async () => {
    const { url, fields } = await presignPost('forms/prefix/a.txt', {
      Conditions: [
        ['starts-with', '$Content-Type', 'image/'],
        ['eq', '$key', 'forms/prefix/a.txt'],
      ],
      Fields: { success_action_status: '201' },
    });
    const pass = await postForm(url, { ...fields, 'Content-Type': 'image/png' }, file(Buffer.from('p')));
    assert.equal(pass.status, 201, await pass.text());
    const fail = await s3ErrorOf(
      await postForm(url, { ...fields, 'Content-Type': 'image/png, text/html' }, file(Buffer.from('p'))),
    );
    assert.deepEqual([fail.status, fail.code], [403, 'AccessDenied'], fail.body);
  });

  it('refuses a form without a policy as anonymous, and one missing a signature field (nothing stored)', async () => {
    const url = new URL(`/${BUCKET}`, store.s3.endpoint).href;
    const anonymous = await s3ErrorOf(await postForm(url, { key: 'forms/anonymous.txt' }, file(Buffer.from('a'))));
    assert.deepEqual([anonymous.status, anonymous.code, anonymous.message], [403, 'AccessDenied', 'Access Denied']);

    const { fields } = await presignPost('forms/anonymous.txt');
    const unsigned = Object.fromEntries(Object.entries(fields).filter(([name]) => name !== 'X-Amz-Signature'));
    const missing = await s3ErrorOf(await postForm(url, unsigned, file(Buffer.from('a'))));
    assert.deepEqual([missing.status, missing.code], [400, 'InvalidArgument'], missing.body);

    const garbled = await s3ErrorOf(await postForm(url, { ...fields, Policy: 'not base64!' }, file(Buffer.from('a'))));
    assert.deepEqual([garbled.status, garbled.code], [400, 'InvalidPolicyDocument'], garbled.body);
    const notJson = await s3ErrorOf(
      await postForm(
        url,
        { ...fields, Policy: Buffer.from('{"expiration":').toString('base64') },
        file(Buffer.from('a')),
      ),
    );
    assert.deepEqual([notJson.status, notJson.code], [400, 'InvalidPolicyDocument'], notJson.body);

    const twice = new FormData();
    for (const [name, value] of Object.entries(fields)) twice.append(name, value);
    twice.append('key', 'forms/anonymous.txt');
    twice.append('file', new Blob(['a']), 'a.txt');
    const duplicate = await s3ErrorOf(await fetch(url, { method: 'POST', body: twice }));
    assert.deepEqual([duplicate.status, duplicate.code], [400, 'InvalidArgument'], duplicate.body);

    const noFile = new FormData();
    for (const [name, value] of Object.entries(fields)) noFile.append(name, value);
    const withoutFile = await s3ErrorOf(await fetch(url, { method: 'POST', body: noFile }));
    assert.deepEqual([withoutFile.status, withoutFile.code], [400, 'InvalidArgument'], withoutFile.body);

    assert.equal(await stored('forms/anonymous.txt'), undefined);
  });

  it('leaves an existing object intact when an overwrite is refused', async () => {
    const key = 'forms/kept.txt';
    await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'original' }));
    const { url, fields } = await presignPost(key);
    const refused = await s3ErrorOf(await postForm(url, fields, file(randomBytes(2048))));
    assert.equal(refused.code, 'EntityTooLarge');
    assert.deepEqual(await stored(key), Buffer.from('original'));
  });

  it('refuses a signed form whose key would leave the store directory (400)', async (t) => {
    // A page can sign a form with the store's well-known keys, and a form POST needs no
    // preflight: the key is all that stands between it and the developer's files. The
    // store runs in a sandbox here so that, should the check fail, the files land in it.
    const sandboxed = await embeddedS3ForTest(t, { buckets: [BUCKET], sandboxed: true });
    for (const key of ['../../escaped.txt', 'forms/../../../escaped.txt']) {
      const { url, fields } = await presignPost(key, {}, sandboxed.client);
      const refused = await s3ErrorOf(await postForm(url, fields, file(Buffer.from('x'))));
      assert.deepEqual([refused.status, refused.code], [400, 'InvalidArgument'], `${key}: ${refused.body}`);
    }
    assert.deepEqual(await readdir(sandboxed.sandbox), ['store']);
  });
});
