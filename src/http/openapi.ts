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
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A service API key (s3p_…, from `s3-presign keygen`) or a JWT from a configured issuer (frontends).',
          },
        },
      },
      tags: [
        { name: 'presign', description: 'Mint presigned URLs' },
        { name: 'frontend', description: 'Uploads and downloads for browser apps' },
        { name: 'multipart', description: 'Large uploads in parts, resumable, for frontends and services' },
        { name: 'verify', description: 'Validate presigned URLs' },
        { name: 'operations', description: 'Probes for operators and orchestrators' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  // Swagger UI sets its own Content-Security-Policy on its pages (it needs inline assets).
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
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
  const { developmentRegistry } = await import('../auth/callers.js');
  const callers = developmentRegistry(result.config, '0'.repeat(64));
  const app = await buildApp(result.config, { logger: false, callers });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
