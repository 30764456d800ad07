// Who the service's requests are signed as: sts:GetCallerIdentity with the very credentials its
// S3 client signs with, mapped to what aws:PrincipalArn holds for them (principal-arn.ts).
// `doctor` judges the bucket policy for that principal, not for a stand-in.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { principalOfCaller } from '../iam/principal-arn.js';
import type { PrincipalLookup } from './bucket-policy-check.js';

/**
 * STS in the service's region, reached the way the SDK's credential chain reaches it (so
 * AWS_ENDPOINT_URL_STS, AWS_USE_FIPS_ENDPOINT and a profile's settings apply): the call
 * carries no object data, and where the chain could get credentials this endpoint answers.
 */
export function stsClient(region: string, credentials: AwsCredentialIdentityProvider): STSClient {
  return new STSClient({ region, credentials, maxAttempts: 1 });
}

/**
 * Never throws: a failure says why, in terms that hold no secret (an error name or code).
 * `roleArnHint` (AWS_ROLE_ARN, `doctor --service-role-arn`) supplies a role's path, which
 * STS's session ARN leaves out.
 */
export async function lookUpServicePrincipal(
  sts: STSClient,
  roleArnHint: string | undefined,
  signal?: AbortSignal,
): Promise<PrincipalLookup> {
  let callerArn: string | undefined;
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}), signal ? { abortSignal: signal } : {});
    callerArn = identity.Arn;
  } catch (error) {
    return { ok: false, reason: failureOf(error, signal) };
  }
  if (callerArn === undefined) return { ok: false, reason: 'STS answered without an ARN' };
  const principal = principalOfCaller(callerArn, roleArnHint);
  return principal
    ? { ok: true, principal }
    : { ok: false, reason: `STS names the caller ${callerArn}, which is not a role, user or federated user` };
}

function failureOf(error: unknown, signal: AbortSignal | undefined): string {
  if (signal?.aborted) return 'no answer in time';
  const { name, code, $metadata } = error as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const status = $metadata?.httpStatusCode === undefined ? '' : `, HTTP ${$metadata.httpStatusCode}`;
  // Network errors carry their errno code (ECONNREFUSED, ENOTFOUND); service errors their name.
  return `${typeof code === 'string' ? code : String(name ?? 'unknown error')}${status}`;
}
