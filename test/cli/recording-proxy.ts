// An HTTP proxy on loopback in front of a store: it records every request head and can stall
// or cut the answer, so a test sees a client's `Range` and `If-Match` on the wire. Its front is
// node:http's server, so the framing of requests on a kept-alive connection (Content-Length,
// chunked) is the library's: a request's body is never read as the next request's head.
import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TestContext } from 'node:test';

/** What the client sent through the proxy, and switches on what it passes back. */
export interface RecordingProxy {
  port: string;
  /** Every request head (request line and headers, each line ending in CRLF), lower-cased, in order. */
  requests: string[];
  /** Bytes of answers' bodies passed back so far. */
  relayed(): number;
  /** From now on, hold the answer once this many body bytes have passed (a stalled link). */
  stallAfter(bytes: number | undefined): void;
  /** Cut the connection once this many body bytes have passed, once (a dropped link). */
  dropAfter(bytes: number | undefined): void;
  /** From now on, hold the answer to a request whose head matches once this many of its body bytes have passed. */
  stallAnswer(to: RegExp | undefined, bytes: number): void;
}

/** The head as the client sent it: the request line, then each header as received. */
function headOf(request: IncomingMessage): string {
  let head = `${request.method} ${request.url} HTTP/${request.httpVersion}\r\n`;
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    head += `${request.rawHeaders[index]}: ${request.rawHeaders[index + 1]}\r\n`;
  }
  return head.toLowerCase();
}

export async function startRecordingProxy(t: TestContext, target: number): Promise<RecordingProxy> {
  const requests: string[] = [];
  let relayed = 0;
  let stallAt: number | undefined;
  let dropAt: number | undefined;
  let stallAnswer: { to: RegExp; bytes: number } | undefined;
  const upstreamAgent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const head = headOf(request);
    requests.push(head);
    const cut = () => {
      request.socket.destroy();
      upstream.destroy();
    };
    // The Host header passes on unchanged: the client signed for the proxy's address.
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: target,
        method: request.method,
        path: request.url,
        headers: request.rawHeaders,
        agent: upstreamAgent,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
        let answered = 0;
        answer.on('data', (chunk: Buffer) => {
          if (stallAnswer !== undefined && stallAnswer.to.test(head) && answered + chunk.length > stallAnswer.bytes) {
            answer.pause();
            return;
          }
          answered += chunk.length;
          if (dropAt !== undefined && relayed + chunk.length > dropAt) {
            const kept = dropAt - relayed;
            dropAt = undefined;
            relayed += kept;
            response.write(chunk.subarray(0, kept), cut);
            return;
          }
          if (stallAt !== undefined && relayed + chunk.length > stallAt) {
            answer.pause();
            return;
          }
          relayed += chunk.length;
          response.write(chunk);
        });
        answer.on('end', () => response.end());
        answer.on('error', cut);
      },
    );
    upstream.on('error', cut);
    // A client gone before its answer (a download stopped with Ctrl-C) frees the store's connection.
    response.on('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    request.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
    upstreamAgent.destroy();
  });
  return {
    port: String((server.address() as { port: number }).port),
    requests,
    relayed: () => relayed,
    stallAfter: (bytes) => (stallAt = bytes),
    dropAfter: (bytes) => (dropAt = bytes),
    stallAnswer: (to, bytes) => (stallAnswer = to === undefined ? undefined : { to, bytes }),
  };
}
