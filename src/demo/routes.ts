// GET /demo: a small page that uploads a file through POST /uploads and reads it back
// through POST /downloads, for local mode only. It calls the service as a frontend does, with
// a JWT from local mode's development token issuer (POST /dev/token), never with an API key.
// Like the issuer it is served only on loopback, never framed, never cached, and under a
// strict Content-Security-Policy of its own (no inline script or style; fetch() may reach
// the service and the embedded S3 server, nothing else).
//
// The assets are real files beside this module (demo.html, demo.js, hash-worker.js,
// demo.css). `npm run build` compiles only TypeScript, so from dist/demo/ they are read from
// the source tree (../../src/demo/): local mode runs from a checkout, and the production
// image, which has no src/ and cannot run local mode, never registers this plugin.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { loopbackOnly } from '../local/loopback.js';

async function readAsset(name: string): Promise<string> {
  const candidates = [new URL(`./${name}`, import.meta.url), new URL(`../../src/demo/${name}`, import.meta.url)];
  for (const candidate of candidates) {
    try {
      return await readFile(candidate, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`demo asset ${name} not found at ${candidates.map((url) => fileURLToPath(url)).join(' or ')}`);
}

export const demoRoutes: FastifyPluginAsync = async (app) => {
  if (!app.hasDecorator('config') || app.config.mode.kind !== 'local') {
    throw new Error('the demo page is for local mode only');
  }
  const [html, script, hashWorker, stylesheet] = await Promise.all(
    ['demo.html', 'demo.js', 'hash-worker.js', 'demo.css'].map(readAsset),
  );

  // Replaces whatever policy a global plugin (helmet) set: the page must reach the
  // embedded S3 server, a different origin, with fetch().
  const contentSecurityPolicy = [
    "default-src 'none'",
    "script-src 'self'",
    // The part hashing's worker (hash-worker.js), from this origin only.
    "worker-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${app.config.mode.endpoint.origin}`,
    // data: for the empty favicon, so the browser does not ask for /favicon.ico
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  app.addHook('onRequest', loopbackOnly);

  const send = (reply: FastifyReply, contentType: string, body: string) =>
    reply
      .header('content-type', contentType)
      .header('cache-control', 'no-store')
      .header('content-security-policy', contentSecurityPolicy)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .send(body);

  // hide: the page is not part of the API, and the OpenAPI document is built in local mode.
  const route = { schema: { hide: true } };
  app.get('/demo', route, async (_request, reply) => send(reply, 'text/html; charset=utf-8', html as string));
  app.get('/demo/demo.js', route, async (_request, reply) =>
    send(reply, 'text/javascript; charset=utf-8', script as string),
  );
  app.get('/demo/hash-worker.js', route, async (_request, reply) =>
    send(reply, 'text/javascript; charset=utf-8', hashWorker as string),
  );
  app.get('/demo/demo.css', route, async (_request, reply) =>
    send(reply, 'text/css; charset=utf-8', stylesheet as string),
  );
};
