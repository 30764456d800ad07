// The bodies of the Uppy and Companion completion routes: the upload ID is checked before a
// byte of the body is read, and the XML routes take Uppy's largest completion and nothing larger.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_COMPLETION_XML_BYTES } from '../../src/uppy/s3-xml.js';
import { startLocalApp, type LocalApp } from '../helpers.js';
import { s3Parts, uppyCompletionXml } from '../uppy-completion.js';

const FORGED_ID = 'u1.AAAA.BBBB';

/**
 * An upload created the way Uppy 6 creates one: /s3/sign, then the create URL it returns. Its
 * declared size splits into Uppy's most parts, 10,000 of 5 MiB, so any part number a
 * completion lists is inside its layout.
 */
async function uppyUpload({ app, auth }: LocalApp): Promise<{ key: string; uploadId: string }> {
  const signed = await app.inject({
    method: 'POST',
    url: '/s3/sign',
    headers: auth,
    payload: { method: 'POST', key: 'x-big.bin', size: 10_000 * 5 * 1024 ** 2 },
  });
  assert.equal(signed.statusCode, 200, signed.body);
  const createUrl = new URL(signed.json().url, 'http://service.test');
  const created = await app.inject({
    method: 'POST',
    url: `${createUrl.pathname}${createUrl.search}`,
    headers: { ...auth, 'content-type': 'application/octet-stream' },
  });
  assert.equal(created.statusCode, 200, created.body);
  const uploadId = (/<UploadId>([^<]+)<\/UploadId>/.exec(created.body)?.[1] ?? '')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&');
  return { key: signed.json().key, uploadId };
}

const completeUrl = (upload: { key: string; uploadId: string }) =>
  `/s3/uppy/complete?${new URLSearchParams({ key: upload.key, uploadId: upload.uploadId })}`;

test("/s3/uppy/complete takes Uppy's largest completion (10,000 parts) and refuses one byte more with 413", async (t) => {
  const local = await startLocalApp(t);
  const upload = await uppyUpload(local);
  const largest = uppyCompletionXml(s3Parts(10_000));
  assert.equal(Buffer.byteLength(largest), MAX_COMPLETION_XML_BYTES);
  const headers = { ...local.auth, 'content-type': 'application/xml' };

  const accepted = await local.app.inject({ method: 'POST', url: completeUrl(upload), headers, payload: largest });
  // Read and parsed whole: the refusal is about part 1, which was never uploaded.
  assert.deepEqual([accepted.statusCode, accepted.json().code], [400, 'INVALID_PART'], accepted.body);
  assert.match(accepted.json().message, /part 1 has not been uploaded/);

  const over = await local.app.inject({ method: 'POST', url: completeUrl(upload), headers, payload: `${largest}\n` });
  assert.deepEqual([over.statusCode, over.json().code], [413, 'BODY_TOO_LARGE'], over.body);

  // Issue 19's body (9,000 parts, then 480,000 spaces: 982,944 bytes) is no longer read at all.
  const attack = `<CompleteMultipartUpload>${uppyCompletionXml(
    s3Parts(9_000).map((part) => ({ ...part, etag: 'e' })),
  ).slice(
    '<CompleteMultipartUpload>'.length,
    -'</CompleteMultipartUpload>'.length,
  )}${' '.repeat(480_000)}</CompleteMultipartUpload>`;
  const refused = await local.app.inject({ method: 'POST', url: completeUrl(upload), headers, payload: attack });
  assert.deepEqual([refused.statusCode, refused.json().code], [413, 'BODY_TOO_LARGE']);
});

test('a made-up upload ID is refused before the body is read: the answer is 403, not 413 or a parse error', async (t) => {
  const local = await startLocalApp(t);
  const { key } = await uppyUpload(local);
  const oversized = `<CompleteMultipartUpload>${' '.repeat(2 * MAX_COMPLETION_XML_BYTES)}</CompleteMultipartUpload>`;
  const headers = { ...local.auth, 'content-type': 'application/xml' };
  const cases: Array<[string, string, string | object, Record<string, string>, number, string]> = [
    [
      'Uppy, forged ID, oversized body',
      completeUrl({ key, uploadId: FORGED_ID }),
      oversized,
      headers,
      403,
      'UPLOAD_NOT_ALLOWED',
    ],
    [
      'Uppy, malformed ID, malformed body',
      completeUrl({ key, uploadId: 'x' }),
      '<x',
      headers,
      400,
      'INVALID_UPLOAD_ID',
    ],
    [
      'Companion, forged ID, broken JSON',
      `/s3/multipart/${FORGED_ID}/complete?key=${encodeURIComponent(key)}`,
      '{"parts": [',
      { ...local.auth, 'content-type': 'application/json' },
      403,
      'UPLOAD_NOT_ALLOWED',
    ],
    [
      'Companion, forged ID, oversized body',
      `/s3/multipart/${FORGED_ID}/complete?key=${encodeURIComponent(key)}`,
      `{"parts": [${' '.repeat(2 * 1024 * 1024)}]}`,
      { ...local.auth, 'content-type': 'application/json' },
      403,
      'UPLOAD_NOT_ALLOWED',
    ],
  ];
  for (const [what, url, payload, caseHeaders, status, code] of cases) {
    const response = await local.app.inject({ method: 'POST', url, headers: caseHeaders, payload });
    assert.deepEqual([response.statusCode, response.json().code], [status, code], `${what}: ${response.body}`);
  }
});
