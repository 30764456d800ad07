// `doctor` and `upload` against the embedded store (test/flows/cli.ts), and doctor's
// --probe-store refusals and failures, which need no second store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliEnv, cliFlows } from '../flows/cli.js';
import { embeddedStore } from '../stores.js';
import { cli } from './run.js';

cliFlows(embeddedStore);

test('doctor --probe-prefix: refused without --probe-store, or when keys under it would be refused', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['doctor', '--probe-prefix', 'p/'], /--probe-prefix only applies with --probe-store/],
    [['doctor', '--probe-store', '--probe-prefix', '/abs/'], /--probe-prefix: a key under it must not start with "\/"/],
    [
      ['doctor', '--probe-store', '--probe-prefix', 'a/../'],
      /--probe-prefix: a key under it must not contain "\." or "\.\." path segments/,
    ],
    [
      ['doctor', '--probe-store', '--probe-prefix', 'a\u0007/'],
      /--probe-prefix: a key under it must not contain control characters/,
    ],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args, { S3_ENDPOINT_MODE: 'local' });
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, message, args.join(' '));
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
});

test(
  'doctor --probe-store: a record that cannot be written fails the run, after the table',
  { timeout: 60_000 },
  async (t) => {
    const target = await embeddedStore.target(t);
    const result = await cli(['doctor', '--probe-store'], {
      ...cliEnv(target),
      S3_STORE_PROBE_FILE: '/nonexistent/directory/probe.json',
    });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /\n\[✓\] URL expiry +holds /);
    assert.match(
      result.stdout,
      /\n\[✗\] store probe +not recorded in \/nonexistent\/directory\/probe\.json: ENOENT[^\n]*\n/,
    );
    assert.match(result.stdout, /\nunhealthy\n$/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  },
);
