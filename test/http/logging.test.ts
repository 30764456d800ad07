import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { scrubUrl } from '../../src/http/log-redaction.js';
import { startLocalApp } from '../helpers.js';

test('scrubUrl removes signatures, credentials and tokens, and keeps the rest', () => {
  const url =
    'https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE&X-Amz-Signature=deadbeef&x-amz-security-token=lower&Signature=v2sig&AWSAccessKeyId=AKIAV2';
  const scrubbed = scrubUrl(url);
  for (const secret of ['ASIAEXAMPLE', 'FQoGZXIvYXdzEXAMPLE', 'deadbeef', 'lower', 'v2sig', 'AKIAV2']) {
    assert.ok(!scrubbed.includes(secret), `${secret} left in ${scrubbed}`);
  }
  assert.ok(scrubbed.startsWith('https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&'));
  assert.match(scrubbed, /X-Amz-Signature=REDACTED/);
});

/**
 * The query parameters whose values never reach a log line, in any letter case: the
 * specification of the scrubber, written here rather than read from it.
 */
const SECRET_PARAMETERS = [
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  'Signature',
  'AWSAccessKeyId',
  'access_token',
  'token',
  'api_key',
  'apikey',
];

/**
 * What a scrubbed URL must be, worked out a different way from the scrubber: walk the text,
 * and after each `?` or `&` whose name up to `=` is a secret one (ignoring case), replace the
 * value up to the next `&`, `#` or the end.
 */
function expectedScrub(url: string): string {
  const secret = new Set(SECRET_PARAMETERS.map((name) => name.toLowerCase()));
  let out = '';
  let copied = 0;
  for (let i = 0; i < url.length; i++) {
    if (url[i] !== '?' && url[i] !== '&') continue;
    const equals = url.indexOf('=', i + 1);
    if (equals === -1 || !secret.has(url.slice(i + 1, equals).toLowerCase())) continue;
    let end = equals + 1;
    while (end < url.length && url[end] !== '&' && url[end] !== '#') end++;
    out += `${url.slice(copied, equals + 1)}REDACTED`;
    copied = end;
    i = end - 1;
  }
  return out + url.slice(copied);
}

test('scrubUrl redacts each secret parameter in any letter case, after ? or &, and nothing else', () => {
  for (const name of SECRET_PARAMETERS) {
    for (const spelling of [name, name.toLowerCase(), name.toUpperCase()]) {
      assert.equal(scrubUrl(`/p?${spelling}=s3cr3t`), `/p?${spelling}=REDACTED`);
      assert.equal(scrubUrl(`/p?a=1&${spelling}=s3cr3t&b=2`), `/p?a=1&${spelling}=REDACTED&b=2`);
      assert.equal(scrubUrl(`/p?${spelling}=s3cr3t#frag`), `/p?${spelling}=REDACTED#frag`);
    }
  }
  // Names that merely contain a secret one, and secrets outside a query pair, are kept.
  for (const url of [
    '/p?tokens=keep',
    '/p?my_token=keep',
    '/p?X-Amz-Date=20260101T000000Z&X-Amz-Expires=900',
    '/p?api_keys=keep&apikeyx=keep',
    '/p/token=keep',
    '/presign',
  ]) {
    assert.equal(scrubUrl(url), url);
  }
});

test('scrubUrl agrees with the specification on URLs made of awkward pieces', () => {
  const piece = fc.constantFrom(
    '/',
    'k',
    '?',
    '&',
    '=',
    '#',
    '%2F',
    'x',
    ...SECRET_PARAMETERS,
    'TOKEN',
    'Api_Key',
    'x-amz-signature',
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const url = `/presign${pieces.join('')}`;
      assert.equal(scrubUrl(url), expectedScrub(url));
    }),
    { numRuns: 3000 },
  );
});

test('raw headers logged under `headers` are redacted', async (t) => {
  const { app, logs } = await startLocalApp(t);
  app.log.warn(
    {
      headers: {
        authorization: 'Bearer s3p_secret',
        cookie: 'c=secret',
        'x-api-key': 'k-secret',
        'x-amz-security-token': 'session-secret',
        accept: '*/*',
      },
    },
    'raw headers',
  );
  assert.ok(!/s3p_secret|c=secret|k-secret|session-secret/.test(logs.text), logs.text);
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
  assert.match(logs.text, /X-Amz-Signature=REDACTED/, 'the URL was logged, scrubbed');
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
  // By default private and loopback peers are proxies (a load balancer in the VPC)...
  assert.equal(await loggedAddress({}, '10.0.3.14'), '198.51.100.7');
  // ...and a client on the internet cannot name itself.
  assert.equal(await loggedAddress({}, '203.0.113.9'), '203.0.113.9');
  assert.equal(await loggedAddress({ TRUST_PROXY: 'false' }, '10.0.3.14'), '10.0.3.14');
  assert.equal(await loggedAddress({ TRUST_PROXY: '203.0.113.0/24' }, '203.0.113.9'), '198.51.100.7');
});
