// URLs from the fast engine against the embedded S3 server, which recomputes and checks every
// SigV4 signature: PUT then GET with fetch, keys with spaces and every character S3 encodes
// specially, and a PUT that the store refuses once its signed headers are changed.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { startEmbeddedS3, type EmbeddedS3 } from '../../src/local/embedded-s3.js';
import { createPresigner, type PresignerBundle } from '../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../src/presign/credentials.js';
import { configFrom } from '../fixtures/config.js';
import { onEmbeddedStore } from '../fixtures/endpoint-modes.js';

const BUCKET = 'fast-engine';

describe('fast engine against the embedded S3 server', () => {
  let s3: EmbeddedS3;
  let bundle: PresignerBundle;

  before(async () => {
    s3 = await startEmbeddedS3({ buckets: [BUCKET] });
    const config = onEmbeddedStore(
      configFrom({ S3_ENDPOINT_MODE: 'local', S3_BUCKETS: BUCKET, PRESIGN_ENGINE: 'fast' }),
      s3,
    );
    bundle = await createPresigner(config, { credentials: staticCredentialSource(s3.credentials, 'embedded-s3') });
    assert.equal(bundle.presigner.engine, 'fast');
  });
  after(async () => {
    bundle?.close();
    await s3?.close();
  });

  for (const key of [
    'plain.txt',
    'reports/2026/q1 summary (final).txt',
    "it's (a) draft!*.txt",
    'a+b=c&d?e#f.txt',
    'caf\u00e9/\ud83d\ude00 100%.txt',
  ]) {
    it(`PUT then GET ${JSON.stringify(key)}`, async () => {
      const body = Buffer.from(`the body of ${key}\n`);
      const put = await bundle.presigner.presign({
        operation: 'put',
        bucket: BUCKET,
        key,
        expiresIn: 300,
        contentType: 'text/plain; charset=utf-8',
        contentLength: body.length,
        checksumSha256: createHash('sha256').update(body).digest('base64'),
      });
      const stored = await fetch(put.url, { method: put.method, headers: put.headers, body });
      assert.equal(stored.status, 200, await stored.text());

      const get = await bundle.presigner.presign({
        operation: 'get',
        bucket: BUCKET,
        key,
        expiresIn: 300,
        // RFC 6266's UTF-8 form: a response header cannot carry the raw characters.
        responseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(key.split('/').pop() ?? key)}`,
      });
      const fetched = await fetch(get.url);
      assert.equal(fetched.status, 200, await fetched.clone().text());
      assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), body);
      assert.equal(fetched.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.match(fetched.headers.get('content-disposition') ?? '', /^attachment; filename\*=UTF-8''/);
    });
  }

  it('a PUT with another content type than the signed one is refused (403)', async () => {
    const body = Buffer.from('{"ok":true}');
    const put = await bundle.presigner.presign({
      operation: 'put',
      bucket: BUCKET,
      key: 'typed (json).json',
      expiresIn: 300,
      contentType: 'application/json',
      contentLength: body.length,
    });
    const wrong = await fetch(put.url, {
      method: 'PUT',
      headers: { ...put.headers, 'content-type': 'text/html' },
      body,
    });
    assert.equal(wrong.status, 403);
    const right = await fetch(put.url, { method: 'PUT', headers: put.headers, body });
    assert.equal(right.status, 200);
  });
});
