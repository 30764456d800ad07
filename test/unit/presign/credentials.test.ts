// The refreshing credential source against a fake provider whose credentials expire, on a
// fake clock: refreshed ahead of expiry, waited for near the end, never handed out expired,
// and a URL's life clamped to the set that actually signed it, in both engines.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { AwsCredentialIdentity } from '@aws-sdk/types';

import { loadConfig } from '../../../src/config/config.js';
import { AppError } from '../../../src/errors.js';
import { createPresigner } from '../../../src/presign/create-presigner.js';
import { credentialSource, type CredentialRefreshOptions } from '../../../src/presign/credentials.js';

const MINUTE = 60_000;
const START = Date.parse('2026-03-01T12:00:00Z');

/** A provider like STS or instance metadata: each call mints a set that lives `lifetime`. */
class FakeProvider {
  calls: Array<Record<string, unknown> | undefined> = [];
  failing = false;
  /** When set, hands back this set again instead of minting one (a provider that has not rotated yet). */
  stale: AwsCredentialIdentity | undefined;
  #serial = 0;

  constructor(
    readonly clock: { now: number },
    readonly lifetime = 60 * MINUTE,
  ) {}

  readonly provider = async (options?: Record<string, unknown>): Promise<AwsCredentialIdentity> => {
    this.calls.push(options);
    await Promise.resolve();
    if (this.failing) throw new Error('the metadata service is unreachable');
    if (this.stale) return this.stale;
    this.#serial += 1;
    return {
      accessKeyId: `ASIA${String(this.#serial).padStart(16, '0')}`,
      secretAccessKey: `secret-${this.#serial}`,
      sessionToken: `token-${this.#serial}`,
      expiration: new Date(this.clock.now + this.lifetime),
    };
  };
}

function setup(options: CredentialRefreshOptions = {}, lifetime?: number) {
  const clock = { now: START };
  const fake = new FakeProvider(clock, lifetime);
  const source = credentialSource(fake.provider, 'fake', { now: () => clock.now, ...options });
  return { clock, fake, source };
}

/** Lets a background refresh settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('credentialSource: refresh ahead of expiry', () => {
  it('fetches once and serves the cached set while it has more than 10 minutes left', async () => {
    const { clock, fake, source } = setup();
    const first = await source.get();
    clock.now += 49 * MINUTE;
    assert.equal(await source.get(), first);
    assert.equal(fake.calls.length, 1);
    assert.equal(fake.calls[0], undefined, 'the first fetch is not forced');
    assert.equal(first.source, 'fake');
  });

  it('inside the last 10 minutes, answers at once and refreshes in the background (forcing the provider)', async () => {
    const { clock, fake, source } = setup();
    const first = await source.get();
    clock.now += 52 * MINUTE;
    assert.equal(await source.get(), first, 'still 8 minutes left: no waiting');
    await settle();
    assert.equal(fake.calls.length, 2);
    assert.deepEqual(fake.calls[1], { forceRefresh: true });
    const second = await source.get();
    assert.notEqual(second.accessKeyId, first.accessKeyId);
    assert.equal(second.expiration?.getTime(), clock.now + 60 * MINUTE);
  });

  it('inside the last 5 minutes, waits for the new set rather than sign with the old one', async () => {
    const { clock, fake, source } = setup();
    const first = await source.get();
    clock.now += 56 * MINUTE;
    const second = await source.get();
    assert.notEqual(second.accessKeyId, first.accessKeyId);
    assert.equal(fake.calls.length, 2);
  });

  it('never hands out an expired set: past expiry with the provider down, get() fails', async () => {
    const { clock, fake, source } = setup();
    await source.get();
    fake.failing = true;
    clock.now += 61 * MINUTE;
    await assert.rejects(source.get(), /unreachable/);
    clock.now += 20_000;
    await assert.rejects(source.get(), /unreachable/, 'expired credentials are retried every time, never served');
  });

  it('keeps serving a set that is still valid while refreshes fail, without asking on every request', async () => {
    const { clock, fake, source } = setup({ retryAfterMs: 10_000 });
    const first = await source.get();
    fake.failing = true;
    clock.now += 57 * MINUTE; // 3 minutes left: a wait, which fails
    assert.equal(await source.get(), first);
    const callsAfterFailure = fake.calls.length;
    for (let i = 0; i < 20; i++) assert.equal(await source.get(), first);
    assert.equal(fake.calls.length, callsAfterFailure, 'no retry inside the back-off');
    clock.now += 10_000;
    fake.failing = false;
    const second = await source.get();
    assert.notEqual(second.accessKeyId, first.accessKeyId);
  });

  it('backs off when the provider hands back the same set (not rotated yet), and adopts the new one later', async () => {
    const { clock, fake, source } = setup({ retryAfterMs: 30_000 });
    const first = await source.get();
    fake.stale = { ...first };
    clock.now += 52 * MINUTE;
    await source.get();
    await settle();
    const calls = fake.calls.length;
    for (let i = 0; i < 10; i++) await source.get();
    await settle();
    assert.equal(fake.calls.length, calls);
    fake.stale = undefined;
    clock.now += 30_000;
    await source.get();
    await settle();
    assert.notEqual((await source.get()).accessKeyId, first.accessKeyId);
  });

  it('refuses a provider that returns credentials already past their expiry', async () => {
    const { source } = setup({}, -1);
    await assert.rejects(source.get(), /already expired/);
  });

  it('retries a provider that throws synchronously, rather than remember its failure', async () => {
    let calls = 0;
    const source = credentialSource(
      (() => {
        calls++;
        if (calls === 1) throw new Error('not yet');
        return Promise.resolve({ accessKeyId: 'AKIA', secretAccessKey: 's' });
      }) as never,
      'fake',
      { retryAfterMs: 0 },
    );
    await assert.rejects(source.get(), /not yet/);
    assert.equal((await source.get()).accessKeyId, 'AKIA');
    assert.equal(calls, 2);
  });

  it('gives up on a provider that hangs after fetchTimeoutMs, and asks again after the back-off', async () => {
    let calls = 0;
    let hang = true;
    const source = credentialSource(
      () => {
        calls++;
        return hang
          ? new Promise<never>(() => undefined)
          : Promise.resolve({ accessKeyId: 'AKIA', secretAccessKey: 's' });
      },
      'fake',
      { fetchTimeoutMs: 50, retryAfterMs: 0 },
    );
    await assert.rejects(source.get(), /did not answer within 50 ms/);
    hang = false;
    assert.equal((await source.get()).accessKeyId, 'AKIA');
    assert.equal(calls, 2);
  });

  it('coalesces concurrent first requests into one provider call', async () => {
    const { fake, source } = setup();
    const all = await Promise.all(Array.from({ length: 25 }, () => source.get()));
    assert.equal(fake.calls.length, 1);
    assert.ok(all.every((credentials) => credentials === all[0]));
  });

  it('offers the held set without a promise only while no refresh is due', async () => {
    const { clock, source } = setup();
    assert.equal(source.current?.(), undefined, 'nothing fetched yet');
    const first = await source.get();
    assert.equal(source.current?.(), first);
    clock.now += 51 * MINUTE;
    assert.equal(source.current?.(), undefined, 'inside the refresh window: get() decides');
  });

  it('caches long-term credentials (no expiration) for good', async () => {
    let calls = 0;
    const source = credentialSource(async () => (calls++, { accessKeyId: 'AKIA', secretAccessKey: 's' }));
    await source.get();
    await source.get();
    await source.provider();
    assert.equal(calls, 1);
  });
});

describe('Presigner with expiring credentials, in both engines', () => {
  for (const engine of ['fast', 'sdk'] as const) {
    it(`${engine}: signs with the refreshed set and clamps the URL to that set's life`, async () => {
      const result = loadConfig(
        { S3_ENDPOINT_MODE: 'local', S3_BUCKETS: 'my-bucket', PRESIGN_ENGINE: engine },
        { requireBuckets: true },
      );
      assert.ok(result.ok);
      // Sets live 20 minutes: a fresh one clamps an hour-long request to 19 minutes.
      const { clock, fake, source } = setup({}, 20 * MINUTE);
      const bundle = await createPresigner(result.config, { credentials: source, now: () => new Date(clock.now) });
      try {
        const presign = () =>
          bundle.presigner.presign({ operation: 'get', bucket: 'my-bucket', key: 'k', expiresIn: 3600 });
        const first = await presign();
        assert.equal(first.expiresIn, 19 * 60);
        assert.match(first.url, /X-Amz-Credential=ASIA0{15}1%2F/);
        assert.match(first.url, /X-Amz-Security-Token=token-1&/);

        clock.now += 16 * MINUTE; // 4 minutes left on set 1: the request waits for set 2
        const second = await presign();
        assert.match(second.url, /X-Amz-Credential=ASIA0{15}2%2F/);
        assert.match(second.url, /X-Amz-Security-Token=token-2&/);
        assert.equal(second.expiresIn, 19 * 60);
        assert.equal(second.expiresAt.getTime(), clock.now + 19 * MINUTE);
        assert.equal(fake.calls.length, 2);

        fake.failing = true;
        clock.now += 21 * MINUTE; // set 2 has expired and no new one comes
        await assert.rejects(
          presign(),
          (error: unknown) => error instanceof AppError && error.code === 'CREDENTIALS_UNAVAILABLE',
        );
      } finally {
        bundle.close();
      }
    });
  }
});
