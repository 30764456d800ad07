// GET /demo: a small page that uploads a file through POST /uploads and reads it back
// through POST /downloads, for local mode only. The page carries the development API key,
// so it is served only on loopback, never framed, never cached, and under a strict
// Content-Security-Policy of its own (no inline script or style; fetch() may reach the
// service and the embedded S3 server, nothing else).
//
// The assets are real files beside this module (demo.html, demo.js, demo.css). `npm run
// build` compiles only TypeScript, so from dist/demo/ they are read from the source tree
// (../../src/demo/): local mode runs from a checkout, and the production image, which has
// no src/ and cannot run local mode, never registers this plugin.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

export interface DemoRoutesOptions {
  /** Local mode's development API key, which the page sends as `Authorization: Bearer`. */
  apiKey: string;
}

const API_KEY_PLACEHOLDER = '__S3_PRESIGN_API_KEY__';
const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

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

function escapeHtmlAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * The socket's own peer, not request.ip (trustProxy makes that X-Forwarded-For), and a
 * loopback Host, so a DNS-rebinding page on another site cannot read the key either.
 */
function servedLocally(request: FastifyRequest): boolean {
  const host = request.headers.host ?? '';
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  return isLoopbackAddress(request.socket.remoteAddress) && LOOPBACK_HOSTNAMES.has(hostname);
}

export const demoRoutes: FastifyPluginAsync<DemoRoutesOptions> = async (app, options) => {
  if (!app.hasDecorator('config') || app.config.mode.kind !== 'local') {
    throw new Error('the demo page is for local mode only');
  }
  if (!/^[\x21-\x7e]+$/.test(options.apiKey)) throw new Error('the demo page needs the development API key');

  const [template, script, stylesheet] = await Promise.all(['demo.html', 'demo.js', 'demo.css'].map(readAsset));
  if (template?.split(API_KEY_PLACEHOLDER).length !== 2) {
    throw new Error(`demo.html must hold ${API_KEY_PLACEHOLDER} exactly once`);
  }
  const html = template.replace(API_KEY_PLACEHOLDER, escapeHtmlAttribute(options.apiKey));

  // Replaces whatever policy a global plugin (helmet) set: the page must reach the
  // embedded S3 server, a different origin, with fetch().
  const contentSecurityPolicy = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${app.config.mode.endpoint.origin}`,
    // data: for the empty favicon, so the browser does not ask for /favicon.ico
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  app.addHook('onRequest', async (request) => {
    if (!servedLocally(request)) {
      // As if the route did not exist: nothing tells a remote caller there is a key here.
      throw new AppError('NOT_FOUND', `Route ${request.method}:${request.url} not found`);
    }
  });

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
  app.get('/demo', route, async (_request, reply) => send(reply, 'text/html; charset=utf-8', html));
  app.get('/demo/demo.js', route, async (_request, reply) =>
    send(reply, 'text/javascript; charset=utf-8', script as string),
  );
  app.get('/demo/demo.css', route, async (_request, reply) =>
    send(reply, 'text/css; charset=utf-8', stylesheet as string),
  );
};
