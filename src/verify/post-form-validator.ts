// Checks a POST policy form from any tool (boto3's generate_presigned_post, the AWS SDK's
// createPresignedPost, this service's own) the way POST /verify checks a URL from elsewhere.
// post-policy-validator.ts checks the service's own forms against what it meant to sign; a
// form from elsewhere has conditions of its own choosing (a key prefix with `starts-with`, no
// size range, other fields), so it is held to what makes it safe and usable here instead:
// - the URL: the same canonical form and location rules as any URL (pinned host and style,
//   never the global endpoint, a bucket on the allowlist), posting to the bucket itself;
// - SigV4's fields: the algorithm, the date and its skew, the credential scope and region, the
//   session token, the signature's format;
// - the policy document: well formed, expiring in the future and within the configured
//   maximum after it was signed, bound to the form's bucket, and covering every field as S3
//   requires (each field but policy, x-amz-signature, file and x-ignore-* needs a condition
//   its value meets, or S3 refuses the upload).
// Form field names are case-insensitive to S3 (boto3 writes `policy`, the JavaScript SDK `Policy`).
import { objectKeyProblem } from '../endpoint/object-key.js';
import { failureCollector, type Fail } from './check-failures.js';
import { checkExpiration, decodePolicy, type PostPolicyForm } from './post-policy-validator.js';
import { checkBucketEndpoint } from './url-location.js';
import { canonicalFormProblem, dotSegmentProblem, parseOrigin, splitRawUrl } from './url-parsing.js';
import {
  isSignatureHex,
  parseAmzDate,
  parseCredential,
  type UrlExpectation,
  type ValidationReport,
  type ValidatorPolicy,
} from './url-validator.js';

/** The fields every SigV4 form carries, lowercase. */
const REQUIRED_FIELDS = ['key', 'policy', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature'];
/** Fields S3 does not hold to a condition: the signature, the policy, the file itself, and x-ignore-*. */
const UNCONDITIONED_FIELDS = new Set(['policy', 'x-amz-signature', 'file']);
/** S3 puts the uploaded file's name here before it checks the conditions. */
const FILENAME_VARIABLE = '${filename}';

/** One condition of the policy, its field name lowercase. */
type Condition =
  | { kind: 'eq' | 'starts-with'; field: string; value: string }
  | { kind: 'content-length-range'; min: number; max: number };

export function validatePostForm(
  form: PostPolicyForm,
  policy: ValidatorPolicy,
  expectation: Pick<UrlExpectation, 'allowedBuckets'> = {},
): ValidationReport {
  const { failures, fail } = failureCollector();
  const report: ValidationReport = { valid: false, failures };

  const bucket = checkFormUrl(form.url, policy, expectation, report, fail);
  const fields = fieldsByName(form.fields, fail);
  const field = (name: string) => fields.get(name);
  if (field('awsaccesskeyid') !== undefined || (field('signature') !== undefined && !fields.has('x-amz-algorithm'))) {
    fail('URL_ALGORITHM', 'the form is signed with SigV2, which S3 no longer accepts everywhere; SigV4 is required');
  }
  for (const name of REQUIRED_FIELDS) if (!fields.has(name)) fail('POLICY_FIELDS', `form field ${name} is missing`);
  const formBucket = field('bucket');
  if (formBucket !== undefined && bucket !== undefined && formBucket !== bucket) {
    fail('POLICY_FIELDS', `form field bucket names another bucket than the form posts to (${bucket})`);
  }

  const key = field('key');
  if (key !== undefined && !key.includes(FILENAME_VARIABLE)) {
    const problem = objectKeyProblem(key);
    if (problem === undefined) report.key = key;
    // Not reported back: a refused key may hold anything.
    else fail('URL_KEY', `the key field ${problem}`);
  }

  const algorithm = field('x-amz-algorithm');
  if (algorithm !== undefined && algorithm !== 'AWS4-HMAC-SHA256') {
    fail('URL_ALGORITHM', `x-amz-algorithm must be AWS4-HMAC-SHA256, got ${algorithm}`);
  }
  const amzDate = field('x-amz-date');
  const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate !== undefined && signedAt === undefined) {
    fail('URL_DATE', `x-amz-date must be YYYYMMDDTHHMMSSZ, got ${amzDate}`);
  }
  if (signedAt !== undefined) {
    report.signedAt = new Date(signedAt).toISOString();
    if (signedAt > policy.now().getTime() + policy.maxClockSkewSeconds * 1000) {
      fail('URL_DATE_SKEW', `x-amz-date ${amzDate} is in the future (beyond ${policy.maxClockSkewSeconds}s of skew)`);
    }
  }
  checkCredentialScope(field('x-amz-credential'), amzDate, report.region, field('x-amz-security-token'), fail);
  const signature = field('x-amz-signature');
  if (signature !== undefined && !isSignatureHex(signature)) {
    fail('URL_SIGNATURE_FORMAT', 'x-amz-signature must be 64 lowercase hex characters');
  }

  if (fields.has('policy')) {
    const document = decodePolicy(field('policy'), fail);
    if (document !== undefined) {
      checkExpiration(document.expiration, signedAt, policy, {}, report, fail);
      const conditions = parseConditions(document.conditions, fail);
      if (conditions !== undefined) checkConditions(conditions, fields, bucket, fail);
    }
  }
  report.valid = failures.length === 0;
  return report;
}

/**
 * The form URL, read as a URL is: canonical, at the bucket's pinned location. A form posts to
 * the bucket itself: `/` on a virtual-hosted bucket's host, `/bucket` (or `/bucket/`) on a
 * path-style one. The bucket, when the URL names one.
 */
function checkFormUrl(
  url: string,
  policy: ValidatorPolicy,
  expectation: Pick<UrlExpectation, 'allowedBuckets'>,
  report: ValidationReport,
  fail: Fail,
): string | undefined {
  const raw = splitRawUrl(url);
  if (!raw) {
    fail('URL_MALFORMED', 'the form URL is not an absolute http(s) URL');
    return undefined;
  }
  const notCanonical = canonicalFormProblem(url, raw);
  if (notCanonical !== undefined) {
    fail('URL_NOT_CANONICAL', notCanonical);
    return undefined;
  }
  const origin = parseOrigin(url, raw.scheme, raw.authority, policy.mode, {});
  if (!origin) {
    fail('URL_MALFORMED', 'the form URL is not an absolute http(s) URL');
    return undefined;
  }
  if (origin.host !== raw.authority) {
    fail('URL_NOT_CANONICAL', `the authority "${raw.authority}" is not canonical: it is read as "${origin.host}"`);
    return undefined;
  }
  if (raw.query !== undefined || raw.fragment !== undefined) {
    fail('URL_MALFORMED', 'the form URL must carry no query or fragment');
  }
  // As for any URL: a dot segment makes the path name one bucket to some clients, another to others.
  const dotSegment = dotSegmentProblem(raw.path);
  if (dotSegment !== undefined) {
    fail('URL_DOT_SEGMENT', dotSegment);
    return undefined;
  }
  // Read as the bucket's root, which a path-style bucket's URL may write without its slash.
  const path = raw.path.endsWith('/') ? raw.path : `${raw.path}/`;
  const expected = checkBucketEndpoint(origin, path, policy.mode, expectation, report, fail);
  if (expected !== undefined && path !== `${expected.pathPrefix}/`) {
    fail('URL_PATH', `the form must post to the bucket itself, ${expected.pathPrefix || '/'}, not ${raw.path}`);
  }
  return report.bucket;
}

/** The fields by lowercase name; two spellings of one name are refused (S3 would see one field twice). */
function fieldsByName(fields: Readonly<Record<string, string>>, fail: Fail): Map<string, string> {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value !== 'string') {
      fail('POLICY_FIELDS', `form field ${name} is not a string`);
      continue;
    }
    const lower = name.toLowerCase();
    if (byName.has(lower)) fail('POLICY_FIELDS', `form field ${lower} appears twice (S3 reads names in any case)`);
    else byName.set(lower, value);
  }
  return byName;
}

/** The same checks as a URL's X-Amz-Credential, without an access key to expect. */
function checkCredentialScope(
  credential: string | undefined,
  amzDate: string | undefined,
  signingRegion: string | undefined,
  token: string | undefined,
  fail: Fail,
): void {
  if (credential === undefined) return;
  const scope = parseCredential(credential);
  if (scope === undefined) {
    fail('URL_CREDENTIAL_SCOPE', 'x-amz-credential must be ACCESS_KEY/DATE/REGION/s3/aws4_request');
    return;
  }
  const [keyId, scopeDate, region, service, terminator] = scope;
  if (service !== 's3' || terminator !== 'aws4_request') {
    fail('URL_CREDENTIAL_SCOPE', `credential scope must end in /s3/aws4_request, got /${service}/${terminator}`);
  }
  if (amzDate !== undefined && scopeDate !== amzDate.slice(0, 8)) {
    fail('URL_CREDENTIAL_SCOPE', `credential scope date ${scopeDate} differs from x-amz-date ${amzDate}`);
  }
  if (signingRegion !== undefined && region !== signingRegion) {
    fail('URL_REGION', `credential scope names region ${region}, the pinned region is ${signingRegion}`);
  }
  // AWS's key id prefixes: ASIA keys are temporary and need their session token, AKIA keys never have one.
  if (keyId.startsWith('ASIA') && !token) {
    fail('URL_SECURITY_TOKEN', 'temporary credentials signed it, but x-amz-security-token is missing or empty');
  } else if (keyId.startsWith('AKIA') && token !== undefined) {
    fail('URL_SECURITY_TOKEN', 'long-term credentials signed it, but it carries an x-amz-security-token');
  } else if (token === '') {
    fail('URL_SECURITY_TOKEN', 'x-amz-security-token is empty');
  }
}

/** The conditions S3 knows, or undefined (with the failure) when the list is not a list. */
function parseConditions(conditions: unknown, fail: Fail): Condition[] | undefined {
  if (!Array.isArray(conditions)) {
    fail('POLICY_MALFORMED', 'the policy conditions must be an array');
    return undefined;
  }
  const parsed: Condition[] = [];
  for (const [index, condition] of (conditions as unknown[]).entries()) {
    const read = readCondition(condition);
    if (read === undefined) {
      fail(
        'POLICY_CONDITIONS',
        `condition ${index + 1} is not one S3 knows ({"field": "value"}, eq, starts-with or content-length-range)`,
      );
    } else parsed.push(read);
  }
  return parsed;
}

function readCondition(condition: unknown): Condition | undefined {
  if (typeof condition === 'object' && condition !== null && !Array.isArray(condition)) {
    const entries = Object.entries(condition);
    if (entries.length !== 1) return undefined;
    const [field, value] = entries[0] as [string, unknown];
    return typeof value === 'string' ? { kind: 'eq', field: field.toLowerCase(), value } : undefined;
  }
  if (!Array.isArray(condition) || condition.length !== 3) return undefined;
  const [operator, first, second] = condition as unknown[];
  if (operator === 'content-length-range') {
    const bounds = [first, second].every(
      (bound) => typeof bound === 'number' && Number.isSafeInteger(bound) && bound >= 0,
    );
    return bounds && (first as number) <= (second as number)
      ? { kind: 'content-length-range', min: first as number, max: second as number }
      : undefined;
  }
  if ((operator === 'eq' || operator === 'starts-with') && typeof first === 'string' && typeof second === 'string') {
    return first.startsWith('$') && first.length > 1
      ? { kind: operator, field: first.slice(1).toLowerCase(), value: second }
      : undefined;
  }
  return undefined;
}

function meets(condition: Condition, value: string): boolean {
  if (condition.kind === 'eq') return value === condition.value;
  if (condition.kind === 'starts-with') return value.startsWith(condition.value);
  return true;
}

function checkConditions(
  conditions: readonly Condition[],
  fields: ReadonlyMap<string, string>,
  bucket: string | undefined,
  fail: Fail,
): void {
  const byField = new Map<string, Condition[]>();
  let ranges = 0;
  for (const condition of conditions) {
    if (condition.kind === 'content-length-range') ranges++;
    else {
      const held = byField.get(condition.field);
      if (held === undefined) byField.set(condition.field, [condition]);
      else held.push(condition);
    }
  }
  if (ranges > 1) fail('POLICY_CONDITIONS', 'content-length-range appears more than once');

  // The bucket comes from the URL, not from a field: without an exact condition on it, the same
  // signature would post to any bucket the credentials can write.
  const bucketConditions = byField.get('bucket') ?? [];
  if (!bucketConditions.some((condition) => condition.kind === 'eq')) {
    fail('POLICY_CONDITIONS', 'the policy has no exact bucket condition: the form would post to any bucket');
  } else if (bucket !== undefined && !bucketConditions.every((condition) => meets(condition, bucket))) {
    fail('POLICY_CONDITIONS', `the policy's bucket condition does not match the bucket the form posts to (${bucket})`);
  }

  for (const [name, value] of fields) {
    if (UNCONDITIONED_FIELDS.has(name) || name.startsWith('x-ignore-')) continue;
    const held = byField.get(name);
    if (held === undefined) {
      fail('POLICY_CONDITIONS', `form field ${name} has no condition in the policy: S3 would refuse the form`);
    } else if (!held.every((condition) => meets(condition, value))) {
      fail(
        'POLICY_CONDITIONS',
        `form field ${name} does not meet its condition in the policy: S3 would refuse the form`,
      );
    }
  }
}
