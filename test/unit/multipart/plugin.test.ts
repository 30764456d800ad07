// The multipart plugin: one MultipartService on the app, bound with UPLOAD_TOKEN_SECRET when it
// is set (so replicas accept each other's upload IDs) or else a key of this process only (with
// a warning outside local mode), on the app's clock, counting what it issues in the metrics
// and writing its grants to the app's audit trail when the app has one.
// No call here reaches S3: grants and part URLs are signed locally, and the refusals that
// show which secret bound a grant come before S3 is asked.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';

import Fastify from 'fastify';

import { auditProvider } from '../../../src/audit/audit-plugin.js';
import type { Caller } from '../../../src/auth/caller-policy.js';
import { createServiceMetrics, metricsProvider, type ServiceMetrics } from '../../../src/http/metrics.js';
import { multipartProvider } from '../../../src/multipart/multipart-plugin.js';
import { MultipartService } from '../../../src/multipart/multipart-service.js';
import { UploadTokens } from '../../../src/multipart/upload-token.js';
import { createPresigner } from '../../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../../src/presign/credentials.js';
import { appContext } from '../../../src/app-context.js';
import type { Config } from '../../../src/config/config.js';
import { apiKeyCaller } from '../../fixtures/callers.js';
import { signingConfigFrom } from '../../fixtures/config.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';

const SECRET = 'a shared secret of 32 characters or more, with ü';
const WARNING =
  'UPLOAD_TOKEN_SECRET is not set: multipart upload IDs are bound with a key drawn for this process only, so another replica or a restart refuses them';
const LOCAL = { S3_ENDPOINT_MODE: 'local' };
const REGIONAL = { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_BUCKETS: 'my-bucket' };

interface TestApp {
  multipart: MultipartService;
  metrics: ServiceMetrics;
  logs: LogCapture;
}

/** The log lines an app writes (not test/helpers.ts, which loads the whole app). */
class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

function configOf(env: Record<string, string>): Config {
  // The callers come from no file here: the plugin never reads them.
  return signingConfigFrom({ LOG_LEVEL: 'info', ...env });
}

async function appWith(
  t: TestContext,
  env: Record<string, string>,
  now?: () => Date,
  audit?: { write(line: string): unknown },
): Promise<TestApp> {
  const config = configOf(env);
  const logs = new LogCapture();
  const app = Fastify({ logger: { level: 'info', stream: logs } });
  t.after(() => app.close());
  const metrics = createServiceMetrics({ mode: 'local' });
  await app.register(metricsProvider, { metrics });
  const signing = await createPresigner(config, {
    credentials: staticCredentialSource(EXAMPLE_CREDENTIALS),
  });
  await app.register(appContext, { config, signing });
  if (audit !== undefined) await app.register(auditProvider, { destination: audit });
  await app.register(multipartProvider, { now });
  await app.ready();
  return { multipart: app.multipart, metrics, logs };
}

function caller(bucket: string, contentTypes?: string[]): Caller {
  return apiKeyCaller({ operations: ['put'], buckets: [bucket], contentTypes });
}

/** Opens a grant from `from` on `to`: refused for its type (after the grant), or for the grant. */
async function grantCodeOn(from: TestApp, to: TestApp): Promise<string> {
  const who = caller('local-uploads', ['image/*']);
  const { token } = from.multipart.grantCreate(who, { filename: 'a.bin', contentLength: 1, partSize: 5_242_880 });
  try {
    await to.multipart.createGrantedMultipartUpload(who, { grant: token, contentType: 'text/plain' });
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'created';
}

describe('the multipart plugin', () => {
  it('decorates the app with a MultipartService', async (t) => {
    const app = await appWith(t, LOCAL);
    assert.ok(app.multipart instanceof MultipartService);
  });

  it('is named multipart and wants the app context and metrics plugins registered first', async (t) => {
    const bare = Fastify();
    t.after(() => bare.close());
    await assert.rejects(async () => bare.register(multipartProvider, {}).ready(), {
      message: "The dependency 'app-context' of plugin 'multipart' is not registered",
    });
    const config = configOf(LOCAL);
    const withoutMetrics = Fastify();
    t.after(() => withoutMetrics.close());
    await withoutMetrics.register(appContext, { config, signing: await createPresigner(config) });
    await assert.rejects(async () => withoutMetrics.register(multipartProvider, {}).ready(), {
      message: "The dependency 'metrics' of plugin 'multipart' is not registered",
    });
  });

  it('binds tokens with UPLOAD_TOKEN_SECRET, so another app with the same secret accepts them', async (t) => {
    const one = await appWith(t, { ...LOCAL, UPLOAD_TOKEN_SECRET: SECRET });
    const two = await appWith(t, { ...LOCAL, UPLOAD_TOKEN_SECRET: SECRET });
    const other = await appWith(t, { ...LOCAL, UPLOAD_TOKEN_SECRET: `${SECRET}!` });
    assert.equal(await grantCodeOn(one, two), 'CONTENT_TYPE_NOT_ALLOWED', 'the grant was accepted');
    assert.equal(await grantCodeOn(one, other), 'UPLOAD_NOT_ALLOWED');
    // The secret's UTF-8 bytes are the key: an upload ID issued with them opens.
    const who = caller('local-uploads');
    const uploadId = new UploadTokens(Buffer.from(SECRET, 'utf8')).issue(
      { s3UploadId: 's3-id', bucket: 'local-uploads', contentLength: 12_582_912, partSize: 5_242_880, expiresAt: 2e9 },
      who,
      'web/a.bin',
    );
    const signed = await one.multipart.signPartUrls(who, { key: 'web/a.bin', uploadId, partNumbers: [1, 3] });
    assert.deepEqual(
      signed.parts.map((part) => part.headers),
      [{ 'content-length': '5242880' }, { 'content-length': '2097152' }],
    );
  });

  it('without a secret, draws a key of its own: no other app accepts its tokens, and it says so outside local mode', async (t) => {
    const local = await appWith(t, LOCAL);
    const again = await appWith(t, LOCAL);
    assert.equal(await grantCodeOn(local, local), 'CONTENT_TYPE_NOT_ALLOWED', 'its own grant is accepted');
    assert.equal(await grantCodeOn(local, again), 'UPLOAD_NOT_ALLOWED');
    assert.ok(!local.logs.text.includes('UPLOAD_TOKEN_SECRET'), 'no warning in local mode');

    const regional = await appWith(t, REGIONAL);
    const warnings = regional.logs.lines.map((line) => JSON.parse(line)).filter((line) => line.level === 40);
    assert.deepEqual(
      warnings.map((line) => line.msg),
      [WARNING],
    );
    const configured = await appWith(t, { ...REGIONAL, UPLOAD_TOKEN_SECRET: SECRET });
    assert.ok(!configured.logs.text.includes('UPLOAD_TOKEN_SECRET'), 'no warning with a secret');
  });

  it("runs on the app's clock", async (t) => {
    const past = () => new Date('2020-01-01T00:00:00Z');
    const frozen = await appWith(t, { ...LOCAL, UPLOAD_TOKEN_SECRET: SECRET }, past);
    const current = await appWith(t, { ...LOCAL, UPLOAD_TOKEN_SECRET: SECRET });
    assert.equal(await grantCodeOn(frozen, frozen), 'CONTENT_TYPE_NOT_ALLOWED');
    // Granted in 2020 for ten minutes: long expired on a clock of today.
    assert.equal(await grantCodeOn(frozen, current), 'UPLOAD_EXPIRED');
  });

  it("writes the grants it issues to the app's audit trail when the app has one", async (t) => {
    const lines: string[] = [];
    const app = await appWith(t, { ...LOCAL, UPLOAD_TOKEN_SECRET: SECRET }, undefined, {
      write: (line: string) => lines.push(line),
    });
    const who = caller('local-uploads');
    const uploadId = new UploadTokens(Buffer.from(SECRET, 'utf8')).issue(
      { s3UploadId: 's3-id', bucket: 'local-uploads', contentLength: 11_000_000, partSize: 5_242_880, expiresAt: 2e9 },
      who,
      'web/a.bin',
    );
    await app.multipart.signPartUrls(who, { key: 'web/a.bin', uploadId, partNumbers: [1, 2] });
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      events.map(({ event, operation, bucket, key, uploadId: id, partNumbers }) => ({
        event,
        operation,
        bucket,
        key,
        uploadId: id,
        partNumbers,
      })),
      [
        {
          event: 'grant',
          operation: 'upload-part',
          bucket: 'local-uploads',
          key: 'web/a.bin',
          uploadId: 's3-id',
          partNumbers: [1, 2],
        },
      ],
    );
  });

  it('counts the part URLs it issues', async (t) => {
    const app = await appWith(t, { ...LOCAL, UPLOAD_TOKEN_SECRET: SECRET });
    const who = caller('local-uploads');
    const uploadId = new UploadTokens(Buffer.from(SECRET, 'utf8')).issue(
      { s3UploadId: 's3-id', bucket: 'local-uploads', contentLength: 11_000_000, partSize: 5_242_880, expiresAt: 2e9 },
      who,
      'web/a.bin',
    );
    await app.multipart.signPartUrls(who, { key: 'web/a.bin', uploadId, partNumbers: [1, 2, 3] });
    const counted = (await app.metrics.urlsIssued.get()).values.map((value) => [value.labels.operation, value.value]);
    assert.deepEqual(counted, [['upload-part', 3]]);
  });
});
