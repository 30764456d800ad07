// Does the bucket policy refuse the service's actions when they do not arrive through a VPC
// endpoint? `s3-presign doctor` reads the policy through the pinned client and answers here.
//
// The IAM simulator the tests use is AGPL-3.0 and stays out of the image, so this is a small
// evaluator of its own, deliberately one-sided: it only claims "refused" for a Deny statement
// whose every part it understands (Principal "*", Action/Resource patterns, and the condition
// operators an aws:SourceVpce refusal is written with). Anything else counts as "not proven
// refused", so an unusual but correct policy earns a warning, never a false all-clear. The
// tests check its verdicts against the simulator.
import { GetBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseBucket } from '../endpoint/bucket-name.js';
import { SERVICE_ACTIONS } from '../policy/service-actions.js';

export type BucketPolicyVerdict =
  | { status: 'ok'; message: string }
  | { status: 'warn'; message: string; code: 'POLICY_MISSING' | 'POLICY_NOT_ENFORCED' }
  | { status: 'fail'; message: string; code: 'POLICY_REFUSES_OWN_ENDPOINT' | 'POLICY_INVALID' }
  | { status: 'skipped'; message: string; command: string };

export const POLICY_FIX = 'generate one with `s3-presign policy` (see "Make the private route mandatory")';

interface Scenario {
  /** The request's aws:SourceVpce; undefined: the public path. */
  sourceVpce: string | undefined;
  principalArn: string;
}

type Statement = Record<string, unknown>;

/** A principal no admin pattern names, and an endpoint no policy lists. */
const OUTSIDER = 'arn:aws:iam::000000000000:role/s3-presign-doctor-outsider';
const FOREIGN_VPCE = 'vpce-0000000000d0c7012';

export interface PolicyAnalysisContext {
  partition: string;
  bucket: string;
  /** The endpoints this service's own requests arrive through (the pinned one, `doctor --vpce-id`). */
  ownVpceIds: readonly string[];
}

export function analyzeBucketPolicy(policyText: string, context: PolicyAnalysisContext): BucketPolicyVerdict {
  let statements: Statement[];
  try {
    const parsed = JSON.parse(policyText) as { Statement?: unknown };
    const raw = parsed.Statement;
    statements = (Array.isArray(raw) ? raw : [raw]).filter(
      (entry): entry is Statement => typeof entry === 'object' && entry !== null,
    );
  } catch {
    return { status: 'fail', code: 'POLICY_INVALID', message: 'the bucket policy is not valid JSON' };
  }
  const bucketArn = `arn:${context.partition}:s3:::${context.bucket}`;
  const requests = SERVICE_ACTIONS.map((entry) => ({
    action: entry.action,
    resource: entry.resource === 'bucket' ? bucketArn : `${bucketArn}/s3-presign-doctor/probe`,
  }));
  const deniedFor = (scenario: Scenario) =>
    requests.filter((request) =>
      statements.some((statement) => certainlyDenies(statement, request.action, request.resource, scenario)),
    );

  for (const ownVpceId of context.ownVpceIds) {
    const own = deniedFor({ sourceVpce: ownVpceId, principalArn: OUTSIDER });
    if (own.length > 0) {
      return {
        status: 'fail',
        code: 'POLICY_REFUSES_OWN_ENDPOINT',
        message: `the bucket policy refuses ${own.map((r) => r.action).join(', ')} even through this service's endpoint ${ownVpceId}: ${POLICY_FIX}`,
      };
    }
  }
  const publicPath = deniedFor({ sourceVpce: undefined, principalArn: OUTSIDER });
  const otherEndpoint = deniedFor({ sourceVpce: FOREIGN_VPCE, principalArn: OUTSIDER });
  const open = requests.filter((request) => !publicPath.includes(request) || !otherEndpoint.includes(request));
  if (open.length > 0) {
    const where = publicPath.length === requests.length ? 'through another VPC endpoint' : 'from the public path';
    return {
      status: 'warn',
      code: 'POLICY_NOT_ENFORCED',
      message: `the bucket policy does not refuse ${open.map((r) => r.action).join(', ')} ${where} (no aws:SourceVpce deny covers them): ${POLICY_FIX}`,
    };
  }
  return {
    status: 'ok',
    message: `the bucket policy refuses the service actions from outside its VPC endpoints${context.ownVpceIds.length > 0 ? ` and admits ${context.ownVpceIds.join(', ')}` : ''}`,
  };
}

function certainlyDenies(statement: Statement, action: string, resource: string, scenario: Scenario): boolean {
  if (statement.Effect !== 'Deny' || 'NotPrincipal' in statement) return false;
  if (!isEveryone(statement.Principal)) return false;
  if (!matchesElement(statement, 'Action', 'NotAction', action, false)) return false;
  if (!matchesElement(statement, 'Resource', 'NotResource', resource, true)) return false;
  const condition = statement.Condition;
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null) return false;
  return Object.entries(condition as Record<string, unknown>).every(([operator, block]) =>
    typeof block === 'object' && block !== null
      ? Object.entries(block as Record<string, unknown>).every(([key, values]) =>
          conditionHolds(operator, key.toLowerCase(), listOf(values), scenario),
        )
      : false,
  );
}

function isEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal === 'object' && principal !== null) {
    const aws = (principal as Record<string, unknown>).AWS;
    return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
  }
  return false;
}

function matchesElement(statement: Statement, name: string, notName: string, value: string, caseSensitive: boolean) {
  if (name in statement) return listOf(statement[name]).some((pattern) => wildcardMatch(pattern, value, caseSensitive));
  if (notName in statement) {
    return !listOf(statement[notName]).some((pattern) => wildcardMatch(pattern, value, caseSensitive));
  }
  return false;
}

/** Whether the condition certainly holds for the scenario; unknown keys and operators do not. */
function conditionHolds(operator: string, key: string, values: string[], scenario: Scenario): boolean {
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  let actual: string | undefined;
  if (key === 'aws:sourcevpce') actual = scenario.sourceVpce;
  else if (key === 'aws:principalarn') actual = scenario.principalArn;
  else return false;

  if (base === 'Null') {
    const wantsAbsent = values.map((value) => value.toLowerCase()).includes('true');
    return wantsAbsent === (actual === undefined);
  }
  if (actual === undefined) {
    // A missing key satisfies the negated operators and every …IfExists; nothing else.
    return ifExists || /^(StringNot|ArnNot)/.test(base);
  }
  const caseSensitive = base !== 'StringEqualsIgnoreCase' && base !== 'StringNotEqualsIgnoreCase';
  const like = /Like$/.test(base) || /^Arn/.test(base);
  const matches = values.some((value) =>
    like ? wildcardMatch(value, actual, caseSensitive) : equal(value, actual, caseSensitive),
  );
  switch (base) {
    case 'StringEquals':
    case 'StringEqualsIgnoreCase':
    case 'StringLike':
    case 'ArnEquals':
    case 'ArnLike':
      return matches;
    case 'StringNotEquals':
    case 'StringNotEqualsIgnoreCase':
    case 'StringNotLike':
    case 'ArnNotEquals':
    case 'ArnNotLike':
      return !matches;
    default:
      return false;
  }
}

function equal(a: string, b: string, caseSensitive: boolean): boolean {
  return caseSensitive ? a === b : a.toLowerCase() === b.toLowerCase();
}

function wildcardMatch(pattern: string, value: string, caseSensitive: boolean): boolean {
  const source = pattern
    .split(/(\*|\?)/)
    .map((part) => (part === '*' ? '.*' : part === '?' ? '.' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, caseSensitive ? 's' : 'is').test(value);
}

function listOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}

/** Reads the policy through the pinned client and judges it; never throws. */
export async function checkBucketPolicy(
  client: S3Client,
  bucket: string,
  context: Omit<PolicyAnalysisContext, 'bucket'>,
  signal?: AbortSignal,
): Promise<BucketPolicyVerdict> {
  const byHand = `aws s3api get-bucket-policy --bucket ${bucket} --query Policy --output text`;
  if (parseBucket(bucket).kind === 'access-point') {
    const ap = parseBucket(bucket);
    const arn = ap.kind === 'access-point' ? ap.arn : undefined;
    return {
      status: 'skipped',
      message: 'access points carry their own policy; verify it and the bucket behind it by hand',
      command: `aws s3control get-access-point-policy --account-id ${arn?.accountId} --name ${arn?.accessPointName}`,
    };
  }
  let text: string | undefined;
  try {
    const output = await client.send(
      new GetBucketPolicyCommand({ Bucket: bucket }),
      signal ? { abortSignal: signal } : {},
    );
    text = output.Policy;
  } catch (error) {
    const name = (error as { name?: unknown; Code?: unknown }).Code ?? (error as { name?: unknown }).name;
    if (name === 'NoSuchBucketPolicy') {
      return {
        status: 'warn',
        code: 'POLICY_MISSING',
        message: `bucket ${bucket} has no policy: S3 accepts a well-signed request from anywhere, the public internet included; ${POLICY_FIX}`,
      };
    }
    const reason =
      name === 'AccessDenied' ? 'no permission to read it (s3:GetBucketPolicy)' : `could not read it (${String(name)})`;
    return { status: 'skipped', message: `bucket policy not checked: ${reason}; verify by hand`, command: byHand };
  }
  if (!text) {
    return { status: 'warn', code: 'POLICY_MISSING', message: `bucket ${bucket} has an empty policy; ${POLICY_FIX}` };
  }
  return analyzeBucketPolicy(text, { ...context, bucket });
}
