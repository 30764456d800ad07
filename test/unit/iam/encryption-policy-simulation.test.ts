// The encryption statements of the generated policies (S3_SSE*, --kms-key-arn) evaluated by
// the IAM policy simulator (@cloud-copilot/iam-simulate, patched to read the
// kms:EncryptionContext:* keys): the service role may use the configured key through S3 for
// these buckets and in no other way; the bucket policy refuses uploads that name another
// algorithm or key, and lets through the part uploads and completions that name none.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { Config } from '../../../src/config/config.js';
import { encryptionFor } from '../../../src/encryption/sse.js';
import { generatePolicies, PolicyInputError, type PolicyDocument } from '../../../src/iam/generate-policies.js';
import { signingConfigFrom } from '../../fixtures/config.js';

const ACCOUNT = '123456789012';
const SERVICE_ROLE = `arn:aws:iam::${ACCOUNT}:role/s3-presign`;
const VPCE = 'vpce-1a2b3c4d';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/99999999-12ab-34cd-56ef-1234567890ab`;
const VIA_S3 = 's3.us-east-1.amazonaws.com';
const ALLOW_EVERYTHING: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'All', Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
};
/** The default key policy: the account's IAM policies decide who may use the key. */
const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'EnableIAMUserPermissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
};

function config(env: Record<string, string>): Config {
  return signingConfigFrom({
    S3_ENDPOINT_MODE: 'interface',
    S3_REGION: 'us-east-1',
    S3_VPCE_DNS_NAME: 'vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
    S3_BUCKETS: 'my-bucket,archive-bucket',
    ...env,
  });
}

// my-bucket: SSE-KMS with KEY, no Bucket Key (object context); archive-bucket: the same key
// with S3 Bucket Keys (bucket context).
const kmsConfig = config({
  S3_SSE: 'aws:kms',
  S3_SSE_KMS_KEY_ID: KEY,
  S3_SSE_BUCKET_KEY: 'false',
  S3_SSE_BUCKETS: JSON.stringify({ 'archive-bucket': { sse: 'aws:kms', kmsKeyId: KEY, bucketKey: true } }),
});
const policiesFor = (from: Config) =>
  generatePolicies({
    mode: from.mode,
    buckets: from.buckets,
    vpceIds: [],
    adminArns: [],
    encryption: (entry) => encryptionFor(from.encryption, entry),
  });
const policies = policiesFor(kmsConfig);

type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

async function simulate(simulation: Simulation): Promise<Decision> {
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') assert.fail(`simulation refused its input: ${JSON.stringify(result.errors)}`);
  if (result.resultType === 'single') {
    assert.deepEqual(result.result.ignoredContextKeys ?? [], [], 'the simulator read every context key');
  }
  return result.overallResult as Decision;
}

/** A KMS call as the service role makes it (or S3 makes it on the role's behalf). */
function kms(action: string, key: string, context: Record<string, string>, identity = policies.servicePolicy) {
  return simulate({
    request: {
      principal: SERVICE_ROLE,
      action,
      resource: { resource: key, accountId: ACCOUNT },
      contextVariables: { 'aws:PrincipalArn': SERVICE_ROLE, ...context },
    },
    identityPolicies: [{ name: 'service', policy: identity }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: DEFAULT_KEY_POLICY,
  });
}

/** A PutObject through the pinned endpoint by a principal its own policy allows: only the bucket policy decides. */
function upload(object: string, headers: Record<string, string>, set = policies) {
  const context: Record<string, string> = { 'aws:PrincipalArn': SERVICE_ROLE, 'aws:SourceVpce': VPCE };
  for (const [name, value] of Object.entries(headers)) context[`s3:${name}`] = value;
  return simulate({
    request: {
      principal: SERVICE_ROLE,
      action: 's3:PutObject',
      resource: { resource: `arn:aws:s3:::${object}`, accountId: ACCOUNT },
      contextVariables: context,
    },
    identityPolicies: [{ name: 'all', policy: ALLOW_EVERYTHING }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: set.bucketPolicy,
    vpcEndpointPolicies: [{ name: VPCE, policy: set.endpointPolicy }],
  });
}

const SSE = 'x-amz-server-side-encryption';
const SSE_KEY = 'x-amz-server-side-encryption-aws-kms-key-id';

describe('the simulator reads KMS encryption-context keys (patches/@cloud-copilot+iam-simulate+0.1.173.patch)', () => {
  it('kms:EncryptionContext:aws:s3:arn is matched, not dropped', async () => {
    const grant: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Ctx',
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: [KEY],
          Condition: { StringEquals: { 'kms:EncryptionContext:aws:s3:arn': ['arn:aws:s3:::my-bucket/k'] } },
        },
      ],
    };
    assert.equal(
      await kms('kms:Decrypt', KEY, { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::my-bucket/k' }, grant),
      'Allowed',
    );
    assert.equal(
      await kms('kms:Decrypt', KEY, { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::my-bucket/j' }, grant),
      'ImplicitlyDenied',
    );
  });
});

describe('the service role uses the configured key through S3 only', () => {
  const objectContext = {
    'kms:ViaService': VIA_S3,
    'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::my-bucket/users/alice/photo.png',
  };
  const cases: Array<[string, string, string, Record<string, string>, Decision]> = [
    [
      'GenerateDataKey through S3 for an object of my-bucket (PutObject, CreateMultipartUpload)',
      'kms:GenerateDataKey',
      KEY,
      objectContext,
      'Allowed',
    ],
    [
      'Decrypt through S3 for an object of my-bucket (GetObject, UploadPart)',
      'kms:Decrypt',
      KEY,
      objectContext,
      'Allowed',
    ],
    [
      'Decrypt directly, not through S3',
      'kms:Decrypt',
      KEY,
      { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::my-bucket/users/alice/photo.png' },
      'ImplicitlyDenied',
    ],
    [
      'Decrypt through another service (SSM)',
      'kms:Decrypt',
      KEY,
      { ...objectContext, 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' },
      'ImplicitlyDenied',
    ],
    [
      'Decrypt through S3 of another region',
      'kms:Decrypt',
      KEY,
      { ...objectContext, 'kms:ViaService': 's3.us-west-2.amazonaws.com' },
      'ImplicitlyDenied',
    ],
    [
      'Decrypt through S3 for an object of another bucket',
      'kms:Decrypt',
      KEY,
      { ...objectContext, 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::someone-elses-bucket/x' },
      'ImplicitlyDenied',
    ],
    ['Decrypt through S3 with another key', 'kms:Decrypt', OTHER_KEY, objectContext, 'ImplicitlyDenied'],
    [
      'Decrypt through S3, bucket-key context of archive-bucket (S3 Bucket Keys on)',
      'kms:Decrypt',
      KEY,
      { 'kms:ViaService': VIA_S3, 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::archive-bucket' },
      'Allowed',
    ],
    [
      'Decrypt through S3, object context of archive-bucket (Bucket Keys on: never sent)',
      'kms:Decrypt',
      KEY,
      { 'kms:ViaService': VIA_S3, 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::archive-bucket/x' },
      'ImplicitlyDenied',
    ],
    [
      'Decrypt through S3, bucket context of my-bucket (Bucket Keys off)',
      'kms:Decrypt',
      KEY,
      { 'kms:ViaService': VIA_S3, 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::my-bucket' },
      'ImplicitlyDenied',
    ],
    ['Encrypt through S3 (not an action S3 needs)', 'kms:Encrypt', KEY, objectContext, 'ImplicitlyDenied'],
    ['CreateGrant through S3', 'kms:CreateGrant', KEY, objectContext, 'ImplicitlyDenied'],
  ];
  for (const [what, action, key, context, expected] of cases) {
    it(`${what}: ${expected}`, async () => {
      assert.equal(await kms(action, key, context), expected);
    });
  }

  it('one statement per key, on that key only, with both conditions', () => {
    const grants = policies.servicePolicy.Statement.filter((statement) =>
      statement.Action.some((a) => a.startsWith('kms:')),
    );
    assert.deepEqual(grants, [
      {
        Sid: 'KmsKeyThroughS3',
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: [KEY],
        Condition: {
          StringEquals: { 'kms:ViaService': [VIA_S3] },
          StringLike: {
            'kms:EncryptionContext:aws:s3:arn': ['arn:aws:s3:::my-bucket/*', 'arn:aws:s3:::archive-bucket'],
          },
        },
      },
    ]);
  });

  it('without a key (the account’s aws/s3 key) nothing is granted: its key policy admits the account through S3', () => {
    const managed = policiesFor(config({ S3_SSE: 'aws:kms' }));
    assert.equal(
      managed.servicePolicy.Statement.some((statement) => statement.Action.some((a) => a.startsWith('kms:'))),
      false,
    );
  });

  it('China: the key ARN and kms:ViaService of its partition', () => {
    const cn = generatePolicies({
      mode: loadCn().mode,
      buckets: ['cn-bucket'],
      vpceIds: ['vpce-0123456789abcdef0'],
      adminArns: [],
      encryption: () => ({
        algorithm: 'aws:kms',
        kmsKeyId: `arn:aws-cn:kms:cn-north-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      }),
    });
    const grant = cn.servicePolicy.Statement.find((statement) => statement.Sid === 'KmsKeyThroughS3');
    assert.deepEqual(grant?.Condition?.StringEquals, { 'kms:ViaService': ['s3.cn-north-1.amazonaws.com.cn'] });
    assert.deepEqual(grant?.Condition?.StringLike, {
      'kms:EncryptionContext:aws:s3:arn': ['arn:aws-cn:s3:::cn-bucket', 'arn:aws-cn:s3:::cn-bucket/*'],
    });
  });

  it('an access point: the refusals go into its own policy, the KMS context names the bucket behind it', async () => {
    const accessPoint = `arn:aws:s3:us-east-1:${ACCOUNT}:accesspoint/uploads-ap`;
    const set = generatePolicies({
      mode: kmsConfig.mode,
      buckets: [accessPoint],
      vpceIds: [],
      adminArns: [],
      accessPointBucket: 'ap-bucket',
      encryption: () => ({ algorithm: 'aws:kms', kmsKeyId: KEY, bucketKey: false }),
    });
    const apPolicy = set.accessPointPolicies?.[accessPoint] as PolicyDocument;
    assert.deepEqual(
      apPolicy.Statement.filter((statement) => statement.Sid.startsWith('DenyUploads')).map((s) => s.Resource),
      [[`${accessPoint}/object/*`], [`${accessPoint}/object/*`]],
    );
    assert.equal(JSON.stringify(set.bucketPolicy).includes('encryption'), false);
    const context = { 'kms:ViaService': VIA_S3, 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::ap-bucket/k' };
    assert.equal(await kms('kms:Decrypt', KEY, context, set.servicePolicy), 'Allowed');
  });

  it('refuses a key of another region or partition, or an alias, given straight to the generator', () => {
    for (const kmsKeyId of [
      OTHER_KEY.replace('us-east-1', 'eu-west-1'),
      `arn:aws:kms:us-east-1:${ACCOUNT}:alias/uploads`,
    ]) {
      assert.throws(
        () =>
          generatePolicies({
            mode: kmsConfig.mode,
            buckets: ['my-bucket'],
            vpceIds: [],
            adminArns: [],
            encryption: () => ({ algorithm: 'aws:kms', kmsKeyId }),
          }),
        (error: unknown) => error instanceof PolicyInputError && /my-bucket \(aws:kms with key/.test(error.message),
      );
    }
  });
});

describe('doctor reads the default encryption only with --doctor', () => {
  it('s3:GetEncryptionConfiguration on the buckets, through the endpoint: Allowed with --doctor only', async () => {
    const withDoctor = generatePolicies({
      mode: kmsConfig.mode,
      buckets: kmsConfig.buckets,
      vpceIds: [],
      adminArns: [],
      doctorReadsPolicy: true,
    });
    const read = (set: typeof withDoctor, identity: PolicyDocument) =>
      simulate({
        request: {
          principal: SERVICE_ROLE,
          action: 's3:GetEncryptionConfiguration',
          resource: { resource: 'arn:aws:s3:::my-bucket', accountId: ACCOUNT },
          contextVariables: { 'aws:PrincipalArn': SERVICE_ROLE, 'aws:SourceVpce': VPCE },
        },
        identityPolicies: [{ name: 'service', policy: identity }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: set.bucketPolicy,
        vpcEndpointPolicies: [{ name: VPCE, policy: set.endpointPolicy }],
      });
    assert.equal(await read(withDoctor, withDoctor.servicePolicy), 'Allowed');
    assert.equal(await read(withDoctor, policies.servicePolicy), 'ImplicitlyDenied');
    // Without --doctor the endpoint does not carry it either.
    assert.equal(await read(policies, withDoctor.servicePolicy), 'ImplicitlyDenied');
  });
});

describe('the bucket policy refuses uploads with other encryption', () => {
  const object = 'my-bucket/users/alice/photo.png';
  const cases: Array<[string, Record<string, string>, Decision]> = [
    [
      'aws:kms with the configured key (PutObject, CreateMultipartUpload, form POST)',
      { [SSE]: 'aws:kms', [SSE_KEY]: KEY },
      'Allowed',
    ],
    ['AES256', { [SSE]: 'AES256' }, 'ExplicitlyDenied'],
    ['aws:kms with another key', { [SSE]: 'aws:kms', [SSE_KEY]: OTHER_KEY }, 'ExplicitlyDenied'],
    ['aws:kms without a key (the aws/s3 key)', { [SSE]: 'aws:kms' }, 'ExplicitlyDenied'],
    ['aws:kms:dsse with the configured key', { [SSE]: 'aws:kms:dsse', [SSE_KEY]: KEY }, 'ExplicitlyDenied'],
    ['the configured key without an algorithm (S3 itself answers 400)', { [SSE_KEY]: KEY }, 'Allowed'],
    ['no encryption headers (UploadPart, CompleteMultipartUpload; a PUT gets the bucket default)', {}, 'Allowed'],
  ];
  for (const [what, headers, expected] of cases) {
    it(`PutObject with ${what}: ${expected}`, async () => {
      assert.equal(await upload(object, headers), expected);
    });
  }

  it('each bucket is held to its own setting: AES256 on one, KMS on another', async () => {
    const mixed = policiesFor(
      config({
        S3_SSE: 'aws:kms',
        S3_SSE_KMS_KEY_ID: KEY,
        S3_SSE_BUCKETS: JSON.stringify({ 'archive-bucket': { sse: 'AES256' } }),
      }),
    );
    assert.equal(await upload('archive-bucket/k', { [SSE]: 'AES256' }, mixed), 'Allowed');
    assert.equal(await upload('archive-bucket/k', { [SSE]: 'aws:kms', [SSE_KEY]: KEY }, mixed), 'ExplicitlyDenied');
    assert.equal(await upload('my-bucket/k', { [SSE]: 'AES256' }, mixed), 'ExplicitlyDenied');
    assert.equal(await upload('my-bucket/k', { [SSE]: 'aws:kms', [SSE_KEY]: KEY }, mixed), 'Allowed');
    assert.deepEqual(
      mixed.bucketPolicy.Statement.map((statement) => statement.Sid),
      [
        'DenyOutsideVpcEndpoints',
        'DenyUploadsWithOtherEncryption',
        'DenyUploadsWithOtherKmsKey',
        'DenyKmsUploadsWithoutTheKey',
        'DenyUploadsWithOtherEncryption2',
      ],
    );
  });

  it('with the aws/s3 key: any named key is refused', async () => {
    const managed = policiesFor(config({ S3_SSE: 'aws:kms' }));
    assert.equal(await upload(object, { [SSE]: 'aws:kms' }, managed), 'Allowed');
    assert.equal(await upload(object, { [SSE]: 'aws:kms', [SSE_KEY]: KEY }, managed), 'ExplicitlyDenied');
  });

  it('without an encryption configuration the policies hold no encryption statement', () => {
    const plain = policiesFor(config({}));
    assert.deepEqual(
      [...plain.bucketPolicy.Statement, ...plain.servicePolicy.Statement].filter((statement) =>
        JSON.stringify(statement).includes('encryption'),
      ),
      [],
    );
  });
});

function loadCn(): Config {
  return signingConfigFrom({ S3_ENDPOINT_MODE: 'regional', S3_REGION: 'cn-north-1', S3_BUCKETS: 'cn-bucket' });
}
