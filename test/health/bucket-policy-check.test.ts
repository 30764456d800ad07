// doctor's bucket-policy check: its verdicts against the IAM simulator's, and the policy read
// over real HTTP from a loopback server that answers GetBucketPolicy the way S3 does (the
// embedded store has no bucket policies).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { loadConfig } from '../../src/config/config.js';
import { analyzeBucketPolicy, checkBucketPolicy } from '../../src/health/bucket-policy-check.js';
import { generatePolicies, type PolicyDocument } from '../../src/policy/generate-policies.js';
import { SERVICE_ACTIONS } from '../../src/policy/service-actions.js';

const OWN = 'vpce-1a2b3c4d';
const loaded = loadConfig(
  {
    S3_ENDPOINT_MODE: 'interface',
    S3_REGION: 'us-east-1',
    S3_VPCE_DNS_NAME: 'vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
    S3_BUCKETS: 'my-bucket',
  },
  { requireCallers: false },
);
if (!loaded.ok) throw new Error(loaded.problems.join('; '));
const generated = generatePolicies({
  mode: loaded.config.mode,
  buckets: ['my-bucket'],
  vpceIds: ['vpce-0123456789abcdef0'],
  adminArns: ['arn:aws:iam::123456789012:role/StorageAdmin'],
}).bucketPolicy;
const deny = generated.Statement[0] as PolicyDocument['Statement'][number];
const policy = (...statements: unknown[]) => ({ Version: '2012-10-17', Statement: statements });
const ALL = SERVICE_ACTIONS.map((entry) => entry.action);

const cases: Array<[string, unknown, 'ok' | 'warn' | 'fail']> = [
  ['the generated policy', generated, 'ok'],
  ['the generated policy with one action dropped', policy({ ...deny, Action: ALL.slice(1) }), 'warn'],
  [
    'a deny with s3:* and IfExists',
    policy({ ...deny, Action: 's3:*', Condition: { StringNotEqualsIfExists: { 'aws:SourceVpce': OWN } } }),
    'ok',
  ],
  [
    'a deny on aws:SourceVpc (the VPC, not the endpoint)',
    policy({ ...deny, Condition: { StringNotEquals: { 'aws:SourceVpc': 'vpc-1' } } }),
    'warn',
  ],
  [
    'a deny only when the key is absent (Null)',
    policy({ ...deny, Condition: { Null: { 'aws:SourceVpce': 'true' } } }),
    'warn',
  ],
  [
    'a deny for one principal only',
    policy({ ...deny, Principal: { AWS: 'arn:aws:iam::123456789012:role/x' } }),
    'warn',
  ],
  [
    'an admin exemption of everyone',
    policy({ ...deny, Condition: { ...deny.Condition, ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:*' } } }),
    'warn',
  ],
  ['only an Allow', policy({ ...deny, Effect: 'Allow' }), 'warn'],
  [
    'a deny that leaves out this service endpoint',
    policy({ ...deny, Condition: { StringNotEquals: { 'aws:SourceVpce': ['vpce-0123456789abcdef0'] } } }),
    'fail',
  ],
  [
    'a deny of everything',
    policy({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::my-bucket', 'arn:aws:s3:::my-bucket/*'],
    }),
    'fail',
  ],
];

/** Policies the simulator judges refusing though the check warns: it cannot prove them from inside. */
const simulatorRefuses = new Set(['a deny on aws:SourceVpc (the VPC, not the endpoint)']);

async function simulatorRefusesOutside(document: unknown): Promise<boolean> {
  for (const entry of SERVICE_ACTIONS) {
    for (const vpce of [undefined, 'vpce-0000000000d0c7012']) {
      const context: Record<string, string> = { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/outsider' };
      if (vpce) context['aws:SourceVpce'] = vpce;
      const result = await runSimulation(
        {
          request: {
            principal: 'arn:aws:iam::123456789012:role/outsider',
            action: entry.action,
            resource: {
              resource: entry.resource === 'bucket' ? 'arn:aws:s3:::my-bucket' : 'arn:aws:s3:::my-bucket/k',
              accountId: '123456789012',
            },
            contextVariables: context,
          },
          identityPolicies: [{ name: 'all', policy: policy({ Effect: 'Allow', Action: '*', Resource: '*' }) }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: document,
        },
        {},
      );
      if (result.resultType === 'error') assert.fail(JSON.stringify(result.errors));
      if (result.overallResult !== 'ExplicitlyDenied') return false;
    }
  }
  return true;
}

describe('analyzeBucketPolicy agrees with the IAM simulator', () => {
  for (const [what, document, expected] of cases) {
    it(`${what}: ${expected}`, async () => {
      const verdict = analyzeBucketPolicy(JSON.stringify(document), {
        partition: 'aws',
        bucket: 'my-bucket',
        ownVpceIds: [OWN],
      });
      assert.equal(verdict.status, expected, verdict.message);
      // One-sided by design: "ok" must mean the simulator refuses every outside request too.
      // The reverse may not hold (a deny on aws:SourceVpc refuses them, but which VPC the
      // endpoint is in is not known from inside), so those cases say what the simulator says.
      if (expected !== 'fail')
        assert.equal(await simulatorRefusesOutside(document), simulatorRefuses.has(what) || verdict.status === 'ok');
      if (expected === 'warn') assert.match(verdict.message, /s3-presign policy/);
    });
  }
  it('doctor --vpce-id: a policy that admits the pinned endpoint but not the Gateway endpoint fails', () => {
    const onlyOwn = policy({ ...deny, Condition: { StringNotEquals: { 'aws:SourceVpce': [OWN] } } });
    const context = { partition: 'aws', bucket: 'my-bucket', ownVpceIds: [OWN, 'vpce-0123456789abcdef0'] };
    const verdict = analyzeBucketPolicy(JSON.stringify(onlyOwn), context);
    assert.equal(verdict.status, 'fail');
    assert.match(verdict.message, /vpce-0123456789abcdef0/);
    assert.equal(analyzeBucketPolicy(JSON.stringify(generated), context).status, 'ok');
  });

  it('not JSON: fail', () => {
    assert.equal(analyzeBucketPolicy('{', { partition: 'aws', bucket: 'b', ownVpceIds: [] }).status, 'fail');
  });
});

describe('checkBucketPolicy reads the policy over HTTP through an S3 client', () => {
  async function withServer(
    answer: (url: string) => { status: number; body: string; type: string },
    run: (client: S3Client) => Promise<void>,
  ): Promise<string[]> {
    const seen: string[] = [];
    const server: Server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization?.split(' ')[0] ?? 'unsigned'}`);
      const { status, body, type } = answer(request.url ?? '');
      response.writeHead(status, { 'content-type': type, date: new Date().toUTCString() });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    try {
      await run(client);
    } finally {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
    return seen;
  }
  const s3Error = (status: number, code: string) => ({
    status,
    type: 'application/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message></Error>`,
  });
  const context = { partition: 'aws', ownVpceIds: [OWN] };

  it('a good policy: ok, read with one signed GET ?policy', async () => {
    const seen = await withServer(
      () => ({ status: 200, type: 'application/json', body: JSON.stringify(generated) }),
      async (client) => {
        const verdict = await checkBucketPolicy(client, 'my-bucket', context);
        assert.equal(verdict.status, 'ok', verdict.message);
      },
    );
    assert.deepEqual(seen, ['GET /my-bucket/?policy= AWS4-HMAC-SHA256']);
  });

  it('no policy (NoSuchBucketPolicy): a warning naming the fix', async () => {
    await withServer(
      () => s3Error(404, 'NoSuchBucketPolicy'),
      async (client) => {
        const verdict = await checkBucketPolicy(client, 'my-bucket', context);
        assert.equal(verdict.status, 'warn');
        assert.match(verdict.message, /public internet.*s3-presign policy/);
      },
    );
  });

  it('a policy without the deny: a warning', async () => {
    await withServer(
      () => ({ status: 200, type: 'application/json', body: JSON.stringify(policy({ ...deny, Effect: 'Allow' })) }),
      async (client) => {
        const verdict = await checkBucketPolicy(client, 'my-bucket', context);
        assert.equal(verdict.status, 'warn');
        assert.equal('code' in verdict && verdict.code, 'POLICY_NOT_ENFORCED');
      },
    );
  });

  it('no permission (AccessDenied): skipped, with the command to run by hand', async () => {
    await withServer(
      () => s3Error(403, 'AccessDenied'),
      async (client) => {
        const verdict = await checkBucketPolicy(client, 'my-bucket', context);
        assert.equal(verdict.status, 'skipped');
        assert.match(verdict.message, /s3:GetBucketPolicy/);
        assert.equal(
          verdict.status === 'skipped' && verdict.command,
          'aws s3api get-bucket-policy --bucket my-bucket --query Policy --output text',
        );
      },
    );
  });
});
