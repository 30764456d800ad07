// The recording proxy the download tests read the wire through: requests that share a
// kept-alive connection are recorded one by one, whatever body came before them, so a filter
// on the request line misses none.
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { listen } from '../hostile-store.js';
import { startRecordingProxy } from './recording-proxy.js';

test('requests on one kept-alive connection are recorded one by one, bodies apart', async (t) => {
  const target = await listen(t, (request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-length': '2' }).end('ok'));
  });
  const proxy = await startRecordingProxy(t, target.port);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const send = (method: string, path: string, body?: { bytes: Buffer; chunked: boolean }) =>
    new Promise<{ status: number; text: string; reused: boolean }>((resolve, reject) => {
      const sent = httpRequest(
        {
          agent,
          host: '127.0.0.1',
          port: proxy.port,
          method,
          path,
          headers: body === undefined || body.chunked ? {} : { 'content-length': String(body.bytes.length) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text, reused: sent.reusedSocket }));
        },
      );
      sent.on('error', reject);
      // Written in pieces, a chunked body goes out in several chunks.
      if (body?.chunked)
        for (let at = 0; at < body.bytes.length; at += 1000) sent.write(body.bytes.subarray(at, at + 1000));
      sent.end(body?.chunked ? undefined : body?.bytes);
    });

  // Bodies that read as request heads, were a proxy to take a body for the next head.
  const fake = Buffer.from('GET /fake HTTP/1.1\r\nhost: x\r\n\r\n'.repeat(100));
  const answers = [
    await send('PUT', '/bucket/a', { bytes: fake, chunked: false }),
    await send('PUT', '/bucket/b', { bytes: fake, chunked: true }),
    await send('GET', '/bucket/a?partNumber=1'),
    await send('DELETE', '/bucket/b'),
  ];
  assert.deepEqual(
    answers.map((answer) => [answer.status, answer.text]),
    Array.from({ length: 4 }, () => [200, 'ok']),
  );
  assert.deepEqual(
    answers.map((answer) => answer.reused),
    [false, true, true, true],
    'one connection for all four',
  );
  assert.deepEqual(
    proxy.requests.map((head) => head.slice(0, head.indexOf('\r\n'))),
    [
      'put /bucket/a http/1.1',
      'put /bucket/b http/1.1',
      'get /bucket/a?partnumber=1 http/1.1',
      'delete /bucket/b http/1.1',
    ],
  );
  assert.match(proxy.requests[1] as string, /\r\ntransfer-encoding: chunked\r\n/);
  // The store received the same four, the bodies whole.
  assert.deepEqual(
    target.requests.map((request) => `${request.method} ${request.url}`),
    ['PUT /bucket/a', 'PUT /bucket/b', 'GET /bucket/a?partNumber=1', 'DELETE /bucket/b'],
  );
});
