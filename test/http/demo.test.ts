// The demo page's plugin on its own (the browser test drives the page end to end): what it
// serves, under which headers, and to whom.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';

import type { Config } from '../../src/config/config.js';
import { demoRoutes } from '../../src/demo/routes.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { configFrom } from '../helpers.js';

async function demoApp(t: TestContext, config: Config = configFrom({ S3_ENDPOINT_MODE: 'local' })) {
  const app = Fastify({ logger: false, trustProxy: true });
  t.after(() => app.close());
  await app.register(errorHandler);
  app.decorate('config', config);
  await app.register(demoRoutes);
  await app.ready();
  return app;
}

test('GET /demo serves the page, without any key, under a strict policy of its own', async (t) => {
  const config = configFrom({ S3_ENDPOINT_MODE: 'local' });
  assert.equal(config.mode.kind, 'local');
  const app = await demoApp(t, config);

  const response = await app.inject({ method: 'GET', url: '/demo', headers: { host: '127.0.0.1:8080' } });
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
  // A frontend's page: it asks POST /dev/token for a JWT, and holds no credential of its own.
  assert.doesNotMatch(response.body, /s3p_|api-key|__S3_PRESIGN/i);
  assert.match(response.body, /<script type="module" src="\/demo\/demo.js"><\/script>/);
  assert.match(response.body, /<link rel="stylesheet" href="\/demo\/demo.css" \/>/);
  // Nothing inline: no script body, no style attribute, no <style> block.
  assert.doesNotMatch(response.body, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(response.body, /\sstyle=|<style/);

  assert.equal(
    response.headers['content-security-policy'],
    "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; " +
      `connect-src 'self' ${config.mode.endpoint.origin}; img-src 'self' data:; ` +
      "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  assert.equal(response.headers['x-frame-options'], 'DENY');
  assert.equal(response.headers['referrer-policy'], 'no-referrer');
});

test('GET /demo/demo.js, /demo/hash-worker.js and /demo/demo.css serve the assets with their types', async (t) => {
  const app = await demoApp(t);
  const script = await app.inject({ method: 'GET', url: '/demo/demo.js' });
  assert.equal(script.statusCode, 200);
  assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.match(script.body, /fetch\(path, \{/);
  assert.match(script.body, /fetch\('\/dev\/token', \{/);
  assert.doesNotMatch(script.body, /s3p_|api-?key/i);
  assert.equal(script.headers['x-content-type-options'], 'nosniff');

  const worker = await app.inject({ method: 'GET', url: '/demo/hash-worker.js' });
  assert.equal(worker.statusCode, 200);
  assert.equal(worker.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.match(worker.body, /crypto\.subtle\.digest\('SHA-256'/);
  assert.equal(worker.headers['content-security-policy'], script.headers['content-security-policy']);

  const stylesheet = await app.inject({ method: 'GET', url: '/demo/demo.css' });
  assert.equal(stylesheet.statusCode, 200);
  assert.equal(stylesheet.headers['content-type'], 'text/css; charset=utf-8');
  assert.match(stylesheet.body, /:root \{/);
});

test('the page is served to loopback only, as if it did not exist elsewhere', async (t) => {
  const app = await demoApp(t);
  const refused = [
    { remoteAddress: '10.1.2.3', headers: { host: '127.0.0.1:8080' } },
    // trustProxy does not help: the socket's own peer is what counts.
    { remoteAddress: '10.1.2.3', headers: { host: '127.0.0.1:8080', 'x-forwarded-for': '127.0.0.1' } },
    // A DNS-rebinding page: loopback peer, but a foreign Host.
    { remoteAddress: '127.0.0.1', headers: { host: 'attacker.example:8080' } },
    { remoteAddress: '127.0.0.1', headers: { host: '127.0.0.1.attacker.example' } },
  ];
  for (const [index, request] of refused.entries()) {
    for (const url of ['/demo', '/demo/demo.js', '/demo/demo.css']) {
      const response = await app.inject({ method: 'GET', url, ...request });
      assert.equal(response.statusCode, 404, `${index} ${url}`);
      // The 404 of a route that does not exist, word for word.
      assert.deepEqual(response.json(), {
        statusCode: 404,
        code: 'NOT_FOUND',
        error: 'Not Found',
        message: `route GET ${url} does not exist`,
      });
    }
  }

  for (const [remoteAddress, host] of [
    ['127.0.0.1', 'localhost:8080'],
    ['127.0.0.1', 'LOCALHOST'],
    ['::1', '[::1]:8080'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
  ] as const) {
    const response = await app.inject({ method: 'GET', url: '/demo', remoteAddress, headers: { host } });
    assert.equal(response.statusCode, 200, `${remoteAddress} ${host}`);
  }
});

test('the plugin refuses to register outside local mode', async (t) => {
  const regional = configFrom({
    S3_ENDPOINT_MODE: 'regional',
    S3_REGION: 'eu-west-1',
    S3_BUCKETS: 'my-bucket',
    AUTH_CLIENTS_FILE: '/dev/null',
  });
  await assert.rejects(demoApp(t, regional), /local mode only/);

  const bare = Fastify({ logger: false });
  t.after(() => bare.close());
  await assert.rejects(async () => {
    await bare.register(demoRoutes);
    await bare.ready();
  }, /local mode only/);
});
