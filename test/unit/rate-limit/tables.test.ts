// The process's rate-limit tables: windows end on time and only then leave, a full table
// refuses new keys rather than dropping a live window, callers' and anonymous windows never
// share a table, and anonymous clients are keyed by address (IPv6 by /64).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';

import { createServiceMetrics } from '../../../src/http/metrics.js';
import { clientAddressKey, UNPARSED_ADDRESS_KEY } from '../../../src/rate-limit/client-address.js';
import { CountersFullError, MemoryCounters, type CountResult } from '../../../src/rate-limit/counters.js';
import { WINDOW_CAPACITY } from '../../../src/rate-limit/limit-sides.js';
import { RateLimiter } from '../../../src/rate-limit/limiter.js';

const WINDOW = 60_000;

describe('MemoryCounters', () => {
  it('counts a window from its first charge and starts a new one when it ends', () => {
    let now = 1_000;
    const table = new MemoryCounters(10, () => now);
    assert.deepEqual(table.charge({ key: 'a', cost: 1, windowMs: WINDOW }), {
      current: 1,
      ttlMs: WINDOW,
      charged: true,
    });
    now += WINDOW - 1;
    assert.deepEqual(table.charge({ key: 'a', cost: 2, windowMs: WINDOW }), { current: 3, ttlMs: 1, charged: true });
    assert.deepEqual(table.charge({ key: 'a', cost: 5, windowMs: WINDOW, fitWithin: 7 }), {
      current: 3,
      ttlMs: 1,
      charged: false,
    });
    now += 1;
    assert.deepEqual(table.charge({ key: 'a', cost: 1, windowMs: WINDOW }), {
      current: 1,
      ttlMs: WINDOW,
      charged: true,
    });
  });

  it('when full of live windows, refuses a new key until the oldest ends, and never drops a live one', () => {
    let now = 0;
    const table = new MemoryCounters(3, () => now);
    for (const key of ['a', 'b', 'c']) {
      table.charge({ key, cost: 1, windowMs: WINDOW });
      now += 1000;
    }
    // 'a' is at its limit; any number of new keys cannot reset it.
    table.charge({ key: 'a', cost: 2, windowMs: WINDOW });
    for (let index = 0; index < 5_050; index++) {
      assert.throws(
        () => table.charge({ key: `new-${index}`, cost: 1, windowMs: WINDOW }),
        (error: unknown) =>
          error instanceof CountersFullError && error.capacity === 3 && error.retryAfterMs === WINDOW - now,
      );
    }
    assert.equal(table.charge({ key: 'a', cost: 0, windowMs: WINDOW }).current, 3, "a's window kept its count");
    assert.equal(table.size, 3);
    // The oldest ends: its slot goes to a new key, the others stay.
    now = WINDOW;
    assert.equal(table.charge({ key: 'new', cost: 1, windowMs: WINDOW }).current, 1);
    assert.equal(table.charge({ key: 'b', cost: 0, windowMs: WINDOW }).current, 1);
    assert.equal(table.size, 3);
    assert.throws(() => table.charge({ key: 'another', cost: 1, windowMs: WINDOW }), CountersFullError);
  });

  it('sweeps every ended window on the next new key, so the table stays at the live ones', () => {
    let now = 0;
    const table = new MemoryCounters(1000, () => now);
    for (let index = 0; index < 1000; index++) table.charge({ key: `k${index}`, cost: 1, windowMs: WINDOW });
    now = WINDOW;
    table.charge({ key: 'fresh', cost: 1, windowMs: WINDOW });
    assert.equal(table.size, 1);
  });

  it('takes only a positive whole capacity', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new MemoryCounters(capacity), RangeError, String(capacity));
    }
  });
});

describe('clientAddressKey', () => {
  it('keys IPv4 by address, IPv6 by its /64, an IPv4-mapped IPv6 address by the IPv4 it maps', () => {
    const cases: Array<[string, string]> = [
      ['203.0.113.7', '203.0.113.7'],
      ['2001:db8:1:2:a:b:c:d', '2001:db8:1:2::/64'],
      ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
      ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
      ['::1', '0:0:0:0::/64'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
      ['::ffff:203.0.113.7', '203.0.113.7'],
      ['::ffff:cb00:7107', '203.0.113.7'],
    ];
    for (const [address, key] of cases) assert.equal(clientAddressKey(address), key, address);
    assert.notEqual(clientAddressKey('2001:db8:1:2::1'), clientAddressKey('2001:db8:1:3::1'));
  });

  it('puts whatever is not an address (a trusted proxy may forward it) under one key', () => {
    for (const text of ['', 'unknown', '203.0.113.7, 10.0.0.1', '1.2.3.4.5', `${'1'.repeat(101)}`, '[::1]']) {
      assert.equal(clientAddressKey(text), UNPARSED_ADDRESS_KEY, text);
    }
  });
});

describe('RateLimiter: callers and anonymous clients count apart', () => {
  const limiter = (capacity: { callers?: number; anonymous?: number }) => {
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line).msg) });
    const metrics = createServiceMetrics({ mode: 'local' });
    const counting = new RateLimiter({ redis: undefined, metrics, log, capacity });
    // Without Redis a caller's charge is answered at once.
    const chargeCaller = (key: string, cost: number) => counting.charge({ key, cost, windowMs: WINDOW }) as CountResult;
    return { limiter: counting, chargeCaller, metrics, warnings };
  };

  it('holds 100,000 callers and 10,000 client addresses by default', () => {
    assert.deepEqual(WINDOW_CAPACITY, { callers: 100_000, anonymous: 10_000 });
  });

  it("a full anonymous table refuses new addresses with 429 and Retry-After, and leaves callers' budgets alone", async () => {
    const { limiter: counting, chargeCaller, metrics, warnings } = limiter({ callers: 2, anonymous: 2 });
    chargeCaller('web:', 3);
    counting.chargeAnonymous({ key: '198.51.100.1', cost: 1, windowMs: WINDOW });
    counting.chargeAnonymous({ key: '198.51.100.2', cost: 1, windowMs: WINDOW });
    for (let index = 3; index < 100; index++) {
      assert.throws(() => counting.chargeAnonymous({ key: `198.51.100.${index}`, cost: 1, windowMs: WINDOW }), {
        name: 'AppError',
        code: 'RATE_LIMITED',
        statusCode: 429,
        retryAfterSeconds: 60,
        message: 'too many client addresses are being counted (2); retry in 60 s',
      });
    }
    // The caller's window kept its count, and another caller still fits.
    assert.equal(chargeCaller('web:', 0).current, 3);
    assert.equal(chargeCaller('api:', 1).current, 1);
    assert.deepEqual(warnings, [
      'rate limit table for client addresses is full: new addresses are refused until a window ends',
    ]);
    const full = (await metrics.rateLimitTableFull.get()).values.map((value) => [value.labels.side, value.value]);
    // Both sides are exported from the start; only the anonymous one counted refusals.
    assert.deepEqual(full, [
      ['callers', 0],
      ['anonymous', 97],
    ]);
  });

  it('a full callers table refuses a new caller with 503 and Retry-After; anonymous traffic cannot fill it', () => {
    const { limiter: counting, chargeCaller, warnings } = limiter({ callers: 2, anonymous: 2 });
    chargeCaller('a:', 1);
    for (let index = 0; index < 10; index++) {
      try {
        counting.chargeAnonymous({ key: `203.0.113.${index}`, cost: 1, windowMs: WINDOW });
      } catch {
        // The anonymous side is full after two: its own business.
      }
    }
    chargeCaller('b:', 1);
    assert.throws(() => chargeCaller('c:', 1), {
      code: 'RATE_LIMIT_UNAVAILABLE',
      statusCode: 503,
      retryAfterSeconds: 60,
    });
    assert.match(warnings.at(-1) ?? '', /rate limit table for callers is full/);
  });
});
