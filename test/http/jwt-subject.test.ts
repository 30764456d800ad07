// A JWT's `sub` names the end user's key prefix. jose checks that it is present, not that it
// is a string: a number (12345) or an array (["alice"]) would have been stringified into
// someone's prefix. Real tokens, signed by a real key set served on loopback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLocalApp } from '../helpers.js';
import { startIssuer } from './jwks.js';

test('a token whose sub is not a string is refused with 401 AUTH_INVALID', async (t) => {
  const issuer = await startIssuer(t);
  const { app } = await startLocalApp(
    t,
    {},
    {},
    {
      clients: {
        clients: [
          {
            id: 'web',
            jwt: { jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: 's3-presign', algorithms: ['ES256'] },
            policy: { operations: ['get'], keyPrefixes: ['users/{sub}/'] },
          },
        ],
      },
    },
  );
  const download = async (sub: unknown, key: string) =>
    app.inject({
      method: 'POST',
      url: '/downloads',
      headers: { authorization: `Bearer ${await issuer.sign({ sub: sub as string, aud: 's3-presign' })}` },
      payload: { key },
    });

  const alice = await download('alice', 'users/alice/report.pdf');
  assert.equal(alice.statusCode, 200, alice.body);

  for (const [sub, key] of [
    [12345, 'users/12345/report.pdf'],
    [['alice'], 'users/alice/report.pdf'],
    [{ id: 'alice' }, 'users/[object Object]/report.pdf'],
    [true, 'users/true/report.pdf'],
  ] as const) {
    const response = await download(sub, key);
    assert.equal(response.statusCode, 401, `sub ${JSON.stringify(sub)}: ${response.body}`);
    assert.equal(response.json().code, 'AUTH_INVALID');
    assert.match(response.json().message, /"sub" claim must be a string/);
  }
});
