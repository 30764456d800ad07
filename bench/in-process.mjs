// One in-process measurement in a process of its own: `node bench/in-process.mjs VARIANT
// WARMUP_MS RUN_MS` warms VARIANT up, times one run, and sends {rate} (URLs per second) to
// its parent. `node bench/in-process.mjs VARIANT count N` runs exactly N steps and sends
// nothing: bench/instructions.mjs counts its instructions. A process per run: no variant inherits another's heap or garbage, and none is
// measured right after a forced collection (which slows the SDK by a quarter for a while).
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../dist/config/config.js';
import { createPresigner } from '../dist/presign/create-presigner.js';
import { staticCredentialSource } from '../dist/presign/credentials.js';
import { FastSigner } from '../dist/presign/fast-signer.js';
import { SdkSigner } from '../dist/presign/sdk-signer.js';
import { validatePresignedUrl } from '../dist/verify/url-validator.js';
import { BUCKET, benchCredentials, benchEnv, presignRequests } from './workload.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const [variant, warmupMs, runMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const engine = variant.startsWith('sdk') ? 'sdk' : 'fast';
const requests = presignRequests();

const result = loadConfig(benchEnv(engine));
if (!result.ok) throw new Error(result.problems.join('; '));
const credentials = staticCredentialSource(benchCredentials(), 'bench');
const bundle = await createPresigner(result.config, { credentials });
const sdk = new SdkSigner(bundle.s3);
const signer = engine === 'sdk' ? sdk : new FastSigner(bundle.s3, { fallback: sdk });

// What the Presigner hands an engine, less the clock and the credentials it reads per URL.
const signingRequests = requests.map((request) => {
  const headers = {};
  if (request.operation === 'put') {
    headers['content-type'] = request.contentType;
    headers['content-length'] = String(request.contentLength);
    headers['x-amz-checksum-sha256'] = request.checksumSha256;
  }
  return {
    operation: request.operation,
    bucket: request.bucket,
    key: request.key,
    expiresIn: request.expiresIn,
    headers,
    responseContentDisposition: request.responseContentDisposition,
  };
});

async function validationCases() {
  const cases = [];
  const { expiration, accessKeyId } = await credentials.get();
  for (const request of requests) {
    const { url, headers } = await bundle.presigner.presign(request);
    cases.push({
      url,
      expectation: {
        bucket: BUCKET,
        key: request.key,
        signedHeaders: Object.keys(headers),
        queryParameters: request.responseContentDisposition
          ? { 'response-content-disposition': request.responseContentDisposition }
          : {},
        accessKeyId,
        temporaryCredentials: true,
        credentialsExpireAt: expiration,
        fresh: true,
      },
    });
  }
  return cases;
}

let step;
switch (variant) {
  case 'sdk engine':
  case 'fast engine':
    // As the Presigner calls it: the clock read and the held credentials, then sign().
    step = (i) => {
      const request = signingRequests[i];
      request.signingDate = new Date();
      request.credentials = credentials.current();
      return signer.sign(request);
    };
    break;
  case 'sdk + validation':
  case 'fast + validation':
    step = (i) => bundle.presigner.presign(requests[i]);
    break;
  case 'validation alone': {
    const cases = await validationCases();
    step = (i) => {
      const { url, expectation } = cases[i];
      const report = validatePresignedUrl(url, bundle.policy, expectation);
      if (!report.valid) throw new Error(`the bench's own URL failed validation: ${JSON.stringify(report.failures)}`);
    };
    break;
  }
  case 'post policy':
    // What the floor's /uploads asks for (bench/http-server.mjs): a key per file, its type and size.
    step = (i) =>
      bundle.presigner.presignPost({
        bucket: BUCKET,
        key: `uploads/bench/${i}/photo ${i}.png`,
        contentType: 'image/png',
        contentLengthRange: [1_048_576 + i, 1_048_576 + i],
        expiresIn: 900,
      });
    break;
  default:
    throw new Error(`unknown variant ${variant}`);
}

/** URLs per second over one timed run; sequential, as a request handler would call it. */
async function measure(ms) {
  let count = 0;
  const started = performance.now();
  const deadline = started + ms;
  let now = started;
  while (now < deadline) {
    // Batches of 64 keep the clock reads out of the measurement.
    for (let j = 0; j < 64; j++) {
      const pending = step(count % requests.length);
      if (pending instanceof Promise) await pending;
      count++;
    }
    now = performance.now();
  }
  return (count * 1000) / (now - started);
}

/** Exactly `steps` steps, untimed. */
async function run(steps) {
  for (let count = 0; count < steps; count++) {
    const pending = step(count % requests.length);
    if (pending instanceof Promise) await pending;
  }
}

if (process.argv[3] === 'count') {
  await run(Number(process.argv[4]));
  bundle.close();
} else {
  await measure(warmupMs);
  const rate = await measure(runMs);
  bundle.close();
  process.send({ rate });
}
