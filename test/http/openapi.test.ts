import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { validate } from '@readme/openapi-parser';
import { AUTHENTICATION_ERRORS } from '../../src/auth/authentication.js';
import { CHECKSUM_ERRORS } from '../../src/endpoint/checksum-algorithms.js';
import { CALLER_POLICY_ERRORS } from '../../src/auth/caller-policy.js';
import { UPLOAD_AUTHORIZATION_ERRORS } from '../../src/auth/upload-authorization.js';
import { ERROR_CODES, statusOf, type ErrorCode } from '../../src/errors.js';
import { renderOpenApiDocument } from '../../src/openapi-document.js';
import { FORM_UPLOAD_ERRORS } from '../../src/form-uploads/form-upload-service.js';
import { MULTIPART_ERRORS } from '../../src/multipart/multipart-service.js';
import { UPLOAD_TOKEN_ERRORS } from '../../src/multipart/upload-token.js';
import { PRESIGNER_ERRORS } from '../../src/presign/presigner.js';
import { RATE_LIMIT_ERRORS } from '../../src/rate-limit/plugin.js';
import { startLocalApp } from '../helpers.js';

const committed = new URL('../../openapi/openapi.json', import.meta.url);
const root = new URL('../../', import.meta.url);

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  enum?: string[];
}

async function committedDocument() {
  return JSON.parse(await readFile(committed, 'utf8')) as {
    info: Record<string, unknown>;
    servers: Array<{ url: string }>;
    tags: Array<{ name: string; description?: string }>;
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, unknown> };
  };
}

function operationsOf(document: Awaited<ReturnType<typeof committedDocument>>) {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })),
  );
}

/** The codes an error response enumerates: Error, with `code` narrowed by the second schema. */
function declaredCodes(schema: Schema | undefined): string[] | undefined {
  const [shared, narrowed] = schema?.allOf ?? [];
  if (shared?.$ref !== '#/components/schemas/Error') return undefined;
  return narrowed?.properties?.code?.enum;
}

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

test('every operation has a camelCase operationId, the name the docs use, a summary, a description and declared tags', async () => {
  const document = await committedDocument();
  const docs = (
    await Promise.all(
      ['docs/api.md', 'docs/large-uploads.md', 'docs/upload-clients.md'].map((page) =>
        readFile(new URL(page, root), 'utf8'),
      ),
    )
  ).join('\n');
  const declaredTags = new Map(document.tags.map((tag) => [tag.name, tag.description]));
  const ids = new Set<string>();
  for (const { route, operation } of operationsOf(document)) {
    const id = operation.operationId ?? '';
    assert.match(id, /^[a-z][A-Za-z0-9]*$/, route);
    assert.ok(!ids.has(id), `${id} is used twice`);
    ids.add(id);
    assert.ok(docs.includes(`\`${id}\``), `${route}: the docs never name \`${id}\``);
    assert.ok(operation.summary, `${route} has no summary`);
    assert.ok(operation.description, `${route} has no description`);
    for (const tag of operation.tags ?? []) assert.ok(declaredTags.get(tag), `${route}: tag ${tag} is not declared`);
  }
  assert.equal(ids.size, 21);
});

test('every error response is the Error schema with the codes of its status, and every code is declared somewhere', async () => {
  const document = await committedDocument();
  const everywhere = new Set<string>();
  for (const { route, operation } of operationsOf(document)) {
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) < 400) continue;
      const codes = declaredCodes(response.content?.['application/json']?.schema);
      if (route === 'GET /healthz' || route === 'GET /readyz') {
        // The probes answer 503 with their own report.
        assert.equal(codes, undefined, route);
        continue;
      }
      assert.ok(codes && codes.length > 0, `${route} ${status} enumerates no codes`);
      for (const code of codes) {
        assert.equal(statusOf(code as ErrorCode), Number(status), `${route}: ${code} under ${status}`);
        everywhere.add(code);
      }
    }
  }
  // Answered before or without a route: Node's HTTP parser, an unknown path or method, a CORS preflight.
  const routeless = [
    'MALFORMED_REQUEST',
    'CORS_ORIGIN_NOT_ALLOWED',
    'NOT_FOUND',
    'METHOD_NOT_ALLOWED',
    'REQUEST_TIMEOUT',
    'HEADERS_TOO_LARGE',
  ];
  assert.deepEqual(
    ERROR_CODES.filter((code) => !everywhere.has(code)),
    routeless,
    'a code in src/errors.ts that no operation declares',
  );
});

test("each module's exported error list holds every code the module raises", async () => {
  const union = (...lists: ReadonlyArray<readonly string[]>) => [...new Set(lists.flat())];
  const multipart = union(...Object.values(MULTIPART_ERRORS));
  const lists: Record<string, readonly string[]> = {
    'src/auth/authentication.ts': AUTHENTICATION_ERRORS,
    'src/auth/callers.ts': AUTHENTICATION_ERRORS,
    'src/auth/jwt.ts': AUTHENTICATION_ERRORS,
    'src/auth/route-access.ts': AUTHENTICATION_ERRORS,
    'src/auth/caller-policy.ts': CALLER_POLICY_ERRORS,
    'src/auth/upload-authorization.ts': UPLOAD_AUTHORIZATION_ERRORS,
    'src/rate-limit/plugin.ts': RATE_LIMIT_ERRORS,
    'src/rate-limit/limiter.ts': RATE_LIMIT_ERRORS,
    'src/presign/presigner.ts': PRESIGNER_ERRORS,
    'src/endpoint/checksum-algorithms.ts': CHECKSUM_ERRORS,
    'src/multipart/upload-token.ts': UPLOAD_TOKEN_ERRORS,
    'src/multipart/part-rules.ts': multipart,
    'src/multipart/s3-errors.ts': MULTIPART_ERRORS.completeMultipartUpload,
    'src/multipart/multipart-service.ts': multipart,
    'src/form-uploads/form-upload-service.ts': FORM_UPLOAD_ERRORS,
  };
  const known = new Set<string>(ERROR_CODES);
  for (const [file, list] of Object.entries(lists)) {
    const source = await readFile(new URL(file, root), 'utf8');
    const raised = [...source.matchAll(/'([A-Z][A-Z0-9_]+)'/g)].map((match) => match[1] as string);
    const missing = [...new Set(raised.filter((code) => known.has(code) && !list.includes(code)))];
    assert.deepEqual(missing, [], `${file} raises codes its exported list does not hold`);
  }
});

test("the document references every component it holds, under the schema's own name", async () => {
  const document = await committedDocument();
  const text = JSON.stringify(document);
  for (const name of Object.keys(document.components.schemas)) {
    assert.ok(text.includes(`"#/components/schemas/${name}"`), `${name} is never referenced`);
    assert.ok(!name.endsWith('Input'), `${name}: a request schema keeps its own id`);
  }
  assert.deepEqual(
    [...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)]
      .map((match) => match[1])
      .filter((name) => !(name! in document.components.schemas)),
    [],
  );
});

test('info carries the version and licence of the package; the committed document names a relative server', async () => {
  const document = await committedDocument();
  const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { version: string; license: string };
  assert.equal(document.info.version, pkg.version);
  assert.deepEqual(document.info.license, { name: pkg.license, url: 'https://www.apache.org/licenses/LICENSE-2.0' });
  assert.ok((document.info.contact as { name?: string }).name);
  assert.deepEqual(
    document.servers.map((server) => server.url),
    ['/'],
  );
});

test('with PUBLIC_BASE_URL the served document names it as its server, and is otherwise the committed one', async (t) => {
  const { app } = await startLocalApp(t, { PUBLIC_BASE_URL: 'https://s3-presign.example.com/api/' });
  const served = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  assert.deepEqual(served.servers, [
    { url: 'https://s3-presign.example.com/api', description: 'This deployment (PUBLIC_BASE_URL)' },
  ]);
  const document = await committedDocument();
  assert.deepEqual({ ...served, servers: undefined }, { ...document, servers: undefined });
});
