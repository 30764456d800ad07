// Profiles one bench server under load (node --cpu-prof) and prints where its CPU time goes:
// self time by package, by function and by source line, and the time under each function.
//   node bench/profile.mjs single|post|parts [--seconds=10] [--warmup=3] [--target=fast|floor] [--dir=/tmp/x] [--lines=25] [--heap]
// after npm run build. --heap counts bytes allocated per request instead (sampled every 1 KiB,
// BENCH_HEAP_INTERVAL_BYTES). Only the measured window is profiled (1 ms sampling, BENCH_PROFILE_INTERVAL_US); the .cpuprofile
// stays in --dir (.profiles by default) for Chrome DevTools or speedscope.
import console from 'node:console';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import autocannon from 'autocannon';
import { commandLineOptions } from './options.mjs';
import { benchEnv, presignBodies, startBenchServer } from './workload.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const route = process.argv[2] ?? 'single';
const options = commandLineOptions();
const seconds = Number(options.seconds ?? 10);
const target = options.target ?? 'fast';
const dir = options.dir ?? join(process.cwd(), '.profiles');
mkdirSync(dir, { recursive: true });

const { generateApiKey } = await import('../dist/auth/api-keys.js');
const { UploadTokens } = await import('../dist/multipart/upload-token.js');
const apiKey = generateApiKey();
const env = benchEnv('fast');
const key = 'uploads/bench/holiday video.mp4';
const partNumbers = Array.from({ length: 100 }, (_, i) => i + 1);
const uploadId = new UploadTokens(Buffer.from(env.UPLOAD_TOKEN_SECRET, 'utf8')).issue(
  {
    s3UploadId: 'VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA',
    bucket: env.S3_BUCKETS,
    contentLength: 100 * 8 * 1024 ** 2 - 12_345,
    partSize: 8 * 1024 ** 2,
    expiresAt: Math.floor(Date.now() / 1000) + 86_400,
  },
  { id: 'bench', kind: 'api-key', subject: undefined },
  key,
);
const json = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
const bodies = {
  single: ['/presign', presignBodies()],
  post: [
    '/uploads',
    Array.from({ length: 16 }, (_, i) =>
      JSON.stringify({ filename: `photo ${i}.png`, contentType: 'image/png', contentLength: 1e6 + i, method: 'post' }),
    ),
  ],
  parts: ['/multipart/parts', [JSON.stringify({ key, uploadId, partNumbers })]],
}[route];

const where = (frame) => {
  const url = frame.url.replace(/^file:\/\//, '').replace(process.cwd(), '.');
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1];
  return {
    pkg:
      pkg ?? (url.startsWith('./dist') ? 'service' : url === '' ? '(native)' : url.startsWith('node:') ? 'node' : url),
    url,
  };
};
const server = await startBenchServer('./http-server.mjs', [target], { BENCH_API_KEY: apiKey });
const requests = bodies[1].map((body) => ({ method: 'POST', path: bodies[0], headers: json, body }));
const load = (duration) => autocannon({ url: `http://127.0.0.1:${server.port}`, connections: 10, duration, requests });
await load(Number(options.warmup ?? 3));
if (options.heap !== undefined) {
  await server.ask('heap-start');
  const result = await load(seconds);
  const profile = await server.ask('heap-stop');
  await server.close();
  writeFileSync(join(dir, `${route}-${target}.heapprofile`), JSON.stringify(profile));
  printAllocations(profile, result.requests.total);
} else {
  await cpuProfile();
}

async function cpuProfile() {
  await server.ask('profile-start');
  const before = await server.cpu();
  const result = await load(seconds);
  const after = await server.cpu();
  const profile = await server.ask('profile-stop');
  await server.close();
  writeFileSync(join(dir, `${route}-${target}.cpuprofile`), JSON.stringify(profile));
  const perRequestUs = (value) => (value / result.requests.total).toFixed(1);
  console.log(
    `${target} ${route}: ${result.requests.total} requests, ${result.non2xx} non-2xx; server CPU per request ` +
      `${perRequestUs(after.user + after.system - before.user - before.system)} µs ` +
      `(user ${perRequestUs(after.user - before.user)}, system ${perRequestUs(after.system - before.system)}; profiler on)`,
  );

  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const idleId = profile.nodes.find((node) => node.callFrame.functionName === '(idle)')?.id;
  const selfCount = new Map();
  for (const sample of profile.samples) if (sample !== idleId) selfCount.set(sample, (selfCount.get(sample) ?? 0) + 1);
  const total = profile.samples.filter((id) => id !== idleId).length;
  // Samples off the idle frame share out the measured CPU time per request.
  const cpuPerRequest = (after.user + after.system - before.user - before.system) / result.requests.total;
  const perRequest = (count) => ((count / total) * cpuPerRequest).toFixed(2);
  const selfBy = (label) => {
    const sums = new Map();
    for (const [id, count] of selfCount) {
      const name = label(byId.get(id).callFrame);
      sums.set(name, (sums.get(name) ?? 0) + count);
    }
    return [...sums].sort((a, b) => b[1] - a[1]);
  };
  const show = (title, rows, n) => {
    console.log(`\n${title} (% of busy samples, share of server CPU µs per request)`);
    for (const [name, count] of rows.slice(0, n))
      console.log(`${((100 * count) / total).toFixed(1).padStart(5)}%  ${perRequest(count).padStart(7)}  ${name}`);
  };
  show(
    'self time by package',
    selfBy((frame) => where(frame).pkg),
    15,
  );
  const selfByFunction = selfBy(
    (frame) =>
      `${frame.functionName || '(anonymous)'} ${where(frame).url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`,
  );
  // For comparing two profiles (before and after a change, the service and the floor).
  writeFileSync(
    join(dir, `${route}-${target}.self.json`),
    JSON.stringify(Object.fromEntries(selfByFunction.map(([name, count]) => [name, Number(perRequest(count))]))),
  );
  show('self time by function', selfByFunction, 40);
  // Self time by source line, from the profile's position ticks: an inlined callee or a slow
  // language path (Node 20 copies `{ ...a, b }` on one) shows up as one line of its caller.
  const lineTicks = new Map();
  for (const node of profile.nodes) {
    if (node.id === idleId || !node.callFrame.url.startsWith('file:')) continue;
    for (const { line, ticks } of node.positionTicks ?? []) {
      const key = `${node.callFrame.url}\n${line}`;
      lineTicks.set(key, (lineTicks.get(key) ?? 0) + ticks);
    }
  }
  const sources = new Map();
  const sourceLine = (url, line) => {
    if (!sources.has(url)) sources.set(url, readFileSync(fileURLToPath(url), 'utf8').split('\n'));
    return (sources.get(url)[line - 1] ?? '').trim().slice(0, 90);
  };
  // A node's position ticks are its self samples, by line.
  console.log('\nself time by line, JavaScript files (share of server CPU µs per request)');
  for (const [key, ticks] of [...lineTicks].sort((a, b) => b[1] - a[1]).slice(0, Number(options.lines ?? 25))) {
    const [url, line] = key.split('\n');
    console.log(
      `${perRequest(ticks).padStart(7)}  ${where({ url }).url.split('/').slice(-2).join('/')}:${line}  ${sourceLine(url, Number(line))}`,
    );
  }
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map();
  for (const [id, count] of selfCount) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at).callFrame;
      const name = `${frame.functionName || '(anonymous)'} ${where(frame).url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + count);
    }
  }
  show(
    'inclusive time by function',
    [...inclusive].sort((a, b) => b[1] - a[1]),
    Number(options.inclusive ?? 60),
  );
}

/**
 * --heap: bytes allocated per request (a sampled estimate, the objects scavenges collected
 * included) by function and by package. Allocation is work the CPU profile does not show as
 * such: each request's new objects push the next ones' code and data out of the caches.
 */
function printAllocations(profile, requests) {
  const byFunction = new Map();
  const byPackage = new Map();
  let total = 0;
  const visit = (node) => {
    const frame = node.callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${where(frame).url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
    total += node.selfSize;
    byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
    byPackage.set(where(frame).pkg, (byPackage.get(where(frame).pkg) ?? 0) + node.selfSize);
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  console.log(`${target} ${route}: ${requests} requests, ${(total / requests).toFixed(0)} bytes allocated per request`);
  for (const [title, sums, n] of [
    ['by package', byPackage, 15],
    ['by function', byFunction, Number(options.lines ?? 40)],
  ]) {
    console.log(`\nbytes allocated per request, ${title}`);
    for (const [name, bytes] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, n))
      console.log(`${(bytes / requests).toFixed(0).padStart(7)}  ${name}`);
  }
}
