// CORS for browser frontends. The origins in CORS_ORIGINS get @fastify/cors's preflight
// answers and headers. A preflight from any other origin is refused with a 403 that says CORS
// refused it and how to allow it: without this it met the 404 of an unknown route ("route
// OPTIONS /s3/sign does not exist"), or a 204 without Access-Control-Allow-Origin, and sent
// people debugging routes instead of CORS.
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';

/** DELETE: aborting an upload through the Companion and Uppy routes. */
const CORS_METHODS = ['GET', 'POST', 'DELETE'];
const CORS_REQUEST_HEADERS = ['authorization', 'content-type'];
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * An origin as browsers serialise it, short: the only Origin value a refusal repeats. Anything
 * else came from no browser's page and is not worth naming (nor is it a value CORS_ORIGINS takes).
 */
const QUOTABLE_ORIGIN = /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;
const MAX_QUOTED_ORIGIN_LENGTH = 200;

/** Why a preflight from `origin` is refused, and what would allow it. */
export function corsRefusal(origin: string, allowedOrigins: readonly string[]): string {
  const configured =
    allowedOrigins.length === 0
      ? 'this service allows no browser origin (CORS_ORIGINS is not set)'
      : 'it is not one of the origins in CORS_ORIGINS';
  if (origin === 'null') {
    return `CORS refused origin "null" (a sandboxed or file:// page): ${configured}, and "null" cannot be allowed; serve the page from an http(s) origin and list that origin in CORS_ORIGINS`;
  }
  if (origin.length > MAX_QUOTED_ORIGIN_LENGTH || !QUOTABLE_ORIGIN.test(origin)) {
    return `CORS refused the request's origin: ${configured}, and its Origin header is not a scheme://host[:port] origin that CORS_ORIGINS could list`;
  }
  const allow =
    allowedOrigins.length === 0
      ? `start the service with CORS_ORIGINS=${origin}`
      : `add it to CORS_ORIGINS (comma-separated: CORS_ORIGINS=…,${origin})`;
  return `CORS refused origin ${origin}: ${configured}. To allow it, ${allow}`;
}

async function corsPolicyPlugin(app: FastifyInstance, options: { origins: readonly string[] }): Promise<void> {
  const allowed = new Set(options.origins);
  // Before @fastify/cors's own hook, which would answer the preflight 204 without allowing it.
  // A callback hook that looks at the method first: other requests pay one comparison.
  app.addHook('onRequest', (request, reply, done) => {
    const { origin } = request.headers;
    if (
      request.method !== 'OPTIONS' ||
      origin === undefined ||
      request.headers['access-control-request-method'] === undefined ||
      allowed.has(origin)
    ) {
      done();
      return;
    }
    // The answer depends on Origin: a cache must not hand it to another origin's preflight.
    reply.header('vary', 'Origin');
    done(new AppError('CORS_ORIGIN_NOT_ALLOWED', corsRefusal(origin, options.origins)));
  });
  // No allowed origin: no CORS header is ever sent, which browsers read as the same refusal.
  if (allowed.size > 0) {
    await app.register(cors, {
      origin: [...allowed],
      methods: CORS_METHODS,
      allowedHeaders: CORS_REQUEST_HEADERS,
      maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    });
  }
}

export const corsPolicy = fp(corsPolicyPlugin, { name: 'cors-policy', fastify: '5.x' });
