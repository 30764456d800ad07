// Shares one MultipartService with the multipart routes and the Uppy and Companion routes.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { MultipartService } from './multipart-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    multipart: MultipartService;
  }
}

async function multipartPlugin(app: FastifyInstance, options: { now?: () => Date }): Promise<void> {
  const { config } = app;
  const configured = config.uploads.tokenSecret;
  if (configured === undefined && config.mode.kind !== 'local') {
    app.log.warn(
      'UPLOAD_TOKEN_SECRET is not set: multipart upload IDs are bound with a key drawn for this process only, so another replica or a restart refuses them',
    );
  }
  app.decorate(
    'multipart',
    new MultipartService({
      config,
      s3: app.signing.s3,
      presigner: app.signing.presigner,
      tokenSecret: configured === undefined ? randomBytes(32) : Buffer.from(configured, 'utf8'),
      now: options.now,
      onIssued: (_caller, operation, count) => app.metrics.urlsIssued.inc({ operation }, count),
      // Registered before this plugin in the service; a partial app (tests) may leave it out.
      audit: app.hasDecorator('audit') ? app.audit : undefined,
    }),
  );
}

export const multipartProvider = fp(multipartPlugin, {
  name: 'multipart',
  fastify: '5.x',
  dependencies: ['app-context', 'metrics'],
});
