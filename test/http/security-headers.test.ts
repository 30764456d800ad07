import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import helmet, { type HelmetOptions } from 'helmet';
import { securityHeaders } from '../../src/http/security-headers.js';
import { startLocalApp } from '../helpers.js';

const OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"] } },
};

/** What helmet sets when it runs as intended: as middleware on a real response. */
async function headersFromHelmetMiddleware(options: HelmetOptions): Promise<Record<string, string>> {
  const middleware = helmet(options);
  const server = createServer((request, response) => middleware(request, response, () => response.end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const headers: Record<string, string> = {};
    for (const [name, value] of response.headers) {
      if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name))
        headers[name] = value;
    }
    return headers;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('the precomputed headers are exactly what helmet sets as middleware', async () => {
  for (const options of [
    OPTIONS,
    {},
    { strictTransportSecurity: false, xFrameOptions: { action: 'sameorigin' as const } },
  ]) {
    assert.deepEqual(securityHeaders(options), await headersFromHelmetMiddleware(options), JSON.stringify(options));
  }
});

test('every API response carries them', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const expected = await headersFromHelmetMiddleware(OPTIONS);
  assert.ok(Object.keys(expected).length >= 10, 'helmet sets its usual set');
  for (const request of [
    { method: 'POST' as const, url: '/presign', headers: auth, payload: { operation: 'get', key: 'k' } },
    { method: 'POST' as const, url: '/presign', payload: { operation: 'get', key: 'k' } },
    { method: 'GET' as const, url: '/livez' },
    { method: 'GET' as const, url: '/no-such-route' },
  ]) {
    const response = await app.inject(request);
    for (const [name, value] of Object.entries(expected)) {
      assert.equal(response.headers[name], value, `${request.method} ${request.url}: ${name}`);
    }
    assert.equal(response.headers['cache-control'], 'no-store', `${request.method} ${request.url}: cache-control`);
  }
});
