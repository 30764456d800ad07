// A validation report stays small whatever the URL: one failure per check with a count, each
// message escaped and cut to MAX_FAILURE_MESSAGE_LENGTH, a key only when it passed the key
// rules, signed headers only when well formed. REPORT_BOUND_BYTES is the bound docs/api.md
// states for POST /verify, whose URLs are at most MAX_URL_LENGTH characters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { URL_CHECK_CODES } from '../../../src/errors.js';
import {
  MAX_FAILURE_MESSAGE_LENGTH,
  validatePresignedUrl,
  type ValidationReport,
  type ValidatorPolicy,
} from '../../../src/verify/url-validator.js';
import { regionalMode } from '../../fixtures/endpoint-modes.js';

const MAX_URL_LENGTH = 8192;
const REPORT_BOUND_BYTES = 40 * 1024;
const NOW = new Date('2026-03-01T12:00:00Z');

const mode = regionalMode('us-east-1');
const policy: ValidatorPolicy = { mode, maxExpiresSeconds: 3600, maxClockSkewSeconds: 300, now: () => NOW };
const ORIGIN = 'https://my-bucket.s3.us-east-1.amazonaws.com';

/** The report as POST /verify sends it. */
const reportBytes = (report: ValidationReport) =>
  Buffer.byteLength(JSON.stringify({ mode: 'regional', ...report }), 'utf8');

/** Repeats `unit` after `head` until the URL is MAX_URL_LENGTH characters long (or one unit short). */
function filled(head: string, unit: string, tail = ''): string {
  const room = MAX_URL_LENGTH - head.length - tail.length;
  return `${head}${unit.repeat(Math.floor(room / unit.length))}${tail}`;
}

/** Every distinct, sorted, lowercase header name, shortest first: the longest well-formed list. */
function longestSignedHeaders(room: number): string {
  const alphabet = '-0123456789abcdefghijklmnopqrstuvwxyz';
  const names: string[] = [];
  let used = 0;
  for (const a of alphabet) {
    names.push(a);
    used += 2;
  }
  outer: for (const a of alphabet) {
    for (const b of alphabet) {
      if (used + 3 > room) break outer;
      names.push(`${a}${b}`);
      used += 3;
    }
  }
  return names.sort().join(';');
}

const WORST_CASES: ReadonlyArray<[name: string, url: string]> = [
  ['8 KB of "&": one duplicate per pair', filled(`${ORIGIN}/k?`, '&')],
  ['the same named parameter thousands of times', filled(`${ORIGIN}/k?`, 'a=1&')],
  ['a long duplicated name', `${ORIGIN}/k?${'n'.repeat(4000)}=1&${'n'.repeat(4000)}=2`],
  ['a long X-Amz-Algorithm', filled(`${ORIGIN}/k?X-Amz-Algorithm=`, 'A')],
  ['a long X-Amz-Date', filled(`${ORIGIN}/k?X-Amz-Date=`, '9')],
  ['a long X-Amz-Expires', filled(`${ORIGIN}/k?X-Amz-Expires=`, '9')],
  ['a long credential scope', filled(`${ORIGIN}/k?X-Amz-Credential=AKIA%2F20260301%2F`, 'r', '%2Fs3%2Fx')],
  ['a long unexpected parameter, name and value', `${ORIGIN}/k?${'p'.repeat(4000)}=${'v'.repeat(4000)}`],
  ['three-byte characters in every echoed name', filled(`${ORIGIN}/k?`, '%E4%B8%AD=1&')],
  ['line separators and NEL, escaped in messages', filled(`${ORIGIN}/k?`, '%E2%80%A8%C2%85=1&')],
  ['control characters in a key (refused, so not reported)', filled(`${ORIGIN}/`, '%01', '?X-Amz-Date=1')],
  ['quotes and backslashes in an acceptable key', filled(`${ORIGIN}/`, '%22%5C', '?X-Amz-Date=1')],
  ['the longest acceptable key, all quotes (escaped in JSON)', `${ORIGIN}/${'%22'.repeat(1024)}?X-Amz-Date=1`],
  ['a long host', filled('https://', 'a', '.s3.us-east-1.amazonaws.com/k')],
  ['a long scheme', filled('h', 't', '://my-bucket.s3.us-east-1.amazonaws.com/k')],
  [
    'the longest well-formed signed-header list',
    `${ORIGIN}/k?X-Amz-SignedHeaders=${longestSignedHeaders(MAX_URL_LENGTH - ORIGIN.length - 30)}`,
  ],
  ['an ill-formed signed-header list of empty names', filled(`${ORIGIN}/k?X-Amz-SignedHeaders=`, ';')],
  [
    'every check failing at once, each with a long value',
    `https://my-bucket.s3.us-west-2.amazonaws.com/${'%00'.repeat(300)}?X-Amz-Algorithm=${'x'.repeat(500)}` +
      `&X-Amz-Credential=${'c'.repeat(500)}&X-Amz-Date=${'d'.repeat(500)}&X-Amz-Expires=${'9'.repeat(500)}` +
      `&X-Amz-SignedHeaders=${'Z'.repeat(500)}&X-Amz-Signature=${'s'.repeat(500)}&X-Amz-Security-Token=` +
      `&x-id=${'i'.repeat(500)}&x-amz-checksum-crc32=${'q'.repeat(500)}&a&a&${'u'.repeat(500)}=1&%ZZ${'w'.repeat(500)}`,
  ],
];

describe('validation report size', () => {
  for (const [name, url] of WORST_CASES) {
    it(`${name}: under ${REPORT_BOUND_BYTES} bytes, one failure per code`, (t) => {
      assert.ok(url.length <= MAX_URL_LENGTH, `the case is ${url.length} characters`);
      const report = validatePresignedUrl(url, policy);
      assert.equal(report.valid, false);
      const codes = report.failures.map((failure) => failure.code);
      assert.equal(new Set(codes).size, codes.length, `a code twice: ${codes.join(', ')}`);
      for (const failure of report.failures) {
        assert.ok(failure.message.length <= MAX_FAILURE_MESSAGE_LENGTH, failure.message);
        assert.ok(failure.count >= 1);
      }
      const bytes = reportBytes(report);
      t.diagnostic(`${bytes} bytes`);
      assert.ok(bytes <= REPORT_BOUND_BYTES, `${bytes} bytes`);
    });
  }

  it('8 KB of "&" is one URL_DUPLICATE_PARAMETER with the number of duplicates', () => {
    const url = filled(`${ORIGIN}/k?`, '&');
    const report = validatePresignedUrl(url, policy);
    const duplicates = report.failures.filter((failure) => failure.code === 'URL_DUPLICATE_PARAMETER');
    assert.equal(duplicates.length, 1);
    // n separators make n + 1 empty names, all but the first a duplicate.
    const separators = url.length - `${ORIGIN}/k?`.length;
    assert.equal(duplicates[0]?.count, separators);
    assert.ok(reportBytes(report) < 4096, `${reportBytes(report)} bytes`);
  });

  it('messages show control characters as escapes and stop at the cap', () => {
    const report = validatePresignedUrl(`${ORIGIN}/k?${'%1B%5B2J'.repeat(100)}=x`, policy);
    const unexpected = report.failures.find((failure) => failure.code === 'URL_UNEXPECTED_PARAMETER');
    assert.ok(unexpected);
    assert.doesNotMatch(unexpected.message, /\u001b/);
    assert.match(unexpected.message, /\\u001b\[2J/);
    assert.equal(unexpected.message.length, MAX_FAILURE_MESSAGE_LENGTH);
    assert.ok(unexpected.message.endsWith('…'));
  });

  it('any URL built from hostile pieces stays under the bound', () => {
    const piece = fc.constantFrom(
      '&',
      '=',
      'a=1&',
      '%00',
      '%E4%B8%AD',
      '%E2%80%A8',
      '%22',
      '%5C',
      ';',
      'X-Amz-SignedHeaders=',
      'X-Amz-Date=',
      'X-Amz-Credential=',
      'X-Amz-Algorithm=',
      'x-amz-checksum-sha256=',
      '/',
      '?',
      'Z',
      '%',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, fc.integer({ min: 1, max: 2000 })), { maxLength: 12 }), (parts) => {
        const url = `${ORIGIN}/k?${parts.map(([text, times]) => text.repeat(times)).join('')}`.slice(0, MAX_URL_LENGTH);
        const report = validatePresignedUrl(url, policy);
        const bytes = reportBytes(report);
        assert.ok(bytes <= REPORT_BOUND_BYTES, `${bytes} bytes`);
        assert.ok(report.failures.length <= URL_CHECK_CODES.length);
      }),
      { numRuns: 200 },
    );
  });
});
