// The OpenAPI document comes from the route schemas themselves (zod → JSON Schema), so it
// cannot drift from what the routes validate; openapi/ holds the committed copy.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export const OPENAPI_INFO = {
  title: 's3-presign',
  description:
    'Issues Amazon S3 presigned GET and PUT URLs through a client pinned to one configured endpoint route, and validates every URL before returning it.',
  version: '0.1.0',
};

async function openApiPlugin(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      tags: [
        { name: 'presign', description: 'Mint presigned URLs' },
        { name: 'verify', description: 'Validate presigned URLs' },
        { name: 'operations', description: 'Probes for operators and orchestrators' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export const openApi = fp(openApiPlugin, { name: 'openapi', fastify: '5.x' });

/**
 * The document as the routes describe it, for `npm run openapi` and the drift test.
 * Built from a fixed local configuration so it never depends on the caller's environment.
 */
export async function renderOpenApiDocument(): Promise<string> {
  const { buildApp } = await import('../app.js');
  const { loadConfig } = await import('../config/config.js');
  const result = loadConfig({ S3_ENDPOINT_MODE: 'local' });
  if (!result.ok) throw new Error(result.problems.join('; '));
  const app = await buildApp(result.config, { logger: false });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
