// npm run bench: the signing engines in-process, then over HTTP against a hello-world
// baseline measured in the same run. Not part of npm test: nothing here asserts a timing.
//
//   npm run bench                        build, then both parts
//   node bench/run.mjs --only=in-process (or http, or shared-routes) after npm run build
//   node bench/run.mjs --only=shared-routes --shared-runs=3 --shared-duration=5   (issue 22)
//   node bench/run.mjs --runs=7 --warmup-ms=700 --run-ms=1500 --duration=10 --warmup=3
//
// In-process: --runs rounds; each round measures every variant once, each in a fresh process
// (--warmup-ms, then --run-ms timed), so no variant runs on another's heap and machine noise
// falls on all of them alike; the median round counts.
//   engine          credentials lookup + the engine's sign() for a request the Presigner has decided
//   + validation    Presigner.presign(): checks, credentials, clamping, the engine, the validator
//   validation      validatePresignedUrl() alone, on the fast engine's URLs
// HTTP: each target in its own process on 127.0.0.1; autocannon with 50 connections, a
// --warmup, then --duration seconds measured; the server's CPU time per request and its RSS
// after the load. Beside hello-world and the service, two bare Fastify POSTs bound what the
// service can reach here: `echo` answers a presign-sized body, `floor` signs and validates
// through the service's own Presigner; both write the same one log line per request.
import { fork } from 'node:child_process';
import console from 'node:console';
import os from 'node:os';
import process from 'node:process';
import { URL } from 'node:url';
import autocannon from 'autocannon';
import { commandLineOptions } from './options.mjs';
import { machine, presignBodies, startBenchServer, VARIANTS } from './workload.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const options = commandLineOptions();
const RUNS = Number(options.runs ?? 5);
const RUN_MS = Number(options['run-ms'] ?? 1000);
const WARMUP_MS = Number(options['warmup-ms'] ?? 700);
const DURATION_S = Number(options.duration ?? 10);
const WARMUP_S = Number(options.warmup ?? 3);
const CONNECTIONS = 50;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const fmt = (value, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mark = (ok) => (ok ? 'met' : 'NOT MET');

// ---- in-process -------------------------------------------------------------------------

/** One warmed-up, timed run of a variant in a fresh process (bench/in-process.mjs). */
function measureInChild(variant) {
  const child = fork(new URL('./in-process.mjs', import.meta.url), [variant, String(WARMUP_MS), String(RUN_MS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.rate));
    child.once(
      'exit',
      (code) => code !== 0 && reject(new Error(`${variant}: the measuring process exited with ${code}`)),
    );
  });
}

async function inProcess() {
  console.log(
    `\nin-process: ${RUNS} rounds; each round runs every variant once, in a fresh process, ` +
      `${WARMUP_MS} ms warm-up then ${RUN_MS} ms timed (median of the rounds)`,
  );
  const samples = Object.fromEntries(VARIANTS.map((name) => [name, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const variant of VARIANTS) samples[variant].push(await measureInChild(variant));
    process.stdout.write('.');
  }
  process.stdout.write('\n');

  const rate = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
  const rows = VARIANTS.map((name) => {
    const vs =
      name === 'fast engine'
        ? `${fmt(rate[name] / rate['sdk engine'], 1)}× sdk engine`
        : name === 'fast + validation'
          ? `${fmt(rate[name] / rate['sdk + validation'], 1)}× sdk + validation, ${fmt(rate[name] / rate['sdk engine'], 1)}× sdk engine`
          : '';
    return [name, fmt(rate[name]), fmt(1e6 / rate[name], 2), vs];
  });
  printTable(['in-process, one core', 'URLs/s', 'µs/URL', 'ratio'], rows);
  return rate;
}

// ---- HTTP --------------------------------------------------------------------------------

async function load(port, target, apiKey, seconds) {
  const requests =
    target === 'hello'
      ? [{ method: 'GET', path: '/hello' }]
      : presignBodies().map((body) => ({
          method: 'POST',
          path: '/presign',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
          body,
        }));
  return autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: seconds, requests });
}

async function http() {
  const { generateApiKey } = await import('../dist/auth/api-keys.js').catch(() => ({ generateApiKey: () => '' }));
  const apiKey = generateApiKey();
  console.log(
    `\nHTTP: autocannon, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up then ${DURATION_S} s per target, each server in its own process`,
  );
  const results = {};
  for (const target of ['hello', 'echo', 'floor', 'fast', 'sdk']) {
    const server = await startBenchServer('./http-server.mjs', [target], { BENCH_API_KEY: apiKey });
    try {
      await load(server.port, target, apiKey, WARMUP_S);
      const cpuBefore = await server.cpu();
      const result = await load(server.port, target, apiKey, DURATION_S);
      const cpuAfter = await server.cpu();
      const failed = result.non2xx + result.errors + result.timeouts;
      if (failed > 0) {
        process.exitCode = 1;
        console.error(`${target}: ${failed} failed requests (non-2xx ${result.non2xx}, errors ${result.errors})`);
      }
      results[target] = {
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        rss: await server.rss(),
        // The server process's CPU time (all its threads, user and system) per request served:
        // steadier than req/s when autocannon and the server share the cores.
        cpuUs:
          (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / Math.max(1, result.requests.total),
        total: result.requests.total,
        failed,
      };
      process.stdout.write('.');
    } finally {
      await server.close();
    }
  }
  process.stdout.write('\n');
  const label = {
    hello: 'hello-world (GET /hello)',
    echo: 'bare Fastify POST, same shape',
    floor: 'bare Fastify POST + Presigner',
    fast: 'POST /presign, fast',
    sdk: 'POST /presign, sdk',
  };
  printTable(
    ['HTTP target', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'RSS after load', 'vs hello-world'],
    Object.entries(results).map(([target, r]) => [
      label[target],
      fmt(r.rps),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      fmt(r.cpuUs),
      `${fmt(r.rss / 1024 ** 2)} MB`,
      target === 'hello' ? '1.00×' : `${fmt(r.rps / results.hello.rps, 2)}×`,
    ]),
  );
  return results;
}

// ---- report ------------------------------------------------------------------------------

function printTable(header, rows) {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => `| ${cells.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`);
  for (const row of rows) console.log(line(row));
}

const cpus = os.cpus();
const { node, platform } = machine();
console.log(
  `machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${fmt(os.totalmem() / 1024 ** 3, 1)} GiB, ` +
    `${platform} (${os.release()}), Node.js ${node}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);

const targets = [];
if (options.only === undefined || options.only === 'in-process') {
  const rate = await inProcess();
  // Two readings of "25× sdk": the same pipeline on each engine, and against the bare SDK engine.
  const alike = rate['fast + validation'] / rate['sdk + validation'];
  targets.push(['fast + validation ≥ 25× sdk + validation', `${fmt(alike, 1)}×`, mark(alike >= 25)]);
  const strict = rate['fast + validation'] / rate['sdk engine'];
  targets.push(['fast + validation ≥ 25× sdk engine (no validation)', `${fmt(strict, 1)}×`, mark(strict >= 25)]);
  const validationUs = 1e6 / rate['validation alone'];
  targets.push(['validation alone < 5 µs/URL', `${fmt(validationUs, 2)} µs`, mark(validationUs < 5)]);
}
if (options.only === undefined || options.only === 'http') {
  const results = await http();
  const ratio = results.fast.rps / results.hello.rps;
  targets.push(['/presign (fast) ≥ 0.40× hello-world req/s', `${fmt(ratio, 2)}×`, mark(ratio >= 0.4)]);
  targets.push(['/presign (fast) p99 ≤ 5 ms', `${fmt(results.fast.p99, 1)} ms`, mark(results.fast.p99 <= 5)]);
  // Not targets: what the same request reaches with less of the service, for reading the two above.
  const floorRatio = results.floor.rps / results.hello.rps;
  targets.push([
    '  for reference: bare POST + Presigner (no auth, limits, schema, headers, metrics)',
    `${fmt(floorRatio, 2)}×, p99 ${fmt(results.floor.p99, 1)} ms`,
    '',
  ]);
  const echoRatio = results.echo.rps / results.hello.rps;
  targets.push([
    '  for reference: bare POST, no signing',
    `${fmt(echoRatio, 2)}×, p99 ${fmt(results.echo.p99, 1)} ms`,
    '',
  ]);
  const rssMb = results.fast.rss / 1024 ** 2;
  targets.push(['/presign (fast) RSS after load ≤ 150 MB', `${fmt(rssMb)} MB`, mark(rssMb <= 150)]);
}
if (options.only === undefined || options.only === 'shared-routes' || options.only === 'large-uploads') {
  const { sharedRoutes } = await import('./shared-routes.mjs');
  const { generateApiKey } = await import('../dist/auth/api-keys.js');
  targets.push(
    ...(await sharedRoutes({
      apiKey: generateApiKey(),
      runs: Number(options['shared-runs'] ?? 3),
      // Fewer than the /presign runs: a Companion batch of 100 takes long enough that 50
      // connections queue requests past autocannon's timeout. Every target gets the same.
      connections: 10,
      warmupS: WARMUP_S,
      durationS: Number(options['shared-duration'] ?? 5),
      fmt,
      mark,
      printTable,
    })),
  );
}
console.log('\ntargets (issues 4, 10 and 22)');
printTable(['target', 'measured', ''], targets);
