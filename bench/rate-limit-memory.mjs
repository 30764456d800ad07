// The heap a full rate-limit table takes, per side: windows keyed as the service keys them,
// until the table holds its capacity. After npm run build:
//   node --expose-gc bench/rate-limit-memory.mjs
// The figures in docs/operations.md ("Rate limits: two sides") come from here.
import console from 'node:console';
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import { clientAddressKey } from '../dist/rate-limit/client-address.js';
import { MemoryCounters } from '../dist/rate-limit/counters.js';
import { WINDOW_CAPACITY } from '../dist/rate-limit/limiter.js';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

const KEYS = {
  // A JWT client's end user: `${caller id}:${subject}`, the subject out of JSON.parse (a flat string).
  callers: () => `web-app:${JSON.parse(JSON.stringify(randomUUID()))}`,
  // /verify's key: the route's prefix and the client's address, here IPv6 /64s.
  anonymous: (index) =>
    `POST/verify-${clientAddressKey(`2001:db8:${(index >> 16).toString(16)}:${(index & 0xffff).toString(16)}::1`)}`,
};

// Each table stays alive until the end, so that one side's garbage is not the other's saving.
const tables = [];
for (const [side, key] of Object.entries(KEYS)) {
  const capacity = WINDOW_CAPACITY[side];
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const table = new MemoryCounters(capacity, () => 0);
  tables.push(table);
  for (let index = 0; index < capacity; index++) table.charge({ key: key(index), cost: 1, windowMs: 60_000 });
  globalThis.gc();
  const bytes = process.memoryUsage().heapUsed - before;
  console.log(
    `${side}: ${table.size} windows, ${(bytes / 1e6).toFixed(1)} MB, ${Math.round(bytes / capacity)} bytes a window`,
  );
}
