// Shares one Presigner (and its pinned clients) with every route; closes the clients with the app.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/config.js';
import type { PresignerBundle } from './create-presigner.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    signing: PresignerBundle;
  }
}

export interface PresignerPluginOptions {
  config: Config;
  signing: PresignerBundle;
}

async function presignerPlugin(app: FastifyInstance, options: PresignerPluginOptions): Promise<void> {
  app.decorate('config', options.config);
  app.decorate('signing', options.signing);
  app.addHook('onClose', async () => options.signing.close());
}

export const presignerProvider = fp(presignerPlugin, { name: 'presigner', fastify: '5.x' });
