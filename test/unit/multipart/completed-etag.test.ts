// The ETag a completion reports: S3's answer when it names one, else the stored object's
// (Ceph RGW answers `<ETag></ETag>`), and a refusal that keeps S3's error as its cause when
// reading it back fails. Against the embedded store.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';

import { startEmbeddedS3, type EmbeddedS3 } from '../../../src/local/embedded-s3.js';
import { completedEtag, MissingEtagError } from '../../../src/multipart/completed-etag.js';
import { embeddedS3Client } from '../../helpers.js';

const BUCKET = 'etag-bucket';
let store: EmbeddedS3;
let client: S3Client;

before(async () => {
  store = await startEmbeddedS3({ buckets: [BUCKET] });
  client = embeddedS3Client(store);
});
after(async () => {
  client.destroy();
  await store.close();
});

describe('completedEtag', () => {
  it("reports S3's answered ETag as it is, without reading the object back", async () => {
    // No such key: a HeadObject would fail, so the answer is all that was read.
    assert.equal(await completedEtag(client, BUCKET, 'never-stored', '"0123abcd-2"'), '"0123abcd-2"');
  });

  it("reads an empty answer's ETag from the stored object", async () => {
    const stored = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'stored', Body: 'hello' }));
    assert.ok(stored.ETag);
    assert.equal(await completedEtag(client, BUCKET, 'stored', ''), stored.ETag);
    assert.equal(await completedEtag(client, BUCKET, 'stored', undefined), stored.ETag);
  });

  it("refuses when reading it back fails, with S3's error as the cause", async () => {
    const error = await completedEtag(client, BUCKET, 'never-stored', undefined).then(
      () => assert.fail('resolved'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof MissingEtagError);
    assert.equal(error.message, 'the store completed the upload but named no ETag, and reading it back failed');
    assert.ok(error.cause instanceof S3ServiceException, String(error.cause));
    assert.equal(error.cause.$metadata.httpStatusCode, 404);
  });
});
