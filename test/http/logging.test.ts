import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLocalApp } from '../helpers.js';

test('raw headers logged under `headers` are redacted', async (t) => {
  const { app, logs } = await startLocalApp(t);
  app.log.warn(
    { headers: { authorization: 'Bearer s3p_secret', cookie: 'c=secret', 'x-api-key': 'k-secret', accept: '*/*' } },
    'raw headers',
  );
  assert.ok(!/s3p_secret|c=secret|k-secret/.test(logs.text), logs.text);
  assert.match(logs.text, /"accept":"\*\/\*"/);
});

test('no signature, credential or authorization header reaches the request logs', async (t) => {
  const { app, logs, auth } = await startLocalApp(t, { LOG_LEVEL: 'trace' });
  const minted = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'get', key: 'k' },
  });
  const { url } = minted.json() as { url: string };
  const signature = new URL(url).searchParams.get('X-Amz-Signature') as string;
  const credential = new URL(url).searchParams.get('X-Amz-Credential') as string;
  // A caller that pastes a presigned URL into a request line, and one with credentials.
  const pathAndQuery = url.slice(url.indexOf('/', 'http://'.length));
  await app.inject({
    method: 'GET',
    url: pathAndQuery,
    headers: { authorization: 'Bearer sk_live_secret_key', cookie: 'session=secret-cookie', 'x-api-key': 'key-123' },
  });
  await app.inject({ method: 'POST', url: '/verify', payload: { url } });

  assert.ok(logs.lines.filter((line) => line.includes('request completed')).length >= 3, 'one line per request');
  for (const secret of [
    signature,
    credential,
    encodeURIComponent(credential),
    'sk_live_secret_key',
    'secret-cookie',
    'key-123',
  ]) {
    assert.ok(!logs.text.includes(secret), `log output contains ${secret}`);
  }
  // The pasted URL's path and parameter names are logged, none of its values.
  assert.match(
    logs.text,
    /"url":"\/local-uploads\/k\?X-Amz-Algorithm&X-Amz-Content-Sha256&X-Amz-Credential&X-Amz-Date&/,
  );
});

test('the logged client address believes X-Forwarded-For only from trusted proxies', async (t) => {
  const loggedAddress = async (env: Record<string, string>, remoteAddress: string) => {
    const { app, logs } = await startLocalApp(t, env);
    await app.inject({
      method: 'GET',
      url: '/livez',
      remoteAddress,
      headers: { 'x-forwarded-for': '198.51.100.7' },
    });
    const line = logs.lines.map((text) => JSON.parse(text)).find((entry) => entry.msg === 'request completed');
    return line?.req?.remoteAddress as string | undefined;
  };
  // By default no peer is a proxy, not even loopback or a private address: nothing names itself.
  for (const peer of ['10.0.3.14', '127.0.0.1', 'fd00::1', '203.0.113.9']) {
    assert.equal(await loggedAddress({}, peer), peer);
  }
  // Only the peers the operator names (a load balancer's range) are believed.
  const named = { TRUST_PROXY: '10.0.0.0/8' };
  assert.equal(await loggedAddress(named, '10.0.3.14'), '198.51.100.7');
  assert.equal(await loggedAddress(named, '192.168.1.1'), '192.168.1.1');
  assert.equal(await loggedAddress({ TRUST_PROXY: 'false' }, '10.0.3.14'), '10.0.3.14');
  assert.equal(await loggedAddress({ TRUST_PROXY: '203.0.113.0/24' }, '203.0.113.9'), '198.51.100.7');
});
