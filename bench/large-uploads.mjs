// The large-upload routes beside Uppy Companion 6.x's, same load, same run (part of
// npm run bench; alone: node bench/run.mjs --only=large-uploads after npm run build):
//   part URLs   POST /multipart/parts with 100 part numbers, against Companion's
//               GET /s3/multipart/:id/:n (one URL a request) and its batch route (100)
//   POST policy POST /uploads {method: "post"}, against Companion's GET /s3/params
// "Per core" is read from the server process's own CPU time: URLs (or policies) per CPU
// second, so the ratio does not depend on how autocannon and the server share the cores.
// Companion comes from COMPANION_DIR, or is installed on demand into a scratch folder
// (os.tmpdir()/s3-presign-bench-companion): it is never a dependency of this project.
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import autocannon from 'autocannon';
import { startBenchServer } from './workload.mjs';

const PARTS_PER_REQUEST = 100;
const COMPANION_SPEC = '@uppy/companion@6';

function companionDir() {
  const dir = process.env.COMPANION_DIR || join(os.tmpdir(), 's3-presign-bench-companion');
  if (!existsSync(join(dir, 'node_modules', '@uppy', 'companion'))) {
    console.log(`installing ${COMPANION_SPEC} into ${dir} (scratch, not a dependency)…`);
    execFileSync(
      'npm',
      ['install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', COMPANION_SPEC, 'express@4'],
      { stdio: 'inherit' },
    );
  }
  return dir;
}

async function measure(server, requests, { connections, warmupS, durationS, urlsPerRequest }) {
  const run = (seconds) =>
    autocannon({ url: `http://127.0.0.1:${server.port}`, connections, duration: seconds, requests });
  await run(warmupS);
  const before = await server.cpu();
  const result = await run(durationS);
  const after = await server.cpu();
  const failed = result.non2xx + result.errors + result.timeouts;
  const cpuS = (after.user + after.system - before.user - before.system) / 1e6;
  const urls = result.requests.total * urlsPerRequest;
  return {
    rps: result.requests.average,
    urlsPerS: result.requests.average * urlsPerRequest,
    urlsPerCpuS: urls / Math.max(cpuS, 1e-9),
    p99: result.latency.p99,
    failed,
  };
}

export async function largeUploads({ apiKey, connections, warmupS, durationS, fmt, mark, printTable }) {
  const { UploadTokens } = await import('../dist/multipart/upload-token.js');
  const { benchEnv } = await import('./workload.mjs');
  const env = benchEnv('fast');
  const key = 'uploads/bench/holiday video.mp4';
  const uploadId = new UploadTokens(Buffer.from(env.UPLOAD_TOKEN_SECRET, 'utf8')).issue(
    {
      s3UploadId: 'VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA',
      bucket: env.S3_BUCKETS,
      contentLength: PARTS_PER_REQUEST * 8 * 1024 ** 2 - 12_345,
      partSize: 8 * 1024 ** 2,
      expiresAt: Math.floor(Date.now() / 1000) + 86_400,
    },
    { id: 'bench', kind: 'api-key', subject: undefined },
    key,
  );
  const partNumbers = Array.from({ length: PARTS_PER_REQUEST }, (_, i) => i + 1);
  const json = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
  const load = { connections, warmupS, durationS };
  const results = {};

  const ours = await startBenchServer('./http-server.mjs', ['fast'], { BENCH_API_KEY: apiKey });
  try {
    results.parts = await measure(
      ours,
      [
        {
          method: 'POST',
          path: '/multipart/parts',
          headers: json,
          body: JSON.stringify({ key, uploadId, partNumbers }),
        },
      ],
      { ...load, urlsPerRequest: PARTS_PER_REQUEST },
    );
    process.stdout.write('.');
    results.post = await measure(
      ours,
      Array.from({ length: 16 }, (_, i) => ({
        method: 'POST',
        path: '/uploads',
        headers: json,
        body: JSON.stringify({
          filename: `photo ${i}.png`,
          contentType: 'image/png',
          contentLength: 1_048_576 + i,
          method: 'post',
        }),
      })),
      { ...load, urlsPerRequest: 1 },
    );
    process.stdout.write('.');
  } finally {
    await ours.close();
  }

  const companion = await startBenchServer('./companion-server.mjs', [], { COMPANION_DIR: companionDir() });
  const s3UploadId = 'VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA';
  const encodedKey = encodeURIComponent(key);
  try {
    results.companionPart = await measure(
      companion,
      partNumbers
        .slice(0, 16)
        .map((n) => ({ method: 'GET', path: `/s3/multipart/${s3UploadId}/${n}?key=${encodedKey}` })),
      { ...load, urlsPerRequest: 1 },
    );
    process.stdout.write('.');
    results.companionBatch = await measure(
      companion,
      [
        {
          method: 'GET',
          path: `/s3/multipart/${s3UploadId}/batch?key=${encodedKey}&partNumbers=${partNumbers.join(',')}`,
        },
      ],
      { ...load, urlsPerRequest: PARTS_PER_REQUEST },
    );
    process.stdout.write('.');
    results.companionParams = await measure(
      companion,
      Array.from({ length: 16 }, (_, i) => ({
        method: 'GET',
        path: `/s3/params?filename=photo%20${i}.png&type=image%2Fpng`,
      })),
      { ...load, urlsPerRequest: 1 },
    );
    process.stdout.write('\n');
  } finally {
    await companion.close();
  }

  for (const [name, r] of Object.entries(results)) {
    if (r.failed > 0) {
      process.exitCode = 1;
      console.error(`${name}: ${r.failed} failed requests`);
    }
  }
  console.log(
    `\nlarge uploads: autocannon, ${connections} connections, ${warmupS} s warm-up then ${durationS} s per route`,
  );
  const label = {
    parts: `POST /multipart/parts (${PARTS_PER_REQUEST} parts)`,
    post: 'POST /uploads method post',
    companionPart: 'Companion GET /s3/multipart/:id/:n',
    companionBatch: `Companion GET /s3/multipart/:id/batch (${PARTS_PER_REQUEST})`,
    companionParams: 'Companion GET /s3/params',
  };
  printTable(
    ['route', 'req/s', 'URLs/s', 'URLs per server CPU s', 'p99 ms'],
    Object.entries(results).map(([name, r]) => [
      label[name],
      fmt(r.rps),
      fmt(r.urlsPerS),
      fmt(r.urlsPerCpuS),
      fmt(r.p99, 1),
    ]),
  );
  // A route that answered nothing in the window (timeouts on a loaded machine) has no ratio.
  const perCore = (a, b) =>
    results[b].urlsPerCpuS > 0 && results[b].failed === 0 && results[a].failed === 0
      ? results[a].urlsPerCpuS / results[b].urlsPerCpuS
      : undefined;
  const ratio = (value, goal) => [
    value === undefined ? 'n/a (failed requests)' : `${fmt(value, 1)}×`,
    goal === undefined ? '' : value === undefined ? 'NOT MEASURED' : mark(value >= goal),
  ];
  return [
    ['part URLs ≥ 10× Companion /s3/multipart/:id/:n (per core)', ...ratio(perCore('parts', 'companionPart'), 10)],
    ['part URLs vs Companion batch of 100 (per core; not a target)', ...ratio(perCore('parts', 'companionBatch'))],
    ['POST policy ≥ 10× Companion /s3/params (per core)', ...ratio(perCore('post', 'companionParams'), 10)],
    [
      '≥ 40,000 part URLs/s per core (100-part requests)',
      fmt(results.parts.urlsPerCpuS),
      mark(results.parts.urlsPerCpuS >= 40_000),
    ],
  ];
}
