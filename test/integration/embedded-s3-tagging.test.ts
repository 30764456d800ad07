// Tags sent with an upload are kept by the embedded store, as S3 keeps them, and read back with
// GetObjectTagging (patches/@20minutes+s3rver+4.0.4.patch, lib/controllers/object.js): a PUT's
// `x-amz-tagging` (a URL query), a form POST's `tagging` field (the XML document
// PutObjectTagging takes) and a multipart upload created with `x-amz-tagging`, stored at
// completion. A new object never keeps the tags of the one it replaces, and tags S3 would refuse
// are refused before anything is stored. Unpatched s3rver 4.0.4 dropped all three.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';

import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';

import { startEmbeddedS3, type EmbeddedS3 } from '../../src/local/embedded-s3.js';
import { embeddedS3Client } from '../helpers.js';

const BUCKET = 'tagging-test-bucket';

/** The class the store parses every tagging document with (lib/models/config.js). */
const { TaggingConfiguration } = createRequire(import.meta.url)('@20minutes/s3rver/lib/models/config.js') as {
  TaggingConfiguration: { validate(xml: string): unknown };
};

describe('embedded S3 keeps the tags an upload sends', () => {
  let s3: EmbeddedS3;
  let client: S3Client;

  before(async () => {
    s3 = await startEmbeddedS3({ buckets: [BUCKET] });
    client = embeddedS3Client(s3);
  });

  after(async () => {
    client.destroy();
    await s3.close();
  });

  async function tagsOf(key: string): Promise<Array<[string, string]>> {
    const { TagSet } = await client.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
    return (TagSet ?? []).map(({ Key, Value }) => [Key ?? '', Value ?? '']);
  }

  async function refusal(send: Promise<unknown>): Promise<[number | undefined, string]> {
    const error = await send.then(
      () => assert.fail('the store accepted it'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof S3ServiceException, String(error));
    return [error.$metadata.httpStatusCode, error.name];
  }

  /** A browser form upload of one small file with this `tagging` field, as S3's POST Object takes it. */
  async function post(key: string, tagging: string): Promise<{ status: number; body: string }> {
    const { url, fields } = await createPresignedPost(client, {
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
  }

  it('PUT with x-amz-tagging: each key and value URL-decoded, text kept as text', async () => {
    await client.send(
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
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'put/tagged.txt' }));
    assert.deepEqual(head.Metadata, {});
  });

  it('a new object replaces the old one with its tags: none when it sends none', async () => {
    const put = (Tagging?: string) =>
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'put/replaced', Body: 'x', Tagging }));
    await put('a=1');
    await put('b=2');
    assert.deepEqual(await tagsOf('put/replaced'), [['b', '2']]);
    await put();
    assert.deepEqual(await tagsOf('put/replaced'), []);
  });

  it('tags S3 refuses are refused, and nothing is stored', async () => {
    const put = (Key: string, Tagging: string) =>
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x', Tagging }));
    const eleven = Array.from({ length: 11 }, (_, index) => `k${index}=v`).join('&');
    assert.deepEqual(await refusal(put('put/eleven', eleven)), [400, 'BadRequest']);
    assert.deepEqual(await refusal(put('put/twice', 'a=1&a=2')), [400, 'InvalidTag']);
    assert.deepEqual(await refusal(put('put/long', `${'k'.repeat(129)}=v`)), [400, 'InvalidTag']);
    assert.deepEqual(await refusal(put('put/nokey', '=v')), [400, 'InvalidTag']);
    for (const key of ['put/eleven', 'put/twice', 'put/long', 'put/nokey']) {
      assert.deepEqual(await refusal(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))), [
        404,
        'NotFound',
      ]);
    }
  });

  it("form POST with a tagging field (PutObjectTagging's XML) keeps its tags", async () => {
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
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key, Tagging: 'retention=P30D&code=0042' }),
    );
    const { ETag } = await client.send(
      new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: 'bytes' }),
    );
    await client.send(
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
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key }));
    assert.deepEqual(head.Metadata, {});

    assert.deepEqual(
      await refusal(
        client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'multipart/twice', Tagging: 'a=1&a=2' })),
      ),
      [400, 'InvalidTag'],
    );
  });

  it('lengths are counted in characters as S3 counts them, not UTF-16 code units', async () => {
    const emoji = '\u{1F600}';
    const put = (Key: string, Tagging: string) =>
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x', Tagging }));
    await put('unicode/longest', `${encodeURIComponent(emoji.repeat(128))}=${encodeURIComponent(emoji.repeat(256))}`);
    assert.deepEqual(await tagsOf('unicode/longest'), [[emoji.repeat(128), emoji.repeat(256)]]);
    assert.deepEqual(await refusal(put('unicode/key', `${encodeURIComponent(emoji.repeat(129))}=v`)), [
      400,
      'InvalidTag',
    ]);
    assert.deepEqual(await refusal(put('unicode/value', `k=${encodeURIComponent(emoji.repeat(257))}`)), [
      400,
      'InvalidTag',
    ]);
    // XML 1.0 cannot carry a NUL, so no GetObjectTagging could answer it.
    assert.deepEqual(await refusal(put('unicode/nul', 'a%00=1')), [400, 'InvalidTag']);
  });

  it('a tagging document S3 would find malformed is refused, not stored unreadable or in part', async () => {
    const tag = (inner: string) => `<Tagging><TagSet><Tag>${inner}</Tag></TagSet></Tagging>`;
    const documents = {
      'two keys': tag('<Key>a</Key><Key>b</Key><Value>1</Value>'),
      'an element as the value': tag('<Key>a</Key><Value><x>1</x></Value>'),
      'no value': tag('<Key>a</Key>'),
      'two tag sets':
        '<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet><TagSet><Tag><Key>b</Key><Value>2</Value></Tag></TagSet></Tagging>',
      'a DTD with an entity': `<!DOCTYPE Tagging [<!ENTITY x "expanded">]>${tag('<Key>k</Key><Value>&x;</Value>')}`,
    };
    for (const [name, document] of Object.entries(documents)) {
      const key = `malformed/${name.replaceAll(' ', '-')}`;
      const posted = await post(key, document);
      assert.equal(posted.status, 400, `${name}: ${posted.body}`);
      assert.match(posted.body, /<Code>MalformedXML<\/Code>/, name);
      assert.deepEqual(await refusal(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))), [
        404,
        'NotFound',
      ]);
    }
    // An empty TagSet is well formed: an object without tags.
    const empty = await post('malformed/none', '<Tagging><TagSet/></Tagging>');
    assert.equal(empty.status, 204, empty.body);
    assert.deepEqual(await tagsOf('malformed/none'), []);
  });

  it('an x-amz-tagging header is parsed in work bounded by its length: past the 10th tag nothing more is parsed', async (t) => {
    let parsed = 0;
    const validate = TaggingConfiguration.validate.bind(TaggingConfiguration);
    TaggingConfiguration.validate = (xml: string) => {
      parsed += xml.length;
      return validate(xml);
    };
    t.after(() => (TaggingConfiguration.validate = validate));
    const put = (Tagging: string) =>
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'work/many', Body: 'x', Tagging }));
    const work: Array<[number, number]> = [];
    // The worst case per byte: the shortest pairs, each a tag of its own. Node's 16 KiB header bound.
    for (const pairs of [11, 100, 1000, 7000]) {
      parsed = 0;
      const header = Array.from({ length: pairs }, (_, index) => String.fromCharCode(97 + (index % 26))).join('&');
      assert.deepEqual(await refusal(put(header)), [400, 'BadRequest']);
      work.push([header.length, parsed]);
    }
    // The XML parser reads no more for 7,000 pairs than for 11: the count stops the header's reading.
    const [, fewest] = work[0]!;
    const rest = work.slice(1);
    for (const [length, characters] of rest)
      assert.ok(
        characters <= fewest!,
        `${length} header bytes: ${characters} characters parsed, ${fewest} for 11 tags`,
      );
  });
});
