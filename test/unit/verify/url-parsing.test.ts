// Reading a URL as written: each canonical-form refusal's message written out, the query
// parser held to decodeURIComponent (the library it replaces on the hot path), and the raw
// split held to the regular expression its comment names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { UrlCheckCode } from '../../../src/errors.js';
import { dotSegmentProblem, parseQuery } from '../../../src/verify/url-parsing.js';
import {
  canonicalFormProblem,
  splitRawUrl,
  validatePresignedUrl,
  type ValidatorPolicy,
} from '../../../src/verify/url-validator.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';
import { LOCAL } from '../../fixtures/endpoint-modes.js';
import { assertLinearWork } from '../../linearity.js';
import { countNativeWork } from '../../native-work.js';

const problemOf = (url: string) => canonicalFormProblem(url, splitRawUrl(url)!);
const PRINTABLE = 'a presigned URL is printable ASCII, nothing URL parsers could drop, keep or re-encode differently';

describe('canonicalFormProblem', () => {
  it('passes the one canonical spelling', () => {
    for (const url of [
      'https://my-bucket.s3.eu-west-1.amazonaws.com/a.txt?x=1',
      'http://127.0.0.1:4568/b/a.txt',
      'http://[::1]:4568/b/a.txt',
      'https://h_1.example/a?c=%5C&d=A-Z_a.z~0%2F9',
    ])
      assert.equal(problemOf(url), undefined, url);
  });

  it('names each character outside printable ASCII, and where it is', () => {
    const at = (character: string) => problemOf(`https://h.example/a${character}b`);
    for (const [character, name] of <Array<[string, string]>>[
      ['\t', 'a tab (U+0009)'],
      ['\n', 'a line feed (U+000A)'],
      ['\r', 'a carriage return (U+000D)'],
      [' ', 'a space (U+0020)'],
      ['\u007f', 'a DEL (U+007F)'],
      ['\u00a0', 'a no-break space (U+00A0)'],
      ['\u00ad', 'a soft hyphen (U+00AD)'],
      ['\u200b', 'a zero-width space (U+200B)'],
      ['\u200c', 'a zero-width non-joiner (U+200C)'],
      ['\u200d', 'a zero-width joiner (U+200D)'],
      ['\ufeff', 'a zero-width no-break space (U+FEFF)'],
      ['\u0001', 'a control character (U+0001)'],
      ['\u001f', 'a control character (U+001F)'],
      ['\u0080', 'a control character (U+0080)'],
      ['\u009f', 'a control character (U+009F)'],
      ['\u00e9', 'the non-ASCII character U+00E9'],
      ['\u00a1', 'the non-ASCII character U+00A1'],
      ['\u{1f600}', 'the non-ASCII character U+1F600'],
    ])
      assert.equal(at(character), `${name} at position 19: ${PRINTABLE}`, name);
  });

  it('names what is wrong with the scheme and the authority', () => {
    assert.equal(problemOf('HTTPS://h.example/a'), 'the scheme must be written in lowercase');
    assert.equal(
      problemOf('https://h.example\\@evil.example/a'),
      'a backslash at position 17: WHATWG URL parsing reads it as "/", other parsers do not',
    );
    assert.equal(
      problemOf('https://h.example/a\\b'),
      'a backslash at position 19: WHATWG URL parsing reads it as "/", other parsers do not',
    );
    assert.equal(problemOf('https://h.example/a?b=%5C'), undefined);
    assert.equal(problemOf('https://h.example/a#\\'), undefined);
    assert.equal(
      problemOf('https://user:secret@h.example/a'),
      'user information ("…@") in the authority: parsers disagree on which host follows it',
    );
    assert.equal(
      problemOf('https://h%2Eexample/a'),
      'a %-escape in the authority: the host must be written as plain ASCII',
    );
    assert.equal(problemOf('https:///a'), 'the URL names no host');
    assert.equal(
      problemOf('https://H.example/a'),
      'an uppercase letter "H" in the host: it must be written in lowercase',
    );
    assert.equal(
      problemOf('https://h!.example/a'),
      '"!" in the authority: it must be a lowercase host name with an optional :port',
    );
    for (const authority of ['h.example:', 'h.example:x1', '[::1', 'h.example:1:2', '[::g]'])
      assert.equal(
        problemOf(`https://${authority}/a`),
        'the authority must be a lowercase host name with an optional :port',
        authority,
      );
  });

  it("names the query's first character the service's encoder never leaves raw, and its position in the query", () => {
    // Position 6 of the query `a=1&b=[`; the URL's own offset of the `[` is 26.
    assert.equal(
      problemOf('https://h.example/k?a=1&b=['),
      'a raw "[" at position 6 of the query: a presigned URL\'s query holds only unreserved characters, %-escapes, "&" and one "=" per parameter (curl reads [ ] { } as globs)',
    );
    // A second "=" several characters after the first: the value `text=plain` is not `t=`.
    assert.equal(
      problemOf('https://h.example/k?X-Amz-Expires=900&response-content-type=text=plain'),
      'a second "=" in the parameter at position 39 of the query: "=" in a value is written %3D',
    );
    assert.equal(problemOf('https://h.example/k?response-content-type=text%3Dplain'), undefined);
  });

  it('refuses a query exactly where the expression its comment names first matches, in the query alone', () => {
    // A query the quick check passes must be one the expression finds nothing in. Run on the
    // query's own text: a "=" in a fragment is no second "=" of the last parameter (the
    // fragment is refused apart).
    const reference = (query: string) => {
      const found = /[^\w.~%&=-]|=[^&=]*=/.exec(query);
      if (found === null) return undefined;
      return found[0].length === 1
        ? `a raw "${found[0]}" at position ${found.index} of the query: a presigned URL's query holds only unreserved characters, %-escapes, "&" and one "=" per parameter (curl reads [ ] { } as globs)`
        : `a second "=" in the parameter at position ${found.index} of the query: "=" in a value is written %3D`;
    };
    // Characters outside printable ASCII too: the first of them anywhere in the URL, fragment
    // included, is the problem before anything in the query.
    const anyCharacter = fc.constantFrom(...'aZ09_.~%-&&&===[]{}+/:;?#\\\'!$*(),@|^`"<> \t\u00e9\u200b');
    // Mostly what the form keeps, so that the quick check decides most queries alone.
    const keptCharacter = fc.oneof(
      { weight: 30, arbitrary: fc.constantFrom(...'aZ0_.~%-&&&===') },
      { weight: 1, arbitrary: anyCharacter },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.array(anyCharacter, { maxLength: 40 }), fc.array(keptCharacter, { maxLength: 40 })),
        (characters) => {
          const url = `https://h.example/k?${characters.join('')}`;
          const raw = splitRawUrl(url)!;
          const odd = url.search(/[^!-~]/);
          const problem = canonicalFormProblem(url, raw);
          if (odd === -1) assert.equal(problem, reference(raw.query!), url);
          else assert.ok(problem?.endsWith(`at position ${odd}: ${PRINTABLE}`), `${url}: ${problem}`);
        },
      ),
      { numRuns: 5000 },
    );
    assert.equal(problemOf('https://h.example/k?a=b#c=d'), undefined);
    assert.equal(problemOf('https://h.example/k?a=b[c=d'), reference('a=b[c=d'));
  });
});

describe('splitRawUrl', () => {
  const REFERENCE = /^([a-zA-Z][a-zA-Z0-9+.-]*:)\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(#.*)?$/;
  const reference = (url: string) => {
    const match = REFERENCE.exec(url);
    return match
      ? { scheme: match[1], authority: match[2], path: match[3], query: match[4], fragment: match[5] }
      : undefined;
  };

  it('splits every string exactly as the regular expression does', () => {
    const piece = fc.constantFrom(
      'https:',
      'http:',
      'HTTPS:',
      'a+b.c-d:',
      '1x:',
      ':',
      '//',
      '/',
      '?',
      '#',
      '&',
      '=',
      '@',
      '.',
      'a',
      'Z',
      '0',
      'host',
      ':443',
      '%2F',
      ' ',
      '\t',
      '\n',
      '\r',
      '\u2028',
      '\u2029',
      '\u00e9',
      '\\',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 16 }).map((parts) => parts.join('')),
        (url) => {
          assert.deepEqual(splitRawUrl(url), reference(url), JSON.stringify(url));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('splits these exactly', () => {
    assert.deepEqual(splitRawUrl('https://h.example/p/q?a=1?b#f?g'), {
      scheme: 'https:',
      authority: 'h.example',
      path: '/p/q',
      query: 'a=1?b',
      fragment: '#f?g',
    });
    assert.deepEqual(splitRawUrl('https://h.example#f'), {
      scheme: 'https:',
      authority: 'h.example',
      path: '',
      query: undefined,
      fragment: '#f',
    });
    // A one-letter scheme.
    assert.deepEqual(splitRawUrl('h://x/y'), {
      scheme: 'h:',
      authority: 'x',
      path: '/y',
      query: undefined,
      fragment: undefined,
    });
    assert.deepEqual(splitRawUrl('https://h.example/p?#'), {
      scheme: 'https:',
      authority: 'h.example',
      path: '/p',
      query: '',
      fragment: '#',
    });
    // A "?" after the "#" is the fragment's, not a query.
    assert.deepEqual(splitRawUrl('https://h.example/k#a?b'), {
      scheme: 'https:',
      authority: 'h.example',
      path: '/k',
      query: undefined,
      fragment: '#a?b',
    });
    assert.deepEqual(splitRawUrl('https://h.example?q'), {
      scheme: 'https:',
      authority: 'h.example',
      path: '',
      query: 'q',
      fragment: undefined,
    });
    for (const url of [
      'h.example/a',
      ':x',
      'https:/h.example',
      'https:h.example',
      'ht tp://h',
      '1http://h',
      'https://h#a\nb',
      'https://host/p#line\nbreak',
      'mailto:x',
      'https:/host/p',
    ])
      assert.equal(splitRawUrl(url), undefined, url);
  });
});

describe('parseQuery', () => {
  function parsed(rawQuery: string) {
    const failures: Array<[UrlCheckCode, string]> = [];
    const query = parseQuery(rawQuery, (code, message) => failures.push([code, message]));
    return { query: Object.fromEntries(query), failures };
  }

  it('decodes names and values as decodeURIComponent does, and refuses what it refuses', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 4 }).map(encodeURIComponent),
      fc.constantFrom(
        '%',
        '%2',
        '%ZZ',
        '%41',
        '%e9',
        '%C3%A9',
        '%C3',
        '%F0%9F%98%80',
        '%ED%A0%80',
        '%u0041',
        // A valid first digit, then the characters either side of each hex digit range.
        '%4/',
        '%4:',
        '%4@',
        '%4G',
        '%4`',
        '%4g',
        '%0a',
        '%7F',
        '+',
        'a',
        '%25',
      ),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), fc.array(piece, { maxLength: 6 }), (nameParts, valueParts) => {
        const rawName = `n${nameParts.join('')}`;
        const rawValue = valueParts.join('');
        let expected: { query: Record<string, string>; failures: Array<[UrlCheckCode, string]> };
        try {
          expected = { query: { [decodeURIComponent(rawName)]: decodeURIComponent(rawValue) }, failures: [] };
        } catch {
          expected = {
            query: {},
            failures: [['URL_MALFORMED', `query parameter "${rawName}" is not valid percent-encoding`]],
          };
        }
        assert.deepEqual(parsed(`${rawName}=${rawValue}`), expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads names without a value, empty pairs and repeated names', () => {
    assert.deepEqual(parsed(''), { query: {}, failures: [] });
    assert.deepEqual(parsed('a'), { query: { a: '' }, failures: [] });
    assert.deepEqual(parsed('a&b=1&c='), { query: { a: '', b: '1', c: '' }, failures: [] });
    assert.deepEqual(parsed('a=1=2&&b'), { query: { a: '1=2', '': '', b: '' }, failures: [] });
    assert.deepEqual(parsed('a=1&b=2&a=3'), {
      query: { a: '3', b: '2' },
      failures: [['URL_DUPLICATE_PARAMETER', 'query parameter "a" appears more than once']],
    });
    assert.deepEqual(parsed('X-Amz-Date=1&X%2DAmz%2DDate=2'), {
      query: { 'X-Amz-Date': '2' },
      failures: [['URL_DUPLICATE_PARAMETER', 'query parameter "X-Amz-Date" appears more than once']],
    });
    assert.deepEqual(parsed('a%ZZ=1&b=2'), {
      query: { b: '2' },
      failures: [['URL_MALFORMED', 'query parameter "a%ZZ" is not valid percent-encoding']],
    });
    assert.deepEqual(parsed('a=%ZZ'), {
      query: {},
      failures: [['URL_MALFORMED', 'query parameter "a" is not valid percent-encoding']],
    });
  });

  it('finds each known name however it is spelled', () => {
    for (const name of [
      'X-Amz-Signature',
      'X-Amz-Content-Sha256',
      'x-id',
      'response-content-type',
      'versionId',
      'AWSAccessKeyId',
      'Signature',
    ])
      assert.deepEqual(parsed(`${encodeURIComponent(name).replace(/-/g, '%2D')}=v`).query, { [name]: 'v' }, name);
    // Same length as a known name, different text.
    assert.deepEqual(parsed('X-Amz-Signaturf=v').query, { 'X-Amz-Signaturf': 'v' });
    // Longer than a name on the list, and starting with it, in place and once decoded. The last
    // starts with the filler a mutation tool puts in lists, and is as long as
    // X-Amz-Security-Token: a list of that length seeded with the filler must not cut it.
    for (const name of ['X-Amz-DateX', 'x-idx', 'Signatures', 'Stryker was here too'])
      for (const written of [name, encodeURIComponent(name).replace(/-/g, '%2D')])
        assert.deepEqual(parsed(`a=1&${written}=v`).query, { a: '1', [name]: 'v' }, written);
  });
});

describe("/verify's URL reader", () => {
  const POLICY: ValidatorPolicy = {
    mode: LOCAL,
    maxExpiresSeconds: 3600,
    maxClockSkewSeconds: 300,
    now: () => new Date('2026-03-01T12:00:00Z'),
  };
  const BASE =
    `http://127.0.0.1:4568/my-bucket/a.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${EXAMPLE_CREDENTIALS.accessKeyId}%2F20260301%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260301T120000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=` +
    '0123456789abcdef'.repeat(4);

  it('reads any URL in work linear in its length: splitting, canonical form, dot segments, query, location, fields', () => {
    assertLinearWork(
      {
        'a run of "&"': (n) => `${BASE}${'&'.repeat(n)}`,
        // The next "=" is far ahead of each pair: found once, not once per pair.
        'a run of "&" before a value': (n) => `${BASE}${'&'.repeat(n)}a=1`,
        'a run of "="': (n) => `${BASE}&a${'='.repeat(n)}`,
        'many parameters': (n) => `${BASE}${'&a=1'.repeat(n / 4)}`,
        'one parameter many times': (n) => `${BASE}${'&X-Amz-Date=1'.repeat(n / 13)}`,
        'names without values': (n) => `${BASE}${'&X-Amz-Expires'.repeat(n / 14)}`,
        'ASCII escapes': (n) => `${BASE}&response-content-type=${'%41'.repeat(n / 3)}`,
        'UTF-8 escapes, one broken at the end': (n) => `${BASE}&response-content-type=${'%C3%BC'.repeat(n / 6)}%ZZ`,
        'escapes in names': (n) => `${BASE}${'&%58-Amz-Date=1'.repeat(n / 15)}`,
        'many path segments': (n) => BASE.replace('/a.txt?', `/${'a/'.repeat(n / 2)}a.txt?`),
        'segments that look like dots': (n) => BASE.replace('/a.txt?', `/${'%2e%2e%2e/'.repeat(n / 10)}a.txt?`),
        'empty segments': (n) => BASE.replace('/a.txt?', `${'/'.repeat(n)}a.txt?`),
        'a long key': (n) => BASE.replace('/a.txt?', `/${'%C3%BC'.repeat(n / 6)}?`),
        'a long signed-header list': (n) =>
          BASE.replace('SignedHeaders=host', `SignedHeaders=${'a%3B'.repeat(n / 4)}host`),
        'a long credential': (n) => BASE.replace(EXAMPLE_CREDENTIALS.accessKeyId, 'A%2F'.repeat(n / 4)),
        'a host of dots': (n) => BASE.replace('127.0.0.1:4568', `${'.'.repeat(n)}a`),
        'a host of labels': (n) => BASE.replace('127.0.0.1:4568', `${'a.'.repeat(n / 2)}com`),
        'a long scheme': (n) => `${'h'.repeat(n)}${BASE.slice(4)}`,
        'backslashes in the query': (n) => `${BASE}&a=${'\\'.repeat(n)}`,
        'a long fragment': (n) => `${BASE}#${'a'.repeat(n)}`,
      },
      (url, work) => countNativeWork(work, () => validatePresignedUrl(url, POLICY)),
      { perCharacter: 24 },
    );
  });

  it('counts dot segments in work linear in the path (its own counter)', () => {
    assertLinearWork(
      {
        'short segments': (n) => '/a'.repeat(n / 2),
        'long segments': (n) => `/${'a'.repeat(n)}/..`,
        'escaped near-misses': (n) => '/%2e%2E%2e'.repeat(n / 10),
        'slashes only': (n) => '/'.repeat(n),
      },
      (path, work) => dotSegmentProblem(path, work),
      { perCharacter: 2 },
    );
  });
});
