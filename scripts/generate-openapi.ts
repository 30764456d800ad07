// npm run openapi: rewrites openapi/openapi.json from the route schemas.
import { writeFile } from 'node:fs/promises';
import { renderOpenApiDocument } from '../src/openapi-document.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const target = new URL('../openapi/openapi.json', import.meta.url);
await writeFile(target, await renderOpenApiDocument());
process.stdout.write(`wrote ${target.pathname}\n`);
