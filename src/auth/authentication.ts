// Every route registered after this plugin, in the same context, needs a caller.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { CallerRegistry } from './callers.js';
import type { Caller } from './policy.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by authentication before any handler of a protected route runs. */
    caller: Caller;
  }
}

async function authenticationPlugin(app: FastifyInstance, options: { callers: CallerRegistry }): Promise<void> {
  app.decorateRequest('caller', undefined as unknown as Caller);
  // onRequest: refused before the body is even read.
  app.addHook('onRequest', async (request, reply) => {
    request.caller = await options.callers.authenticate(request.headers.authorization);
    // The completion line is written through reply.log: both name the caller (never the credential).
    request.log = reply.log = request.log.child({ caller: request.caller.id });
  });
}

export const authentication = fp(authenticationPlugin, { name: 'authentication', fastify: '5.x' });
