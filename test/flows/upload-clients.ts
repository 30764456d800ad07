// The Companion-compatible and Uppy 6 routes' server-side calls against a store: create,
// part URLs sent with fetch, list, complete and abort through the service, in Companion's
// JSON and S3's XML. Run against each store by test/http/upload-clients.test.ts (embedded)
// and test/integration/rgw.test.ts (Ceph RGW).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { startStoreApp, type TestStore } from '../stores.js';

const FIVE_MIB = 5 * 1024 * 1024;

export function uploadClientFlows(store: TestStore): void {
  test('Companion routes: create, part URL, batch, list, abort, in Companion shapes', async (t) => {
    const { app, auth, config } = await startStoreApp(t, store);
    const created = await app.inject({
      method: 'POST',
      url: '/s3/multipart',
      headers: auth,
      // As Uppy 5 sends a file's meta fields, each value a string.
      payload: { filename: 'clip.mp4', type: 'video/mp4', metadata: { name: 'clip.mp4', size: String(3 * FIVE_MIB) } },
    });
    assert.equal(created.statusCode, 200, created.body);
    const { key, uploadId, bucket } = created.json();
    assert.match(key, /^[0-9a-f-]{36}\/clip\.mp4$/);
    assert.equal(bucket, config.buckets[0]);
    const path = `/s3/multipart/${encodeURIComponent(uploadId)}`;
    const query = `key=${encodeURIComponent(key)}`;

    const one = await app.inject({ method: 'GET', url: `${path}/1?${query}`, headers: auth });
    assert.equal(one.statusCode, 200, one.body);
    const url = new URL(one.json().url);
    assert.equal(url.searchParams.get('partNumber'), '1');
    assert.equal(url.searchParams.has('x-amz-checksum-crc32'), false, 'no checksum parameter behind the caller');
    assert.ok(one.json().expires > 0);

    const batch = await app.inject({ method: 'GET', url: `${path}/batch?${query}&partNumbers=1,2,3`, headers: auth });
    assert.equal(batch.statusCode, 200, batch.body);
    assert.deepEqual(Object.keys(batch.json().presignedUrls), ['1', '2', '3']);

    const body = Buffer.alloc(FIVE_MIB, 7);
    const put = await fetch(batch.json().presignedUrls['1'], { method: 'PUT', body });
    assert.equal(put.status, 200);
    const listed = await app.inject({ method: 'GET', url: `${path}?${query}`, headers: auth });
    assert.equal(listed.statusCode, 200, listed.body);
    assert.deepEqual(listed.json(), [{ PartNumber: 1, ETag: put.headers.get('etag'), Size: FIVE_MIB }]);

    const aborted = await app.inject({ method: 'DELETE', url: `${path}?${query}`, headers: auth });
    assert.deepEqual([aborted.statusCode, aborted.json()], [200, {}]);
    const gone = await app.inject({ method: 'GET', url: `${path}?${query}`, headers: auth });
    assert.deepEqual([gone.statusCode, gone.json().code], [404, 'NO_SUCH_UPLOAD']);
  });

  test('Companion routes: complete answers the location; the upload is then gone', async (t) => {
    const { app, auth, client, config } = await startStoreApp(t, store);
    const created = await app.inject({
      method: 'POST',
      url: '/s3/multipart',
      headers: auth,
      payload: { filename: 'notes.txt', type: 'text/plain', metadata: { size: String('one small part'.length) } },
    });
    const { key, uploadId } = created.json();
    const path = `/s3/multipart/${encodeURIComponent(uploadId)}`;
    const query = `key=${encodeURIComponent(key)}`;
    const one = await app.inject({ method: 'GET', url: `${path}/1?${query}`, headers: auth });
    const put = await fetch(one.json().url, { method: 'PUT', body: 'one small part' });
    assert.equal(put.status, 200, await put.text());
    const completed = await app.inject({
      method: 'POST',
      url: `${path}/complete?${query}`,
      headers: auth,
      payload: { parts: [{ PartNumber: 1, ETag: put.headers.get('etag') }] },
    });
    assert.equal(completed.statusCode, 200, completed.body);
    assert.deepEqual(completed.json(), {
      // The pinned route's address of the object: path style, the store's own origin.
      location: `${(config.mode as { endpoint: URL }).endpoint.origin}/${config.buckets[0]}/${key}`,
      key,
      bucket: config.buckets[0],
    });
    const head = await client.send(new HeadObjectCommand({ Bucket: config.buckets[0], Key: key }));
    assert.equal(head.ContentLength, 'one small part'.length);
    const gone = await app.inject({ method: 'GET', url: `${path}?${query}`, headers: auth });
    assert.deepEqual([gone.statusCode, gone.json().code], [404, 'NO_SUCH_UPLOAD'], 'a completed upload lists as gone');
  });

  test('/s3/params answers a form policy bounded by the caller, and the store takes the file', async (t) => {
    const { app, auth } = await startStoreApp(t, store);
    const response = await app.inject({
      method: 'GET',
      url: '/s3/params?filename=note.txt&type=text/plain',
      headers: auth,
    });
    assert.equal(response.statusCode, 200, response.body);
    const { method, url, fields, expires } = response.json();
    assert.equal(method, 'POST');
    assert.ok(expires > 0);
    const policy = JSON.parse(Buffer.from(fields.Policy ?? fields.policy, 'base64').toString('utf8'));
    const range = policy.conditions.find(
      (condition: unknown) => Array.isArray(condition) && condition[0] === 'content-length-range',
    );
    assert.deepEqual(
      range,
      ['content-length-range', 0, 5 * 1024 ** 3],
      'no policy limit: S3 form uploads stop at 5 GiB',
    );
    const form = new FormData();
    for (const [name, value] of Object.entries(fields as Record<string, string>)) form.append(name, value);
    form.append('file', new Blob(['hello'], { type: 'text/plain' }), 'note.txt');
    const posted = await fetch(url, { method: 'POST', body: form });
    assert.equal(posted.status, 201, await posted.text());
  });

  test('/s3/sign: Uppy 6 requests become S3 URLs or control URLs back to the service', async (t) => {
    const { app, auth, client, config } = await startStoreApp(t, store);
    const sign = (payload: object) =>
      app.inject({ method: 'POST', url: '/s3/sign', headers: { ...auth, host: 'svc.example:8443' }, payload });

    // The one part sent below is the whole file: its size is declared, and its URL signs it.
    const body = Buffer.from('the only part, so it may be small');
    const create = await sign({ method: 'POST', key: 'x-clip.mp4', size: body.length });
    assert.equal(create.statusCode, 200, create.body);
    // Without PUBLIC_BASE_URL: a path on the service, whatever Host said; no header to send.
    assert.match(create.json().url, /^\/s3\/uppy\/uploads\?grant=g1\./);
    const createUrl = new URL(create.json().url, 'http://service.test');
    assert.equal(create.json().headers, undefined);
    assert.match(create.json().key, /^[0-9a-f-]{36}\/x-clip\.mp4$/);

    // The create call: the grant names the key, the Content-Type header the type.
    const initiated = await app.inject({
      method: 'POST',
      url: `${createUrl.pathname}${createUrl.search}`,
      headers: { ...auth, 'content-type': 'video/mp4' },
    });
    assert.equal(initiated.statusCode, 200, initiated.body);
    assert.match(initiated.headers['content-type'] as string, /^application\/xml/);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(initiated.body)?.[1] ?? '';
    assert.ok(initiated.body.includes(`<Key>${create.json().key}</Key>`));

    // A grant is the caller's own: another caller's token cannot spend it.
    const stolen = await app.inject({
      method: 'POST',
      url: `${createUrl.pathname}${createUrl.search}`,
      headers: { authorization: `Bearer s3p_${'A'.repeat(43)}`, 'content-type': 'video/mp4' },
    });
    assert.equal(stolen.statusCode, 401);

    const part = await sign({ method: 'PUT', key: create.json().key, uploadId: unescapeXml(uploadId), partNumber: 1 });
    assert.equal(part.statusCode, 200, part.body);
    assert.equal(new URL(part.json().url).searchParams.get('partNumber'), '1');

    const complete = await sign({ method: 'POST', key: create.json().key, uploadId: unescapeXml(uploadId) });
    const completeUrl = new URL(complete.json().url, 'http://service.test');
    const malformed = await app.inject({
      method: 'POST',
      url: `${completeUrl.pathname}${completeUrl.search}`,
      headers: { ...auth, 'content-type': 'application/xml' },
      payload: '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>',
    });
    assert.deepEqual([malformed.statusCode, malformed.json().code], [400, 'VALIDATION_FAILED']);

    // The part goes to the store; listing and completion come back to the service, in S3's XML.
    const sent = await fetch(part.json().url, { method: 'PUT', headers: part.json().headers, body });
    assert.equal(sent.status, 200, await sent.text());
    const partEtag = sent.headers.get('etag') as string;
    const list = new URL(
      (await sign({ method: 'GET', key: create.json().key, uploadId: unescapeXml(uploadId) })).json().url,
      'http://service.test',
    );
    const listed = await app.inject({ method: 'GET', url: `${list.pathname}${list.search}`, headers: auth });
    assert.equal(listed.statusCode, 200, listed.body);
    assert.equal(unescapeXml(/<ETag>([^<]*)<\/ETag>/.exec(listed.body)?.[1] ?? ''), partEtag);
    const completed = await app.inject({
      method: 'POST',
      url: `${completeUrl.pathname}${completeUrl.search}`,
      headers: { ...auth, 'content-type': 'application/xml' },
      payload: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${partEtag}</ETag></Part></CompleteMultipartUpload>`,
    });
    assert.equal(completed.statusCode, 200, completed.body);
    const head = await client.send(new HeadObjectCommand({ Bucket: config.buckets[0], Key: create.json().key }));
    assert.match(head.ETag ?? '', /-1"$/);
    assert.equal(
      unescapeXml(/<ETag>([^<]*)<\/ETag>/.exec(completed.body)?.[1] ?? ''),
      head.ETag,
      "Uppy is answered the object's ETag",
    );

    const whole = await sign({ method: 'DELETE', key: 'anything' });
    assert.deepEqual([whole.statusCode, whole.json().code], [403, 'OPERATION_NOT_ALLOWED']);
    const forged = await app.inject({
      method: 'POST',
      url: '/s3/uppy/uploads?grant=g1.e30.AAAA',
      headers: { ...auth, 'content-type': 'video/mp4' },
    });
    assert.equal(forged.statusCode >= 400 && forged.statusCode < 500, true, forged.body);
  });

  test('Companion and Uppy 6 multipart uploads declare their size: part URLs sign their lengths, nothing past the limit', async (t) => {
    const MiB = 1024 * 1024;
    const key = generateApiKey();
    const clients = {
      clients: [
        {
          id: 'web',
          apiKeySha256: hashApiKey(key),
          policy: { operations: ['get', 'put'], keyPrefixes: ['web/'], maxContentLength: MiB },
        },
      ],
    };
    const { app } = await startStoreApp(t, store, {}, {}, { clients });
    const headers = { authorization: `Bearer ${key}` };
    const refusal = (response: { statusCode: number; json(): { code: string; field?: string } }) => [
      response.statusCode,
      response.json().code,
      response.json().field,
    ];
    const companionCreate = (metadata?: object) =>
      app.inject({ method: 'POST', url: '/s3/multipart', headers, payload: { filename: 'a.bin', metadata } });
    const sign = (payload: object) => app.inject({ method: 'POST', url: '/s3/sign', headers, payload });

    // Without a size, no upload starts; over the limit neither (the attack: 3 parts of 6 MiB).
    assert.deepEqual(refusal(await companionCreate()), [400, 'CONTENT_LENGTH_REQUIRED', 'metadata.size']);
    assert.deepEqual(refusal(await companionCreate({ name: 'a.bin' })), [
      400,
      'CONTENT_LENGTH_REQUIRED',
      'metadata.size',
    ]);
    assert.deepEqual(refusal(await companionCreate({ size: '1e6' })), [400, 'VALIDATION_FAILED', 'metadata.size']);
    const huge = await companionCreate({ size: '99999999999999999' });
    assert.deepEqual(refusal(huge), [400, 'VALIDATION_FAILED', 'metadata.size']);
    assert.match(huge.json().message as string, /metadata\.size: Too big: expected number to be <=5497558138880/);
    assert.match(
      (await companionCreate({ size: 'ten' })).json().message as string,
      /metadata\.size: must be a whole number of bytes \(a number, or its decimal digits\)/,
    );
    assert.deepEqual(refusal(await companionCreate({ size: String(18 * MiB) })), [
      403,
      'CONTENT_LENGTH_NOT_ALLOWED',
      'contentLength',
    ]);
    assert.deepEqual(refusal(await sign({ method: 'POST', key: 'a.bin' })), [400, 'CONTENT_LENGTH_REQUIRED', 'size']);
    assert.deepEqual(refusal(await sign({ method: 'POST', key: 'a.bin', size: 18 * MiB })), [
      403,
      'CONTENT_LENGTH_NOT_ALLOWED',
      'contentLength',
    ]);

    // At the limit: one part of exactly 1 MiB, whichever route signs it.
    const companion = (await companionCreate({ size: String(MiB) })).json();
    const companionPath = `/s3/multipart/${encodeURIComponent(companion.uploadId)}`;
    const companionQuery = `key=${encodeURIComponent(companion.key)}`;
    const companionPart = (n: number) =>
      app.inject({ method: 'GET', url: `${companionPath}/${n}?${companionQuery}`, headers });
    const companionBatch = (list: string) =>
      app.inject({ method: 'GET', url: `${companionPath}/batch?${companionQuery}&partNumbers=${list}`, headers });
    assert.deepEqual(refusal(await companionPart(2)), [400, 'INVALID_PART_NUMBER', 'partNumbers.0']);
    assert.deepEqual(refusal(await companionBatch('1,2')), [400, 'INVALID_PART_NUMBER', 'partNumbers.1']);

    const created = await sign({ method: 'POST', key: 'b.bin', size: MiB });
    const createUrl = created.json().url as string;
    const initiated = await app.inject({
      method: 'POST',
      url: createUrl.slice(createUrl.indexOf('/s3/uppy/')),
      headers: { ...headers, 'content-type': 'application/octet-stream' },
    });
    const uppyUpload = {
      key: created.json().key,
      uploadId: unescapeXml(/<UploadId>([^<]+)</.exec(initiated.body)?.[1] ?? ''),
    };
    assert.deepEqual(refusal(await sign({ method: 'PUT', ...uppyUpload, partNumber: 2 })), [
      400,
      'INVALID_PART_NUMBER',
      'partNumbers.0',
    ]);
    assert.deepEqual(refusal(await sign({ method: 'PUT', ...uppyUpload, partNumber: 1, size: MiB })), [
      400,
      'VALIDATION_FAILED',
      'size',
    ]);

    const urls = [
      (await companionPart(1)).json().url as string,
      (await companionBatch('1')).json().presignedUrls['1'] as string,
      (await sign({ method: 'PUT', ...uppyUpload, partNumber: 1 })).json().url as string,
    ];
    for (const url of urls) {
      assert.equal(new URL(url).searchParams.get('X-Amz-SignedHeaders'), 'content-length;host');
      // What the attack stored: a 6 MiB part. S3 refuses it, and anything but the signed length.
      for (const size of [6 * MiB, MiB + 1, MiB - 1]) {
        const refused = await fetch(url, { method: 'PUT', body: new Uint8Array(size) });
        assert.equal(refused.status, 403, `${size} bytes`);
      }
      assert.equal((await fetch(url, { method: 'PUT', body: new Uint8Array(MiB) })).status, 200);
    }

    // A form upload that states its size (Uppy 5 sends its meta fields as metadata[name]) binds exactly that.
    const params = (size: number) =>
      app.inject({
        method: 'GET',
        url: `/s3/params?filename=a.txt&type=text/plain&metadata%5Bsize%5D=${size}`,
        headers,
      });
    const policy = JSON.parse(Buffer.from((await params(MiB)).json().fields.Policy, 'base64').toString('utf8'));
    assert.deepEqual(
      policy.conditions.find(
        (condition: unknown) => Array.isArray(condition) && condition[0] === 'content-length-range',
      ),
      ['content-length-range', MiB, MiB],
    );
    assert.deepEqual(refusal(await params(MiB + 1)), [403, 'CONTENT_LENGTH_NOT_ALLOWED', 'contentLength']);
  });
}

function unescapeXml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
