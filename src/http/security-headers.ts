// Helmet's security headers, computed once. Every header helmet sets here is the same for every
// request (no CSP nonces), yet @fastify/helmet runs helmet's whole middleware chain per request:
// measured, that was a third of /presign's cost (6,254 → 9,063 req/s without it). So helmet
// itself computes the set once at start-up and a hook copies it onto each reply.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/** Runs helmet once against a response that only records headers. */
export function securityHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: number | string | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure;
  return headers;
}

async function securityHeadersPlugin(app: FastifyInstance, options: { helmet: HelmetOptions }): Promise<void> {
  // A presign answer is a bearer credential until it expires: no browser or proxy may keep one.
  const headers = { ...securityHeaders(options.helmet), 'cache-control': 'no-store' };
  // onRequest, so a route that needs its own policy (Swagger UI, /demo) can still replace it.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}

export const securityHeadersProvider = fp(securityHeadersPlugin, { name: 'security-headers', fastify: '5.x' });
