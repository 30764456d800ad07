import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { cli, cliProcess } from './run.js';

const INTERFACE = [
  '--mode',
  'interface',
  '--region',
  'us-east-1',
  '--vpce-dns',
  '*.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
];

test('policy --json prints the three policies for interface mode, the pinned endpoint included', async () => {
  const result = await cli([
    'policy',
    ...INTERFACE,
    '--bucket',
    'my-bucket',
    '--vpce-id',
    'vpce-0123456789abcdef0',
    '--admin-arn',
    'arn:aws:iam::123456789012:role/StorageAdmin',
    '--json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const body = JSON.parse(result.stdout);
  assert.deepEqual(Object.keys(body), ['bucketPolicy', 'endpointPolicy', 'servicePolicy', 'lifecycleConfiguration']);
  const deny = body.bucketPolicy.Statement[0];
  assert.equal(deny.Effect, 'Deny');
  assert.deepEqual(deny.Condition.StringNotEquals['aws:SourceVpce'], ['vpce-0123456789abcdef0', 'vpce-1a2b3c4d']);
  assert.deepEqual(deny.Condition.ArnNotLikeIfExists['aws:PrincipalArn'], [
    'arn:aws:iam::*:role/aws-service-role/*',
    'arn:aws:iam::123456789012:role/StorageAdmin',
  ]);
  assert.deepEqual(body.lifecycleConfiguration.Rules, [
    {
      ID: 's3-presign-abort-incomplete-multipart-uploads',
      Status: 'Enabled',
      Filter: { Prefix: '' },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    },
  ]);
  assert.deepEqual(body.endpointPolicy.Statement[0].Resource, ['arn:aws:s3:::my-bucket', 'arn:aws:s3:::my-bucket/*']);
});

test('policy reads the callers file for the key prefixes, from --clients or AUTH_CLIENTS_FILE', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-policy-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const clients = join(directory, 'clients.yaml');
  await writeFile(
    clients,
    `clients:
  - id: web
    jwt: {jwksUrl: 'https://idp.example/jwks', issuer: i, audience: a}
    policy: {operations: [put], keyPrefixes: ['users/{sub}/']}
`,
  );
  for (const [args, env] of [
    [['--clients', clients], {}],
    [[], { AUTH_CLIENTS_FILE: clients }],
  ] as const) {
    const result = await cli(['policy', ...INTERFACE, '--bucket', 'my-bucket', '--json', ...args], env);
    assert.equal(result.code, 0, result.stderr);
    const { servicePolicy } = JSON.parse(result.stdout);
    assert.deepEqual(
      servicePolicy.Statement.map((statement: { Sid: string; Resource: string[] }) => [
        statement.Sid,
        statement.Resource,
      ]),
      [
        ['PresignedPutAndMultipart', ['arn:aws:s3:::my-bucket/users/*/*']],
        ['HealthProbeHeadBucket', ['arn:aws:s3:::my-bucket']],
      ],
    );
    assert.match(result.stderr, /warning: no --admin-arn/);
  }

  await writeFile(
    clients,
    `clients:\n  - id: x\n    apiKeySha256: '${'a'.repeat(64)}'\n    policy: {operations: [get], keyPrefixes: ['']}\n    buckets: [b]\n`,
  );
  const bad = await cli(['policy', ...INTERFACE, '--bucket', 'my-bucket', '--clients', clients]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--clients .*clients\.yaml/);
  assert.equal(bad.stdout, '');
});

test('policy without --json prints each policy with the command that attaches it', async () => {
  const result = await cli([
    'policy',
    '--role-name',
    's3-presign',
    '--mode',
    'regional',
    '--region',
    'us-gov-west-1',
    '--fips',
    '--bucket',
    'records',
    '--vpce-id',
    'vpce-0123456789abcdef0',
  ]);
  assert.equal(result.code, 0, result.stderr);
  // The files docs/private-route.md writes from --json, one per key.
  assert.match(result.stdout, /aws s3api put-bucket-policy --bucket records --policy file:\/\/bucketPolicy\.json/);
  assert.match(result.stdout, /aws ec2 modify-vpc-endpoint .* --policy-document file:\/\/endpointPolicy\.json/);
  assert.match(
    result.stdout,
    /aws iam put-role-policy --role-name s3-presign --policy-name s3-presign --policy-document file:\/\/servicePolicy\.json {3}# the role from --role-name\n/,
  );
  assert.match(result.stdout, /--lifecycle-configuration file:\/\/lifecycleConfiguration\.json/);
  const lifecycle = result.stdout.slice(result.stdout.indexOf('# Lifecycle configuration'));
  assert.match(
    lifecycle,
    /^# Lifecycle configuration: S3 aborts multipart uploads still incomplete 7 days after they began /,
  );
  assert.match(lifecycle, /replaces the bucket's whole lifecycle configuration/);
  assert.deepEqual(lifecycle.split('\n').slice(1, 3), [
    '#   aws s3api get-bucket-lifecycle-configuration --bucket records',
    '#   aws s3api put-bucket-lifecycle-configuration --bucket records --lifecycle-configuration file://lifecycleConfiguration.json',
  ]);
  assert.equal(
    JSON.parse(lifecycle.slice(lifecycle.indexOf('\n{'))).Rules[0].AbortIncompleteMultipartUpload.DaysAfterInitiation,
    7,
  );
  assert.match(result.stdout, /"arn:aws-us-gov:s3:::records\/\*"/);
  assert.doesNotMatch(result.stdout, /arn:aws:s3/);
});

test('policy refuses bad flags and impossible configurations with a clear error', async () => {
  for (const [args, message] of [
    [['--mode', 'regional', '--region', 'eu-west-1', '--bucket', 'b-1'], /needs --vpce-id/],
    [
      ['--mode', 'regional', '--region', 'eu-west-1', '--bucket', 'b-1', '--vpce-id', 'vpc-123'],
      /not a VPC endpoint ID/,
    ],
    [[...INTERFACE, '--bucket', 'b-1', '--admin-arn', 'root'], /not an IAM principal ARN/],
    [
      [...INTERFACE, '--bucket', 'b-1', '--admin-arn', 'arn:aws:iam::123456789012:role/*'],
      /--admin-arn "arn:aws:iam::123456789012:role\/\*" has a wildcard .* can match the service's own role/,
    ],
    [
      [
        ...INTERFACE,
        '--bucket',
        'b-1',
        '--service-role-arn',
        'arn:aws:iam::123456789012:role/apps/s3-presign',
        '--admin-arn',
        'arn:aws:iam::123456789012:role/s3-presign',
      ],
      /--admin-arn "arn:aws:iam::123456789012:role\/s3-presign" is the service's own role \(--service-role-arn arn:aws:iam::123456789012:role\/apps\/s3-presign\)/,
    ],
    [[...INTERFACE, '--bucket', 'b-1', '--service-role-arn', 'nope'], /--service-role-arn "nope" is not a role ARN/],
    [['--mode', 'accelerate', '--region', 'eu-west-1', '--bucket', 'b-1'], /public by nature/],
    [['--mode', 'local', '--bucket', 'b-1'], /not AWS S3/],
    [[...INTERFACE], /no bucket/],
    [[...INTERFACE, '--bucket', 'b-1', '--frobnicate'], /Unknown option '--frobnicate'/],
    [[...INTERFACE, '--bucket', 'b-1', '--clients', '/nonexistent/clients.yaml'], /cannot read \/nonexistent/],
    [['--mode', 'regional', '--region', 'aws-global', '--bucket', 'b-1'], /legacy global endpoint/],
  ] as const) {
    const result = await cli(['policy', ...args]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(result.stdout, '');
  }
});

test("policy checks the admin ARNs against AWS_ROLE_ARN, the service's role where it runs (IRSA)", async () => {
  const args = ['policy', ...INTERFACE, '--bucket', 'b-1', '--admin-arn', 'arn:aws:iam::123456789012:role/s3-presign'];
  const refused = await cli(args, { AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/s3-presign' });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /is the service's own role \(AWS_ROLE_ARN arn:aws:iam::123456789012:role\/s3-presign\)/);
  // The flag names the service's role when the variable is someone else's.
  const flagged = await cli([...args, '--service-role-arn', 'arn:aws:iam::123456789012:role/other'], {
    AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/s3-presign',
  });
  assert.equal(flagged.code, 0, flagged.stderr);
});

test('doctor refuses a --service-role-arn that names no role path', async () => {
  for (const [arn, message] of [
    ['nope', /--service-role-arn "nope" is not a role ARN/],
    ['arn:aws:sts::123456789012:assumed-role/s3-presign/s', /is a role session, which does not say the role's path/],
    ['arn:aws-cn:iam::123456789012:role/s3-presign', /partition aws-cn, the buckets are in aws/],
  ] as const) {
    const result = await cli(['doctor', ...INTERFACE, '--bucket', 'my-bucket', '--service-role-arn', arn]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
    assert.equal(result.stdout, '');
  }
});

test('doctor walks the private-route checklist: checks, then verify-by-hand lines with commands', async () => {
  const result = await cli(['doctor', ...INTERFACE, '--bucket', 'my-bucket', '--json'], {
    HEALTH_TIMEOUT_MS: '1000',
    AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/s3-presign',
  });
  const report = JSON.parse(result.stdout);
  // The /healthz checks come first, unchanged (test/health/endpoint-checks.test.ts covers the private-DNS rule).
  assert.deepEqual(
    report.checks.map((check: { name: string }) => check.name),
    ['dns', 'tcp', 'tls', 's3', 'credentials', 'clock'],
  );
  const items = new Map(
    report.checklist.map((item: { name: string; status: string; commands?: string[] }) => [item.name, item]),
  );
  assert.deepEqual(
    [...items.keys()],
    [
      'route',
      'bucket-policy',
      'encryption',
      'gateway',
      'interface',
      'endpoint-policy',
      'service-role',
      'direct-connect',
      'onprem-dns',
      'backbone',
    ],
  );
  const item = (name: string) => items.get(name) as { status: string; commands?: string[] };
  assert.equal(item('route').status, 'ok');
  // No S3 answers on this route: the default encryption is left to check by hand.
  assert.equal(item('encryption').status, 'skipped');
  assert.deepEqual(item('encryption').commands, ['aws s3api get-bucket-encryption --bucket my-bucket']);
  for (const name of ['gateway', 'interface', 'service-role', 'direct-connect', 'onprem-dns', 'backbone']) {
    assert.equal(item(name).status, 'manual');
    assert.ok((item(name).commands ?? []).every((command) => command.startsWith('aws ') || command.startsWith('dig ')));
  }
  assert.match(item('interface').commands?.[0] ?? '', /--vpc-endpoint-ids vpce-1a2b3c4d /);
  assert.match(
    item('service-role').commands?.[0] ?? '',
    /--policy-source-arn arn:aws:iam::123456789012:role\/s3-presign /,
  );

  const text = await cli(['doctor', ...INTERFACE, '--bucket', 'my-bucket'], { HEALTH_TIMEOUT_MS: '1000' });
  assert.match(text.stdout, /\[\?\] direct-connect +verify by hand: /);
  assert.match(text.stdout, /\n {6}\$ aws directconnect describe-virtual-interfaces --region us-east-1 /);
});

test('policy --kms-key-arn: the KMS grant and the encryption refusals; the configured key by default', async () => {
  const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const base = ['policy', ...INTERFACE, '--bucket', 'my-bucket', '--admin-arn', 'arn:aws:iam::123456789012:role/A'];
  const sids = (body: {
    bucketPolicy: { Statement: Array<{ Sid: string }> };
    servicePolicy: { Statement: Array<{ Sid: string }> };
  }) => [
    ...body.bucketPolicy.Statement.map((statement) => statement.Sid),
    ...body.servicePolicy.Statement.map((statement) => statement.Sid),
  ];
  const flagged = await cli([...base, '--kms-key-arn', key, '--json']);
  assert.equal(flagged.code, 0, flagged.stderr);
  const body = JSON.parse(flagged.stdout);
  for (const sid of [
    'DenyUploadsWithOtherEncryption',
    'DenyUploadsWithOtherKmsKey',
    'DenyKmsUploadsWithoutTheKey',
    'KmsKeyThroughS3',
  ]) {
    assert.ok(sids(body).includes(sid), sid);
  }
  const grant = body.servicePolicy.Statement.find((statement: { Sid: string }) => statement.Sid === 'KmsKeyThroughS3');
  assert.deepEqual(grant.Resource, [key]);
  assert.deepEqual(grant.Condition.StringEquals, { 'kms:ViaService': ['s3.us-east-1.amazonaws.com'] });

  // The configured key without the flag: the same policies.
  const configured = await cli([...base, '--json'], { S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: key });
  assert.deepEqual(JSON.parse(configured.stdout), body);
  // Without encryption configured or flagged: none of it.
  assert.equal(
    sids(JSON.parse((await cli([...base, '--json'])).stdout)).some((sid) => /Kms|Encryption/.test(sid)),
    false,
  );

  // The text form says where the key policy must admit IAM.
  const text = await cli([...base, '--kms-key-arn', key]);
  assert.match(text.stdout, new RegExp(`aws kms get-key-policy --key-id ${key} --policy-name default`));

  for (const [args, env, message] of [
    [['--kms-key-arn', key.replace('us-east-1', 'eu-west-1')], {}, /S3_SSE_KMS_KEY_ID: the key is in region eu-west-1/],
    [['--kms-key-arn', 'arn:aws:kms:us-east-1:123456789012:alias/uploads'], {}, /is an alias/],
    [['--kms-key-arn', key], { S3_SSE: 'AES256' }, /S3_SSE_KMS_KEY_ID: a KMS key applies only with aws:kms/],
  ] as const) {
    const refused = await cli([...base, ...args], env);
    assert.equal(refused.code, 2, refused.stdout);
    assert.match(refused.stderr, message);
  }
});

/** A stand-in STS on loopback (AWS_ENDPOINT_URL_STS) that names one caller. */
async function fakeSts(t: TestContext, callerArn: string): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    response.setHeader('content-type', 'text/xml');
    response.end(
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${callerArn}</Arn><UserId>AROAEXAMPLE:s</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const REGIONAL = [
  'policy',
  '--mode',
  'regional',
  '--region',
  'eu-west-1',
  '--bucket',
  'b1',
  '--vpce-id',
  'vpce-0123456789abcdef0',
];
const attachRole = (stdout: string) => /^# {3}(aws iam put-role-policy .*|\(pass the role.*)$/m.exec(stdout)?.[1];

test('policy names the role to attach to: --role-name, the service role ARN, else STS; never a placeholder', async (t) => {
  // STS's endpoint (AWS_ENDPOINT_URL_STS) is the SDK's to read from the process's environment:
  // those runs are processes.
  const sessionOf = (role: string) => `arn:aws:sts::123456789012:assumed-role/${role}/i-0abc`;
  const byFlag = await cli([...REGIONAL, '--service-role-arn', 'arn:aws:iam::123456789012:role/apps/presigner']);
  assert.equal(byFlag.code, 0, byFlag.stderr);
  assert.match(
    attachRole(byFlag.stdout) ?? '',
    /^aws iam put-role-policy --role-name presigner .*# the role from --service-role-arn$/,
  );

  const fromSts = await cliProcess(REGIONAL, { AWS_ENDPOINT_URL_STS: await fakeSts(t, sessionOf('presigner-task')) });
  assert.equal(fromSts.code, 0, fromSts.stderr);
  assert.match(
    attachRole(fromSts.stdout) ?? '',
    /^aws iam put-role-policy --role-name presigner-task .*# the role from sts:GetCallerIdentity \(arn:aws:sts::123456789012:assumed-role\/presigner-task\/i-0abc\)$/,
  );

  const admin = await cliProcess([...REGIONAL, '--admin-arn', 'arn:aws:iam::123456789012:role/StorageAdmin'], {
    AWS_ENDPOINT_URL_STS: await fakeSts(t, sessionOf('StorageAdmin')),
  });
  assert.match(
    attachRole(admin.stdout) ?? '',
    /^\(pass the role's name as --role-name NAME .*an --admin-arn, not the service's role\)$/,
  );

  const user = await cliProcess(REGIONAL, {
    AWS_ENDPOINT_URL_STS: await fakeSts(t, 'arn:aws:iam::123456789012:user/alice'),
  });
  assert.match(attachRole(user.stdout) ?? '', /which is not a role\)$/);

  const unreachable = await cliProcess(REGIONAL, { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' });
  assert.equal(unreachable.code, 0, unreachable.stderr);
  assert.match(attachRole(unreachable.stdout) ?? '', /sts:GetCallerIdentity failed \(ECONNREFUSED\)\)$/);
  for (const result of [byFlag, fromSts, admin, user, unreachable]) assert.doesNotMatch(result.stdout, /\bROLE\b/);

  const bad = await cli([...REGIONAL, '--role-name', 'a role']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--role-name "a role" is not an IAM role name/);
});
