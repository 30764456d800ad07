// The configuration and the signing bundle (one Presigner and its pinned clients) every route
// reads, as app.config and app.signing; closes the clients with the app.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from './config/config.js';
import type { PresignerBundle } from './presign/create-presigner.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    signing: PresignerBundle;
  }
}

export interface AppContextOptions {
  config: Config;
  signing: PresignerBundle;
}

async function appContextPlugin(app: FastifyInstance, options: AppContextOptions): Promise<void> {
  app.decorate('config', options.config);
  app.decorate('signing', options.signing);
  app.addHook('onClose', async () => options.signing.close());
}

export const appContext = fp(appContextPlugin, { name: 'app-context', fastify: '5.x' });
