// The generated policies evaluated by an IAM policy simulator (@cloud-copilot/iam-simulate,
// a test-only devDependency): identity, bucket and VPC endpoint policies together, the way S3
// authorises a request, for every action the service uses and for the requests it must refuse.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { ClientDefinition } from '../../../src/auth/callers.js';
import {
  generatePolicies,
  grantsFromClients,
  PolicyInputError,
  type PolicyDocument,
  type PolicyInput,
} from '../../../src/iam/generate-policies.js';
import { SERVICE_ACTIONS } from '../../../src/iam/service-actions.js';
import { signingConfigFrom as config } from '../../fixtures/config.js';

const ACCOUNT = '123456789012';
const SERVICE_ROLE = `arn:aws:iam::${ACCOUNT}:role/s3-presign`;
const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/StorageAdmin`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/some-workload`;
const INTERFACE_VPCE = 'vpce-1a2b3c4d'; // from the DNS name below
const GATEWAY_VPCE = 'vpce-0123456789abcdef0';
const OTHER_VPCE = 'vpce-99999999';
const ALLOW_EVERYTHING: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'All', Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
};
const ALLOW_EVERYTHING_ENDPOINT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }],
};

const interfaceConfig = config({
  S3_ENDPOINT_MODE: 'interface',
  S3_REGION: 'us-east-1',
  S3_VPCE_DNS_NAME: '*.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
  S3_BUCKETS: 'my-bucket,archive-bucket',
});

const clients: ClientDefinition[] = [
  {
    id: 'billing',
    apiKeySha256: 'a'.repeat(64),
    policy: { operations: ['get', 'put'], buckets: ['my-bucket'], keyPrefixes: ['billing/'] },
  },
  {
    id: 'web',
    jwt: { jwksUrl: 'https://idp.example/jwks', issuer: 'i', audience: 'a' },
    policy: { operations: ['put'], keyPrefixes: ['users/{sub}/'] },
  },
  {
    id: 'reports',
    apiKeySha256: 'b'.repeat(64),
    policy: { operations: ['get'], buckets: ['archive-bucket'], keyPrefixes: ['reports*2026/'] },
  },
];

const policies = generatePolicies({
  mode: interfaceConfig.mode,
  buckets: interfaceConfig.buckets,
  vpceIds: [GATEWAY_VPCE],
  adminArns: [ADMIN_ROLE],
  grants: grantsFromClients(clients, interfaceConfig.buckets),
});

type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

interface Request {
  /** An IAM principal's ARN, or a service principal (`logging.s3.amazonaws.com`). */
  principal: string;
  identity: PolicyDocument;
  action: string;
  resource: string;
  /** Absent: the public path. */
  vpce?: string;
  endpointPolicy?: unknown;
  resourcePolicy?: PolicyDocument;
  account?: string;
  /** Made by an AWS service with the principal's own credentials (forward access session). */
  viaAwsService?: boolean;
}

const isServicePrincipal = (principal: string) => principal.endsWith('.amazonaws.com');

/** The context S3 builds: the keys every signed request carries, as IAM documents them. */
function contextOf(request: Request): Record<string, string> {
  if (isServicePrincipal(request.principal)) {
    // A service acting as itself has no aws:PrincipalArn; it has its service name.
    return { 'aws:PrincipalIsAWSService': 'true', 'aws:PrincipalServiceName': request.principal };
  }
  return {
    'aws:PrincipalArn': request.principal,
    'aws:PrincipalAccount': request.principal.split(':')[4] as string,
    'aws:PrincipalIsAWSService': 'false',
    'aws:ViaAWSService': String(request.viaAwsService === true),
  };
}

async function decide(request: Request, set = policies): Promise<Decision> {
  const contextVariables = contextOf(request);
  if (request.vpce !== undefined) contextVariables['aws:SourceVpce'] = request.vpce;
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.account ?? ACCOUNT },
      contextVariables,
    },
    identityPolicies: isServicePrincipal(request.principal) ? [] : [{ name: 'identity', policy: request.identity }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: request.resourcePolicy ?? set.bucketPolicy,
  };
  if (request.vpce !== undefined) {
    simulation.vpcEndpointPolicies = [{ name: request.vpce, policy: request.endpointPolicy ?? set.endpointPolicy }];
  }
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') assert.fail(`simulation refused its input: ${JSON.stringify(result.errors)}`);
  // A key the simulator drops would make a condition on it meaningless here.
  if (result.resultType === 'single') assert.deepEqual(result.result.ignoredContextKeys, []);
  return result.overallResult as Decision;
}

const asService = (action: string, resource: string, vpce?: string): Request => {
  const request: Request = { principal: SERVICE_ROLE, identity: policies.servicePolicy, action, resource };
  if (vpce !== undefined) request.vpce = vpce;
  return request;
};

describe('interface mode: the requests the service makes and mints', () => {
  const objectCases = [
    ['presigned GET', 's3:GetObject', 'arn:aws:s3:::my-bucket/billing/2026/invoice.pdf'],
    ['presigned PUT', 's3:PutObject', 'arn:aws:s3:::my-bucket/billing/new.pdf'],
    ['PUT under a user prefix', 's3:PutObject', 'arn:aws:s3:::my-bucket/users/alice/photo.png'],
    ['multipart abort', 's3:AbortMultipartUpload', 'arn:aws:s3:::archive-bucket/users/bob/big.bin'],
    ['multipart list parts', 's3:ListMultipartUploadParts', 'arn:aws:s3:::my-bucket/users/bob/big.bin'],
    ['GET under a prefix with a literal *', 's3:GetObject', 'arn:aws:s3:::archive-bucket/reports*2026/q1.csv'],
    ['health probe HeadBucket', 's3:ListBucket', 'arn:aws:s3:::my-bucket'],
  ] as const;
  for (const [what, action, resource] of objectCases) {
    for (const vpce of [INTERFACE_VPCE, GATEWAY_VPCE]) {
      it(`${what} (${action}) through ${vpce}: Allowed`, async () => {
        assert.equal(await decide(asService(action, resource, vpce)), 'Allowed');
      });
    }
    it(`${what} (${action}) from the public path: ExplicitlyDenied by the bucket policy`, async () => {
      assert.equal(await decide(asService(action, resource)), 'ExplicitlyDenied');
    });
    it(`${what} (${action}) through another VPC endpoint (${OTHER_VPCE}): ExplicitlyDenied`, async () => {
      const request = { ...asService(action, resource, OTHER_VPCE), endpointPolicy: ALLOW_EVERYTHING_ENDPOINT };
      assert.equal(await decide(request), 'ExplicitlyDenied');
    });
  }

  it('every action of the service is covered by a case above', () => {
    const covered = new Set(objectCases.map(([, action]) => action as string));
    assert.deepEqual(
      SERVICE_ACTIONS.map((entry) => entry.action).filter((action) => !covered.has(action)),
      [],
    );
  });
});

describe('interface mode: the admin and other principals', () => {
  for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket']) {
    const resource = action === 's3:ListBucket' ? 'arn:aws:s3:::my-bucket' : 'arn:aws:s3:::my-bucket/anything';
    it(`the admin ARN, from the public path, ${action}: Allowed`, async () => {
      const admin = { principal: ADMIN_ROLE, identity: ALLOW_EVERYTHING, action, resource };
      assert.equal(await decide(admin), 'Allowed');
    });
  }
  it('another principal with s3:* in its own policy, from the public path: ExplicitlyDenied', async () => {
    const other = {
      principal: OTHER_ROLE,
      identity: ALLOW_EVERYTHING,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::my-bucket/billing/x',
    };
    assert.equal(await decide(other), 'ExplicitlyDenied');
    assert.equal(await decide({ ...other, vpce: INTERFACE_VPCE }), 'Allowed');
  });
  it('bucket administration is never denied, so a wrong policy can be corrected', async () => {
    const putPolicy = {
      principal: OTHER_ROLE,
      identity: ALLOW_EVERYTHING,
      action: 's3:PutBucketPolicy',
      resource: 'arn:aws:s3:::my-bucket',
    };
    assert.equal(await decide(putPolicy), 'Allowed');
  });
});

describe("admin patterns can never exempt the service's own role", () => {
  // Each pattern either is refused, or the policy it yields still refuses the service's role
  // everything from outside the endpoints: no pattern can switch the deny off for the URLs.
  const SERVICE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/s3-presign/botocore-session-1`;
  const candidates: Array<[string, string, { serviceRoleArn?: string }?]> = [
    ['every role of the account', `arn:aws:iam::${ACCOUNT}:role/*`],
    ['roles named like the service', `arn:aws:iam::${ACCOUNT}:role/s3-*`],
    ['a one-character wildcard', `arn:aws:iam::${ACCOUNT}:role/?3-presign`],
    ['any path', `arn:aws:iam::${ACCOUNT}:role/*/StorageAdmin`],
    ['any account', 'arn:aws:iam::*:role/StorageAdmin'],
    ['everyone', '*'],
    ['the root user', `arn:aws:iam::${ACCOUNT}:root`],
    ['every user', `arn:aws:iam::${ACCOUNT}:user/*`],
    ['a session ARN', SERVICE_SESSION],
    ['a policy variable', `arn:aws:iam::${ACCOUNT}:role/\${aws:username}`],
    ['the service role, known from --service-role-arn', SERVICE_ROLE, { serviceRoleArn: SERVICE_ROLE }],
    [
      'the service role in another case, known as the session STS names',
      `arn:aws:iam::${ACCOUNT}:role/S3-Presign`,
      { serviceRoleArn: SERVICE_SESSION },
    ],
    [
      'a role of the same name on another path (it is the same role)',
      `arn:aws:iam::${ACCOUNT}:role/team/s3-presign`,
      { serviceRoleArn: SERVICE_ROLE },
    ],
    ['an admin role, written out', ADMIN_ROLE, { serviceRoleArn: SERVICE_ROLE }],
    ['an admin user on a path, written out', `arn:aws:iam::${ACCOUNT}:user/ops/alice`],
  ];
  const accepted: string[] = [];
  for (const [what, arn, known] of candidates) {
    it(`${what} (${arn}): refused, or the service role stays denied from outside`, async () => {
      let set: ReturnType<typeof generatePolicies>;
      try {
        set = generatePolicies({
          mode: interfaceConfig.mode,
          buckets: interfaceConfig.buckets,
          vpceIds: [GATEWAY_VPCE],
          adminArns: [arn],
          ...(known?.serviceRoleArn
            ? { serviceRole: { arn: known.serviceRoleArn, source: '--service-role-arn' } }
            : {}),
        });
      } catch (error) {
        assert.ok(error instanceof PolicyInputError, String(error));
        assert.ok(error.message.startsWith(`--admin-arn "${arn}"`), error.message);
        return;
      }
      accepted.push(arn);
      for (const { action, resource } of SERVICE_ACTIONS) {
        const target = resource === 'bucket' ? 'arn:aws:s3:::my-bucket' : 'arn:aws:s3:::my-bucket/billing/x';
        const request = { ...asService(action, target), identity: ALLOW_EVERYTHING };
        assert.equal(await decide(request, set), 'ExplicitlyDenied', `${action} from the public path`);
      }
    });
  }
  it('only the patterns written out that are not the service role are accepted', () => {
    assert.deepEqual(accepted, [ADMIN_ROLE, `arn:aws:iam::${ACCOUNT}:user/ops/alice`]);
  });

  it('the messages name the problem', () => {
    const refusal = (arn: string, serviceRoleArn?: string) => {
      try {
        generatePolicies({
          mode: interfaceConfig.mode,
          buckets: interfaceConfig.buckets,
          vpceIds: [],
          adminArns: [arn],
          ...(serviceRoleArn ? { serviceRole: { arn: serviceRoleArn, source: 'AWS_ROLE_ARN' } } : {}),
        });
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    assert.match(
      refusal(`arn:aws:iam::${ACCOUNT}:role/*`),
      /wildcard in the principal's name .* can match the service's own role/,
    );
    assert.match(refusal('*'), /names every principal/);
    assert.match(refusal('arn:aws:iam::*:role/x'), /write the account out as its 12 digits/);
    assert.match(refusal(`arn:aws:iam::${ACCOUNT}:root`), /only the account's root user .* needs no exemption/);
    assert.match(refusal(SERVICE_SESSION), /is a role session; aws:PrincipalArn holds the role's ARN/);
    assert.match(refusal(`arn:aws:iam::${ACCOUNT}:group/admins`), /not a role, user or federated user/);
    assert.equal(
      refusal(SERVICE_ROLE, SERVICE_ROLE),
      `--admin-arn "${SERVICE_ROLE}" is the service's own role (AWS_ROLE_ARN ${SERVICE_ROLE}): exempting it switches the deny off for every presigned URL`,
    );
    assert.equal(refusal(`arn:aws:sts::${ACCOUNT}:federated-user/bob`), 'accepted');
  });

  it('refuses a service role it cannot use', () => {
    for (const [arn, message] of [
      [`arn:aws:iam::${ACCOUNT}:user/alice`, /is not a role ARN/],
      [
        `arn:aws:iam::${ACCOUNT}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie`,
        /service-linked/,
      ],
      ['arn:aws-cn:iam::123456789012:role/s3-presign', /partition aws-cn, the buckets are in aws/],
    ] as const) {
      assert.throws(
        () =>
          generatePolicies({
            mode: interfaceConfig.mode,
            buckets: interfaceConfig.buckets,
            vpceIds: [],
            adminArns: [],
            serviceRole: { arn, source: '--service-role-arn' },
          }),
        (error: unknown) => error instanceof PolicyInputError && message.test(error.message),
      );
    }
  });
});

describe("the data perimeter: AWS services are not cut off, the service's role is", () => {
  const deny = policies.bucketPolicy.Statement.find((statement) => statement.Sid === 'DenyOutsideVpcEndpoints');
  /** The deny as it was before: aws:SourceVpce and the admin ARNs only. */
  const bare: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        ...(deny as PolicyDocument['Statement'][number]),
        Condition: {
          StringNotEquals: { 'aws:SourceVpce': [INTERFACE_VPCE, GATEWAY_VPCE] },
          ArnNotLike: { 'aws:PrincipalArn': [ADMIN_ROLE] },
        },
      },
    ],
  };
  /** What a bucket that receives logs and inventory reports has: S3's own principals may write. */
  const withDeliveries = (bucketPolicy: PolicyDocument): PolicyDocument => ({
    ...bucketPolicy,
    Statement: [
      ...bucketPolicy.Statement,
      {
        Sid: 'S3Deliveries',
        Effect: 'Allow',
        Principal: { Service: ['logging.s3.amazonaws.com', 's3.amazonaws.com'] },
        Action: ['s3:PutObject'],
        Resource: ['arn:aws:s3:::my-bucket/deliveries/*'],
      },
    ],
  });

  it("is AWS's network-perimeter condition, with the endpoints and the admin ARNs", () => {
    assert.deepEqual(deny?.Condition, {
      StringNotEquals: { 'aws:SourceVpce': [GATEWAY_VPCE, INTERFACE_VPCE] },
      BoolIfExists: { 'aws:PrincipalIsAWSService': ['false'], 'aws:ViaAWSService': ['false'] },
      ArnNotLikeIfExists: { 'aws:PrincipalArn': ['arn:aws:iam::*:role/aws-service-role/*', ADMIN_ROLE] },
    });
  });

  for (const service of ['logging.s3.amazonaws.com', 's3.amazonaws.com']) {
    it(`${service} delivering as itself, from outside any endpoint: Allowed (the bare deny refused it)`, async () => {
      const delivery: Request = {
        principal: service,
        identity: ALLOW_EVERYTHING,
        action: 's3:PutObject',
        resource: 'arn:aws:s3:::my-bucket/deliveries/2026-12-06-report',
      };
      assert.equal(await decide({ ...delivery, resourcePolicy: withDeliveries(policies.bucketPolicy) }), 'Allowed');
      assert.equal(await decide({ ...delivery, resourcePolicy: withDeliveries(bare) }), 'ExplicitlyDenied');
    });
  }

  it("a call an AWS service makes with a role's own credentials (aws:ViaAWSService): Allowed; the same call made directly: denied", async () => {
    const athena: Request = {
      principal: OTHER_ROLE,
      identity: ALLOW_EVERYTHING,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::my-bucket/billing/2026.parquet',
      viaAwsService: true,
    };
    assert.equal(await decide(athena), 'Allowed');
    assert.equal(await decide({ ...athena, resourcePolicy: bare }), 'ExplicitlyDenied');
    assert.equal(await decide({ ...athena, viaAwsService: false }), 'ExplicitlyDenied');
  });

  it('a service-linked role from outside any endpoint: Allowed; a role merely named like one: denied', async () => {
    const macie: Request = {
      principal: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie`,
      identity: ALLOW_EVERYTHING,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::my-bucket/billing/x',
    };
    assert.equal(await decide(macie), 'Allowed');
    assert.equal(await decide({ ...macie, resourcePolicy: bare }), 'ExplicitlyDenied');
    const lookalike = { ...macie, principal: `arn:aws:iam::${ACCOUNT}:role/aws-service-role-admin` };
    assert.equal(await decide(lookalike), 'ExplicitlyDenied');
  });

  for (const { action, resource } of SERVICE_ACTIONS) {
    const target = resource === 'bucket' ? 'arn:aws:s3:::my-bucket' : 'arn:aws:s3:::my-bucket/users/alice/x';
    it(`the service's role, ${action}: denied from the public path and another endpoint, allowed through its own`, async () => {
      const request = { ...asService(action, target), identity: ALLOW_EVERYTHING };
      assert.equal(await decide(request), 'ExplicitlyDenied');
      assert.equal(
        await decide({ ...request, vpce: OTHER_VPCE, endpointPolicy: ALLOW_EVERYTHING_ENDPOINT }),
        'ExplicitlyDenied',
      );
      assert.equal(await decide({ ...request, vpce: INTERFACE_VPCE }), 'Allowed');
      assert.equal(await decide({ ...request, vpce: GATEWAY_VPCE }), 'Allowed');
    });
  }
});

describe('interface mode: the endpoint reaches only the configured buckets', () => {
  for (const [action, resource] of [
    ['s3:GetObject', 'arn:aws:s3:::someone-elses-bucket/file'],
    ['s3:PutObject', 'arn:aws:s3:::exfiltration-bucket/dump.tar'],
    ['s3:ListBucket', 'arn:aws:s3:::someone-elses-bucket'],
  ] as const) {
    it(`${action} on ${resource} through ${INTERFACE_VPCE}: ImplicitlyDenied by the endpoint policy`, async () => {
      // A principal whose own policy allows it, and a bucket without any policy: only the
      // endpoint policy stands in the way.
      const request: Request = {
        principal: OTHER_ROLE,
        identity: ALLOW_EVERYTHING,
        action,
        resource,
        resourcePolicy: { Version: '2012-10-17', Statement: [] },
      };
      assert.equal(await decide({ ...request, vpce: INTERFACE_VPCE }), 'ImplicitlyDenied');
      assert.equal(
        await decide({ ...request, vpce: OTHER_VPCE, endpointPolicy: ALLOW_EVERYTHING_ENDPOINT }),
        'Allowed',
      );
    });
  }
  it('an action outside the service set through the endpoint: ImplicitlyDenied', async () => {
    const request = {
      principal: OTHER_ROLE,
      identity: ALLOW_EVERYTHING,
      action: 's3:DeleteObject',
      resource: 'arn:aws:s3:::my-bucket/billing/x',
      vpce: INTERFACE_VPCE,
    };
    assert.equal(await decide(request), 'ImplicitlyDenied');
  });
});

describe('the service role: exactly the actions the service uses, nothing broader', () => {
  for (const [action, resource] of [
    ['s3:GetObject', 'arn:aws:s3:::my-bucket/users/alice/photo.png'], // web may only put
    ['s3:GetObject', 'arn:aws:s3:::my-bucket/elsewhere/x'],
    ['s3:PutObject', 'arn:aws:s3:::my-bucket/billingX/x'],
    ['s3:PutObject', 'arn:aws:s3:::archive-bucket/reports*2026/x'], // reports may only get
    ['s3:GetObject', 'arn:aws:s3:::archive-bucket/reportsX2026/q1.csv'], // * is literal
    ['s3:GetObject', 'arn:aws:s3:::archive-bucket/reports/2026/q1.csv'],
    ['s3:DeleteObject', 'arn:aws:s3:::my-bucket/billing/x'],
    ['s3:GetObjectVersion', 'arn:aws:s3:::my-bucket/billing/x'],
    ['s3:PutObjectAcl', 'arn:aws:s3:::my-bucket/billing/x'],
    ['s3:GetBucketPolicy', 'arn:aws:s3:::my-bucket'],
    ['s3:PutBucketPolicy', 'arn:aws:s3:::my-bucket'],
    ['s3:ListBucketMultipartUploads', 'arn:aws:s3:::my-bucket'],
    ['s3:GetObject', 'arn:aws:s3:::other-bucket/billing/x'],
    ['s3:ListBucket', 'arn:aws:s3:::other-bucket'],
  ] as const) {
    it(`${action} on ${resource} through the endpoint: ImplicitlyDenied`, async () => {
      const request = { ...asService(action, resource, INTERFACE_VPCE), endpointPolicy: ALLOW_EVERYTHING_ENDPOINT };
      assert.equal(
        await decide({ ...request, resourcePolicy: { Version: '2012-10-17', Statement: [] } }),
        'ImplicitlyDenied',
      );
    });
  }

  it('names no wildcard action and no wildcard resource, only the configured buckets', () => {
    for (const statement of policies.servicePolicy.Statement) {
      assert.equal(statement.Effect, 'Allow');
      for (const action of statement.Action) {
        assert.ok(!action.includes('*') && !action.includes('?'), `wildcard action ${action}`);
        assert.ok(
          SERVICE_ACTIONS.some((entry) => entry.action === action),
          `${action} is not used by the service`,
        );
      }
      for (const resource of statement.Resource) {
        assert.notEqual(resource, '*');
        assert.match(resource, /^arn:aws:s3:::(my-bucket|archive-bucket)(\/.+)?$/);
      }
    }
    assert.deepEqual(
      policies.servicePolicy.Statement.find((statement) => statement.Sid === 'PresignedPutAndMultipart')?.Resource,
      ['arn:aws:s3:::my-bucket/billing/*', 'arn:aws:s3:::my-bucket/users/*/*', 'arn:aws:s3:::archive-bucket/users/*/*'],
    );
  });

  it('--doctor adds s3:GetBucketPolicy on the buckets, and only that', async () => {
    const withDoctor = generatePolicies({
      mode: interfaceConfig.mode,
      buckets: interfaceConfig.buckets,
      vpceIds: [],
      adminArns: [],
      doctorReadsPolicy: true,
    });
    const request = asService('s3:GetBucketPolicy', 'arn:aws:s3:::my-bucket', INTERFACE_VPCE);
    assert.equal(await decide({ ...request, identity: withDoctor.servicePolicy }, withDoctor), 'Allowed');
    assert.equal(await decide({ ...request, identity: policies.servicePolicy }, withDoctor), 'ImplicitlyDenied');
    const extra = withDoctor.servicePolicy.Statement.filter((statement) => statement.Sid === 'DoctorReadsBucketPolicy');
    assert.deepEqual(extra[0]?.Action, ['s3:GetBucketPolicy']);
  });
});

describe('access points', () => {
  const accessPoint = `arn:aws:s3:us-east-1:${ACCOUNT}:accesspoint/uploads-ap`;
  const apConfig = config({
    S3_ENDPOINT_MODE: 'regional',
    S3_REGION: 'us-east-1',
    S3_BUCKETS: accessPoint,
  });
  const apPolicies = generatePolicies({
    mode: apConfig.mode,
    buckets: apConfig.buckets,
    vpceIds: [GATEWAY_VPCE],
    adminArns: [ADMIN_ROLE],
    accessPointBucket: 'my-bucket',
  });
  const apPolicy = apPolicies.accessPointPolicies?.[accessPoint] as PolicyDocument;

  it('the role is granted the access point, its objects written accesspoint/NAME/object/KEY', () => {
    assert.deepEqual(apPolicies.servicePolicy.Statement[0]?.Resource, [`${accessPoint}/object/*`]);
    assert.deepEqual(
      apPolicies.bucketPolicy.Statement.map((statement) => statement.Sid),
      ['DenyOutsideVpcEndpoints', 'DelegateToAccessPoints'],
    );
  });

  for (const [action, path] of [
    ['s3:GetObject', '/object/k'],
    ['s3:PutObject', '/object/dir/k'],
    ['s3:ListBucket', ''],
  ] as const) {
    const resource = `${accessPoint}${path}`;
    it(`${action} on ${resource}: Allowed through ${GATEWAY_VPCE}, denied from the public path`, async () => {
      const request: Request = {
        ...asService(action, resource, GATEWAY_VPCE),
        identity: apPolicies.servicePolicy,
        resourcePolicy: apPolicy,
        endpointPolicy: apPolicies.endpointPolicy,
      };
      assert.equal(await decide(request, apPolicies), 'Allowed');
      const { vpce: _vpce, ...publicPath } = request;
      assert.equal(await decide(publicPath, apPolicies), 'ExplicitlyDenied');
    });
  }

  it('the bucket behind it refuses the public path and delegates the service actions to the account', async () => {
    const bucketObject = 'arn:aws:s3:::my-bucket/k';
    const other = { principal: OTHER_ROLE, identity: ALLOW_EVERYTHING, action: 's3:GetObject', resource: bucketObject };
    assert.equal(await decide(other, apPolicies), 'ExplicitlyDenied');
    const delegate = apPolicies.bucketPolicy.Statement[1];
    assert.deepEqual(delegate?.Condition, { StringEquals: { 's3:DataAccessPointAccount': [ACCOUNT] } });
  });

  it('refuses access points without the bucket behind them', () => {
    assert.throws(
      () =>
        generatePolicies({ mode: apConfig.mode, buckets: apConfig.buckets, vpceIds: [GATEWAY_VPCE], adminArns: [] }),
      (error: unknown) => error instanceof PolicyInputError && /--access-point-bucket/.test(error.message),
    );
  });
});

describe('partitions: FIPS and dual-stack change the host, not the ARNs; GovCloud and China change the partition', () => {
  for (const [env, partition] of [
    [{ S3_REGION: 'us-gov-west-1', S3_USE_FIPS: 'true' }, 'aws-us-gov'],
    [{ S3_REGION: 'us-east-1', S3_USE_FIPS: 'true', S3_USE_DUALSTACK: 'true' }, 'aws'],
    [{ S3_REGION: 'cn-north-1', S3_USE_DUALSTACK: 'true' }, 'aws-cn'],
  ] as const) {
    it(`${JSON.stringify(env)} → arn:${partition}`, async () => {
      const regional = config({ S3_ENDPOINT_MODE: 'regional', S3_BUCKETS: 'my-bucket', ...env });
      const admin = `arn:${partition}:iam::${ACCOUNT}:role/StorageAdmin`;
      const set = generatePolicies({
        mode: regional.mode,
        buckets: regional.buckets,
        vpceIds: [GATEWAY_VPCE],
        adminArns: [admin],
      });
      const resources = [set.bucketPolicy, set.endpointPolicy, set.servicePolicy].flatMap((document) =>
        document.Statement.flatMap((statement) => statement.Resource),
      );
      assert.ok(resources.length > 0);
      for (const resource of resources) assert.ok(resource.startsWith(`arn:${partition}:s3:::my-bucket`), resource);

      const role = `arn:${partition}:iam::${ACCOUNT}:role/s3-presign`;
      const get: Request = {
        principal: role,
        identity: set.servicePolicy,
        action: 's3:GetObject',
        resource: `arn:${partition}:s3:::my-bucket/k`,
        vpce: GATEWAY_VPCE,
      };
      assert.equal(await decide(get, set), 'Allowed');
      const { vpce: _vpce, ...publicPath } = get;
      assert.equal(await decide(publicPath, set), 'ExplicitlyDenied');
    });
  }

  it('refuses an admin ARN of another partition', () => {
    const regional = config({ S3_ENDPOINT_MODE: 'regional', S3_REGION: 'us-gov-west-1', S3_BUCKETS: 'b-1' });
    assert.throws(
      () =>
        generatePolicies({
          mode: regional.mode,
          buckets: regional.buckets,
          vpceIds: [GATEWAY_VPCE],
          adminArns: [ADMIN_ROLE],
        }),
      /partition aws, the buckets are in aws-us-gov/,
    );
  });
});

describe('inputs the generator refuses', () => {
  const regional = config({ S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_BUCKETS: 'b-1' });
  const base: PolicyInput = { mode: regional.mode, buckets: regional.buckets, vpceIds: [GATEWAY_VPCE], adminArns: [] };
  for (const [what, input, message] of [
    ['regional without an endpoint', { ...base, vpceIds: [] }, /needs --vpce-id/],
    ['a malformed endpoint ID', { ...base, vpceIds: ['vpce-xyz'] }, /not a VPC endpoint ID/],
    ['a malformed admin ARN', { ...base, adminArns: ['admin'] }, /not an IAM principal ARN/],
    [
      'accelerate mode',
      { ...base, mode: config({ S3_ENDPOINT_MODE: 'accelerate', S3_REGION: 'eu-west-1', S3_BUCKETS: 'b-1' }).mode },
      /public by nature/,
    ],
    ['local mode', { ...base, mode: config({ S3_BUCKETS: 'b-1' }).mode }, /not AWS S3/],
    [
      'a grant for a bucket outside the list',
      { ...base, grants: [{ bucket: 'nope', prefix: '', operations: ['get'] }] },
      /not in the bucket list/,
    ],
  ] as const) {
    it(what, () => {
      assert.throws(
        () => generatePolicies(input as PolicyInput),
        (error: unknown) => error instanceof PolicyInputError && message.test(error.message),
      );
    });
  }
});
