// The shapes of the documents `s3-presign policy` prints, as IAM and S3 read them; apart from
// generate-policies.ts so the modules that add statements to them import no module that
// imports them back.

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { AWS: string | string[] } | { Service: string | string[] };
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** The body of `aws s3api put-bucket-lifecycle-configuration` (and of PutBucketLifecycleConfiguration). */
export interface LifecycleConfiguration {
  Rules: Array<{
    ID: string;
    Status: 'Enabled';
    Filter: { Prefix: string };
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: number };
  }>;
}

export interface PolicySet {
  bucketPolicy: PolicyDocument;
  endpointPolicy: PolicyDocument;
  servicePolicy: PolicyDocument;
  /** Not a policy: the rule that makes S3 drop the parts of uploads nobody completes. */
  lifecycleConfiguration: LifecycleConfiguration;
  /** One resource policy per access point in the allowlist, keyed by its ARN; absent without any. */
  accessPointPolicies?: Record<string, PolicyDocument>;
}
