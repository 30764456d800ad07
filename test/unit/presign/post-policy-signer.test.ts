// The POST policy signer against @aws-sdk/s3-presigned-post's createPresignedPost: the same
// URL, fields, policy and signature, byte for byte, over every endpoint mode, for generated
// keys, types, sizes, credentials and dates. createPresignedPost reads the clock itself, so
// the clock is mocked to the signing date. Replay with POST_POLICY_SEED=<seed>.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, describe, it, mock } from 'node:test';

import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import fc from 'fast-check';

import type { EndpointMode } from '../../../src/endpoint/endpoint-mode.js';
import { objectKeyProblem } from '../../../src/endpoint/object-key.js';
import { partitionOfRegion } from '../../../src/endpoint/partitions.js';
import { createPinnedS3, type PinnedS3 } from '../../../src/endpoint/s3-client.js';
import { PostPolicySigner, type PostPolicyRequest } from '../../../src/presign/post-policy-signer.js';
import { accelerateMode, customMode, interfaceMode, localMode, regionalMode } from '../../fixtures/endpoint-modes.js';

const RUNS = 1500;
const SEED = process.env.POST_POLICY_SEED ? Number(process.env.POST_POLICY_SEED) : undefined;

// Every option each mode allows, built as loadConfig builds it from an operator's variables.
const MODES: EndpointMode[] = [
  ...['us-east-1', 'eu-west-1', 'cn-north-1', 'us-gov-west-1'].flatMap((region) => {
    const { supportsFips, supportsDualStack } = partitionOfRegion(region)!;
    return [false, true].flatMap((fips) =>
      [false, true].flatMap((dualstack) =>
        [false, true].map((pathStyle) =>
          regionalMode(region, { fips: fips && supportsFips, dualstack: dualstack && supportsDualStack, pathStyle }),
        ),
      ),
    );
  }),
  ...[false, true].map((pathStyle) => interfaceMode('us-east-1', { pathStyle })),
  accelerateMode('eu-west-1'),
  accelerateMode('us-east-1', { dualstack: true }),
  ...['https://minio.internal:9000', 'http://10.0.0.5:9000', 'https://storage.example.com/base/path'].flatMap(
    (endpoint) => [false, true].map((pathStyle) => customMode(endpoint, { pathStyle, region: 'auto' })),
  ),
  localMode(4568),
];

const pinned = new Map<EndpointMode, { s3: PinnedS3; signer: PostPolicySigner }>();
after(() => {
  for (const { s3 } of pinned.values()) s3.destroy();
});
function signerFor(mode: EndpointMode) {
  let entry = pinned.get(mode);
  if (!entry) {
    const s3 = createPinnedS3(mode, async () => ({ accessKeyId: 'AKIDCLIENTONLY', secretAccessKey: 'never-signs' }));
    entry = { s3, signer: new PostPolicySigner(s3) };
    pinned.set(mode, entry);
  }
  return entry;
}

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/);
const bucket = fc.oneof(
  { weight: 4, arbitrary: label.filter((name) => name.length >= 3 && !/--(x|op|xa)-s3$/.test(name)) },
  {
    weight: 1,
    arbitrary: fc
      .array(label, { minLength: 2, maxLength: 3 })
      .map((labels) => labels.join('.'))
      .filter((name) => name.length <= 63 && !/--(x|op|xa)-s3$/.test(name)),
  },
);
const key = fc
  .oneof(
    fc.stringMatching(/^[A-Za-z0-9/._ -]{1,60}$/),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
    fc.constantFrom('uploads/7f3a/caf\u00e9 \ud83d\ude00.png', 'a"b\\c', '</script>', '${filename}x'),
  )
  .filter((candidate) => objectKeyProblem(candidate) === undefined && !candidate.endsWith('${filename}'));
const base64ish = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9+/]{${min},${max}}={0,2}$`));
const credentials: fc.Arbitrary<AwsCredentialIdentity> = fc.record(
  {
    accessKeyId: fc.stringMatching(/^A[A-Z0-9]{15,19}$/),
    secretAccessKey: base64ish(30, 40),
    sessionToken: base64ish(40, 400),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
);
// Fields the service decides: encryption, tagging and x-amz-meta-*, as the form sends them.
const serverFields = fc
  .tuple(
    fc.oneof(
      fc.constant({}),
      fc.constant({ 'x-amz-server-side-encryption': 'AES256' }),
      fc.record(
        {
          'x-amz-server-side-encryption': fc.constantFrom('aws:kms', 'aws:kms:dsse'),
          'x-amz-server-side-encryption-aws-kms-key-id': fc.constant(
            'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          ),
          'x-amz-server-side-encryption-bucket-key-enabled': fc.constantFrom('true', 'false'),
        },
        { requiredKeys: ['x-amz-server-side-encryption'] },
      ),
    ),
    fc.dictionary(
      fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,15}$/).map((name) => `x-amz-meta-${name}`),
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      { maxKeys: 3 },
    ),
    fc.option(fc.constantFrom('a=b', 'source=s3-presign&retention=30d'), { nil: undefined }),
  )
  .map(
    ([sse, metadata, tagging]) =>
      ({
        ...sse,
        ...metadata,
        ...(tagging === undefined ? {} : { tagging }),
      }) as Record<string, string>,
  );
const request: fc.Arbitrary<Omit<PostPolicyRequest, 'bucket'>> = fc
  .record({
    key,
    contentType: fc.constantFrom('image/png', 'application/pdf', 'text/plain; charset=utf-8', 'video/mp4'),
    min: fc.integer({ min: 0, max: 5 * 1024 ** 3 }),
    extra: fc.integer({ min: 0, max: 1024 ** 2 }),
    successActionStatus: fc.constantFrom('200' as const, '201' as const, '204' as const),
    expiresIn: fc.integer({ min: 1, max: 604_800 }),
    signingDate: fc.date({
      min: new Date('2013-01-01T00:00:00Z'),
      max: new Date('2030-12-31T23:59:59Z'),
      noInvalidDate: true,
    }),
    credentials,
    fields: fc.option(serverFields, { nil: undefined }),
  })
  .map(({ min, extra, ...rest }) => ({ ...rest, contentLengthRange: [min, min + extra] as const }));

describe('POST policies: ours = createPresignedPost, byte for byte', () => {
  it(`signs the same URL, fields and signature (${RUNS} cases)`, async () => {
    let signed = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...MODES), bucket, request, async (mode, bucketName, rest) => {
        const { s3, signer } = signerFor(mode);
        const full: PostPolicyRequest = { ...rest, bucket: bucketName };
        let ours: Awaited<ReturnType<PostPolicySigner['sign']>> | 'refused';
        try {
          ours = await signer.sign(full);
        } catch {
          ours = 'refused';
        }
        const client = s3.clientFor(bucketName);
        const overlay = {
          config: { ...client.config, credentials: async () => full.credentials },
          middlewareStack: client.middlewareStack,
        } as unknown as S3Client;
        mock.timers.enable({ apis: ['Date'], now: full.signingDate });
        let theirs: Awaited<ReturnType<typeof createPresignedPost>> | 'refused';
        try {
          theirs = await createPresignedPost(overlay, {
            Bucket: bucketName,
            Key: full.key,
            Fields: {
              'Content-Type': full.contentType,
              success_action_status: full.successActionStatus,
              ...full.fields,
            },
            Conditions: [['content-length-range', ...full.contentLengthRange]],
            Expires: full.expiresIn,
          });
        } catch {
          theirs = 'refused';
        } finally {
          mock.timers.reset();
        }
        if (ours === 'refused' || theirs === 'refused') {
          assert.equal(ours, theirs, `${JSON.stringify(mode)} ${bucketName}`);
          return;
        }
        signed++;
        assert.equal(ours.url, theirs.url);
        // Same names in the same order, same values.
        assert.deepEqual(Object.entries(ours.fields), Object.entries(theirs.fields));
        assert.equal(Buffer.from(ours.fields.Policy as string, 'base64').toString('utf8'), ours.policyDocument);
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    // Both refusing everything would also be "equal": nearly every case must really sign.
    assert.ok(signed >= RUNS * 0.9, `only ${signed} of ${RUNS} cases produced a policy`);
  });
});
