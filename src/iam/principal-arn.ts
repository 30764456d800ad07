// What `aws:PrincipalArn` holds, in one place: the bucket policy's exemptions are written
// against it (`s3-presign policy --admin-arn`), and `doctor` derives it for the service's
// own credentials from what sts:GetCallerIdentity names.
//
// For a role session aws:PrincipalArn is the role's ARN, path included
// (`arn:aws:iam::ACCOUNT:role/PATH/NAME`), never the session's; for an IAM user, the user's
// ARN; for the root user, `arn:aws:iam::ACCOUNT:root`; for a federated user, its sts ARN.

const ARN = /^arn:([a-z-]+):(iam|sts)::([^:]*):(.+)$/;
/** IAM names; paths are names joined by `/`. No `$`, `{` or `}`: in a condition they are a policy variable. */
const ROLE_OR_USER = /^(role|user)\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]+)$/;
const ASSUMED_ROLE = /^assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/;
const FEDERATED_USER = /^federated-user\/[\w+=,.@-]+$/;
const ACCOUNT = /^\d{12}$/;

/** Service-linked roles live under this path, which only AWS services can create roles in. */
export const SERVICE_LINKED_ROLE_PATH = 'aws-service-role/';

/** The exemption AWS's data-perimeter examples give service-linked roles, in any account. */
export function serviceLinkedRolesPattern(partition: string): string {
  return `arn:${partition}:iam::*:role/${SERVICE_LINKED_ROLE_PATH}*`;
}

/** A role as far as it is known: ARN, account and name; `path` undefined when not known. */
export interface RoleIdentity {
  partition: string;
  account: string;
  name: string;
  /** `''` for the root path, `a/b/` otherwise; undefined when only the name is known. */
  path: string | undefined;
}

export function roleArn(role: RoleIdentity & { path: string }): string {
  return `arn:${role.partition}:iam::${role.account}:role/${role.path}${role.name}`;
}

/**
 * A role from its ARN or from a session ARN of it (what `aws sts get-caller-identity` prints,
 * whose path is lost); undefined for anything else.
 */
export function roleOf(arn: string): RoleIdentity | undefined {
  const match = ARN.exec(arn);
  if (!match || !ACCOUNT.test(match[3] as string)) return undefined;
  const [, partition, service, account, resource] = match as unknown as [string, string, string, string, string];
  if (service === 'iam') {
    const role = ROLE_OR_USER.exec(resource);
    if (!role || role[1] !== 'role') return undefined;
    return { partition, account, name: role[3] as string, path: role[2] as string };
  }
  const session = ASSUMED_ROLE.exec(resource);
  return session ? { partition, account, name: session[1] as string, path: undefined } : undefined;
}

/** IAM role names are unique in an account whatever their path, and not case-sensitive. */
export function sameRole(a: RoleIdentity, b: RoleIdentity): boolean {
  return a.partition === b.partition && a.account === b.account && a.name.toLowerCase() === b.name.toLowerCase();
}

/**
 * Why an `--admin-arn` cannot be an exemption from the endpoint deny; undefined when it can.
 * Each one is written out: whatever an admin pattern matches is exempt from the deny, and a
 * wildcard in the name (`role/*`, `role/Admin*`) can match the service's own role, which
 * signs every presigned URL, so the deny would never apply to them.
 */
export function adminArnProblem(
  arn: string,
  partition: string,
  serviceRole?: { arn: string; source: string },
): string | undefined {
  const quoted = `--admin-arn "${arn}"`;
  if (/^[*?]+$/.test(arn)) {
    return `${quoted} names every principal, the service's own role included: the deny would apply to nobody`;
  }
  const match = ARN.exec(arn);
  if (!match) {
    return `${quoted} is not an IAM principal ARN (arn:${partition}:iam::ACCOUNT:role/NAME or user/NAME)`;
  }
  const [, arnPartition, service, account, resource] = match as unknown as [string, string, string, string, string];
  if (arnPartition !== partition) return `${quoted} is in partition ${arnPartition}, the buckets are in ${partition}`;
  if (!ACCOUNT.test(account)) {
    return `${quoted}: write the account out as its 12 digits; a pattern there matches the principals of every account it covers`;
  }
  if (/[*?]/.test(resource)) {
    return `${quoted} has a wildcard in the principal's name or path: it can match the service's own role (or any role), and whatever it matches is exempt from the deny, presigned URLs included; name each admin role exactly (aws iam list-roles prints them)`;
  }
  if (service === 'iam' && resource === 'root') {
    return `${quoted} names only the account's root user (in aws:PrincipalArn it is not "the whole account", as it would be in a Principal element); the root user can always delete or replace a bucket policy that locks it out, so it needs no exemption: name the admin role instead`;
  }
  if (service === 'sts' && ASSUMED_ROLE.test(resource)) {
    const role = roleOf(arn) as RoleIdentity;
    return `${quoted} is a role session; aws:PrincipalArn holds the role's ARN (arn:${partition}:iam::${account}:role/PATH/${role.name}), so it would exempt nobody: pass that`;
  }
  if (service === 'iam' ? !ROLE_OR_USER.test(resource) : !FEDERATED_USER.test(resource)) {
    return `${quoted} is not a role, user or federated user: aws:PrincipalArn never holds it`;
  }
  const role = roleOf(arn);
  const ownRole = serviceRole && roleOf(serviceRole.arn);
  if (role && ownRole && sameRole(role, ownRole)) {
    return `${quoted} is the service's own role (${serviceRole?.source} ${serviceRole?.arn}): exempting it switches the deny off for every presigned URL`;
  }
  return undefined;
}

/** Why a service role is unusable; undefined when it names a role of this partition. */
export function serviceRoleProblem(
  { arn, source }: { arn: string; source: string },
  partition: string,
): string | undefined {
  const role = roleOf(arn);
  const quoted = `${source} "${arn}"`;
  if (!role) {
    return `${quoted} is not a role ARN (arn:${partition}:iam::ACCOUNT:role/NAME, or the assumed-role ARN aws sts get-caller-identity prints)`;
  }
  if (role.partition !== partition)
    return `${quoted} is in partition ${role.partition}, the buckets are in ${partition}`;
  if (role.path?.startsWith(SERVICE_LINKED_ROLE_PATH)) {
    return `${quoted} is a service-linked role: only its AWS service can use it, and the bucket policy exempts those`;
  }
  return undefined;
}

/**
 * What aws:PrincipalArn holds for requests signed by the caller sts:GetCallerIdentity names.
 * A session ARN (`assumed-role/NAME/SESSION`) names the role but not its path, which is part
 * of the role's ARN: `roleArnHint` (AWS_ROLE_ARN under IRSA, or `doctor --service-role-arn`)
 * supplies it when it names the same role; otherwise the path stays unknown.
 */
export type CallerPrincipal =
  | { kind: 'exact'; callerArn: string; account: string; principalArn: string }
  | { kind: 'role-path-unknown'; callerArn: string; account: string; role: RoleIdentity };

export function principalOfCaller(callerArn: string, roleArnHint?: string): CallerPrincipal | undefined {
  const match = ARN.exec(callerArn);
  if (!match || !ACCOUNT.test(match[3] as string)) return undefined;
  const [, , service, account, resource] = match as unknown as [string, string, string, string, string];
  if (service === 'sts' && ASSUMED_ROLE.test(resource)) {
    const role = roleOf(callerArn) as RoleIdentity;
    const hinted = roleArnHint === undefined ? undefined : roleOf(roleArnHint);
    if (hinted?.path !== undefined && sameRole(hinted, role)) {
      // STS spells the name as IAM stores it; the hint supplies only the path.
      return {
        kind: 'exact',
        callerArn,
        account,
        principalArn: roleArn({ ...hinted, name: role.name, path: hinted.path }),
      };
    }
    return { kind: 'role-path-unknown', callerArn, account, role };
  }
  const exact =
    (service === 'iam' && (resource === 'root' || ROLE_OR_USER.test(resource))) ||
    (service === 'sts' && FEDERATED_USER.test(resource));
  return exact ? { kind: 'exact', callerArn, account, principalArn: callerArn } : undefined;
}
