// Three service processes sharing one real Redis, as three replicas behind a load balancer:
// a caller's limit holds across them exactly, a batch is charged every URL, and with Redis
// stopped mid-run they keep answering (each counting on its own) and go back to Redis by
// themselves when it returns.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { redisMissing, startRedis } from '../redis-server.js';
import { startService, type ServiceProcess } from './service-process.js';

const LIMIT = 30;
const keys = { limited: generateApiKey(), other: generateApiKey(), batcher: generateApiKey() };

function presign(service: ServiceProcess, key: string, body: object = { operation: 'get', key: 'k' }) {
  return fetch(`${service.url}${'items' in body ? '/presign/batch' : '/presign'}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    // A hang guard far above RATE_LIMIT_REDIS_TIMEOUT_MS, not a timing assertion.
    signal: AbortSignal.timeout(10_000),
  });
}

async function redisAnswers(service: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('s3presign_rate_limit_redis_duration_seconds_count{outcome="ok"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

test(
  'three replicas, one Redis: exactly the limit across them, batches charged per URL, Redis outage survived',
  { skip: redisMissing() },
  async (t) => {
    const password = `pw-${generateApiKey().slice(4, 24)}`;
    const redis = await startRedis(t, { password });
    const dir = await mkdtemp(join(tmpdir(), 's3-presign-fleet-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const clientsFile = join(dir, 'clients.yaml');
    const passwordFile = join(dir, 'redis-password');
    await writeFile(
      clientsFile,
      JSON.stringify({
        clients: Object.entries(keys).map(([id, key]) => ({
          id,
          apiKeySha256: hashApiKey(key),
          policy: { operations: ['get'], keyPrefixes: [''] },
        })),
      }),
    );
    // As a mounted Kubernetes Secret: the password with a trailing newline.
    await writeFile(passwordFile, `${password}\n`);
    const env = {
      AUTH_CLIENTS_FILE: clientsFile,
      RATE_LIMIT_MAX: String(LIMIT),
      RATE_LIMIT_WINDOW_SECONDS: '300',
      RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      RATE_LIMIT_REDIS_PASSWORD_FILE: passwordFile,
      // The bound is not what this test is about (test/integration/redis-rate-limit.test.ts
      // freezes Redis for that); exactness is. On a shared two-core machine a replica starved
      // of CPU for half a second took its own stall for a Redis timeout and counted locally
      // (35 of 30). A stopped Redis still fails at once: the connection is refused, no wait.
      RATE_LIMIT_REDIS_TIMEOUT_MS: '5000',
    };
    const fleet = await Promise.all([startService(t, env), startService(t, env), startService(t, env)]);
    const spread = <T>(count: number, send: (service: ServiceProcess) => Promise<T>) =>
      Promise.all(Array.from({ length: count }, (_, index) => send(fleet[index % 3] as ServiceProcess)));

    // 90 concurrent requests, 30 to each replica: exactly 30 in all get through.
    const answers = await spread(3 * LIMIT, (service) => presign(service, keys.limited));
    const statuses = answers.map((response) => response.status);
    assert.equal(statuses.filter((status) => status === 200).length, LIMIT, statuses.join(','));
    assert.equal(statuses.filter((status) => status === 429).length, 2 * LIMIT, statuses.join(','));
    for (const response of answers.filter((r) => r.status === 429)) {
      assert.ok(Number(response.headers.get('retry-after')) > 0, 'Retry-After on every 429');
      assert.equal(((await response.json()) as { code: string }).code, 'RATE_LIMITED');
    }
    assert.equal((await presign(fleet[0] as ServiceProcess, keys.other)).status, 200, 'another caller is untouched');

    // A batch of 20 takes 20 of the 30, whichever replica serves it.
    const batch = await presign(fleet[1] as ServiceProcess, keys.batcher, {
      items: Array.from({ length: 20 }, (_, index) => ({ operation: 'get', key: `k${index}` })),
    });
    assert.equal(batch.status, 200);
    assert.equal(((await batch.json()) as { results: unknown[] }).results.length, 20);
    assert.equal(batch.headers.get('x-ratelimit-remaining'), '10');
    const rest = await spread(11, (service) => presign(service, keys.batcher));
    assert.deepEqual(rest.map((r) => r.status).sort(), [...Array(10).fill(200), 429]);

    // Redis stops mid-run: every replica keeps answering at once, counting on its own.
    await redis.stop();
    const during = await spread(6, (service) => presign(service, keys.other));
    assert.deepEqual(
      during.map((r) => r.status),
      Array(6).fill(200),
    );
    for (const service of fleet) {
      const health = await fetch(`${service.url}/healthz`);
      assert.equal(health.status, 200, 'a Redis outage keeps every replica healthy');
      assert.deepEqual(((await health.json()) as { degraded: string[] }).degraded, ['rate-limit-store']);
      assert.equal((await fetch(`${service.url}/readyz`)).status, 200);
    }

    // Redis returns (empty: nothing persists): each replica goes back to it by itself.
    await redis.start();
    for (const service of fleet) {
      let back = false;
      for (let attempt = 0; attempt < 100 && !back; attempt++) {
        const before = await redisAnswers(service);
        await presign(service, keys.other);
        back = (await redisAnswers(service)) > before;
        if (!back) await sleep(100);
      }
      assert.ok(back, `${service.url} counts in Redis again`);
    }
    const again = await spread(LIMIT + 6, (service) => presign(service, keys.limited));
    assert.equal(again.filter((r) => r.status === 200).length, LIMIT, 'the fleet-wide limit holds again');

    const codes = await Promise.all(fleet.map((service) => service.stop('SIGTERM')));
    assert.deepEqual(codes, [0, 0, 0], fleet.map((s) => s.output().stderr).join('\n'));
  },
);
