// Multipart uploads end to end against a store that checks signatures, part ETags, sizes and
// upload IDs as S3 does: part URLs sent with real fetch, completion, the object downloaded and
// compared; and every way a caller could store something it may not. Run against each store
// by test/integration/multipart.test.ts (embedded) and rgw.test.ts (Ceph RGW).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { startStoreApp, type TestStore } from '../stores.js';

const MiB = 1024 ** 2;

async function multipartApp(t: TestContext, store: TestStore) {
  const keys = { big: generateApiKey(), small: generateApiKey() };
  const local = await startStoreApp(
    t,
    store,
    {},
    {},
    {
      clients: {
        clients: [
          {
            id: 'big',
            apiKeySha256: hashApiKey(keys.big),
            policy: { operations: ['get', 'put'], keyPrefixes: ['big/'] },
          },
          {
            id: 'small',
            apiKeySha256: hashApiKey(keys.small),
            policy: { operations: ['get', 'put'], keyPrefixes: ['small/'], maxContentLength: 12 * MiB },
          },
        ],
      },
    },
  );
  const s3 = local.client;
  const call = async (who: 'big' | 'small', url: string, payload: object) => {
    const response = await local.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${keys[who]}` },
      payload,
    });
    return { status: response.statusCode, body: response.body === '' ? undefined : response.json() };
  };
  const stored = async (key: string) => {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: local.config.buckets[0], Key: key }));
      return true;
    } catch {
      return false;
    }
  };
  return { ...local, s3client: s3, call, stored };
}

const md5 = (body: Buffer) => createHash('md5').update(body).digest('hex');

async function putPart(part: { url: string; headers: Record<string, string> }, body: Buffer) {
  const response = await fetch(part.url, { method: 'PUT', headers: part.headers, body });
  return { status: response.status, etag: response.headers.get('etag'), text: await response.text() };
}

export function multipartFlows(store: TestStore): void {
  test('40 MiB in 5 MiB parts through part URLs, resumed after a listing, completed and downloaded byte for byte', async (t) => {
    const { call, stored } = await multipartApp(t, store);
    const file = randomBytes(40 * MiB);
    const created = await call('big', '/multipart', {
      filename: 'holiday video.mp4',
      contentType: 'video/mp4',
      contentLength: file.length,
      partSize: 5 * MiB,
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const upload = created.body;
    assert.equal(upload.partCount, 8);
    assert.equal(upload.partSize, 5 * MiB);
    assert.match(upload.key, /^big\/[0-9a-f-]{36}\/holiday video\.mp4$/);

    const signed = await call('big', '/multipart/parts', {
      key: upload.key,
      uploadId: upload.uploadId,
      partNumbers: [1, 2, 3, 4, 5, 6, 7, 8],
    });
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    const slice = (n: number) => file.subarray((n - 1) * 5 * MiB, n * 5 * MiB);
    // The first five go up, then the connection "drops".
    for (const part of signed.body.parts.slice(0, 5)) {
      assert.deepEqual(part.headers, { 'content-length': String(5 * MiB) });
      const put = await putPart(part, slice(part.partNumber));
      assert.equal(put.status, 200, put.text);
      assert.equal(put.etag, `"${md5(slice(part.partNumber))}"`);
    }
    // Resume: S3's list says what is there; only the rest is sent.
    const listed = await call('big', '/multipart/list', { key: upload.key, uploadId: upload.uploadId });
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.parts.map((part: { partNumber: number; size: number }) => [part.partNumber, part.size]),
      [1, 2, 3, 4, 5].map((n) => [n, 5 * MiB]),
    );
    const have = new Set(listed.body.parts.map((part: { partNumber: number }) => part.partNumber));
    const missing = [1, 2, 3, 4, 5, 6, 7, 8].filter((n) => !have.has(n));
    const resumed = await call('big', '/multipart/parts', {
      key: upload.key,
      uploadId: upload.uploadId,
      partNumbers: missing,
    });
    for (const part of resumed.body.parts) assert.equal((await putPart(part, slice(part.partNumber))).status, 200);

    const all = await call('big', '/multipart/list', { key: upload.key, uploadId: upload.uploadId });
    const completed = await call('big', '/multipart/complete', {
      key: upload.key,
      uploadId: upload.uploadId,
      parts: all.body.parts.map((part: { partNumber: number; etag: string }) => ({
        partNumber: part.partNumber,
        etag: part.etag,
      })),
    });
    assert.equal(completed.status, 200, JSON.stringify(completed.body));
    assert.equal(completed.body.size, file.length);
    assert.match(completed.body.etag, /-8"?$/);
    assert.ok(await stored(upload.key));

    const download = await call('big', '/downloads', { key: upload.key });
    const fetched = await fetch(download.body.url);
    assert.equal(fetched.status, 200);
    assert.ok(Buffer.from(await fetched.arrayBuffer()).equals(file), 'the object is the file, byte for byte');
    const finished = await call('big', '/multipart/list', { key: upload.key, uploadId: upload.uploadId });
    assert.equal(finished.body.code, 'NO_SUCH_UPLOAD', 'nothing left in progress');
  });

  test('abort leaves nothing behind', async (t) => {
    const { call, stored } = await multipartApp(t, store);
    const created = await call('big', '/multipart', {
      filename: 'a.bin',
      contentType: 'application/octet-stream',
      contentLength: 6 * MiB,
      partSize: 5 * MiB,
    });
    const upload = created.body;
    const signed = await call('big', '/multipart/parts', {
      key: upload.key,
      uploadId: upload.uploadId,
      partNumbers: [1],
    });
    assert.equal((await putPart(signed.body.parts[0], randomBytes(5 * MiB))).status, 200);
    const aborted = await call('big', '/multipart/abort', { key: upload.key, uploadId: upload.uploadId });
    assert.equal(aborted.status, 204);
    assert.equal(aborted.body, undefined);
    const listed = await call('big', '/multipart/list', { key: upload.key, uploadId: upload.uploadId });
    assert.equal(listed.status, 404);
    assert.equal(listed.body.code, 'NO_SUCH_UPLOAD');
    assert.equal(await stored(upload.key), false);
    // The part URL signed before the abort no longer stores anything.
    assert.equal((await putPart(signed.body.parts[0], randomBytes(5 * MiB))).status, 404);
  });

  test('refused: other bytes than signed, a URL moved to another part or upload, a wrong ETag, another caller', async (t) => {
    const { call, stored } = await multipartApp(t, store);
    const create = () =>
      call('big', '/multipart', {
        filename: 'a.bin',
        contentType: 'application/octet-stream',
        contentLength: 11 * MiB,
        partSize: 5 * MiB,
      }).then((response) => response.body);
    const upload = await create();
    const other = await create();
    const signed = await call('big', '/multipart/parts', {
      key: upload.key,
      uploadId: upload.uploadId,
      partNumbers: [1, 3],
    });
    const [one, three] = signed.body.parts;
    assert.deepEqual(three.headers, { 'content-length': String(1 * MiB) }, 'the last part signs its own size');

    // Other bytes than signed: a longer body under the signed length is refused by the store.
    const longer = await fetch(one.url, { method: 'PUT', body: randomBytes(5 * MiB + 1) });
    assert.equal(longer.status, 403);
    // The URL for part 1 moved to part 2, or to the other upload: the signature no longer holds.
    const moved = new URL(one.url);
    moved.searchParams.set('partNumber', '2');
    assert.equal((await putPart({ url: moved.href, headers: one.headers }, randomBytes(5 * MiB))).status, 403);
    const otherS3Id = new URL(
      (await call('big', '/multipart/parts', { key: other.key, uploadId: other.uploadId, partNumbers: [1] })).body
        .parts[0].url,
    ).searchParams.get('uploadId') as string;
    const elsewhere = new URL(one.url);
    elsewhere.searchParams.set('uploadId', otherS3Id);
    assert.equal((await putPart({ url: elsewhere.href, headers: one.headers }, randomBytes(5 * MiB))).status, 403);
    const afterRefusals = await call('big', '/multipart/list', { key: upload.key, uploadId: upload.uploadId });
    assert.deepEqual(afterRefusals.body.parts, [], 'no refused part was stored');
    const otherParts = await call('big', '/multipart/list', { key: other.key, uploadId: other.uploadId });
    assert.deepEqual(otherParts.body.parts, []);

    // Part numbers outside the upload's layout, and one asked twice.
    const beyond = await call('big', '/multipart/parts', {
      key: upload.key,
      uploadId: upload.uploadId,
      partNumbers: [4],
    });
    assert.equal(beyond.status, 400);
    assert.equal(beyond.body.code, 'INVALID_PART_NUMBER');
    const twice = await call('big', '/multipart/parts', {
      key: upload.key,
      uploadId: upload.uploadId,
      partNumbers: [1, 1],
    });
    assert.equal(twice.body.code, 'INVALID_PART_NUMBER');

    // A wrong ETag at completion.
    const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1 * MiB)];
    const all = await call('big', '/multipart/parts', {
      key: upload.key,
      uploadId: upload.uploadId,
      partNumbers: [1, 2, 3],
    });
    const etags: string[] = [];
    for (const [i, part] of all.body.parts.entries())
      etags.push((await putPart(part, bodies[i] as Buffer)).etag as string);
    const wrongEtag = await call('big', '/multipart/complete', {
      key: upload.key,
      uploadId: upload.uploadId,
      parts: [
        { partNumber: 1, etag: etags[0] },
        { partNumber: 2, etag: `"${md5(randomBytes(8))}"` },
        { partNumber: 3, etag: etags[2] },
      ],
    });
    assert.equal(wrongEtag.status, 400);
    assert.equal(wrongEtag.body.code, 'INVALID_PART');
    const outOfOrder = await call('big', '/multipart/complete', {
      key: upload.key,
      uploadId: upload.uploadId,
      parts: [
        { partNumber: 2, etag: etags[1] },
        { partNumber: 1, etag: etags[0] },
        { partNumber: 3, etag: etags[2] },
      ],
    });
    assert.equal(outOfOrder.body.code, 'INVALID_PART_ORDER');
    const short = await call('big', '/multipart/complete', {
      key: upload.key,
      uploadId: upload.uploadId,
      parts: [
        { partNumber: 1, etag: etags[0] },
        { partNumber: 2, etag: etags[1] },
      ],
    });
    assert.equal(short.body.code, 'CONTENT_LENGTH_MISMATCH');
    assert.equal(await stored(upload.key), false);

    // Another caller: outside its prefixes, and with its own key the token is not its own.
    const foreign = await call('small', '/multipart/list', { key: upload.key, uploadId: upload.uploadId });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.code, 'KEY_PREFIX_NOT_ALLOWED');
    const mine = await call('small', '/multipart', {
      filename: 'b.bin',
      contentType: 'application/octet-stream',
      contentLength: 6 * MiB,
      partSize: 5 * MiB,
    });
    for (const route of ['/multipart/list', '/multipart/abort']) {
      const stolen = await call('small', route, { key: mine.body.key, uploadId: upload.uploadId });
      assert.equal(stolen.status, 403, route);
      assert.equal(stolen.body.code, 'UPLOAD_NOT_ALLOWED');
    }
    const stolenParts = await call('small', '/multipart/parts', {
      key: mine.body.key,
      uploadId: upload.uploadId,
      partNumbers: [1],
    });
    assert.equal(stolenParts.body.code, 'UPLOAD_NOT_ALLOWED');
    const tampered = `${upload.uploadId.slice(0, -2)}${upload.uploadId.endsWith('A') ? 'B' : 'A'}A`;
    const forged = await call('big', '/multipart/list', { key: upload.key, uploadId: tampered });
    assert.equal(forged.body.code, 'UPLOAD_NOT_ALLOWED');

    // The right parts complete.
    const done = await call('big', '/multipart/complete', {
      key: upload.key,
      uploadId: upload.uploadId,
      parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.size, 11 * MiB);
  });

  test("the policy's size bounds what S3 holds: the declared size, each part's length, the part numbers", async (t) => {
    const { call, stored } = await multipartApp(t, store);
    const over = await call('small', '/multipart', {
      filename: 'big.bin',
      contentType: 'application/octet-stream',
      contentLength: 12 * MiB + 1,
    });
    assert.equal(over.status, 403);
    assert.equal(over.body.code, 'CONTENT_LENGTH_NOT_ALLOWED');

    const created = await call('small', '/multipart', {
      filename: 'at-limit.bin',
      contentType: 'application/octet-stream',
      contentLength: 12 * MiB,
      partSize: 5 * MiB,
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const upload = created.body;
    const past = await call('small', '/multipart/parts', { ...ref(upload), partNumbers: [4] });
    assert.deepEqual([past.status, past.body.code], [400, 'INVALID_PART_NUMBER'], 'no part past the layout');
    const signed = await call('small', '/multipart/parts', { ...ref(upload), partNumbers: [1, 3] });
    const [first, last] = signed.body.parts;
    // Each URL signs its part's length: S3 refuses a part of any other size, larger or smaller.
    const larger = await putPart({ url: first.url, headers: {} }, randomBytes(6 * MiB));
    assert.equal(larger.status, 403, larger.text);
    assert.match(larger.text, /SignatureDoesNotMatch/);
    const smaller = await putPart({ url: last.url, headers: {} }, randomBytes(MiB));
    assert.equal(smaller.status, 403, smaller.text);
    const listed = await call('small', '/multipart/list', ref(upload));
    assert.deepEqual(listed.body.parts, [], 'S3 holds nothing');
    assert.equal((await putPart(last, randomBytes(2 * MiB))).status, 200, 'the exact length is taken');
    assert.equal(await stored(upload.key), false);
  });
}

function ref(upload: { key: string; uploadId: string }) {
  return { key: upload.key, uploadId: upload.uploadId };
}
