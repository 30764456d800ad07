// How far any Fastify route can go against Uppy Companion on this machine, for the two routes
// where issue 22's ≥ 10× is not met (single URL against /s3/params, POST policy). Per round and
// route, in turn: `echo` (bench/http-server.mjs: a bare Fastify POST that parses the same body,
// answers a fixed presign-sized document and writes the one log line, with no signing at all),
// the floor (the same, signing and validating through the service's Presigner), ours, and
// Companion. Prints each one's server CPU µs per URL and Companion's cost over it: a route that
// does the floor's work cannot read more than the floor does, nor a Fastify route more than echo.
//   node bench/ceiling.mjs [--rounds=3] [--duration=5]   after npm run build, COMPANION_DIR set
// echo answers on /presign only: for the POST policy it takes the /uploads bodies there.
import console from 'node:console';
import process from 'node:process';
import { generateApiKey } from '../dist/auth/api-keys.js';
import { commandLineOptions } from './options.mjs';
import { measure, workloads } from './shared-routes.mjs';
import { machine, startBenchServer } from './workload.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const options = commandLineOptions();
const rounds = Number(options.rounds ?? 3);
const load = { connections: 10, warmupS: 3, durationS: Number(options.duration ?? 5), urlsPerRequest: 1 };
if (!process.env.COMPANION_DIR) throw new Error('set COMPANION_DIR to a Companion install (docs/performance.md)');

const apiKey = generateApiKey();
const routes = await workloads(apiKey);
const servers = {
  echo: await startBenchServer('./http-server.mjs', ['echo']),
  floor: await startBenchServer('./http-server.mjs', ['floor']),
  ours: await startBenchServer('./http-server.mjs', ['fast'], { BENCH_API_KEY: apiKey }),
  companion: await startBenchServer('./companion-server.mjs', [], { COMPANION_DIR: process.env.COMPANION_DIR }),
};
const onEcho = (requests) => requests.map((request) => ({ ...request, path: '/presign' }));
const readings = [
  {
    label: 'single URL vs /s3/params',
    echo: onEcho(routes.single.floor.requests),
    floor: routes.single.floor.requests,
    ours: routes.single.ours.requests,
    companion: routes.post.companion.requests,
  },
  {
    label: 'POST policy',
    echo: onEcho(routes.post.floor.requests),
    floor: routes.post.floor.requests,
    ours: routes.post.ours.requests,
    companion: routes.post.companion.requests,
  },
];
const targets = ['echo', 'floor', 'ours', 'companion'];
const { node, platform } = machine();
console.log(`${platform}, Node.js ${node}; ${rounds} rounds of ${targets.join(', ')} in turn, server CPU µs per URL`);
try {
  for (let round = 1; round <= rounds; round++) {
    for (const reading of readings) {
      const cost = {};
      for (const target of targets) cost[target] = (await measure(servers[target], reading[target], load)).cpuUsPerUrl;
      const over = (target) => `${(cost.companion / cost[target]).toFixed(1)}×`;
      console.log(
        `round ${round}, ${reading.label}: ` +
          targets.map((target) => `${target} ${cost[target].toFixed(1)}`).join(', ') +
          `; Companion over echo ${over('echo')}, over the floor ${over('floor')}, over ours ${over('ours')}`,
      );
    }
  }
} finally {
  await Promise.all(Object.values(servers).map((server) => server.close()));
}
