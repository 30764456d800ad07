// The Companion-compatible and Uppy 6 routes through app.inject: the refusals a caller (or an
// attacker holding a token) meets. Their flows against each store are in
// test/flows/upload-clients.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uploadClientFlows } from '../flows/upload-clients.js';
import { startLocalApp } from '../helpers.js';
import { embeddedStore } from '../stores.js';

uploadClientFlows(embeddedStore);

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
