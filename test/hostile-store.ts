// A plain HTTP server on loopback in a store's place, for tests of what a broken or hostile
// S3-compatible server can send: the client under test must refuse it, bounded.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A server answering with `handler`, closed after the test; `requests` holds each request received. */
export async function listen(t: TestContext, handler: Handler): Promise<{ port: number; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    requests.push(request);
    handler(request, response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, requests };
}

/** A 403 whose body never ends: S3's error document, then spaces for as long as it is read. */
export function endlessRefusal(response: ServerResponse, onSent: (bytes: number) => void): void {
  response.writeHead(403, { 'content-type': 'application/xml' });
  const chunk = Buffer.alloc(64 * 1024, ' ');
  // Every write counts, the one the socket's buffer refuses too: it is sent once drained.
  const more = () => {
    while (!response.destroyed) {
      onSent(chunk.length);
      if (!response.write(chunk)) return;
    }
  };
  response.on('drain', more);
  response.write('<Error><Code>AccessDenied</Code>');
  more();
}
