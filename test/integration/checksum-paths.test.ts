// Flexible checksums on every path of the service, end to end against the embedded store
// (which verifies every x-amz-checksum-* it is sent and returns the stored one in checksum
// mode): /presign put and /presign/batch, /uploads PUT and form POST sign the one checksum
// field asked for, the store keeps the bytes that match and refuses others (BadDigest), and
// /presign get and /downloads with checksumMode read the stored value back.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';

import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_FIELDS,
  CHECKSUM_API_NAMES,
  checksumHeader,
  checksumOf,
  singleRequestAlgorithm,
  type ChecksumAlgorithm,
} from '../../src/endpoint/checksum-algorithms.js';
import { startLocalApp, withoutProvenance } from '../helpers.js';

async function start(t: TestContext, env: Record<string, string> = {}) {
  const local = await startLocalApp(t, env);
  const call = async (url: string, payload: object, status = 200) => {
    const response = await local.app.inject({ method: 'POST', url, headers: local.auth, payload });
    assert.equal(response.statusCode, status, response.body);
    return response.json();
  };
  return { ...local, call };
}

/** Sends the request; the store's status, error code and answer headers. */
async function send(url: string, init: RequestInit) {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], headers: response.headers, text };
}

function otherBytes(body: Buffer): Buffer {
  const other = Buffer.from(body);
  other[7] = (other[7] ?? 0) ^ 0x40;
  return other;
}

/** A PUT URL as the service returned it: the bytes that match stored, others refused, the value kept. */
async function assertPutBinds(
  presigned: { url: string; headers: Record<string, string>; key: string },
  body: Buffer,
  expected: { header: string; value: string },
) {
  assert.equal(presigned.headers[expected.header], expected.value, 'the checksum is returned in headers');
  assert.match(presigned.url, new RegExp(`X-Amz-SignedHeaders=[^&]*${expected.header}`), 'and signed');
  const refused = await send(presigned.url, { method: 'PUT', headers: presigned.headers, body: otherBytes(body) });
  assert.deepEqual([refused.status, refused.code], [400, 'BadDigest']);
  const withoutChecksum = Object.fromEntries(
    Object.entries(presigned.headers).filter(([name]) => name !== expected.header),
  );
  const unsigned = await send(presigned.url, { method: 'PUT', headers: withoutChecksum, body });
  assert.deepEqual([unsigned.status, unsigned.code], [403, 'SignatureDoesNotMatch'], 'sent without its checksum');
  const stored = await send(presigned.url, { method: 'PUT', headers: presigned.headers, body });
  assert.equal(stored.status, 200, stored.text);
}

describe('flexible checksums on the single-object paths', () => {
  it('/presign put signs each algorithm’s field as its header; the store refuses other bytes; checksumMode reads it back', async (t) => {
    const env = await start(t);
    for (const algorithm of CHECKSUM_ALGORITHMS.filter(singleRequestAlgorithm)) {
      const body = randomBytes(4096);
      const value = await checksumOf(algorithm, body);
      const key = `sums/${algorithm}.bin`;
      const presigned = await env.call('/presign', {
        operation: 'put',
        key,
        contentLength: body.length,
        [CHECKSUM_FIELDS[algorithm]]: value,
      });
      assert.deepEqual(withoutProvenance(presigned.headers), {
        'content-length': String(body.length),
        [checksumHeader(algorithm)]: value,
      });
      await assertPutBinds(presigned, body, { header: checksumHeader(algorithm), value });

      const get = await env.call('/presign', { operation: 'get', key, checksumMode: true });
      assert.deepEqual(get.headers, { 'x-amz-checksum-mode': 'ENABLED' });
      const read = await send(get.url, { headers: get.headers });
      assert.equal(read.status, 200);
      assert.equal(read.headers.get(checksumHeader(algorithm)), value, algorithm);
      assert.equal(read.headers.get('x-amz-checksum-type'), 'FULL_OBJECT');
      // Without checksum mode the store does not say it; the URL without the signed header is refused.
      const plain = await env.call('/presign', { operation: 'get', key });
      assert.equal((await send(plain.url, {})).headers.get(checksumHeader(algorithm)), null);
      assert.equal((await send(get.url, {})).code, 'SignatureDoesNotMatch');
    }
  });

  it('/presign/batch: each item binds its own checksum', async (t) => {
    const env = await start(t);
    const first = randomBytes(100);
    const second = randomBytes(200);
    const { results } = await env.call('/presign/batch', {
      items: [
        { operation: 'put', key: 'batch/1.bin', checksumCrc64nvme: await checksumOf('crc64nvme', first) },
        { operation: 'put', key: 'batch/2.bin', checksumSha1: await checksumOf('sha1', second) },
        {
          operation: 'put',
          key: 'batch/3.bin',
          checksumSha1: await checksumOf('sha1', second),
          checksumCrc32: 'AAAAAA==',
        },
      ],
    });
    await assertPutBinds(results[0].result, first, {
      header: 'x-amz-checksum-crc64nvme',
      value: await checksumOf('crc64nvme', first),
    });
    await assertPutBinds(results[1].result, second, {
      header: 'x-amz-checksum-sha1',
      value: await checksumOf('sha1', second),
    });
    assert.equal(results[2].ok, false);
    assert.equal(results[2].error.code, 'VALIDATION_FAILED');
  });

  it('/uploads PUT binds the checksum; /downloads with checksumMode returns it', async (t) => {
    const env = await start(t);
    const body = randomBytes(5000);
    const value = await checksumOf('crc32c', body);
    const presigned = await env.call('/uploads', {
      filename: 'photo.png',
      contentType: 'image/png',
      contentLength: body.length,
      checksumCrc32c: value,
    });
    assert.deepEqual(withoutProvenance(presigned.headers), {
      'content-type': 'image/png',
      'content-length': String(body.length),
      'x-amz-checksum-crc32c': value,
    });
    await assertPutBinds(presigned, body, { header: 'x-amz-checksum-crc32c', value });

    const download = await env.call('/downloads', { key: presigned.key, checksumMode: true });
    assert.deepEqual(download.headers, { 'x-amz-checksum-mode': 'ENABLED' });
    const read = await send(download.url, { headers: download.headers });
    assert.equal(read.headers.get('x-amz-checksum-crc32c'), value);
  });

  it('/uploads form POST, every algorithm but MD5: the checksum is a field with an exact condition; other bytes are BadDigest', async (t) => {
    const env = await start(t);
    for (const algorithm of CHECKSUM_ALGORITHMS.filter(singleRequestAlgorithm)) {
      const body = randomBytes(3000);
      const value = await checksumOf(algorithm, body);
      const header = checksumHeader(algorithm);
      const policy = await env.call('/uploads', {
        filename: 'scan.pdf',
        contentType: 'application/pdf',
        contentLength: body.length,
        method: 'post',
        [CHECKSUM_FIELDS[algorithm]]: value,
      });
      assert.equal(policy.fields[header], value);
      const conditions = JSON.parse(Buffer.from(policy.fields.Policy, 'base64').toString()).conditions;
      assert.ok(
        conditions.some((condition: object) => JSON.stringify(condition) === JSON.stringify({ [header]: value })),
        JSON.stringify(conditions),
      );
      const post = (fields: Record<string, string>, file: Buffer) => {
        const form = new FormData();
        for (const [name, fieldValue] of Object.entries(fields)) form.append(name, fieldValue);
        form.append('file', new Blob([file], { type: 'application/pdf' }), 'scan.pdf');
        return send(policy.url, { method: 'POST', body: form });
      };
      assert.deepEqual((await post(policy.fields, otherBytes(body))).code, 'BadDigest', algorithm);
      const changed = { ...policy.fields, [header]: await checksumOf(algorithm, otherBytes(body)) };
      assert.equal((await post(changed, otherBytes(body))).code, 'AccessDenied', 'the condition binds the value');
      assert.equal((await post(policy.fields, body)).status, 201);
      const download = await env.call('/downloads', { key: policy.key, checksumMode: true });
      assert.equal((await send(download.url, { headers: download.headers })).headers.get(header), value, algorithm);
    }
  });

  it('refuses, by name, two checksums, a value of the wrong size or shape, a checksum on a get, checksumMode on a put', async (t) => {
    const env = await start(t);
    const cases: Array<[object, string, RegExp]> = [
      [
        { operation: 'put', key: 'x', checksumCrc32: 'AAAAAA==', checksumCrc64nvme: 'AAAAAAAAAAA=' },
        'checksumCrc64nvme',
        /at most one checksum: checksumCrc32 and checksumCrc64nvme were both given/,
      ],
      [
        { operation: 'put', key: 'x', checksumCrc64nvme: 'AAAAAA==' },
        'checksumCrc64nvme',
        /base64 CRC64NVME of the body \(12 characters\)/,
      ],
      [
        { operation: 'put', key: 'x', checksumCrc32: 'AAAAAB==' },
        'checksumCrc32',
        /base64 CRC32 of the body \(8 characters\)/,
      ],
      [
        { operation: 'put', key: 'x', checksumSha1: '2jmj7l5rSw0yVb/vlWAYkK/YBwk' },
        'checksumSha1',
        /base64 SHA-1 of the body \(28 characters\)/,
      ],
      [{ operation: 'get', key: 'x', checksumCrc32c: 'AAAAAA==' }, 'checksumCrc32c', /only applies to put/],
      [{ operation: 'put', key: 'x', checksumMode: true }, 'checksumMode', /only applies to get/],
    ];
    for (const [payload, field, message] of cases) {
      const refused = await env.call('/presign', payload, 400);
      assert.equal(refused.field, field, JSON.stringify(payload));
      assert.match(refused.message, message);
    }
    const upload = await env.call(
      '/uploads',
      { filename: 'a.txt', contentType: 'text/plain', contentLength: 1, checksumSha1: 'AAAA' },
      400,
    );
    assert.equal(upload.field, 'checksumSha1');
  });

  it('MD5, which S3 documents for the parts of a multipart upload only, is refused on every single-object path', async (t) => {
    const env = await start(t);
    const checksumMd5 = await checksumOf('md5', Buffer.from('x'));
    for (const [url, payload, field] of [
      ['/presign', { operation: 'put', key: 'x', checksumMd5 }, 'checksumMd5'],
      ['/uploads', { filename: 'a.txt', contentType: 'text/plain', contentLength: 1, checksumMd5 }, 'checksumMd5'],
      [
        '/uploads',
        { filename: 'a.txt', contentType: 'text/plain', contentLength: 1, checksumMd5, method: 'post' },
        'checksumMd5',
      ],
      [
        '/s3/sign',
        { method: 'PUT', key: 'a.txt', size: 1, checksumAlgorithm: 'MD5', checksum: checksumMd5 },
        'checksumAlgorithm',
      ],
    ] as const) {
      const refused = await env.call(url, payload, 400);
      assert.deepEqual([refused.code, refused.field], ['VALIDATION_FAILED', field], JSON.stringify(payload));
      assert.match(refused.message, /S3 documents MD5 checksums for the parts of a multipart upload only/);
    }
    const batch = await env.call('/presign/batch', { items: [{ operation: 'put', key: 'x', checksumMd5 }] });
    assert.equal(batch.results[0].error.code, 'VALIDATION_FAILED', JSON.stringify(batch));
  });

  it('a store that verifies only some algorithms: the others are refused with CHECKSUM_NOT_VERIFIED on every path', async (t) => {
    const env = await start(t, { S3_STORE_CHECKSUMS: 'sha256' });
    const value = await checksumOf('crc64nvme', Buffer.from('x'));
    for (const [url, payload] of [
      ['/presign', { operation: 'put', key: 'x', checksumCrc64nvme: value }],
      ['/uploads', { filename: 'a.txt', contentType: 'text/plain', contentLength: 1, checksumCrc64nvme: value }],
      [
        '/uploads',
        { filename: 'a.txt', contentType: 'text/plain', contentLength: 1, checksumCrc64nvme: value, method: 'post' },
      ],
    ] as const) {
      const refused = await env.call(url, payload, 400);
      assert.equal(refused.code, 'CHECKSUM_NOT_VERIFIED', JSON.stringify(payload));
      assert.equal(refused.field, 'checksumCrc64nvme');
    }
  });
});

const MiB = 1024 ** 2;

/** Creates an upload of `file` in 5 MiB parts with the checksum; the created upload. */
async function createUpload(
  env: Awaited<ReturnType<typeof start>>,
  file: Buffer,
  checksum: { checksumAlgorithm?: string; checksumType?: string },
) {
  return env.call('/multipart', {
    filename: 'archive.bin',
    contentType: 'application/octet-stream',
    contentLength: file.length,
    partSize: 5 * MiB,
    ...checksum,
  });
}

function partsOf(file: Buffer): Buffer[] {
  const parts = [];
  for (let offset = 0; offset < file.length; offset += 5 * MiB) parts.push(file.subarray(offset, offset + 5 * MiB));
  return parts;
}

async function uploadParts(
  env: Awaited<ReturnType<typeof start>>,
  upload: { key: string; uploadId: string },
  parts: Buffer[],
  algorithm: ChecksumAlgorithm,
) {
  const checksums = await Promise.all(
    parts.map(async (part, index) => ({ partNumber: index + 1, value: await checksumOf(algorithm, part) })),
  );
  const signed = await env.call('/multipart/parts', {
    key: upload.key,
    uploadId: upload.uploadId,
    partNumbers: checksums.map((entry) => entry.partNumber),
    checksums,
  });
  const etags = [];
  for (const [index, part] of signed.parts.entries()) {
    assert.equal(part.headers[checksumHeader(algorithm)], checksums[index]!.value, 'each part URL signs its value');
    const sent = await send(part.url, { method: 'PUT', headers: part.headers, body: parts[index] });
    assert.equal(sent.status, 200, sent.text);
    etags.push({ partNumber: index + 1, etag: sent.headers.get('etag') as string });
  }
  return { etags, checksums };
}

async function readBack(env: Awaited<ReturnType<typeof start>>, key: string) {
  const download = await env.call('/downloads', { key, checksumMode: true });
  const response = await fetch(download.url, { headers: download.headers });
  return { headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

describe('flexible checksums on multipart uploads', () => {
  it('full-object CRC64NVME: parts signed with their values, the whole file’s value checked at completion and read back', async (t) => {
    const env = await start(t);
    const file = randomBytes(11 * MiB);
    const upload = await createUpload(env, file, { checksumAlgorithm: 'CRC64NVME' });
    assert.equal(upload.checksumAlgorithm, 'CRC64NVME');
    assert.equal(upload.checksumType, 'FULL_OBJECT', 'the default for CRC64NVME');
    const { etags } = await uploadParts(env, upload, partsOf(file), 'crc64nvme');

    const wrong = await env.call(
      '/multipart/complete',
      {
        key: upload.key,
        uploadId: upload.uploadId,
        parts: etags,
        checksum: await checksumOf('crc64nvme', file.subarray(1)),
      },
      400,
    );
    assert.equal(wrong.code, 'CHECKSUM_MISMATCH');

    const whole = await checksumOf('crc64nvme', file);
    const completed = await env.call('/multipart/complete', {
      key: upload.key,
      uploadId: upload.uploadId,
      parts: etags,
      checksum: whole,
    });
    assert.deepEqual(
      { ...completed, etag: undefined },
      {
        bucket: 'local-uploads',
        key: upload.key,
        etag: undefined,
        size: file.length,
        checksumAlgorithm: 'CRC64NVME',
        checksumType: 'FULL_OBJECT',
        checksum: whole,
      },
    );
    const read = await readBack(env, upload.key);
    assert.equal(read.headers.get('x-amz-checksum-crc64nvme'), whole);
    assert.equal(read.headers.get('x-amz-checksum-type'), 'FULL_OBJECT');
    assert.equal(await checksumOf('crc64nvme', read.body), whole, 'the bytes read back have the stored checksum');
  });

  it('composite SHA-256: the parts’ values read from S3’s list at completion; the checksum of checksums, -N, read back', async (t) => {
    const env = await start(t);
    const file = randomBytes(12 * MiB);
    const parts = partsOf(file);
    const upload = await createUpload(env, file, { checksumAlgorithm: 'SHA256', checksumType: 'COMPOSITE' });
    const { etags, checksums } = await uploadParts(env, upload, parts, 'sha256');
    const listed = await env.call('/multipart/list', { key: upload.key, uploadId: upload.uploadId });
    assert.deepEqual(
      listed.parts.map((part: { checksum: string }) => part.checksum),
      checksums.map((entry) => entry.value),
    );
    const completed = await env.call('/multipart/complete', {
      key: upload.key,
      uploadId: upload.uploadId,
      parts: etags,
    });
    const digests = createHash('sha256');
    for (const part of parts) digests.update(createHash('sha256').update(part).digest());
    const expected = `${digests.digest('base64')}-3`;
    assert.equal(completed.checksum, expected);
    assert.equal(completed.checksumType, 'COMPOSITE');
    assert.equal(completed.checksumAlgorithm, 'SHA256');
    const read = await readBack(env, upload.key);
    assert.equal(read.headers.get('x-amz-checksum-sha256'), expected);
    assert.equal(read.headers.get('x-amz-checksum-type'), 'COMPOSITE');
    assert.ok(read.body.equals(file));
  });

  for (const algorithm of ['md5', 'sha512', 'xxhash64', 'xxhash3', 'xxhash128'] as const) {
    it(`composite ${CHECKSUM_API_NAMES[algorithm]} (COMPOSITE by default): parts signed with their values, the checksum of checksums read back`, async (t) => {
      const env = await start(t, { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' });
      const file = randomBytes(6 * MiB);
      const parts = partsOf(file);
      const upload = await createUpload(env, file, { checksumAlgorithm: CHECKSUM_API_NAMES[algorithm] });
      assert.deepEqual([upload.checksumAlgorithm, upload.checksumType], [CHECKSUM_API_NAMES[algorithm], 'COMPOSITE']);
      const { etags } = await uploadParts(env, upload, parts, algorithm);
      const completed = await env.call('/multipart/complete', {
        key: upload.key,
        uploadId: upload.uploadId,
        parts: etags,
      });
      const digests = await Promise.all(
        parts.map(async (part) => Buffer.from(await checksumOf(algorithm, part), 'base64')),
      );
      const expected = `${await checksumOf(algorithm, Buffer.concat(digests))}-2`;
      assert.deepEqual(
        [completed.checksumAlgorithm, completed.checksumType, completed.checksum],
        [CHECKSUM_API_NAMES[algorithm], 'COMPOSITE', expected],
      );
      const read = await readBack(env, upload.key);
      assert.equal(read.headers.get(checksumHeader(algorithm)), expected);
      assert.ok(read.body.equals(file));
    });
  }

  it('a completion naming another value than S3 keeps for a part is refused naming that part; the upload still completes', async (t) => {
    const env = await start(t);
    const file = randomBytes(6 * MiB);
    for (const [algorithm, type] of [
      ['sha256', 'COMPOSITE'],
      ['crc32', 'FULL_OBJECT'],
    ] as const) {
      const upload = await createUpload(env, file, {
        checksumAlgorithm: CHECKSUM_API_NAMES[algorithm],
        checksumType: type,
      });
      const { etags, checksums } = await uploadParts(env, upload, partsOf(file), algorithm);
      // Part 2's value given for part 1: the ETag is right, the checksum is not the stored one.
      const swapped = etags.map((part: object, index: number) => ({
        ...part,
        checksum: (checksums[(index + 1) % checksums.length] as { value: string }).value,
      }));
      const refused = await env.call(
        '/multipart/complete',
        { key: upload.key, uploadId: upload.uploadId, parts: swapped },
        400,
      );
      assert.deepEqual([refused.code, refused.field], ['CHECKSUM_MISMATCH', 'parts.0.checksum'], algorithm);
      assert.match(refused.message, /part 1's .* is not the one S3 keeps for it/);
      const completed = await env.call('/multipart/complete', {
        key: upload.key,
        uploadId: upload.uploadId,
        parts: etags.map((part: object, index: number) => ({ ...part, checksum: checksums[index]?.value })),
      });
      assert.equal(completed.checksumType, type);
    }
  });

  it('a part whose bytes differ from its signed value is BadDigest; a part without a value is refused before signing', async (t) => {
    const env = await start(t);
    const file = randomBytes(6 * MiB);
    const parts = partsOf(file);
    const upload = await createUpload(env, file, { checksumAlgorithm: 'CRC32', checksumType: 'FULL_OBJECT' });
    const signed = await env.call('/multipart/parts', {
      key: upload.key,
      uploadId: upload.uploadId,
      partNumbers: [1],
      checksums: [{ partNumber: 1, value: await checksumOf('crc32', parts[0]!) }],
    });
    const part = signed.parts[0];
    const sent = await send(part.url, { method: 'PUT', headers: part.headers, body: otherBytes(parts[0]!) });
    assert.deepEqual([sent.status, sent.code], [400, 'BadDigest']);
    const listed = await env.call('/multipart/list', { key: upload.key, uploadId: upload.uploadId });
    assert.deepEqual(listed.parts, [], 'nothing stored');

    const missing = await env.call(
      '/multipart/parts',
      {
        key: upload.key,
        uploadId: upload.uploadId,
        partNumbers: [1, 2],
        checksums: [{ partNumber: 1, value: await checksumOf('crc32', parts[0]!) }],
      },
      400,
    );
    assert.equal(missing.code, 'CHECKSUM_MISSING');
    assert.match(missing.message, /send part 2's checksum/);
    const malformed = await env.call(
      '/multipart/parts',
      {
        key: upload.key,
        uploadId: upload.uploadId,
        partNumbers: [1],
        checksums: [{ partNumber: 1, value: 'AAAAAAAAAAA=' }],
      },
      400,
    );
    assert.equal(malformed.field, 'checksums.0.value');
    assert.match(malformed.message, /base64 CRC32 of the part \(8 characters\)/);
  });

  it('refuses S3’s forbidden pairs, an algorithm the store does not verify, and checksums on an upload without one', async (t) => {
    const env = await start(t, { S3_STORE_CHECKSUMS: 'crc64nvme,sha256' });
    const file = randomBytes(10);
    for (const [checksum, code, field] of [
      [{ checksumAlgorithm: 'CRC64NVME', checksumType: 'COMPOSITE' }, 'CHECKSUM_TYPE_NOT_ALLOWED', 'checksumType'],
      [{ checksumAlgorithm: 'SHA256', checksumType: 'FULL_OBJECT' }, 'CHECKSUM_TYPE_NOT_ALLOWED', 'checksumType'],
      [{ checksumType: 'FULL_OBJECT' }, 'CHECKSUM_TYPE_NOT_ALLOWED', 'checksumType'],
      [{ checksumAlgorithm: 'CRC32' }, 'CHECKSUM_NOT_VERIFIED', 'checksumAlgorithm'],
      [{ checksumAlgorithm: 'MD4' }, 'VALIDATION_FAILED', 'checksumAlgorithm'],
    ] as const) {
      const refused = await env.call(
        '/multipart',
        { filename: 'a.bin', contentType: 'application/octet-stream', contentLength: file.length, ...checksum },
        400,
      );
      assert.deepEqual([refused.code, refused.field], [code, field], JSON.stringify(checksum));
    }
    const plain = await createUpload(env, file, {});
    assert.equal(plain.checksumAlgorithm, undefined);
    const refused = await env.call(
      '/multipart/parts',
      { key: plain.key, uploadId: plain.uploadId, partNumbers: [1], checksums: [{ partNumber: 1, value: 'AAAAAA==' }] },
      400,
    );
    assert.deepEqual([refused.code, refused.field], ['VALIDATION_FAILED', 'checksums']);
  });

  it('refuses a FULL_OBJECT upload of every hash: S3 defines a full-object value for the CRCs only', async (t) => {
    const env = await start(t);
    for (const checksumAlgorithm of ['SHA1', 'SHA256', 'MD5', 'SHA512', 'XXHASH64', 'XXHASH3', 'XXHASH128']) {
      const refused = await env.call(
        '/multipart',
        {
          filename: 'a.bin',
          contentType: 'application/octet-stream',
          contentLength: 10,
          checksumAlgorithm,
          checksumType: 'FULL_OBJECT',
        },
        400,
      );
      assert.deepEqual([refused.code, refused.field], ['CHECKSUM_TYPE_NOT_ALLOWED', 'checksumType'], checksumAlgorithm);
      assert.equal(refused.message, `S3 allows ${checksumAlgorithm} only as COMPOSITE, not FULL_OBJECT`);
    }
  });
});

describe("Companion's whole-file and batch routes take checksums", () => {
  /** A Companion route's answer, as the app gets it. */
  const companion = async (
    env: Awaited<ReturnType<typeof start>>,
    method: 'GET' | 'POST',
    url: string,
    payload?: object,
  ) => {
    const response = await env.app.inject({ method, url, headers: env.auth, ...(payload && { payload }) });
    return { status: response.statusCode, body: response.json() };
  };

  it('/s3/params: metadata[checksumAlgorithm] and checksum make a field with an exact condition; other bytes are BadDigest', async (t) => {
    const env = await start(t);
    const body = randomBytes(3000);
    const value = await checksumOf('sha256', body);
    const query = `filename=scan.pdf&type=application%2Fpdf&metadata%5Bsize%5D=${body.length}&metadata%5BchecksumAlgorithm%5D=SHA256&checksum=${encodeURIComponent(value)}`;
    const params = await companion(env, 'GET', `/s3/params?${query}`);
    assert.equal(params.status, 200, JSON.stringify(params.body));
    const { fields, url } = params.body as { fields: Record<string, string>; url: string };
    assert.equal(fields['x-amz-checksum-sha256'], value);
    const conditions = JSON.parse(Buffer.from(fields.Policy as string, 'base64').toString()).conditions;
    assert.ok(
      conditions.some(
        (condition: object) => JSON.stringify(condition) === JSON.stringify({ 'x-amz-checksum-sha256': value }),
      ),
      JSON.stringify(conditions),
    );
    const post = (file: Buffer) => {
      const form = new FormData();
      for (const [name, fieldValue] of Object.entries(fields)) form.append(name, fieldValue);
      form.append('file', new Blob([file], { type: 'application/pdf' }), 'scan.pdf');
      return send(url, { method: 'POST', body: form });
    };
    assert.deepEqual([(await post(otherBytes(body))).status, (await post(otherBytes(body))).code], [400, 'BadDigest']);
    assert.equal((await post(body)).status, 201);
    const read = await readBack(env, fields.key as string);
    assert.equal(read.headers.get('x-amz-checksum-sha256'), value);

    for (const [bad, field] of [
      [`checksum=${encodeURIComponent(value)}`, 'metadata[checksumAlgorithm]'],
      ['metadata%5BchecksumAlgorithm%5D=SHA256', 'checksum'],
      ['metadata%5BchecksumAlgorithm%5D=CRC32&checksum=' + encodeURIComponent(value), 'checksum'],
    ] as const) {
      const refused = await companion(env, 'GET', `/s3/params?filename=a.bin&metadata%5Bsize%5D=1&${bad}`);
      assert.deepEqual([refused.status, refused.body.code, refused.body.field], [400, 'VALIDATION_FAILED', field], bad);
    }
    const unverified = await start(t, { S3_STORE_CHECKSUMS: 'crc32' });
    const notVerified = await companion(
      unverified,
      'GET',
      `/s3/params?filename=a.bin&metadata%5Bsize%5D=1&metadata%5BchecksumAlgorithm%5D=SHA256&checksum=${encodeURIComponent(value)}`,
    );
    assert.deepEqual([notVerified.status, notVerified.body.code], [400, 'CHECKSUM_NOT_VERIFIED']);
  });

  it("the batch route takes the longest values, SHA-512's 88 characters", async (t) => {
    const env = await start(t, { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' });
    const file = randomBytes(5 * MiB + 10);
    const created = await companion(env, 'POST', '/s3/multipart', {
      filename: 'clip.bin',
      type: 'application/octet-stream',
      metadata: { size: String(file.length), checksumAlgorithm: 'SHA512' },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const { key, uploadId } = created.body as { key: string; uploadId: string };
    const values = await Promise.all(partsOf(file).map((part) => checksumOf('sha512', part)));
    assert.equal(values[0]?.length, 88);
    const batch = await companion(
      env,
      'GET',
      `/s3/multipart/${encodeURIComponent(uploadId)}/batch?key=${encodeURIComponent(key)}&partNumbers=1,2&checksums=${values.map(encodeURIComponent).join(',')}`,
    );
    assert.equal(batch.status, 200, JSON.stringify(batch.body));
    const { headers } = batch.body as { headers: Record<string, Record<string, string>> };
    assert.deepEqual(headers['2'], { 'x-amz-checksum-sha512': values[1] });
  });

  it('the batch route: checksums, in the order of partNumbers, each signed into its part URL; the composite read back', async (t) => {
    const env = await start(t, { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' });
    const file = randomBytes(5 * MiB + 10);
    const parts = partsOf(file);
    const created = await companion(env, 'POST', '/s3/multipart', {
      filename: 'clip.bin',
      type: 'application/octet-stream',
      metadata: { size: String(file.length), checksumAlgorithm: 'SHA256' },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const { key, uploadId } = created.body as { key: string; uploadId: string };
    const values = await Promise.all(parts.map((part) => checksumOf('sha256', part)));
    const batchUrl = (extra: string) =>
      `/s3/multipart/${encodeURIComponent(uploadId)}/batch?key=${encodeURIComponent(key)}&partNumbers=1,2${extra}`;

    const missing = await companion(env, 'GET', batchUrl(''));
    assert.deepEqual([missing.status, missing.body.code], [400, 'CHECKSUM_MISSING']);
    const short = await companion(env, 'GET', batchUrl(`&checksums=${encodeURIComponent(values[0] as string)}`));
    assert.deepEqual([short.status, short.body.code, short.body.field], [400, 'VALIDATION_FAILED', 'checksums']);

    const batch = await companion(env, 'GET', batchUrl(`&checksums=${values.map(encodeURIComponent).join(',')}`));
    assert.equal(batch.status, 200, JSON.stringify(batch.body));
    const { presignedUrls, headers } = batch.body as {
      presignedUrls: Record<string, string>;
      headers: Record<string, Record<string, string>>;
    };
    const etags = [];
    for (const [index, part] of parts.entries()) {
      const number = String(index + 1);
      assert.deepEqual(headers[number], { 'x-amz-checksum-sha256': values[index] });
      assert.match(presignedUrls[number] as string, /X-Amz-SignedHeaders=[^&]*x-amz-checksum-sha256/);
      const refused = await send(presignedUrls[number] as string, {
        method: 'PUT',
        headers: headers[number],
        body: otherBytes(part),
      });
      assert.deepEqual([refused.status, refused.code], [400, 'BadDigest'], `part ${number}`);
      const stored = await send(presignedUrls[number] as string, {
        method: 'PUT',
        headers: headers[number],
        body: part,
      });
      assert.equal(stored.status, 200, stored.text);
      etags.push({ PartNumber: index + 1, ETag: stored.headers.get('etag') as string });
    }
    const completed = await companion(
      env,
      'POST',
      `/s3/multipart/${encodeURIComponent(uploadId)}/complete?key=${encodeURIComponent(key)}`,
      { parts: etags },
    );
    assert.equal(completed.status, 200, JSON.stringify(completed.body));
    const digests = createHash('sha256');
    for (const part of parts) digests.update(createHash('sha256').update(part).digest());
    const read = await readBack(env, key);
    assert.equal(read.headers.get('x-amz-checksum-sha256'), `${digests.digest('base64')}-2`);
    assert.ok(read.body.equals(file));
  });
});
