// Uppy in Chromium against the service, as a frontend app would use it: the app's page on an
// origin of its own, a JWT end user whose token goes in the Authorization header, the
// embedded store (which verifies every signature, part and policy) configured with the
// bucket CORS rule docs/bucket-cors.md documents. Uppy 6 signs through POST /s3/sign; an app that
// used Companion runs Uppy 5 against the Companion-compatible /s3 routes. The bytes are read
// back with the SDK and compared by SHA-256.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { buildApp, loggerOptions } from '../../src/app.js';
import { callerRegistryFrom } from '../../src/auth/callers.js';
import { serviceOrigins } from '../../src/local/bucket-cors.js';
import { startEmbeddedS3 } from '../../src/local/embedded-s3.js';
import { staticCredentialSource } from '../../src/presign/credentials.js';
import { assertErrorsDeclared, configFrom, embeddedS3Client, LogCapture } from '../helpers.js';
import { startIssuer } from '../http/jwks.js';
import { browserTestOptions, openPage } from './browser.js';
import { compositeSha256 } from './composite-sha256.js';
import { serveUppyPage, type UppyPage } from './uppy-page.js';
import { onEmbeddedStore } from '../fixtures/endpoint-modes.js';

const MiB = 1024 * 1024;
const SUBJECT = 'user-42';

interface UploadOutcome {
  cancelled: boolean;
  events: { progress: number; parts: number; errors: string[]; upload?: { key: string; uploadId: string } };
  key?: string;
  location?: string;
  failed?: string[];
  sha256?: string;
  size?: number;
}

/** The app's page, the service and the store, wired as a deployment would wire them. */
async function startUppyStack(t: TestContext, pageKind: UppyPage) {
  // First, so that its cleanup runs first (hooks run in the order they were added): the
  // browser closes before the servers it holds connections to.
  const browser = await openPage(t);
  const page = await serveUppyPage(t, pageKind);
  const issuer = await startIssuer(t);
  const base = configFrom({ S3_ENDPOINT_MODE: 'local', LOG_LEVEL: 'info', CORS_ORIGINS: page });
  const s3 = await startEmbeddedS3({ buckets: base.buckets });
  t.after(() => s3.close());
  const config = onEmbeddedStore(base, s3);
  const clients = {
    clients: [
      {
        id: 'web-app',
        jwt: { jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: 's3-presign', algorithms: ['ES256'] },
        policy: {
          operations: ['get', 'put'],
          keyPrefixes: ['users/{sub}/'],
          maxContentLength: 80 * MiB,
          contentTypes: ['video/*', 'image/*'],
        },
      },
    ],
  };
  const registry = callerRegistryFrom(clients, config);
  if (!registry.ok) throw new Error(registry.problems.join('; '));
  const logs = new LogCapture();
  const app = await buildApp(config, {
    callers: registry.registry,
    credentials: staticCredentialSource(s3.credentials, 'embedded-s3'),
    logger: loggerOptions(config, logs),
  });
  t.after(() => app.close());
  t.after(() => assertErrorsDeclared(logs));
  const service = await app.listen({ host: '127.0.0.1', port: 0 });
  // The rule docs/bucket-cors.md tells operators to set on the bucket: the app's origin and the service's.
  await s3.allowCorsOrigins([page, ...serviceOrigins(Number(new URL(service).port))]);
  const token = await issuer.sign({ sub: SUBJECT, aud: 's3-presign' }, { expiresIn: '10m' });
  browser.page.setDefaultTimeout(120_000);
  const loaded = await browser.page.goto(page);
  assert.equal(loaded?.status(), 200);
  return { ...browser, service, token, s3, logs, client: embeddedS3Client(s3), bucket: config.buckets[0] as string };
}

type Stack = Awaited<ReturnType<typeof startUppyStack>>;

function upload(
  stack: Stack,
  options: {
    name: string;
    type: string;
    size: number;
    multipart: boolean;
    cancelAfterParts?: number;
    checksums?: boolean;
  },
) {
  return stack.page.evaluate(
    (args) => (globalThis as unknown as { uploadWithUppy(o: unknown): Promise<UploadOutcome> }).uploadWithUppy(args),
    { service: stack.service, token: stack.token, ...options },
  );
}

async function storedBytes(stack: Stack, key: string): Promise<Uint8Array> {
  const object = await stack.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
  return (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
}

async function storedSha256(stack: Stack, key: string): Promise<string> {
  return createHash('sha256')
    .update(await storedBytes(stack, key))
    .digest('hex');
}

/** The checksum the store keeps for `key`, read in checksum mode. */
async function storedChecksum(stack: Stack, key: string) {
  const head = await stack.client.send(
    new HeadObjectCommand({ Bucket: stack.bucket, Key: key, ChecksumMode: 'ENABLED' }),
  );
  return { sha256: head.ChecksumSHA256, type: head.ChecksumType };
}

/** The x-amz-checksum-sha256 each PUT to S3 carried, by part number (0: a whole-file upload). */
function checksumsSent(stack: Stack): Map<number, string | undefined> {
  const sent = new Map<number, string | undefined>();
  stack.page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin !== stack.s3.endpoint.origin || request.method() === 'GET') return;
    const partNumber = Number(url.searchParams.get('partNumber') ?? '0');
    if (partNumber > 0) sent.set(partNumber, request.headers()['x-amz-checksum-sha256']);
  });
  return sent;
}

async function assertUploaded(stack: Stack, outcome: UploadOutcome, name: string) {
  assert.deepEqual(outcome.events.errors, [], 'Uppy reported no error');
  assert.deepEqual(outcome.failed, []);
  const key = outcome.key ?? '';
  assert.match(
    key,
    new RegExp(`^users/${SUBJECT}/[0-9a-f-]{36}/${name.replace('.', '\\.')}$`),
    'a key the service picked',
  );
  assert.equal(await storedSha256(stack, key), outcome.sha256, 'S3 holds the bytes Uppy sent');
  assert.ok(outcome.events.progress > 0, 'Uppy reported progress');
  assert.deepEqual(stack.problems, []);
  assert.doesNotMatch(stack.logs.text, new RegExp(stack.token.split('.')[2] as string), 'the token is never logged');
}

/**
 * A multipart upload with checksums, in Uppy's 5 MiB parts: each part's PUT carried its own
 * SHA-256, and the store keeps their composite.
 */
async function uploadInPartsWithChecksums(stack: Stack, size: number) {
  const sent = checksumsSent(stack);
  const outcome = await upload(stack, { name: 'clip.mp4', type: 'video/mp4', size, multipart: true, checksums: true });
  await assertUploaded(stack, outcome, 'clip.mp4');
  const key = outcome.key ?? '';
  const expected = compositeSha256(await storedBytes(stack, key), 5 * MiB);
  assert.deepEqual(
    [...sent.entries()].sort(([a], [b]) => a - b).map(([, value]) => value),
    expected.parts,
    "each part's PUT carried the SHA-256 of its bytes",
  );
  assert.deepEqual(await storedChecksum(stack, key), { sha256: expected.composite, type: 'COMPOSITE' });
}

/** What the service says of an upload's parts: 200 while it is open, 404 once S3 dropped it. */
async function listThroughService(stack: Stack, upload: { key: string; uploadId: string }) {
  const response = await fetch(`${stack.service}/multipart/list`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(upload),
  });
  return { status: response.status, body: (await response.json()) as { code?: string } };
}

test('Uppy 6 uploads 1 MiB in one form POST through /s3/sign', browserTestOptions(180_000), async (t) => {
  const stack = await startUppyStack(t, 'uppy6');
  const outcome = await upload(stack, { name: 'photo.png', type: 'image/png', size: MiB, multipart: false });
  await assertUploaded(stack, outcome, 'photo.png');
  assert.equal(outcome.events.parts, 0);
});

test('Uppy 6 uploads 64 MiB in parts through /s3/sign', browserTestOptions(300_000), async (t) => {
  const stack = await startUppyStack(t, 'uppy6');
  const outcome = await upload(stack, { name: 'clip.mp4', type: 'video/mp4', size: 64 * MiB, multipart: true });
  await assertUploaded(stack, outcome, 'clip.mp4');
  assert.ok(outcome.events.parts >= 2, `uploaded in ${outcome.events.parts} parts`);
});

test(
  'Uppy 6 with checksums: each part carries its SHA-256, S3 keeps their composite; a whole file its SHA-256',
  browserTestOptions(300_000),
  async (t) => {
    const stack = await startUppyStack(t, 'uppy6');
    // Uppy's split of 24 MiB: 5 MiB parts, the last one 4 MiB.
    await uploadInPartsWithChecksums(stack, 24 * MiB);

    const whole = await upload(stack, {
      name: 'photo.png',
      type: 'image/png',
      size: MiB,
      multipart: false,
      checksums: true,
    });
    await assertUploaded(stack, whole, 'photo.png');
    assert.deepEqual(await storedChecksum(stack, whole.key ?? ''), {
      sha256: Buffer.from(whole.sha256 ?? '', 'hex').toString('base64'),
      type: 'FULL_OBJECT',
    });
  },
);

test(
  'Uppy 6 with checksums: a part whose bytes are changed on the way is refused with BadDigest',
  browserTestOptions(300_000),
  async (t) => {
    const stack = await startUppyStack(t, 'uppy6');
    // A proxy that sends other bytes, of the same length, as part 2.
    await stack.page.route(
      (url) => url.origin === stack.s3.endpoint.origin && url.searchParams.get('partNumber') === '2',
      (route) =>
        route.request().method() === 'PUT' ? route.continue({ postData: randomBytes(5 * MiB) }) : route.continue(),
    );
    const outcome = await upload(stack, {
      name: 'clip.mp4',
      type: 'video/mp4',
      size: 12 * MiB,
      multipart: true,
      checksums: true,
    });
    assert.equal(outcome.key, undefined);
    assert.match(outcome.events.errors.join('\n'), /S3 returned 400 – BadDigest/);
    const objects = await stack.client.send(new ListObjectsV2Command({ Bucket: stack.bucket }));
    assert.equal(objects.KeyCount ?? 0, 0, 'nothing was stored');
  },
);

test('Uppy 6: a cancelled multipart upload leaves no parts behind', browserTestOptions(300_000), async (t) => {
  const stack = await startUppyStack(t, 'uppy6');
  const outcome = await upload(stack, {
    name: 'long.mp4',
    type: 'video/mp4',
    size: 40 * MiB,
    multipart: true,
    cancelAfterParts: 2,
  });
  assert.equal(outcome.cancelled, true);
  const started = outcome.events.upload;
  assert.ok(started, 'Uppy had started a multipart upload');
  const listed = await listThroughService(stack, started);
  assert.deepEqual([listed.status, listed.body.code], [404, 'NO_SUCH_UPLOAD'], 'Uppy aborted it through the service');
  const objects = await stack.client.send(new ListObjectsV2Command({ Bucket: stack.bucket }));
  assert.equal(objects.KeyCount ?? 0, 0, 'nothing was stored');
});

test(
  'Uppy 6: a type outside the policy is refused before anything reaches S3',
  browserTestOptions(180_000),
  async (t) => {
    const stack = await startUppyStack(t, 'uppy6');
    const outcome = await upload(stack, { name: 'page.html', type: 'text/html', size: 1024, multipart: false });
    assert.equal(outcome.key, undefined);
    assert.match(outcome.events.errors.join('\n'), /CONTENT_TYPE_NOT_ALLOWED/);
  },
);

test(
  'Uppy 5 through the Companion-compatible routes: 1 MiB whole and 64 MiB in parts',
  browserTestOptions(300_000),
  async (t) => {
    const stack = await startUppyStack(t, 'uppy5');
    const single = await upload(stack, { name: 'photo.png', type: 'image/png', size: MiB, multipart: false });
    await assertUploaded(stack, single, 'photo.png');
    const multi = await upload(stack, { name: 'clip.mp4', type: 'video/mp4', size: 64 * MiB, multipart: true });
    await assertUploaded(stack, multi, 'clip.mp4');
    assert.ok(multi.events.parts >= 2, `uploaded in ${multi.events.parts} parts`);
  },
);

test(
  'Uppy 5 through the Companion-compatible routes with checksums: each part signed with its SHA-256',
  browserTestOptions(300_000),
  async (t) => {
    const stack = await startUppyStack(t, 'uppy5');
    await uploadInPartsWithChecksums(stack, 12 * MiB);
  },
);
