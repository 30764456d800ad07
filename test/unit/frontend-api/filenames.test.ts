import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { attachmentDisposition, sanitizeFilename, sanitizeInFull } from '../../../src/frontend-api/filenames.js';
import { assertLinearWork } from '../../linearity.js';
import { countNativeWork } from '../../native-work.js';

test('sanitizeFilename keeps readable names and removes what could do harm', () => {
  const cases: Array<[string, string]> = [
    ['report.pdf', 'report.pdf'],
    ['résumé 2026.pdf', 'résumé 2026.pdf'],
    ['re\u0301sume\u0301.pdf', 'résumé.pdf'], // NFD becomes NFC
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\photo.jpg', 'photo.jpg'],
    ['..', 'file'],
    ['.hidden', 'hidden'],
    ['', 'file'],
    ['a\r\nContent-Type: text', 'a Content-Type_ text'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['quote"s;and*stars?.txt', 'quote_s_and_stars_.txt'],
    ['tab\there.txt', 'tab here.txt'],
  ];
  for (const [input, expected] of cases) assert.equal(sanitizeFilename(input), expected, JSON.stringify(input));
});

test('sanitizeFilename returns what the full passes return, shortcut or not', () => {
  const plain = fc.constantFrom(...'abcXYZ019_.()+,=@- '.split(''));
  const odd = fc.constantFrom(
    '  ',
    '.',
    '/',
    '\\',
    '\t',
    '\u00e9',
    'e\u0301',
    '\u202e',
    '\n',
    '"',
    '%',
    '\ud800',
    '\u3000',
  );
  const name = fc.oneof(
    fc
      .array(fc.oneof({ weight: 9, arbitrary: plain }, { weight: 1, arbitrary: odd }), { maxLength: 40 })
      .map((parts) => parts.join('')),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.integer({ min: 195, max: 205 }).map((length) => `${'n'.repeat(length - 4)}.pdf`),
  );
  fc.assert(
    fc.property(name, (input) => assert.equal(sanitizeFilename(input), sanitizeInFull(input))),
    { numRuns: 20_000 },
  );
  for (const input of [
    'report.pdf',
    'photo 1 (original).jpg',
    '.hidden',
    ' lead',
    'trail ',
    'two  spaces',
    'a'.repeat(201),
  ])
    assert.equal(sanitizeFilename(input), sanitizeInFull(input), input);
});

test('sanitizeFilename cuts long names to 200 bytes, keeping the extension and whole characters', () => {
  const long = `${'é'.repeat(300)}.pdf`;
  const safe = sanitizeFilename(long);
  assert.ok(Buffer.byteLength(safe) <= 200);
  assert.ok(safe.endsWith('.pdf'));
  assert.ok(safe.isWellFormed());
  assert.equal(safe, `${'é'.repeat(98)}.pdf`);
});

test('attachmentDisposition follows RFC 6266 with a UTF-8 filename* and an ASCII fallback', () => {
  assert.equal(attachmentDisposition('report.pdf'), `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
  assert.equal(
    attachmentDisposition('résumé (final).pdf'),
    `attachment; filename="r_sum_ (final).pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%28final%29.pdf`,
  );
  for (const hostile of ['a"; filename="evil.exe', 'x\r\nSet-Cookie: a=b', '100%.txt', 'back\\slash']) {
    const header = attachmentDisposition(hostile);
    assert.ok(!/[\r\n]/.test(header), header);
    assert.equal(header.match(/"/g)?.length, 2, `exactly one quoted string: ${header}`);
    assert.match(header, /^attachment; filename="[^"\\%]*"; filename\*=UTF-8''[A-Za-z0-9%._~-]+$/);
  }
});

test('sanitizing and cutting a name costs work linear in its length (characters visited by the built-ins, counted)', () => {
  assertLinearWork(
    {
      'a long plain name': (n) => `${'a'.repeat(n)}.txt`,
      'a long name of four-byte characters': (n) => `${'😀'.repeat(n / 2)}.png`,
      'separators everywhere': (n) => 'a/\\'.repeat(n / 3),
      'dots first': (n) => `${'.'.repeat(n)}x`,
      'whitespace runs': (n) => ' \t'.repeat(n / 2) + 'x',
      'control and bidi characters': (n) => '\u202e\u0007'.repeat(n / 2) + 'x',
      'unsafe characters': (n) => '<>:"|?*'.repeat(n / 7),
    },
    (name, work) => countNativeWork(work, () => attachmentDisposition(name)),
    // A dozen passes (normalize, split, four replaces, the encoder, …), each counted twice.
    { perCharacter: 40 },
  );
});
