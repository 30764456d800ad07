// The Companion-compatible and Uppy 6 routes through app.inject, against the embedded store:
// their shapes, and the refusals a caller (or an attacker holding a token) meets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLocalApp } from '../helpers.js';

const FIVE_MIB = 5 * 1024 * 1024;

test('Companion routes: create, part URL, batch, list, abort, in Companion shapes', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const created = await app.inject({
    method: 'POST',
    url: '/s3/multipart',
    headers: auth,
    payload: { filename: 'clip.mp4', type: 'video/mp4', metadata: { name: 'clip.mp4' } },
  });
  assert.equal(created.statusCode, 200, created.body);
  const { key, uploadId, bucket } = created.json();
  assert.match(key, /^[0-9a-f-]{36}\/clip\.mp4$/);
  assert.equal(bucket, 'local-uploads');
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

test('Companion routes refuse what Companion would not check', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const { key, uploadId } = (
    await app.inject({ method: 'POST', url: '/s3/multipart', headers: auth, payload: { filename: 'a.bin' } })
  ).json();
  const path = `/s3/multipart/${encodeURIComponent(uploadId)}`;
  const cases: Array<[string, string, number, string]> = [
    ['no token', `${path}/1?key=${encodeURIComponent(key)}`, 401, 'AUTH_REQUIRED'],
    ['another key', `${path}/1?key=${encodeURIComponent(`${key}x`)}`, 403, 'UPLOAD_NOT_ALLOWED'],
    ['a forged upload ID', `/s3/multipart/u1.AAAA.BBBB/1?key=${encodeURIComponent(key)}`, 403, 'UPLOAD_NOT_ALLOWED'],
    ['part 0', `${path}/0?key=${encodeURIComponent(key)}`, 400, 'VALIDATION_FAILED'],
    ['a broken escape in the path', `/s3/multipart/%ZZ/1?key=k`, 400, 'VALIDATION_FAILED'],
    ['an over-long upload ID', `/s3/multipart/${'a'.repeat(3000)}/1?key=k`, 400, 'VALIDATION_FAILED'],
    ['a bad batch list', `${path}/batch?key=${encodeURIComponent(key)}&partNumbers=1,,2`, 400, 'VALIDATION_FAILED'],
  ];
  for (const [what, url, status, code] of cases) {
    const response = await app.inject({ method: 'GET', url, headers: what === 'no token' ? {} : auth });
    assert.deepEqual([response.statusCode, response.json().code], [status, code], what);
    assert.doesNotMatch(response.body, /a{100}/, `${what}: the path is not echoed`);
  }
  const badType = await app.inject({
    method: 'GET',
    url: '/s3/params?filename=a.txt&type=text%2Fplain%0d%0ax-evil%3A%201',
    headers: auth,
  });
  assert.deepEqual([badType.statusCode, badType.json().code], [400, 'VALIDATION_FAILED']);
});

test('/s3/params answers a form policy bounded by the caller, and the store takes the file', async (t) => {
  const { app, auth } = await startLocalApp(t);
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
  assert.deepEqual(range, ['content-length-range', 0, 5 * 1024 ** 3], 'no policy limit: S3 form uploads stop at 5 GiB');
  const form = new FormData();
  for (const [name, value] of Object.entries(fields as Record<string, string>)) form.append(name, value);
  form.append('file', new Blob(['hello'], { type: 'text/plain' }), 'note.txt');
  const posted = await fetch(url, { method: 'POST', body: form });
  assert.equal(posted.status, 201, await posted.text());
});

test('/s3/sign: Uppy 6 requests become S3 URLs or control URLs back to the service', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const sign = (payload: object) =>
    app.inject({ method: 'POST', url: '/s3/sign', headers: { ...auth, host: 'svc.example:8443' }, payload });

  const create = await sign({ method: 'POST', key: 'x-clip.mp4' });
  assert.equal(create.statusCode, 200, create.body);
  const createUrl = new URL(create.json().url);
  assert.equal(createUrl.origin, 'http://svc.example:8443');
  assert.equal(createUrl.pathname, '/s3/uppy/uploads');
  assert.deepEqual(create.json().headers, { authorization: auth.authorization });
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
  const completeUrl = new URL(complete.json().url);
  const malformed = await app.inject({
    method: 'POST',
    url: `${completeUrl.pathname}${completeUrl.search}`,
    headers: { ...auth, 'content-type': 'application/xml' },
    payload: '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>',
  });
  assert.deepEqual([malformed.statusCode, malformed.json().code], [400, 'VALIDATION_FAILED']);

  const whole = await sign({ method: 'DELETE', key: 'anything' });
  assert.deepEqual([whole.statusCode, whole.json().code], [403, 'OPERATION_NOT_ALLOWED']);
  const forged = await app.inject({
    method: 'POST',
    url: '/s3/uppy/uploads?grant=g1.e30.AAAA',
    headers: { ...auth, 'content-type': 'video/mp4' },
  });
  assert.equal(forged.statusCode >= 400 && forged.statusCode < 500, true, forged.body);
});

function unescapeXml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
