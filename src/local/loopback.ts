// Which requests come from this machine: local mode's development routes (/demo, /dev/token)
// answer only those, and any other request as if the route did not exist.
import type { FastifyReply, FastifyRequest } from 'fastify';

const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * The socket's own peer, not request.ip (trustProxy makes that X-Forwarded-For), and a
 * loopback Host, so a DNS-rebinding page on another site cannot use the route either.
 */
export function fromLoopback(request: FastifyRequest): boolean {
  const host = request.headers.host ?? '';
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  return isLoopbackAddress(request.socket.remoteAddress) && LOOPBACK_HOSTNAMES.has(hostname);
}

/**
 * An onRequest hook for a development route: anyone but this machine gets the service's own
 * 404 for an unknown route, so nothing tells a remote caller the route is there.
 */
export async function loopbackOnly(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (fromLoopback(request)) return undefined;
  reply.callNotFound();
  // Returned, so Fastify runs nothing more for this request: the 404 is the answer.
  return reply;
}
