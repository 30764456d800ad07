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
    await app.inject({
      method: 'POST',
      url: '/s3/multipart',
      headers: auth,
      payload: { filename: 'a.bin', metadata: { size: 1 } },
    })
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

test('/s3/sign: control URLs come from PUBLIC_BASE_URL or are paths, never from Host or X-Forwarded-*, and echo no header', async (t) => {
  const requests = [
    { host: 'evil.example' },
    { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'javascript' },
    { 'x-forwarded-host': 'evil.example:1', 'x-forwarded-proto': 'https' },
  ];
  const controlUrls = async (env: Record<string, string>) => {
    const { app, auth } = await startLocalApp(t, env);
    const urls: string[] = [];
    for (const headers of requests) {
      const signs = [
        { method: 'POST', key: 'a.bin', size: 10 },
        { method: 'GET', key: 'k', uploadId: 'u1.x.y' },
        { method: 'POST', key: 'k', uploadId: 'u1.x.y' },
        { method: 'DELETE', key: 'k', uploadId: 'u1.x.y' },
      ];
      for (const payload of signs) {
        // A trusted peer (loopback, as app.inject connects from) sends the forwarded headers.
        const signed = await app.inject({ method: 'POST', url: '/s3/sign', headers: { ...auth, ...headers }, payload });
        assert.equal(signed.statusCode, 200, signed.body);
        assert.deepEqual(
          Object.keys(signed.json()).filter((name) => name !== 'key'),
          ['url'],
          'no headers echoed',
        );
        assert.doesNotMatch(signed.body, /s3p_/, 'the API key is not in the answer');
        urls.push(signed.json().url);
      }
    }
    return urls;
  };
  const trusting = { TRUST_PROXY: 'loopback' };
  for (const url of await controlUrls(trusting)) assert.match(url, /^\/s3\/uppy\/(uploads|parts|complete|upload)\?/);
  const based = await controlUrls({ ...trusting, PUBLIC_BASE_URL: 'https://uploads.example.com/presign/' });
  for (const url of based) {
    assert.match(url, /^https:\/\/uploads\.example\.com\/presign\/s3\/uppy\/(uploads|parts|complete|upload)\?/);
  }
});
