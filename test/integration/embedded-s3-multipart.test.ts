// Multipart uploads on the embedded store behave as on S3 (patches/@20minutes+s3rver+4.0.4.patch):
// ListParts pages, AbortMultipartUpload removes everything, CompleteMultipartUpload checks
// each part's ETag, order and size and gives the "-N" ETag, unknown upload IDs are
// NoSuchUpload, and upload IDs and part numbers are checked before they reach a file path.
// Unpatched s3rver 4.0.4 answered ListParts and Abort with 405, completed with any ETag and
// any part size, answered an unknown upload ID with 500, gave the object a plain MD5 ETag,
// and wrote a part wherever "../" in an upload ID pointed.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

import type { CompletedPart } from '@aws-sdk/client-s3';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { embeddedS3Client } from '../helpers.js';
import { embeddedS3ForSuite, s3RefusalOf } from '../embedded-store.js';

const BUCKET = 'multipart-test-bucket';
const OTHER_BUCKET = 'multipart-other-bucket';
const MiB = 1024 * 1024;
const PART_SIZE = 5 * MiB;

const md5Hex = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

/** S3's ETag for an object made of these parts: MD5 of the parts' binary MD5s, "-", count. */
function multipartETag(parts: readonly Uint8Array[]): string {
  const digests = Buffer.concat(parts.map((part) => createHash('md5').update(part).digest()));
  return `"${md5Hex(digests)}-${parts.length}"`;
}

/** Every file under `directory`, relative to it. */
async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)))
    .sort();
}

/** The S3 error code and status a command was refused with. */
async function refusal(sent: Promise<unknown>): Promise<{ status: number | undefined; code: string }> {
  const { status, code } = await s3RefusalOf(sent);
  return { status, code };
}

describe('embedded S3 multipart uploads', () => {
  // The store lives one level down in a sandbox, so a path escaping it lands where the
  // test can see it.
  const store = embeddedS3ForSuite({ buckets: [BUCKET, OTHER_BUCKET], sandboxed: true });

  async function create(key: string): Promise<string> {
    const { UploadId } = await store.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    assert.ok(UploadId);
    return UploadId;
  }

  async function uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string> {
    const { ETag } = await store.client.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }),
    );
    assert.ok(ETag);
    return ETag;
  }

  function complete(key: string, uploadId: string, parts: CompletedPart[]) {
    return store.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  }

  const objectKeys = async (): Promise<string[]> =>
    ((await store.client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map(
      (object) => object.Key ?? '',
    );

  it('assembles 40 MiB from 5 MiB parts sent to presigned part URLs, with the "-N" ETag, and removes the parts', async () => {
    const key = 'large/forty.bin';
    const uploadId = await create(key);
    const parts = Array.from({ length: 8 }, () => randomBytes(PART_SIZE));

    const completed: CompletedPart[] = [];
    for (const [index, body] of parts.entries()) {
      const url = await getSignedUrl(
        store.client,
        new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: index + 1 }),
        { expiresIn: 300 },
      );
      const response = await fetch(url, { method: 'PUT', body });
      await response.arrayBuffer();
      assert.equal(response.status, 200);
      const etag = response.headers.get('etag');
      assert.equal(etag, `"${md5Hex(body)}"`);
      completed.push({ PartNumber: index + 1, ETag: etag });
    }

    const result = await complete(key, uploadId, completed);
    assert.equal(result.ETag, multipartETag(parts));
    assert.equal(result.Key, key);

    const head = await store.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(head.ETag, multipartETag(parts));
    assert.equal(head.ContentLength, 40 * MiB);
    const download = await fetch(
      await getSignedUrl(store.client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 }),
    );
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(Buffer.concat(parts)), 'downloaded bytes differ');

    // The upload is gone: no parts left on disk, and its ID is unknown.
    assert.deepEqual(
      (await filesUnder(store.directory)).filter((file) => file.includes(uploadId)),
      [],
    );
    assert.deepEqual(
      await refusal(store.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }))),
      { status: 404, code: 'NoSuchUpload' },
    );
  });

  it('lists parts a page at a time (max-parts, part-number-marker, IsTruncated)', async () => {
    const key = 'listed/parts.bin';
    const uploadId = await create(key);
    const bodies = [1, 2, 3, 4, 5].map((n) => randomBytes(100 + n));
    for (const [index, body] of bodies.entries()) await uploadPart(key, uploadId, index + 1, body);

    const pages: Array<{ numbers: number[]; truncated: boolean | undefined; next: string | undefined }> = [];
    let marker: string | undefined;
    for (;;) {
      const page = await store.client.send(
        new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MaxParts: 2, PartNumberMarker: marker }),
      );
      pages.push({
        numbers: (page.Parts ?? []).map((part) => part.PartNumber ?? 0),
        truncated: page.IsTruncated,
        next: page.NextPartNumberMarker,
      });
      for (const part of page.Parts ?? []) {
        const body = bodies[(part.PartNumber ?? 0) - 1] ?? new Uint8Array();
        assert.equal(part.ETag, `"${md5Hex(body)}"`);
        assert.equal(part.Size, body.byteLength);
        assert.ok(part.LastModified instanceof Date);
      }
      if (page.IsTruncated !== true) break;
      marker = page.NextPartNumberMarker;
    }
    assert.deepEqual(pages, [
      { numbers: [1, 2], truncated: true, next: '2' },
      { numbers: [3, 4], truncated: true, next: '4' },
      { numbers: [5], truncated: false, next: '5' },
    ]);

    const all = await store.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    assert.deepEqual(
      all.Parts?.map((part) => part.PartNumber),
      [1, 2, 3, 4, 5],
    );
    assert.equal(all.IsTruncated, false);
    assert.equal(all.UploadId, uploadId);

    assert.deepEqual(
      await refusal(
        store.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MaxParts: -1 })),
      ),
      { status: 400, code: 'InvalidArgument' },
    );
  });

  it('aborts: every part removed, the ID unknown afterwards to every call, no object', async () => {
    const key = 'aborted/upload.bin';
    const uploadId = await create(key);
    const etag = await uploadPart(key, uploadId, 1, randomBytes(1000));
    await uploadPart(key, uploadId, 2, randomBytes(1000));

    const aborted = await store.client.send(
      new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }),
    );
    assert.equal(aborted.$metadata.httpStatusCode, 204);

    assert.deepEqual(
      (await filesUnder(store.directory)).filter((file) => file.includes(uploadId)),
      [],
    );
    const noSuchUpload = { status: 404, code: 'NoSuchUpload' };
    assert.deepEqual(
      await refusal(store.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }))),
      noSuchUpload,
    );
    assert.deepEqual(await refusal(uploadPart(key, uploadId, 3, randomBytes(10))), noSuchUpload);
    assert.deepEqual(await refusal(complete(key, uploadId, [{ PartNumber: 1, ETag: etag }])), noSuchUpload);
    assert.deepEqual(
      await refusal(
        store.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId })),
      ),
      noSuchUpload,
    );
    assert.equal((await objectKeys()).includes(key), false);
    // Nothing was recreated by the refused part upload.
    assert.deepEqual(
      (await filesUnder(store.directory)).filter((file) => file.includes(uploadId)),
      [],
    );
  });

  it('refuses a completion with a wrong ETag, a missing part, parts out of order or a small middle part', async () => {
    const key = 'checked/completion.bin';
    const uploadId = await create(key);
    const first = randomBytes(PART_SIZE);
    const small = randomBytes(1024);
    const last = randomBytes(10);
    const etag1 = await uploadPart(key, uploadId, 1, first);
    const etag2 = await uploadPart(key, uploadId, 2, small);
    const etag3 = await uploadPart(key, uploadId, 3, last);

    const cases: Array<[string, CompletedPart[], { status: number; code: string }]> = [
      [
        'wrong ETag',
        [
          { PartNumber: 1, ETag: `"${md5Hex(last)}"` },
          { PartNumber: 3, ETag: etag3 },
        ],
        { status: 400, code: 'InvalidPart' },
      ],
      [
        // An XML parser left to itself reads this ETag as a number.
        'wrong ETag of digits only',
        [
          { PartNumber: 1, ETag: '1'.repeat(32) },
          { PartNumber: 3, ETag: etag3 },
        ],
        { status: 400, code: 'InvalidPart' },
      ],
      [
        'part never uploaded',
        [
          { PartNumber: 1, ETag: etag1 },
          { PartNumber: 4, ETag: etag3 },
        ],
        { status: 400, code: 'InvalidPart' },
      ],
      [
        'descending',
        [
          { PartNumber: 3, ETag: etag3 },
          { PartNumber: 1, ETag: etag1 },
        ],
        { status: 400, code: 'InvalidPartOrder' },
      ],
      [
        'repeated',
        [
          { PartNumber: 1, ETag: etag1 },
          { PartNumber: 1, ETag: etag1 },
        ],
        { status: 400, code: 'InvalidPartOrder' },
      ],
      [
        'small part before the last',
        [
          { PartNumber: 1, ETag: etag1 },
          { PartNumber: 2, ETag: etag2 },
          { PartNumber: 3, ETag: etag3 },
        ],
        { status: 400, code: 'EntityTooSmall' },
      ],
      ['unknown upload ID', [{ PartNumber: 1, ETag: etag1 }], { status: 404, code: 'NoSuchUpload' }],
    ];
    for (const [name, parts, expected] of cases) {
      const id = name === 'unknown upload ID' ? 'f'.repeat(32) : uploadId;
      assert.deepEqual(await refusal(complete(key, id, parts)), expected, name);
      assert.equal((await objectKeys()).includes(key), false, name);
    }

    // The upload ID belongs to its key: another key cannot complete it.
    assert.deepEqual(await refusal(complete('checked/other-key.bin', uploadId, [{ PartNumber: 1, ETag: etag1 }])), {
      status: 404,
      code: 'NoSuchUpload',
    });

    // Still open after every refusal; a small last part is fine, and the unlisted part 2 is dropped.
    const result = await complete(key, uploadId, [
      { PartNumber: 1, ETag: etag1 },
      { PartNumber: 3, ETag: etag3 },
    ]);
    assert.equal(result.ETag, multipartETag([first, last]));
    const stored = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.ok(Buffer.from(await (stored.Body?.transformToByteArray() ?? [])).equals(Buffer.concat([first, last])));
    assert.deepEqual(
      (await filesUnder(store.directory)).filter((file) => file.includes(uploadId)),
      [],
    );
  });

  it('refuses part numbers outside 1..10000 with InvalidArgument and unknown or malformed upload IDs with NoSuchUpload, writing nothing', async () => {
    const key = 'validated/part.bin';
    const uploadId = await create(key);
    const before = await filesUnder(store.sandbox);

    /** A part upload whose query the signer signs as given, malformed or not. */
    const sendPart = async (query: { uploadId: string; partNumber: string }) => {
      const raw = embeddedS3Client(store.s3);
      raw.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { query: Record<string, string> };
          request.query = { ...request.query, ...query };
          return next(args);
        },
        { step: 'build', name: 'rawPartQuery' },
      );
      try {
        return await refusal(
          raw.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: 'x', PartNumber: 1, Body: 'part' })),
        );
      } finally {
        raw.destroy();
      }
    };

    for (const partNumber of ['0', '10001', '-1', '1.5', '1e3', 'abc', '', ' 1', '99999999999', '../1', '..%2F1']) {
      assert.deepEqual(
        await sendPart({ uploadId, partNumber }),
        { status: 400, code: 'InvalidArgument' },
        `partNumber ${JSON.stringify(partNumber)}`,
      );
    }
    for (const id of [
      'f'.repeat(32),
      uploadId.toUpperCase(),
      `${uploadId}0`,
      `../${uploadId}`,
      `../../../escaped`,
      `..%2F..%2F..%2Fescaped`,
      '%2e%2e/%2e%2e/%2e%2e/escaped',
      '..\\..\\..\\escaped',
      `${store.sandbox}/escaped`,
      '.',
      '',
    ]) {
      assert.deepEqual(await sendPart({ uploadId: id, partNumber: '1' }), { status: 404, code: 'NoSuchUpload' }, id);
    }
    assert.deepEqual(await filesUnder(store.sandbox), before);

    // An ID that walks over to an upload of the same key in another bucket: s3rver keeps
    // uploads at <bucket>/._S3rver_uploads/<id>, so without the check the part lands there.
    const { UploadId: elsewhere } = await store.client.send(
      new CreateMultipartUploadCommand({ Bucket: OTHER_BUCKET, Key: key }),
    );
    assert.ok(elsewhere);
    for (const id of [
      `../../${OTHER_BUCKET}/._S3rver_uploads/${elsewhere}`,
      `..%2F..%2F${OTHER_BUCKET}%2F._S3rver_uploads%2F${elsewhere}`,
    ]) {
      assert.deepEqual(await sendPart({ uploadId: id, partNumber: '1' }), { status: 404, code: 'NoSuchUpload' }, id);
    }
    const untouched = await store.client.send(
      new ListPartsCommand({ Bucket: OTHER_BUCKET, Key: key, UploadId: elsewhere }),
    );
    assert.equal(untouched.Parts, undefined);

    // The upload ID belongs to its key.
    assert.deepEqual(
      await refusal(
        store.client.send(
          new UploadPartCommand({
            Bucket: BUCKET,
            Key: 'validated/other.bin',
            UploadId: uploadId,
            PartNumber: 1,
            Body: 'x',
          }),
        ),
      ),
      { status: 404, code: 'NoSuchUpload' },
    );
    // The edges of the range are accepted.
    await uploadPart(key, uploadId, 1, randomBytes(10));
    await uploadPart(key, uploadId, 10000, randomBytes(10));
    const listed = await store.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    assert.deepEqual(
      listed.Parts?.map((part) => part.PartNumber),
      [1, 10000],
    );
  });

  it('refuses a presigned part URL used for another part number or upload ID', async () => {
    const key = 'signed/part.bin';
    const uploadId = await create(key);
    const otherId = await create(key);
    const url = await getSignedUrl(
      store.client,
      new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: 1 }),
      { expiresIn: 300 },
    );
    for (const forged of [url.replace('partNumber=1&', 'partNumber=2&'), url.replace(uploadId, otherId)]) {
      assert.notEqual(forged, url);
      const response = await fetch(forged, { method: 'PUT', body: 'part' });
      const body = await response.text();
      assert.equal(response.status, 403);
      assert.match(body, /<Code>SignatureDoesNotMatch<\/Code>/);
    }
    const listed = await store.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: otherId }));
    assert.equal(listed.Parts, undefined);
  });
});
