// The OpenAPI document comes from the route schemas themselves (zod → JSON Schema), so it
// cannot drift from what the routes validate; openapi/ holds the committed copy.
import { isDeepStrictEqual } from 'node:util';
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
  contact: { name: 's3-presign maintainers' },
  license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
};

/** Every tag an operation uses, in the order Swagger UI lists them. */
export const OPENAPI_TAGS = [
  {
    name: 'presign',
    description: 'Mint presigned URLs for any key: internal services, and frontends whose policy sets presignRoutes',
  },
  {
    name: 'frontend',
    description: 'Uploads and downloads for browser apps: the service picks the upload key, or checks the download key',
  },
  { name: 'multipart', description: 'Large uploads in parts, resumable, for frontends and services' },
  {
    name: 'uppy',
    description: 'Uppy 6 (@uppy/aws-s3 6.x): the backend of its signRequest option',
  },
  {
    name: 'companion',
    description: "Uppy Companion's S3 routes, same shapes, for apps on @uppy/aws-s3 5.x that signed through Companion",
  },
  { name: 'verify', description: 'Validate presigned URLs, from this service or any other tool' },
  { name: 'operations', description: 'Probes for operators and orchestrators' },
];

export interface OpenApiOptions {
  /** PUBLIC_BASE_URL: the served document names it as its server; without it, `/` (wherever it is served from). */
  publicUrl?: string | undefined;
}

async function openApiPlugin(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      servers: [
        options.publicUrl === undefined
          ? { url: '/', description: 'The service that serves this document (GET /docs/json)' }
          : { url: options.publicUrl, description: 'This deployment (PUBLIC_BASE_URL)' },
      ],
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
      tags: OPENAPI_TAGS,
    },
    transform: jsonSchemaTransform,
    transformObject: (document) =>
      withComponentsInUse(jsonSchemaTransformObject(document) as OpenApiDocument) as ReturnType<
        typeof jsonSchemaTransformObject
      >,
  });
  // Swagger UI sets its own Content-Security-Policy on its pages (it needs inline assets).
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}

export const openApi = fp(openApiPlugin, { name: 'openapi', fastify: '5.x' });

const SCHEMA_REF = '#/components/schemas/';
/** fastify-type-provider-zod's name for the input form of a registered schema. */
const INPUT_SUFFIX = 'Input';

/** What this module reads of a document; the rest passes through. */
interface OpenApiDocument {
  paths?: unknown;
  components?: { schemas?: Record<string, unknown> };
}

/**
 * fastify-type-provider-zod emits every registered schema in both of zod's forms, whether a
 * route uses it or not: `X`, its output form (what responses reference), and `XInput`, its
 * input form (what request bodies and parameters reference). A request schema's output form
 * and a response schema's input form are never referenced. This keeps the forms the
 * operations reach, following references, and gives a form its schema's own id when the
 * other form is not used or is the same JSON (`PresignRequest`, not `PresignRequestInput`).
 */
export function withComponentsInUse(document: OpenApiDocument): OpenApiDocument {
  const all = document.components?.schemas ?? {};
  const used = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(SCHEMA_REF)) {
        const name = value.slice(SCHEMA_REF.length);
        if (!used.has(name)) {
          used.add(name);
          visit(all[name]);
        }
      } else {
        visit(value);
      }
    }
  };
  visit(document.paths);

  const renamed = new Map<string, string>();
  for (const name of used) {
    if (!name.endsWith(INPUT_SUFFIX)) continue;
    const id = name.slice(0, -INPUT_SUFFIX.length);
    if (!(id in all)) continue;
    if (!used.has(id) || isDeepStrictEqual(all[id], all[name])) renamed.set(name, id);
  }
  const rename = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rename);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => {
        if (key !== '$ref' || typeof value !== 'string' || !value.startsWith(SCHEMA_REF)) return [key, rename(value)];
        const name = value.slice(SCHEMA_REF.length);
        return [key, SCHEMA_REF + (renamed.get(name) ?? name)];
      }),
    );
  };
  const schemas = Object.fromEntries(
    [...used]
      .map((name) => [renamed.get(name) ?? name, rename(all[name])] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return {
    ...document,
    paths: rename(document.paths),
    components: { ...document.components, schemas },
  };
}
