// Two builds of the service side by side: what a change bought, in server CPU per URL.
//   git worktree add /tmp/before REV && (cd /tmp/before && npm ci && npm run build)
//   npm run build && node bench/compare-builds.mjs --before=/tmp/before [--rounds=5] [--requests=20000] [--routes=single,post,parts]
// The two services and this build's floor run at once, each in its own process, and each
// round loads them in turn on each route, starting with another of the three each round: the
// machine's drift falls on all three alike, which
// separate runs of bench/run.mjs cannot promise (the same code reads up to 8% apart from one
// run to the next). Prints each round, then per route the medians and the median of the
// per-round ratios after / before.
import console from 'node:console';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { commandLineOptions } from './options.mjs';
import { workloads } from './shared-routes.mjs';
import { startBenchServer } from './workload.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const options = commandLineOptions();
if (!options.before) throw new Error('--before=DIR: a built checkout of the revision to compare with');
const rounds = Number(options.rounds ?? 5);
const requests = Number(options.requests ?? 20_000);
const routes = (options.routes ?? 'single,post,parts').split(',');

const before = await import(pathToFileURL(join(resolve(options.before), 'bench', 'workload.mjs')).href);
const { generateApiKey } = await import('../dist/auth/api-keys.js');
const apiKey = generateApiKey();
// The shared-routes workload, for our routes and the floor's (Companion is not run here).
const work = await workloads(apiKey);
for (const route of routes) {
  if (!(route in work)) throw new Error(`unknown route ${route}; one of ${Object.keys(work).join(', ')}`);
}
const servers = {
  before: await before.startBenchServer('./http-server.mjs', ['fast'], { BENCH_API_KEY: apiKey }),
  after: await startBenchServer('./http-server.mjs', ['fast'], { BENCH_API_KEY: apiKey }),
  floor: await startBenchServer('./http-server.mjs', ['floor']),
};

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

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const results = Object.fromEntries(routes.map((route) => [route, { before: [], after: [], floor: [] }]));
try {
  for (let round = 1; round <= rounds; round++) {
    for (const route of routes) {
      const { ours, floor } = work[route];
      const urls = ours.urls;
      const amount = Math.floor(requests / (urls === 1 ? 1 : 10));
      const r = results[route];
      // Each round starts with another server: loaded in a fixed order, the second of two
      // copies of the same build read 2-4% cheaper than the first (8 rounds, 2026-12-06).
      const names = ['before', 'after', 'floor'];
      const order = names.slice(round % 3).concat(names.slice(0, round % 3));
      for (const name of order) {
        const target = name === 'floor' ? floor : ours;
        r[name].push((await cpuPerRequest(servers[name], target.requests, amount)) / urls);
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
