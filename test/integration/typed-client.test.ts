// The client a frontend team generates from the committed document (openapi-typescript, then
// openapi-fetch), as docs/api.md shows it: the page's example is type-checked against freshly
// generated types and run against the service on loopback, with the embedded S3 server.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { MIN_PART_BYTES } from '../../src/endpoint/s3-limits.js';
import { startLocalApp } from '../helpers.js';

const root = new URL('../../', import.meta.url);

/** The one TypeScript block of docs/api.md's "A typed client" section. */
async function docsExample(): Promise<string> {
  const page = await readFile(new URL('docs/api.md', root), 'utf8');
  const section = page.split(/^## /m).find((part) => part.startsWith('A typed client'));
  const blocks = [...(section ?? '').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] as string);
  assert.equal(blocks.length, 1, 'docs/api.md has one ts block under "A typed client"');
  return blocks[0] as string;
}

/** What a frontend's compiler says about the example, and about uses it must refuse. */
const CHECKS = `import { s3Presign } from './example.js';

export async function checks(): Promise<void> {
  const api = s3Presign('http://127.0.0.1:1', 'token');
  const { error } = await api.POST('/uploads', { body: { filename: 'a', contentType: 'text/plain', contentLength: 1 } });
  if (error) {
    if (error.code === 'CONTENT_TYPE_NOT_ALLOWED') return;
    // @ts-expect-error /uploads never answers NO_SUCH_UPLOAD: code is the union of the codes it declares
    if (error.code === 'NO_SUCH_UPLOAD') return;
  }
  // @ts-expect-error contentLength is required
  await api.POST('/uploads', { body: { filename: 'a', contentType: 'text/plain' } });
  // @ts-expect-error there is no such route
  await api.POST('/upload', { body: {} });
}
`;

function typeErrors(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    // A browser app's view of the world: fetch, File and Blob from the DOM, not from Node.
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: [],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

/** The example as this file sees it; its real types are the generated ones, checked by typeErrors. */
interface ExampleClient {
  POST(path: string, init: { body: unknown }): Promise<{ error?: { code: string; field?: string } }>;
}
interface ExampleModule {
  s3Presign(baseUrl: string, token: string): ExampleClient;
  upload(api: ExampleClient, file: File): Promise<string>;
  download(api: ExampleClient, key: string): Promise<Blob>;
  uploadInParts(api: ExampleClient, file: File): Promise<string>;
}

const sha256 = async (blob: Blob) =>
  createHash('sha256')
    .update(Buffer.from(await blob.arrayBuffer()))
    .digest('hex');

test('a client generated from openapi/openapi.json type-checks the docs example and uploads through /uploads and /multipart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 's3-presign-typed-client-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // An ES module package that finds openapi-fetch where the project installed it.
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  await symlink(fileURLToPath(new URL('node_modules', root)), join(dir, 'node_modules'), 'dir');
  const types = astToString(await openapiTS(new URL('openapi/openapi.json', root)));
  await writeFile(join(dir, 's3-presign.d.ts'), types);
  await writeFile(join(dir, 'example.ts'), await docsExample());
  await writeFile(join(dir, 'checks.ts'), CHECKS);

  assert.deepEqual(typeErrors([join(dir, 'example.ts'), join(dir, 'checks.ts')]), []);

  const { app, apiKey } = await startLocalApp(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const example = (await import(pathToFileURL(join(dir, 'example.ts')).href)) as ExampleModule;
  const api = example.s3Presign(`http://127.0.0.1:${port}`, apiKey);

  const small = new File([randomBytes(4096)], 'notes.txt', { type: 'text/plain' });
  const key = await example.upload(api, small);
  assert.match(key, /^[0-9a-f-]{36}\/notes\.txt$/);
  assert.equal(await sha256(await example.download(api, key)), await sha256(small));

  // The default part size is 8 MiB: one more KiB makes two parts.
  const large = new File([randomBytes(8 * 1024 * 1024 + 1024)], 'video.mp4', { type: 'video/mp4' });
  assert.ok(large.size > MIN_PART_BYTES);
  const largeKey = await example.uploadInParts(api, large);
  assert.match(largeKey, /^[0-9a-f-]{36}\/video\.mp4$/);
  assert.equal(await sha256(await example.download(api, largeKey)), await sha256(large));

  // A refusal arrives as the typed error, with its code.
  const { error } = await api.POST('/uploads', {
    body: { filename: 'a.txt', contentType: 'not a media type', contentLength: 1 },
  });
  assert.equal(error?.code, 'VALIDATION_FAILED');
  assert.equal(error?.field, 'contentType');
});
