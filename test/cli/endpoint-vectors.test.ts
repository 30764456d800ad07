// AWS's S3 endpoint-resolution test vectors (test/fixtures/aws-endpoint-vectors/, from botocore)
// against the URLs the service mints: every case in-process, through loadConfig and the
// presigner as `s3-presign url` builds them (both signing engines), and a sample through the
// CLI itself. The rules are those of the external check, ../shared/conformance/check-endpoints.mjs,
// which .ci/run still runs against the built CLI:
//   - a vector that expects an error must be refused;
//   - a URL on the legacy global endpoint (s3.amazonaws.com, aws-global) must be refused;
//   - UseGlobalEndpoint outside us-east-1 still expects the regional URL; in us-east-1 it is skipped;
//   - an access-point ARN outside the pinned region must be refused;
//   - DisableAccessPoints / UseArnRegion are skipped (no such knobs: ARNs are always pinned);
//   - otherwise origin + path equal the vector's URL + "/" + key, the credential scope names
//     the region (the ARN's for an access point), SigV4 with X-Amz-Expires as asked; a bucket
//     name outside S3's legacy character set may be refused instead.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadConfig, SIGV4_MAX_EXPIRES_SECONDS } from '../../src/config/config.js';
import { createPresigner } from '../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../src/presign/credentials.js';
import { cli } from './run.js';

const VECTORS = new URL('../fixtures/aws-endpoint-vectors/s3-endpoint-tests-subset.json', import.meta.url);
const SHARED_VECTORS = new URL('../../../shared/conformance/s3-endpoint-tests-subset.json', import.meta.url);
/** As recorded in test/fixtures/aws-endpoint-vectors/SOURCE.md. */
const VECTORS_SHA256 = '30ce6a464d78e314100336311c54c659e85145c1b67fccedab7c7698303d1004';

interface Vector {
  documentation: string;
  params: {
    Region?: string;
    Bucket: string;
    UseFIPS?: boolean;
    UseDualStack?: boolean;
    ForcePathStyle?: boolean;
    Accelerate?: boolean;
    UseGlobalEndpoint?: boolean;
    Endpoint?: string;
    UseArnRegion?: boolean;
    DisableAccessPoints?: boolean;
  };
  expect: { url: string } | { error: string };
}

const KEY = 'dir/obj.txt';
const EXPIRES = 900;
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const GLOBAL_HOST = /(^|\.)s3(-external-1)?\.amazonaws\.com$/;
const LEGACY_BUCKET = /^[A-Za-z0-9._-]+$/;

type Plan =
  | { skip: string }
  | {
      /** `s3-presign url` arguments. */
      argv: string[];
      /** The same settings as the service's variables, as the CLI lays its flags over them. */
      env: Record<string, string>;
      refuse?: string;
      url?: string;
      region?: string;
      mayRefuse?: boolean;
    };

function plan(vector: Vector): Plan {
  const p = vector.params;
  if ('DisableAccessPoints' in p || 'UseArnRegion' in p) return { skip: 'ARN region knobs' };
  if (p.UseGlobalEndpoint && p.Region === 'us-east-1') return { skip: 'UseGlobalEndpoint in us-east-1' };
  const argv = ['url', '--bucket', p.Bucket, '--key', KEY, '--expires', String(EXPIRES), '--json'];
  const env: Record<string, string> = {
    S3_BUCKETS: p.Bucket,
    PRESIGN_MAX_EXPIRES: String(SIGV4_MAX_EXPIRES_SECONDS),
  };
  if (p.Region !== undefined) {
    argv.push('--region', p.Region);
    env.S3_REGION = p.Region;
  }
  if (p.UseFIPS) {
    argv.push('--fips');
    env.S3_USE_FIPS = 'true';
  }
  if (p.UseDualStack) {
    argv.push('--dualstack');
    env.S3_USE_DUALSTACK = 'true';
  }
  if (p.ForcePathStyle) {
    argv.push('--path-style');
    env.S3_FORCE_PATH_STYLE = 'true';
  }
  // Accelerate with an endpoint stays in accelerate mode, which takes no endpoint: a refusal.
  let mode = 'regional';
  if (p.Endpoint !== undefined) {
    mode = 'custom';
    argv.push('--endpoint', p.Endpoint);
    env.S3_ENDPOINT_URL = p.Endpoint;
    if (/^http:/i.test(p.Endpoint)) {
      argv.push('--allow-http');
      env.S3_ALLOW_HTTP = 'true';
    }
  }
  if (p.Accelerate) mode = 'accelerate';
  argv.push('--mode', mode);
  env.S3_ENDPOINT_MODE = mode;

  if ('error' in vector.expect) return { argv, env, refuse: `vector error: ${vector.expect.error}` };
  const want = new URL(vector.expect.url);
  if (p.Region === 'aws-global' || GLOBAL_HOST.test(want.hostname)) {
    return { argv, env, refuse: 'legacy global endpoint' };
  }
  const arn = /^arn:[^:]+:s3:([^:]*):/.exec(p.Bucket);
  if (arn && arn[1] !== p.Region) return { argv, env, refuse: 'access point outside the pinned region' };
  return {
    argv,
    env,
    url: `${want.origin}${want.pathname.replace(/\/$/, '')}/${KEY}`,
    region: arn ? arn[1] : p.Region,
    mayRefuse: !arn && !LEGACY_BUCKET.test(p.Bucket),
  };
}

type Outcome = { refused: string } | { url: string };

/** What is wrong with the outcome under the plan, or undefined when the case holds. */
function judge(planned: Exclude<Plan, { skip: string }>, outcome: Outcome): string | undefined {
  if (planned.refuse) {
    return 'refused' in outcome ? undefined : `accepted, but must refuse (${planned.refuse}): ${outcome.url}`;
  }
  if ('refused' in outcome) return planned.mayRefuse ? undefined : `refused: ${outcome.refused}`;
  const got = new URL(outcome.url);
  const problems: string[] = [];
  if (got.origin + got.pathname !== planned.url) problems.push(`url ${got.origin + got.pathname} != ${planned.url}`);
  const query = got.searchParams;
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') problems.push(`algorithm ${query.get('X-Amz-Algorithm')}`);
  const scope = (query.get('X-Amz-Credential') ?? '').split('/');
  if (scope[2] !== planned.region || scope[3] !== 's3') {
    problems.push(`credential scope ${scope.slice(2).join('/')} (region ${planned.region})`);
  }
  if (query.get('X-Amz-Expires') !== String(EXPIRES)) problems.push(`X-Amz-Expires ${query.get('X-Amz-Expires')}`);
  if (!/^[0-9a-f]{64}$/.test(query.get('X-Amz-Signature') ?? '')) problems.push('no X-Amz-Signature');
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** What `s3-presign url` does, without its process: loadConfig as the CLI calls it, then the presigner. */
async function presignInProcess(env: Record<string, string>, bucket: string): Promise<Outcome> {
  const loaded = loadConfig(env, { requireBuckets: false, requireCallers: false });
  if (!loaded.ok) return { refused: loaded.problems.join('; ') };
  const { presigner, close } = await createPresigner(loaded.config, {
    credentials: staticCredentialSource(CREDENTIALS),
  });
  try {
    const presigned = await presigner.presign({ operation: 'get', bucket, key: KEY, expiresIn: EXPIRES });
    return { url: presigned.url };
  } catch (error) {
    return { refused: (error as Error).message };
  } finally {
    close();
  }
}

const vectorsText = readFileSync(VECTORS);
const vectors = JSON.parse(vectorsText.toString('utf8')) as Vector[];

describe('AWS S3 endpoint test vectors (botocore endpoint-tests-1.json, presign subset)', () => {
  it('are the recorded copy: 161 cases, and the shared folder holds the same bytes when present', (t) => {
    assert.equal(createHash('sha256').update(vectorsText).digest('hex'), VECTORS_SHA256);
    assert.equal(vectors.length, 161);
    if (!existsSync(SHARED_VECTORS)) {
      t.diagnostic('../shared/conformance is not beside this clone: the copy is compared with its recorded hash only');
      return;
    }
    assert.ok(readFileSync(SHARED_VECTORS).equals(vectorsText), 'the shared vectors changed: copy them here again');
  });

  for (const engine of ['fast', 'sdk'] as const) {
    it(`every case holds in-process, PRESIGN_ENGINE=${engine}`, async (t) => {
      const failures: string[] = [];
      let passed = 0;
      let skipped = 0;
      for (const [index, vector] of vectors.entries()) {
        const planned = plan(vector);
        if ('skip' in planned) {
          skipped++;
          continue;
        }
        const outcome = await presignInProcess({ ...planned.env, PRESIGN_ENGINE: engine }, vector.params.Bucket);
        const why = judge(planned, outcome);
        if (why) failures.push(`#${index} ${vector.documentation}: ${why}`);
        else passed++;
      }
      t.diagnostic(`${passed} passed, ${failures.length} failed, ${skipped} skipped`);
      assert.deepEqual(failures, []);
      // What the vectors hold today: a case that stops being checked should be noticed.
      assert.deepEqual({ passed, skipped }, { passed: 130, skipped: 31 });
    });
  }

  it('the CLI itself gives the same answers, on a case of each kind (one process each)', async () => {
    // One per flag and per kind of answer: FIPS + dual-stack, a custom (PrivateLink) endpoint
    // over http and path-style over https, an access point, accelerate; a vector's error and
    // the legacy global endpoint refused.
    type Planned = Exclude<Plan, { skip: string }>;
    const minted = (planned: Planned) => planned.url !== undefined && !planned.mayRefuse;
    const wanted: Array<(vector: Vector, planned: Planned) => boolean> = [
      (v, p) => minted(p) && v.params.UseFIPS === true && v.params.UseDualStack === true,
      (v, p) => minted(p) && /^http:.*vpce/.test(v.params.Endpoint ?? ''),
      (v, p) => minted(p) && /^https:.*vpce/.test(v.params.Endpoint ?? '') && v.params.ForcePathStyle === true,
      (v, p) => minted(p) && v.params.Bucket.startsWith('arn:'),
      (v, p) => minted(p) && v.params.Accelerate === true,
      (_, p) => p.refuse?.startsWith('vector error') === true,
      (_, p) => p.refuse === 'legacy global endpoint',
    ];
    const sample = wanted.map((matches) => {
      const index = vectors.findIndex((vector) => {
        const planned = plan(vector);
        return !('skip' in planned) && matches(vector, planned);
      });
      assert.ok(index >= 0, `no vector matches ${matches.toString()}`);
      return index;
    });
    const failures: string[] = [];
    // Two processes at a time: the machine has two cores.
    for (let next = 0; next < sample.length; next += 2) {
      await Promise.all(
        sample.slice(next, next + 2).map(async (index) => {
          const vector = vectors[index] as Vector;
          const planned = plan(vector) as Exclude<Plan, { skip: string }>;
          const run = await cli(planned.argv, {
            AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
            LOG_LEVEL: 'silent',
            NODE_ENV: 'production',
          });
          let outcome: Outcome;
          if (run.code !== 0) outcome = { refused: run.stderr.trim() };
          else outcome = { url: (JSON.parse(run.stdout) as { url: string }).url };
          const why = judge(planned, outcome);
          if (why) failures.push(`#${index} ${vector.documentation}: s3-presign ${planned.argv.join(' ')}: ${why}`);
          // The same answer as in-process: both refuse, or both give this origin and path.
          const inProcess = await presignInProcess(planned.env, vector.params.Bucket);
          const where = (o: Outcome) => ('refused' in o ? 'refused' : new URL(o.url).origin + new URL(o.url).pathname);
          if (where(outcome) !== where(inProcess)) {
            failures.push(`#${index}: the CLI gave ${where(outcome)}, in-process ${where(inProcess)}`);
          }
        }),
      );
    }
    assert.deepEqual(failures, []);
  });
});
