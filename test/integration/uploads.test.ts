// The frontend routes against the embedded store, which verifies checksums: what /uploads
// binds, the store enforces (type and length are proven on every store in test/flows/presign.ts).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { startLocalApp, withoutProvenance } from '../helpers.js';

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('base64');

test('POST /uploads binds the checksum; the embedded store refuses other bytes of the same length', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const body = randomBytes(4096);
  const response = await app.inject({
    method: 'POST',
    url: '/uploads',
    headers: auth,
    payload: {
      filename: 'Quarterly report.pdf',
      contentType: 'application/pdf',
      contentLength: body.length,
      checksumSha256: sha256(body),
    },
  });
  assert.equal(response.statusCode, 200, response.body);
  const upload = response.json();
  assert.deepEqual(withoutProvenance(upload.headers), {
    'content-type': 'application/pdf',
    'content-length': String(body.length),
    'x-amz-checksum-sha256': sha256(body),
  });

  const otherBytes = randomBytes(body.length);
  const wrongBytes = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: otherBytes });
  assert.equal(wrongBytes.status, 400, 'the checksum binds the bytes');
  assert.match(await wrongBytes.text(), /BadDigest/);

  const stored = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body });
  assert.equal(stored.status, 200, await stored.text());
  const download = await app.inject({ method: 'POST', url: '/downloads', headers: auth, payload: { key: upload.key } });
  assert.deepEqual(Buffer.from(await (await fetch(download.json().url)).arrayBuffer()), body);
});

test('POST /uploads and /downloads refuse bad input with a named field', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const cases: Array<[string, object, string]> = [
    ['/uploads', { filename: 'a.txt', contentType: 'text/plain' }, 'contentLength'],
    ['/uploads', { filename: 'a.txt', contentLength: 1 }, 'contentType'],
    ['/uploads', { filename: '', contentType: 'text/plain', contentLength: 1 }, 'filename'],
    ['/uploads', { filename: 'a.txt', contentType: 'text/plain\r\n', contentLength: 1 }, 'contentType'],
    ['/uploads', { filename: 'a.txt', contentType: 'text/plain', contentLength: 1, key: 'chosen' }, 'key'],
    ['/downloads', { key: '../x' }, 'key'],
    ['/downloads', { key: 'folder/' }, 'key'],
    ['/downloads', {}, 'key'],
  ];
  for (const [url, payload, field] of cases) {
    const response = await app.inject({ method: 'POST', url, headers: auth, payload });
    assert.equal(response.statusCode, 400, `${url} ${JSON.stringify(payload)} → ${response.body}`);
    assert.equal(response.json().field, field, `${url} ${JSON.stringify(payload)}`);
  }
});
