// Shares one FormUploadService with the routes that hand out browser form policies: /uploads
// (`"method": "post"`), Companion's /s3/params and Uppy 6's /s3/sign.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { FormUploadService } from './form-upload-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    formUploads: FormUploadService;
  }
}

async function formUploadPlugin(app: FastifyInstance): Promise<void> {
  app.decorate(
    'formUploads',
    new FormUploadService({
      config: app.config,
      presigner: app.signing.presigner,
      onIssued: () => app.metrics.urlsIssued.inc({ operation: 'post' }),
      // Registered before this plugin in the service; a partial app (tests) may leave it out.
      audit: app.hasDecorator('audit') ? app.audit : undefined,
    }),
  );
}

export const formUploadsProvider = fp(formUploadPlugin, {
  name: 'form-uploads',
  fastify: '5.x',
  dependencies: ['app-context', 'metrics'],
});
