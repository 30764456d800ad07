// Does the bucket policy refuse the service's actions when they do not arrive through a VPC
// endpoint? `s3-presign doctor` reads the policy through the pinned client and answers here,
// for the principal the service's own requests are signed as (sts:GetCallerIdentity): an
// exemption that matches that role switches the deny off for every presigned URL, however
// well it refuses everybody else.
//
// The IAM simulator the tests use is AGPL-3.0 and stays out of the image, so this is a small
// evaluator of its own, deliberately one-sided: it only claims "refused" for a Deny statement
// whose every part it understands (Principal "*", Action/Resource patterns, and the condition
// operators and keys a network-perimeter deny is written with: aws:SourceVpce,
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalIsAWSService, aws:ViaAWSService).
// Anything else counts as "not proven refused", so an unusual but correct policy earns a
// warning, never a false all-clear. The tests check its verdicts against the simulator.
import { GetBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseBucket } from '../endpoint/bucket-name.js';
import { SERVICE_LINKED_ROLE_PATH, type CallerPrincipal } from '../iam/principal-arn.js';
import { SERVICE_ACTIONS } from '../iam/service-actions.js';

export type BucketPolicyVerdict =
  | { status: 'ok'; message: string }
  | {
      status: 'warn';
      message: string;
      code: 'POLICY_MISSING' | 'POLICY_NOT_ENFORCED' | 'POLICY_PRINCIPAL_UNKNOWN';
    }
  | { status: 'fail'; message: string; code: 'POLICY_REFUSES_OWN_ENDPOINT' | 'POLICY_INVALID' }
  | { status: 'skipped'; message: string; command: string };

export const POLICY_FIX = 'generate one with `s3-presign policy` (see "Make the private route mandatory")';

/** Who the service's requests are signed as (sts:GetCallerIdentity), or why that is not known. */
export type PrincipalLookup = { ok: true; principal: CallerPrincipal } | { ok: false; reason: string };

interface Scenario {
  /** The request's aws:SourceVpce; undefined: the public path. */
  sourceVpce: string | undefined;
  principal: CallerPrincipal;
  /** Set when a condition on aws:PrincipalArn could go either way for a role of unknown path. */
  uncertain: boolean;
}

type Statement = Record<string, unknown>;
type Match = 'yes' | 'no' | 'maybe';

/** A principal no admin pattern names (its account is nobody's), and an endpoint no policy lists. */
const OUTSIDER: CallerPrincipal = {
  kind: 'exact',
  callerArn: 'arn:aws:iam::000000000000:role/s3-presign-doctor-outsider',
  account: '000000000000',
  principalArn: 'arn:aws:iam::000000000000:role/s3-presign-doctor-outsider',
};
const FOREIGN_VPCE = 'vpce-0000000000d0c7012';

export interface PolicyAnalysisContext {
  partition: string;
  bucket: string;
  /** The endpoints this service's own requests arrive through (the pinned one, `doctor --vpce-id`). */
  ownVpceIds: readonly string[];
  principal: PrincipalLookup;
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
  // Without STS's answer, a principal of another account stands in: what it shows still
  // holds for everybody the policy does not exempt, but not necessarily for the service.
  const principal = context.principal.ok ? context.principal.principal : OUTSIDER;
  /** The requests certainly refused; `uncertain`: one was not only because the role's path is unknown. */
  const evaluate = (sourceVpce: string | undefined, as = principal) => {
    let uncertain = false;
    const denied = requests.filter((request) => {
      const scenario: Scenario = { sourceVpce, principal: as, uncertain: false };
      const refused = statements.some((statement) =>
        certainlyDenies(statement, request.action, request.resource, scenario),
      );
      uncertain ||= scenario.uncertain && !refused;
      return refused;
    });
    return { denied, uncertain };
  };
  const deniedFor = (sourceVpce: string | undefined, as = principal) => evaluate(sourceVpce, as).denied;
  const who = context.principal.ok
    ? `this service's principal ${describePrincipal(principal)}`
    : 'an outside principal';

  for (const ownVpceId of context.ownVpceIds) {
    const own = deniedFor(ownVpceId);
    if (own.length > 0) {
      return {
        status: 'fail',
        code: 'POLICY_REFUSES_OWN_ENDPOINT',
        message: `the bucket policy refuses ${own.map((r) => r.action).join(', ')} to ${who} even through this service's endpoint ${ownVpceId}: ${POLICY_FIX}`,
      };
    }
  }
  const publicPath = evaluate(undefined);
  const otherEndpoint = evaluate(FOREIGN_VPCE);
  const open = requests.filter(
    (request) => !publicPath.denied.includes(request) || !otherEndpoint.denied.includes(request),
  );
  if (open.length > 0) {
    const where =
      publicPath.denied.length === requests.length ? 'through another VPC endpoint' : 'from the public path';
    const othersRefused =
      context.principal.ok &&
      deniedFor(undefined, OUTSIDER).length + deniedFor(FOREIGN_VPCE, OUTSIDER).length === 2 * requests.length;
    const refused = `the bucket policy does not refuse ${open.map((r) => r.action).join(', ')} to ${who} ${where}`;
    if (publicPath.uncertain || otherEndpoint.uncertain) {
      return {
        status: 'warn',
        code: 'POLICY_PRINCIPAL_UNKNOWN',
        message: `${refused} for certain: the role's path decides whether an exemption in it matches, and STS does not name the path; pass \`doctor --service-role-arn\` (or set AWS_ROLE_ARN) with the role's ARN`,
      };
    }
    const why = othersRefused
      ? 'an exemption in it, on aws:PrincipalArn or another key, matches this principal: every presigned URL is exempt'
      : 'no aws:SourceVpce deny covers them';
    return { status: 'warn', code: 'POLICY_NOT_ENFORCED', message: `${refused} (${why}): ${POLICY_FIX}` };
  }
  if (!context.principal.ok) {
    return {
      status: 'warn',
      code: 'POLICY_PRINCIPAL_UNKNOWN',
      message: `the bucket policy refuses the service actions to an outside principal from outside its VPC endpoints, but whether it refuses this service's own role is not known: sts:GetCallerIdentity failed (${context.principal.reason}); run \`aws sts get-caller-identity\` with the service's credentials`,
    };
  }
  return {
    status: 'ok',
    message: `the bucket policy refuses the service actions to ${who} from outside its VPC endpoints${context.ownVpceIds.length > 0 ? ` and admits ${context.ownVpceIds.join(', ')}` : ''}`,
  };
}

function describePrincipal(principal: CallerPrincipal): string {
  return principal.kind === 'exact'
    ? principal.principalArn
    : `${principal.callerArn} (role ${principal.role.name}, path unknown)`;
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

/** The request's value for a key; undefined: absent; null: a key this evaluator does not know. */
function contextValue(key: string, scenario: Scenario): string | undefined | null {
  switch (key) {
    case 'aws:sourcevpce':
      return scenario.sourceVpce;
    case 'aws:principalaccount':
      return scenario.principal.account;
    // What the service's requests carry: signed by its own role, straight from its caller.
    case 'aws:principalisawsservice':
    case 'aws:viaawsservice':
      return 'false';
    default:
      return null;
  }
}

const PRESENT = 'present';
const POSITIVE = new Set(['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike', 'Bool']);
const NEGATED = new Set([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'ArnNotEquals',
  'ArnNotLike',
]);

/** Whether the condition certainly holds for the scenario; unknown keys and operators do not. */
function conditionHolds(operator: string, key: string, values: string[], scenario: Scenario): boolean {
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  // aws:PrincipalArn is in every signed request; its value is matched below, path and all.
  const actual = key === 'aws:principalarn' ? PRESENT : contextValue(key, scenario);
  if (actual === null) return false;

  if (base === 'Null') {
    if (key === 'aws:principalarn') return values.map((value) => value.toLowerCase()).includes('false');
    const wantsAbsent = values.map((value) => value.toLowerCase()).includes('true');
    return wantsAbsent === (actual === undefined);
  }
  if (!POSITIVE.has(base) && !NEGATED.has(base)) return false;
  if (actual === undefined) {
    // A missing key satisfies the negated operators and every …IfExists; nothing else.
    return ifExists || NEGATED.has(base);
  }
  const caseSensitive = !base.endsWith('IgnoreCase');
  const matches: Match[] = values.map((value) => {
    if (base === 'Bool') return value.toLowerCase() === actual ? 'yes' : 'no';
    const comparison = {
      like: /Like$/.test(base) || base.startsWith('Arn'),
      arn: base.startsWith('Arn'),
      caseSensitive,
    };
    if (key === 'aws:principalarn') return principalArnMatch(value, scenario.principal, comparison);
    return patternMatch(value, actual, comparison) ? 'yes' : 'no';
  });
  if (matches.includes('maybe')) scenario.uncertain = true;
  return POSITIVE.has(base) ? matches.includes('yes') : matches.every((match) => match === 'no');
}

interface Comparison {
  /** Wildcards `*` and `?` (Like operators, and Arn operators, which take them too). */
  like: boolean;
  /** Matched one colon-separated component at a time, as IAM does for Arn operators. */
  arn: boolean;
  caseSensitive: boolean;
}

function patternMatch(pattern: string, value: string, comparison: Comparison): boolean {
  if (comparison.arn) {
    const patternParts = arnParts(pattern);
    const valueParts = arnParts(value);
    return (
      patternParts !== undefined &&
      valueParts !== undefined &&
      patternParts.every((part, index) => wildcardMatch(part, valueParts[index] as string, comparison.caseSensitive))
    );
  }
  return comparison.like
    ? wildcardMatch(pattern, value, comparison.caseSensitive)
    : equal(pattern, value, comparison.caseSensitive);
}

/**
 * For a role STS named without its path, the ARN is `arn:P:iam::A:role/` + path + name with
 * the path unknown: "yes" is never claimed, "no" only when no path could make it match.
 */
function principalArnMatch(pattern: string, principal: CallerPrincipal, comparison: Comparison): Match {
  if (principal.kind === 'exact') return patternMatch(pattern, principal.principalArn, comparison) ? 'yes' : 'no';
  const { role } = principal;
  const head = ['arn', role.partition, 'iam', '', role.account];
  if (comparison.arn) {
    const parts = arnParts(pattern);
    if (parts === undefined) return 'maybe';
    if (!head.every((part, index) => wildcardMatch(parts[index] as string, part, comparison.caseSensitive)))
      return 'no';
    // Only AWS services can create roles under aws-service-role/, and the service's own role
    // is none of theirs (their names begin AWSServiceRoleFor).
    if (
      (parts[5] as string).startsWith(`role/${SERVICE_LINKED_ROLE_PATH}`) &&
      !role.name.startsWith('AWSServiceRoleFor')
    ) {
      return 'no';
    }
    return couldMatch(parts[5] as string, 'role/', role.name, comparison) ? 'maybe' : 'no';
  }
  return couldMatch(pattern, `${head.join(':')}:role/`, role.name, comparison) ? 'maybe' : 'no';
}

/** `arn:partition:service:region:account:resource`, the resource keeping its own colons. */
function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/**
 * Whether some string `prefix + anything + suffix` matches the pattern: the pattern as an
 * automaton (one state per character, `*` looping), run over the prefix, then over any
 * string (which reaches every state from the lowest one held), then over the suffix.
 */
function couldMatch(pattern: string, prefix: string, suffix: string, comparison: Comparison): boolean {
  const tokens = [...pattern];
  const wildcard = (index: number, character: string) => comparison.like && tokens[index] === character;
  const closure = (states: Set<number>) => {
    for (const state of [...states].sort((a, b) => a - b)) {
      for (let next = state; next < tokens.length && wildcard(next, '*'); next++) states.add(next + 1);
    }
    return states;
  };
  const step = (states: Set<number>, character: string) => {
    const next = new Set<number>();
    for (const state of states) {
      if (state === tokens.length) continue;
      if (wildcard(state, '*')) next.add(state);
      else if (wildcard(state, '?') || equal(tokens[state] as string, character, comparison.caseSensitive)) {
        next.add(state + 1);
      }
    }
    return closure(next);
  };
  let states = closure(new Set([0]));
  for (const character of prefix) states = step(states, character);
  if (states.size === 0) return false;
  const lowest = Math.min(...states);
  states = new Set(Array.from({ length: tokens.length - lowest + 1 }, (_, offset) => lowest + offset));
  for (const character of suffix) states = step(states, character);
  return states.has(tokens.length);
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
  context: Omit<PolicyAnalysisContext, 'bucket' | 'principal'> & {
    /** Looked up alongside the read (sts:GetCallerIdentity). */
    principal: PrincipalLookup | Promise<PrincipalLookup>;
  },
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
  return analyzeBucketPolicy(text, { ...context, bucket, principal: await context.principal });
}
