// Browser form uploads: what is refused before anything is signed (the flows against each
// store are in test/flows/post-policy.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postPolicyFlows } from '../flows/post-policy.js';
import { startLocalApp } from '../helpers.js';
import { embeddedStore } from '../stores.js';

postPolicyFlows(embeddedStore);

test('POST /uploads method post: policy limits and bad input are refused before anything is signed', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const response = await app.inject({
    method: 'POST',
    url: '/uploads',
    headers: auth,
    payload: {
      filename: 'a.png',
      contentType: 'image/png',
      contentLength: 1,
      method: 'post',
      checksumSha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
      checksumCrc32: 'AAAAAA==',
    },
  });
  assert.equal(response.statusCode, 400);
  assert.equal(response.json().code, 'VALIDATION_FAILED');
  assert.equal(response.json().field, 'checksumSha256');
  assert.match(response.json().message, /at most one checksum: checksumCrc32 and checksumSha256 were both given/);
  const badMethod = await app.inject({
    method: 'POST',
    url: '/uploads',
    headers: auth,
    payload: { filename: 'a.png', contentType: 'image/png', contentLength: 1, method: 'get' },
  });
  assert.equal(badMethod.statusCode, 400);
  assert.equal(badMethod.json().field, 'method');
});
