// validatePresignedUrl against every endpoint mode, at a fixed clock. Good URLs come from
// the real SDK signer (createPresigner with static credentials and the same clock); bad
// URLs are written by hand, each differing from a good one in exactly one respect, so each
// must fail with exactly its own code.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';

import type { Config } from '../../../src/config/config.js';
import type { UrlCheckCode } from '../../../src/errors.js';
import { createPresigner, type PresignerBundle } from '../../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../../src/presign/credentials.js';
import type { PresignRequest } from '../../../src/presign/presigner.js';
import {
  validatePresignedUrl,
  type UrlExpectation,
  type ValidationReport,
  type ValidatorPolicy,
} from '../../../src/verify/url-validator.js';
import { signingConfigFrom as configFrom } from '../../fixtures/config.js';
import { EXAMPLE_CREDENTIALS, EXAMPLE_TEMPORARY_KEY_ID, OTHER_CREDENTIALS } from '../../fixtures/credentials.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const now = () => new Date(NOW.getTime());
const AMZ_DATE = '20260301T120000Z';
const ACCESS_KEY = EXAMPLE_CREDENTIALS.accessKeyId;
const SIGNATURE = 'b2c4e6f8a0b2c4e6f8a0b2c4e6f8a0b2c4e6f8a0b2c4e6f8a0b2c4e6f8a0b2c4';
const VPCE = 'vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com';
const KEY = 'photos/cat.jpg';

type Env = Record<string, string | undefined>;

function policyFor(config: Config): ValidatorPolicy {
  return {
    mode: config.mode,
    maxExpiresSeconds: config.presign.maxExpiresSeconds,
    maxClockSkewSeconds: config.presign.maxClockSkewSeconds,
    now,
  };
}

function codes(report: ValidationReport): UrlCheckCode[] {
  return report.failures.map((failure) => failure.code);
}

function assertValid(report: ValidationReport): void {
  assert.deepEqual(report.failures, [], 'expected the URL to pass validation');
  assert.equal(report.valid, true);
}

/** Exactly these codes (each once, in any order). */
function assertFails(report: ValidationReport, expected: UrlCheckCode[]): void {
  assert.equal(report.valid, false, 'expected the URL to fail validation');
  assert.deepEqual([...codes(report)].sort(), [...expected].sort(), JSON.stringify(report.failures, null, 1));
}

function assertFailsWith(report: ValidationReport, code: UrlCheckCode): void {
  assert.equal(report.valid, false, 'expected the URL to fail validation');
  assert.ok(codes(report).includes(code), `expected ${code} among ${JSON.stringify(report.failures, null, 1)}`);
}

interface QueryOptions {
  accessKeyId?: string;
  date?: string;
  scopeDate?: string;
  region: string;
  service?: string;
  expires?: string;
  signedHeaders?: string;
  token?: string;
  signature?: string | null;
  operation?: 'GetObject' | 'PutObject' | null;
  extra?: string;
}

/** A SigV4 presigned query in the order the JS SDK writes it. */
function sigv4Query(options: QueryOptions): string {
  const date = options.date ?? AMZ_DATE;
  const credential = [
    options.accessKeyId ?? ACCESS_KEY,
    options.scopeDate ?? date.slice(0, 8),
    options.region,
    options.service ?? 's3',
    'aws4_request',
  ].join('/');
  const parts = [
    'X-Amz-Algorithm=AWS4-HMAC-SHA256',
    'X-Amz-Content-Sha256=UNSIGNED-PAYLOAD',
    `X-Amz-Credential=${encodeURIComponent(credential)}`,
    `X-Amz-Date=${date}`,
    `X-Amz-Expires=${options.expires ?? '900'}`,
  ];
  if (options.token !== undefined) parts.push(`X-Amz-Security-Token=${encodeURIComponent(options.token)}`);
  if (options.signature !== null) parts.push(`X-Amz-Signature=${options.signature ?? SIGNATURE}`);
  parts.push(`X-Amz-SignedHeaders=${encodeURIComponent(options.signedHeaders ?? 'host')}`);
  if (options.operation !== null) parts.push(`x-id=${options.operation ?? 'GetObject'}`);
  if (options.extra) parts.push(options.extra);
  return parts.join('&');
}

interface ModeCase {
  name: string;
  env: Env;
  region: string;
  bucket: string;
  /** scheme://host/[bucket/] — a good URL is prefix + encoded key. */
  prefix: string;
  addressing: 'virtual-hosted' | 'path-style';
  /** The same bucket addressed the way this mode must not. */
  otherStylePrefix?: string;
  /** Whether the validator can read the bucket out of an other-style URL without being told. */
  otherStyleInferable: boolean;
  wrongHostPrefixes: string[];
  wrongSchemePrefix: string;
}

const MODES: ModeCase[] = [
  {
    name: 'regional (virtual-hosted)',
    env: { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_BUCKETS: 'my-bucket' },
    region: 'eu-west-1',
    bucket: 'my-bucket',
    prefix: 'https://my-bucket.s3.eu-west-1.amazonaws.com/',
    addressing: 'virtual-hosted',
    otherStylePrefix: 'https://s3.eu-west-1.amazonaws.com/my-bucket/',
    otherStyleInferable: true,
    wrongHostPrefixes: [
      'https://my-bucket.s3.us-west-2.amazonaws.com/',
      'https://my-bucket.s3-fips.eu-west-1.amazonaws.com/',
      'https://my-bucket.s3.dualstack.eu-west-1.amazonaws.com/',
      'https://my-bucket.s3-eu-west-1.amazonaws.com/',
      'https://my-bucket.s3.eu-west-1.amazonaws.com:8443/',
    ],
    wrongSchemePrefix: 'http://my-bucket.s3.eu-west-1.amazonaws.com/',
  },
  {
    name: 'regional (path-style)',
    env: { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_FORCE_PATH_STYLE: 'true', S3_BUCKETS: 'my-bucket' },
    region: 'eu-west-1',
    bucket: 'my-bucket',
    prefix: 'https://s3.eu-west-1.amazonaws.com/my-bucket/',
    addressing: 'path-style',
    otherStylePrefix: 'https://my-bucket.s3.eu-west-1.amazonaws.com/',
    otherStyleInferable: true,
    wrongHostPrefixes: [
      'https://s3.us-west-2.amazonaws.com/my-bucket/',
      'https://s3-eu-west-1.amazonaws.com/my-bucket/',
    ],
    wrongSchemePrefix: 'http://s3.eu-west-1.amazonaws.com/my-bucket/',
  },
  {
    name: 'interface (virtual-hosted)',
    env: { S3_ENDPOINT_MODE: 'interface', S3_REGION: 'us-east-1', S3_VPCE_DNS_NAME: VPCE, S3_BUCKETS: 'my-bucket' },
    region: 'us-east-1',
    bucket: 'my-bucket',
    prefix: `https://my-bucket.bucket.${VPCE}/`,
    addressing: 'virtual-hosted',
    otherStylePrefix: `https://bucket.${VPCE}/my-bucket/`,
    otherStyleInferable: true,
    wrongHostPrefixes: [
      'https://my-bucket.s3.us-east-1.amazonaws.com/',
      'https://my-bucket.bucket.vpce-0f0f0f0f-9999.s3.us-east-1.vpce.amazonaws.com/',
      `https://my-bucket.${VPCE}/`,
    ],
    wrongSchemePrefix: `http://my-bucket.bucket.${VPCE}/`,
  },
  {
    name: 'interface (path-style)',
    env: {
      S3_ENDPOINT_MODE: 'interface',
      S3_REGION: 'us-east-1',
      S3_VPCE_DNS_NAME: VPCE,
      S3_FORCE_PATH_STYLE: 'true',
      S3_BUCKETS: 'my-bucket',
    },
    region: 'us-east-1',
    bucket: 'my-bucket',
    prefix: `https://bucket.${VPCE}/my-bucket/`,
    addressing: 'path-style',
    otherStylePrefix: `https://my-bucket.bucket.${VPCE}/`,
    otherStyleInferable: true,
    wrongHostPrefixes: [
      `https://${VPCE}/my-bucket/`,
      'https://bucket.vpce-0f0f0f0f-9999.s3.us-east-1.vpce.amazonaws.com/my-bucket/',
    ],
    wrongSchemePrefix: `http://bucket.${VPCE}/my-bucket/`,
  },
  {
    name: 'accelerate',
    env: { S3_ENDPOINT_MODE: 'accelerate', S3_REGION: 'us-east-1', S3_BUCKETS: 'my-bucket' },
    region: 'us-east-1',
    bucket: 'my-bucket',
    prefix: 'https://my-bucket.s3-accelerate.amazonaws.com/',
    addressing: 'virtual-hosted',
    otherStylePrefix: 'https://s3-accelerate.amazonaws.com/my-bucket/',
    otherStyleInferable: false,
    wrongHostPrefixes: [
      'https://my-bucket.s3.us-east-1.amazonaws.com/',
      'https://my-bucket.s3-accelerate.dualstack.amazonaws.com/',
    ],
    wrongSchemePrefix: 'http://my-bucket.s3-accelerate.amazonaws.com/',
  },
  {
    name: 'custom (virtual-hosted)',
    env: { S3_ENDPOINT_MODE: 'custom', S3_ENDPOINT_URL: 'https://minio.internal:9000', S3_BUCKETS: 'my-bucket' },
    region: 'us-east-1',
    bucket: 'my-bucket',
    prefix: 'https://my-bucket.minio.internal:9000/',
    addressing: 'virtual-hosted',
    otherStylePrefix: 'https://minio.internal:9000/my-bucket/',
    otherStyleInferable: true,
    wrongHostPrefixes: ['https://my-bucket.minio.internal/', 'https://my-bucket.minio.example.com:9000/'],
    wrongSchemePrefix: 'http://my-bucket.minio.internal:9000/',
  },
  {
    name: 'custom (path-style)',
    env: {
      S3_ENDPOINT_MODE: 'custom',
      S3_ENDPOINT_URL: 'https://minio.internal:9000',
      S3_FORCE_PATH_STYLE: 'true',
      S3_BUCKETS: 'my-bucket',
    },
    region: 'us-east-1',
    bucket: 'my-bucket',
    prefix: 'https://minio.internal:9000/my-bucket/',
    addressing: 'path-style',
    otherStylePrefix: 'https://my-bucket.minio.internal:9000/',
    otherStyleInferable: true,
    wrongHostPrefixes: ['https://minio.internal:9001/my-bucket/', 'https://minio.example.com:9000/my-bucket/'],
    wrongSchemePrefix: 'http://minio.internal:9000/my-bucket/',
  },
  {
    name: 'local',
    env: { S3_ENDPOINT_MODE: 'local', S3_BUCKETS: 'my-bucket' },
    region: 'us-east-1',
    bucket: 'my-bucket',
    prefix: 'http://127.0.0.1:4568/my-bucket/',
    addressing: 'path-style',
    // The embedded server has no virtual-hosted form: BUCKET.127.0.0.1 cannot even be parsed
    // (a dotted name ending in a number is an IPv4 address to WHATWG URL), so a bucket host on
    // localhost is simply another host.
    otherStyleInferable: false,
    wrongHostPrefixes: [
      'http://127.0.0.1:9999/my-bucket/',
      'http://localhost:4568/my-bucket/',
      'http://my-bucket.localhost:4568/',
    ],
    wrongSchemePrefix: 'https://127.0.0.1:4568/my-bucket/',
  },
];

const GLOBAL_PREFIXES = [
  'https://my-bucket.s3.amazonaws.com/',
  'https://s3.amazonaws.com/my-bucket/',
  'https://s3-external-1.amazonaws.com/my-bucket/',
  'https://my-bucket.s3-external-1.amazonaws.com/',
];

for (const m of MODES) {
  describe(`validatePresignedUrl: ${m.name} mode`, () => {
    const config = configFrom(m.env);
    const policy = policyFor(config);
    const validate = (url: string, expectation?: UrlExpectation) => validatePresignedUrl(url, policy, expectation);
    const q = (options: Partial<QueryOptions> = {}) => sigv4Query({ region: m.region, ...options });
    const good = (options: Partial<QueryOptions> = {}) => `${m.prefix}${KEY}?${q(options)}`;
    let bundle: PresignerBundle;

    before(async () => {
      bundle = await createPresigner(config, {
        credentials: staticCredentialSource(EXAMPLE_CREDENTIALS),
        now,
      });
    });
    after(() => bundle.close());

    const sign = (request: Partial<PresignRequest> = {}) =>
      bundle.presigner.presign({ operation: 'get', bucket: m.bucket, key: KEY, expiresIn: 900, ...request });

    describe('good URLs', () => {
      it('an SDK-signed GET passes, and the report reads it back', async () => {
        const { url } = await sign();
        assert.ok(url.startsWith(`${m.prefix}${KEY}?`), `signed URL ${url} starts with ${m.prefix}${KEY}`);
        const report = validate(url);
        assertValid(report);
        assert.equal(report.bucket, m.bucket);
        assert.equal(report.key, KEY);
        assert.equal(report.addressing, m.addressing);
        assert.equal(report.region, m.region);
        assert.equal(report.signedAt, '2026-03-01T12:00:00.000Z');
        assert.equal(report.expiresAt, '2026-03-01T12:15:00.000Z');
        assert.deepEqual(report.signedHeaders, ['host']);
      });

      it('an SDK-signed PUT binding content-type passes, with and without the expectation', async () => {
        const { url, headers } = await sign({ operation: 'put', contentType: 'image/jpeg', expiresIn: 300 });
        assert.deepEqual(headers, { 'content-type': 'image/jpeg' });
        assertValid(validate(url));
        assertValid(
          validate(url, {
            bucket: m.bucket,
            key: KEY,
            signedHeaders: ['content-type'],
            queryParameters: {},
            accessKeyId: ACCESS_KEY,
            temporaryCredentials: false,
            fresh: true,
          }),
        );
      });

      it('a hand-written URL of the same shape passes (the baseline the bad cases differ from)', () => {
        assertValid(validate(good()));
        assertValid(
          validate(good(), {
            bucket: m.bucket,
            key: KEY,
            signedHeaders: [],
            queryParameters: {},
            accessKeyId: ACCESS_KEY,
            temporaryCredentials: false,
            fresh: true,
          }),
        );
      });

      it('a key with characters S3 encodes passes when encoded canonically', () => {
        const report = validate(`${m.prefix}photos/2026/cat%20picture%21%28v2%29.jpg?${q()}`);
        assertValid(report);
        assert.equal(report.key, 'photos/2026/cat picture!(v2).jpg');
      });
    });

    describe('bad URLs, one code each', () => {
      for (const prefix of GLOBAL_PREFIXES) {
        it(`legacy global host ${new URL(prefix).host}${new URL(prefix).pathname} → URL_GLOBAL_ENDPOINT`, () => {
          assertFails(validate(`${prefix}${KEY}?${q()}`), ['URL_GLOBAL_ENDPOINT']);
          assertFailsWith(validate(`${prefix}${KEY}?${q()}`, { bucket: m.bucket, key: KEY }), 'URL_GLOBAL_ENDPOINT');
        });
      }

      it('another region in the credential scope → URL_REGION', () => {
        assertFails(validate(good({ region: 'ap-southeast-2' })), ['URL_REGION']);
        assertFails(validate(good({ region: 'ap-southeast-2' }), { bucket: m.bucket, key: KEY }), ['URL_REGION']);
      });

      it('an SDK-signed URL whose credential scope was rewritten to another region → URL_REGION', async () => {
        const { url } = await sign();
        const tampered = url.replace(`%2F${m.region}%2Fs3%2F`, '%2Fap-southeast-2%2Fs3%2F');
        assert.notEqual(tampered, url);
        assertFails(validate(tampered), ['URL_REGION']);
      });

      for (const prefix of m.wrongHostPrefixes) {
        it(`wrong host ${new URL(prefix).host} → URL_HOST`, () => {
          assertFails(validate(`${prefix}${KEY}?${q()}`), ['URL_HOST']);
          assertFails(validate(`${prefix}${KEY}?${q()}`, { bucket: m.bucket, key: KEY }), ['URL_HOST']);
        });
      }

      if (m.otherStylePrefix) {
        const otherStyle = `${m.otherStylePrefix}${KEY}?${q()}`;
        it(`${m.addressing === 'virtual-hosted' ? 'path-style' : 'virtual-hosted'} URL where ${m.addressing} is required → URL_ADDRESSING_STYLE`, () => {
          assertFails(validate(otherStyle, { bucket: m.bucket, key: KEY }), ['URL_ADDRESSING_STYLE']);
          if (m.otherStyleInferable) assertFails(validate(otherStyle), ['URL_ADDRESSING_STYLE']);
          else assert.equal(validate(otherStyle).valid, false);
        });
      }

      it(`${m.prefix.startsWith('https') ? 'http' : 'https'} instead of ${m.prefix.startsWith('https') ? 'https' : 'http'} → URL_SCHEME`, () => {
        assertFails(validate(`${m.wrongSchemePrefix}${KEY}?${q()}`), ['URL_SCHEME']);
      });

      it('X-Amz-Expires over the configured maximum → URL_EXPIRES_OVER_MAXIMUM', () => {
        assert.equal(policy.maxExpiresSeconds, 3600);
        assertValid(validate(good({ expires: '3600' })));
        assertFails(validate(good({ expires: '3601' })), ['URL_EXPIRES_OVER_MAXIMUM']);
        assertFails(validate(good({ expires: '7200' })), ['URL_EXPIRES_OVER_MAXIMUM']);
      });

      for (const expires of ['604801', '9999999', 'abc', '', '-5', '1.5', '90O']) {
        it(`X-Amz-Expires=${JSON.stringify(expires)} → URL_EXPIRES_RANGE`, () => {
          assertFails(validate(good({ expires })), ['URL_EXPIRES_RANGE']);
        });
      }

      it('X-Amz-Expires=0 → URL_EXPIRES_RANGE', () => {
        assertFailsWith(validate(good({ expires: '0' })), 'URL_EXPIRES_RANGE');
      });

      it('X-Amz-Expires over 604800 with a generous policy maximum is still URL_EXPIRES_RANGE', () => {
        const generous = { ...policy, maxExpiresSeconds: 604_800 };
        assertValid(validatePresignedUrl(good({ expires: '604800' }), generous));
        assertFails(validatePresignedUrl(good({ expires: '604801' }), generous), ['URL_EXPIRES_RANGE']);
      });

      it('content-type missing from the signed headers when the caller was told to send it → URL_SIGNED_HEADERS', () => {
        const expectation = { bucket: m.bucket, key: KEY, signedHeaders: ['content-type'] };
        assertFails(validate(good({ operation: 'PutObject' }), expectation), ['URL_SIGNED_HEADERS']);
        assertValid(validate(good({ operation: 'PutObject', signedHeaders: 'content-type;host' }), expectation));
      });

      it('signed headers the caller was not told about, unsorted, or without host → URL_SIGNED_HEADERS', () => {
        assertFails(validate(good({ signedHeaders: 'content-type;host' }), { signedHeaders: [] }), [
          'URL_SIGNED_HEADERS',
        ]);
        assertFails(validate(good({ signedHeaders: 'host;content-type' })), ['URL_SIGNED_HEADERS']);
        assertFails(validate(good({ signedHeaders: 'content-type' })), ['URL_SIGNED_HEADERS']);
        assertFails(validate(good({ signedHeaders: 'Host' })), ['URL_SIGNED_HEADERS']);
      });

      it('an x-amz-checksum-crc32=AAAAAA== parameter → URL_UNEXPECTED_PARAMETER', () => {
        const url = good({ operation: 'PutObject', extra: 'x-amz-checksum-crc32=AAAAAA%3D%3D' });
        assertFails(validate(url), ['URL_UNEXPECTED_PARAMETER']);
        assertFails(validate(url, { bucket: m.bucket, key: KEY, queryParameters: {} }), ['URL_UNEXPECTED_PARAMETER']);
      });

      it('the same parameter appended to an SDK-signed PUT → URL_UNEXPECTED_PARAMETER', async () => {
        const { url } = await sign({ operation: 'put', contentType: 'image/jpeg' });
        assertValid(validate(url));
        assertFails(validate(`${url}&x-amz-checksum-crc32=AAAAAA%3D%3D`), ['URL_UNEXPECTED_PARAMETER']);
        assertFails(validate(`${url}&x-amz-sdk-checksum-algorithm=CRC32`), ['URL_UNEXPECTED_PARAMETER']);
      });

      it('a response override not asked for → URL_UNEXPECTED_PARAMETER; asked for but missing → URL_MISSING_PARAMETER', () => {
        const withOverride = good({ extra: 'response-content-disposition=attachment' });
        assertValid(validate(withOverride));
        assertFails(validate(withOverride, { queryParameters: {} }), ['URL_UNEXPECTED_PARAMETER']);
        assertValid(validate(withOverride, { queryParameters: { 'response-content-disposition': 'attachment' } }));
        assertFails(validate(good(), { queryParameters: { 'response-content-disposition': 'attachment' } }), [
          'URL_MISSING_PARAMETER',
        ]);
        assertFails(validate(good({ extra: 'acl=public-read' })), ['URL_UNEXPECTED_PARAMETER']);
      });

      it('a session token with long-term credentials, or none with temporary ones → URL_SECURITY_TOKEN', () => {
        assertFails(validate(good({ token: 'FwoGZXIvYXdzEXAMPLE' }), { temporaryCredentials: false }), [
          'URL_SECURITY_TOKEN',
        ]);
        assertFails(validate(good(), { temporaryCredentials: true }), ['URL_SECURITY_TOKEN']);
        assertValid(validate(good({ token: 'FwoGZXIvYXdzEXAMPLE' }), { temporaryCredentials: true }));
      });

      it('without an expectation, ASIA keys need a token and AKIA keys must not carry one → URL_SECURITY_TOKEN', () => {
        assertFails(validate(good({ accessKeyId: EXAMPLE_TEMPORARY_KEY_ID })), ['URL_SECURITY_TOKEN']);
        assertFails(validate(good({ token: 'FwoGZXIvYXdzEXAMPLE' })), ['URL_SECURITY_TOKEN']);
        assertValid(validate(good({ accessKeyId: EXAMPLE_TEMPORARY_KEY_ID, token: 'FwoGZXIvYXdzEXAMPLE' })));
        assertFails(validate(good({ accessKeyId: EXAMPLE_TEMPORARY_KEY_ID, token: '' })), ['URL_SECURITY_TOKEN']);
        // Keys of S3-compatible stores say nothing either way.
        assertValid(validate(good({ accessKeyId: 'minioadmin' })));
        assertValid(validate(good({ accessKeyId: 'minioadmin', token: 'session' })));
      });

      for (const [label, signature] of [
        ['uppercase', SIGNATURE.toUpperCase()],
        ['short', SIGNATURE.slice(0, 63)],
        ['long', `${SIGNATURE}0`],
        ['non-hex', `${SIGNATURE.slice(0, 63)}g`],
        ['missing', null],
      ] as const) {
        it(`a ${label} X-Amz-Signature → URL_SIGNATURE_FORMAT`, () => {
          assertFails(validate(good({ signature })), ['URL_SIGNATURE_FORMAT']);
        });
      }

      it('accepts exactly the signatures /^[0-9a-f]{64}$/ accepts, non-ASCII look-alikes included', () => {
        // U+0161 and U+0130 end in the bits of 'a' and '0': a table indexed carelessly would pass them.
        const hex = fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: 63, maxLength: 65 });
        const intruder = fc.option(fc.tuple(fc.nat(64), fc.constantFrom(...'ABCDEFgz\u0161\u0130\uff46\u0660')));
        const signature = fc.tuple(hex, intruder).map(([chars, swap]) => {
          if (swap) chars.splice(swap[0] % chars.length, 1, swap[1]);
          return chars.join('');
        });
        fc.assert(
          fc.property(signature, (value) => {
            const failures = validate(good({ signature: encodeURIComponent(value) })).failures.map((f) => f.code);
            assert.equal(!failures.includes('URL_SIGNATURE_FORMAT'), /^[0-9a-f]{64}$/.test(value), value);
          }),
          { numRuns: 2000 },
        );
      });

      it('X-Amz-Date in the future beyond the clock skew → URL_DATE_SKEW (within it passes)', () => {
        assertValid(validate(good({ date: '20260301T120500Z' })));
        assertFails(validate(good({ date: '20260301T120501Z' })), ['URL_DATE_SKEW']);
        assertFails(validate(good({ date: '20260301T130000Z' })), ['URL_DATE_SKEW']);
      });

      it('a fresh expectation with an old X-Amz-Date → URL_DATE_SKEW (without fresh it passes)', () => {
        const old = good({ date: '20260301T115000Z' });
        assertValid(validate(old));
        assertFails(validate(old, { fresh: true }), ['URL_DATE_SKEW']);
        assertValid(validate(good({ date: '20260301T115500Z' }), { fresh: true }));
      });

      it('an expired URL (no expectation) → URL_EXPIRED', () => {
        assertFails(validate(good({ date: '20260301T100000Z' })), ['URL_EXPIRED']);
        assertFails(validate(good({ date: '20260301T114500Z', expires: '900' })), ['URL_EXPIRED']);
        assertValid(validate(good({ date: '20260301T114501Z', expires: '900' })));
      });

      it('a URL outliving its credentials → URL_EXPIRES_AFTER_CREDENTIALS', () => {
        const credentialsExpireAt = new Date('2026-03-01T12:05:00Z');
        assertFails(validate(good({ expires: '900' }), { credentialsExpireAt }), ['URL_EXPIRES_AFTER_CREDENTIALS']);
        assertFails(validate(good({ expires: '301' }), { credentialsExpireAt }), ['URL_EXPIRES_AFTER_CREDENTIALS']);
        assertValid(validate(good({ expires: '300' }), { credentialsExpireAt }));
      });

      it('a SigV2 URL (AWSAccessKeyId, Signature, Expires) → URL_ALGORITHM', () => {
        const sigv2 = `${m.prefix}${KEY}?AWSAccessKeyId=${ACCESS_KEY}&Signature=${encodeURIComponent('vjbyPxybdZaNmGa+yT272YEAiv4=')}&Expires=1772370900`;
        const report = validate(sigv2);
        assertFailsWith(report, 'URL_ALGORITHM');
        assert.match(report.failures.find((f) => f.code === 'URL_ALGORITHM')?.message ?? '', /SigV2/);
      });

      it('another algorithm → URL_ALGORITHM', () => {
        const url = good().replace('X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256');
        assertFails(validate(url), ['URL_ALGORITHM']);
      });

      it('a duplicate parameter → URL_DUPLICATE_PARAMETER', () => {
        assertFails(validate(`${good()}&X-Amz-Date=${AMZ_DATE}`), ['URL_DUPLICATE_PARAMETER']);
        assertFails(validate(`${good()}&X-Amz-Expires=900`), ['URL_DUPLICATE_PARAMETER']);
        // Written with an escape, a name is still the same parameter.
        assertFails(validate(`${good()}&X-Amz-Expire%73=900`), ['URL_DUPLICATE_PARAMETER']);
      });

      it('parameter names mean the same with or without percent-escapes', () => {
        const escapeOneCharacter = (name: string, at: number) =>
          `${name.slice(0, at)}%${name.charCodeAt(at).toString(16).toUpperCase()}${name.slice(at + 1)}`;
        fc.assert(
          fc.property(fc.array(fc.nat(), { minLength: 9, maxLength: 9 }), (positions) => {
            const [prefix, query] = good().split('?') as [string, string];
            const escaped = query
              .split('&')
              .map((pair, i) => {
                const [name, value] = pair.split('=') as [string, string];
                return `${escapeOneCharacter(name, (positions[i] ?? 0) % name.length)}=${value}`;
              })
              .join('&');
            assertValid(validate(`${prefix}?${escaped}`));
          }),
          { numRuns: 200 },
        );
      });

      it('a fragment → URL_FRAGMENT', () => {
        assertFails(validate(`${good()}#section`), ['URL_FRAGMENT']);
        assertFails(validate(`${good()}#`), ['URL_FRAGMENT']);
      });

      for (const path of [
        'photos/../secret.txt',
        '../secret.txt',
        'photos/%2E%2E/secret.txt',
        'photos/.%2e/secret.txt',
        'photos/%2e./secret.txt',
        'photos/./cat.jpg',
        'photos/%2e/cat.jpg',
        'photos/..',
      ]) {
        it(`a key with a dot segment (${path}) → URL_DOT_SEGMENT`, () => {
          assertFails(validate(`${m.prefix}${path}?${q()}`), ['URL_DOT_SEGMENT']);
        });
      }

      it('an empty key or one starting with "/" → URL_KEY', () => {
        assertFails(validate(`${m.prefix}?${q()}`), ['URL_KEY']);
        assertFails(validate(`${m.prefix}/photos/cat.jpg?${q()}`), ['URL_KEY']);
      });

      for (const path of [
        'photos/cat!.jpg',
        'photos/cat+picture.jpg',
        'photos/cat%3a.jpg',
        "photos/it's.jpg",
        'photos/a%2Fb.jpg',
      ]) {
        it(`a non-canonically encoded key (${path}) → URL_PATH`, () => {
          assertFails(validate(`${m.prefix}${path}?${q()}`), ['URL_PATH']);
        });
      }

      it('a key other than the one signed → URL_PATH', () => {
        assertFails(validate(good(), { bucket: m.bucket, key: 'photos/dog.jpg' }), ['URL_PATH']);
      });

      it('an access key other than the service credentials → URL_ACCESS_KEY', () => {
        assertFails(validate(good(), { accessKeyId: OTHER_CREDENTIALS.accessKeyId }), ['URL_ACCESS_KEY']);
      });

      it('a malformed credential scope → URL_CREDENTIAL_SCOPE', () => {
        assertFails(validate(good({ service: 'ec2' })), ['URL_CREDENTIAL_SCOPE']);
        assertFails(validate(good({ scopeDate: '20260228' })), ['URL_CREDENTIAL_SCOPE']);
        const noCredential = good().replace(/X-Amz-Credential=[^&]*&/, '');
        assertFails(validate(noCredential), ['URL_CREDENTIAL_SCOPE']);
      });

      for (const date of ['20260230T120000Z', '20260301T250000Z', '20260301T120000']) {
        it(`a malformed X-Amz-Date ${date} → URL_DATE`, () => {
          assertFails(validate(good({ date })), ['URL_DATE']);
        });
      }

      it('an ISO-8601 X-Amz-Date → URL_DATE', () => {
        assertFailsWith(validate(good({ date: '2026-03-01T12%3A00%3A00Z' })), 'URL_DATE');
      });
    });
  });
}

describe('validatePresignedUrl: SDK-signed URLs for every option pass', () => {
  const cases: Array<{
    name: string;
    env: Env;
    bucket: string;
    expectedUrlStart: string;
    region: string;
    /** The bucket the report reads back, when it differs from the one signed (ARNs in their / form). */
    reportBucket?: string;
  }> = [
    {
      name: 'regional FIPS',
      env: { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'us-east-1', S3_USE_FIPS: 'true', S3_BUCKETS: 'my-bucket' },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://my-bucket.s3-fips.us-east-1.amazonaws.com/photos/cat.jpg?',
      region: 'us-east-1',
    },
    {
      name: 'regional dual-stack',
      env: { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_USE_DUALSTACK: 'true', S3_BUCKETS: 'my-bucket' },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://my-bucket.s3.dualstack.eu-west-1.amazonaws.com/photos/cat.jpg?',
      region: 'eu-west-1',
    },
    {
      name: 'regional FIPS + dual-stack',
      env: {
        S3_ENDPOINT_MODE: 'regional',
        S3_REGION: 'us-east-1',
        S3_USE_FIPS: 'true',
        S3_USE_DUALSTACK: 'true',
        S3_BUCKETS: 'my-bucket',
      },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://my-bucket.s3-fips.dualstack.us-east-1.amazonaws.com/photos/cat.jpg?',
      region: 'us-east-1',
    },
    {
      name: 'regional China',
      env: { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'cn-north-1', S3_BUCKETS: 'my-bucket' },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://my-bucket.s3.cn-north-1.amazonaws.com.cn/photos/cat.jpg?',
      region: 'cn-north-1',
    },
    {
      name: 'regional GovCloud FIPS',
      env: { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'us-gov-west-1', S3_USE_FIPS: 'true', S3_BUCKETS: 'my-bucket' },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://my-bucket.s3-fips.us-gov-west-1.amazonaws.com/photos/cat.jpg?',
      region: 'us-gov-west-1',
    },
    {
      name: 'regional us-east-1 (regional host, never the global one)',
      env: { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'us-east-1', S3_BUCKETS: 'my-bucket' },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://my-bucket.s3.us-east-1.amazonaws.com/photos/cat.jpg?',
      region: 'us-east-1',
    },
    {
      name: 'regional dotted bucket (path-style)',
      env: { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_BUCKETS: 'my.dotted.bucket' },
      bucket: 'my.dotted.bucket',
      expectedUrlStart: 'https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/photos/cat.jpg?',
      region: 'eu-west-1',
    },
    {
      name: 'regional access point',
      env: { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_BUCKETS: 'x1y' },
      bucket: 'arn:aws:s3:eu-west-1:123456789012:accesspoint/my-ap',
      expectedUrlStart: 'https://my-ap-123456789012.s3-accesspoint.eu-west-1.amazonaws.com/photos/cat.jpg?',
      region: 'eu-west-1',
      reportBucket: 'arn:aws:s3:eu-west-1:123456789012:accesspoint/my-ap',
    },
    {
      name: 'regional access point, FIPS + dual-stack',
      env: {
        S3_ENDPOINT_MODE: 'regional',
        S3_REGION: 'us-east-1',
        S3_USE_FIPS: 'true',
        S3_USE_DUALSTACK: 'true',
        S3_BUCKETS: 'x1y',
      },
      bucket: 'arn:aws:s3:us-east-1:123456789012:accesspoint:my-ap',
      expectedUrlStart:
        'https://my-ap-123456789012.s3-accesspoint-fips.dualstack.us-east-1.amazonaws.com/photos/cat.jpg?',
      region: 'us-east-1',
      reportBucket: 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap',
    },
    {
      name: 'interface access point',
      env: { S3_ENDPOINT_MODE: 'interface', S3_REGION: 'us-east-1', S3_VPCE_DNS_NAME: VPCE, S3_BUCKETS: 'x1y' },
      bucket: 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap',
      expectedUrlStart: `https://my-ap-123456789012.accesspoint.${VPCE}/photos/cat.jpg?`,
      region: 'us-east-1',
      reportBucket: 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap',
    },
    {
      name: 'interface dotted bucket (path-style)',
      env: { S3_ENDPOINT_MODE: 'interface', S3_REGION: 'us-east-1', S3_VPCE_DNS_NAME: VPCE, S3_BUCKETS: 'x1y' },
      bucket: 'my.dotted.bucket',
      expectedUrlStart: `https://bucket.${VPCE}/my.dotted.bucket/photos/cat.jpg?`,
      region: 'us-east-1',
    },
    {
      name: 'accelerate dual-stack',
      env: {
        S3_ENDPOINT_MODE: 'accelerate',
        S3_REGION: 'us-east-1',
        S3_USE_DUALSTACK: 'true',
        S3_BUCKETS: 'my-bucket',
      },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://my-bucket.s3-accelerate.dualstack.amazonaws.com/photos/cat.jpg?',
      region: 'us-east-1',
    },
    {
      name: 'custom with a base path (path-style)',
      env: {
        S3_ENDPOINT_MODE: 'custom',
        S3_ENDPOINT_URL: 'https://gw.example.com/s3',
        S3_FORCE_PATH_STYLE: 'true',
        S3_BUCKETS: 'my-bucket',
      },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://gw.example.com/s3/my-bucket/photos/cat.jpg?',
      region: 'us-east-1',
    },
    {
      name: 'custom with a base path (virtual-hosted)',
      env: { S3_ENDPOINT_MODE: 'custom', S3_ENDPOINT_URL: 'https://gw.example.com/s3', S3_BUCKETS: 'my-bucket' },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://my-bucket.gw.example.com/s3/photos/cat.jpg?',
      region: 'us-east-1',
    },
    {
      name: 'custom with a base path written with a trailing slash (virtual-hosted)',
      env: { S3_ENDPOINT_MODE: 'custom', S3_ENDPOINT_URL: 'https://gw.example.com/s3/', S3_BUCKETS: 'my-bucket' },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://my-bucket.gw.example.com/s3/photos/cat.jpg?',
      region: 'us-east-1',
    },
    {
      name: 'custom with an IP host',
      env: { S3_ENDPOINT_MODE: 'custom', S3_ENDPOINT_URL: 'https://10.0.0.5:9000', S3_BUCKETS: 'my-bucket' },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://10.0.0.5:9000/my-bucket/photos/cat.jpg?',
      region: 'us-east-1',
    },
    {
      name: 'custom over http with a dotted bucket (virtual-hosted)',
      env: {
        S3_ENDPOINT_MODE: 'custom',
        S3_ENDPOINT_URL: 'http://minio.internal:9000',
        S3_ALLOW_HTTP: 'true',
        S3_BUCKETS: 'logs.example.bucket',
      },
      bucket: 'logs.example.bucket',
      expectedUrlStart: 'http://logs.example.bucket.minio.internal:9000/photos/cat.jpg?',
      region: 'us-east-1',
    },
    {
      name: 'custom R2 with region "auto"',
      env: {
        S3_ENDPOINT_MODE: 'custom',
        S3_ENDPOINT_URL: 'https://abc123.r2.cloudflarestorage.com',
        S3_REGION: 'auto',
        S3_BUCKETS: 'my-bucket',
      },
      bucket: 'my-bucket',
      expectedUrlStart: 'https://my-bucket.abc123.r2.cloudflarestorage.com/photos/cat.jpg?',
      region: 'auto',
    },
    {
      name: 'custom access point',
      env: {
        S3_ENDPOINT_MODE: 'custom',
        S3_ENDPOINT_URL: 'https://beta.example.com',
        S3_REGION: 'us-west-2',
        S3_BUCKETS: 'x1y',
      },
      bucket: 'arn:aws:s3:us-west-2:123456789012:accesspoint:myendpoint',
      expectedUrlStart: 'https://myendpoint-123456789012.beta.example.com/photos/cat.jpg?',
      region: 'us-west-2',
      // A custom endpoint's access-point host reads back as a virtual-hosted bucket name.
      reportBucket: 'myendpoint-123456789012',
    },
    {
      name: 'local with another port',
      env: { S3_ENDPOINT_MODE: 'local', LOCAL_S3_PORT: '4999' },
      bucket: 'local-uploads',
      expectedUrlStart: 'http://127.0.0.1:4999/local-uploads/photos/cat.jpg?',
      region: 'us-east-1',
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const config = configFrom(c.env);
      const bundle = await createPresigner(config, {
        credentials: staticCredentialSource(EXAMPLE_CREDENTIALS),
        now,
      });
      try {
        for (const operation of ['get', 'put'] as const) {
          const { url } = await bundle.presigner.presign({ operation, bucket: c.bucket, key: KEY, expiresIn: 600 });
          assert.ok(
            url.startsWith(c.expectedUrlStart),
            `${operation} URL ${url}\nexpected to start ${c.expectedUrlStart}`,
          );
          assert.ok(url.includes(`X-Amz-Credential=${ACCESS_KEY}%2F20260301%2F${c.region}%2Fs3%2Faws4_request`), url);
          const report = validatePresignedUrl(url, policyFor(config));
          assertValid(report);
          assert.equal(report.bucket, c.reportBucket ?? c.bucket);
          assert.equal(report.key, KEY);
          assert.equal(report.region, c.region);
        }
      } finally {
        bundle.close();
      }
    });
  }
});

describe('validatePresignedUrl: URLs from other tools', () => {
  const usEast1 = policyFor(
    configFrom({ S3_ENDPOINT_MODE: 'regional', S3_REGION: 'us-east-1', S3_BUCKETS: 'my-bucket' }),
  );
  const euWest1 = policyFor(
    configFrom({ S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_BUCKETS: 'my-bucket' }),
  );

  it('boto3 for us-east-1 (SigV4 on the global host) is refused with URL_GLOBAL_ENDPOINT', () => {
    const url =
      'https://my-bucket.s3.amazonaws.com/photos/cat.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
      `&X-Amz-Credential=${ACCESS_KEY}%2F20260301%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=${AMZ_DATE}` +
      `&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=${SIGNATURE}`;
    assertFails(validatePresignedUrl(url, usEast1), ['URL_GLOBAL_ENDPOINT']);
    assertFails(validatePresignedUrl(url, usEast1, { bucket: 'my-bucket', key: 'photos/cat.jpg' }), [
      'URL_GLOBAL_ENDPOINT',
    ]);
  });

  it('boto3 for us-east-1 (SigV2 on the global host) is refused for the host and the algorithm', () => {
    const url =
      `https://my-bucket.s3.amazonaws.com/photos/cat.jpg?AWSAccessKeyId=${ACCESS_KEY}` +
      `&Signature=${encodeURIComponent('vjbyPxybdZaNmGa+yT272YEAiv4=')}&Expires=1772370000`;
    const report = validatePresignedUrl(url, usEast1);
    assertFailsWith(report, 'URL_GLOBAL_ENDPOINT');
    assertFailsWith(report, 'URL_ALGORITHM');
  });

  it('the AWS CLI (aws s3 presign) on the right regional host passes with no expectation', () => {
    const url =
      'https://my-bucket.s3.eu-west-1.amazonaws.com/photos/2026/cat%20picture.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
      `&X-Amz-Credential=${ACCESS_KEY}%2F20260301%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20260301T115500Z` +
      `&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=${SIGNATURE}`;
    const report = validatePresignedUrl(url, euWest1);
    assertValid(report);
    assert.equal(report.bucket, 'my-bucket');
    assert.equal(report.key, 'photos/2026/cat picture.jpg');
    assert.equal(report.addressing, 'virtual-hosted');
    assert.equal(report.region, 'eu-west-1');
    assert.equal(report.signedAt, '2026-03-01T11:55:00.000Z');
    assert.equal(report.expiresAt, '2026-03-01T12:55:00.000Z');
    assert.deepEqual(report.signedHeaders, ['host']);
  });

  it('boto3 with temporary credentials, a response override and a dotted bucket (path-style) passes', () => {
    const url =
      'https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/reports/q1.pdf?response-content-disposition=attachment' +
      `&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${EXAMPLE_TEMPORARY_KEY_ID}%2F20260301%2Feu-west-1%2Fs3%2Faws4_request` +
      `&X-Amz-Date=20260301T115900Z&X-Amz-Expires=600&X-Amz-SignedHeaders=host` +
      `&X-Amz-Security-Token=${encodeURIComponent('IQoJb3JpZ2luX2VjEXAMPLE/+=')}&X-Amz-Signature=${SIGNATURE}`;
    const report = validatePresignedUrl(url, euWest1);
    assertValid(report);
    assert.equal(report.bucket, 'my.dotted.bucket');
    assert.equal(report.key, 'reports/q1.pdf');
    assert.equal(report.addressing, 'path-style');
  });

  it('an access-point URL from another tool reports the access point ARN', () => {
    const url =
      'https://my-ap-123456789012.s3-accesspoint.eu-west-1.amazonaws.com/photos/cat.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
      `&X-Amz-Credential=${ACCESS_KEY}%2F20260301%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=${AMZ_DATE}` +
      `&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${SIGNATURE}`;
    const report = validatePresignedUrl(url, euWest1);
    assertValid(report);
    assert.equal(report.bucket, 'arn:aws:s3:eu-west-1:123456789012:accesspoint/my-ap');
    assert.equal(report.addressing, 'access-point');
    assert.equal(report.key, 'photos/cat.jpg');
  });

  it('an interface-endpoint access-point URL is read back in interface mode', () => {
    const policy = policyFor(
      configFrom({ S3_ENDPOINT_MODE: 'interface', S3_REGION: 'us-east-1', S3_VPCE_DNS_NAME: VPCE, S3_BUCKETS: 'b1b' }),
    );
    const url = `https://my-ap-123456789012.accesspoint.${VPCE}/photos/cat.jpg?${sigv4Query({ region: 'us-east-1' })}`;
    const report = validatePresignedUrl(url, policy);
    assertValid(report);
    assert.equal(report.bucket, 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap');
    assert.equal(report.addressing, 'access-point');
  });

  it('a regional URL in interface mode (the public route) is refused with URL_HOST', () => {
    const policy = policyFor(
      configFrom({ S3_ENDPOINT_MODE: 'interface', S3_REGION: 'us-east-1', S3_VPCE_DNS_NAME: VPCE, S3_BUCKETS: 'b1b' }),
    );
    const url = `https://my-bucket.s3.us-east-1.amazonaws.com/photos/cat.jpg?${sigv4Query({ region: 'us-east-1' })}`;
    assertFails(validatePresignedUrl(url, policy), ['URL_HOST']);
  });
});

describe('validatePresignedUrl: a wrong host is reported as URL_HOST whatever the addressing style', () => {
  // A path-style URL on another host is first of all on the wrong host: reporting only
  // URL_ADDRESSING_STYLE would tell the operator the route is right when it is not.
  it('interface mode: path-style URL on the public regional host, bucket known', () => {
    const policy = policyFor(
      configFrom({
        S3_ENDPOINT_MODE: 'interface',
        S3_REGION: 'us-east-1',
        S3_VPCE_DNS_NAME: VPCE,
        S3_BUCKETS: 'my-bucket',
      }),
    );
    const url = `https://s3.us-east-1.amazonaws.com/my-bucket/photos/cat.jpg?${sigv4Query({ region: 'us-east-1' })}`;
    assertFailsWith(validatePresignedUrl(url, policy, { bucket: 'my-bucket', key: KEY }), 'URL_HOST');
  });

  it('regional mode: path-style URL on another region’s host, bucket known', () => {
    const policy = policyFor(
      configFrom({ S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_BUCKETS: 'my-bucket' }),
    );
    const url = `https://s3.us-west-2.amazonaws.com/my-bucket/photos/cat.jpg?${sigv4Query({ region: 'eu-west-1' })}`;
    assertFailsWith(validatePresignedUrl(url, policy, { bucket: 'my-bucket', key: KEY }), 'URL_HOST');
  });
});

describe('validatePresignedUrl: malformed input', () => {
  const policy = policyFor(
    configFrom({ S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_BUCKETS: 'my-bucket' }),
  );
  for (const url of [
    '',
    'not a url',
    '/my-bucket/photos/cat.jpg',
    'my-bucket.s3.eu-west-1.amazonaws.com/photos/cat.jpg',
  ]) {
    it(`${JSON.stringify(url)} → URL_MALFORMED`, () => {
      assertFails(validatePresignedUrl(url, policy), ['URL_MALFORMED']);
    });
  }

  it('bad percent-encoding in the query → URL_MALFORMED', () => {
    const url = `https://my-bucket.s3.eu-west-1.amazonaws.com/photos/cat.jpg?${sigv4Query({ region: 'eu-west-1' })}&bad=%E0%A4%A`;
    assertFailsWith(validatePresignedUrl(url, policy), 'URL_MALFORMED');
  });

  it('a host that is no endpoint of the mode → URL_HOST, and the report names no bucket', () => {
    const report = validatePresignedUrl(
      `https://example.com/my-bucket/photos/cat.jpg?${sigv4Query({ region: 'eu-west-1' })}`,
      policy,
    );
    assertFails(report, ['URL_HOST']);
    assert.equal(report.bucket, undefined);
  });
});
