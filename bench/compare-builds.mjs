// Two builds of the service side by side: what a change bought, in server CPU per URL.
//   git worktree add /tmp/before REV && (cd /tmp/before && npm ci && npm run build)
//   npm run build && node bench/compare-builds.mjs --before=/tmp/before [--rounds=5] [--requests=20000] [--routes=single,post,parts]
// The two services and this build's floor run at once, each in its own process, and each
// round loads them in turn on each route: the machine's drift falls on all three alike, which
// separate runs of bench/run.mjs cannot promise (the same code reads up to 8% apart from one
// run to the next). Prints each round, then per route the medians and the median of the
// per-round ratios after / before.
import console from 'node:console';
import { Buffer } from 'node:buffer';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { commandLineOptions } from './options.mjs';
import { benchEnv, presignBodies, startBenchServer } from './workload.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const options = commandLineOptions();
if (!options.before) throw new Error('--before=DIR: a built checkout of the revision to compare with');
const rounds = Number(options.rounds ?? 5);
const requests = Number(options.requests ?? 20_000);
const routes = (options.routes ?? 'single,post,parts').split(',');

const before = await import(pathToFileURL(join(resolve(options.before), 'bench', 'workload.mjs')).href);
const { generateApiKey } = await import('../dist/auth/api-keys.js');
const { UploadTokens } = await import('../dist/multipart/upload-token.js');
const apiKey = generateApiKey();
const servers = {
  before: await before.startBenchServer('./http-server.mjs', ['fast'], { BENCH_API_KEY: apiKey }),
  after: await startBenchServer('./http-server.mjs', ['fast'], { BENCH_API_KEY: apiKey }),
  floor: await startBenchServer('./http-server.mjs', ['floor']),
};

// The shared-routes workload (bench/shared-routes.mjs), for our routes and the floor's.
const env = benchEnv('fast');
const KEY = 'uploads/bench/holiday video.mp4';
const PART_SIZE = 8 * 1024 ** 2;
const CONTENT_LENGTH = 100 * PART_SIZE - 12_345;
const S3_UPLOAD_ID = 'VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA';
const uploadId = new UploadTokens(Buffer.from(env.UPLOAD_TOKEN_SECRET, 'utf8')).issue(
  {
    s3UploadId: S3_UPLOAD_ID,
    bucket: env.S3_BUCKETS,
    contentLength: CONTENT_LENGTH,
    partSize: PART_SIZE,
    expiresAt: Math.floor(Date.now() / 1000) + 86_400,
  },
  { id: 'bench', kind: 'api-key', subject: undefined },
  KEY,
);
const partNumbers = Array.from({ length: 100 }, (_, i) => i + 1);
const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
const post = (path, bodies) => bodies.map((body) => ({ method: 'POST', path, headers, body }));
const uploads = Array.from({ length: 16 }, (_, i) =>
  JSON.stringify({
    filename: `photo ${i}.png`,
    contentType: 'image/png',
    contentLength: 1_048_576 + i,
    method: 'post',
  }),
);
const work = {
  single: { urls: 1, ours: post('/presign', presignBodies()), floor: post('/presign', presignBodies()) },
  post: { urls: 1, ours: post('/uploads', uploads), floor: post('/uploads', uploads) },
  parts: {
    urls: 100,
    ours: post('/multipart/parts', [JSON.stringify({ key: KEY, uploadId, partNumbers })]),
    // The floor signs for the S3 upload ID itself: opening the upload token is the route's work.
    floor: post('/multipart/parts', [
      JSON.stringify({
        key: KEY,
        uploadId: S3_UPLOAD_ID,
        partNumbers,
        contentLength: CONTENT_LENGTH,
        partSize: PART_SIZE,
      }),
    ]),
  },
};
for (const route of routes) if (!(route in work)) throw new Error(`unknown route ${route}; one of single, post, parts`);

/** Server CPU µs per request over `amount` requests, after a quarter as many unmeasured. */
async function cpuPerRequest(server, requestList, amount) {
  const run = (count) =>
    autocannon({ url: `http://127.0.0.1:${server.port}`, connections: 10, amount: count, requests: requestList });
  await run(Math.floor(amount / 4));
  const start = await server.cpu();
  const result = await run(amount);
  const end = await server.cpu();
  if (result.non2xx + result.errors + result.timeouts > 0) throw new Error('a request failed: the comparison is void');
  return (end.user + end.system - start.user - start.system) / result.requests.total;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = Object.fromEntries(routes.map((route) => [route, { before: [], after: [], floor: [] }]));
try {
  for (let round = 1; round <= rounds; round++) {
    for (const route of routes) {
      const { urls, ours, floor } = work[route];
      const amount = Math.floor(requests / (urls === 1 ? 1 : 10));
      const r = results[route];
      for (const name of ['before', 'after', 'floor']) {
        r[name].push((await cpuPerRequest(servers[name], name === 'floor' ? floor : ours, amount)) / urls);
      }
      console.log(
        `${route} round ${round}: before ${r.before.at(-1).toFixed(1)}, after ${r.after.at(-1).toFixed(1)}, ` +
          `floor ${r.floor.at(-1).toFixed(1)} µs/URL; after / before ${(r.after.at(-1) / r.before.at(-1)).toFixed(3)}`,
      );
    }
  }
} finally {
  await Promise.all(Object.values(servers).map((server) => server.close()));
}
console.log('\n| route | before, median µs | after, median µs | floor, median µs | after / before, median of rounds |');
console.log('| --- | --- | --- | --- | --- |');
for (const [route, r] of Object.entries(results)) {
  const ratios = r.after.map((value, i) => value / r.before[i]);
  console.log(
    `| ${route} | ${median(r.before).toFixed(1)} | ${median(r.after).toFixed(1)} | ${median(r.floor).toFixed(1)} | ` +
      `${median(ratios).toFixed(3)} (lower in ${ratios.filter((ratio) => ratio < 1).length} of ${ratios.length}) |`,
  );
}
