// `s3-presign verify` prints what a URL holds (its key, its decoded parameters) and the
// configuration errors quote flags as given. Through the real CLI process, a crafted input
// must reach the terminal only as visible escapes: no ESC, BEL, CR, C1 (NEL among them),
// DEL, line separators or bidi controls.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli } from './run.js';

/** What a terminal acts on, or what reorders or splits a line. */
const TERMINAL_ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function assertInert(output: string, where: string): void {
  const found = TERMINAL_ACTIVE.exec(output);
  assert.equal(
    found,
    null,
    `${where} holds U+${found?.[0].codePointAt(0)?.toString(16).padStart(4, '0')}: ${JSON.stringify(output)}`,
  );
}

const MODE = ['--mode', 'regional', '--region', 'us-west-2'];
// Retitle the window (OSC 0), clear the screen, return to column 0 and print a green "passed".
const CRAFTED = '\u001b]0;pwned\u0007\u001b[2J\r\u001b[32mvalid\u001b[0m\u0085\u2028\u202e';

test('verify prints a crafted key escaped, in text and in --json', async () => {
  // A key the key rules accept (bidi controls are not control characters to S3), minted for real.
  const key = 'docs/\u202etxt.exe\u2066x\u2069';
  const minted = await cli(['url', '--bucket', 'b-1', '--key', key, ...MODE]);
  assert.equal(minted.code, 0, minted.stderr);
  const url = minted.stdout.trim();

  const text = await cli(['verify', url, ...MODE]);
  assert.equal(text.code, 0, text.stderr);
  assertInert(text.stdout, 'stdout');
  assert.match(text.stdout, /key docs\/\\u202etxt\.exe\\u2066x\\u2069,/);

  const json = await cli(['verify', url, ...MODE, '--json']);
  assert.equal(json.code, 0, json.stderr);
  assertInert(json.stdout, 'stdout (--json)');
  assert.equal(JSON.parse(json.stdout).key, key, 'the JSON still holds the same key');
});

test('verify prints the decoded names and values of a crafted URL escaped', async () => {
  const minted = await cli(['url', '--bucket', 'b-1', '--key', 'k', ...MODE]);
  const crafted = encodeURIComponent(CRAFTED);
  const url = `${minted.stdout.trim()}&${crafted}=${crafted}&x-id=${crafted}`;
  for (const json of [false, true]) {
    const result = await cli(['verify', url, ...MODE, ...(json ? ['--json'] : [])]);
    assert.equal(result.code, 1);
    assertInert(result.stdout, 'stdout');
    assertInert(result.stderr, 'stderr');
    assert.match(json ? result.stdout : result.stderr, /URL_UNEXPECTED_PARAMETER/);
  }
});

test('a configuration error quotes the flag escaped, one problem per line', async () => {
  const result = await cli(['verify', 'https://example.com/k', '--mode', 'regional', '--region', `us${CRAFTED}`]);
  assert.equal(result.code, 2);
  assertInert(result.stderr, 'stderr');
  assert.match(result.stderr, /^s3-presign: Invalid configuration:\n {2}- S3_REGION: .*\\u001b\]0;pwned\\u0007/m);
});
