// The form-upload plugin: one FormUploadService on the app, after the app context and the
// metrics, counting each policy in the metrics and writing its grant to the app's audit trail
// when the app has one. No call here reaches S3: a policy is signed locally.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';

import Fastify, { type FastifyInstance } from 'fastify';

import { appContext } from '../../../src/app-context.js';
import { auditProvider } from '../../../src/audit/audit-plugin.js';
import { formUploadsProvider } from '../../../src/form-uploads/form-upload-plugin.js';
import { FormUploadService } from '../../../src/form-uploads/form-upload-service.js';
import { createServiceMetrics, metricsProvider } from '../../../src/http/metrics.js';
import { createPresigner } from '../../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../../src/presign/credentials.js';
import { apiKeyCaller } from '../../fixtures/callers.js';
import { signingConfigFrom } from '../../fixtures/config.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';

const config = signingConfigFrom({ S3_ENDPOINT_MODE: 'local', LOG_LEVEL: 'silent' });
const FILE = { filename: 'a.txt', contentType: 'text/plain', contentLength: 1 };

async function appWith(t: TestContext, audit?: { write(line: string): unknown }): Promise<FastifyInstance> {
  const app = Fastify();
  t.after(() => app.close());
  await app.register(metricsProvider, { metrics: createServiceMetrics({ mode: 'local' }) });
  const signing = await createPresigner(config, { credentials: staticCredentialSource(EXAMPLE_CREDENTIALS) });
  await app.register(appContext, { config, signing });
  if (audit !== undefined) await app.register(auditProvider, { destination: audit });
  await app.register(formUploadsProvider);
  await app.ready();
  return app;
}

describe('the form-upload plugin', () => {
  it('decorates the app with a FormUploadService that counts each policy it issues', async (t) => {
    const app = await appWith(t);
    assert.ok(app.formUploads instanceof FormUploadService);
    await app.formUploads.createPostPolicy(apiKeyCaller(), FILE);
    await app.formUploads.createPostPolicy(apiKeyCaller(), FILE);
    const counted = (await app.metrics.urlsIssued.get()).values.map((value) => [value.labels.operation, value.value]);
    assert.deepEqual(counted, [['post', 2]]);
  });

  it('is named form-uploads and wants the app context and metrics plugins registered first', async (t) => {
    const bare = Fastify();
    t.after(() => bare.close());
    await assert.rejects(async () => bare.register(formUploadsProvider).ready(), {
      message: "The dependency 'app-context' of plugin 'form-uploads' is not registered",
    });
    const withoutMetrics = Fastify();
    t.after(() => withoutMetrics.close());
    await withoutMetrics.register(appContext, { config, signing: await createPresigner(config) });
    await assert.rejects(async () => withoutMetrics.register(formUploadsProvider).ready(), {
      message: "The dependency 'metrics' of plugin 'form-uploads' is not registered",
    });
  });

  it("writes each policy's grant to the app's audit trail when the app has one", async (t) => {
    const lines: string[] = [];
    const app = await appWith(t, { write: (line: string) => lines.push(line) });
    const post = await app.formUploads.createPostPolicy(apiKeyCaller(), FILE);
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      events.map(({ event, operation, bucket, key }) => ({ event, operation, bucket, key })),
      [{ event: 'grant', operation: 'post', bucket: 'local-uploads', key: post.key }],
    );
  });
});
