// doctor's bucket-policy check: its verdicts against the IAM simulator's, for the principal the
// service signs as; the policy read over real HTTP from a loopback server that answers
// GetBucketPolicy the way S3 does (the embedded store has no bucket policies), and the
// principal from a loopback server that answers sts:GetCallerIdentity the way STS does.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import {
  analyzeBucketPolicy,
  checkBucketPolicy,
  type PolicyAnalysisContext,
  type PrincipalLookup,
} from '../../src/health/bucket-policy-check.js';
import { bucketPolicyCheck } from '../../src/health/doctor.js';
import { lookUpServicePrincipal } from '../../src/health/service-principal.js';
import { generatePolicies, type PolicyDocument } from '../../src/iam/generate-policies.js';
import { principalOfCaller, type CallerPrincipal } from '../../src/iam/principal-arn.js';
import { SERVICE_ACTIONS } from '../../src/iam/service-actions.js';
import { signingConfigFrom } from '../fixtures/config.js';
import { EXAMPLE_CREDENTIALS } from '../fixtures/credentials.js';

const OWN = 'vpce-1a2b3c4d';
const ACCOUNT = '123456789012';
const SERVICE_ROLE = `arn:aws:iam::${ACCOUNT}:role/s3-presign`;
/** What sts:GetCallerIdentity names for the service's IRSA (or ECS, EC2) credentials. */
const SERVICE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/s3-presign/botocore-session-1700000000`;
const asService: PrincipalLookup = {
  ok: true,
  principal: principalOfCaller(SERVICE_SESSION, SERVICE_ROLE) as CallerPrincipal,
};
/** The same session without AWS_ROLE_ARN: STS does not say the role's path. */
const pathUnknown: PrincipalLookup = { ok: true, principal: principalOfCaller(SERVICE_SESSION) as CallerPrincipal };
const context = (principal: PrincipalLookup = asService): PolicyAnalysisContext => ({
  partition: 'aws',
  bucket: 'my-bucket',
  ownVpceIds: [OWN],
  principal,
});
const INTERFACE_CONFIG = signingConfigFrom({
  S3_ENDPOINT_MODE: 'interface',
  S3_REGION: 'us-east-1',
  S3_VPCE_DNS_NAME: 'vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
  S3_BUCKETS: 'my-bucket',
});
const generated = generatePolicies({
  mode: INTERFACE_CONFIG.mode,
  buckets: ['my-bucket'],
  vpceIds: ['vpce-0123456789abcdef0'],
  adminArns: [`arn:aws:iam::${ACCOUNT}:role/StorageAdmin`],
}).bucketPolicy;
const deny = generated.Statement[0] as PolicyDocument['Statement'][number];
const policy = (...statements: unknown[]) => ({ Version: '2012-10-17', Statement: statements });
const ALL = SERVICE_ACTIONS.map((entry) => entry.action);
/** The generated deny with other exemptions (aws:PrincipalArn) than the generator allows. */
const exempting = (...arns: string[]) =>
  policy({ ...deny, Condition: { ...deny.Condition, ArnNotLikeIfExists: { 'aws:PrincipalArn': arns } } });

const cases: Array<[string, unknown, 'ok' | 'warn' | 'fail']> = [
  ['the generated policy', generated, 'ok'],
  [
    'the deny without the data-perimeter guards (StringNotEquals aws:SourceVpce alone)',
    policy({ ...deny, Condition: { StringNotEquals: deny.Condition?.StringNotEquals } }),
    'ok',
  ],
  ['an exemption of every role in the service account (role/*)', exempting(`arn:aws:iam::${ACCOUNT}:role/*`), 'warn'],
  ['an exemption of roles named like the service (role/s3-*)', exempting(`arn:aws:iam::${ACCOUNT}:role/s3-*`), 'warn'],
  ['an exemption naming the service role itself', exempting(SERVICE_ROLE), 'warn'],
  [
    'an exemption of a role of the same name on another path',
    exempting(`arn:aws:iam::${ACCOUNT}:role/team/s3-presign`),
    'ok',
  ],
  [
    'an exemption of the service account (StringNotEquals aws:PrincipalAccount)',
    policy({
      ...deny,
      Condition: {
        ...deny.Condition,
        StringNotEquals: { ...deny.Condition?.StringNotEquals, 'aws:PrincipalAccount': ACCOUNT },
      },
    }),
    'warn',
  ],
  [
    'a deny only for AWS services (Bool aws:PrincipalIsAWSService true)',
    policy({ ...deny, Condition: { ...deny.Condition, BoolIfExists: { 'aws:PrincipalIsAWSService': 'true' } } }),
    'warn',
  ],
  [
    'a deny that depends on a principal tag it cannot see',
    policy({ ...deny, Condition: { ...deny.Condition, StringEquals: { 'aws:PrincipalTag/perimeter': 'true' } } }),
    'warn',
  ],
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

/** Whether the simulator refuses the service role everything from outside its endpoints. */
async function simulatorRefusesOutside(document: unknown, role = SERVICE_ROLE): Promise<boolean> {
  for (const entry of SERVICE_ACTIONS) {
    for (const vpce of [undefined, 'vpce-0000000000d0c7012']) {
      // What S3 puts in the context of a request signed by the service's role, made directly.
      const context: Record<string, string> = {
        'aws:PrincipalArn': role,
        'aws:PrincipalAccount': ACCOUNT,
        'aws:PrincipalIsAWSService': 'false',
        'aws:ViaAWSService': 'false',
      };
      if (vpce) context['aws:SourceVpce'] = vpce;
      const result = await runSimulation(
        {
          request: {
            principal: role,
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
      if (result.resultType === 'single') assert.deepEqual(result.result.ignoredContextKeys, []);
      if (result.overallResult !== 'ExplicitlyDenied') return false;
    }
  }
  return true;
}

describe('analyzeBucketPolicy agrees with the IAM simulator', () => {
  for (const [what, document, expected] of cases) {
    it(`${what}: ${expected}`, async () => {
      const verdict = analyzeBucketPolicy(JSON.stringify(document), context());
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
    const both = { ...context(), ownVpceIds: [OWN, 'vpce-0123456789abcdef0'] };
    const verdict = analyzeBucketPolicy(JSON.stringify(onlyOwn), both);
    assert.equal(verdict.status, 'fail');
    assert.match(verdict.message, /vpce-0123456789abcdef0/);
    assert.equal(analyzeBucketPolicy(JSON.stringify(generated), both).status, 'ok');
  });

  it('not JSON: fail', () => {
    assert.equal(analyzeBucketPolicy('{', context()).status, 'fail');
  });

  it("an exemption matching the service's role is named as the reason, with the role", () => {
    const verdict = analyzeBucketPolicy(JSON.stringify(exempting(`arn:aws:iam::${ACCOUNT}:role/*`)), context());
    assert.equal(verdict.status, 'warn');
    assert.equal('code' in verdict && verdict.code, 'POLICY_NOT_ENFORCED');
    assert.match(verdict.message, /to this service's principal arn:aws:iam::123456789012:role\/s3-presign /);
    assert.match(verdict.message, /an exemption in it, .* matches this principal: every presigned URL is exempt/);
  });
});

describe('a role whose path STS does not name: refused only when no path could exempt it', () => {
  for (const [what, document, expected] of [
    ['the generated policy (service-linked roles and another admin exempt)', generated, 'ok'],
    [
      'an exemption of role/team/s3-presign: the service role if its path is team/',
      exempting(`arn:aws:iam::${ACCOUNT}:role/team/s3-presign`),
      'warn',
    ],
    ['an exemption of role/*presign', exempting(`arn:aws:iam::${ACCOUNT}:role/*presign`), 'warn'],
    ['an exemption of role/*/other', exempting(`arn:aws:iam::${ACCOUNT}:role/*/other`), 'ok'],
    ["an exemption of another account's role/*", exempting('arn:aws:iam::210987654321:role/*'), 'ok'],
    [
      'an exemption by StringNotLike on the whole ARN',
      policy({
        ...deny,
        Condition: { ...deny.Condition, StringNotLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/*` } },
      }),
      'warn',
    ],
  ] as const) {
    it(`${what}: ${expected}`, async () => {
      const verdict = analyzeBucketPolicy(JSON.stringify(document), context(pathUnknown));
      assert.equal(verdict.status, expected, verdict.message);
      if (expected === 'warn') {
        assert.equal('code' in verdict && verdict.code, 'POLICY_PRINCIPAL_UNKNOWN');
        assert.match(verdict.message, /path unknown.*--service-role-arn/);
      }
      // "ok" must hold whatever the path: here for the root path and for team/.
      if (expected === 'ok') {
        for (const role of [SERVICE_ROLE, `arn:aws:iam::${ACCOUNT}:role/team/s3-presign`]) {
          assert.equal(await simulatorRefusesOutside(document, role), true, role);
        }
      }
    });
  }

  it('with the path from AWS_ROLE_ARN the same exemption is judged exactly', () => {
    const team = exempting(`arn:aws:iam::${ACCOUNT}:role/team/s3-presign`);
    assert.equal(analyzeBucketPolicy(JSON.stringify(team), context(asService)).status, 'ok');
    const onTeamPath: PrincipalLookup = {
      ok: true,
      principal: principalOfCaller(SERVICE_SESSION, `arn:aws:iam::${ACCOUNT}:role/team/s3-presign`) as CallerPrincipal,
    };
    assert.equal(analyzeBucketPolicy(JSON.stringify(team), context(onTeamPath)).status, 'warn');
  });
});

describe('without STS, the check never claims ok', () => {
  const unreachable: PrincipalLookup = { ok: false, reason: 'ECONNREFUSED' };
  it('the generated policy: a warning that says the service role was not checked, and why', () => {
    const verdict = analyzeBucketPolicy(JSON.stringify(generated), context(unreachable));
    assert.equal(verdict.status, 'warn');
    assert.equal('code' in verdict && verdict.code, 'POLICY_PRINCIPAL_UNKNOWN');
    assert.match(verdict.message, /sts:GetCallerIdentity failed \(ECONNREFUSED\)/);
    assert.match(verdict.message, /aws sts get-caller-identity/);
  });
  it('a policy that refuses nobody outside is still reported as such', () => {
    const verdict = analyzeBucketPolicy(JSON.stringify(policy({ ...deny, Effect: 'Allow' })), context(unreachable));
    assert.equal('code' in verdict && verdict.code, 'POLICY_NOT_ENFORCED');
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
      credentials: EXAMPLE_CREDENTIALS,
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
  const readContext = { partition: 'aws', ownVpceIds: [OWN], principal: asService };

  it('a good policy: ok, read with one signed GET ?policy', async () => {
    const seen = await withServer(
      () => ({ status: 200, type: 'application/json', body: JSON.stringify(generated) }),
      async (client) => {
        const verdict = await checkBucketPolicy(client, 'my-bucket', readContext);
        assert.equal(verdict.status, 'ok', verdict.message);
      },
    );
    assert.deepEqual(seen, ['GET /my-bucket/?policy= AWS4-HMAC-SHA256']);
  });

  it('no policy (NoSuchBucketPolicy): a warning naming the fix', async () => {
    await withServer(
      () => s3Error(404, 'NoSuchBucketPolicy'),
      async (client) => {
        const verdict = await checkBucketPolicy(client, 'my-bucket', readContext);
        assert.equal(verdict.status, 'warn');
        assert.match(verdict.message, /public internet.*s3-presign policy/);
      },
    );
  });

  it('a policy without the deny: a warning', async () => {
    await withServer(
      () => ({ status: 200, type: 'application/json', body: JSON.stringify(policy({ ...deny, Effect: 'Allow' })) }),
      async (client) => {
        const verdict = await checkBucketPolicy(client, 'my-bucket', readContext);
        assert.equal(verdict.status, 'warn');
        assert.equal('code' in verdict && verdict.code, 'POLICY_NOT_ENFORCED');
      },
    );
  });

  it('no permission (AccessDenied): skipped, with the command to run by hand', async () => {
    await withServer(
      () => s3Error(403, 'AccessDenied'),
      async (client) => {
        const verdict = await checkBucketPolicy(client, 'my-bucket', readContext);
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

describe("doctor's bucket-policy item: the policy and the caller's identity, each over HTTP", () => {
  interface Loopback {
    url: string;
    seen: string[];
    close(): Promise<void>;
  }
  async function listen(answer: () => { status: number; body: string; type: string } | 'hang'): Promise<Loopback> {
    const seen: string[] = [];
    const server: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        seen.push(
          `${request.method} ${request.url} ${body} ${request.headers.authorization?.split(' ')[0] ?? 'unsigned'}`,
        );
        const reply = answer();
        if (reply === 'hang') return;
        response.writeHead(reply.status, { 'content-type': reply.type, date: new Date().toUTCString() });
        response.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      seen,
      close: () => {
        server.closeAllConnections();
        return new Promise((resolve) => server.close(() => resolve()));
      },
    };
  }
  const credentials = EXAMPLE_CREDENTIALS;
  const identity = (arn: string) => ({
    status: 200,
    type: 'text/xml',
    body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${arn}</Arn><UserId>AROAEXAMPLEID:session</UserId><Account>${ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
  });
  const stsError = (status: number, code: string) => ({
    status,
    type: 'text/xml',
    body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
  });
  const config = signingConfigFrom({
    S3_ENDPOINT_MODE: 'interface',
    S3_REGION: 'us-east-1',
    S3_VPCE_DNS_NAME: 'vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
    S3_BUCKETS: 'my-bucket',
    HEALTH_TIMEOUT_MS: '1000',
  });

  async function item(
    bucketPolicy: unknown,
    sts: (() => ReturnType<typeof identity> | 'hang') | 'closed',
    roleArnHint: string | undefined = SERVICE_ROLE,
  ) {
    const s3Server = await listen(() => ({
      status: 200,
      type: 'application/json',
      body: JSON.stringify(bucketPolicy),
    }));
    const stsServer = await listen(sts === 'closed' ? () => 'hang' : sts);
    if (sts === 'closed') await stsServer.close();
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: s3Server.url,
      forcePathStyle: true,
      credentials,
      maxAttempts: 1,
    });
    const stsClient = new STSClient({ region: 'us-east-1', endpoint: stsServer.url, credentials, maxAttempts: 1 });
    try {
      const result = await bucketPolicyCheck(config, s3, stsClient, 'my-bucket', {
        vpceIds: [],
        roleArnHint,
      });
      return { result, stsSeen: stsServer.seen };
    } finally {
      s3.destroy();
      stsClient.destroy();
      await s3Server.close();
      if (sts !== 'closed') await stsServer.close();
    }
  }

  it("the generated policy, STS naming the service's session: ok, for the role ARN with its path", async () => {
    const { result, stsSeen } = await item(generated, () => identity(SERVICE_SESSION));
    assert.equal(result?.status, 'ok', result?.message);
    assert.match(
      result?.message ?? '',
      /this service's principal arn:aws:iam::123456789012:role\/s3-presign from outside/,
    );
    assert.deepEqual(stsSeen, ['POST / Action=GetCallerIdentity&Version=2011-06-15 AWS4-HMAC-SHA256']);
  });

  it('an admin pattern that covers the service role: warned, though it refuses every other principal', async () => {
    const { result } = await item(exempting(`arn:aws:iam::${ACCOUNT}:role/*`), () => identity(SERVICE_SESSION));
    assert.equal(result?.status, 'warn');
    assert.equal(result?.code, 'POLICY_NOT_ENFORCED');
  });

  for (const [what, sts, reason] of [
    ['STS refuses the credentials', () => stsError(403, 'InvalidClientTokenId'), 'InvalidClientTokenId, HTTP 403'],
    ['STS is not listening', 'closed', 'ECONNREFUSED'],
    ['STS never answers', () => 'hang' as const, 'no answer in time'],
  ] as const) {
    it(`${what}: a warning naming the failure, never ok`, async () => {
      const { result } = await item(generated, sts);
      assert.equal(result?.status, 'warn', result?.message);
      assert.equal(result?.code, 'POLICY_PRINCIPAL_UNKNOWN');
      assert.ok(result?.message.includes(`sts:GetCallerIdentity failed (${reason})`), result?.message);
    });
  }

  it('lookUpServicePrincipal: a session of a role, a user, and an answer that is neither', async () => {
    for (const [arn, expected] of [
      [SERVICE_SESSION, { kind: 'role-path-unknown' }],
      [
        `arn:aws:iam::${ACCOUNT}:user/ops/alice`,
        { kind: 'exact', principalArn: `arn:aws:iam::${ACCOUNT}:user/ops/alice` },
      ],
      [`arn:aws:iam::${ACCOUNT}:group/admins`, undefined],
    ] as const) {
      const server = await listen(() => identity(arn));
      const sts = new STSClient({ region: 'us-east-1', endpoint: server.url, credentials, maxAttempts: 1 });
      try {
        const lookup = await lookUpServicePrincipal(sts, undefined);
        if (expected === undefined) {
          assert.equal(lookup.ok, false);
          assert.match(lookup.ok ? '' : lookup.reason, /not a role, user or federated user/);
        } else {
          assert.ok(lookup.ok);
          for (const [field, value] of Object.entries(expected)) {
            assert.equal(lookup.principal[field as keyof typeof lookup.principal], value);
          }
        }
      } finally {
        sts.destroy();
        await server.close();
      }
    }
  });
});
