// The demo page end to end in a real browser: the app listens on loopback in local mode,
// chromium opens /demo, which asks POST /dev/token for a JWT as a frontend would, uploads a
// file through POST /uploads and a presigned PUT (the embedded S3 server checks the signed
// type, length and SHA-256), then reads it back through POST /downloads and a presigned GET,
// and the bytes must be the ones sent.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import type { Page } from 'playwright-core';

import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { decodeJwt } from 'jose';
import { buildApp, loggerOptions } from '../../src/app.js';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { callerRegistryFrom, developmentRegistry } from '../../src/auth/callers.js';
import { serviceOrigins } from '../../src/local/bucket-cors.js';
import { DEVELOPMENT_TOKEN_ISSUER, DevelopmentTokenIssuer } from '../../src/local/development-tokens.js';
import { startEmbeddedS3 } from '../../src/local/embedded-s3.js';
import { staticCredentialSource } from '../../src/presign/credentials.js';
import { assertErrorsDeclared, configFrom, embeddedS3Client, LogCapture } from '../helpers.js';
import { openPage, browserTestOptions } from './browser.js';
import { compositeSha256 } from './composite-sha256.js';
import { onEmbeddedStore } from '../fixtures/endpoint-modes.js';

const FILENAME = 'résumé 2026.pdf';

/**
 * The app in local mode, listening on 127.0.0.1, against an embedded S3 server with CORS,
 * with its development token issuer, and a development key (or, `withClientsFile`, a clients
 * file of one service instead, as AUTH_CLIENTS_FILE gives in local mode).
 * Tests open their page first: cleanup hooks run in the order they were added, so the browser
 * then closes before the servers they hold connections to.
 */
async function startDemoApp(t: TestContext, options: { withClientsFile?: boolean; env?: Record<string, string> } = {}) {
  const base = configFrom({ S3_ENDPOINT_MODE: 'local', LOG_LEVEL: 'info', ...options.env });
  const s3 = await startEmbeddedS3({ buckets: base.buckets });
  t.after(() => s3.close());
  const config = onEmbeddedStore(base, s3);
  const apiKey = generateApiKey();
  const logs = new LogCapture();
  const clientsFile = {
    clients: [
      { id: 'a-service', apiKeySha256: hashApiKey(apiKey), policy: { operations: ['get'], keyPrefixes: [''] } },
    ],
  };
  const fromFile = callerRegistryFrom(clientsFile, config);
  if (!fromFile.ok) throw new Error(fromFile.problems.join('; '));
  const app = await buildApp(config, {
    callers: options.withClientsFile ? fromFile.registry : developmentRegistry(config, hashApiKey(apiKey)),
    credentials: staticCredentialSource(s3.credentials, 'embedded-s3'),
    logger: loggerOptions(config, logs),
    developmentTokens: await DevelopmentTokenIssuer.create(),
  });
  t.after(() => app.close());
  t.after(() => assertErrorsDeclared(logs));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  // A browser page on the service's origin PUTs to the S3 server's origin: the bucket needs
  // CORS for that origin, as server.ts sets it in local mode.
  await s3.allowCorsOrigins(serviceOrigins(Number(new URL(address).port)));
  return { address, app, s3, apiKey, logs };
}

/** A file the browser reads from disk, named as the test needs. */
async function fileOnDisk(t: TestContext, name: string, bytes: Uint8Array): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-demo-file-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const path = join(directory, name);
  await writeFile(path, bytes);
  return path;
}

/**
 * Rejects with the page's error text once it shows one, to race against what a test waits
 * for: a failed upload then fails the test at once instead of at its timeout.
 */
function failOnPageError(page: Page): Promise<never> {
  return page
    .locator('#error')
    .waitFor({ timeout: 0 })
    .then(
      async () => assert.fail(`${await page.locator('#error').textContent()}`),
      // Still waiting when the test ends: the page closed under it, and the race is over.
      () => new Promise<never>(() => undefined),
    );
}

const sha256 = (bytes: Uint8Array, encoding: 'base64' | 'hex' = 'base64'): string =>
  createHash('sha256').update(bytes).digest(encoding);

test('the demo page uploads a file and downloads the same bytes', browserTestOptions(120_000), async (t) => {
  const { page, problems } = await openPage(t);
  const { address, apiKey, logs } = await startDemoApp(t);

  const response = await page.goto(`${address}/demo`);
  assert.equal(response?.status(), 200);
  const csp = response.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.doesNotMatch(await page.content(), new RegExp(apiKey), 'the page holds no API key');

  const bytes = randomBytes(200 * 1024);
  await page.getByLabel('File to upload').setInputFiles({ name: FILENAME, mimeType: 'application/pdf', buffer: bytes });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();

  const storedKey = page.locator('#stored-key');
  await Promise.race([storedKey.waitFor(), failOnPageError(page)]);
  assert.equal(await page.locator('#error').isVisible(), false, (await page.locator('#error').textContent()) ?? '');
  const key = (await storedKey.textContent()) ?? '';
  assert.ok(key.endsWith(`/${FILENAME}`), `stored key ${key}`);
  assert.equal(await page.locator('#upload-status').textContent(), '200 OK');
  assert.equal(await page.locator('#upload-sha256').textContent(), sha256(bytes));
  assert.equal(await page.locator('#upload-sha256-hex').textContent(), sha256(bytes, 'hex'));

  // The link is a presigned GET that names the file for the browser's download.
  const link = page.locator('#download-link');
  await link.waitFor();
  const href = (await link.getAttribute('href')) ?? '';
  const linkUrl = new URL(href);
  assert.match(
    linkUrl.searchParams.get('response-content-disposition') ?? '',
    /^attachment;.*filename\*=UTF-8''r%C3%A9sum%C3%A9%202026\.pdf/,
  );

  // The Download button: the page fetches the URL and hashes what it received.
  await page.getByRole('button', { name: 'Download', exact: true }).click();
  await page.locator('#download-size[data-bytes]').waitFor();
  assert.equal(await page.locator('#download-size').getAttribute('data-bytes'), String(bytes.length));
  assert.equal(await page.locator('#download-sha256').textContent(), sha256(bytes));
  assert.equal(await page.locator('#download-sha256-hex').textContent(), sha256(bytes, 'hex'));
  assert.equal(await page.locator('#download-check').textContent(), 'Same bytes as the upload.');

  // The same URL fetched by the page itself, bytes handed back to the test, compared exactly.
  const fetched = await page.evaluate(async (url) => {
    const got = await fetch(url);
    return {
      status: got.status,
      disposition: got.headers.get('content-disposition'),
      bytes: [...new Uint8Array(await got.arrayBuffer())],
    };
  }, href);
  assert.equal(fetched.status, 200);
  assert.deepEqual(Buffer.from(fetched.bytes), bytes);

  // And clicking the link downloads the file under its name.
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.equal(download.suggestedFilename(), FILENAME);
  assert.deepEqual(await readFile(await download.path()), bytes);

  assert.deepEqual(problems, []);
  assert.doesNotMatch(logs.text, new RegExp(apiKey), 'the API key must never be logged');
});

test(
  'the demo page uploads as a frontend, with a /dev/token JWT, also beside a clients file',
  browserTestOptions(120_000),
  async (t) => {
    const { page, problems } = await openPage(t);
    const { address, s3, apiKey } = await startDemoApp(t, { withClientsFile: true });
    const calls: Array<{ path: string; authorization: string | undefined }> = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === address && request.method() === 'POST') {
        calls.push({ path: url.pathname, authorization: request.headers().authorization });
      }
    });

    const response = await page.goto(`${address}/demo`);
    assert.equal(response?.status(), 200, 'served in local mode with a clients file too');
    const bytes = randomBytes(64 * 1024);
    await page.getByLabel('File to upload').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: bytes });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await Promise.race([page.locator('#download-link').waitFor(), failOnPageError(page)]);

    // The page asked for a token first, then sent it, and never an API key, on every call.
    assert.equal(calls[0]?.path, '/dev/token');
    assert.equal(calls[0]?.authorization, undefined);
    const apiCalls = calls.filter((call) => call.path !== '/dev/token');
    assert.deepEqual(
      apiCalls.map((call) => call.path),
      ['/uploads', '/downloads'],
    );
    for (const call of apiCalls) {
      const token = /^Bearer (eyJ[\w-]+\.[\w-]+\.[\w-]+)$/.exec(call.authorization ?? '')?.[1];
      assert.ok(token, `${call.path} carried a JWT: ${call.authorization}`);
      assert.notEqual(token, apiKey);
      const claims = decodeJwt(token);
      assert.equal(claims.iss, DEVELOPMENT_TOKEN_ISSUER);
      assert.equal(claims.sub, 'demo');
    }

    // The object sits in the embedded store under the demo user's own prefix.
    const key = (await page.locator('#stored-key').textContent()) ?? '';
    assert.match(key, /^users\/demo\/[0-9a-f-]{36}\/photo\.jpg$/);
    const client = embeddedS3Client(s3);
    t.after(() => client.destroy());
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'local-uploads' }));
    assert.deepEqual(
      listed.Contents?.map((object) => object.Key),
      [key],
    );
    const object = await client.send(new GetObjectCommand({ Bucket: 'local-uploads', Key: key }));
    assert.deepEqual(Buffer.from(await object.Body!.transformToByteArray()), bytes);
    assert.equal(object.ContentType, 'image/jpeg');
    assert.deepEqual(problems, []);
  },
);

test(
  'under SSE-KMS the browser sends the signed encryption headers, which the bucket CORS rule allows',
  browserTestOptions(120_000),
  async (t) => {
    const { page, problems } = await openPage(t);
    const kmsKey = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { address, s3 } = await startDemoApp(t, { env: { S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: kmsKey } });
    await page.goto(`${address}/demo`);
    const sent = page.waitForRequest(
      (request) => request.method() === 'PUT' && request.url().startsWith(s3.endpoint.origin),
    );
    await page
      .getByLabel('File to upload')
      .setInputFiles({ name: 'sealed.txt', mimeType: 'text/plain', buffer: Buffer.from('sealed') });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await Promise.race([page.locator('#stored-key').waitFor(), failOnPageError(page)]);
    const headers = (await sent).headers();
    assert.equal(headers['x-amz-server-side-encryption'], 'aws:kms');
    assert.equal(headers['x-amz-server-side-encryption-aws-kms-key-id'], kmsKey);

    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const client = embeddedS3Client(s3);
    try {
      const head = await client.send(
        new HeadObjectCommand({
          Bucket: 'local-uploads',
          Key: (await page.locator('#stored-key').textContent()) ?? '',
        }),
      );
      assert.deepEqual([head.ServerSideEncryption, head.SSEKMSKeyId], ['aws:kms', kmsKey]);
    } finally {
      client.destroy();
    }
    assert.deepEqual(problems, []);
  },
);

test('the demo page shows a refusal from the API readably', browserTestOptions(120_000), async (t) => {
  const { page } = await openPage(t);
  const { address } = await startDemoApp(t);
  await page.goto(`${address}/demo`);

  // A key the service does not know: POST /uploads answers 401 in the service's error shape.
  await page.route('**/uploads', (route) =>
    route.continue({ headers: { ...route.request().headers(), authorization: `Bearer s3p_${'x'.repeat(43)}` } }),
  );
  await page
    .getByLabel('File to upload')
    .setInputFiles({ name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('hi') });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();

  const error = page.getByRole('alert');
  await error.waitFor();
  assert.match((await error.textContent()) ?? '', /^POST \/uploads was refused: 401 Unauthorized, AUTH_INVALID: /);
  assert.equal(await page.locator('#stored-key').isVisible(), false);
});

test(
  'the demo page uploads a large file in parts, and after a reload resumes with only the missing parts',
  browserTestOptions(300_000),
  async (t) => {
    const { page, problems } = await openPage(t);
    const { address, s3 } = await startDemoApp(t);
    page.setDefaultTimeout(120_000);
    await page.goto(`${address}/demo`);
    const bytes = randomBytes(40 * 1024 * 1024);
    // From disk: a buffer this large would crawl through the DevTools protocol.
    const file = await fileOnDisk(t, 'big video.bin', bytes);
    const isPart = (url: URL) => url.origin === s3.endpoint.origin && url.searchParams.has('partNumber');

    // First visit: two parts reach S3, the rest are held until the page is reloaded.
    const storedBefore: number[] = [];
    let twoStored!: () => void;
    let routeFailed!: (error: unknown) => void;
    const twoPartsStored = new Promise<void>((resolve, reject) => {
      twoStored = resolve;
      routeFailed = reject;
    });
    let admitted = 0;
    await page.route(isPart, async (route) => {
      if (route.request().method() !== 'PUT') return route.continue();
      if (admitted >= 2) return; // held: the reload drops it
      admitted += 1;
      const partNumber = Number(new URL(route.request().url()).searchParams.get('partNumber'));
      try {
        await route.fulfill({ response: await route.fetch() });
      } catch (error) {
        routeFailed(error);
        return;
      }
      storedBefore.push(partNumber);
      if (storedBefore.length === 2) twoStored();
    });
    await page.getByLabel('File to upload').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await Promise.race([twoPartsStored, failOnPageError(page)]);
    // The route has answered both PUTs; the page reports progress once their load events run.
    await page
      .locator('#progress[data-loaded]:not([data-loaded="0"])')
      .waitFor({ state: 'attached' })
      .catch(() => assert.fail('the progress bar did not move after two parts were stored'));
    assert.match((await page.locator('#progress-text').textContent()) ?? '', /^[\d.]+ MiB of 40\.0 MiB \(\d+%\)$/);

    // Reload while the route still holds the other parts, so they die with the page: released
    // first (unroute), a held PUT could still reach S3 before the reload.
    await page.reload();
    await page.unroute(isPart);
    const sentAfter: number[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (request.method() === 'PUT' && isPart(url)) sentAfter.push(Number(url.searchParams.get('partNumber')));
    });
    await page.getByLabel('File to upload').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await Promise.race([page.locator('#stored-key').waitFor(), failOnPageError(page)]);

    const total = Number(/in (\d+) parts/.exec((await page.locator('#upload-status').textContent()) ?? '')?.[1]);
    assert.ok(total >= 5, `${total} parts`);
    assert.equal(await page.locator('#progress-section').getAttribute('data-resumed-parts'), '2', 'it resumed');
    assert.deepEqual(
      [...sentAfter].sort((a, b) => a - b),
      Array.from({ length: total }, (_, i) => i + 1).filter((n) => !storedBefore.includes(n)),
      'after the reload only the parts S3 did not have were sent',
    );
    assert.equal(await page.locator('#progress').getAttribute('value'), '100');
    assert.equal(await page.locator('#progress-text').textContent(), '40.0 MiB of 40.0 MiB (100%)');

    await page.getByRole('button', { name: 'Download', exact: true }).click();
    await page.locator('#download-size[data-bytes]').waitFor();
    assert.equal(await page.locator('#download-sha256').textContent(), sha256(bytes));
    assert.equal(await page.locator('#download-check').textContent(), 'Same bytes as the upload.');
    assert.deepEqual(
      problems.filter((problem) => !problem.includes('net::ERR_')),
      [],
      'no page error (the requests dropped by the reload aside)',
    );
  },
);

test('the demo page cancels a multipart upload and S3 drops its parts', browserTestOptions(300_000), async (t) => {
  const { page } = await openPage(t);
  const { address, s3 } = await startDemoApp(t);
  page.setDefaultTimeout(120_000);
  await page.goto(`${address}/demo`);
  const isPart = (url: URL) => url.origin === s3.endpoint.origin && url.searchParams.has('partNumber');
  let firstStored!: () => void;
  const stored = new Promise<void>((resolve) => (firstStored = resolve));
  let passed = 0;
  await page.route(isPart, async (route) => {
    if (route.request().method() !== 'PUT') return route.continue();
    if (passed >= 1) return; // held until Cancel aborts it
    passed += 1;
    await route.fulfill({ response: await route.fetch() });
    firstStored();
  });
  const abort = page.waitForResponse((response) => response.url().endsWith('/multipart/abort'));
  await page.getByLabel('File to upload').setInputFiles({
    name: 'cancel me.bin',
    mimeType: 'application/octet-stream',
    buffer: randomBytes(24 * 1024 * 1024),
  });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await Promise.race([stored, failOnPageError(page)]);
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  assert.equal((await abort).status(), 204);
  await page.getByText('Cancelled: the upload was aborted and S3 removed its parts.').waitFor();
  assert.equal(await page.locator('#error').isVisible(), false, (await page.locator('#error').textContent()) ?? '');
});

const MiB = 1024 * 1024;
/** The service's default part size, which the demo takes. */
const DEMO_PART_SIZE = 8 * MiB;

test(
  'the demo page hashes each part in a worker, signs it into the part URL, and S3 keeps their composite SHA-256',
  browserTestOptions(300_000),
  async (t) => {
    const { page, problems } = await openPage(t);
    const { address, s3 } = await startDemoApp(t);
    page.setDefaultTimeout(120_000);
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(new URL(worker.url()).pathname));
    await page.goto(`${address}/demo`);
    const bytes = randomBytes(40 * MiB);
    const file = await fileOnDisk(t, 'hashed in parts.bin', bytes);
    const expected = compositeSha256(bytes, DEMO_PART_SIZE);
    const sent = new Map<number, string | undefined>();
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (request.method() === 'PUT' && url.origin === s3.endpoint.origin && url.searchParams.has('partNumber')) {
        sent.set(Number(url.searchParams.get('partNumber')), request.headers()['x-amz-checksum-sha256']);
      }
    });
    // A timer on the page's main thread, counting its ticks while a hash is in flight: a page
    // that hashed on its main thread would count none.
    // (A string: the page's DOM types are not this project's.)
    await page.evaluate(`{
      globalThis.ticksWhileHashing = 0;
      globalThis.hashesSeen = 0;
      const form = document.getElementById('upload-form');
      const hashing = () => Number(form.dataset.hashing ?? '0') > 0;
      setInterval(() => { if (hashing()) globalThis.ticksWhileHashing += 1; }, 1);
      new MutationObserver(() => { if (hashing()) globalThis.hashesSeen += 1; })
        .observe(form, { attributes: true, attributeFilter: ['data-hashing'] });
    }`);

    await page.getByLabel('File to upload').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await Promise.race([page.locator('#stored-key').waitFor(), failOnPageError(page)]);

    assert.deepEqual(workers, ['/demo/hash-worker.js'], 'one hashing worker');
    const { ticksWhileHashing, hashesSeen } = await page.evaluate<{ ticksWhileHashing: number; hashesSeen: number }>(
      '({ ticksWhileHashing: globalThis.ticksWhileHashing, hashesSeen: globalThis.hashesSeen })',
    );
    assert.ok(hashesSeen >= 5, `${hashesSeen} hashes started`);
    assert.ok(ticksWhileHashing > 0, 'the main thread ran its timer while parts were hashed');
    assert.deepEqual(
      [...sent.entries()].sort(([a], [b]) => a - b).map(([, checksum]) => checksum),
      expected.parts,
      "each part's PUT carried its own SHA-256",
    );
    assert.equal(await page.locator('#upload-checksum').textContent(), `SHA256 (COMPOSITE) ${expected.composite}`);

    // Read back in checksum mode: the store computed the same composite from the parts.
    const client = embeddedS3Client(s3);
    t.after(() => client.destroy());
    const key = (await page.locator('#stored-key').textContent()) ?? '';
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const head = await client.send(
      new HeadObjectCommand({ Bucket: 'local-uploads', Key: key, ChecksumMode: 'ENABLED' }),
    );
    assert.deepEqual([head.ChecksumSHA256, head.ChecksumType], [expected.composite, 'COMPOSITE']);
    assert.deepEqual(problems, []);
  },
);

test(
  'the demo page: a part altered on the way to S3 is refused with BadDigest, and the page says why',
  browserTestOptions(300_000),
  async (t) => {
    const { page } = await openPage(t);
    const { address, s3 } = await startDemoApp(t);
    page.setDefaultTimeout(120_000);
    await page.goto(`${address}/demo`);
    const bytes = randomBytes(20 * MiB);
    const file = await fileOnDisk(t, 'altered.bin', bytes);
    // A proxy that flips one byte of part 2 and sends the rest as the page sent it.
    const altered = Buffer.from(bytes.subarray(DEMO_PART_SIZE, 2 * DEMO_PART_SIZE));
    altered[12_345] = (altered[12_345] as number) ^ 0xff;
    await page.route(
      (url) => url.origin === s3.endpoint.origin && url.searchParams.get('partNumber') === '2',
      (route) => (route.request().method() === 'PUT' ? route.continue({ postData: altered }) : route.continue()),
    );
    await page.getByLabel('File to upload').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();

    const error = page.getByRole('alert');
    await error.waitFor();
    assert.match(
      (await error.textContent()) ?? '',
      /^S3 refused the upload of part 2: 400 Bad Request, BadDigest: .*The bytes S3 received are not the ones the page hashed/,
    );
    assert.equal(await page.locator('#stored-key').isVisible(), false);
    const client = embeddedS3Client(s3);
    t.after(() => client.destroy());
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'local-uploads' }));
    assert.equal(listed.KeyCount ?? 0, 0, 'nothing was stored');
  },
);
