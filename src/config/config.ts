// The service's configuration: one zod schema over the environment and a pure loader that
// reports every problem at once. Nothing here reads process.env; server.ts and the CLI
// pass it in.
import proxyAddr from '@fastify/proxy-addr';
import { z } from 'zod';
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import { ENDPOINT_MODE_KINDS } from '../endpoint/endpoint-mode.js';
import {
  CHECKSUM_ALGORITHMS,
  parseVerifiedChecksums,
  type ChecksumAlgorithm,
} from '../endpoint/checksum-algorithms.js';
import {
  BucketAddressError,
  expectedLocation,
  isLegacyGlobalHost,
  withoutTrailing,
} from '../endpoint/expected-location.js';
import { GLOBAL_REGIONS, partitionOfRegion, type Partition } from '../endpoint/partitions.js';
import {
  describeSse,
  SSE_ALGORITHMS,
  sseSettingsProblems,
  type EncryptionConfig,
  type KeyLocation,
  type SseSettings,
} from '../encryption/sse.js';

/** S3 refuses presigned URLs that live longer than seven days. */
export const SIGV4_MAX_EXPIRES_SECONDS = 604_800;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * What docs/configuration.md says of a variable (scripts/generate-config-docs.ts writes the
 * page from these, so a variable is documented once, where it is parsed). `type` is set by
 * the shared parsers below; a variable with its own parser names its type itself.
 */
// A type alias, not an interface: zod's meta() takes an index-signature object.
export type EnvDoc = {
  type?: string;
  /** As a reader sees it: `900`, "required outside local mode", "drawn per process". */
  default: string;
  description: string;
};

const env = (defaultText: string, description: string, type?: string): EnvDoc => ({
  default: defaultText,
  description,
  ...(type === undefined ? {} : { type }),
});

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
  .transform((value) => value === 'true' || value === '1' || value === 'yes')
  .optional()
  .meta({ type: 'boolean (`true`/`false`, `1`/`0`, `yes`/`no`)' });

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .meta({ type: `integer ${min}–${max}` });

const text = z.string().trim().min(1).optional().meta({ type: 'text' });

/**
 * What a request's rate-limit decision falls back to while Redis is slow or gone:
 * `local` counts in this process (each replica then allows up to the limit on its own),
 * `open` allows without counting, `closed` refuses with 503 RATE_LIMIT_UNAVAILABLE.
 */
export const REDIS_FAILURE_POLICIES = ['local', 'open', 'closed'] as const;
export type RedisFailurePolicy = (typeof REDIS_FAILURE_POLICIES)[number];

/** Why a RATE_LIMIT_REDIS_URL cannot be used, or undefined. Never echoes the password. */
function redisUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL (redis://[[user]:password@]host[:port][/db] or rediss:// for TLS)';
  }
  const problems: string[] = [];
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    problems.push(`scheme must be redis:// or rediss:// (TLS), got "${url.protocol}"`);
  }
  if (url.hostname === '') problems.push('names no host');
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^(?:[0-9]|1[0-5])$/.test(db))
    problems.push(`the path must be a database number 0-15, got "/${db}"`);
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) {
    problems.push('must not have a query or fragment (the service sets the connection options itself)');
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}
/** Why a PUBLIC_BASE_URL cannot be used, or undefined. */
function publicBaseUrlProblem(raw: string): string | undefined {
  if (!URL.canParse(raw)) return 'is not a valid URL (https://host[:port][/path])';
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return `scheme must be https or http, got "${url.protocol}"`;
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) {
    return 'must not have a query or fragment';
  }
  return undefined;
}

/** `a, b,,c` → ['a', 'b', 'c']. */
const commaList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  )
  .meta({ type: 'comma-separated list' });

const SSE_ALGORITHM_ERROR = `must be ${SSE_ALGORITHMS.join(', ')}`;

/** One bucket's entry in S3_SSE_BUCKETS: the same three settings, or null for none. */
const bucketSseSchema = z
  .strictObject(
    {
      sse: z.enum(SSE_ALGORITHMS, { error: SSE_ALGORITHM_ERROR }),
      kmsKeyId: z.string({ error: 'must be a string' }).trim().min(1).optional(),
      bucketKey: z.boolean({ error: 'must be true or false' }).optional(),
    },
    {
      error: (issue) =>
        issue.code === 'invalid_type' ? 'must be {"sse": …, "kmsKeyId": …, "bucketKey": …} or null' : undefined,
    },
  )
  .nullable();

/** `{"bucket": {"sse": …, "kmsKeyId": …, "bucketKey": …} | null, …}`, every entry checked. */
const perBucketSse = z
  .string()
  .trim()
  .min(1)
  .transform((value, context) => {
    let document: unknown;
    try {
      document = JSON.parse(value);
    } catch {
      context.addIssue({ code: 'custom', message: 'must be a JSON object: {"BUCKET": {"sse": "aws:kms", …}, …}' });
      return z.NEVER;
    }
    const entries = z
      .record(z.string().min(1), bucketSseSchema, { error: 'must be a JSON object: {"BUCKET": {"sse": …}, …}' })
      .safeParse(document);
    if (!entries.success) {
      for (const issue of entries.error.issues) {
        const [bucket, ...field] = issue.path.map(String);
        const where = bucket === undefined ? '' : `${[JSON.stringify(bucket), ...field].join('.')}: `;
        context.addIssue({ code: 'custom', message: `${where}${issue.message}` });
      }
      return z.NEVER;
    }
    return entries.data;
  });

const TRACE_EXPORTERS = ['otlp', 'none'] as const;
type TraceExporterName = (typeof TRACE_EXPORTERS)[number];
const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

const otlpProtocol = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => value !== 'grpc', { error: 'grpc is not supported: use http/protobuf (port 4318) or http/json' })
  .pipe(z.enum(OTLP_PROTOCOLS, { error: 'must be http/protobuf or http/json' }))
  .optional();

const otlpEndpoint = z
  .string()
  .trim()
  .min(1)
  .refine((value) => otlpEndpointProblem(value) === undefined, {
    error: (issue) => otlpEndpointProblem(issue.input as string),
  })
  .optional();

/** Why an OTLP endpoint cannot be used, or undefined. */
function otlpEndpointProblem(raw: string): string | undefined {
  if (!URL.canParse(raw)) return 'is not a valid URL (http://collector:4318)';
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `scheme must be http or https (OTLP over HTTP), got "${url.protocol}"`;
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not contain credentials (send them with OTEL_EXPORTER_OTLP_HEADERS)';
  }
  return undefined;
}

/** An HTTP header name (RFC 9110's token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * Why OTEL_EXPORTER_OTLP_(TRACES_)HEADERS would not send what it says, or undefined. The SDK
 * reads it as W3C baggage and drops a malformed entry without a word (so a collector's token
 * would silently go missing) and cuts a value at ";". An entry is named by its position and
 * header name, never by its value: that is where tokens go.
 */
function otlpHeadersProblem(raw: string): string | undefined {
  const entries = raw.split(',');
  for (const [index, entry] of entries.entries()) {
    if (entry.trim() === '') continue;
    const position = `entry ${index + 1}`;
    const equals = entry.indexOf('=');
    if (equals === -1) return `${position} has no "=": write name=value`;
    let name: string;
    try {
      name = decodeURIComponent(entry.slice(0, equals).trim());
    } catch {
      return `${position} is not an HTTP header name`;
    }
    if (name === '') return `${position} has no name before "="`;
    if (!HEADER_NAME.test(name)) return `${position} is not an HTTP header name`;
    const named = `${position} ("${name}")`;
    const rawValue = entry.slice(equals + 1).trim();
    if (rawValue === '') return `${named} has no value`;
    if (rawValue.includes(';')) return `${named} holds ";", where the SDK cuts the value: write it %3B`;
    let value: string;
    try {
      value = decodeURIComponent(rawValue);
    } catch {
      return `${named} is not valid percent-encoding (write "%" as %25)`;
    }
    if (HEADER_CONTROL.test(value)) return `${named} holds a control character, which no HTTP header can carry`;
  }
  return undefined;
}

const otlpHeaders = z
  .string()
  .refine((value) => otlpHeadersProblem(value) === undefined, {
    error: (issue) => otlpHeadersProblem(issue.input as string),
  })
  .optional();

/** The environment variables the service reads, each parsed on its own. */
export const envSchema = z.object({
  NODE_ENV: z
    .string()
    .optional()
    .meta(env('—', '`production` makes an unset `S3_ENDPOINT_MODE` an error instead of local mode', 'text')),
  S3_ENDPOINT_MODE: z
    .enum(ENDPOINT_MODE_KINDS)
    .optional()
    .meta(
      env(
        '`local` (an error under `NODE_ENV=production`)',
        'the pinned route: `regional`, `interface`, `accelerate`, `custom` or `local` (see [Endpoint modes](endpoint-modes.md))',
      ),
    ),
  S3_REGION: text.meta(
    env(
      'required in AWS modes; `us-east-1` for custom/local',
      'the pinned region (the credential scope in custom mode)',
    ),
  ),
  S3_USE_FIPS: flag.meta(env('`false`', 'FIPS endpoints (regional mode)')),
  S3_USE_DUALSTACK: flag.meta(env('`false`', 'dual-stack endpoints (regional and accelerate modes)')),
  S3_FORCE_PATH_STYLE: flag.meta(env('`false`', 'path-style URLs (regional, interface, custom)')),
  S3_VPCE_DNS_NAME: text.meta(
    env(
      '—',
      "interface mode: `vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com`, or the console's `*.vpce-…` form (its region must equal `S3_REGION`)",
    ),
  ),
  S3_ENDPOINT_URL: text.meta(env('—', 'custom mode: e.g. `https://minio.internal:9000` (a base path is kept)')),
  S3_ALLOW_HTTP: flag.meta(env('`false`', 'custom mode: allow an `http://` endpoint')),
  S3_BUCKETS: commaList
    .optional()
    .meta(
      env(
        '`local-uploads` in local mode, else required',
        'the allowlist (bucket names or access-point ARNs); the first is the default',
      ),
    ),
  S3_SSE: z
    .enum(SSE_ALGORITHMS, { error: SSE_ALGORITHM_ERROR })
    .optional()
    .meta(
      env(
        "none: no encryption headers (the bucket's default applies)",
        'server-side encryption every upload carries (PUT URLs, form policies, multipart uploads): `AES256` (SSE-S3), `aws:kms` (SSE-KMS) or `aws:kms:dsse` (DSSE-KMS); see [Encryption and integrity](encryption-and-integrity.md)',
      ),
    ),
  S3_SSE_KMS_KEY_ID: text.meta(
    env(
      "none: S3 uses the account's `aws/s3` key",
      "with `aws:kms`/`aws:kms:dsse`: the key's ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`, the buckets' partition and region; not an alias); custom mode: the store's key name",
    ),
  ),
  S3_SSE_BUCKET_KEY: flag.meta(
    env(
      "none: the bucket's default",
      'with `aws:kms` only: S3 Bucket Keys on (`true`) or off (`false`) for each upload',
    ),
  ),
  S3_SSE_BUCKETS: perBucketSse
    .optional()
    .meta(
      env(
        'none',
        'per-bucket settings as JSON, `{"BUCKET": {"sse": "aws:kms", "kmsKeyId": "arn:…", "bucketKey": true}, "OTHER": null}`; a bucket named here takes exactly its entry (`null`: no headers), the others `S3_SSE*`',
        'JSON object',
      ),
    ),
  PRESIGN_DEFAULT_EXPIRES: integer(1, SIGV4_MAX_EXPIRES_SECONDS).meta(
    env('`900`', 'seconds a URL lives when a request gives no `expiresIn`'),
  ),
  PRESIGN_MAX_EXPIRES: integer(1, SIGV4_MAX_EXPIRES_SECONDS).meta(
    env('`3600`', 'the longest `expiresIn` any caller may ask for, in seconds'),
  ),
  PRESIGN_MAX_CLOCK_SKEW: integer(0, 3600).meta(
    env('`300`', 'seconds of `X-Amz-Date` skew the validator and the clock check accept'),
  ),
  PRESIGN_ENGINE: z
    .enum(['fast', 'sdk'])
    .optional()
    .meta(
      env(
        '`fast`',
        "`fast` (SigV4 with node:crypto) or `sdk` (the AWS SDK's `getSignedUrl`); both sign identical URLs",
      ),
    ),
  PORT: integer(0, 65_535).meta(env('`8080`', 'the port the service listens on')),
  HOST: text.meta(env('`127.0.0.1` in local mode, else `0.0.0.0`', 'the address the service listens on')),
  LOG_LEVEL: z.enum(LOG_LEVELS).optional().meta(env('`info`', 'the lowest level logged')),
  REQUEST_BODY_LIMIT: integer(1024, 10 * 1024 * 1024).meta(
    env('`65536`', 'the largest JSON request body, in bytes (413 above)'),
  ),
  HEALTH_TIMEOUT_MS: integer(100, 60_000).meta(env('`2000`', 'how long each health check may take')),
  HEALTH_CACHE_TTL_MS: integer(0, 600_000).meta(
    env('`5000`', 'how long `/healthz` answers from its last run, so a burst of probes is not a burst of S3 calls'),
  ),
  HEALTH_PROBE_KEY: text.meta(
    env('`.s3-presign-health-probe`', 'the key `HeadObject` probes when the role may not `HeadBucket`'),
  ),
  // Parsed in loadConfig: its default depends on the mode.
  S3_STORE_CHECKSUMS: text.meta(
    env(
      '`all` in AWS and local modes; `none` in custom mode',
      `the checksum algorithms the store verifies: \`all\`, \`none\`, or a list of ${CHECKSUM_ALGORITHMS.map((algorithm) => `\`${algorithm}\``).join(', ')}. A checksum field for any other is refused (400 \`CHECKSUM_NOT_VERIFIED\`); \`s3-presign doctor --probe-store\` says what to set ([Custom stores](custom-stores.md))`,
      '`all`, `none`, or a comma-separated list of algorithms',
    ),
  ),
  S3_STORE_PROBE_FILE: text.meta(
    env(
      'none',
      'where `doctor --probe-store` records what the store enforces, and `/healthz` reads it (the `store` check)',
    ),
  ),
  LOCAL_S3_PORT: integer(0, 65_535).meta(
    env('`4568`', "local mode: the embedded S3 server's port (`0` picks a free one)"),
  ),
  AUTH_CLIENTS_FILE: text.meta(
    env('required outside local mode', 'the callers and their policies, YAML or JSON (see [Callers](callers.md))'),
  ),
  CORS_ORIGINS: commaList
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/?#\s]+$/, { error: 'each origin must be scheme://host[:port]' })))
    .optional()
    .meta(env('none', 'browser origins (`scheme://host[:port]`) allowed to call the API')),
  RATE_LIMIT_MAX: integer(1, 1_000_000).meta(env('`600`', 'URLs per caller (per end user for JWT callers) per window')),
  RATE_LIMIT_WINDOW_SECONDS: integer(1, 86_400).meta(env('`60`', 'the rate-limit window, in seconds')),
  VERIFY_RATE_LIMIT_MAX: integer(1, 1_000_000).meta(
    env(
      '`60`',
      "`POST /verify` requests per client address (an IPv6 client per /64) per window, counted in each replica apart from callers' budgets (it needs no caller; the address is the one `TRUST_PROXY` gives; see [Rate limits](operations.md#rate-limits-two-sides))",
    ),
  ),
  VERIFY_RATE_LIMIT_WINDOW_SECONDS: integer(1, 86_400).meta(env('`60`', "`POST /verify`'s window, in seconds")),
  HTTP_REQUEST_TIMEOUT_MS: integer(100, 600_000).meta(
    env(
      '`15000`',
      'ms for a whole request (headers and body), else 408 `REQUEST_TIMEOUT` (see [HTTP timeouts](operations.md#http-timeouts))',
    ),
  ),
  HTTP_HEADERS_TIMEOUT_MS: integer(100, 600_000).meta(
    env('`10000`', 'ms for the headers alone; at most `HTTP_REQUEST_TIMEOUT_MS`'),
  ),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(100, 3_600_000).meta(
    env('`65000`', "ms an idle keep-alive connection stays open; above the load balancer's idle timeout (ALB: 60 s)"),
  ),
  UPLOAD_TOKEN_SECRET: z
    .string()
    .min(32, { error: 'must be at least 32 characters (e.g. openssl rand -base64 32)' })
    .optional()
    .meta(
      env(
        'drawn per process',
        'binds multipart upload IDs to their caller and key (HMAC); the same on every replica; a secret: keep it out of the configmap',
        'text, at least 32 characters',
      ),
    ),
  RATE_LIMIT_REDIS_URL: z
    .string()
    .trim()
    .min(1)
    .transform((value, context) => {
      const problem = redisUrlProblem(value);
      if (problem) {
        context.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      return value;
    })
    .optional()
    .meta(
      env(
        'none: each process counts on its own',
        '`redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS: every replica counts in this Redis (see [Many replicas](operations.md#many-replicas))',
        'URL',
      ),
    ),
  RATE_LIMIT_REDIS_PASSWORD_FILE: text.meta(
    env('none', 'a file holding the Redis password (a mounted Secret); then the URL holds none'),
  ),
  RATE_LIMIT_REDIS_TIMEOUT_MS: integer(5, 5_000).meta(
    env(
      '`100`',
      'no request waits on Redis longer; past it, or with Redis unreachable, `RATE_LIMIT_REDIS_FAILURE` decides',
    ),
  ),
  RATE_LIMIT_REDIS_FAILURE: z
    .enum(REDIS_FAILURE_POLICIES, { error: `must be one of ${REDIS_FAILURE_POLICIES.join(', ')}` })
    .optional()
    .meta(
      env(
        '`local`',
        'without Redis: `local` (each replica counts on its own), `open` (allow, uncounted), `closed` (503 `RATE_LIMIT_UNAVAILABLE`)',
      ),
    ),
  RATE_LIMIT_REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._{}-]{1,64}$/, { error: 'must be 1-64 of A-Z a-z 0-9 : . _ - { }' })
    .optional()
    .meta(
      env(
        '`s3-presign:rate-limit:`',
        "prefix of the counters' keys; change it when deployments share a Redis",
        '1-64 of `A-Z a-z 0-9 : . _ - { }`',
      ),
    ),
  PUBLIC_BASE_URL: z
    .string()
    .trim()
    .min(1)
    .transform((value, context) => {
      const problem = publicBaseUrlProblem(value);
      if (problem) {
        context.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      // One spelling: the routes append "/s3/uppy/…" to it.
      return withoutTrailing(value, '/');
    })
    .optional()
    .meta(
      env(
        'none: paths relative to the service',
        'where callers and browsers reach the service (`https://uploads.example.com`, a path kept), its public name behind a load balancer: the server `/docs/json` names, and the base of the URLs `/s3/sign` hands out that lead back to it; `http`/`https` only. Never taken from `Host` or `X-Forwarded-*`',
        'URL',
      ),
    ),
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: integer(0, 60_000).meta(
    env(
      '`500`',
      'above this mean event-loop delay (sampled each second) the presign routes answer 503 `OVERLOADED` with `Retry-After`; `0` never',
    ),
  ),
  SHUTDOWN_DRAIN_MS: integer(0, 60_000).meta(
    env(
      '`0`',
      'after SIGTERM, `/readyz` answers 503 while requests are still served this long; then in-flight requests get 10 s to finish',
    ),
  ),
  AUDIT_LOG: z
    .string()
    .trim()
    .min(1)
    .optional()
    .meta(
      env(
        '`stdout`',
        'where audit events go (see [Audit and provenance](audit-and-provenance.md)): `stdout`, beside the request log lines (each event carries `"audit": true`), or a file path of their own (reopened on `SIGHUP`, for logrotate)',
        '`stdout` or a file path',
      ),
    ),
  UPLOAD_PROVENANCE: flag.meta(
    env(
      '`true`',
      'every upload carries signed `x-amz-meta-uploaded-by` (the caller, and the end user of a JWT) and `x-amz-meta-grant` (its grant id)',
    ),
  ),
  TRUST_PROXY: z
    .string()
    .trim()
    .min(1)
    .transform((value, context) => {
      if (value === 'true') return true;
      if (value === 'false') return false;
      const list = value.split(',').map((entry) => entry.trim());
      // Fastify fails closed on a hop count, and the IP parser would read `2` as 0.0.0.2.
      if (list.some((entry) => /^\d+$/.test(entry))) {
        context.addIssue({ code: 'custom', message: 'a hop count is not supported: name the proxies instead' });
        return z.NEVER;
      }
      try {
        proxyAddr.compile(list);
      } catch (error) {
        context.addIssue({
          code: 'custom',
          message: `true, false, or addresses and CIDR ranges (loopback, linklocal, uniquelocal too): ${(error as Error).message}`,
        });
        return z.NEVER;
      }
      return list.join(',');
    })
    .optional()
    .meta(
      env(
        'none: no peer is believed',
        "peers whose `X-Forwarded-For` is believed (the logged client address, `/verify`'s budget per address): `true`, `false`, or addresses and CIDR ranges (`loopback`, `linklocal`, `uniquelocal` too). Name your load balancer's addresses, nothing wider: any peer in the list can name any client",
        '`true`, `false`, or a comma-separated list of addresses and CIDR ranges',
      ),
    ),
  // OpenTelemetry's own variables (its "Environment Variable Specification"), as that spec reads
  // them, except that traces are off until one of them asks for an exporter (docs/operations.md,
  // "Traces"). The rest of OTEL_* (headers, timeout, sampler, resource attributes) the SDK reads.
  OTEL_SDK_DISABLED: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false'], { error: 'must be true or false' }))
    .transform((value) => value === 'true')
    .optional()
    .meta(env('`false`', '`true` turns traces off whatever the other `OTEL_*` variables say', '`true` or `false`')),
  OTEL_TRACES_EXPORTER: z
    .string()
    .transform((value, context) => {
      const names = value
        .split(',')
        .map((entry) => entry.trim().toLowerCase())
        .filter(Boolean);
      const unknown = names.filter((name) => !(TRACE_EXPORTERS as readonly string[]).includes(name));
      if (unknown.length > 0) {
        context.addIssue({
          code: 'custom',
          message: `${unknown.map((name) => `"${name}"`).join(', ')} is not supported: ${TRACE_EXPORTERS.join(', ')}`,
        });
        return z.NEVER;
      }
      return names as TraceExporterName[];
    })
    .optional()
    .meta(
      env(
        'none, unless an OTLP endpoint is set (then `otlp`)',
        'where spans go: `otlp` (OTLP over HTTP) or `none`; any other (`console` too: stdout is the JSON log) is a start-up error',
        '`otlp` or `none`',
      ),
    ),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint.meta(
    env(
      '`http://localhost:4318` when traces are on',
      'the OTLP/HTTP collector; spans go to its `/v1/traces`. Setting it turns traces on',
      'URL',
    ),
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpEndpoint.meta(
    env(
      '`OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`',
      'the full URL spans are posted to, used as given; setting it turns traces on',
      'URL',
    ),
  ),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.meta(
    env('`http/protobuf`', 'the OTLP encoding (`grpc` is not supported)', '`http/protobuf` or `http/json`'),
  ),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.meta(
    env(
      'as `OTEL_EXPORTER_OTLP_PROTOCOL`',
      'the encoding of spans, over `OTEL_EXPORTER_OTLP_PROTOCOL`',
      '`http/protobuf` or `http/json`',
    ),
  ),
  OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders.meta(
    env(
      'none',
      "headers sent to the collector (its token): `name=value` pairs, comma-separated, percent-encoded (`authorization=Bearer%20…`); checked at start-up, since the SDK drops a malformed pair silently. Errors name a pair's header, never its value",
      '`name=value,…`',
    ),
  ),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: otlpHeaders.meta(
    env('none', 'as `OTEL_EXPORTER_OTLP_HEADERS`, for spans only (its pairs win)', '`name=value,…`'),
  ),
  OTEL_SERVICE_NAME: text.meta(
    env('`s3-presign`', "the `service.name` of the spans (over `OTEL_RESOURCE_ATTRIBUTES`' one)"),
  ),
});
type EnvField = keyof typeof envSchema.shape;
type ParsedEnv = { [K in EnvField]?: z.output<(typeof envSchema.shape)[K]> };

export interface Config {
  mode: EndpointMode;
  /** The allowlist; the first is the default. Empty only for the CLI, which signs what it is told. */
  buckets: string[];
  presign: {
    defaultExpiresSeconds: number;
    maxExpiresSeconds: number;
    maxClockSkewSeconds: number;
    /** Which signing engine mints URLs: `fast` (node:crypto) or `sdk` (getSignedUrl, the reference). */
    engine: 'fast' | 'sdk';
  };
  server: {
    host: string;
    port: number;
    logLevel: LogLevel;
    bodyLimitBytes: number;
    /** Which peers' X-Forwarded-For and X-Forwarded-Host are believed (Fastify's trustProxy). */
    trustProxy: boolean | string;
    /**
     * Where browsers reach the service (`https://uploads.example.com`, maybe with a path), for
     * the URLs it hands out that lead back to itself; unset, those are relative paths. Never
     * taken from a request's Host or X-Forwarded-* headers.
     */
    publicBaseUrl: string | undefined;
    /** After SIGTERM: /readyz answers 503 and requests are still served this long before closing. */
    shutdownDrainMs: number;
  };
  health: { timeoutMs: number; cacheTtlMs: number; probeKey: string };
  store: {
    /**
     * The checksum algorithms the store compares with the bytes (S3_STORE_CHECKSUMS). A request
     * field for any other is refused: signed, it would promise what the store does not check.
     */
    verifiedChecksums: ChecksumAlgorithm[];
    /** Where `doctor --probe-store` writes its findings and /healthz reads them (S3_STORE_PROBE_FILE). */
    probeFile: string | undefined;
  };
  /** The embedded S3 server's port, in local mode only. */
  localS3Port: number | undefined;
  /** Callers and policies; local mode without a file makes a development key instead. */
  auth: { clientsFile: string | undefined };
  /** Browser origins allowed to call the API (CORS); empty allows none. */
  cors: { origins: string[] };
  /** Requests (or, for batches, URLs) per caller (per end user for JWT callers) in each window. */
  rateLimit: { max: number; windowSeconds: number; redis: RedisSettings | undefined };
  /** Requests to POST /verify per client address in each window (it needs no caller). */
  verifyRateLimit: { max: number; windowSeconds: number };
  /** Above this mean event-loop delay the presign routes answer 503 OVERLOADED; 0 never. */
  overload: { maxEventLoopDelayMs: number };
  /** How long a connection may take to send a request, and stay idle between requests. */
  http: {
    /** The whole request, headers and body; then 408 and the connection is closed. */
    requestTimeoutMs: number;
    /** The headers alone; at most requestTimeoutMs. */
    headersTimeoutMs: number;
    /** An idle keep-alive connection is closed after this; longer than the load balancer's idle timeout. */
    keepAliveTimeoutMs: number;
  };
  /**
   * Binds multipart upload IDs to their caller and key (HMAC). Every replica needs the same
   * one; unset, each process draws its own and upload IDs live only as long as it does.
   */
  uploads: { tokenSecret: string | undefined };
  /** The server-side encryption each bucket's uploads carry (S3_SSE*). */
  encryption: EncryptionConfig;
  audit: {
    /** AUDIT_LOG: beside the request lines, or a file of its own. */
    destination: { kind: 'stdout' } | { kind: 'file'; path: string };
    /** UPLOAD_PROVENANCE: uploads carry x-amz-meta-uploaded-by and x-amz-meta-grant. */
    provenance: boolean;
  };
  /** OpenTelemetry traces (OTEL_*); undefined when off, and then no OpenTelemetry module loads. */
  tracing: TraceSettings | undefined;
}

export interface TraceSettings {
  /** Where spans are posted (OTLP over HTTP) and in which encoding. */
  url: string;
  protocol: OtlpProtocol;
  /** OTEL_SERVICE_NAME; unset, OTEL_RESOURCE_ATTRIBUTES' service.name or `s3-presign`. */
  serviceName: string | undefined;
}

/** The shared store every replica counts against (RATE_LIMIT_REDIS_*). */
export interface RedisSettings {
  /** As configured: may hold a password, so never log it (see redisTarget). */
  url: string;
  /** Read at start-up by server.ts; the URL then carries no password. */
  passwordFile: string | undefined;
  /** No request waits on Redis longer than this. */
  timeoutMs: number;
  failure: RedisFailurePolicy;
  keyPrefix: string;
}

/** Variables whose value is itself a secret: never quoted. */
const SECRET_VALUES: ReadonlySet<EnvField> = new Set([
  'UPLOAD_TOKEN_SECRET',
  // the collector's token
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
]);
/** Variables holding a URL, whose user information or query may carry a password. */
const URL_VALUES: ReadonlySet<EnvField> = new Set([
  'RATE_LIMIT_REDIS_URL',
  'PUBLIC_BASE_URL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
]);

/** A refused value as a problem quotes it: start-up errors end up in logs and CI output. */
function shownValue(name: EnvField, raw: string | undefined): string {
  if (SECRET_VALUES.has(name)) return 'a value, not shown: it is a secret';
  return `"${URL_VALUES.has(name) ? withoutSecrets(raw ?? '') : raw}"`;
}

/**
 * The URL as given with its password masked and its query and fragment left out
 * (`redis://host?password=…` is how some clients take one).
 */
function withoutSecrets(raw: string): string {
  const cut = raw.search(/[?#]/);
  const base = cut === -1 ? raw : raw.slice(0, cut);
  const rest = cut === -1 ? '' : '?… (not shown)';
  if (URL.canParse(base)) {
    const url = new URL(base);
    if (url.password === '') return `${base}${rest}`;
    url.password = 'REDACTED';
    return `${url.href}${rest}`;
  }
  // Unparseable: whatever comes before the last "@" may be a password.
  return `${base.replace(/^.*@/s, 'REDACTED@')}${rest}`;
}

/** host:port/db of a Redis URL, for logs and /healthz: never the credentials. */
export function redisTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

export interface LoadConfigOptions {
  /** The service needs an allowlist; the CLI signs the one bucket it is given. */
  requireBuckets?: boolean;
  /** The service needs its callers; the CLI signs with the operator's own credentials. */
  requireCallers?: boolean;
}

const DEFAULT_LOCAL_BUCKET = 'local-uploads';
const DEFAULT_LOCAL_S3_PORT = 4568;
const VPCE_DNS_NAME = /^vpce-[a-z0-9]+(?:-[a-z0-9]+)?\.s3\.([a-z0-9-]+)\.vpce\.amazonaws\.com(?:\.cn)?$/;

export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions = {},
): ConfigResult {
  const problems: string[] = [];
  const parsed: ParsedEnv = {};
  for (const [name, schema] of Object.entries(envSchema.shape) as [EnvField, z.ZodType][]) {
    const raw = env[name];
    const result = schema.safeParse(raw === '' ? undefined : raw);
    if (result.success) {
      (parsed as Record<string, unknown>)[name] = result.data;
    } else {
      for (const issue of result.error.issues)
        problems.push(`${name}: ${issue.message} (got ${shownValue(name, raw)})`);
    }
  }
  const production = parsed.NODE_ENV === 'production';

  let kind = parsed.S3_ENDPOINT_MODE;
  if (kind === undefined && !problems.some((p) => p.startsWith('S3_ENDPOINT_MODE'))) {
    if (production) {
      problems.push(
        `S3_ENDPOINT_MODE: required when NODE_ENV=production (one of ${ENDPOINT_MODE_KINDS.join(', ')}); local mode is for development only`,
      );
    } else {
      kind = 'local';
    }
  }
  const localS3Port = parsed.LOCAL_S3_PORT ?? DEFAULT_LOCAL_S3_PORT;
  const mode = kind ? buildMode(kind, parsed, localS3Port, problems) : undefined;

  const requireBuckets = options.requireBuckets ?? true;
  let buckets = parsed.S3_BUCKETS ?? [];
  if (buckets.length === 0 && kind === 'local') buckets = [DEFAULT_LOCAL_BUCKET];
  if (requireBuckets && buckets.length === 0 && kind !== undefined) {
    problems.push('S3_BUCKETS: required: a comma-separated allowlist of buckets (the first is the default)');
  }
  if (mode) {
    for (const bucket of buckets) {
      try {
        expectedLocation(mode, bucket);
      } catch (error) {
        if (!(error instanceof BucketAddressError)) throw error;
        problems.push(`S3_BUCKETS: ${error.message}`);
      }
    }
  }

  // Each implicit value gives way to the explicit other one; two explicit values must agree.
  const maxExpiresSeconds = parsed.PRESIGN_MAX_EXPIRES ?? Math.max(3600, parsed.PRESIGN_DEFAULT_EXPIRES ?? 0);
  const defaultExpiresSeconds = parsed.PRESIGN_DEFAULT_EXPIRES ?? Math.min(900, maxExpiresSeconds);
  if (defaultExpiresSeconds > maxExpiresSeconds) {
    problems.push(
      `PRESIGN_DEFAULT_EXPIRES: ${defaultExpiresSeconds} is above PRESIGN_MAX_EXPIRES (${maxExpiresSeconds})`,
    );
  }

  // A JSON API's request is a few KB: seconds are plenty, and a client that trickles bytes
  // (slow loris) must not hold a connection for longer.
  const requestTimeoutMs = parsed.HTTP_REQUEST_TIMEOUT_MS ?? Math.max(15_000, parsed.HTTP_HEADERS_TIMEOUT_MS ?? 0);
  const headersTimeoutMs = parsed.HTTP_HEADERS_TIMEOUT_MS ?? Math.min(10_000, requestTimeoutMs);
  if (headersTimeoutMs > requestTimeoutMs) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS: ${headersTimeoutMs} is above HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs}); the headers are part of the request`,
    );
  }

  const requireCallers = options.requireCallers ?? true;
  if (requireCallers && kind !== undefined && kind !== 'local' && parsed.AUTH_CLIENTS_FILE === undefined) {
    problems.push('AUTH_CLIENTS_FILE: required outside local mode: the callers and their policies (JSON or YAML)');
  }

  const redis = redisSettings(parsed, problems);
  const verifiedChecksums =
    parsed.S3_STORE_CHECKSUMS === undefined
      ? defaultVerifiedChecksums(kind)
      : parseVerifiedChecksums(parsed.S3_STORE_CHECKSUMS, problems);
  const encryption = mode ? encryptionSettings(parsed, mode, buckets, requireBuckets, problems) : undefined;

  if (problems.length > 0 || !mode || !verifiedChecksums || !encryption) return { ok: false, problems };
  return {
    ok: true,
    config: {
      mode,
      buckets,
      presign: {
        defaultExpiresSeconds,
        maxExpiresSeconds,
        maxClockSkewSeconds: parsed.PRESIGN_MAX_CLOCK_SKEW ?? 300,
        engine: parsed.PRESIGN_ENGINE ?? 'fast',
      },
      server: {
        // Outside local mode the service runs in a container, where loopback is unreachable.
        host: parsed.HOST ?? (mode.kind === 'local' ? '127.0.0.1' : '0.0.0.0'),
        port: parsed.PORT ?? 8080,
        logLevel: parsed.LOG_LEVEL ?? 'info',
        bodyLimitBytes: parsed.REQUEST_BODY_LIMIT ?? 64 * 1024,
        // No peer is believed unless the operator names it: trusting every private address by
        // default let anything on them (another pod, a sidecar, a host on the VPN) name any
        // client in X-Forwarded-For, and so spend or dodge anyone's per-address budget.
        trustProxy: parsed.TRUST_PROXY ?? false,
        shutdownDrainMs: parsed.SHUTDOWN_DRAIN_MS ?? 0,
        publicBaseUrl: parsed.PUBLIC_BASE_URL,
      },
      health: {
        timeoutMs: parsed.HEALTH_TIMEOUT_MS ?? 2000,
        cacheTtlMs: parsed.HEALTH_CACHE_TTL_MS ?? 5000,
        probeKey: parsed.HEALTH_PROBE_KEY ?? '.s3-presign-health-probe',
      },
      store: { verifiedChecksums, probeFile: parsed.S3_STORE_PROBE_FILE },
      localS3Port: mode.kind === 'local' ? localS3Port : undefined,
      auth: { clientsFile: parsed.AUTH_CLIENTS_FILE },
      cors: { origins: parsed.CORS_ORIGINS ?? [] },
      rateLimit: {
        max: parsed.RATE_LIMIT_MAX ?? 600,
        windowSeconds: parsed.RATE_LIMIT_WINDOW_SECONDS ?? 60,
        redis,
      },
      verifyRateLimit: {
        max: parsed.VERIFY_RATE_LIMIT_MAX ?? 60,
        windowSeconds: parsed.VERIFY_RATE_LIMIT_WINDOW_SECONDS ?? 60,
      },
      overload: { maxEventLoopDelayMs: parsed.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS ?? 500 },
      http: {
        requestTimeoutMs,
        headersTimeoutMs,
        // Longer than the load balancer's idle timeout (AWS ALB: 60 s), so the balancer always
        // closes an idle connection first and never sends a request into one the service closed.
        keepAliveTimeoutMs: parsed.HTTP_KEEP_ALIVE_TIMEOUT_MS ?? 65_000,
      },
      uploads: { tokenSecret: parsed.UPLOAD_TOKEN_SECRET },
      encryption,
      audit: {
        destination:
          parsed.AUDIT_LOG === undefined || parsed.AUDIT_LOG === 'stdout'
            ? { kind: 'stdout' }
            : { kind: 'file', path: parsed.AUDIT_LOG },
        provenance: parsed.UPLOAD_PROVENANCE ?? true,
      },
      tracing: traceSettings(parsed),
    },
  };
}

/**
 * Traces are on when OTEL_TRACES_EXPORTER names an exporter, or, with it unset, when an OTLP
 * endpoint is set; OTEL_SDK_DISABLED=true turns them off. (The specification's default
 * exporter is `otlp`: a service that nobody asked to trace would post to localhost:4318.)
 */
function traceSettings(env: ParsedEnv): TraceSettings | undefined {
  if (env.OTEL_SDK_DISABLED === true) return undefined;
  const endpointSet =
    env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined;
  // `none` beside `otlp`: the specification leaves it open; `otlp` wins.
  const exporting = env.OTEL_TRACES_EXPORTER === undefined ? endpointSet : env.OTEL_TRACES_EXPORTER.includes('otlp');
  if (!exporting) return undefined;
  return {
    url:
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? tracesUrl(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318'),
    protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    serviceName: env.OTEL_SERVICE_NAME,
  };
}

/** The specification's rule for the signal-less endpoint: `v1/traces` appended to its path. */
function tracesUrl(base: string): string {
  return base.endsWith('/') ? `${base}v1/traces` : `${base}/v1/traces`;
}

/**
 * What a mode's store verifies unless S3_STORE_CHECKSUMS says otherwise: AWS S3 and the
 * embedded store every algorithm (both proven by `doctor --probe-store`), and a custom store
 * nothing until the operator has found out (Ceph RGW 16.2 verifies none).
 */
function defaultVerifiedChecksums(kind: EndpointMode['kind'] | undefined): ChecksumAlgorithm[] {
  if (kind === 'custom') return [];
  return [...CHECKSUM_ALGORITHMS];
}

const SSE_VARIABLES = { algorithm: 'S3_SSE', kmsKeyId: 'S3_SSE_KMS_KEY_ID', bucketKey: 'S3_SSE_BUCKET_KEY' } as const;
const SSE_ENTRY_FIELDS = { algorithm: 'sse', kmsKeyId: 'kmsKeyId', bucketKey: 'bucketKey' } as const;

/** S3_SSE* as settings per bucket, each combination S3 would refuse reported with S3's reason. */
function encryptionSettings(
  env: ParsedEnv,
  mode: EndpointMode,
  buckets: readonly string[],
  requireBuckets: boolean,
  problems: string[],
): EncryptionConfig | undefined {
  const before = problems.length;
  const location: KeyLocation = {
    region: mode.region,
    partition: 'partition' in mode ? mode.partition.name : partitionOfRegion(mode.region)?.name,
    storeKeyNames: mode.kind === 'custom',
  };
  let fallback: SseSettings | undefined;
  if (env.S3_SSE === undefined) {
    for (const name of ['S3_SSE_KMS_KEY_ID', 'S3_SSE_BUCKET_KEY'] as const) {
      if (env[name] !== undefined) problems.push(`${name}: only applies with S3_SSE (aws:kms or aws:kms:dsse)`);
    }
  } else {
    fallback = { algorithm: env.S3_SSE, kmsKeyId: env.S3_SSE_KMS_KEY_ID, bucketKey: env.S3_SSE_BUCKET_KEY };
    for (const { setting, reason } of sseSettingsProblems(fallback, location)) {
      problems.push(`${SSE_VARIABLES[setting]}: ${reason}`);
    }
  }
  const perBucket = new Map<string, SseSettings | null>();
  for (const [bucket, entry] of Object.entries(env.S3_SSE_BUCKETS ?? {})) {
    if (requireBuckets && !buckets.includes(bucket)) {
      problems.push(`S3_SSE_BUCKETS: names ${JSON.stringify(bucket)}, which is not in S3_BUCKETS`);
      continue;
    }
    if (entry === null) {
      perBucket.set(bucket, null);
      continue;
    }
    const settings: SseSettings = { algorithm: entry.sse, kmsKeyId: entry.kmsKeyId, bucketKey: entry.bucketKey };
    for (const { setting, reason } of sseSettingsProblems(settings, location)) {
      problems.push(`S3_SSE_BUCKETS: ${JSON.stringify(bucket)}.${SSE_ENTRY_FIELDS[setting]}: ${reason}`);
    }
    perBucket.set(bucket, settings);
  }
  if (problems.length > before) return undefined;
  return { default: fallback, perBucket };
}

/** One line per bucket: what its uploads carry. For start-up logs and `doctor`. */
export function describeEncryption(config: Pick<Config, 'buckets' | 'encryption'>): string[] {
  return config.buckets.map((bucket) => {
    const own = config.encryption.perBucket.get(bucket);
    return `${bucket}: ${describeSse(own === null ? undefined : (own ?? config.encryption.default))}`;
  });
}

function redisSettings(env: ParsedEnv, problems: string[]): RedisSettings | undefined {
  const url = env.RATE_LIMIT_REDIS_URL;
  if (url === undefined) {
    // Settings that only mean something with a shared store are a sign of a forgotten URL.
    for (const name of [
      'RATE_LIMIT_REDIS_PASSWORD_FILE',
      'RATE_LIMIT_REDIS_TIMEOUT_MS',
      'RATE_LIMIT_REDIS_FAILURE',
      'RATE_LIMIT_REDIS_KEY_PREFIX',
    ] as const) {
      if (env[name] !== undefined) problems.push(`${name}: only applies with RATE_LIMIT_REDIS_URL`);
    }
    return undefined;
  }
  if (env.RATE_LIMIT_REDIS_PASSWORD_FILE !== undefined && URL.canParse(url) && new URL(url).password !== '') {
    problems.push(
      'RATE_LIMIT_REDIS_PASSWORD_FILE: RATE_LIMIT_REDIS_URL already holds a password; give it in one place only',
    );
  }
  return {
    url,
    passwordFile: env.RATE_LIMIT_REDIS_PASSWORD_FILE,
    timeoutMs: env.RATE_LIMIT_REDIS_TIMEOUT_MS ?? 100,
    failure: env.RATE_LIMIT_REDIS_FAILURE ?? 'local',
    keyPrefix: env.RATE_LIMIT_REDIS_KEY_PREFIX ?? 's3-presign:rate-limit:',
  };
}

/** Renders problems the way start-up prints them: one per line. */
export function formatConfigProblems(problems: readonly string[]): string {
  return ['Invalid configuration:', ...problems.map((problem) => `  - ${problem}`)].join('\n');
}

function buildMode(
  kind: EndpointMode['kind'],
  env: ParsedEnv,
  localS3Port: number,
  problems: string[],
): EndpointMode | undefined {
  const before = problems.length;
  const refuse = (name: EnvField, why: string) => problems.push(`${name}: ${why}`);
  const notIn = (name: EnvField, set: boolean | string | undefined, modeText: string) => {
    if (set) refuse(name, `cannot be used in ${modeText}`);
  };

  const fips = env.S3_USE_FIPS ?? false;
  const dualstack = env.S3_USE_DUALSTACK ?? false;
  const pathStyle = env.S3_FORCE_PATH_STYLE ?? false;
  const allowHttp = env.S3_ALLOW_HTTP ?? false;

  if (kind !== 'custom') {
    notIn('S3_ENDPOINT_URL', env.S3_ENDPOINT_URL, `${kind} mode (only custom mode takes an endpoint URL)`);
    notIn('S3_ALLOW_HTTP', allowHttp, `${kind} mode (http:// is only for custom mode)`);
  }
  if (kind !== 'interface') {
    notIn('S3_VPCE_DNS_NAME', env.S3_VPCE_DNS_NAME, `${kind} mode (it is for interface mode)`);
  }

  switch (kind) {
    case 'regional': {
      const partition = awsRegion(env.S3_REGION, problems);
      if (partition && fips && !partition.supportsFips)
        refuse('S3_USE_FIPS', `partition ${partition.name} has no FIPS endpoints`);
      if (partition && dualstack && !partition.supportsDualStack) {
        refuse('S3_USE_DUALSTACK', `partition ${partition.name} has no dual-stack endpoints`);
      }
      if (!partition || problems.length > before) return undefined;
      return {
        kind,
        region: env.S3_REGION as string,
        partition,
        useFips: fips,
        useDualstack: dualstack,
        forcePathStyle: pathStyle,
      };
    }
    case 'interface': {
      const partition = awsRegion(env.S3_REGION, problems);
      notIn('S3_USE_FIPS', fips, 'interface mode (AWS rejects FIPS with an endpoint URL)');
      notIn('S3_USE_DUALSTACK', dualstack, 'interface mode (AWS rejects dual-stack with an endpoint URL)');
      // The console and `describe-vpc-endpoints` (and Terraform's dns_entry) list the name as
      // `*.vpce-….s3.REGION.vpce.amazonaws.com`: the wildcard stands for the bucket label, so
      // the regional name is what follows it.
      const vpceDnsName = env.S3_VPCE_DNS_NAME?.toLowerCase().replace(/^\*\./, '');
      if (!vpceDnsName) {
        refuse(
          'S3_VPCE_DNS_NAME',
          'required in interface mode, e.g. vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
        );
      } else {
        const match = VPCE_DNS_NAME.exec(vpceDnsName);
        if (!match) {
          refuse(
            'S3_VPCE_DNS_NAME',
            `"${vpceDnsName}" is not an S3 interface endpoint's regional DNS name (vpce-ID.s3.REGION.vpce.amazonaws.com or *.vpce-ID…, without a leading "bucket.")`,
          );
        } else if (env.S3_REGION && match[1] !== env.S3_REGION) {
          refuse('S3_VPCE_DNS_NAME', `is in region ${match[1]}, but S3_REGION is ${env.S3_REGION}`);
        }
      }
      if (!partition || !vpceDnsName || problems.length > before) return undefined;
      return { kind, region: env.S3_REGION as string, partition, vpceDnsName, forcePathStyle: pathStyle };
    }
    case 'accelerate': {
      const partition = awsRegion(env.S3_REGION, problems);
      notIn('S3_USE_FIPS', fips, 'accelerate mode (AWS rejects FIPS with S3 Transfer Acceleration)');
      notIn('S3_FORCE_PATH_STYLE', pathStyle, 'accelerate mode (S3 Transfer Acceleration needs virtual-hosted URLs)');
      if (partition && !partition.supportsAccelerate) {
        refuse('S3_REGION', `S3 Transfer Acceleration is not available in partition ${partition.name}`);
      }
      if (!partition || problems.length > before) return undefined;
      return { kind, region: env.S3_REGION as string, partition, useDualstack: dualstack };
    }
    case 'custom': {
      notIn('S3_USE_FIPS', fips, 'custom mode (AWS rejects FIPS with a custom endpoint)');
      notIn('S3_USE_DUALSTACK', dualstack, 'custom mode (AWS rejects dual-stack with a custom endpoint)');
      const region = env.S3_REGION ?? 'us-east-1';
      signingRegion(region, problems);
      const endpoint = customEndpoint(env.S3_ENDPOINT_URL, allowHttp, problems);
      if (!endpoint || problems.length > before) return undefined;
      return { kind, region, endpoint, forcePathStyle: pathStyle };
    }
    case 'local': {
      notIn('S3_USE_FIPS', fips, 'local mode');
      notIn('S3_USE_DUALSTACK', dualstack, 'local mode');
      const region = env.S3_REGION ?? 'us-east-1';
      signingRegion(region, problems);
      if (problems.length > before) return undefined;
      return { kind, region, endpoint: new URL(`http://127.0.0.1:${localS3Port}`) };
    }
  }
}

function signingRegion(region: string, problems: string[]): boolean {
  if (GLOBAL_REGIONS.has(region)) {
    problems.push(`S3_REGION: "${region}" names the legacy global endpoint; pin a real region`);
    return false;
  }
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(region)) {
    problems.push(`S3_REGION: "${region}" is not a valid region name`);
    return false;
  }
  return true;
}

function awsRegion(region: string | undefined, problems: string[]): Partition | undefined {
  if (region === undefined) {
    problems.push('S3_REGION: required in every AWS mode (e.g. us-east-1)');
    return undefined;
  }
  if (!signingRegion(region, problems)) return undefined;
  const partition = partitionOfRegion(region);
  if (!partition) problems.push(`S3_REGION: "${region}" is not an AWS region name`);
  return partition;
}

/**
 * An endpoint URL as a problem may quote it. One that does not parse cannot be trusted to
 * split where WHATWG would, so anything that may be user information (an `@` anywhere) or a
 * query string is never echoed: start-up errors reach logs and CI output.
 */
function quotedWithoutSecrets(raw: string): string {
  if (raw.includes('@')) return 'the value (not shown: it holds "@", so it may hold credentials)';
  const query = raw.search(/[?#]/);
  return query === -1 ? `"${raw}"` : `"${raw.slice(0, query)}…" (query not shown)`;
}

function customEndpoint(raw: string | undefined, allowHttp: boolean, problems: string[]): URL | undefined {
  if (raw === undefined) {
    problems.push('S3_ENDPOINT_URL: required in custom mode, e.g. https://minio.internal:9000');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`S3_ENDPOINT_URL: ${quotedWithoutSecrets(raw)} is not a valid URL`);
    return undefined;
  }
  const before = problems.length;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push(`S3_ENDPOINT_URL: scheme must be https (or http with S3_ALLOW_HTTP=true), got "${url.protocol}"`);
  } else if (url.protocol === 'http:' && !allowHttp) {
    problems.push('S3_ENDPOINT_URL: http:// needs S3_ALLOW_HTTP=true (URLs and uploads would travel unencrypted)');
  }
  if (url.username || url.password) problems.push('S3_ENDPOINT_URL: must not contain credentials');
  if (url.search || url.hash || raw.includes('#') || raw.includes('?')) {
    problems.push('S3_ENDPOINT_URL: must not have a query or fragment');
  }
  if (isLegacyGlobalHost(url.hostname)) {
    problems.push(`S3_ENDPOINT_URL: ${url.hostname} is the legacy global endpoint; use regional mode instead`);
  }
  if (problems.length > before) return undefined;
  // One spelling of the base path: with a trailing slash the SDK would sign `/base//key`.
  return new URL(`${url.origin}${withoutTrailing(url.pathname, '/')}`);
}
