// Issue 25: a `.` or `..` path segment, in any spelling, anywhere in the raw path (base path,
// bucket segment, key) is refused before a bucket is read from the path; so is anything in the
// query that the service's own encoder would have escaped. Each case starts from a URL the
// service issued, valid as it is.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { validatePresignedUrl, type ValidationReport } from '../../../src/verify/url-validator.js';
import { issuedUrls, VPCE, type IssuedUrl } from '../../issued-urls.js';

let issued: IssuedUrl[];
before(async () => {
  issued = await issuedUrls();
});

/** The first issued GET URL of `mode` for `bucket` (valid as signed, checked here). */
function issuedGet(mode: string, bucket: string): { url: string; validate: (url: string) => ValidationReport } {
  const found = issued.find((one) => one.mode.startsWith(mode) && one.bucket === bucket && one.operation === 'get');
  assert.ok(found, `no issued URL for ${mode} ${bucket}`);
  const validate = (url: string) => validatePresignedUrl(url, found.policy);
  assert.deepEqual(validate(found.url).failures, [], found.url);
  return { url: found.url, validate };
}

function assertDotSegment(report: ValidationReport, url: string): void {
  assert.equal(report.valid, false, `approved: ${url}`);
  assert.deepEqual(
    report.failures.map((failure) => failure.code),
    ['URL_DOT_SEGMENT'],
    `${url}: ${JSON.stringify(report.failures)}`,
  );
  assert.equal(report.bucket, undefined, 'no bucket is read from such a path');
  assert.equal(report.key, undefined);
}

const SPELLINGS = ['..', '.', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%2E.', '.%2E', '%2e', '%2E'];

describe('URL_DOT_SEGMENT: the attacks of issue 25', () => {
  it('regional path-style: /../my.dotted.bucket/… is not bucket "..", and /./ is not "."', () => {
    const { url, validate } = issuedGet('regional', 'my.dotted.bucket');
    assert.ok(url.startsWith('https://s3.us-east-1.amazonaws.com/my.dotted.bucket/'), url);
    for (const spelling of SPELLINGS) {
      const attack = url.replace('.com/my.dotted.bucket/', `.com/${spelling}/my.dotted.bucket/`);
      assertDotSegment(validate(attack), attack);
    }
  });

  it('regional: /../my-bucket/ on the path-style host does not get around URL_ADDRESSING_STYLE', () => {
    const { url, validate } = issuedGet('regional', 'my-bucket');
    const pathStyle = url.replace(
      'https://my-bucket.s3.us-east-1.amazonaws.com/',
      'https://s3.us-east-1.amazonaws.com/my-bucket/',
    );
    assert.deepEqual(
      validate(pathStyle).failures.map((failure) => failure.code),
      ['URL_ADDRESSING_STYLE'],
    );
    for (const spelling of SPELLINGS) {
      const attack = pathStyle.replace('.com/my-bucket/', `.com/${spelling}/my-bucket/`);
      assertDotSegment(validate(attack), attack);
    }
  });

  it('custom with a base path: /base/../other-bucket/… does not leave the base path', () => {
    const { url, validate } = issuedGet('custom with a base path', 'my-bucket');
    assert.ok(url.startsWith('https://minio.internal:9000/base/my-bucket/'), url);
    for (const spelling of SPELLINGS) {
      for (const attack of [
        url.replace('/base/my-bucket/', `/base/${spelling}/other-bucket/`),
        url.replace('/base/my-bucket/', `/${spelling}/base/my-bucket/`),
        url.replace('/base/my-bucket/', `/base/my-bucket/${spelling}/`),
      ])
        assertDotSegment(validate(attack), attack);
    }
  });

  it('custom virtual-hosted and interface path-style hosts: /../my-bucket/…', () => {
    const custom = issuedGet('custom (virtual-hosted)', 'my-bucket');
    const onEndpoint = custom.url.replace(
      'https://my-bucket.minio.internal:9000/',
      'https://minio.internal:9000/../my-bucket/',
    );
    assertDotSegment(custom.validate(onEndpoint), onEndpoint);
    const vpce = issuedGet('interface (path-style)', 'my-bucket');
    assert.ok(vpce.url.startsWith(`https://bucket.${VPCE}/my-bucket/`), vpce.url);
    const attack = vpce.url.replace(`${VPCE}/my-bucket/`, `${VPCE}/../my-bucket/`);
    assertDotSegment(vpce.validate(attack), attack);
  });

  it('in the key, in every spelling, at the start, middle and end', () => {
    const { url, validate } = issuedGet('local', 'my-bucket');
    for (const spelling of SPELLINGS) {
      for (const attack of [
        url.replace('/photos/cat.jpg?', `/${spelling}/photos/cat.jpg?`),
        url.replace('/photos/cat.jpg?', `/photos/${spelling}/cat.jpg?`),
        url.replace('/photos/cat.jpg?', `/photos/cat.jpg/${spelling}?`),
      ])
        assertDotSegment(validate(attack), attack);
    }
  });

  it('names the segment and its position', () => {
    const { url, validate } = issuedGet('custom with a base path', 'my-bucket');
    const report = validate(url.replace('/base/my-bucket/', '/base/%2E./other-bucket/'));
    assert.match(
      report.failures[0]?.message ?? '',
      /^a "\.\." path segment \("%2E\." at position 6\): browsers, curl and urllib3/,
    );
  });

  it('what only looks like one is a key like any other: "...", ".a", "%252e", "a..b"', () => {
    const { url, validate } = issuedGet('local', 'my-bucket');
    for (const segment of ['...', '.a', 'a.', '%252e', 'a..b', '%2e%2e%2e']) {
      const attack = url.replace('/photos/cat.jpg?', `/photos/${segment}/cat.jpg?`);
      const codes = validate(attack).failures.map((failure) => failure.code);
      assert.ok(!codes.includes('URL_DOT_SEGMENT'), `${segment}: ${codes.join(', ')}`);
      assert.ok(!codes.includes('URL_NOT_CANONICAL'), `${segment}: ${codes.join(', ')}`);
    }
  });
});

describe('URL_NOT_CANONICAL: the query holds only what the service encoder leaves raw', () => {
  it('raw [ ] { } (curl globs them), and every other character UriEncode escapes, are refused', () => {
    const { url, validate } = issuedGet('local', 'my-bucket');
    for (const character of '[]{}!"$\'()*+,/:;<>?@\\^`|') {
      const attack = `${url}&response-content-type=text${character}plain`;
      const report = validate(attack);
      assert.deepEqual(
        report.failures.map((failure) => failure.code),
        ['URL_NOT_CANONICAL'],
        `${character}: ${JSON.stringify(report.failures)}`,
      );
      assert.match(
        report.failures[0]?.message ?? '',
        new RegExp(`^a raw "\\${character}" at position \\d+ of the query`),
      );
    }
    for (const attack of [`${url}&response-content-type={a,b}`, `${url}&response-content-type=[1-2]`]) {
      assert.deepEqual(
        validate(attack).failures.map((failure) => failure.code),
        ['URL_NOT_CANONICAL'],
        attack,
      );
    }
  });

  it('a second "=" in one parameter is refused; the escaped forms pass', () => {
    const { url, validate } = issuedGet('local', 'my-bucket');
    assert.match(
      validate(`${url}&response-content-type=a=b`).failures[0]?.message ?? '',
      /^a second "=" in the parameter/,
    );
    for (const escaped of ['a%3Db', 'text%2Fplain', '%5B1-2%5D', '%7Ba%2Cb%7D', 'a~b.c_d-e'])
      assert.deepEqual(validate(`${url}&response-content-type=${escaped}`).failures, [], escaped);
  });
});
