// loadConfig over plain env objects: defaults, one valid configuration per mode, and every
// refusal PRODUCT.md asks for ("combinations AWS rejects are start-up errors"). Problems are
// matched by the variable they name, so a test fails when the right problem is missing, not
// when its wording changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  formatConfigProblems,
  loadConfig,
  SIGV4_MAX_EXPIRES_SECONDS,
  type Config,
  type LoadConfigOptions,
} from '../../../src/config/config.js';
import { encryptionFor } from '../../../src/encryption/sse.js';

type Env = Record<string, string | undefined>;

const VPCE = 'vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com';

// The callers file is the auth tests' concern: these tests look at everything else.
const WITHOUT_CALLERS: LoadConfigOptions = { requireCallers: false };

function accept(env: Env, options: LoadConfigOptions = WITHOUT_CALLERS): Config {
  const result = loadConfig(env, options);
  if (!result.ok) assert.fail(`expected the configuration to load, got:\n${formatConfigProblems(result.problems)}`);
  return result.config;
}

function refuse(env: Env, options: LoadConfigOptions = WITHOUT_CALLERS): string[] {
  const result = loadConfig(env, options);
  if (result.ok)
    assert.fail(`expected the configuration to be refused, got mode ${JSON.stringify(result.config.mode)}`);
  assert.ok(result.problems.length > 0, 'a refused configuration lists at least one problem');
  return result.problems;
}

/** Asserts one problem is about `variable` (and matches `pattern` when given). */
function assertProblem(problems: readonly string[], variable: string, pattern?: RegExp): void {
  const about = problems.filter((problem) => problem.startsWith(`${variable}:`));
  assert.ok(about.length > 0, `expected a problem about ${variable}, got:\n  ${problems.join('\n  ')}`);
  if (pattern) {
    assert.ok(
      about.some((problem) => pattern.test(problem)),
      `expected a ${variable} problem matching ${pattern}, got:\n  ${about.join('\n  ')}`,
    );
  }
}

const regional = (extra: Env = {}): Env => ({
  S3_ENDPOINT_MODE: 'regional',
  S3_REGION: 'eu-west-1',
  S3_BUCKETS: 'my-bucket',
  ...extra,
});
const iface = (extra: Env = {}): Env => ({
  S3_ENDPOINT_MODE: 'interface',
  S3_REGION: 'us-east-1',
  S3_VPCE_DNS_NAME: VPCE,
  S3_BUCKETS: 'my-bucket',
  ...extra,
});
const accelerate = (extra: Env = {}): Env => ({
  S3_ENDPOINT_MODE: 'accelerate',
  S3_REGION: 'us-east-1',
  S3_BUCKETS: 'my-bucket',
  ...extra,
});
const custom = (extra: Env = {}): Env => ({
  S3_ENDPOINT_MODE: 'custom',
  S3_ENDPOINT_URL: 'https://minio.internal:9000',
  S3_BUCKETS: 'my-bucket',
  ...extra,
});

describe('loadConfig: defaults and the local fallback', () => {
  it('runs in local mode with development defaults when nothing is set', () => {
    const config = accept({});
    assert.equal(config.mode.kind, 'local');
    if (config.mode.kind !== 'local') return;
    assert.equal(config.mode.region, 'us-east-1');
    assert.equal(config.mode.endpoint.href, 'http://127.0.0.1:4568/');
    assert.deepEqual(config.buckets, ['local-uploads']);
    assert.equal(config.localS3Port, 4568);
    assert.deepEqual(config.presign, {
      defaultExpiresSeconds: 900,
      maxExpiresSeconds: 3600,
      maxClockSkewSeconds: 300,
      engine: 'fast',
    });
    assert.deepEqual(config.server, {
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      bodyLimitBytes: 65536,
      trustProxy: false,
      shutdownDrainMs: 0,
      publicBaseUrl: undefined,
    });
    assert.deepEqual(config.health, { timeoutMs: 2000, cacheTtlMs: 5000, probeKey: '.s3-presign-health-probe' });
    assert.deepEqual(config.overload, { maxEventLoopDelayMs: 500 });
  });

  it('TRUST_PROXY: true, false, or a list of addresses and ranges, each entry checked', () => {
    assert.equal(accept({ TRUST_PROXY: 'true' }).server.trustProxy, true);
    assert.equal(accept({ TRUST_PROXY: 'false' }).server.trustProxy, false);
    assert.equal(accept({ TRUST_PROXY: ' 10.0.0.0/8 , loopback ' }).server.trustProxy, '10.0.0.0/8,loopback');
    assertProblem(refuse({ TRUST_PROXY: '10.0.0.0/99' }), 'TRUST_PROXY', /invalid range/);
    assertProblem(refuse({ TRUST_PROXY: 'loopback,,' }), 'TRUST_PROXY', /invalid IP address/);
    assertProblem(refuse({ TRUST_PROXY: '2' }), 'TRUST_PROXY', /hop count/);
  });

  it('HTTP timeouts: defaults for a JSON API behind a load balancer, headers within the request', () => {
    assert.deepEqual(accept({}).http, {
      requestTimeoutMs: 15_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 65_000,
    });
    assert.deepEqual(
      accept({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '350000' })
        .http,
      { requestTimeoutMs: 5000, headersTimeoutMs: 2000, keepAliveTimeoutMs: 350_000 },
    );
    // One value set: the other default gives way rather than contradicting it.
    assert.equal(accept({ HTTP_REQUEST_TIMEOUT_MS: '4000' }).http.headersTimeoutMs, 4000);
    assert.equal(accept({ HTTP_HEADERS_TIMEOUT_MS: '30000' }).http.requestTimeoutMs, 30_000);
    const problems = refuse({
      HTTP_REQUEST_TIMEOUT_MS: '1000',
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 'soon',
      PORT: 'x',
    });
    assertProblem(problems, 'HTTP_HEADERS_TIMEOUT_MS', /above HTTP_REQUEST_TIMEOUT_MS/);
    assertProblem(problems, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', /whole number/);
    assertProblem(problems, 'PORT');
    assertProblem(refuse({ HTTP_REQUEST_TIMEOUT_MS: '0' }), 'HTTP_REQUEST_TIMEOUT_MS');
  });

  it('falls back to local mode outside production (NODE_ENV=development, test)', () => {
    for (const nodeEnv of ['development', 'test']) {
      assert.equal(accept({ NODE_ENV: nodeEnv }).mode.kind, 'local', `NODE_ENV=${nodeEnv}`);
    }
  });

  it('treats empty strings as unset', () => {
    const config = accept({ S3_ENDPOINT_MODE: '', S3_REGION: '', PORT: '', S3_USE_FIPS: '' });
    assert.equal(config.mode.kind, 'local');
    assert.equal(config.server.port, 8080);
  });

  it('uses LOCAL_S3_PORT for the embedded server endpoint in local mode', () => {
    const config = accept({ LOCAL_S3_PORT: '9999', S3_BUCKETS: 'dev-bucket' });
    assert.equal(config.mode.kind, 'local');
    if (config.mode.kind !== 'local') return;
    assert.equal(config.mode.endpoint.href, 'http://127.0.0.1:9999/');
    assert.equal(config.localS3Port, 9999);
    assert.deepEqual(config.buckets, ['dev-bucket']);
  });

  it('refuses NODE_ENV=production without S3_ENDPOINT_MODE', () => {
    const problems = refuse({ NODE_ENV: 'production' });
    assertProblem(problems, 'S3_ENDPOINT_MODE', /production/);
  });

  it('refuses NODE_ENV=production with no mode even when everything else is set', () => {
    const problems = refuse({ NODE_ENV: 'production', S3_REGION: 'eu-west-1', S3_BUCKETS: 'my-bucket' });
    assertProblem(problems, 'S3_ENDPOINT_MODE');
  });

  it('accepts NODE_ENV=production with an explicit mode, listening on all interfaces', () => {
    const config = accept(regional({ NODE_ENV: 'production' }));
    assert.equal(config.mode.kind, 'regional');
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.localS3Port, undefined);
  });

  it('refuses an unknown mode', () => {
    assertProblem(refuse({ S3_ENDPOINT_MODE: 'global', S3_REGION: 'us-east-1', S3_BUCKETS: 'b1' }), 'S3_ENDPOINT_MODE');
  });
});

describe('loadConfig: every problem at once', () => {
  it('lists each of several independent mistakes in the one result', () => {
    const problems = refuse({
      S3_ENDPOINT_MODE: 'regional',
      S3_REGION: 'aws-global',
      S3_USE_DUALSTACK: 'maybe',
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      PRESIGN_MAX_EXPIRES: '700000',
      HEALTH_TIMEOUT_MS: '5',
      S3_BUCKETS: '',
    });
    assertProblem(problems, 'S3_REGION', /aws-global/);
    assertProblem(problems, 'S3_USE_DUALSTACK');
    assertProblem(problems, 'PORT');
    assertProblem(problems, 'LOG_LEVEL');
    assertProblem(problems, 'PRESIGN_MAX_EXPIRES');
    assertProblem(problems, 'HEALTH_TIMEOUT_MS');
    assertProblem(problems, 'S3_BUCKETS');
    assert.ok(problems.length >= 7, `expected at least 7 problems, got ${problems.length}`);
  });

  it('lists every conflicting option of one mode together', () => {
    const problems = refuse({
      S3_ENDPOINT_MODE: 'accelerate',
      S3_REGION: 'us-east-1',
      S3_USE_FIPS: 'true',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ENDPOINT_URL: 'https://minio.internal',
      S3_VPCE_DNS_NAME: VPCE,
      S3_ALLOW_HTTP: 'true',
      S3_BUCKETS: 'my-bucket',
    });
    for (const variable of [
      'S3_USE_FIPS',
      'S3_FORCE_PATH_STYLE',
      'S3_ENDPOINT_URL',
      'S3_VPCE_DNS_NAME',
      'S3_ALLOW_HTTP',
    ]) {
      assertProblem(problems, variable);
    }
  });

  it('reports mode problems and value problems together (interface mode)', () => {
    const problems = refuse({
      S3_ENDPOINT_MODE: 'interface',
      S3_USE_DUALSTACK: 'true',
      PRESIGN_DEFAULT_EXPIRES: '0',
      PRESIGN_MAX_CLOCK_SKEW: 'soon',
      S3_BUCKETS: 'my-bucket',
    });
    assertProblem(problems, 'S3_REGION', /required/);
    assertProblem(problems, 'S3_VPCE_DNS_NAME', /required/);
    assertProblem(problems, 'S3_USE_DUALSTACK');
    assertProblem(problems, 'PRESIGN_DEFAULT_EXPIRES');
    assertProblem(problems, 'PRESIGN_MAX_CLOCK_SKEW');
  });

  it('formats the problems one per line', () => {
    const text = formatConfigProblems(['A: one', 'B: two']);
    assert.equal(text, 'Invalid configuration:\n  - A: one\n  - B: two');
  });
});

describe('loadConfig: a valid configuration for each mode', () => {
  it('regional', () => {
    const config = accept(regional({ S3_BUCKETS: ' my-bucket , other-bucket ,, ' }));
    assert.deepEqual(config.buckets, ['my-bucket', 'other-bucket']);
    assert.equal(config.mode.kind, 'regional');
    if (config.mode.kind !== 'regional') return;
    assert.equal(config.mode.region, 'eu-west-1');
    assert.equal(config.mode.partition.name, 'aws');
    assert.equal(config.mode.partition.dnsSuffix, 'amazonaws.com');
    assert.equal(config.mode.useFips, false);
    assert.equal(config.mode.useDualstack, false);
    assert.equal(config.mode.forcePathStyle, false);
    assert.equal(config.server.host, '0.0.0.0');
  });

  it('regional with FIPS, dual-stack and path-style (flag spellings true/1/yes, any case)', () => {
    const config = accept(
      regional({ S3_REGION: 'us-east-1', S3_USE_FIPS: 'TRUE', S3_USE_DUALSTACK: ' 1 ', S3_FORCE_PATH_STYLE: 'yes' }),
    );
    assert.equal(config.mode.kind, 'regional');
    if (config.mode.kind !== 'regional') return;
    assert.equal(config.mode.useFips, true);
    assert.equal(config.mode.useDualstack, true);
    assert.equal(config.mode.forcePathStyle, true);
  });

  it('regional with false flags spelled false/0/no', () => {
    const config = accept(regional({ S3_USE_FIPS: 'false', S3_USE_DUALSTACK: '0', S3_FORCE_PATH_STYLE: 'No' }));
    if (config.mode.kind !== 'regional') return assert.fail('regional expected');
    assert.equal(config.mode.useFips, false);
    assert.equal(config.mode.useDualstack, false);
    assert.equal(config.mode.forcePathStyle, false);
  });

  it('regional in China (aws-cn) with dual-stack', () => {
    const config = accept(regional({ S3_REGION: 'cn-north-1', S3_USE_DUALSTACK: 'true' }));
    if (config.mode.kind !== 'regional') return assert.fail('regional expected');
    assert.equal(config.mode.partition.name, 'aws-cn');
    assert.equal(config.mode.partition.dnsSuffix, 'amazonaws.com.cn');
  });

  it('regional in GovCloud with FIPS', () => {
    const config = accept(regional({ S3_REGION: 'us-gov-west-1', S3_USE_FIPS: 'true' }));
    if (config.mode.kind !== 'regional') return assert.fail('regional expected');
    assert.equal(config.mode.partition.name, 'aws-us-gov');
    assert.equal(config.mode.useFips, true);
  });

  it('regional with an access-point ARN of the pinned region in the allowlist', () => {
    const config = accept(regional({ S3_BUCKETS: 'my-bucket,arn:aws:s3:eu-west-1:123456789012:accesspoint/my-ap' }));
    assert.deepEqual(config.buckets, ['my-bucket', 'arn:aws:s3:eu-west-1:123456789012:accesspoint/my-ap']);
  });

  it('interface, with the VPC endpoint DNS name lowercased', () => {
    const config = accept(iface({ S3_VPCE_DNS_NAME: VPCE.toUpperCase() }));
    assert.equal(config.mode.kind, 'interface');
    if (config.mode.kind !== 'interface') return;
    assert.equal(config.mode.region, 'us-east-1');
    assert.equal(config.mode.vpceDnsName, VPCE);
    assert.equal(config.mode.forcePathStyle, false);
    assert.equal(config.mode.partition.name, 'aws');
  });

  it('interface with path-style', () => {
    const config = accept(iface({ S3_FORCE_PATH_STYLE: 'true' }));
    if (config.mode.kind !== 'interface') return assert.fail('interface expected');
    assert.equal(config.mode.forcePathStyle, true);
  });

  it('interface in China', () => {
    const config = accept(
      iface({ S3_REGION: 'cn-north-1', S3_VPCE_DNS_NAME: 'vpce-0abc123-def456.s3.cn-north-1.vpce.amazonaws.com.cn' }),
    );
    if (config.mode.kind !== 'interface') return assert.fail('interface expected');
    assert.equal(config.mode.partition.name, 'aws-cn');
  });

  it('accelerate, plain and dual-stack', () => {
    const plain = accept(accelerate());
    if (plain.mode.kind !== 'accelerate') return assert.fail('accelerate expected');
    assert.equal(plain.mode.useDualstack, false);
    assert.equal(plain.mode.region, 'us-east-1');
    const dual = accept(accelerate({ S3_USE_DUALSTACK: 'true' }));
    if (dual.mode.kind !== 'accelerate') return assert.fail('accelerate expected');
    assert.equal(dual.mode.useDualstack, true);
  });

  it('custom with https, region defaulting to us-east-1', () => {
    const config = accept(custom());
    if (config.mode.kind !== 'custom') return assert.fail('custom expected');
    assert.equal(config.mode.endpoint.href, 'https://minio.internal:9000/');
    assert.equal(config.mode.region, 'us-east-1');
    assert.equal(config.mode.forcePathStyle, false);
  });

  it('custom with any signing region label (R2 "auto") and path-style', () => {
    const config = accept(
      custom({ S3_ENDPOINT_URL: 'https://abc.r2.cloudflarestorage.com', S3_REGION: 'auto', S3_FORCE_PATH_STYLE: '1' }),
    );
    if (config.mode.kind !== 'custom') return assert.fail('custom expected');
    assert.equal(config.mode.region, 'auto');
    assert.equal(config.mode.forcePathStyle, true);
  });

  it('custom with http when S3_ALLOW_HTTP=true', () => {
    const config = accept(custom({ S3_ENDPOINT_URL: 'http://minio.internal:9000', S3_ALLOW_HTTP: 'true' }));
    if (config.mode.kind !== 'custom') return assert.fail('custom expected');
    assert.equal(config.mode.endpoint.protocol, 'http:');
  });

  it('local, explicitly chosen, with its own signing region', () => {
    const config = accept({ S3_ENDPOINT_MODE: 'local', S3_REGION: 'eu-central-1', S3_BUCKETS: 'dev' });
    if (config.mode.kind !== 'local') return assert.fail('local expected');
    assert.equal(config.mode.region, 'eu-central-1');
    assert.equal(config.server.host, '127.0.0.1');
  });

  it('reads the numeric and text settings', () => {
    const config = accept(
      regional({
        PRESIGN_DEFAULT_EXPIRES: '600',
        PRESIGN_MAX_EXPIRES: '7200',
        PRESIGN_MAX_CLOCK_SKEW: '60',
        PORT: '3000',
        HOST: '::',
        LOG_LEVEL: 'debug',
        REQUEST_BODY_LIMIT: '2048',
        HEALTH_TIMEOUT_MS: '1500',
        HEALTH_CACHE_TTL_MS: '0',
        HEALTH_PROBE_KEY: 'probe/key',
      }),
    );
    assert.deepEqual(config.presign, {
      defaultExpiresSeconds: 600,
      maxExpiresSeconds: 7200,
      maxClockSkewSeconds: 60,
      engine: 'fast',
    });
    assert.deepEqual(config.server, {
      host: '::',
      port: 3000,
      logLevel: 'debug',
      bodyLimitBytes: 2048,
      trustProxy: false,
      shutdownDrainMs: 0,
      publicBaseUrl: undefined,
    });
    assert.deepEqual(config.health, { timeoutMs: 1500, cacheTtlMs: 0, probeKey: 'probe/key' });
  });

  it('raises the default maximum expiry to a default expiry above 3600', () => {
    const config = accept(regional({ PRESIGN_DEFAULT_EXPIRES: '7200' }));
    assert.equal(config.presign.defaultExpiresSeconds, 7200);
    assert.equal(config.presign.maxExpiresSeconds, 7200);
  });

  it('lowers the implicit default expiry to a PRESIGN_MAX_EXPIRES below it', () => {
    // The operator set only the maximum; the 900 s default they never wrote must follow it,
    // just as the implicit 3600 s maximum rises to a larger explicit default.
    const config = accept(regional({ PRESIGN_MAX_EXPIRES: '600' }));
    assert.equal(config.presign.maxExpiresSeconds, 600);
    assert.ok(
      config.presign.defaultExpiresSeconds >= 1 && config.presign.defaultExpiresSeconds <= 600,
      `default ${config.presign.defaultExpiresSeconds} within the maximum`,
    );
  });

  it('accepts the SigV4 maximum of 604800 seconds', () => {
    const config = accept(regional({ PRESIGN_MAX_EXPIRES: String(SIGV4_MAX_EXPIRES_SECONDS) }));
    assert.equal(config.presign.maxExpiresSeconds, 604_800);
  });

  it('does not require an allowlist or callers for the CLI', () => {
    const config = accept(
      { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1' },
      { requireBuckets: false, requireCallers: false },
    );
    assert.deepEqual(config.buckets, []);
  });
});

describe('loadConfig: region refusals', () => {
  for (const region of ['aws-global', 's3-external-1']) {
    it(`refuses region ${region} in regional mode`, () => {
      assertProblem(refuse(regional({ S3_REGION: region })), 'S3_REGION', new RegExp(region));
    });
    it(`refuses region ${region} in custom mode too (it would still name the global endpoint)`, () => {
      assertProblem(refuse(custom({ S3_REGION: region })), 'S3_REGION');
    });
    it(`refuses region ${region} in local mode`, () => {
      assertProblem(refuse({ S3_ENDPOINT_MODE: 'local', S3_REGION: region }), 'S3_REGION');
    });
  }

  for (const [name, env] of [
    ['regional', regional({ S3_REGION: undefined })],
    ['interface', iface({ S3_REGION: undefined })],
    ['accelerate', accelerate({ S3_REGION: undefined })],
  ] as const) {
    it(`requires S3_REGION in ${name} mode`, () => {
      assertProblem(refuse(env), 'S3_REGION', /required/);
    });
  }

  for (const region of ['mars-north-1', 'fips-us-east-1', 'us-east', 'US-EAST-1', 'us_east_1', 'eu-west-1a']) {
    it(`refuses the unknown region "${region}" in regional mode`, () => {
      assertProblem(refuse(regional({ S3_REGION: region })), 'S3_REGION');
    });
  }

  it('trims whitespace around the region', () => {
    const config = accept(regional({ S3_REGION: ' eu-west-1 ' }));
    assert.equal(config.mode.kind === 'regional' && config.mode.region, 'eu-west-1');
  });

  it('refuses FIPS in cn-north-1 (the China partition has no FIPS endpoints)', () => {
    assertProblem(refuse(regional({ S3_REGION: 'cn-north-1', S3_USE_FIPS: 'true' })), 'S3_USE_FIPS', /aws-cn/);
  });
});

describe('loadConfig: refused combinations', () => {
  it('refuses FIPS with a custom endpoint', () => {
    assertProblem(refuse(custom({ S3_USE_FIPS: 'true' })), 'S3_USE_FIPS');
  });

  it('refuses dual-stack with a custom endpoint', () => {
    assertProblem(refuse(custom({ S3_USE_DUALSTACK: 'true' })), 'S3_USE_DUALSTACK');
  });

  it('refuses accelerate with path-style', () => {
    assertProblem(refuse(accelerate({ S3_FORCE_PATH_STYLE: 'true' })), 'S3_FORCE_PATH_STYLE');
  });

  it('refuses accelerate with FIPS', () => {
    assertProblem(refuse(accelerate({ S3_USE_FIPS: 'true' })), 'S3_USE_FIPS');
  });

  it('refuses accelerate in China and in GovCloud', () => {
    assertProblem(refuse(accelerate({ S3_REGION: 'cn-north-1' })), 'S3_REGION', /aws-cn/);
    assertProblem(refuse(accelerate({ S3_REGION: 'us-gov-west-1' })), 'S3_REGION', /aws-us-gov/);
  });

  it('refuses interface with dual-stack', () => {
    assertProblem(refuse(iface({ S3_USE_DUALSTACK: 'true' })), 'S3_USE_DUALSTACK');
  });

  it('refuses interface with FIPS', () => {
    assertProblem(refuse(iface({ S3_USE_FIPS: 'true' })), 'S3_USE_FIPS');
  });

  it('refuses interface without S3_VPCE_DNS_NAME', () => {
    assertProblem(refuse(iface({ S3_VPCE_DNS_NAME: undefined })), 'S3_VPCE_DNS_NAME', /required/);
  });

  it('interface: the console wildcard form *.vpce-… is normalised to the regional name', () => {
    for (const name of [`*.${VPCE}`, `*.${VPCE.toUpperCase()}`, ` *.${VPCE} `]) {
      const config = accept(iface({ S3_VPCE_DNS_NAME: name }));
      if (config.mode.kind !== 'interface') return assert.fail('interface expected');
      assert.equal(config.mode.vpceDnsName, VPCE);
    }
  });

  for (const name of [
    `*.*.${VPCE}`,
    `*${VPCE}`,
    `*.bucket.${VPCE}`,
    `bucket.${VPCE}`,
    `accesspoint.${VPCE}`,
    'vpce-1a2b3c4d-5e6f.s3.us-east-1.amazonaws.com',
    `https://${VPCE}`,
    's3.us-east-1.amazonaws.com',
  ]) {
    it(`refuses an interface endpoint name that is not the regional DNS name: ${name}`, () => {
      assertProblem(refuse(iface({ S3_VPCE_DNS_NAME: name })), 'S3_VPCE_DNS_NAME');
    });
  }

  it('refuses an interface endpoint whose DNS name is in another region than S3_REGION', () => {
    const problems = refuse(
      iface({ S3_REGION: 'us-east-1', S3_VPCE_DNS_NAME: 'vpce-1a2b3c4d-5e6f.s3.eu-west-1.vpce.amazonaws.com' }),
    );
    assertProblem(problems, 'S3_VPCE_DNS_NAME', /eu-west-1/);
    assertProblem(problems, 'S3_VPCE_DNS_NAME', /us-east-1/);
  });

  it('refuses options that belong to another mode', () => {
    assertProblem(refuse(regional({ S3_ENDPOINT_URL: 'https://minio.internal' })), 'S3_ENDPOINT_URL');
    assertProblem(refuse(regional({ S3_ALLOW_HTTP: 'true' })), 'S3_ALLOW_HTTP');
    assertProblem(refuse(regional({ S3_VPCE_DNS_NAME: VPCE })), 'S3_VPCE_DNS_NAME');
    assertProblem(refuse(iface({ S3_ENDPOINT_URL: 'https://minio.internal' })), 'S3_ENDPOINT_URL');
    assertProblem(refuse(custom({ S3_VPCE_DNS_NAME: VPCE })), 'S3_VPCE_DNS_NAME');
    assertProblem(refuse({ S3_ENDPOINT_MODE: 'local', S3_ENDPOINT_URL: 'http://127.0.0.1:9000' }), 'S3_ENDPOINT_URL');
    assertProblem(refuse({ S3_ENDPOINT_MODE: 'local', S3_USE_FIPS: 'true' }), 'S3_USE_FIPS');
    assertProblem(refuse({ S3_ENDPOINT_MODE: 'local', S3_USE_DUALSTACK: 'true' }), 'S3_USE_DUALSTACK');
  });
});

describe('loadConfig: custom endpoint URL refusals', () => {
  it('requires S3_ENDPOINT_URL in custom mode', () => {
    assertProblem(refuse(custom({ S3_ENDPOINT_URL: undefined })), 'S3_ENDPOINT_URL', /required/);
  });

  it('refuses http without S3_ALLOW_HTTP', () => {
    assertProblem(
      refuse(custom({ S3_ENDPOINT_URL: 'http://minio.internal:9000' })),
      'S3_ENDPOINT_URL',
      /S3_ALLOW_HTTP/,
    );
    assertProblem(
      refuse(custom({ S3_ENDPOINT_URL: 'http://minio.internal:9000', S3_ALLOW_HTTP: 'false' })),
      'S3_ENDPOINT_URL',
    );
  });

  for (const url of [
    'https://admin:s3cr3t-pw@minio internal:9000',
    'https://admin:s3cr3t-pw@minio.internal:port',
    'https://admin:s3cr3t/pw@minio.internal:9000',
    'https://admin:s3cr3t-pw@[::1',
    'https://minio internal:9000/?X-Amz-Signature=s3cr3t-pw',
  ]) {
    it(`an unparseable endpoint is refused without echoing its credentials: ${url}`, () => {
      const problems = refuse(custom({ S3_ENDPOINT_URL: url }));
      assertProblem(problems, 'S3_ENDPOINT_URL', /is not a valid URL/);
      assert.doesNotMatch(problems.join('\n'), /s3cr3t/);
    });
  }

  it('an unparseable endpoint without credentials is quoted, to help the operator', () => {
    assertProblem(
      refuse(custom({ S3_ENDPOINT_URL: 'https://minio internal:9000' })),
      'S3_ENDPOINT_URL',
      /"https:\/\/minio internal:9000" is not a valid URL/,
    );
  });

  for (const url of [
    'https://minio.internal:9000/?region=x',
    'https://minio.internal:9000/?',
    'https://minio.internal:9000/#frag',
  ]) {
    it(`refuses an endpoint with a query or fragment: ${url}`, () => {
      assertProblem(refuse(custom({ S3_ENDPOINT_URL: url })), 'S3_ENDPOINT_URL', /query or fragment/);
    });
  }

  for (const url of ['https://user:pass@minio.internal:9000', 'https://user@minio.internal:9000']) {
    it(`refuses an endpoint with credentials: ${url}`, () => {
      assertProblem(refuse(custom({ S3_ENDPOINT_URL: url })), 'S3_ENDPOINT_URL', /credentials/);
    });
  }

  for (const url of ['ftp://minio.internal', 'file:///srv/s3', 'ws://minio.internal:9000']) {
    it(`refuses a non-http(s) scheme: ${url}`, () => {
      assertProblem(refuse(custom({ S3_ENDPOINT_URL: url, S3_ALLOW_HTTP: 'true' })), 'S3_ENDPOINT_URL', /scheme/);
    });
  }

  it('refuses something that is not a URL', () => {
    assertProblem(refuse(custom({ S3_ENDPOINT_URL: 'minio.internal:9000 ' + 'x y' })), 'S3_ENDPOINT_URL');
    assertProblem(refuse(custom({ S3_ENDPOINT_URL: 'not a url' })), 'S3_ENDPOINT_URL');
  });

  for (const url of [
    'https://s3.amazonaws.com',
    'https://S3.AMAZONAWS.COM/',
    'https://s3.amazonaws.com:443',
    'https://s3-external-1.amazonaws.com',
    'https://my-bucket.s3.amazonaws.com',
  ]) {
    it(`refuses the legacy global endpoint as a custom endpoint: ${url}`, () => {
      assertProblem(refuse(custom({ S3_ENDPOINT_URL: url })), 'S3_ENDPOINT_URL', /legacy global/);
    });
  }

  it('refuses the legacy global endpoint written as a fully qualified name with a trailing dot', () => {
    // "s3.amazonaws.com." resolves to the same global endpoint as "s3.amazonaws.com".
    assertProblem(refuse(custom({ S3_ENDPOINT_URL: 'https://s3.amazonaws.com.' })), 'S3_ENDPOINT_URL');
  });
});

describe('loadConfig: values', () => {
  for (const [variable, value] of [
    ['S3_USE_FIPS', 'maybe'],
    ['S3_USE_DUALSTACK', 'on'],
    ['S3_FORCE_PATH_STYLE', 'y'],
    ['S3_ALLOW_HTTP', '2'],
  ] as const) {
    it(`refuses the boolean ${variable}=${value}`, () => {
      const problems = refuse(custom({ [variable]: value }));
      assertProblem(problems, variable, /true or false/);
    });
  }

  for (const [variable, value] of [
    ['PORT', 'eighty'],
    ['PORT', '80.5'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '0x50'],
    ['PRESIGN_DEFAULT_EXPIRES', '0'],
    ['PRESIGN_MAX_EXPIRES', '604801'],
    ['PRESIGN_MAX_EXPIRES', '1e3'],
    ['PRESIGN_MAX_CLOCK_SKEW', '3601'],
    ['REQUEST_BODY_LIMIT', '10'],
    ['HEALTH_CACHE_TTL_MS', 'forever'],
    ['LOCAL_S3_PORT', '99999'],
  ] as const) {
    it(`refuses the integer ${variable}=${value}`, () => {
      assertProblem(refuse(regional({ [variable]: value })), variable);
    });
  }

  it('refuses an unknown LOG_LEVEL', () => {
    assertProblem(refuse(regional({ LOG_LEVEL: 'verbose' })), 'LOG_LEVEL');
  });

  it('reads PRESIGN_ENGINE (fast by default) and refuses anything but fast or sdk', () => {
    assert.equal(accept(regional({})).presign.engine, 'fast');
    assert.equal(accept(regional({ PRESIGN_ENGINE: 'sdk' })).presign.engine, 'sdk');
    assert.equal(accept(regional({ PRESIGN_ENGINE: 'fast' })).presign.engine, 'fast');
    assertProblem(refuse(regional({ PRESIGN_ENGINE: 'turbo' })), 'PRESIGN_ENGINE');
  });

  it("S3_STORE_CHECKSUMS: what the store verifies, by default each mode's store's own, else all, none or a list", () => {
    const all = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256', 'md5', 'sha512', 'xxhash64', 'xxhash3', 'xxhash128'];
    assert.deepEqual(accept(regional()).store, { verifiedChecksums: all, probeFile: undefined });
    assert.deepEqual(accept(iface()).store.verifiedChecksums, all);
    assert.deepEqual(accept(accelerate()).store.verifiedChecksums, all);
    assert.deepEqual(accept({}).store.verifiedChecksums, all, 'the embedded store verifies all ten');
    assert.deepEqual(accept(custom()).store.verifiedChecksums, [], 'a custom store is not trusted to verify any');
    assert.deepEqual(accept(custom({ S3_STORE_CHECKSUMS: 'all' })).store.verifiedChecksums, all);
    assert.deepEqual(accept(regional({ S3_STORE_CHECKSUMS: ' None ' })).store.verifiedChecksums, []);
    assert.deepEqual(
      accept(custom({ S3_STORE_CHECKSUMS: 'XXHASH3, SHA256, crc32,,crc32' })).store.verifiedChecksums,
      ['crc32', 'sha256', 'xxhash3'],
      'in the canonical order, each once',
    );
    for (const value of ['md4', 'sha256,md4', 'all,none', ',', 'sha-256', 'xxh3']) {
      assertProblem(refuse(custom({ S3_STORE_CHECKSUMS: value })), 'S3_STORE_CHECKSUMS', /all, none, or a comma/);
    }
    assert.equal(
      accept(custom({ S3_STORE_PROBE_FILE: '/var/lib/s3-presign/probe.json' })).store.probeFile,
      '/var/lib/s3-presign/probe.json',
    );
  });

  it('refuses a default expiry above the maximum', () => {
    const problems = refuse(regional({ PRESIGN_DEFAULT_EXPIRES: '7200', PRESIGN_MAX_EXPIRES: '3600' }));
    assertProblem(problems, 'PRESIGN_DEFAULT_EXPIRES', /3600/);
  });

  it('refuses an empty allowlist in the service', () => {
    assertProblem(refuse(regional({ S3_BUCKETS: undefined })), 'S3_BUCKETS', /required/);
    assertProblem(refuse(regional({ S3_BUCKETS: ' , ' })), 'S3_BUCKETS', /required/);
  });
});

describe('loadConfig: buckets the mode cannot address', () => {
  it('refuses a dotted bucket in accelerate mode', () => {
    const problems = refuse(accelerate({ S3_BUCKETS: 'my-bucket,my.dotted.bucket' }));
    assertProblem(problems, 'S3_BUCKETS', /my\.dotted\.bucket/);
    assert.equal(problems.filter((p) => p.includes('"my-bucket"')).length, 0, 'the good bucket is not reported');
  });

  it('refuses an uppercase or short bucket in accelerate mode', () => {
    assertProblem(refuse(accelerate({ S3_BUCKETS: 'MyBucket' })), 'S3_BUCKETS');
    assertProblem(refuse(accelerate({ S3_BUCKETS: 'ab' })), 'S3_BUCKETS');
  });

  it('refuses an access-point ARN from another region', () => {
    assertProblem(
      refuse(regional({ S3_BUCKETS: 'my-bucket,arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap' })),
      'S3_BUCKETS',
      /us-west-2/,
    );
  });

  it('refuses an access-point ARN from another partition', () => {
    assertProblem(
      refuse(regional({ S3_BUCKETS: 'arn:aws-cn:s3:eu-west-1:123456789012:accesspoint/my-ap' })),
      'S3_BUCKETS',
      /aws-cn/,
    );
  });

  it('refuses an access-point ARN in accelerate and local modes', () => {
    assertProblem(
      refuse(accelerate({ S3_BUCKETS: 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap' })),
      'S3_BUCKETS',
    );
    assertProblem(
      refuse({ S3_ENDPOINT_MODE: 'local', S3_BUCKETS: 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap' }),
      'S3_BUCKETS',
    );
  });

  it('refuses an access-point ARN with path-style', () => {
    assertProblem(
      refuse(
        regional({ S3_FORCE_PATH_STYLE: 'true', S3_BUCKETS: 'arn:aws:s3:eu-west-1:123456789012:accesspoint/my-ap' }),
      ),
      'S3_BUCKETS',
    );
  });

  it('refuses names outside S3 bucket syntax, each listed', () => {
    const problems = refuse(regional({ S3_BUCKETS: 'good-bucket,bad bucket!,arn:aws:sqs:eu-west-1:123456789012:q' }));
    assertProblem(problems, 'S3_BUCKETS', /bad bucket!/);
    assertProblem(problems, 'S3_BUCKETS', /sqs/);
    assert.deepEqual(
      problems.filter((p) => p.includes('good-bucket')),
      [],
      'the valid bucket is not reported',
    );
  });
});

it('loadConfig: the service needs AUTH_CLIENTS_FILE outside local mode', () => {
  const regional = { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_BUCKETS: 'b-1' };
  assert.ok(refuse(regional, {}).some((problem) => problem.startsWith('AUTH_CLIENTS_FILE: required')));
  assert.equal(
    accept({ ...regional, AUTH_CLIENTS_FILE: '/etc/s3-presign/clients.yaml' }, {}).auth.clientsFile,
    '/etc/s3-presign/clients.yaml',
  );
  assert.equal(accept({}, {}).mode.kind, 'local', 'local mode makes a development key instead');
});

describe('loadConfig: the shared rate-limit store (RATE_LIMIT_REDIS_*)', () => {
  it('counts in the process without RATE_LIMIT_REDIS_URL', () => {
    assert.deepEqual(accept({}).rateLimit, { max: 600, windowSeconds: 60, redis: undefined });
  });

  it('takes redis:// and rediss:// with defaults: 100 ms, count locally on failure, a namespaced prefix', () => {
    for (const url of ['redis://redis:6379', 'rediss://:token@master.cache.amazonaws.com:6379/2', 'redis://[::1]']) {
      assert.deepEqual(accept({ RATE_LIMIT_REDIS_URL: url }).rateLimit.redis, {
        url,
        passwordFile: undefined,
        timeoutMs: 100,
        failure: 'local',
        keyPrefix: 's3-presign:rate-limit:',
      });
    }
    const config = accept({
      RATE_LIMIT_REDIS_URL: 'rediss://redis.internal:6380',
      RATE_LIMIT_REDIS_PASSWORD_FILE: '/etc/s3-presign/redis/password',
      RATE_LIMIT_REDIS_TIMEOUT_MS: '250',
      RATE_LIMIT_REDIS_FAILURE: 'closed',
      RATE_LIMIT_REDIS_KEY_PREFIX: 'team-a:{s3p}:',
    });
    assert.deepEqual(config.rateLimit.redis, {
      url: 'rediss://redis.internal:6380',
      passwordFile: '/etc/s3-presign/redis/password',
      timeoutMs: 250,
      failure: 'closed',
      keyPrefix: 'team-a:{s3p}:',
    });
  });

  it('lists every problem at once, and never echoes a password', () => {
    const problems = refuse({
      RATE_LIMIT_REDIS_URL: 'http://user:hunter2@redis:6379/99?tls=true',
      RATE_LIMIT_REDIS_TIMEOUT_MS: '0',
      RATE_LIMIT_REDIS_FAILURE: 'maybe',
      RATE_LIMIT_REDIS_KEY_PREFIX: 'has space',
    });
    assertProblem(problems, 'RATE_LIMIT_REDIS_URL', /redis:\/\/ or rediss:\/\//);
    assertProblem(problems, 'RATE_LIMIT_REDIS_URL', /database number 0-15/);
    assertProblem(problems, 'RATE_LIMIT_REDIS_URL', /query or fragment/);
    assertProblem(problems, 'RATE_LIMIT_REDIS_TIMEOUT_MS');
    assertProblem(problems, 'RATE_LIMIT_REDIS_FAILURE', /local, open, closed/);
    assertProblem(problems, 'RATE_LIMIT_REDIS_KEY_PREFIX');
    assert.ok(!problems.join('\n').includes('hunter2'), problems.join('\n'));
    const unparseable = refuse({ RATE_LIMIT_REDIS_URL: 'redis://:hunter2@' });
    assert.ok(!unparseable.join('\n').includes('hunter2'), unparseable.join('\n'));
  });

  it('never echoes a password given in the query, or any part of the query', () => {
    for (const url of [
      'redis://redis.internal:6379/0?password=hunter2',
      'rediss://redis.internal?user=a&password=hunter2#x',
      'redis://:%%bad@redis?password=hunter2',
      'redis://redis.internal#password=hunter2',
    ]) {
      const problems = refuse({ RATE_LIMIT_REDIS_URL: url });
      assertProblem(problems, 'RATE_LIMIT_REDIS_URL', /query or fragment|not a valid URL/);
      assert.ok(!problems.join('\n').includes('hunter2'), problems.join('\n'));
    }
    assert.deepEqual(refuse({ RATE_LIMIT_REDIS_URL: 'redis://redis.internal:6379/0?password=hunter2' }), [
      'RATE_LIMIT_REDIS_URL: must not have a query or fragment (the service sets the connection options itself) (got "redis://redis.internal:6379/0?… (not shown)")',
    ]);
  });

  it('refuses a password in two places, and Redis settings without a URL', () => {
    assertProblem(
      refuse({ RATE_LIMIT_REDIS_URL: 'redis://:secret@redis', RATE_LIMIT_REDIS_PASSWORD_FILE: '/run/secrets/redis' }),
      'RATE_LIMIT_REDIS_PASSWORD_FILE',
      /one place/,
    );
    const orphans = refuse({ RATE_LIMIT_REDIS_TIMEOUT_MS: '50', RATE_LIMIT_REDIS_FAILURE: 'open' });
    assertProblem(orphans, 'RATE_LIMIT_REDIS_TIMEOUT_MS', /only applies with RATE_LIMIT_REDIS_URL/);
    assertProblem(orphans, 'RATE_LIMIT_REDIS_FAILURE', /only applies with RATE_LIMIT_REDIS_URL/);
  });
});

describe('loadConfig: secrets in refused values', () => {
  it('never quotes UPLOAD_TOKEN_SECRET', () => {
    const problems = refuse({ UPLOAD_TOKEN_SECRET: 'too-short-but-secret' });
    assert.deepEqual(problems, [
      'UPLOAD_TOKEN_SECRET: must be at least 32 characters (e.g. openssl rand -base64 32) (got a value, not shown: it is a secret)',
    ]);
  });
});

describe('loadConfig: PUBLIC_BASE_URL', () => {
  it('is unset by default, and an http(s) URL with a path kept and trailing slashes dropped', () => {
    assert.equal(accept({}).server.publicBaseUrl, undefined);
    assert.equal(
      accept({ PUBLIC_BASE_URL: 'https://uploads.example.com' }).server.publicBaseUrl,
      'https://uploads.example.com',
    );
    assert.equal(
      accept({ PUBLIC_BASE_URL: ' https://example.com:8443/s3-presign// ' }).server.publicBaseUrl,
      'https://example.com:8443/s3-presign',
    );
    assert.equal(accept({ PUBLIC_BASE_URL: 'http://127.0.0.1:8080/' }).server.publicBaseUrl, 'http://127.0.0.1:8080');
  });

  it('refuses other schemes, credentials, a query or a fragment, without echoing them', () => {
    const cases: Array<[string, RegExp]> = [
      ['javascript:alert(1)', /scheme must be https or http, got "javascript:"/],
      ['ftp://files.example.com', /scheme must be https or http/],
      ['uploads.example.com', /not a valid URL/],
      ['https://', /not a valid URL/],
      ['https://exa mple.com', /not a valid URL/],
      ['https://user:hunter2@uploads.example.com', /must not contain credentials/],
      ['https://uploads.example.com/?token=hunter2', /query or fragment/],
      ['https://uploads.example.com/#hunter2', /query or fragment/],
    ];
    for (const [value, pattern] of cases) {
      const problems = refuse({ PUBLIC_BASE_URL: value });
      assertProblem(problems, 'PUBLIC_BASE_URL', pattern);
      assert.ok(!problems.join('\n').includes('hunter2'), problems.join('\n'));
    }
  });
});

describe('loadConfig: traces (OTEL_*)', () => {
  it('are off unless an exporter or an OTLP endpoint is asked for, and OTEL_SDK_DISABLED wins', () => {
    assert.equal(accept({}).tracing, undefined);
    assert.equal(accept({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing, undefined);
    assert.equal(
      accept({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).tracing,
      undefined,
    );
    assert.equal(accept({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }).tracing, undefined);
    assert.deepEqual(accept({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing, {
      url: 'http://localhost:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: undefined,
    });
    assert.deepEqual(
      accept({ OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c.example:4318/otlp/' }).tracing,
      {
        url: 'https://c.example:4318/otlp/v1/traces',
        protocol: 'http/protobuf',
        serviceName: undefined,
      },
    );
    // The signal's own endpoint and protocol as given, over the general ones.
    assert.deepEqual(
      accept({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'HTTP/JSON',
        OTEL_TRACES_EXPORTER: 'none, otlp',
        OTEL_SERVICE_NAME: 'uploads',
      }).tracing,
      { url: 'http://traces:4318/custom', protocol: 'http/json', serviceName: 'uploads' },
    );
  });

  it('refuses an exporter, a protocol or an endpoint it cannot use, by name, without echoing credentials', () => {
    const cases: Array<[Env, string, RegExp]> = [
      [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER', /"zipkin" is not supported: otlp, none/],
      [{ OTEL_TRACES_EXPORTER: 'otlp,console' }, 'OTEL_TRACES_EXPORTER', /"console" is not supported/],
      [
        { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
        'OTEL_EXPORTER_OTLP_PROTOCOL',
        /grpc is not supported: use http\/protobuf/,
      ],
      [
        { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' },
        'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
        /must be http\/protobuf or http\/json/,
      ],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        /scheme must be http or https/,
      ],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', /not a valid URL/],
      [
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://c:4317' },
        'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
        /scheme must be http or https/,
      ],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:hunter2@c.example' },
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        /must not contain credentials \(send them with OTEL_EXPORTER_OTLP_HEADERS\)/,
      ],
      [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED', /must be true or false/],
    ];
    for (const [env, name, pattern] of cases) {
      const problems = refuse(env);
      assertProblem(problems, name, pattern);
      assert.ok(!problems.join('\n').includes('hunter2'), problems.join('\n'));
    }
  });

  it('refuses OTLP headers the SDK would drop or cut without a word, naming the entry and never its value', () => {
    // What the SDK reads (W3C baggage form: name=value, comma-separated, percent-encoded).
    assert.doesNotThrow(() =>
      accept({
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20hunter2, x-scope-orgid=tenant-1,',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'api-key=hunter2%3Bpart',
      }),
    );
    const cases: Array<[string, RegExp]> = [
      ['authorization: Bearer hunter2', /entry 1 has no "=": write name=value/],
      ['x-a=1,=hunter2', /entry 2 has no name before "="/],
      ['authorization=', /entry 1 \("authorization"\) has no value/],
      ['authorization=Bearer %ZZhunter2', /entry 1 \("authorization"\) is not valid percent-encoding/],
      [
        'authorization=Bearer hunter2;x',
        /entry 1 \("authorization"\) holds ";", where the SDK cuts the value: write it %3B/,
      ],
      [
        'authorization=Bearer%0D%0Ahunter2',
        /entry 1 \("authorization"\) holds a control character, which no HTTP header can carry/,
      ],
      ['bad name=hunter2', /entry 1 is not an HTTP header name/],
    ];
    for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
      for (const [value, pattern] of cases) {
        const problems = refuse({ [name]: value });
        assertProblem(problems, name, pattern);
        assert.ok(!problems.join('\n').includes('hunter2'), problems.join('\n'));
      }
    }
  });
});

describe('loadConfig: server-side encryption (S3_SSE*)', () => {
  const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const MRK = 'arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab';
  const buckets = { S3_BUCKETS: 'my-bucket,archive-bucket,plain-bucket' };

  it('sends no encryption headers unless configured', () => {
    const { encryption } = accept(regional());
    assert.equal(encryption.default, undefined);
    assert.equal(encryption.perBucket.size, 0);
    assert.equal(encryptionFor(encryption, 'my-bucket'), undefined);
  });

  it('takes each algorithm S3 offers, with a key ARN (single- or multi-Region) and Bucket Keys for aws:kms', () => {
    assert.deepEqual(accept(regional({ S3_SSE: 'AES256' })).encryption.default, {
      algorithm: 'AES256',
      kmsKeyId: undefined,
      bucketKey: undefined,
    });
    assert.deepEqual(
      accept(regional({ S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: KEY, S3_SSE_BUCKET_KEY: 'true' })).encryption.default,
      { algorithm: 'aws:kms', kmsKeyId: KEY, bucketKey: true },
    );
    assert.equal(
      accept(regional({ S3_SSE: 'aws:kms', S3_SSE_BUCKET_KEY: 'false' })).encryption.default?.bucketKey,
      false,
    );
    assert.equal(
      accept(regional({ S3_SSE: 'aws:kms:dsse', S3_SSE_KMS_KEY_ID: MRK })).encryption.default?.kmsKeyId,
      MRK,
    );
    // Without a key S3 uses the account's aws/s3 key.
    assert.equal(accept(regional({ S3_SSE: 'aws:kms' })).encryption.default?.kmsKeyId, undefined);
    const gov = 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    accept(regional({ S3_REGION: 'us-gov-west-1', S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: gov }));
  });

  it('refuses what S3 refuses, each with its reason', () => {
    assertProblem(refuse(regional({ S3_SSE: 'aes256' })), 'S3_SSE', /AES256, aws:kms, aws:kms:dsse/);
    assertProblem(refuse(regional({ S3_SSE: 'aws:kms:dsse-2' })), 'S3_SSE');
    assertProblem(refuse(regional({ S3_SSE_KMS_KEY_ID: KEY })), 'S3_SSE_KMS_KEY_ID', /only applies with S3_SSE/);
    assertProblem(refuse(regional({ S3_SSE_BUCKET_KEY: 'true' })), 'S3_SSE_BUCKET_KEY', /only applies with S3_SSE/);
    assertProblem(
      refuse(regional({ S3_SSE: 'AES256', S3_SSE_KMS_KEY_ID: KEY })),
      'S3_SSE_KMS_KEY_ID',
      /only with aws:kms or aws:kms:dsse; S3 refuses a key id with AES256/,
    );
    assertProblem(
      refuse(regional({ S3_SSE: 'AES256', S3_SSE_BUCKET_KEY: 'false' })),
      'S3_SSE_BUCKET_KEY',
      /AES256 uses no KMS key/,
    );
    assertProblem(
      refuse(regional({ S3_SSE: 'aws:kms:dsse', S3_SSE_KMS_KEY_ID: KEY, S3_SSE_BUCKET_KEY: 'true' })),
      'S3_SSE_BUCKET_KEY',
      /not supported for dual-layer encryption/,
    );
    assertProblem(refuse(regional({ S3_SSE: 'aws:kms', S3_SSE_BUCKET_KEY: 'maybe' })), 'S3_SSE_BUCKET_KEY');
  });

  it('takes a key ARN of the pinned partition and region only: not an alias, not a bare key id', () => {
    for (const [keyId, pattern] of [
      ['arn:aws:kms:eu-west-1:123456789012:alias/uploads', /is an alias: give the key ARN/],
      ['alias/uploads', /is an alias/],
      ['1234abcd-12ab-34cd-56ef-1234567890ab', /not a KMS key ARN/],
      ['arn:aws:kms:eu-west-1:123456789012:key/not-a-key-id', /not a KMS key ARN/],
      ['arn:aws:kms:eu-west-1:1234:key/1234abcd-12ab-34cd-56ef-1234567890ab', /not a KMS key ARN/],
      [KEY.replace('eu-west-1', 'us-east-1'), /region us-east-1, the buckets are in eu-west-1/],
      [KEY.replace('arn:aws:', 'arn:aws-cn:'), /partition aws-cn, the buckets are in aws/],
    ] as const) {
      assertProblem(refuse(regional({ S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: keyId })), 'S3_SSE_KMS_KEY_ID', pattern);
    }
    // Interface and accelerate modes hold keys to their region the same way.
    assertProblem(
      refuse(iface({ S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: KEY })),
      'S3_SSE_KMS_KEY_ID',
      /region eu-west-1, the buckets are in us-east-1/,
    );
  });

  it("custom mode takes the store's own key names; local mode holds keys to its region like AWS", () => {
    assert.equal(
      accept(custom({ S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: 'minio-uploads-key' })).encryption.default?.kmsKeyId,
      'minio-uploads-key',
    );
    assertProblem(
      refuse(custom({ S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: 'has space' })),
      'S3_SSE_KMS_KEY_ID',
      /not a key name/,
    );
    const localKey = KEY.replace('eu-west-1', 'us-east-1');
    assert.equal(accept({ S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: localKey }).encryption.default?.kmsKeyId, localKey);
    assertProblem(refuse({ S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: KEY }), 'S3_SSE_KMS_KEY_ID', /region eu-west-1/);
  });

  it('S3_SSE_BUCKETS: per-bucket settings override the default; null sends none', () => {
    const { encryption } = accept(
      regional({
        ...buckets,
        S3_SSE: 'aws:kms',
        S3_SSE_KMS_KEY_ID: KEY,
        S3_SSE_BUCKETS: JSON.stringify({ 'archive-bucket': { sse: 'AES256' }, 'plain-bucket': null }),
      }),
    );
    assert.deepEqual(encryptionFor(encryption, 'my-bucket'), {
      algorithm: 'aws:kms',
      kmsKeyId: KEY,
      bucketKey: undefined,
    });
    assert.deepEqual(encryptionFor(encryption, 'archive-bucket'), {
      algorithm: 'AES256',
      kmsKeyId: undefined,
      bucketKey: undefined,
    });
    assert.equal(encryptionFor(encryption, 'plain-bucket'), undefined);
    // Without a default, only the named buckets carry encryption.
    const only = accept(
      regional({
        ...buckets,
        S3_SSE_BUCKETS: `{"my-bucket": {"sse": "aws:kms", "kmsKeyId": "${MRK}", "bucketKey": true}}`,
      }),
    );
    assert.deepEqual(encryptionFor(only.encryption, 'my-bucket'), {
      algorithm: 'aws:kms',
      kmsKeyId: MRK,
      bucketKey: true,
    });
    assert.equal(encryptionFor(only.encryption, 'archive-bucket'), undefined);
  });

  it('S3_SSE_BUCKETS: refuses bad JSON, unknown buckets and fields, and what S3 refuses, naming the bucket', () => {
    assertProblem(refuse(regional({ S3_SSE_BUCKETS: 'my-bucket=AES256' })), 'S3_SSE_BUCKETS', /must be a JSON object/);
    assertProblem(refuse(regional({ S3_SSE_BUCKETS: '["AES256"]' })), 'S3_SSE_BUCKETS', /must be a JSON object/);
    assertProblem(
      refuse(regional({ S3_SSE_BUCKETS: '{"my-bucket": "AES256"}' })),
      'S3_SSE_BUCKETS',
      /"my-bucket": must be \{"sse"/,
    );
    assertProblem(
      refuse(regional({ S3_SSE_BUCKETS: '{"my-bucket": {"sse": "AES256", "kmsKey": "x"}}' })),
      'S3_SSE_BUCKETS',
      /"my-bucket": Unrecognized key: "kmsKey"/,
    );
    assertProblem(
      refuse(regional({ S3_SSE_BUCKETS: '{"my-bucket": {"sse": "KMS"}}' })),
      'S3_SSE_BUCKETS',
      /"my-bucket".sse: must be AES256/,
    );
    assertProblem(
      refuse(regional({ S3_SSE_BUCKETS: '{"other-bucket": {"sse": "AES256"}}' })),
      'S3_SSE_BUCKETS',
      /names "other-bucket", which is not in S3_BUCKETS/,
    );
    const problems = refuse(
      regional({
        ...buckets,
        S3_SSE_BUCKETS: JSON.stringify({
          'my-bucket': { sse: 'aws:kms:dsse', bucketKey: true },
          'archive-bucket': { sse: 'aws:kms', kmsKeyId: 'alias/archive' },
        }),
      }),
    );
    assertProblem(problems, 'S3_SSE_BUCKETS', /"my-bucket".bucketKey: S3 Bucket Keys are not supported/);
    assertProblem(problems, 'S3_SSE_BUCKETS', /"archive-bucket".kmsKeyId: "alias\/archive" is an alias/);
  });

  it('the CLI signs for the one bucket it is given: entries for others are not refused', () => {
    const config = accept(
      { ...regional({ S3_BUCKETS: 'my-bucket' }), S3_SSE_BUCKETS: '{"archive-bucket": {"sse": "AES256"}}' },
      { requireBuckets: false, requireCallers: false },
    );
    assert.equal(encryptionFor(config.encryption, 'my-bucket'), undefined);
  });

  it('every S3_SSE variable is documented where it is parsed, and so in docs/configuration.md', async () => {
    const { envDoc } = await import('../../../scripts/config-docs.js');
    const { readFile } = await import('node:fs/promises');
    const page = await readFile(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    for (const name of ['S3_SSE', 'S3_SSE_KMS_KEY_ID', 'S3_SSE_BUCKET_KEY', 'S3_SSE_BUCKETS'] as const) {
      assert.ok(envDoc(name).description.length > 20, `${name} has a description`);
      assert.ok(page.includes(`| \`${name}\``), `docs/configuration.md lists ${name}`);
    }
  });
});
