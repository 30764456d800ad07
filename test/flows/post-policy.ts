// Browser form uploads end to end: POST /uploads with method post, then a real
// multipart/form-data POST to the store, which checks the policy as S3 does. Run against each
// store by test/integration/post-policy.test.ts (embedded) and rgw.test.ts (Ceph RGW).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { startStoreApp, type TestStore } from '../stores.js';

type Policy = { url: string; method: 'POST'; fields: Record<string, string>; key: string; expiresAt: string };

function form(fields: Record<string, string>, file: Buffer, type: string): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  body.append('file', new Blob([file], { type }), 'upload');
  return body;
}

export function postPolicyFlows(store: TestStore): void {
  test('a POST policy takes exactly the stated file (201) and the store refuses any other size, key, type or a late post', async (t) => {
    const started = Date.now();
    let clock = () => new Date();
    const { app, auth } = await startStoreApp(t, store, {}, { now: () => clock() });
    const file = randomBytes(2048);
    const ask = async (overrides: object = {}) => {
      const response = await app.inject({
        method: 'POST',
        url: '/uploads',
        headers: auth,
        payload: {
          filename: 'photo.png',
          contentType: 'image/png',
          contentLength: file.length,
          method: 'post',
          ...overrides,
        },
      });
      assert.equal(response.statusCode, 200, response.body);
      return response.json() as Policy;
    };
    const policy = await ask();
    assert.equal(policy.method, 'POST');
    assert.match(policy.key, /^[0-9a-f-]{36}\/photo\.png$/);
    assert.equal(policy.fields.key, policy.key);
    const document = JSON.parse(Buffer.from(policy.fields.Policy as string, 'base64').toString('utf8'));
    assert.deepEqual(document.conditions[0], ['content-length-range', file.length, file.length]);

    const post = async (p: Policy, fields: Record<string, string>, body: Buffer, type = 'image/png') => {
      const response = await fetch(p.url, { method: 'POST', body: form(fields, body, type) });
      return { status: response.status, text: await response.text() };
    };
    const tooLarge = await post(policy, policy.fields, Buffer.concat([file, Buffer.from('!')]));
    assert.equal(tooLarge.status, 400, tooLarge.text);
    assert.match(tooLarge.text, /EntityTooLarge/);
    const tooSmall = await post(policy, policy.fields, file.subarray(1));
    assert.equal(tooSmall.status, 400, tooSmall.text);
    assert.match(tooSmall.text, /EntityTooSmall/);
    const otherKey = await post(policy, { ...policy.fields, key: `${policy.key}.html` }, file);
    assert.equal(otherKey.status, 403, otherKey.text);
    const otherType = await post(policy, { ...policy.fields, 'Content-Type': 'text/html' }, file, 'text/html');
    assert.equal(otherType.status, 403, otherType.text);

    const stored = await post(policy, policy.fields, file);
    assert.equal(stored.status, 201, stored.text);
    const download = await app.inject({
      method: 'POST',
      url: '/downloads',
      headers: auth,
      payload: { key: policy.key },
    });
    const fetched = await fetch(download.json().url);
    assert.ok(Buffer.from(await fetched.arrayBuffer()).equals(file));
    assert.equal(fetched.headers.get('content-type'), 'image/png');

    // Signed 20 minutes ago for the default 15: valid when issued, expired when posted.
    clock = () => new Date(started - 20 * 60 * 1000);
    const stale = await ask();
    clock = () => new Date();
    const expired = await post(stale, stale.fields, file);
    assert.equal(expired.status, 403, expired.text);
    assert.match(expired.text, /expired/i);
  });
}
