// The OpenAPI document rendered from the routes, outside src/http/openapi.ts: rendering builds
// the whole app, which registers that plugin, so the plugin must not import the app back.
import { buildApp } from './app.js';
import { developmentRegistry } from './auth/callers.js';
import { loadConfig } from './config/config.js';

/**
 * The document as the routes describe it, for `npm run openapi` and the drift test.
 * Built from a fixed local configuration so it never depends on the caller's environment.
 */
export async function renderOpenApiDocument(): Promise<string> {
  const result = loadConfig({ S3_ENDPOINT_MODE: 'local' });
  if (!result.ok) throw new Error(result.problems.join('; '));
  const callers = developmentRegistry(result.config, '0'.repeat(64));
  const app = await buildApp(result.config, { logger: false, callers });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
