// Every route registered after this plugin, in the same context, needs a caller, of a kind the
// route admits (src/auth/route-access.ts).
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ErrorCode } from '../errors.js';
import type { CallerRegistry } from './callers.js';
import type { Caller } from './caller-policy.js';
import { checkRouteAccess, routeAccessOf } from './route-access.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by authentication before any handler of a protected route runs. */
    caller: Caller;
  }
}

/** What authentication refuses with: the credential (callers.ts, jwt.ts) and the route family (route-access.ts). */
export const AUTHENTICATION_ERRORS = [
  'AUTH_REQUIRED',
  'AUTH_INVALID',
  'AUTH_EXPIRED',
  'AUTH_UNAVAILABLE',
  'ROUTE_NOT_ALLOWED',
] as const satisfies readonly ErrorCode[];

async function authenticationPlugin(app: FastifyInstance, options: { callers: CallerRegistry }): Promise<void> {
  app.decorateRequest('caller', undefined as unknown as Caller);
  // onRequest: refused before the body is even read.
  // The request's log line names the caller by id (app.ts), never by its credential. No child
  // logger per request: making one costs more than the rest of authentication.
  app.addHook('onRequest', async (request) => {
    const caller = await options.callers.authenticate(request.headers.authorization);
    request.caller = caller;
    // Services use every route; a frontend only those its kind (or its policy) opens.
    if (caller.kind !== 'api-key') {
      checkRouteAccess(caller, routeAccessOf(request.routeOptions.config, request.routeOptions.url ?? request.url));
    }
  });
}

export const authentication = fp(authenticationPlugin, { name: 'authentication', fastify: '5.x' });
