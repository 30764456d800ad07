// Builds the app from this process's OTEL_* variables (local mode, no store needed), answers
// one request, closes. test/http/traces.test.ts runs it under module-loads.mjs.
import { buildApp } from '../../src/app.js';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { developmentRegistry } from '../../src/auth/callers.js';
import { loadConfig } from '../../src/config/config.js';

const otel = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('OTEL_')));
const result = loadConfig({ S3_ENDPOINT_MODE: 'local', ...otel });
if (!result.ok) throw new Error(result.problems.join('; '));
const app = await buildApp(result.config, {
  callers: developmentRegistry(result.config, hashApiKey(generateApiKey())),
  logger: false,
});
const response = await app.inject({ method: 'GET', url: '/livez' });
await app.close();
process.stdout.write(`${response.statusCode}\n`);
