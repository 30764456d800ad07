// The routes the service shares with Uppy Companion 6.x, each measured three ways in the same
// run (part of npm run bench; alone: node bench/run.mjs --only=shared-routes after npm run build):
//
//   route        ours                         Companion                          floor
//   single URL   POST /presign (get/put mix)  GET /s3/multipart/:id/:n (1 URL)   POST /presign
//   POST policy  POST /uploads {method:post}  GET /s3/params                     POST /uploads
//   part URLs    POST /multipart/parts (100)  GET /s3/multipart/:id/batch (100)  POST /multipart/parts
//
// The floor is a bare Fastify POST (bench/http-server.mjs `floor`) that parses the same JSON
// body, signs and validates through the service's own Presigner and writes the same one log
// line: what the route could reach if authentication, limits, schemas, headers and metrics
// cost nothing. The single URL is also set against Companion's /s3/params, the reading of
// issue 22, since Companion has no other route for one file.
//
// All three servers live for the whole run, each in its own process; per route they are
// loaded in turn (ours, Companion, floor, each run starting with another of the three), so
// machine noise and the place in the order fall on all three alike. The
// measure is the server process's own CPU time per URL (user + system, from the kernel), not
// wall time: autocannon and other work on the machine share the cores. A run repeats this
// --shared-runs times (3 by default) and the medians are printed last.
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import autocannon from 'autocannon';
import { benchEnv, presignBodies, startBenchServer } from './workload.mjs';

const PARTS_PER_REQUEST = 100;
const PART_SIZE = 8 * 1024 ** 2;
const CONTENT_LENGTH = PARTS_PER_REQUEST * PART_SIZE - 12_345;
const COMPANION_SPEC = '@uppy/companion@6';
const S3_UPLOAD_ID = 'VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA';
const KEY = 'uploads/bench/holiday video.mp4';
/** Ours must be at least this many times Companion's URLs per server CPU second… */
const COMPANION_GOAL = 10;
/** …and cost at most this many times the floor's server CPU per URL. */
const FLOOR_GOAL = 1.3;

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

/** One target on one route: a warm-up, then server CPU µs per URL over the measured window. */
export async function measure(server, requests, { connections, warmupS, durationS, urlsPerRequest }) {
  const run = (seconds) =>
    autocannon({ url: `http://127.0.0.1:${server.port}`, connections, duration: seconds, requests });
  await run(warmupS);
  const before = await server.cpu();
  const result = await run(durationS);
  const after = await server.cpu();
  const failed = result.non2xx + result.errors + result.timeouts;
  const cpuUs = after.user + after.system - before.user - before.system;
  const urls = result.requests.total * urlsPerRequest;
  return { rps: result.requests.average, urls, cpuUsPerUrl: urls > 0 ? cpuUs / urls : Infinity, failed };
}

/** What each target is sent, per route: autocannon request lists and the URLs in each answer. */
export async function workloads(apiKey) {
  const { UploadTokens } = await import('../dist/multipart/upload-token.js');
  const env = benchEnv('fast');
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
  const partNumbers = Array.from({ length: PARTS_PER_REQUEST }, (_, i) => i + 1);
  const json = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
  const post = (path, bodies) => bodies.map((body) => ({ method: 'POST', path, headers: json, body }));
  const uploadBodies = Array.from({ length: 16 }, (_, i) =>
    JSON.stringify({
      filename: `photo ${i}.png`,
      contentType: 'image/png',
      contentLength: 1_048_576 + i,
      method: 'post',
    }),
  );
  const companionPart = partNumbers
    .slice(0, 16)
    .map((n) => ({ method: 'GET', path: `/s3/multipart/${S3_UPLOAD_ID}/${n}?key=${encodeURIComponent(KEY)}` }));
  return {
    single: {
      label: 'single URL',
      ours: { requests: post('/presign', presignBodies()), urls: 1, name: 'POST /presign' },
      companion: { requests: companionPart, urls: 1, name: 'GET /s3/multipart/:id/:n' },
      floor: { requests: post('/presign', presignBodies()), urls: 1 },
    },
    post: {
      label: 'POST policy',
      ours: { requests: post('/uploads', uploadBodies), urls: 1, name: 'POST /uploads method post' },
      companion: {
        requests: Array.from({ length: 16 }, (_, i) => ({
          method: 'GET',
          path: `/s3/params?filename=photo%20${i}.png&type=image%2Fpng`,
        })),
        urls: 1,
        name: 'GET /s3/params',
      },
      floor: { requests: post('/uploads', uploadBodies), urls: 1 },
    },
    parts: {
      label: `part URLs (${PARTS_PER_REQUEST})`,
      ours: {
        requests: post('/multipart/parts', [JSON.stringify({ key: KEY, uploadId, partNumbers })]),
        urls: PARTS_PER_REQUEST,
        name: `POST /multipart/parts`,
      },
      companion: {
        requests: [
          {
            method: 'GET',
            path: `/s3/multipart/${S3_UPLOAD_ID}/batch?key=${encodeURIComponent(KEY)}&partNumbers=${partNumbers.join(',')}`,
          },
        ],
        urls: PARTS_PER_REQUEST,
        name: 'GET /s3/multipart/:id/batch',
      },
      // The floor signs for the S3 upload ID itself: opening the upload token is the route's work.
      floor: {
        requests: post('/multipart/parts', [
          JSON.stringify({
            key: KEY,
            uploadId: S3_UPLOAD_ID,
            partNumbers,
            contentLength: CONTENT_LENGTH,
            partSize: PART_SIZE,
          }),
        ]),
        urls: PARTS_PER_REQUEST,
      },
    },
  };
}

/**
 * One run: every route on ours, Companion and the floor in turn, run `index` starting with
 * another of the three. Loaded in a fixed order, the second of two copies of the same server
 * read 2-4% cheaper than the first (8 rounds side by side, 2026-12-06); over three runs each
 * server takes each place once.
 */
async function oneRun(servers, routes, load, index) {
  const run = {};
  const targets = ['ours', 'companion', 'floor'];
  const order = targets.slice(index % 3).concat(targets.slice(0, index % 3));
  for (const [route, work] of Object.entries(routes)) {
    run[route] = {};
    for (const target of order) {
      const { requests, urls } = work[target];
      run[route][target] = await measure(servers[target], requests, { ...load, urlsPerRequest: urls });
      process.stdout.write('.');
    }
  }
  // Issue 22's reading of the single URL: against Companion's form policy, its one route for one file.
  run.single.companionParams = await measure(servers.companion, routes.post.companion.requests, {
    ...load,
    urlsPerRequest: 1,
  });
  process.stdout.write('\n');
  return run;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export async function sharedRoutes({ apiKey, runs, connections, warmupS, durationS, fmt, mark, printTable }) {
  const routes = await workloads(apiKey);
  const load = { connections, warmupS, durationS };
  const servers = {
    ours: await startBenchServer('./http-server.mjs', ['fast'], { BENCH_API_KEY: apiKey }),
    companion: await startBenchServer('./companion-server.mjs', [], { COMPANION_DIR: companionDir() }),
    floor: await startBenchServer('./http-server.mjs', ['floor']),
  };
  console.log(
    `\nshared routes: ${runs} runs; per run and route ours, Companion, floor in turn (each run starting with another), autocannon ` +
      `${connections} connections, ${warmupS} s warm-up then ${durationS} s each; server CPU µs per URL`,
  );
  const results = [];
  try {
    // Every route on every server once, untimed: a fresh process's first route otherwise
    // measured its compilation (run 1 read 441 µs for /presign against 125-141 in runs 2-3).
    for (const work of Object.values(routes)) {
      for (const target of ['ours', 'companion', 'floor']) {
        const { requests, urls } = work[target];
        await measure(servers[target], requests, { ...load, durationS: warmupS, urlsPerRequest: urls });
      }
    }
    for (let i = 0; i < runs; i++) results.push(await oneRun(servers, routes, load, i));
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.close()));
  }

  for (const run of results) {
    for (const [route, targets] of Object.entries(run)) {
      for (const [target, r] of Object.entries(targets)) {
        if (r.failed > 0) {
          process.exitCode = 1;
          console.error(`${route} ${target}: ${r.failed} failed requests`);
        }
      }
    }
  }
  // Companion's cost over ours (≥ 10× wanted) and ours over the floor's (≤ 1.3× wanted). And
  // Companion's over the floor's: the most any route that does the floor's work can read, so a
  // run where the floor itself is under 10× Companion shows that goal out of reach that run.
  const ratios = (r, companion = r.companion) => ({
    vsCompanion: companion.cpuUsPerUrl / r.ours.cpuUsPerUrl,
    vsFloor: r.ours.cpuUsPerUrl / r.floor.cpuUsPerUrl,
    floorVsCompanion: companion.cpuUsPerUrl / r.floor.cpuUsPerUrl,
  });
  const rows = [];
  const readings = [
    ...Object.keys(routes).map((route) => ({ route, label: routes[route].label, companion: (r) => r.companion })),
    { route: 'single', label: 'single URL vs /s3/params', companion: (r) => r.companionParams, noFloor: true },
  ];
  for (const { route, label, companion } of readings) {
    const perRun = results.map((run) => ({
      ours: run[route].ours.cpuUsPerUrl,
      companion: companion(run[route]).cpuUsPerUrl,
      floor: run[route].floor.cpuUsPerUrl,
      ...ratios(run[route], companion(run[route])),
    }));
    perRun.forEach((r, i) => rows.push([label, `run ${i + 1}`, ...cells(r)]));
    const med = Object.fromEntries(Object.keys(perRun[0]).map((name) => [name, median(perRun.map((r) => r[name]))]));
    rows.push([label, 'median', ...cells(med)]);
    readings.find((reading) => reading.label === label).perRun = perRun;
  }
  printTable(
    [
      'route',
      'run',
      'ours µs/URL',
      'Companion µs/URL',
      'floor µs/URL',
      'vs Companion',
      'vs floor',
      'floor vs Companion',
    ],
    rows,
  );
  function cells(r) {
    return [
      fmt(r.ours, 1),
      fmt(r.companion, 1),
      fmt(r.floor, 1),
      `${fmt(r.vsCompanion, 1)}×`,
      `${fmt(r.vsFloor, 2)}×`,
      `${fmt(r.floorVsCompanion, 1)}×`,
    ];
  }
  console.log(
    `ours: ${routes.single.ours.name}, ${routes.post.ours.name}, ${routes.parts.ours.name}; Companion: ` +
      `${routes.single.companion.name}, ${routes.post.companion.name}, ${routes.parts.companion.name}`,
  );

  // A target is met only when every run meets it, not the median.
  return readings.flatMap(({ label, perRun, noFloor }) => [
    [
      `${label} ≥ ${COMPANION_GOAL}× Companion (per server CPU, every run)`,
      perRun.map((r) => `${fmt(r.vsCompanion, 1)}×`).join(', '),
      mark(perRun.every((r) => r.vsCompanion >= COMPANION_GOAL)),
    ],
    [
      `${label}: the floor itself vs Companion (reference: the ceiling)`,
      perRun.map((r) => `${fmt(r.floorVsCompanion, 1)}×`).join(', '),
      'reference',
    ],
    ...(noFloor
      ? []
      : [
          [
            `${label} ≤ ${FLOOR_GOAL}× the floor (per server CPU, every run)`,
            perRun.map((r) => `${fmt(r.vsFloor, 2)}×`).join(', '),
            mark(perRun.every((r) => r.vsFloor <= FLOOR_GOAL)),
          ],
        ]),
  ]);
}
