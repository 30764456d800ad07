import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { validate } from '@readme/openapi-parser';
import { renderOpenApiDocument } from '../../src/http/openapi.js';
import { startLocalApp } from '../helpers.js';

const committed = new URL('../../openapi/openapi.json', import.meta.url);

test('the committed OpenAPI document is what the routes generate (run `npm run openapi`)', async () => {
  assert.equal(await readFile(committed, 'utf8'), await renderOpenApiDocument());
});

test('the OpenAPI document is valid OpenAPI 3 and describes every route', async () => {
  const document = JSON.parse(await readFile(committed, 'utf8'));
  const result = await validate(structuredClone(document));
  assert.ok(result.valid, JSON.stringify(result, null, 2));
  assert.deepEqual(Object.keys(document.paths).sort(), [
    '/downloads',
    '/healthz',
    '/livez',
    '/multipart',
    '/multipart/abort',
    '/multipart/complete',
    '/multipart/list',
    '/multipart/parts',
    '/presign',
    '/presign/batch',
    '/readyz',
    '/s3/multipart',
    '/s3/multipart/{uploadId}',
    '/s3/multipart/{uploadId}/batch',
    '/s3/multipart/{uploadId}/complete',
    '/s3/multipart/{uploadId}/{partNumber}',
    '/s3/params',
    '/s3/sign',
    '/uploads',
    '/verify',
  ]);
  const presign = document.paths['/presign'].post;
  assert.deepEqual(Object.keys(presign.responses).sort(), [
    '200',
    '400',
    '401',
    '403',
    '413',
    '415',
    '429',
    '500',
    '503',
  ]);
  assert.deepEqual(presign.security, [{ bearer: [] }]);
  assert.equal(document.components.securitySchemes.bearer.scheme, 'bearer');
  for (const path of ['/presign/batch', '/uploads', '/downloads', '/multipart', '/multipart/parts', '/s3/sign']) {
    assert.deepEqual(document.paths[path].post.security, [{ bearer: [] }], path);
  }
});

test('GET /docs serves Swagger UI and /docs/json the same document', async (t) => {
  const { app } = await startLocalApp(t);
  const ui = await app.inject({ method: 'GET', url: '/docs/' });
  assert.equal(ui.statusCode, 200);
  assert.match(String(ui.headers['content-type']), /text\/html/);
  const json = await app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(json.statusCode, 200);
  assert.deepEqual(json.json(), JSON.parse(await readFile(committed, 'utf8')));
});
