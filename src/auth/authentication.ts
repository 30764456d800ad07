// Every route registered after this plugin, in the same context, needs a caller, of a kind the
// route admits (src/auth/route-access.ts).
import type { FastifyInstance, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
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
  const admit = (request: FastifyRequest, caller: Caller, done: HookHandlerDoneFunction) => {
    request.caller = caller;
    // Services use every route; a frontend only those its kind (or its policy) opens.
    if (caller.kind !== 'api-key') {
      try {
        checkRouteAccess(caller, routeAccessOf(request.routeOptions.config, request.routeOptions.url ?? request.url));
      } catch (error) {
        done(error as Error);
        return;
      }
    }
    done();
  };
  // onRequest: refused before the body is even read.
  // The request's log line names the caller by id (app.ts), never by its credential. No child
  // logger per request: making one costs more than the rest of authentication.
  // A callback hook: an API key is checked synchronously, and an async hook would cost every
  // request its promises (4 of /presign's 26, counted with async_hooks); only a JWT waits.
  app.addHook('onRequest', (request, _reply, done) => {
    let outcome: Caller | Promise<Caller>;
    try {
      outcome = options.callers.admit(request.headers.authorization);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (outcome instanceof Promise) outcome.then((caller) => admit(request, caller, done), done);
    else admit(request, outcome, done);
  });
}

export const authentication = fp(authenticationPlugin, { name: 'authentication', fastify: '5.x' });
