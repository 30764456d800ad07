// The validator accepts a URL only in the canonical form the service emits, read on the raw
// text: each attack below starts from a real URL the presigner signed (valid as it is) and
// changes one thing that makes URL parsers disagree on the host, or that one parser would
// quietly rewrite. Each must be refused with URL_NOT_CANONICAL and nothing else.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';

import { createPresigner, type PresignerBundle } from '../../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../../src/presign/credentials.js';
import { validatePresignedUrl, validatorPolicy, type ValidationReport } from '../../../src/verify/url-validator.js';
import { signingConfigFrom as configFrom } from '../../fixtures/config.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';

const NOW = new Date('2026-03-01T12:00:00Z');

function codesOf(report: ValidationReport): string[] {
  return report.failures.map((failure) => failure.code);
}

function assertNotCanonical(report: ValidationReport, url: string): void {
  assert.equal(report.valid, false, `accepted: ${JSON.stringify(url)}`);
  assert.deepEqual(
    codesOf(report),
    ['URL_NOT_CANONICAL'],
    `${JSON.stringify(url)}: ${JSON.stringify(report.failures)}`,
  );
}

/** A signer and a validator for one mode, at a fixed clock. */
function signerFor(env: Record<string, string>) {
  const config = configFrom(env);
  const policy = validatorPolicy(config, () => NOW);
  let bundle: PresignerBundle;
  before(async () => {
    bundle = await createPresigner(config, {
      credentials: staticCredentialSource(EXAMPLE_CREDENTIALS),
      now: () => NOW,
    });
  });
  after(() => bundle.close());
  return {
    async sign(key = 'photos/cat.jpg'): Promise<string> {
      const { url } = await bundle.presigner.presign({
        operation: 'get',
        bucket: config.buckets[0] as string,
        key,
        expiresIn: 900,
      });
      return url;
    },
    validate: (url: string) => validatePresignedUrl(url, policy),
  };
}

const HOST = 'my-bucket.s3.us-east-1.amazonaws.com';

/** Each trick rewrites the valid URL; the authority it attacks is always HOST. */
const ATTACKS: ReadonlyArray<[name: string, rewrite: (url: string) => string]> = [
  [
    'backslash then userinfo: curl and Python send it to attacker.example',
    (u) => u.replace(HOST, `${HOST}\\@attacker.example`),
  ],
  ['backslash as the path separator', (u) => u.replace(`${HOST}/`, `${HOST}\\`)],
  ['backslash inside the path', (u) => u.replace('photos/cat', 'photos\\cat')],
  ['userinfo before the host', (u) => u.replace(HOST, `user:secret@${HOST}`)],
  ['the host as userinfo of another host', (u) => u.replace(HOST, `${HOST}@attacker.example`)],
  ['an empty userinfo', (u) => u.replace(HOST, `@${HOST}`)],
  ['a tab inside the host (WHATWG drops it)', (u) => u.replace('amazonaws', 'amazon\taws')],
  ['a tab at the end of the authority', (u) => u.replace(HOST, `${HOST}\t`)],
  ['a line feed inside the host', (u) => u.replace('amazonaws', 'amazon\naws')],
  ['a carriage return inside the host', (u) => u.replace('amazonaws', 'amazon\raws')],
  ['a space inside the host', (u) => u.replace('amazonaws', 'amazon aws')],
  ['a trailing line feed (WHATWG trims it)', (u) => `${u}\n`],
  ['a NUL in the host', (u) => u.replace('amazonaws', 'amazon\u0000aws')],
  ['a DEL in the host', (u) => u.replace('amazonaws', 'amazon\u007faws')],
  ['a NEL (U+0085) in the host', (u) => u.replace('amazonaws', 'amazon\u0085aws')],
  ['a soft hyphen (IDNA drops it)', (u) => u.replace('amazonaws', 'amazon\u00adaws')],
  ['a zero-width space', (u) => u.replace('amazonaws', 'amazon\u200baws')],
  ['a zero-width joiner', (u) => u.replace('amazonaws', 'amazon\u200daws')],
  ['a byte-order mark', (u) => u.replace('amazonaws', 'amazon\ufeffaws')],
  ['a fullwidth full stop (IDNA maps it to ".")', (u) => u.replace('.amazonaws', '\uff0eamazonaws')],
  ['an ideographic full stop', (u) => u.replace('.amazonaws', '\u3002amazonaws')],
  ['a fullwidth letter (IDNA maps it to ASCII)', (u) => u.replace('amazonaws', '\uff41mazonaws')],
  ['a %-escaped dot in the host', (u) => u.replace('.amazonaws', '%2Eamazonaws')],
  ['a %-escaped letter in the host', (u) => u.replace('amazonaws', '%61mazonaws')],
  ['a %-escaped backslash in the host', (u) => u.replace(HOST, `${HOST}%5C@attacker.example`)],
  ['an uppercase host', (u) => u.replace(HOST, HOST.toUpperCase())],
  ['one uppercase letter', (u) => u.replace('amazonaws', 'Amazonaws')],
  ['an uppercase scheme', (u) => u.replace('https:', 'HTTPS:')],
  ['the default port written out', (u) => u.replace(HOST, `${HOST}:443`)],
  ['an empty port', (u) => u.replace(HOST, `${HOST}:`)],
  ['a non-ASCII character in the path', (u) => u.replace('cat.jpg', 'cät.jpg')],
  ['a space in the query', (u) => u.replace('X-Amz-Date=', 'X-Amz-Date= ')],
  ['a line separator (U+2028) in the query', (u) => u.replace('X-Amz-Date=', 'X-Amz-Date=\u2028')],
];

describe('URL_NOT_CANONICAL: every trick on a real presigned URL is refused', () => {
  const regional = signerFor({ S3_ENDPOINT_MODE: 'regional', S3_REGION: 'us-east-1', S3_BUCKETS: 'my-bucket' });

  it('the URL the tricks start from is valid as signed', async () => {
    const url = await regional.sign();
    assert.ok(url.startsWith(`https://${HOST}/photos/cat.jpg?X-Amz-`), url);
    assert.deepEqual(regional.validate(url).failures, []);
  });

  for (const [name, rewrite] of ATTACKS) {
    it(name, async () => {
      const original = await regional.sign();
      const attack = rewrite(original);
      assert.notEqual(attack, original, 'the trick changed nothing');
      assertNotCanonical(regional.validate(attack), attack);
    });
  }

  it('a leading space (WHATWG trims it) leaves no URL at all: URL_MALFORMED', async () => {
    const attack = ` ${await regional.sign()}`;
    assert.equal(new URL(attack).host, HOST);
    assert.deepEqual(codesOf(regional.validate(attack)), ['URL_MALFORMED']);
  });

  it('the message names what was found, and never echoes user information', async () => {
    const url = await regional.sign();
    const messageOf = (attack: string) => regional.validate(attack).failures[0]?.message ?? '';
    assert.match(messageOf(url.replace(HOST, `${HOST}\\@attacker.example`)), /backslash/);
    assert.match(messageOf(url.replace('amazonaws', 'amazon\u00adaws')), /soft hyphen \(U\+00AD\)/);
    assert.match(messageOf(url.replace('amazonaws', 'amazon\taws')), /tab \(U\+0009\)/);
    assert.match(messageOf(url.replace('.amazonaws', '%2Eamazonaws')), /%-escape/);
    assert.match(messageOf(url.replace(HOST, `${HOST}:443`)), /read as "my-bucket\.s3\.us-east-1\.amazonaws\.com"/);
    const userinfo = messageOf(url.replace(HOST, `user:hunter2@${HOST}`));
    assert.match(userinfo, /user information/);
    assert.doesNotMatch(userinfo, /hunter2/);
  });
});

describe('URL_NOT_CANONICAL: IP hosts and ports in local mode', () => {
  const local = signerFor({ S3_ENDPOINT_MODE: 'local', LOCAL_S3_PORT: '4568' });

  it('the local URL is valid as signed', async () => {
    const url = await local.sign();
    assert.ok(url.startsWith('http://127.0.0.1:4568/local-uploads/photos/cat.jpg?'), url);
    assert.deepEqual(local.validate(url).failures, []);
  });

  for (const [name, authority] of [
    ['a short IPv4 form', '127.1:4568'],
    ['a hexadecimal IPv4 part', '0x7f.0.0.1:4568'],
    ['an octal IPv4 part', '0177.0.0.1:4568'],
    ['a leading zero in the port', '127.0.0.1:04568'],
  ] as const) {
    it(`${name} (${authority}): URL parsing rewrites it, so it is not the canonical spelling`, async () => {
      const attack = (await local.sign()).replace('127.0.0.1:4568', authority);
      assert.equal(new URL(attack).host, '127.0.0.1:4568', 'WHATWG reads it as the expected host');
      assertNotCanonical(local.validate(attack), attack);
    });
  }
});

describe('URL_NOT_CANONICAL is a rule about the text, not a guess at what a parser would do', () => {
  const regional = signerFor({ S3_ENDPOINT_MODE: 'regional', S3_REGION: 'us-east-1', S3_BUCKETS: 'my-bucket' });

  it('spellings that every parser routes to the expected host are refused all the same', async () => {
    const url = await regional.sign();
    // WHATWG, curl and Python all send these to HOST on port 443: the validator does not ask.
    for (const attack of [
      url.replace('https:', 'HTTPS:'),
      url.replace(HOST, HOST.toUpperCase()),
      url.replace(HOST, `${HOST}:443`),
    ]) {
      assert.equal(new URL(attack).host, HOST);
      assertNotCanonical(regional.validate(attack), attack);
    }
  });

  it('any character outside printable ASCII, anywhere after the scheme, is refused', async () => {
    const url = await regional.sign();
    const start = 'https://'.length;
    fc.assert(
      fc.property(
        fc.integer({ min: start, max: url.length }),
        fc.oneof(
          fc.integer({ min: 0, max: 0x20 }),
          fc.integer({ min: 0x7f, max: 0xd7ff }),
          fc.integer({ min: 0xe000, max: 0x10ffff }),
        ),
        (at, codePoint) => {
          const attack = `${url.slice(0, at)}${String.fromCodePoint(codePoint)}${url.slice(at)}`;
          assertNotCanonical(regional.validate(attack), attack);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a backslash, "@" or "%" anywhere in the authority is refused', async () => {
    const url = await regional.sign();
    const start = 'https://'.length;
    fc.assert(
      fc.property(
        fc.integer({ min: start, max: start + HOST.length }),
        fc.constantFrom('\\', '@', '%', '%40'),
        (at, text) => {
          const attack = `${url.slice(0, at)}${text}${url.slice(at)}`;
          assertNotCanonical(regional.validate(attack), attack);
        },
      ),
    );
  });
});
