// AUDIT_LOG=stdout as deployed: the real process writes each grant's event to standard output
// before it answers with the URL. A log reader that stops reading stops the service from
// granting; it does not let URLs leave with their events still inside the process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateApiKey } from '../../src/auth/api-keys.js';
import { oneClientFile, startService } from './service-process.js';

/** More grants than the pipe and the reader's buffer hold, by far: with buffered logs, none would wait. */
const MAX_GRANTS = 5_000;
/** A wait that only a write the pipe does not take explains (each grant answers in milliseconds). */
const STALLED_MS = 5_000;
/** A pipe holds 64 KiB and an event is under 1 KiB: before this many grants, it cannot be full. */
const PIPE_FULL_AFTER = 60;

/** The promise's value, or 'stalled' when it has none after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'stalled'> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<'stalled'>((resolve) => {
    timer = setTimeout(() => resolve('stalled'), ms);
  });
  return Promise.race([promise, stalled]).finally(() => clearTimeout(timer));
}

test('with standard output unread, the service stops answering grants until their events are written', async (t) => {
  const key = generateApiKey();
  const clientsFile = await oneClientFile(t, {
    id: 'auditor',
    apiKey: key,
    policy: "{ operations: [get], keyPrefixes: [''] }",
  });
  // Request lines off: only the audit events fill the pipe (written whatever LOG_LEVEL is).
  const service = await startService(t, {
    AUTH_CLIENTS_FILE: clientsFile,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '100000',
  });
  const grant = (index: number) =>
    fetch(`${service.url}/presign`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ operation: 'get', key: `stalled/${index}` }),
    });

  service.child.stdout.pause();
  let answered = 0;
  let waiting: Promise<Response> | undefined;
  while (answered < MAX_GRANTS) {
    const request = grant(answered);
    const first = await within(request, STALLED_MS);
    if (first === 'stalled' && answered >= PIPE_FULL_AFTER) {
      waiting = request;
      break;
    }
    // Before the pipe can be full, a wait is a slow machine: the grant is awaited to its end.
    const response = first === 'stalled' ? await request : first;
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    answered++;
  }
  assert.ok(waiting, `${answered} grants answered while their events could not be written`);

  service.child.stdout.resume();
  const late = await waiting;
  assert.equal(late.status, 200);
  await late.arrayBuffer();
  // Its event was written before the answer left; this process may read the answer first.
  const events = () =>
    service
      .output()
      .stdout.split('\n')
      .filter((line) => line.includes('"audit":true') && line.includes('"event":"grant"'));
  const lateEvent = (line: string) => line.includes(`"key":"stalled/${answered}"`);
  for (let attempt = 0; attempt < 200 && !events().some(lateEvent); attempt++) await sleep(50);
  assert.ok(events().some(lateEvent), 'the waiting grant’s event was written');
  assert.equal(events().length, answered + 1, 'one event per grant, none lost');
});
