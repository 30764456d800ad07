// POST policy forms from elsewhere (POST /verify with fields): a form the AWS SDK for
// JavaScript's createPresignedPost makes passes, with conditions of its own choosing, and each
// change that makes it unsafe or unusable here is refused with its own code. boto3's forms
// are checked with boto3 itself in test/integration/foreign-post-forms.test.ts.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { validatePostForm } from '../../../src/verify/post-form-validator.js';
import type { PostPolicyForm } from '../../../src/verify/post-policy-validator.js';
import { validatorPolicy } from '../../../src/verify/url-validator.js';
import { configFrom, EXAMPLE_CREDENTIALS } from '../../helpers.js';

const config = configFrom({
  S3_ENDPOINT_MODE: 'regional',
  S3_REGION: 'eu-west-3',
  S3_BUCKETS: 'my-bucket',
  AUTH_CLIENTS_FILE: '/dev/null',
});
const policy = validatorPolicy(config);
const client = new S3Client({ region: 'eu-west-3', credentials: EXAMPLE_CREDENTIALS });

/** What createPresignedPost makes for my-bucket, with a key prefix and size range of its own. */
async function sdkForm(options: Partial<Parameters<typeof createPresignedPost>[1]> = {}): Promise<PostPolicyForm> {
  const { url, fields } = await createPresignedPost(client, {
    Bucket: 'my-bucket',
    Key: 'uploads/${filename}',
    Conditions: [['starts-with', '$key', 'uploads/'], ['content-length-range', 1, 10_485_760], { acl: 'private' }],
    Fields: { acl: 'private' },
    Expires: 600,
    ...options,
  });
  return { url, fields };
}

const codes = (form: PostPolicyForm, allowedBuckets?: readonly string[]) =>
  validatePostForm(form, policy, { allowedBuckets }).failures.map((failure) => failure.code);

const decoded = (form: PostPolicyForm) =>
  JSON.parse(Buffer.from(form.fields.Policy as string, 'base64').toString('utf8')) as {
    expiration: string;
    conditions: unknown[];
  };

/** The form with its policy document changed (the signature is not what is checked here). */
function withPolicy(form: PostPolicyForm, change: (document: ReturnType<typeof decoded>) => unknown): PostPolicyForm {
  const document = decoded(form);
  const changed = change(document) ?? document;
  return {
    ...form,
    fields: { ...form.fields, Policy: Buffer.from(JSON.stringify(changed)).toString('base64') },
  };
}

/** A field changed in the form and in its exact condition alike, as the signer would have written it. */
const withSignedField = (form: PostPolicyForm, name: string, value: string): PostPolicyForm =>
  withPolicy(withFields(form, { [name]: value }), (document) => ({
    ...document,
    conditions: document.conditions.map((condition) =>
      typeof condition === 'object' && condition !== null && !Array.isArray(condition) && name in condition
        ? { [name]: value }
        : condition,
    ),
  }));

/** The form with fields set, or removed (undefined). */
function withFields(form: PostPolicyForm, fields: Record<string, string | undefined>): PostPolicyForm {
  const entries = Object.entries({ ...form.fields, ...fields });
  return {
    ...form,
    fields: Object.fromEntries(entries.filter((entry): entry is [string, string] => entry[1] !== undefined)),
  };
}

describe('a form from the AWS SDK for JavaScript', () => {
  it('passes with its own conditions: a key prefix, a size range, another field', async () => {
    const form = await sdkForm();
    assert.equal(form.url, 'https://my-bucket.s3.eu-west-3.amazonaws.com/');
    const report = validatePostForm(form, policy, { allowedBuckets: ['my-bucket'] });
    assert.deepEqual(report.failures, []);
    assert.equal(report.valid, true);
    assert.equal(report.bucket, 'my-bucket');
    assert.equal(report.addressing, 'virtual-hosted');
    assert.equal(report.region, 'eu-west-3');
    assert.equal(report.key, undefined, 'S3 fills in ${filename}: no one key to report');
    assert.equal(Date.parse(report.expiresAt!) - Date.parse(report.signedAt!) <= 601_000, true);
  });

  it('passes with an exact key, which it reports', async () => {
    const report = validatePostForm(await sdkForm({ Key: 'reports/q3.pdf', Conditions: [], Fields: {} }), policy);
    assert.deepEqual(report.failures, []);
    assert.equal(report.key, 'reports/q3.pdf');
  });
});

describe('each change that makes a form unsafe or unusable here has its own code', () => {
  const credentialOf = (f: PostPolicyForm) => f.fields['X-Amz-Credential'] as string;
  const conditionsWithout = (d: { conditions: unknown[] }, name: string) =>
    d.conditions.filter((c) => !(typeof c === 'object' && c !== null && !Array.isArray(c) && name in c));
  const cases: Array<[string, (form: PostPolicyForm) => PostPolicyForm, string[], string[]?]> = [
    [
      'the legacy global endpoint',
      (f) => ({ ...f, url: 'https://my-bucket.s3.amazonaws.com/' }),
      ['URL_GLOBAL_ENDPOINT'],
    ],
    ['another region', (f) => ({ ...f, url: 'https://my-bucket.s3.eu-west-1.amazonaws.com/' }), ['URL_HOST']],
    [
      'path-style where the mode is virtual-hosted',
      (f) => ({ ...f, url: 'https://s3.eu-west-3.amazonaws.com/my-bucket' }),
      ['URL_ADDRESSING_STYLE'],
    ],
    ['a key in the URL', (f) => ({ ...f, url: `${f.url}uploads/x` }), ['URL_PATH']],
    [
      'a dot segment, which clients resolve differently',
      (f) => ({ ...f, url: 'https://s3.eu-west-3.amazonaws.com/other/%2e%2e/my-bucket' }),
      ['URL_DOT_SEGMENT'],
    ],
    ['a query', (f) => ({ ...f, url: `${f.url}?x-id=PutObject` }), ['URL_MALFORMED']],
    [
      'a host two parsers read apart',
      (f) => ({ ...f, url: 'https://my-bucket.s3.eu-west-3.amazonaws.com\\@evil.example/' }),
      ['URL_NOT_CANONICAL'],
    ],
    ['a bucket outside the allowlist', (f) => f, ['URL_BUCKET_NOT_ALLOWED'], ['other-bucket']],
    [
      'a credential scope for another region',
      (f) => withSignedField(f, 'X-Amz-Credential', credentialOf(f).replace('eu-west-3', 'us-east-1')),
      ['URL_REGION'],
    ],
    [
      'a scope date other than X-Amz-Date',
      (f) => withSignedField(f, 'X-Amz-Credential', credentialOf(f).replace(/\/\d{8}\//, '/20200101/')),
      ['URL_CREDENTIAL_SCOPE'],
    ],
    [
      'an algorithm other than SigV4',
      (f) => withSignedField(f, 'X-Amz-Algorithm', 'AWS4-HMAC-SHA1'),
      ['URL_ALGORITHM'],
    ],
    [
      'a date that is no time',
      (f) => withSignedField(f, 'X-Amz-Date', `${(f.fields['X-Amz-Date'] as string).slice(0, 8)}T250000Z`),
      ['URL_DATE'],
    ],
    [
      'a date an hour ahead',
      (f) => {
        const ahead = `${new Date(Date.now() + 3600_000).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
        const dated = withSignedField(f, 'X-Amz-Date', ahead);
        const scoped = withSignedField(
          dated,
          'X-Amz-Credential',
          credentialOf(f).replace(/\/\d{8}\//, `/${ahead.slice(0, 8)}/`),
        );
        return withPolicy(scoped, (d) => ({ ...d, expiration: new Date(Date.now() + 3900_000).toISOString() }));
      },
      ['URL_DATE_SKEW'],
    ],
    [
      'a signature in base64',
      (f) => withFields(f, { 'X-Amz-Signature': 'q1w2e3r4t5y6u7i8o9p0==' }),
      ['URL_SIGNATURE_FORMAT'],
    ],
    [
      'temporary credentials without their token',
      (f) => withSignedField(f, 'X-Amz-Credential', credentialOf(f).replace(/^AKIA/, 'ASIA')),
      ['URL_SECURITY_TOKEN'],
    ],
    ['no policy', (f) => withFields(f, { Policy: undefined }), ['POLICY_FIELDS']],
    ['no signature', (f) => withFields(f, { 'X-Amz-Signature': undefined }), ['POLICY_FIELDS']],
    ['a policy that is not base64', (f) => withFields(f, { Policy: '{"expiration":1}' }), ['POLICY_MALFORMED']],
    ['conditions that are not a list', (f) => withPolicy(f, (d) => ({ ...d, conditions: {} })), ['POLICY_MALFORMED']],
    [
      'an expired policy',
      (f) => withPolicy(f, (d) => ({ ...d, expiration: '2020-01-01T00:00:00Z' })),
      ['POLICY_EXPIRATION'],
    ],
    [
      'a policy that lives longer than PRESIGN_MAX_EXPIRES',
      (f) => withPolicy(f, (d) => ({ ...d, expiration: new Date(Date.now() + 7 * 86400_000).toISOString() })),
      ['URL_EXPIRES_OVER_MAXIMUM'],
    ],
    [
      'no bucket condition',
      (f) => withPolicy(f, (d) => ({ ...d, conditions: conditionsWithout(d, 'bucket') })),
      ['POLICY_CONDITIONS'],
    ],
    [
      'a bucket condition for another bucket',
      (f) => withPolicy(f, (d) => ({ ...d, conditions: [...conditionsWithout(d, 'bucket'), { bucket: 'other' }] })),
      ['POLICY_CONDITIONS'],
    ],
    ['a field the policy does not cover', (f) => withFields(f, { 'x-amz-meta-owner': 'alice' }), ['POLICY_CONDITIONS']],
    ['a field outside its starts-with', (f) => withFields(f, { key: 'elsewhere/x' }), ['POLICY_CONDITIONS']],
    [
      'a field that differs from its exact condition',
      (f) => withFields(f, { acl: 'public-read' }),
      ['POLICY_CONDITIONS'],
    ],
    [
      'a condition S3 does not know',
      (f) => withPolicy(f, (d) => ({ ...d, conditions: [...d.conditions, ['ends-with', '$key', '.pdf']] })),
      ['POLICY_CONDITIONS'],
    ],
    [
      'an inverted size range',
      (f) =>
        withPolicy(f, (d) => ({
          ...d,
          conditions: [
            ...d.conditions.filter((c) => !Array.isArray(c) || c[0] !== 'content-length-range'),
            ['content-length-range', 10, 1],
          ],
        })),
      ['POLICY_CONDITIONS'],
    ],
    ['one field twice, in two cases', (f) => withFields(f, { policy: f.fields.Policy }), ['POLICY_FIELDS']],
    ['a key S3 would refuse', (f) => withFields(f, { key: 'uploads/../etc/passwd' }), ['URL_KEY']],
    [
      'a SigV2 form',
      () => ({
        url: 'https://my-bucket.s3.eu-west-3.amazonaws.com/',
        fields: {
          key: 'k',
          AWSAccessKeyId: EXAMPLE_CREDENTIALS.accessKeyId,
          policy: 'e30=',
          signature: 'g7ee8/t07A2Bad+bda2w43KNILE=',
        },
      }),
      ['URL_ALGORITHM', 'POLICY_FIELDS', 'POLICY_MALFORMED'],
    ],
  ];
  for (const [name, change, expected, allowedBuckets] of cases) {
    it(name, async () => {
      assert.deepEqual(codes(change(await sdkForm()), allowedBuckets), expected);
    });
  }

  it('x-ignore- fields need no condition, as S3 says', async () => {
    assert.deepEqual(codes(withFields(await sdkForm(), { 'x-ignore-note': 'anything' })), []);
  });

  it('a form of 64 failing fields still reports one failure per code', async () => {
    const form = await sdkForm();
    const extra = Object.fromEntries(Array.from({ length: 56 }, (_, i) => [`x-amz-meta-f${i}`, 'v']));
    const report = validatePostForm(withFields(form, extra), policy);
    assert.deepEqual(report.failures, [
      {
        code: 'POLICY_CONDITIONS',
        message: 'form field x-amz-meta-f0 has no condition in the policy: S3 would refuse the form',
        count: 56,
      },
    ]);
  });
});
