// The fast engine against the SDK's getSignedUrl: byte-identical URLs (or both refusing) for
// generated requests over every endpoint mode and option, with the same pinned clients and a
// fixed signing date. fast-check prints the seed and the shrunk counterexample on failure;
// replay one with SIGNER_EQUIVALENCE_SEED=<seed>.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import type { AwsCredentialIdentity } from '@aws-sdk/types';
import fc from 'fast-check';

import type { EndpointMode } from '../../../src/endpoint/endpoint-mode.js';
import { objectKeyProblem } from '../../../src/endpoint/object-key.js';
import { partitionOfRegion } from '../../../src/endpoint/partitions.js';
import { createPinnedS3, type PinnedS3 } from '../../../src/endpoint/s3-client.js';
import { FastSigner } from '../../../src/presign/fast-signer.js';
import { SdkSigner } from '../../../src/presign/sdk-signer.js';
import type { SigningRequest, UrlSigner } from '../../../src/presign/url-signer.js';
import { EXAMPLE_CREDENTIALS, EXAMPLE_TEMPORARY_KEY_ID } from '../../fixtures/credentials.js';
import { accelerateMode, customMode, interfaceMode, localMode, regionalMode } from '../../fixtures/endpoint-modes.js';

/** At least 5,000 generated cases in all, split across the suites below. */
const RUNS = { regional: 3000, interface: 1200, accelerate: 800, custom: 2000, local: 1000 };
const SEED = process.env.SIGNER_EQUIVALENCE_SEED ? Number(process.env.SIGNER_EQUIVALENCE_SEED) : undefined;

const CLIENT_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'AKIDCLIENTONLY', secretAccessKey: 'never-signs' };

class DelegationError extends Error {}
/** The fast engine must sign every case here itself: delegating would make equality trivial. */
const noDelegation: UrlSigner = {
  engine: 'sdk',
  sign: async () => {
    throw new DelegationError('the fast engine delegated to the SDK');
  },
};

interface Engines {
  fast: FastSigner;
  sdk: SdkSigner;
}
const pinned = new Map<string, { s3: PinnedS3; engines: Engines }>();
after(() => {
  for (const { s3 } of pinned.values()) s3.destroy();
});

function enginesFor(mode: EndpointMode): Engines {
  const id = JSON.stringify(mode);
  let entry = pinned.get(id);
  if (!entry) {
    const s3 = createPinnedS3(mode, async () => CLIENT_CREDENTIALS);
    entry = { s3, engines: { fast: new FastSigner(s3, { fallback: noDelegation }), sdk: new SdkSigner(s3) } };
    pinned.set(id, entry);
  }
  return entry.engines;
}

// ---- endpoint modes, each with every option it allows, built as loadConfig builds them -

const AWS_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1'];

// FIPS and dual-stack are drawn everywhere but asked for only where the partition has them:
// loadConfig refuses the rest.
const regionalModes: fc.Arbitrary<EndpointMode> = fc
  .record({
    region: fc.constantFrom(...AWS_REGIONS),
    fips: fc.boolean(),
    dualstack: fc.boolean(),
    pathStyle: fc.boolean(),
  })
  .map(({ region, fips, dualstack, pathStyle }) => {
    const { supportsFips, supportsDualStack } = partitionOfRegion(region)!;
    return regionalMode(region, { fips: fips && supportsFips, dualstack: dualstack && supportsDualStack, pathStyle });
  });

const interfaceModes: fc.Arbitrary<EndpointMode> = fc
  .record({ region: fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1'), pathStyle: fc.boolean() })
  .map(({ region, pathStyle }) => interfaceMode(region, { pathStyle }));

const accelerateModes: fc.Arbitrary<EndpointMode> = fc
  .record({ region: fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2'), dualstack: fc.boolean() })
  .map(({ region, dualstack }) => accelerateMode(region, { dualstack }));

const customModes: fc.Arbitrary<EndpointMode> = fc
  .record({
    endpoint: fc.constantFrom(
      'https://minio.internal:9000',
      'http://minio.internal:9000',
      'https://storage.example.com',
      'https://storage.example.com/base/path',
      'http://10.0.0.5:9000',
      'http://localhost:9000/s3',
      'https://[fd00::1]:9443',
    ),
    region: fc.constantFrom('us-east-1', 'auto', 'eu-central-1', 'garage'),
    pathStyle: fc.boolean(),
  })
  .map(({ endpoint, region, pathStyle }) => customMode(endpoint, { region, pathStyle }));

const localModes: fc.Arbitrary<EndpointMode> = fc.constantFrom(4568, 9000, 38_211).map((port) => localMode(port));

// ---- buckets ----------------------------------------------------------------------------

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/);
const dnsBucket = label.filter((name) => name.length >= 3);
const dottedBucket = fc
  .array(label, { minLength: 2, maxLength: 4 })
  .map((labels) => labels.join('.'))
  .filter((name) => name.length <= 63);
// Legal in S3's legacy charset but not as a host label: the SDK falls back to path-style.
const legacyBucket = fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/);
const notExpress = (name: string) => !/--(x|op|xa)-s3$/.test(name) && !name.startsWith('arn:');
const bucketName = fc.oneof(dnsBucket, dottedBucket, legacyBucket, fc.constant('192.168.5.4')).filter(notExpress);

const accessPoints = new Map<string, fc.Arbitrary<string>>();

function accessPoint(mode: EndpointMode): fc.Arbitrary<string> {
  const partitionName = 'partition' in mode ? mode.partition.name : 'aws';
  const id = `${partitionName}/${mode.region}`;
  const known = accessPoints.get(id);
  if (known) return known;
  const arbitrary = fc
    .record({
      region: fc.constantFrom(mode.region, mode.region, 'us-west-2'),
      account: fc.stringMatching(/^\d{12}$/),
      name: fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/),
      separator: fc.constantFrom('/', ':'),
    })
    .map(
      ({ region, account, name, separator }) =>
        `arn:${partitionName}:s3:${region}:${account}:accesspoint${separator}${name}`,
    );
  accessPoints.set(id, arbitrary);
  return arbitrary;
}

/** Access points have no host to go on when the endpoint is an IP address (the SDK logs, both refuse). */
const takesAccessPoints = (mode: EndpointMode) =>
  !(mode.kind === 'custom' && /^(\d+\.){3}\d+$|^\[/.test(mode.endpoint.hostname)) && mode.kind !== 'local';

// ---- keys ------------------------------------------------------------------------------

// prettier-ignore
const KEY_PIECES = [
  'a', 'Z', '0', '9', '-', '_', '.', '~', ' ', '  ', '+', '%', '%2F', '%20', '!', "'", '(', ')', '*', '/', '//',
  '?', '#', '&', '=', ':', '@', ',', ';', '$', '[', ']', '{', '}', '"', '<', '>', '\\', '^', '`', '|',
  '\u00e9', 'e\u0301', 'caf\u00e9', 'cafe\u0301', '\u00a0', '\u4e2d\u6587', '\ud83d\ude00', '\u00df', '\u212b',
  'reports', '2026', 'q1 summary.pdf', "it's (v2)*!.txt",
];

/** At most `bytes` of UTF-8, cut between code points. */
function truncateUtf8(text: string, bytes: number): string {
  let out = '';
  let used = 0;
  for (const char of text) {
    used += Buffer.byteLength(char, 'utf8');
    if (used > bytes) break;
    out += char;
  }
  return out;
}

const pieces = (minLength: number, maxLength: number) =>
  fc.array(fc.constantFrom(...KEY_PIECES), { minLength, maxLength }).map((parts) => parts.join(''));

const objectKey = fc
  .oneof(
    { weight: 6, arbitrary: pieces(1, 24) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((s) => s.normalize('NFD')),
    },
    { weight: 1, arbitrary: pieces(300, 600).map((key) => truncateUtf8(key, 1024)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'x'.repeat(1024),
        '\u00e9'.repeat(512),
        '\ud83d\ude00'.repeat(256),
        `${'a/'.repeat(511)}b`,
        `${'%'.repeat(1023)}!`,
      ),
    },
  )
  // Only what the Presigner would hand an engine.
  .filter((key) => objectKeyProblem(key) === undefined);

// ---- headers, overrides, credentials, expiry -------------------------------------------

const contentType = fc.oneof(
  fc.constantFrom(
    'text/plain',
    'text/plain; charset=utf-8',
    'text/plain;  charset=utf-8',
    'text/plain;\tcharset=utf-8',
    'application/json',
    'image/png',
    'multipart/form-data; boundary="a  b"',
    'application/vnd.api+json',
    "application/x-www-form-urlencoded; charset='x'",
  ),
  fc
    .tuple(fc.stringMatching(/^[a-z]{1,10}$/), fc.stringMatching(/^[a-z0-9.+-]{1,15}$/))
    .map(([type, subtype]) => `${type}/${subtype}`),
);
// Server-decided headers: encryption, tagging and x-amz-meta-* (provenance), which getSignedUrl
// would hoist into the query unless told to keep them as headers.
const sseHeaders = fc.oneof(
  fc.constant({}),
  fc.constant({ 'x-amz-server-side-encryption': 'AES256' }),
  fc
    .record(
      {
        'x-amz-server-side-encryption': fc.constantFrom('aws:kms', 'aws:kms:dsse'),
        'x-amz-server-side-encryption-aws-kms-key-id': fc.constantFrom(
          'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          'arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
          'minio-key',
        ),
        'x-amz-server-side-encryption-bucket-key-enabled': fc.constantFrom('true', 'false'),
      },
      { requiredKeys: ['x-amz-server-side-encryption'] },
    )
    .map((headers) => ({ ...headers }) as Record<string, string>),
);
const metadataHeaders = fc
  .dictionary(
    fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,15}$/).map((name) => `x-amz-meta-${name}`),
    fc.stringMatching(/^[\x21-\x7e](?:[\x20-\x7e]{0,38}[\x21-\x7e])?$/),
    { maxKeys: 3 },
  )
  .map((headers) => ({ ...headers }));
const taggingHeader = fc.option(
  fc.stringMatching(
    /^[A-Za-z0-9._-]{1,10}=[A-Za-z0-9._%+-]{0,20}(?:&[A-Za-z0-9._-]{1,10}=[A-Za-z0-9._%+-]{0,20}){0,3}$/,
  ),
  {
    nil: undefined,
  },
);
const checksum = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('base64'));
const disposition = fc.oneof(
  fc.constantFrom(
    'attachment',
    'attachment; filename="Q1 report (final).pdf"',
    "attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf",
    'inline; filename="a+b=c&d?.txt"',
    'attachment; filename="caf\u00e9 \ud83d\ude00.txt"',
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((text) => !/[\u0000-\u001f\u007f]/.test(text)),
);

const base64ish = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9+/]{${min},${max}}={0,2}$`));
const credentials: fc.Arbitrary<AwsCredentialIdentity> = fc.record(
  {
    accessKeyId: fc.oneof(
      fc.constantFrom(EXAMPLE_CREDENTIALS.accessKeyId, EXAMPLE_TEMPORARY_KEY_ID),
      fc.stringMatching(/^A[A-Z0-9]{15,19}$/),
    ),
    secretAccessKey: base64ish(30, 40),
    sessionToken: base64ish(40, 400),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
);

const SIGNING_DATES = [
  new Date('2026-03-01T12:00:00Z'),
  new Date('2024-02-29T23:59:59.999Z'),
  new Date('2013-05-24T00:00:00Z'),
];

type Unbucketed = Omit<SigningRequest, 'bucket'>;

function unbucketedRequest(): fc.Arbitrary<Unbucketed> {
  const common = {
    key: objectKey,
    expiresIn: fc.oneof(fc.integer({ min: 1, max: 604_800 }), fc.constantFrom(1, 604_800)),
    signingDate: fc.constantFrom(...SIGNING_DATES),
    credentials,
    // The service signs a grant id into every URL; the engines must agree with and without one.
    grant: fc.option(fc.uuid({ version: 4 }), { nil: undefined }),
  };
  const get = fc.record({
    ...common,
    operation: fc.constant('get' as const),
    headers: fc.constant({}),
    responseContentDisposition: fc.option(disposition, { nil: undefined }),
    partNumber: fc.option(fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom(1, 10_000)), {
      nil: undefined,
    }),
  });
  const put = fc.record({
    ...common,
    operation: fc.constant('put' as const),
    headers: fc
      .tuple(
        fc.record(
          {
            'content-type': contentType,
            'content-length': fc.integer({ min: 0, max: 5 * 1024 ** 3 }).map(String),
            'x-amz-checksum-sha256': checksum,
          },
          { requiredKeys: [] },
        ),
        sseHeaders,
        metadataHeaders,
        taggingHeader,
      )
      .map(
        ([own, sse, metadata, tagging]) =>
          ({ ...own, ...sse, ...metadata, ...(tagging === undefined ? {} : { 'x-amz-tagging': tagging }) }) as Record<
            string,
            string
          >,
      ),
  });
  // Part URLs: S3's upload IDs are long base64-like strings; any string must still sign alike.
  const uploadPart = fc.record({
    ...common,
    operation: fc.constant('upload-part' as const),
    headers: fc
      .record(
        { 'content-length': fc.integer({ min: 0, max: 5 * 1024 ** 3 }).map(String), 'x-amz-checksum-sha256': checksum },
        { requiredKeys: [] },
      )
      .map((headers) => ({ ...headers }) as Record<string, string>),
    part: fc.record({
      uploadId: fc.oneof(
        fc.stringMatching(/^[A-Za-z0-9._-]{20,160}$/),
        base64ish(20, 120),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      ),
      partNumber: fc.integer({ min: 1, max: 10_000 }),
    }),
  });
  return fc.oneof(get, put, uploadPart);
}

// ---- the property ----------------------------------------------------------------------

type Outcome = { url: string } | { refused: true };

async function outcome(sign: () => string | Promise<string>): Promise<Outcome> {
  try {
    return { url: await sign() };
  } catch (error) {
    if (error instanceof DelegationError) throw error;
    return { refused: true };
  }
}

const requests = unbucketedRequest();

function equivalence(
  name: string,
  modes: fc.Arbitrary<EndpointMode>,
  runs: number,
  buckets: (mode: EndpointMode) => fc.Arbitrary<string>,
) {
  it(`${name}: fast and sdk sign the same bytes (${runs} cases)`, async () => {
    let signed = 0;
    const cases = fc
      .tuple(modes, requests)
      .chain(([mode, rest]) =>
        buckets(mode).map((bucket): [EndpointMode, SigningRequest] => [mode, { ...rest, bucket }]),
      );
    await fc.assert(
      fc.asyncProperty(cases, async ([mode, request]) => {
        const { fast, sdk } = enginesFor(mode);
        const [fromFast, fromSdk] = [await outcome(() => fast.sign(request)), await outcome(() => sdk.sign(request))];
        assert.deepEqual(fromFast, fromSdk);
        if ('url' in fromFast) {
          signed++;
          // Equal because both carry the grant, not because both dropped it.
          if (request.grant !== undefined) assert.ok(fromFast.url.endsWith(`&x-s3p-grant=${request.grant}`));
        }
      }),
      { numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    // Both refusing everything would also be "equal": most cases must really sign.
    assert.ok(signed >= runs * 0.6, `only ${signed} of ${runs} cases produced a URL`);
  });
}

describe('signer equivalence: fast = sdk, byte for byte', () => {
  const withAccessPoints = (mode: EndpointMode) =>
    takesAccessPoints(mode)
      ? fc.oneof({ weight: 3, arbitrary: bucketName }, { weight: 1, arbitrary: accessPoint(mode) })
      : bucketName;
  // Acceleration refuses anything but DNS-compatible names: mostly those, some refusals.
  const mostlyDns = () =>
    fc.oneof({ weight: 6, arbitrary: dnsBucket.filter(notExpress) }, { weight: 1, arbitrary: bucketName });
  equivalence('regional', regionalModes, RUNS.regional, withAccessPoints);
  equivalence('interface', interfaceModes, RUNS.interface, withAccessPoints);
  equivalence('accelerate', accelerateModes, RUNS.accelerate, mostlyDns);
  equivalence('custom', customModes, RUNS.custom, withAccessPoints);
  equivalence('local', localModes, RUNS.local, () => bucketName);

  it('covers keys and values the SDK escapes in every way, each signed identically', async () => {
    const mode = regionalMode('eu-west-1');
    const { fast, sdk } = enginesFor(mode);
    const keys = ['a b', 'a+b', 'a%b', "!'()*", 'a//b', '?#&=', 'caf\u00e9', 'cafe\u0301', 'x'.repeat(1024)];
    for (const key of keys) {
      const variants: Array<
        Pick<SigningRequest, 'operation' | 'headers' | 'responseContentDisposition' | 'partNumber'>
      > = [
        { operation: 'get', headers: {}, responseContentDisposition: 'attachment; filename="a b.txt"' },
        {
          operation: 'get',
          headers: { 'x-amz-checksum-mode': 'ENABLED' },
          partNumber: 10_000,
          responseContentDisposition: 'attachment',
        },
        {
          operation: 'put',
          headers: {
            'content-type': 'text/plain;  charset=utf-8',
            'content-length': '0',
            'x-amz-checksum-sha256': 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
            'x-amz-server-side-encryption': 'aws:kms',
            'x-amz-server-side-encryption-aws-kms-key-id':
              'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
            'x-amz-server-side-encryption-bucket-key-enabled': 'true',
            'x-amz-meta-uploaded-by': 'caller  web/alice',
            'x-amz-tagging': 'source=s3-presign&retention=30d',
          },
        },
      ];
      for (const request of variants) {
        const full: SigningRequest = {
          ...request,
          bucket: 'my.dotted.bucket',
          key,
          expiresIn: 900,
          signingDate: SIGNING_DATES[0] as Date,
          credentials: { accessKeyId: EXAMPLE_TEMPORARY_KEY_ID, secretAccessKey: 'wJalr/+', sessionToken: 'a+b/c=' },
        };
        const url = await sdk.sign(full);
        assert.equal(await fast.sign(full), url, `${request.operation} ${JSON.stringify(key)}`);
        // Every header is signed as a header, none hoisted into the query.
        const query = new URL(url).searchParams;
        assert.deepEqual(
          query.get('X-Amz-SignedHeaders')?.split(';'),
          ['host', ...Object.keys(request.headers)].sort(),
        );
        assert.deepEqual(
          [...query.keys()].filter((name) => name.startsWith('x-amz-')),
          [],
        );
      }
    }
  });
});
