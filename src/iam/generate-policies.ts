// The three policies that make the pinned private route mandatory, derived from the service's
// own configuration: the bucket policy (refuse what does not arrive through the listed VPC
// endpoints), the VPC endpoint policy (the endpoint reaches only these buckets) and the
// service role's least-privilege identity policy; and beside them the bucket's lifecycle rule
// for abandoned multipart uploads. Pure: the CLI and the tests call it.
import type { ClientDefinition } from '../auth/callers.js';
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import { parseBucket, type AccessPointArn } from '../endpoint/bucket-name.js';
import { describeSse, sseSettingsProblems, type SseSettings } from '../encryption/sse.js';
import { UPLOAD_LIFETIME_SECONDS } from '../multipart/upload-lifetime.js';
import type { Operation } from '../endpoint/object-operations.js';
import { addEncryptionStatements } from './encryption-policies.js';
import type { LifecycleConfiguration, PolicyDocument, PolicySet, PolicyStatement } from './policy-documents.js';
import { adminArnProblem, serviceLinkedRolesPattern, serviceRoleProblem } from './principal-arn.js';
import { DOCTOR_ACTION, DOCTOR_ENCRYPTION_ACTION, SERVICE_ACTIONS, actionsFor } from './service-actions.js';

export type { LifecycleConfiguration, PolicyDocument, PolicySet, PolicyStatement } from './policy-documents.js';

/** Keys under one bucket that callers can reach with these operations. */
export interface KeyGrant {
  bucket: string;
  /** A literal key prefix; `{sub}` stands for any end user's subject. `''` is every key. */
  prefix: string;
  operations: readonly Operation[];
}

export interface PolicyInput {
  mode: EndpointMode;
  /** The allowlist: bucket names and access-point ARNs. */
  buckets: readonly string[];
  /** The VPC endpoints requests may arrive through (interface mode adds the pinned one). */
  vpceIds: readonly string[];
  /** Principals (`aws:PrincipalArn`, each written out: no wildcards) the bucket policy never refuses. */
  adminArns: readonly string[];
  /** The service's own role (or a session ARN of it), when known: no admin ARN may name it. */
  serviceRole?: { arn: string; /** Where it came from, for the messages: a flag or a variable. */ source: string };
  /** From the clients file; undefined: every key of every bucket, both operations. */
  grants?: readonly KeyGrant[];
  /** The bucket behind the access points, whose policy delegates to them. */
  accessPointBucket?: string;
  /** Grant s3:GetBucketPolicy so `s3-presign doctor` run as the service can read it. */
  doctorReadsPolicy?: boolean;
  /**
   * The encryption each allowlist entry's uploads carry (S3_SSE*, `--kms-key-arn`): the role
   * then may use the KMS keys through S3, and the bucket policy refuses other encryption.
   */
  encryption?: (entry: string) => SseSettings | undefined;
}

export class PolicyInputError extends Error {
  override name = 'PolicyInputError';
}

const VPCE_ID = /^vpce-[0-9a-f]{8,17}$/;
/** A Terraform `templatefile` reference, for IDs only known once the endpoints exist. */
const TEMPLATE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `vpce-1a2b3c4d-5e6f.s3.…` → `vpce-1a2b3c4d`: the DNS name is the endpoint ID plus a suffix. */
export function vpceIdOfDnsName(vpceDnsName: string): string | undefined {
  return /^(vpce-[0-9a-f]+)-[a-z0-9]+\./.exec(vpceDnsName)?.[1];
}

export function isTemplateReference(value: string): boolean {
  return TEMPLATE_REFERENCE.test(value);
}

/**
 * `*`, `?` and `$` are wildcards and variables in an IAM Resource; a key prefix holding them
 * must match them literally (IAM's `${*}`, `${?}`, `${$}`), or `a*` would open `ab/`.
 */
export function escapeIamResource(literal: string): string {
  return literal.replace(/[*?$]/g, (character) => `\${${character}}`);
}

/** The resource pattern for a caller prefix: `{sub}` becomes `*`, everything else is literal. */
function prefixPattern(prefix: string): string {
  return prefix.split('{sub}').map(escapeIamResource).join('*');
}

interface Target {
  text: string;
  /** The ARN S3 authorises bucket-level actions against. */
  bucketArn: string;
  /** The object ARN for `pattern` (already escaped): `bucket/pattern*` or `ap/object/pattern*`. */
  objects(pattern: string): string;
  accessPoint: AccessPointArn | undefined;
}

function targetOf(bucket: string, partition: string): Target {
  const parsed = parseBucket(bucket);
  if (parsed.kind === 'bucket') {
    const bucketArn = `arn:${partition}:s3:::${parsed.name}`;
    return { text: bucket, bucketArn, objects: (pattern) => `${bucketArn}/${pattern}*`, accessPoint: undefined };
  }
  const { arn } = parsed;
  // One spelling, `accesspoint/NAME`: S3 reports and matches access points that way.
  const bucketArn = `arn:${arn.partition}:s3:${arn.region}:${arn.accountId}:accesspoint/${arn.accessPointName}`;
  return { text: bucket, bucketArn, objects: (pattern) => `${bucketArn}/object/${pattern}*`, accessPoint: arn };
}

export function generatePolicies(input: PolicyInput): PolicySet {
  const { mode } = input;
  if (mode.kind !== 'regional' && mode.kind !== 'interface') {
    throw new PolicyInputError(
      mode.kind === 'accelerate'
        ? 'accelerate mode is public by nature: no VPC endpoint carries its traffic, so a bucket policy requiring one would refuse every URL'
        : `${mode.kind} mode is not AWS S3: bucket, endpoint and IAM policies are for the regional and interface modes`,
    );
  }
  const partition = mode.partition.name;
  if (input.buckets.length === 0) throw new PolicyInputError('no bucket: pass --bucket (or set S3_BUCKETS)');

  const vpceIds = unique([
    ...input.vpceIds,
    ...(mode.kind === 'interface' ? [vpceIdOfDnsName(mode.vpceDnsName)].filter(isDefined) : []),
  ]);
  for (const id of vpceIds) {
    if (!VPCE_ID.test(id) && !TEMPLATE_REFERENCE.test(id)) {
      throw new PolicyInputError(`--vpce-id "${id}" is not a VPC endpoint ID (vpce- and 8 to 17 hex digits)`);
    }
  }
  if (vpceIds.length === 0) {
    throw new PolicyInputError(
      mode.kind === 'regional'
        ? 'regional mode needs --vpce-id: the Gateway endpoint (and any Interface endpoint) requests may arrive through'
        : `no endpoint ID could be read from ${mode.vpceDnsName}: pass --vpce-id`,
    );
  }

  const serviceRoleIssue = input.serviceRole && serviceRoleProblem(input.serviceRole, partition);
  if (serviceRoleIssue) throw new PolicyInputError(serviceRoleIssue);
  const adminArns = unique(input.adminArns);
  for (const arn of adminArns) {
    const problem = adminArnProblem(arn, partition, input.serviceRole);
    if (problem) throw new PolicyInputError(problem);
  }

  const targets = input.buckets.map((bucket) => {
    try {
      return targetOf(bucket, partition);
    } catch (error) {
      throw new PolicyInputError((error as Error).message);
    }
  });
  const accessPoints = targets.filter((target) => target.accessPoint !== undefined);
  const plainBuckets = targets.filter((target) => target.accessPoint === undefined);
  let underlying: Target | undefined;
  if (accessPoints.length > 0) {
    if (input.accessPointBucket === undefined) {
      throw new PolicyInputError(
        'access points need --access-point-bucket: the bucket behind them, whose policy delegates to them',
      );
    }
    if (!BUCKET_NAME.test(input.accessPointBucket)) {
      throw new PolicyInputError(`--access-point-bucket "${input.accessPointBucket}" is not a bucket name`);
    }
    underlying = targetOf(input.accessPointBucket, partition);
  } else if (input.accessPointBucket !== undefined) {
    throw new PolicyInputError('--access-point-bucket is only for access-point ARNs in the bucket list');
  }

  const grants = input.grants ?? input.buckets.map((bucket) => ({ bucket, prefix: '', operations: ['get', 'put'] }));
  for (const grant of grants) {
    if (!input.buckets.includes(grant.bucket)) {
      throw new PolicyInputError(`the clients file names bucket "${grant.bucket}", which is not in the bucket list`);
    }
  }
  const serviceActions = SERVICE_ACTIONS.map((entry) => entry.action);
  const withDoctor = input.doctorReadsPolicy ? [...serviceActions, DOCTOR_ACTION.action] : serviceActions;

  // Bucket policy: the same refusal on every bucket the requests end up in. Object access and
  // the probe's ListBucket only: bucket administration (Get/PutBucketPolicy) is never denied,
  // so a mistake here can always be corrected.
  const denied = uniqueTargets([...plainBuckets, ...(underlying ? [underlying] : [])]);
  const outsideEndpoints = denyOutsideEndpoints(partition, vpceIds, adminArns);
  const bucketStatements: PolicyStatement[] = [];
  if (denied.length > 0) {
    bucketStatements.push({
      Sid: 'DenyOutsideVpcEndpoints',
      Effect: 'Deny',
      Principal: '*',
      Action: serviceActions,
      Resource: denied.flatMap((target) => [target.bucketArn, target.objects('')]),
      Condition: outsideEndpoints,
    });
  }
  if (underlying) {
    const accounts = unique(accessPoints.map((target) => (target.accessPoint as AccessPointArn).accountId));
    bucketStatements.push({
      Sid: 'DelegateToAccessPoints',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: serviceActions,
      Resource: [underlying.bucketArn, underlying.objects('')],
      Condition: { StringEquals: { 's3:DataAccessPointAccount': accounts } },
    });
  }

  const policySet: PolicySet = {
    bucketPolicy: document(bucketStatements),
    endpointPolicy: document([
      {
        Sid: 'OnlyTheServiceBuckets',
        Effect: 'Allow',
        Principal: '*',
        Action: withDoctor,
        Resource: uniqueTargets([...targets, ...(underlying ? [underlying] : [])]).flatMap((target) => [
          target.bucketArn,
          target.objects(''),
        ]),
      },
    ]),
    servicePolicy: servicePolicy(targets, grants, input.doctorReadsPolicy === true, plainBuckets),
    lifecycleConfiguration: abandonedUploadsRule(),
  };
  if (accessPoints.length > 0) {
    policySet.accessPointPolicies = Object.fromEntries(
      accessPoints.map((target) => [
        target.bucketArn,
        document([
          {
            Sid: 'DenyOutsideVpcEndpoints',
            Effect: 'Deny',
            Principal: '*',
            Action: serviceActions,
            Resource: [target.bucketArn, target.objects('')],
            Condition: outsideEndpoints,
          },
        ]),
      ]),
    );
  }
  if (input.doctorReadsPolicy && plainBuckets.length > 0) {
    // Its own statements, through the endpoint and for the role, beside the bucket-policy read.
    const readEncryption = {
      Sid: 'DoctorReadsBucketEncryption',
      Effect: 'Allow' as const,
      Action: [DOCTOR_ENCRYPTION_ACTION.action],
      Resource: plainBuckets.map((target) => target.bucketArn),
    };
    policySet.servicePolicy.Statement.push(readEncryption);
    policySet.endpointPolicy.Statement.push({ ...readEncryption, Principal: '*' });
  }
  if (input.encryption !== undefined) {
    const encryptionOf = input.encryption;
    for (const target of targets) {
      const settings = encryptionOf(target.text);
      const problems =
        settings === undefined
          ? []
          : sseSettingsProblems(settings, { region: mode.region, partition, storeKeyNames: false });
      if (problems.length > 0) {
        throw new PolicyInputError(
          `${target.text} (${describeSse(settings)}): ${problems.map((problem) => problem.reason).join('; ')}`,
        );
      }
    }
    addEncryptionStatements(
      policySet,
      targets.map((target) => ({
        entry: target.text,
        accessPointArn: target.accessPoint === undefined ? undefined : target.bucketArn,
        objects: target.objects(''),
        bucketArn: target.accessPoint === undefined ? target.bucketArn : (underlying as Target).bucketArn,
      })),
      encryptionOf,
      `s3.${mode.region}.${mode.partition.dnsSuffix}`,
    );
  }
  return policySet;
}

/**
 * AWS's network-perimeter bucket policy (aws-samples/data-perimeter-policy-examples,
 * resource_based_policies/s3_bucket_policy.json, "EnforceNetworkPerimeter"). Conditions in one
 * statement are ANDed, so a request is refused only when it is all of these: not through a
 * listed endpoint; not an AWS service acting as itself (aws:PrincipalIsAWSService: inventory
 * and server access log delivery); not a call an AWS service makes on a principal's behalf
 * (aws:ViaAWSService); not a service-linked role (path aws-service-role/, which only AWS
 * services can create roles in); and not one of the admin ARNs. The service's own role is
 * none of these for a presigned URL: whoever fetches it calls S3 directly, as that role.
 * The IfExists forms refuse what lacks the key (an unsigned request has neither).
 */
function denyOutsideEndpoints(
  partition: string,
  vpceIds: string[],
  adminArns: string[],
): NonNullable<PolicyStatement['Condition']> {
  return {
    StringNotEquals: { 'aws:SourceVpce': vpceIds },
    BoolIfExists: { 'aws:PrincipalIsAWSService': ['false'], 'aws:ViaAWSService': ['false'] },
    ArnNotLikeIfExists: { 'aws:PrincipalArn': [serviceLinkedRolesPattern(partition), ...adminArns] },
  };
}

const DAY_SECONDS = 24 * 3600;

/**
 * Parts of an upload nobody completes or aborts are stored, and billed, until something aborts
 * it. The service stops signing for an upload after UPLOAD_LIFETIME_SECONDS (UPLOAD_EXPIRED),
 * so S3 may drop it from then on: the rule's age is that lifetime in whole days, rounded up so
 * S3 (which adds the days to the upload's start, then rounds up to midnight UTC) never aborts
 * one the service still serves. One rule for the whole bucket: AWS recommends one on every bucket.
 */
function abandonedUploadsRule(): LifecycleConfiguration {
  return {
    Rules: [
      {
        ID: 's3-presign-abort-incomplete-multipart-uploads',
        Status: 'Enabled',
        Filter: { Prefix: '' },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: Math.ceil(UPLOAD_LIFETIME_SECONDS / DAY_SECONDS) },
      },
    ],
  };
}

function servicePolicy(
  targets: Target[],
  grants: readonly KeyGrant[],
  doctorReadsPolicy: boolean,
  plainBuckets: Target[],
): PolicyDocument {
  const byBucket = new Map(targets.map((target) => [target.text, target]));
  const statements: PolicyStatement[] = [];
  for (const operation of ['get', 'put'] as const) {
    const resources = unique(
      narrowest(grants.filter((grant) => grant.operations.includes(operation))).map((grant) =>
        (byBucket.get(grant.bucket) as Target).objects(prefixPattern(grant.prefix)),
      ),
    );
    if (resources.length === 0) continue;
    statements.push({
      Sid: operation === 'get' ? 'PresignedGet' : 'PresignedPutAndMultipart',
      Effect: 'Allow',
      Action: actionsFor(operation),
      Resource: resources,
    });
  }
  statements.push({
    Sid: 'HealthProbeHeadBucket',
    Effect: 'Allow',
    Action: SERVICE_ACTIONS.filter((entry) => entry.resource === 'bucket').map((entry) => entry.action),
    Resource: targets.map((target) => target.bucketArn),
  });
  if (doctorReadsPolicy && plainBuckets.length > 0) {
    statements.push({
      Sid: 'DoctorReadsBucketPolicy',
      Effect: 'Allow',
      Action: [DOCTOR_ACTION.action],
      Resource: plainBuckets.map((target) => target.bucketArn),
    });
  }
  return document(statements);
}

/** Drops a grant whose every key another grant of the same bucket already covers. */
function narrowest(grants: KeyGrant[]): KeyGrant[] {
  return grants.filter(
    (grant, index) =>
      !grants.some(
        (other, otherIndex) =>
          otherIndex !== index &&
          other.bucket === grant.bucket &&
          !other.prefix.includes('{sub}') &&
          grant.prefix.startsWith(other.prefix) &&
          (other.prefix !== grant.prefix || otherIndex < index),
      ),
  );
}

/** Key grants from a clients file: each client's buckets (default: all) times its prefixes. */
export function grantsFromClients(clients: readonly ClientDefinition[], buckets: readonly string[]): KeyGrant[] {
  return clients.flatMap((client) =>
    (client.policy.buckets ?? buckets).flatMap((bucket) =>
      client.policy.keyPrefixes.map((prefix) => ({ bucket, prefix, operations: client.policy.operations })),
    ),
  );
}

function document(statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function uniqueTargets(targets: Target[]): Target[] {
  return targets.filter(
    (target, index) => targets.findIndex((other) => other.bucketArn === target.bucketArn) === index,
  );
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}
