// The CLI's help: a short usage for all commands, and per command its flags and one example
// (`s3-presign COMMAND --help`, `s3-presign help COMMAND`).

const MODE_FLAGS = `Mode flags (override S3_ENDPOINT_MODE, S3_REGION, … from the environment):
  --mode regional|interface|accelerate|custom|local   --region R   --fips   --dualstack
  --path-style   --endpoint URL (custom)   --vpce-dns NAME (interface)   --allow-http`;

const SERVICE_FLAGS = `Through a running service instead of AWS credentials:
  --service URL        the service's base URL (e.g. http://127.0.0.1:8080)
  --token-file FILE    a file holding the API key or JWT; else S3_PRESIGN_TOKEN (never a flag value,
                       which would stay in the shell's history)`;

export const COMMAND_HELP = {
  url: `Usage: s3-presign url --bucket B --key K [options] [mode flags]

Mints one validated presigned URL with your AWS credentials and prints it.
  --bucket B                 the bucket (no allowlist: your credentials sign)
  --key K                    the object key
  --operation get|put        default get
  --expires N                seconds, default PRESIGN_DEFAULT_EXPIRES
  --content-type T           (put) the Content-Type the URL signs
  --content-length N         (put) the exact size the URL signs
  --json                     the same object as POST /presign

${MODE_FLAGS}

Example:
  s3-presign url --bucket my-bucket --key reports/q3.pdf --mode regional --region eu-west-1`,

  upload: `Usage: s3-presign upload FILE --key K [--bucket B] [options] [mode flags]
       s3-presign upload FILE --service URL [--token-file FILE] [options]

Sends a file of any size: one PUT up to the threshold, else a multipart upload. With your
AWS credentials (the key is yours to name; --bucket defaults to S3_BUCKETS' first, or
local-uploads in local mode), or through the service's multipart API (the service names the
key; FILE's name is the filename). Through the service, Ctrl-C stops cleanly and running the
same command again sends only the missing parts; --abort discards the upload instead.
  --key K                    the object key (AWS credentials only)
  --bucket B                 the bucket (AWS credentials only)
  --content-type T           default application/octet-stream
  --part-size BYTES          5 MiB..5 GiB, default 8 MiB (raised to fit 10,000 parts)
  --multipart-threshold BYTES  one PUT up to this size, default 8 MiB (AWS credentials only)
  --checksum-algorithm A     what each PUT signs, checked by the store: CRC64NVME (default),
                             CRC32, CRC32C, SHA1, SHA256 or none. In parts, CRC64NVME, CRC32 and
                             CRC32C are FULL_OBJECT (the whole file's); SHA1 and SHA256 COMPOSITE
  --expires N                URL lifetime in seconds (AWS credentials only)
  --progress                 progress on stderr even when it is not a terminal
  --abort                    (--service) abort the interrupted upload of FILE and forget it
  --json                     the result as JSON

${SERVICE_FLAGS}

${MODE_FLAGS}

Example:
  S3_PRESIGN_TOKEN=s3p_… s3-presign upload ./video.mp4 --service http://127.0.0.1:8080 --content-type video/mp4`,

  download: `Usage: s3-presign download --key K [DEST] [--bucket B] [options] [mode flags]
       s3-presign download --key K [DEST] --service URL [--token-file FILE] [options]

Fetches an object into DEST (a file, or a directory for the key's last segment; default: that
name here) and checks it against the checksum the store keeps (x-amz-checksum-mode). The bytes
go to DEST.part and take DEST's name only once checked; a mismatch leaves DEST untouched and
keeps the bytes as DEST.mismatch (exit 1). Ctrl-C or a dropped connection: the same command
goes on from the bytes on disk (Range), or starts over if the object has changed (If-Match).
  --key K                    the object key
  --bucket B                 the bucket (AWS credentials only; default S3_BUCKETS' first)
  --require-checksum         exit 1 when the object cannot be checked (no stored checksum, or a
                             COMPOSITE one, which covers the parts and not the whole)
  --expires N                URL lifetime in seconds (AWS credentials only)
  --progress                 progress on stderr even when it is not a terminal
  --json                     the result as JSON

${SERVICE_FLAGS}

${MODE_FLAGS}

Example:
  s3-presign download --key reports/q3.pdf ./q3.pdf --mode regional --region eu-west-1 --bucket my-bucket`,

  verify: `Usage: s3-presign verify URL [--bucket B]… [--fields FILE] [--method GET|PUT] [--header 'NAME: VALUE']… [mode flags]

Validates any presigned URL (or, with --fields, a POST policy form) against a mode; exits 0
when it passes, else 1 with every failed check.
  --bucket B                 an allowlist (repeatable; else S3_BUCKETS; else any bucket)
  --fields FILE              the form's fields as a JSON object (boto3: json.dumps(form['fields']))
  --method GET|PUT           what a URL without x-id is for
  --header 'NAME: VALUE'     a header the client will send (repeatable)
  --json                     the report as JSON

${MODE_FLAGS}

Example:
  s3-presign verify 'https://my-bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256' --mode regional --region us-east-1`,

  doctor: `Usage: s3-presign doctor [--bucket B] [--vpce-id ID]… [--service-role-arn ARN] [--probe-store [--probe-prefix P]] [mode flags]

Runs the health checks and the private-route checklist from a shell.
  --bucket B                 the bucket to check (else S3_BUCKETS)
  --vpce-id ID               a VPC endpoint the bucket policy should admit (repeatable)
  --service-role-arn ARN     the service's role, when STS cannot say its path
  --probe-store              find out with real requests what the store enforces
  --probe-prefix P           where the probe writes (cleaned up after)
  --json                     the results as JSON

${MODE_FLAGS}

Example:
  s3-presign doctor --mode regional --region eu-west-1 --bucket my-bucket`,

  policy: `Usage: s3-presign policy --bucket B [--vpce-id ID]… [--admin-arn ARN]… [options] [mode flags]

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

  keygen: `Usage: s3-presign keygen [--id NAME]

Prints a new API key (once) and its entry for AUTH_CLIENTS_FILE (only the hash is stored).
  --id NAME                  the caller's id, 1-64 of A-Z a-z 0-9 . _ - (default my-service)

Example:
  s3-presign keygen --id billing-service`,

  audit: `Usage: s3-presign audit --audit-log FILE… --s3-access-log FILE… [--json]

Joins S3's server access logs with the service's audit stream by grant id (x-s3p-grant): for
each S3 request, who was granted it (see docs/audit-and-provenance.md).
  --audit-log FILE           the service's audit events (AUDIT_LOG), JSON lines; repeatable
  --s3-access-log FILE       S3 server access log files; repeatable
  --json                     one JSON object per S3 request instead of a table

Example:
  s3-presign audit --audit-log audit.jsonl --s3-access-log 2026-12-06-10-00-00-EXAMPLE`,
} as const;

export type CommandName = keyof typeof COMMAND_HELP;

export function isCommand(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMAND_HELP, name);
}

export const USAGE = `Usage: s3-presign COMMAND [flags]

Commands:
  url        mint one validated presigned URL
  upload     send a file of any size (AWS credentials, or --service URL), resumable
  download   fetch an object, checked against its stored checksum, resumable
  verify     validate a presigned URL or POST form against a mode
  doctor     run the health checks and the private-route checklist
  policy     print the bucket, endpoint and role policies for this configuration
  keygen     make an API key and its clients-file entry
  audit      join S3's access logs with the audit stream: who was granted each request

Run "s3-presign COMMAND --help" for a command's flags and an example.
Flags override the environment variables of the service (S3_ENDPOINT_MODE, S3_REGION, …).
AWS credentials come from the AWS SDK's default provider chain; in local mode only from
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the key pair \`npm start\` printed.`;
