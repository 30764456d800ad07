import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalApp } from '../helpers.js';

/**
 * Keeps the event loop busy the way a saturated process does: `chunkMs` of work at a time,
 * with only a turn of the loop between chunks, for `totalMs`. The plugin samples the mean
 * event-loop delay once a second, so this spans whole samples of about `chunkMs` each.
 */
async function saturate(totalMs: number, chunkMs: number): Promise<void> {
  const end = Date.now() + totalMs;
  while (Date.now() < end) {
    const until = Date.now() + chunkMs;
    while (Date.now() < until) {
      // busy: timers, I/O and requests all wait
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const presignOnce = ({ app, auth }: Awaited<ReturnType<typeof startLocalApp>>) =>
  app.inject({ method: 'POST', url: '/presign', headers: auth, payload: { operation: 'get', key: 'k' } });

test('a saturated process sheds presign requests with 503 OVERLOADED and recovers', async (t) => {
  const local = await startLocalApp(t, { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '100' });
  const { app } = local;
  const presign = () => presignOnce(local);
  assert.equal((await presign()).statusCode, 200);

  await saturate(2_200, 700);
  const shed = await presign();
  assert.equal(shed.statusCode, 503, shed.body);
  assert.deepEqual(shed.json(), {
    statusCode: 503,
    code: 'OVERLOADED',
    error: 'Service Unavailable',
    message: 'the service is overloaded; retry in 5 seconds',
  });
  assert.equal(shed.headers['retry-after'], '5');
  // Probes and metrics still answer while presigning sheds.
  assert.equal((await app.inject({ method: 'GET', url: '/livez' })).statusCode, 200);
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(metrics.statusCode, 200);
  // Counted, for the S3PresignOverloadShedding alert.
  const refused = Number(/^s3presign_overload_refused_total (\d+)$/m.exec(metrics.body)?.[1]);
  assert.ok(refused >= 1, `s3presign_overload_refused_total is ${refused}`);

  // The next quiet sample lifts it.
  let recovered = false;
  for (let attempt = 0; attempt < 30 && !recovered; attempt++) {
    await sleep(100);
    recovered = (await presign()).statusCode === 200;
  }
  assert.ok(recovered, 'presigning resumed once the event loop was free again');
});

test('OVERLOAD_MAX_EVENT_LOOP_DELAY_MS=0 never sheds', async (t) => {
  const local = await startLocalApp(t, { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' });
  // Beyond the default threshold (500 ms) too, so the setting, not the default, is what holds.
  await saturate(2_200, 700);
  const response = await presignOnce(local);
  assert.equal(response.statusCode, 200, response.body);
});
