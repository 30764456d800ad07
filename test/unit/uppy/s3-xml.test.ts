// S3's CompleteMultipartUpload document as the Uppy 6 routes read it: what real clients send
// is read, anything else is refused, and the reading is linear in the body.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { completionPartsFromXml, MAX_COMPLETION_XML_BYTES, xmlDocument } from '../../../src/uppy/s3-xml.js';
import { assertLinearWork } from '../../linearity.js';
import { s3Parts, uppyCompletionXml } from '../../uppy-completion.js';

test("Uppy's own completion document is read back part for part, at 1 and at 10,000 parts", () => {
  for (const count of [1, 10_000]) {
    const parts = s3Parts(count);
    assert.deepEqual(completionPartsFromXml(uppyCompletionXml(parts)), parts);
  }
});

test("the body limit is the byte length of Uppy's largest completion: 10,000 parts of S3's ETags", () => {
  assert.equal(Buffer.byteLength(uppyCompletionXml(s3Parts(10_000))), MAX_COMPLETION_XML_BYTES);
});

test("S3's own spelling is read too: declaration, namespace, whitespace, quoted ETags, either child order", () => {
  const document = `<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Part>
    <PartNumber>1</PartNumber>
    <ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag>
  </Part>
  <Part><ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag><PartNumber>2</PartNumber></Part>
</CompleteMultipartUpload>
`;
  assert.deepEqual(completionPartsFromXml(document), [
    { partNumber: 1, etag: '"a54357aff0632cce46d942af68356b38"' },
    { partNumber: 2, etag: '"0c78aef83f66abc1fa1e8477f296d394"' },
  ]);
  assert.deepEqual(
    completionPartsFromXml(xmlDocument('CompleteMultipartUpload', { Part: [{ PartNumber: 3, ETag: 'a&<>"\'b' }] })),
    [{ partNumber: 3, etag: 'a&<>"\'b' }],
  );
});

test('anything but that document is a 400 naming the problem: no DTD, entity, comment or other element', () => {
  const part = '<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>';
  const wrap = (inner: string) => `<CompleteMultipartUpload>${inner}</CompleteMultipartUpload>`;
  const cases: Array<[string, string, RegExp]> = [
    ['empty', '', /no <CompleteMultipartUpload> root/],
    ['another root', `<Complete>${part}</Complete>`, /no <CompleteMultipartUpload> root/],
    [
      'a DTD with an entity',
      `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${wrap(part.replace('>e<', '>&e;<'))}`,
      /no <CompleteMultipartUpload> root/,
    ],
    ['an undeclared entity', wrap(part.replace('>e<', '>&e;<')), /holds an "&"/],
    ['a character reference other than &#34;', wrap(part.replace('>e<', '>&#60;<')), /holds an "&"/],
    ['a comment', wrap(`<!-- x -->${part}`), /part 1 is not/],
    ['CDATA', wrap(part.replace('>e<', '><![CDATA[e]]><')), /part 1 is not/],
    ['another namespace', `<CompleteMultipartUpload xmlns="urn:x">${part}</CompleteMultipartUpload>`, /only xmlns=/],
    ['an unclosed declaration', `<?xml version="1.0"${' '.repeat(200)}`, /declaration is not closed/],
    ['no part', wrap(''), /no <Part>/],
    ['a part without its ETag', wrap('<Part><PartNumber>1</PartNumber></Part>'), /part 1 is not/],
    ['a part number twice', wrap('<Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber></Part>'), /part 1 is not/],
    ['a third child', wrap('<Part><PartNumber>1</PartNumber><ETag>e</ETag><Size>1</Size></Part>'), /part 1 is not/],
    ['a six-digit part number', wrap(part.replace('>1<', '>100000<')), /part 1 is not/],
    ['a signed part number', wrap(part.replace('>1<', '>-1<')), /part 1 is not/],
    ['an empty ETag', wrap(part.replace('>e<', '><')), /part 1 is not/],
    ['an ETag over 200 characters', wrap(part.replace('>e<', `>${'e'.repeat(201)}<`)), /part 1 is not/],
    ['a second part broken', wrap(`${part}<Part><PartNumber>2</PartNumber>`), /part 2 is not/],
    ['text after the root', `${wrap(part)}x`, /nothing may follow/],
    ['a second root', `${wrap(part)}${wrap(part)}`, /nothing may follow/],
    ['10,001 parts', wrap(part.repeat(10_001)), /more than 10000 parts/],
  ];
  for (const [what, body, message] of cases) {
    assert.throws(
      () => completionPartsFromXml(body),
      (error: unknown) =>
        error instanceof AppError && error.code === 'VALIDATION_FAILED' && message.test(error.message),
      what,
    );
  }
});

test('the work is linear in the body, whatever its shape (characters visited, counted)', () => {
  const part = (index: number) => `<Part><PartNumber>${(index % 10_000) + 1}</PartNumber><ETag>e</ETag></Part>`;
  const parts = (count: number) => Array.from({ length: count }, (_, index) => part(index)).join('');
  assertLinearWork(
    {
      // The attack of issue 19: parts, then a run of spaces before the root closes.
      'parts then spaces': (n) =>
        `<CompleteMultipartUpload>${parts(n / 100)}${' '.repeat(n * 5)}</CompleteMultipartUpload>`,
      'spaces between every element': (n) =>
        `<CompleteMultipartUpload>${parts(n / 100).replace(/></g, `>${' '.repeat(20)}<`)}</CompleteMultipartUpload>`,
      'parts only, never closed': (n) => `<CompleteMultipartUpload>${parts(n / 50)}`,
      'an unclosed declaration': (n) => `<?xml ${'a'.repeat(n * 10)}`,
      'an ETag with no end': (n) => `<CompleteMultipartUpload><Part><ETag>${'e'.repeat(n * 10)}`,
      'angle brackets': (n) => `<CompleteMultipartUpload>${'<'.repeat(n * 10)}`,
      'spaces only': (n) => `${' '.repeat(n * 10)}<CompleteMultipartUpload>${' '.repeat(n * 10)}`,
      'references in every ETag': (n) =>
        `<CompleteMultipartUpload>${parts(n / 100).replaceAll('>e<', `>${'&quot;'.repeat(30)}<`)}</CompleteMultipartUpload>`,
    },
    (input, work) => completionPartsFromXml(input, work),
  );
});
