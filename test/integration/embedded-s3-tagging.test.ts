// Tags sent with an upload are kept by the embedded store, as S3 keeps them, and read back with
// GetObjectTagging (patches/@20minutes+s3rver+4.0.4.patch, lib/controllers/object.js): a PUT's
// `x-amz-tagging` (a URL query), a form POST's `tagging` field (the XML document
// PutObjectTagging takes) and a multipart upload created with `x-amz-tagging`, stored at
// completion. A new object never keeps the tags of the one it replaces, and tags S3 would refuse
// are refused before anything is stored. Unpatched s3rver 4.0.4 dropped all three.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';

import { embeddedS3ForSuite, s3RefusalOf } from '../embedded-store.js';

const BUCKET = 'tagging-test-bucket';

describe('embedded S3 keeps the tags an upload sends', () => {
  const store = embeddedS3ForSuite({ buckets: [BUCKET] });

  async function tagsOf(key: string): Promise<Array<[string, string]>> {
    const { TagSet } = await store.client.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
    return (TagSet ?? []).map(({ Key, Value }) => [Key ?? '', Value ?? '']);
  }

  async function refusal(sent: Promise<unknown>): Promise<[number | undefined, string]> {
    const { status, code } = await s3RefusalOf(sent);
    return [status, code];
  }

  it('PUT with x-amz-tagging: each key and value URL-decoded, text kept as text', async () => {
    await store.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'put/tagged.txt',
        Body: 'hello',
        Tagging: 'retention=P7Y&team=a%20%26%20b&code=007&empty=',
      }),
    );
    assert.deepEqual(await tagsOf('put/tagged.txt'), [
      ['retention', 'P7Y'],
      ['team', 'a & b'],
      ['code', '007'],
      ['empty', ''],
    ]);
    // No tags on the object's metadata: S3 keeps them apart.
    const head = await store.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'put/tagged.txt' }));
    assert.deepEqual(head.Metadata, {});
  });

  it('a new object replaces the old one with its tags: none when it sends none', async () => {
    const put = (Tagging?: string) =>
      store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'put/replaced', Body: 'x', Tagging }));
    await put('a=1');
    await put('b=2');
    assert.deepEqual(await tagsOf('put/replaced'), [['b', '2']]);
    await put();
    assert.deepEqual(await tagsOf('put/replaced'), []);
  });

  it('tags S3 refuses are refused, and nothing is stored', async () => {
    const put = (Key: string, Tagging: string) =>
      store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x', Tagging }));
    const eleven = Array.from({ length: 11 }, (_, index) => `k${index}=v`).join('&');
    assert.deepEqual(await refusal(put('put/eleven', eleven)), [400, 'BadRequest']);
    assert.deepEqual(await refusal(put('put/twice', 'a=1&a=2')), [400, 'InvalidTag']);
    assert.deepEqual(await refusal(put('put/long', `${'k'.repeat(129)}=v`)), [400, 'InvalidTag']);
    assert.deepEqual(await refusal(put('put/nokey', '=v')), [400, 'InvalidTag']);
    for (const key of ['put/eleven', 'put/twice', 'put/long', 'put/nokey']) {
      assert.deepEqual(await refusal(store.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))), [
        404,
        'NotFound',
      ]);
    }
  });

  it("form POST with a tagging field (PutObjectTagging's XML) keeps its tags", async () => {
    const post = async (key: string, tagging: string) => {
      const { url, fields } = await createPresignedPost(store.client, {
        Bucket: BUCKET,
        Key: key,
        Fields: { tagging },
        Expires: 60,
      });
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob(['form']), 'f.txt');
      const response = await fetch(url, { method: 'POST', body: form });
      return { status: response.status, body: await response.text() };
    };
    const posted = await post(
      'form/tagged.txt',
      '<Tagging><TagSet><Tag><Key>retention</Key><Value>P1Y</Value></Tag>' +
        '<Tag><Key>team</Key><Value>a &amp; b</Value></Tag></TagSet></Tagging>',
    );
    assert.equal(posted.status, 204, posted.body);
    assert.deepEqual(await tagsOf('form/tagged.txt'), [
      ['retention', 'P1Y'],
      ['team', 'a & b'],
    ]);

    const malformed = await post('form/malformed', '<Tagging><TagSet>');
    assert.equal(malformed.status, 400);
    assert.match(malformed.body, /<Code>MalformedXML<\/Code>/);
    const notTagging = await post('form/other', '<Other/>');
    assert.equal(notTagging.status, 400);
    assert.match(notTagging.body, /<Code>MalformedXML<\/Code>/);
    const twice = await post(
      'form/twice',
      '<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>',
    );
    assert.equal(twice.status, 400);
    assert.match(twice.body, /<Code>InvalidTag<\/Code>/);
  });

  it('a multipart upload created with x-amz-tagging has its tags on completion; bad tags refuse the create', async () => {
    const Key = 'multipart/tagged.bin';
    const { UploadId } = await store.client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key, Tagging: 'retention=P30D&code=0042' }),
    );
    const { ETag } = await store.client.send(
      new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: 'bytes' }),
    );
    await store.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] },
      }),
    );
    assert.deepEqual(await tagsOf(Key), [
      ['retention', 'P30D'],
      ['code', '0042'],
    ]);
    const head = await store.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key }));
    assert.deepEqual(head.Metadata, {});

    assert.deepEqual(
      await refusal(
        store.client.send(
          new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'multipart/twice', Tagging: 'a=1&a=2' }),
        ),
      ),
      [400, 'InvalidTag'],
    );
  });
});
