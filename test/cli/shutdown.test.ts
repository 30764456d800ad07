// SIGTERM under load, on the real process: /readyz turns 503 while requests are still served
// (SHUTDOWN_DRAIN_MS), requests in flight complete, the process exits 0 inside its grace delay,
// and no request the service accepted is cut: every one gets a whole answer; only connections
// attempted after the listener closed are refused.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startService } from './service-process.js';

type Outcome = { status: number; body: string; at: number } | { error: string; at: number };

/** One request on a connection of its own: a refused connection is told apart from a cut one. */
function send(url: string, path: string, apiKey: string | undefined, payload?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const target = new URL(path, url);
    const outgoing = request(
      target,
      {
        method: payload ? 'POST' : 'GET',
        agent: false,
        headers: {
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
        timeout: 20_000,
      },
      (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, at: performance.now() }));
        response.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ error: error.code ?? error.message, at: performance.now() }),
        );
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message, at: performance.now() }),
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')));
    outgoing.end(payload);
  });
}

test('SIGTERM under load: readiness fails first, in-flight requests complete, exit 0, nothing accepted is cut', async (t) => {
  const service = await startService(t, { SHUTDOWN_DRAIN_MS: '5000', RATE_LIMIT_MAX: '1000000' });
  const apiKey = /API key:\s+(s3p_\S+)/.exec(service.output().stdout)?.[1] as string;
  const presigns: Outcome[] = [];
  const readiness: Outcome[] = [];
  // The load balancer: it keeps sending until it has seen /readyz fail and the change has
  // propagated (here 300 ms), then sends nothing new. The drain gives it 5 s: the poller itself
  // sees the 503 late on a loaded machine, and with 1.5 s, beside other test files, workers
  // still sent when the listener closed (connections reset in its backlog).
  let stopSendingAt = Infinity;
  let notReadyAt = Infinity;
  const worker = async () => {
    while (performance.now() < stopSendingAt) {
      presigns.push(await send(service.url, '/presign', apiKey, '{"operation":"get","key":"k"}'));
    }
  };
  const poller = async () => {
    while (notReadyAt === Infinity) {
      const outcome = await send(service.url, '/readyz', undefined);
      readiness.push(outcome);
      if ('status' in outcome && outcome.status === 503) {
        notReadyAt = outcome.at;
        stopSendingAt = notReadyAt + 300;
      }
      await sleep(25);
    }
  };
  const load = [...Array.from({ length: 16 }, worker), poller()];
  while (presigns.length < 100) await sleep(20);

  const signalledAt = performance.now();
  const code = await service.stop('SIGTERM');
  await Promise.all(load);
  assert.equal(code, 0, `exit inside the grace delay: ${service.output().stderr}`);

  // Every request sent got a whole answer: none refused, none cut, in flight or not.
  const cut = [...presigns, ...readiness].filter((outcome) => !('status' in outcome));
  assert.deepEqual(cut, [], 'no request failed at the connection');
  for (const outcome of presigns) {
    assert.ok('status' in outcome && outcome.status === 200, JSON.stringify(outcome));
  }
  assert.ok(notReadyAt > signalledAt && notReadyAt < Infinity, '/readyz answered 503 after SIGTERM');
  const servedWhileDraining = presigns.filter((outcome) => outcome.at > notReadyAt);
  assert.ok(servedWhileDraining.length > 0, 'presign requests were still served after /readyz turned 503');
  t.diagnostic(`${presigns.length} presigns, ${servedWhileDraining.length} answered after /readyz turned 503`);
});
