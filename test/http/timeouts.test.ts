// Slow clients against a real listening server on loopback: the timeouts are applied where the
// process listens (buildApp's server options), so only a real socket can show them.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { startLocalApp } from '../helpers.js';

// Small timeouts keep the test short; the trickle is far slower than any of them.
const TIMEOUTS = {
  HTTP_HEADERS_TIMEOUT_MS: '300',
  HTTP_REQUEST_TIMEOUT_MS: '600',
  HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000',
};
const TRICKLE_EVERY_MS = 100;
/** A bound on the test, not a measurement: without timeouts the server would wait forever. */
const GIVE_UP_AFTER_MS = 15_000;

async function listening(t: TestContext) {
  const { app } = await startLocalApp(t, TIMEOUTS);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  return { app, port: address.port };
}

interface Trickle {
  /** Whether the server closed the connection (rather than the test giving up). */
  closedByServer: boolean;
  received: string;
  bytesTrickled: number;
}

/** Sends `head`, then one byte of `drip` every TRICKLE_EVERY_MS until the server closes. */
function trickle(port: number, head: string, drip: string): Promise<Trickle> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    let bytesTrickled = 0;
    let gaveUp = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => {});
    const drips = setInterval(() => {
      if (bytesTrickled < drip.length && socket.writable) socket.write(drip[bytesTrickled++] as string);
    }, TRICKLE_EVERY_MS);
    const giveUp = setTimeout(() => {
      gaveUp = true;
      socket.destroy();
    }, GIVE_UP_AFTER_MS);
    socket.on('close', () => {
      clearInterval(drips);
      clearTimeout(giveUp);
      resolve({ closedByServer: !gaveUp, received, bytesTrickled });
    });
    socket.write(head);
  });
}

test('a client that sends headers, then a body byte at a time, is cut off with 408', async (t) => {
  const { port } = await listening(t);
  const body = JSON.stringify({ url: `https://example.com/${'a'.repeat(400)}` });
  const result = await trickle(
    port,
    `POST /verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    body,
  );
  assert.ok(result.closedByServer, `the server kept the connection open for ${GIVE_UP_AFTER_MS} ms`);
  assert.ok(result.bytesTrickled < body.length, 'it was cut off before the body was complete');
  assert.match(result.received, /^HTTP\/1\.1 408 /);
  assert.match(result.received, /"code":"REQUEST_TIMEOUT"/, 'in the service error shape');
});

test('a client that trickles its headers is cut off with 408', async (t) => {
  const { port } = await listening(t);
  const header = `X-Padding: ${'b'.repeat(400)}\r\n`;
  const result = await trickle(port, 'GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n', header);
  assert.ok(result.closedByServer, `the server kept the connection open for ${GIVE_UP_AFTER_MS} ms`);
  assert.ok(result.bytesTrickled < header.length, 'it was cut off before the headers were complete');
  assert.match(result.received, /^HTTP\/1\.1 408 /);
});

test('normal requests work, and an idle keep-alive connection outlives the request timeouts', async (t) => {
  const { port } = await listening(t);
  const response = await fetch(`http://127.0.0.1:${port}/livez`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('keep-alive'), 'timeout=5', 'keep-alive as configured');

  // One connection: a request, idle longer than both request timeouts, then another request.
  const socket = connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.setEncoding('utf8');
  let received = '';
  socket.on('data', (chunk: string) => (received += chunk));
  const request = 'GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
  const responses = () => received.match(/HTTP\/1\.1 200 /g)?.length ?? 0;
  const until = async (condition: () => boolean) => {
    for (let waited = 0; !condition(); waited += 20) {
      assert.ok(waited < GIVE_UP_AFTER_MS, `no answer: ${received}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  socket.write(request);
  await until(() => responses() === 1);
  await new Promise((resolve) => setTimeout(resolve, 2 * Number(TIMEOUTS.HTTP_REQUEST_TIMEOUT_MS)));
  assert.ok(!socket.destroyed, 'the idle connection is still open');
  socket.write(request);
  await until(() => responses() === 2);
  assert.doesNotMatch(received, / 408 /);
});
