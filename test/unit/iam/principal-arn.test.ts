// What aws:PrincipalArn holds for the caller sts:GetCallerIdentity names: the mapping doctor
// judges the bucket policy with. A role session's ARN drops the role's path, which is part of
// the role's ARN, so the path comes only from a hint that names the same role.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { principalOfCaller, roleOf, sameRole } from '../../../src/iam/principal-arn.js';

const ACCOUNT = '123456789012';

describe('principalOfCaller', () => {
  for (const [what, callerArn, hint, expected] of [
    [
      'an IRSA session with AWS_ROLE_ARN naming its role: the role ARN, path included',
      `arn:aws:sts::${ACCOUNT}:assumed-role/s3-presign/botocore-session-1700000000`,
      `arn:aws:iam::${ACCOUNT}:role/apps/prod/s3-presign`,
      { kind: 'exact', principalArn: `arn:aws:iam::${ACCOUNT}:role/apps/prod/s3-presign` },
    ],
    [
      'a hint whose name differs only in case: the same role (IAM names ignore case), STS spelling kept',
      `arn:aws:sts::${ACCOUNT}:assumed-role/S3-Presign/s`,
      `arn:aws:iam::${ACCOUNT}:role/apps/s3-presign`,
      { kind: 'exact', principalArn: `arn:aws:iam::${ACCOUNT}:role/apps/S3-Presign` },
    ],
    [
      'an ECS or EC2 session without a hint: the role, path unknown',
      `arn:aws:sts::${ACCOUNT}:assumed-role/s3-presign/i-0123456789abcdef0`,
      undefined,
      { kind: 'role-path-unknown', role: { partition: 'aws', account: ACCOUNT, name: 's3-presign', path: undefined } },
    ],
    [
      'a hint naming another role: ignored, path unknown',
      `arn:aws:sts::${ACCOUNT}:assumed-role/s3-presign/s`,
      `arn:aws:iam::${ACCOUNT}:role/other`,
      { kind: 'role-path-unknown' },
    ],
    [
      "a hint in another account: ignored (a role's name is unique only in its account)",
      `arn:aws:sts::${ACCOUNT}:assumed-role/s3-presign/s`,
      'arn:aws:iam::210987654321:role/s3-presign',
      { kind: 'role-path-unknown' },
    ],
    [
      'a hint that is itself a session ARN: no path in it either',
      `arn:aws:sts::${ACCOUNT}:assumed-role/s3-presign/s`,
      `arn:aws:sts::${ACCOUNT}:assumed-role/s3-presign/other-session`,
      { kind: 'role-path-unknown' },
    ],
    [
      'GovCloud: the partition stays',
      `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/s3-presign/s`,
      `arn:aws-us-gov:iam::${ACCOUNT}:role/s3-presign`,
      { kind: 'exact', principalArn: `arn:aws-us-gov:iam::${ACCOUNT}:role/s3-presign` },
    ],
    [
      'a session name with @ and =: only the role name counts',
      `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com`,
      undefined,
      {
        kind: 'role-path-unknown',
        role: { partition: 'aws', account: ACCOUNT, name: 'AWSReservedSSO_Admin_0123456789abcdef', path: undefined },
      },
    ],
    [
      'an IAM user: its ARN as it is, path included',
      `arn:aws:iam::${ACCOUNT}:user/ops/alice`,
      undefined,
      { kind: 'exact', principalArn: `arn:aws:iam::${ACCOUNT}:user/ops/alice` },
    ],
    [
      'the root user',
      `arn:aws:iam::${ACCOUNT}:root`,
      undefined,
      { kind: 'exact', principalArn: `arn:aws:iam::${ACCOUNT}:root` },
    ],
    [
      'a federated user: its sts ARN',
      `arn:aws:sts::${ACCOUNT}:federated-user/bob`,
      undefined,
      { kind: 'exact', principalArn: `arn:aws:sts::${ACCOUNT}:federated-user/bob` },
    ],
    ['a group: no principal', `arn:aws:iam::${ACCOUNT}:group/admins`, undefined, undefined],
    ['a malformed account', 'arn:aws:sts::12345:assumed-role/x/y', undefined, undefined],
    ['not an ARN', 'AROAEXAMPLEID:session', undefined, undefined],
  ] as const) {
    it(what, () => {
      const principal = principalOfCaller(callerArn, hint);
      if (expected === undefined) {
        assert.equal(principal, undefined);
        return;
      }
      assert.ok(principal);
      assert.equal(principal.callerArn, callerArn);
      assert.equal(principal.account, callerArn.split(':')[4]);
      for (const [field, value] of Object.entries(expected)) {
        assert.deepEqual(principal[field as keyof typeof principal], value, field);
      }
    });
  }
});

describe('roleOf and sameRole', () => {
  it('reads the path of a role ARN, and none from a session', () => {
    assert.deepEqual(roleOf(`arn:aws:iam::${ACCOUNT}:role/a/b/r`), {
      partition: 'aws',
      account: ACCOUNT,
      name: 'r',
      path: 'a/b/',
    });
    assert.deepEqual(roleOf(`arn:aws:iam::${ACCOUNT}:role/r`)?.path, '');
    assert.equal(roleOf(`arn:aws:sts::${ACCOUNT}:assumed-role/r/s`)?.path, undefined);
    assert.equal(roleOf(`arn:aws:iam::${ACCOUNT}:user/r`), undefined);
    assert.equal(roleOf(`arn:aws:iam::${ACCOUNT}:role/\${aws:username}`), undefined);
  });
  it('one name per account, whatever the path or case', () => {
    const a = roleOf(`arn:aws:iam::${ACCOUNT}:role/x/Deploy`);
    const b = roleOf(`arn:aws:sts::${ACCOUNT}:assumed-role/deploy/s`);
    const c = roleOf('arn:aws:iam::210987654321:role/Deploy');
    assert.ok(a && b && c);
    assert.equal(sameRole(a, b), true);
    assert.equal(sameRole(a, c), false);
  });
});
