// The service's URLs against a real S3-compatible store that verifies SigV4: what the service
// returns must work, and what it binds must be enforced by the store. Run against each store
// by test/integration/presign-roundtrip.test.ts (embedded) and rgw.test.ts (Ceph RGW).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { startStoreApp, type TestStore } from '../stores.js';
import { withoutProvenance } from '../helpers.js';

async function presign({ app, auth }: { app: FastifyInstance; auth: Record<string, string> }, payload: object) {
  const response = await app.inject({ method: 'POST', url: '/presign', headers: auth, payload });
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as { url: string; method: string; headers: Record<string, string> };
}

export function presignFlows(store: TestStore): void {
  test('PUT then GET through presigned URLs with fetch', async (t) => {
    const local = await startStoreApp(t, store);
    const body = Buffer.from('hello, pinned world\n');
    const key = "reports/2026/it's (a) draft!*.txt";
    const put = await presign(local, {
      operation: 'put',
      key,
      contentType: 'text/plain; charset=utf-8',
      contentLength: body.length,
    });
    const stored = await fetch(put.url, { method: put.method, headers: put.headers, body });
    assert.equal(stored.status, 200, await stored.text());

    const get = await presign(local, {
      operation: 'get',
      key,
      responseContentDisposition: `attachment; filename="it's (a) draft!*.txt"`,
    });
    const fetched = await fetch(get.url);
    assert.equal(fetched.status, 200);
    assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), body);
    assert.equal(fetched.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(fetched.headers.get('content-disposition'), `attachment; filename="it's (a) draft!*.txt"`);
  });

  test('a tampered signature is refused by the store (403)', async (t) => {
    const local = await startStoreApp(t, store);
    const put = await presign(local, { operation: 'put', key: 'tamper.txt', contentType: 'text/plain' });
    assert.equal((await fetch(put.url, { method: 'PUT', headers: put.headers, body: 'original' })).status, 200);
    const { url } = await presign(local, { operation: 'get', key: 'tamper.txt' });
    const signature = /X-Amz-Signature=([0-9a-f]{64})/.exec(url)?.[1] as string;
    const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
    const forged = url.replace(signature, flipped);
    const response = await fetch(forged);
    assert.equal(response.status, 403);
    assert.match(await response.text(), /SignatureDoesNotMatch/);
    // And the key cannot be swapped under a valid signature.
    const otherKey = await fetch(url.replace('/tamper.txt?', '/other.txt?'));
    assert.equal(otherKey.status, 403);
  });

  test('an expired URL is refused by the store (403)', async (t) => {
    // The service's clock runs two hours behind; its validator agrees with its own clock,
    // so the URL is issued, and the store (on the real clock) finds it long expired.
    const local = await startStoreApp(t, store, {}, { now: () => new Date(Date.now() - 2 * 3600_000) });
    const put = await presign(local, { operation: 'get', key: 'old.txt', expiresIn: 60 });
    const response = await fetch(put.url);
    assert.equal(response.status, 403);
    assert.match(await response.text(), /AccessDenied|expired/i);
  });

  test('an upload with another content type or length than the signed ones is refused', async (t) => {
    const local = await startStoreApp(t, store);
    const body = Buffer.from('{"ok":true}');
    const put = await presign(local, {
      operation: 'put',
      key: 'typed.json',
      contentType: 'application/json',
      contentLength: body.length,
    });
    const wrongType = await fetch(put.url, {
      method: 'PUT',
      headers: { ...put.headers, 'content-type': 'text/html' },
      body,
    });
    assert.equal(wrongType.status, 403);
    const wrongLength = await fetch(put.url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat([body, Buffer.from(' ')]),
    });
    assert.equal(wrongLength.status, 403);
    const right = await fetch(put.url, { method: 'PUT', headers: put.headers, body });
    assert.equal(right.status, 200);
  });

  test('POST /uploads binds type and length; the store refuses others; /downloads names the file', async (t) => {
    const { app, auth } = await startStoreApp(t, store);
    const body = randomBytes(4096);
    const response = await app.inject({
      method: 'POST',
      url: '/uploads',
      headers: auth,
      payload: { filename: '../Quarterly report.pdf', contentType: 'application/pdf', contentLength: body.length },
    });
    assert.equal(response.statusCode, 200, response.body);
    const upload = response.json();
    assert.match(upload.key, /^[0-9a-f-]{36}\/Quarterly report\.pdf$/);
    assert.deepEqual(withoutProvenance(upload.headers), {
      'content-type': 'application/pdf',
      'content-length': String(body.length),
    });

    const wrongType = await fetch(upload.url, {
      method: 'PUT',
      headers: { ...upload.headers, 'content-type': 'text/html' },
      body,
    });
    assert.equal(wrongType.status, 403);
    const { 'content-length': _length, ...withoutLength } = upload.headers;
    const wrongLength = await fetch(upload.url, {
      method: 'PUT',
      headers: withoutLength,
      body: Buffer.concat([body, Buffer.from('!')]),
    });
    assert.equal(wrongLength.status, 403);

    const stored = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body });
    assert.equal(stored.status, 200, await stored.text());

    const download = await app.inject({
      method: 'POST',
      url: '/downloads',
      headers: auth,
      payload: { key: upload.key, filename: 'Rapport trimestriel (2026).pdf' },
    });
    assert.equal(download.statusCode, 200, download.body);
    const fetched = await fetch(download.json().url);
    assert.equal(fetched.status, 200);
    assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), body);
    assert.equal(
      fetched.headers.get('content-disposition'),
      `attachment; filename="Rapport trimestriel (2026).pdf"; filename*=UTF-8''Rapport%20trimestriel%20%282026%29.pdf`,
    );
  });
}
