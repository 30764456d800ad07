// `s3-presign policy`: prints the bucket, VPC endpoint and service role policies for the
// configuration the flags and environment describe (src/iam/generate-policies.ts makes
// them), each with the command that attaches it.
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { callerRegistryFrom, clientsFileSchema } from '../auth/callers.js';
import type { Config } from '../config/config.js';
import { encryptionFor } from '../encryption/sse.js';
import {
  generatePolicies,
  grantsFromClients,
  PolicyInputError,
  type KeyGrant,
  type PolicySet,
} from '../iam/generate-policies.js';
import { roleOf, sameRole, type RoleIdentity } from '../iam/principal-arn.js';
import { UsageError, type CliIo, type Command } from './command.js';
import { MODE_FLAGS } from './help.js';
import { cliCredentials, configFrom, MODE_OPTIONS } from './mode-flags.js';

const POLICY_OPTIONS = {
  bucket: { type: 'string', multiple: true },
  'vpce-id': { type: 'string', multiple: true },
  'admin-arn': { type: 'string', multiple: true },
  'service-role-arn': { type: 'string' },
  clients: { type: 'string' },
  'access-point-bucket': { type: 'string' },
  doctor: { type: 'boolean' },
  'kms-key-arn': { type: 'string' },
  'role-name': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export interface PolicyFlags {
  'vpce-id'?: string[];
  'admin-arn'?: string[];
  'service-role-arn'?: string;
  clients?: string;
  'access-point-bucket'?: string;
  doctor?: boolean;
  /** Stands for S3_SSE_KMS_KEY_ID (laid over the environment before the Config is built). */
  'kms-key-arn'?: string;
  /** The service's role by name, for the put-role-policy command. */
  'role-name'?: string;
  json?: boolean;
}

/**
 * The file each document is attached from: its key in the `--json` output, which
 * docs/private-route.md splits into one file per key. One name everywhere.
 */
export const POLICY_FILES = {
  bucketPolicy: 'bucketPolicy.json',
  endpointPolicy: 'endpointPolicy.json',
  servicePolicy: 'servicePolicy.json',
  lifecycleConfiguration: 'lifecycleConfiguration.json',
} as const satisfies Partial<Record<keyof PolicySet, string>>;

/** Who asks STS for the caller's ARN; resolves to the ARN or rejects with why (no secret in it). */
export type CallerIdentityLookup = () => Promise<string>;

export const policy: Command = {
  summary: 'print the bucket, endpoint and role policies for this configuration',
  help: `Usage: s3-presign policy --bucket B [--vpce-id ID]… [--admin-arn ARN]… [options] [mode flags]

Prints the bucket policy, the VPC endpoint policy, the service role's policy and the lifecycle
rule for this configuration, each with the command that attaches it. The commands read the
files the --json output splits into (bucketPolicy.json, endpointPolicy.json,
servicePolicy.json, lifecycleConfiguration.json; see docs/private-route.md).
  --bucket B                 a bucket (repeatable; else S3_BUCKETS)
  --vpce-id ID               a VPC endpoint the bucket admits (repeatable)
  --admin-arn ARN            a principal the endpoint deny exempts (repeatable, no wildcard)
  --role-name NAME           the service's role for put-role-policy (else the role of
                             --service-role-arn or AWS_ROLE_ARN, else sts:GetCallerIdentity's)
  --service-role-arn ARN     the service's role, never exempted (else AWS_ROLE_ARN)
  --clients FILE             grant only the callers' prefixes (else AUTH_CLIENTS_FILE)
  --access-point-bucket B    the bucket behind the access points in the allowlist
  --kms-key-arn ARN          SSE-KMS with this key: grant it and refuse other encryption
  --doctor                   also grant what doctor reads
  --json                     {bucketPolicy, endpointPolicy, servicePolicy, lifecycleConfiguration}

${MODE_FLAGS}

Example:
  s3-presign policy --mode regional --region eu-west-1 --bucket my-bucket --vpce-id vpce-0123456789abcdef0 \\
    --admin-arn arn:aws:iam::123456789012:role/StorageAdmin --role-name s3-presign`,

  async run(args, io) {
    const { values } = parseArgs({ args, options: { ...MODE_OPTIONS, ...POLICY_OPTIONS }, strict: true });
    // --kms-key-arn is S3_SSE_KMS_KEY_ID for this run, and implies SSE-KMS unless S3_SSE says otherwise.
    const kmsKeyArn = values['kms-key-arn'];
    const sse: Record<string, string> =
      kmsKeyArn === undefined ? {} : { S3_SSE_KMS_KEY_ID: kmsKeyArn, S3_SSE: io.env.S3_SSE || 'aws:kms' };
    const config = configFrom(values, io.env, {
      bucket: values.bucket?.join(',') ?? io.env.S3_BUCKETS,
      overrides: sse,
    });
    try {
      return await runPolicyCommand(config, values, io);
    } catch (error) {
      throw error instanceof PolicyInputError ? new UsageError(error.message) : error;
    }
  },
};

/**
 * The policy set for a configuration and the command's flags; throws PolicyInputError.
 *
 * The service's role, against which the admin ARNs are checked, is `--service-role-arn` or
 * else AWS_ROLE_ARN (IRSA's variable, set where the service runs). sts:GetCallerIdentity is
 * not asked: the command usually runs with an operator's credentials, whose role is exactly
 * what `--admin-arn` names, and it runs offline (the Terraform template is generated in CI).
 */
export async function policiesFor(
  config: Config,
  flags: PolicyFlags,
  env: Readonly<Record<string, string | undefined>>,
): Promise<PolicySet> {
  const clientsFile = flags.clients ?? env.AUTH_CLIENTS_FILE;
  return generatePolicies({
    mode: config.mode,
    buckets: config.buckets,
    vpceIds: flags['vpce-id'] ?? [],
    adminArns: flags['admin-arn'] ?? [],
    serviceRole: serviceRoleOf(flags, env),
    grants: clientsFile === undefined ? undefined : await grantsFromClientsFile(clientsFile, config),
    accessPointBucket: flags['access-point-bucket'],
    doctorReadsPolicy: flags.doctor === true,
    encryption: (entry) => encryptionFor(config.encryption, entry),
  });
}

export async function runPolicyCommand(
  config: Config,
  flags: PolicyFlags,
  out: CliIo,
  callerIdentity: CallerIdentityLookup = () => callerArnFromSts(config, out.env),
): Promise<number> {
  const { env } = out;
  const policies = await policiesFor(config, flags, env);
  if ((flags['admin-arn'] ?? []).length === 0) {
    out.stderr.write(
      's3-presign policy: warning: no --admin-arn. Every principal outside the endpoints, console users included, is refused object access; bucket administration (Get/PutBucketPolicy) is not denied, so the policy stays correctable.\n',
    );
  }
  if (flags.json) {
    out.stdout.write(`${JSON.stringify(policies, null, 2)}\n`);
    return 0;
  }
  const role = await roleNameFor(flags, env, callerIdentity);
  const plain = config.buckets.filter((bucket) => !bucket.startsWith('arn:'));
  const policyBucket = flags['access-point-bucket'] ?? plain[0] ?? 'BUCKET';
  const sections: Array<[string, string[], unknown]> = [
    [
      'Bucket policy: refuses the service actions unless they arrive through the listed VPC endpoints (aws:SourceVpce); AWS services acting for themselves or for a caller, service-linked roles and the admin ARNs are not refused',
      [`aws s3api put-bucket-policy --bucket ${policyBucket} --policy file://${POLICY_FILES.bucketPolicy}`],
      policies.bucketPolicy,
    ],
    [
      'VPC endpoint policy: the endpoint reaches only these buckets, for the service actions',
      endpointIds(policies).map(
        (id) =>
          `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --policy-document file://${POLICY_FILES.endpointPolicy}`,
      ),
      policies.endpointPolicy,
    ],
    [
      "Service role policy: exactly the actions the service's URLs and server-side calls use, on the callers' keys (and each configured KMS key, through S3 only)",
      [
        'name' in role
          ? `aws iam put-role-policy --role-name ${role.name} --policy-name s3-presign --policy-document file://${POLICY_FILES.servicePolicy}   # the role from ${role.source}`
          : `(pass the role's name as --role-name NAME to see the put-role-policy command: ${role.problem})`,
      ],
      policies.servicePolicy,
    ],
    [
      `Lifecycle configuration: S3 aborts multipart uploads still incomplete ${policies.lifecycleConfiguration.Rules[0]?.AbortIncompleteMultipartUpload.DaysAfterInitiation} days after they began (when their upload IDs expire), so abandoned parts stop being billed. It replaces the bucket's whole lifecycle configuration: if get-bucket-lifecycle-configuration prints rules, put this one beside them in the file`,
      lifecycleBuckets(config, flags).flatMap((bucket) => [
        `aws s3api get-bucket-lifecycle-configuration --bucket ${bucket}`,
        `aws s3api put-bucket-lifecycle-configuration --bucket ${bucket} --lifecycle-configuration file://${POLICY_FILES.lifecycleConfiguration}`,
      ]),
      policies.lifecycleConfiguration,
    ],
  ];
  for (const [arn, document] of Object.entries(policies.accessPointPolicies ?? {})) {
    sections.push([
      `Access point policy for ${arn}`,
      [
        `aws s3control put-access-point-policy --account-id ${arn.split(':')[4]} --name ${arn.split('/').pop()} --policy file://accessPointPolicy.json`,
      ],
      document,
    ]);
  }
  const keys = policies.servicePolicy.Statement.filter((statement) => statement.Action.includes('kms:Decrypt')).flatMap(
    (statement) => statement.Resource,
  );
  if (keys.length > 0) {
    sections.push([
      "KMS key policy: must let IAM policies grant the key (the default key policy's root statement does); compare with",
      keys.map((key) => `aws kms get-key-policy --key-id ${key} --policy-name default --output text`),
      { keys },
    ]);
  }
  out.stdout.write(
    sections
      .map(([title, commands, document]) =>
        [`# ${title}`, ...commands.map((command) => `#   ${command}`), JSON.stringify(document, null, 2)].join('\n'),
      )
      .join('\n\n') + '\n',
  );
  return 0;
}

/**
 * The service role's name for put-role-policy: --role-name, else the role of --service-role-arn
 * or AWS_ROLE_ARN, else the role whose session STS says the operator's credentials are (run
 * where the service runs, that is the service's role).
 */
async function roleNameFor(
  flags: PolicyFlags,
  env: Readonly<Record<string, string | undefined>>,
  callerIdentity: CallerIdentityLookup,
): Promise<{ name: string; source: string } | { problem: string }> {
  if (flags['role-name'] !== undefined) {
    if (!/^[\w+=,.@-]{1,64}$/.test(flags['role-name'])) {
      throw new PolicyInputError(
        `--role-name "${flags['role-name']}" is not an IAM role name (1-64 of A-Z a-z 0-9 + = , . @ _ -)`,
      );
    }
    return { name: flags['role-name'], source: '--role-name' };
  }
  const named = serviceRoleOf(flags, env);
  if (named) return { name: (roleOf(named.arn) as RoleIdentity).name, source: named.source };
  let callerArn: string;
  try {
    callerArn = await callerIdentity();
  } catch (error) {
    return { problem: `sts:GetCallerIdentity failed (${(error as Error).message})` };
  }
  const role = roleOf(callerArn);
  if (!role) return { problem: `sts:GetCallerIdentity names ${callerArn}, which is not a role` };
  // Run from an administrator's shell, STS names the administrator: never attach the service's policy there.
  const admin = (flags['admin-arn'] ?? []).map(roleOf).find((candidate) => candidate && sameRole(candidate, role));
  if (admin) return { problem: `sts:GetCallerIdentity names ${callerArn}, an --admin-arn, not the service's role` };
  return { name: role.name, source: `sts:GetCallerIdentity (${callerArn})` };
}

async function callerArnFromSts(config: Config, env: CliIo['env']): Promise<string> {
  const { GetCallerIdentityCommand, STSClient } = await import('@aws-sdk/client-sts');
  const region = 'region' in config.mode ? config.mode.region : 'us-east-1';
  const { provider } = await cliCredentials(config, env);
  const sts = new STSClient({ region, credentials: provider, maxAttempts: 1 });
  try {
    const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
    if (Arn === undefined) throw new Error('STS answered without an ARN');
    return Arn;
  } catch (error) {
    const { name, code } = error as { name?: unknown; code?: unknown };
    // Network errors carry their errno code (ECONNREFUSED); service errors their name.
    throw new Error(typeof code === 'string' ? code : String(name ?? 'unknown error'), { cause: error });
  } finally {
    sts.destroy();
  }
}

/** The buckets that hold the uploads: the plain ones, and the one behind the access points. */
function lifecycleBuckets(config: Config, flags: PolicyFlags): string[] {
  const plain = config.buckets.filter((bucket) => !bucket.startsWith('arn:'));
  const behind = flags['access-point-bucket'];
  return [...new Set([...plain, ...(behind === undefined ? [] : [behind])])];
}

function serviceRoleOf(
  flags: PolicyFlags,
  env: Readonly<Record<string, string | undefined>>,
): { arn: string; source: string } | undefined {
  if (flags['service-role-arn'] !== undefined) return { arn: flags['service-role-arn'], source: '--service-role-arn' };
  // Only a check: a variable that names no role is the SDK's to refuse, not a reason to stop here.
  const fromEnvironment = env.AWS_ROLE_ARN;
  return fromEnvironment !== undefined && roleOf(fromEnvironment)
    ? { arn: fromEnvironment, source: 'AWS_ROLE_ARN' }
    : undefined;
}

/** The endpoints the bucket policy admits: the ones whose policy this is. */
function endpointIds(policies: PolicySet): string[] {
  const deny = policies.bucketPolicy.Statement.find((statement) => statement.Sid === 'DenyOutsideVpcEndpoints');
  return deny?.Condition?.StringNotEquals?.['aws:SourceVpce'] ?? ['VPCE_ID'];
}

async function grantsFromClientsFile(path: string, config: Config): Promise<KeyGrant[]> {
  let document: unknown;
  try {
    document = parseYaml(await readFile(path, 'utf8'), { uniqueKeys: true });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new PolicyInputError(`--clients: cannot read ${path} as YAML or JSON (${reason})`);
  }
  // The service's own checks, so the policies never open what the service would refuse to start with.
  const checked = callerRegistryFrom(document, config);
  if (!checked.ok) throw new PolicyInputError(`--clients ${path}:\n  - ${checked.problems.join('\n  - ')}`);
  return grantsFromClients(clientsFileSchema.parse(document).clients, config.buckets);
}
