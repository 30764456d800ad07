// One benchmark target in its own process, so its RSS is its own: `hello` (a bare Fastify
// hello-world route, the baseline), `echo` (a bare Fastify POST of the same shape: the
// framework's floor) or `fast` / `sdk` (the service built by buildApp, with
// authentication, rate limiting, validation and request logging at info). Listens on
// 127.0.0.1 only and reports its port, then its RSS on request, over IPC.
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import Fastify, { LogController } from 'fastify';
import { benchCredentials, benchEnv } from './workload.mjs';

const target = process.argv[2];

async function helloWorld() {
  const app = Fastify();
  app.get('/hello', async () => ({ hello: 'world' }));
  return app;
}

/**
 * The framework's floor for this request shape: a bare Fastify POST that parses the same
 * JSON body and answers a presign-sized JSON document, with the same one-line-per-request
 * logging at info. No auth, policy, signing, validation, helmet or zod: what /presign could
 * reach if all of those cost nothing.
 */
async function echo({ answer = presignSizedAnswer() } = {}) {
  const { default: pino } = await import('pino');
  const app = Fastify({
    logger: { level: 'info', stream: pino.destination({ dest: '/dev/null', sync: true }) },
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.addHook('onResponse', async (request, reply) => {
    reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
  if (answer) app.post('/presign', async () => answer);
  return app;
}

function presignSizedAnswer() {
  return {
    url: `https://bench-bucket.s3.eu-west-1.amazonaws.com/${'x'.repeat(760)}`,
    method: 'GET',
    headers: {},
    expiresAt: new Date().toISOString(),
    expiresIn: 900,
    bucket: 'bench-bucket',
    key: 'uploads/2026/11/user-1/photo 1 (original).jpg',
    endpoint: { mode: 'regional', host: 'bench-bucket.s3.eu-west-1.amazonaws.com' },
  };
}

/**
 * The floor with the work that cannot go: the `echo` server, but answering what the service's
 * own Presigner (fast engine, validator included) mints for the parsed body. What /presign
 * could reach if authentication, rate limiting, schema validation, security headers and
 * metrics cost nothing.
 */
async function signingFloor() {
  const app = await echo({ answer: null });
  const { loadConfig } = await import('../dist/config/config.js');
  const { createPresigner } = await import('../dist/presign/create-presigner.js');
  const { staticCredentialSource } = await import('../dist/presign/credentials.js');
  const result = loadConfig(benchEnv('fast'));
  if (!result.ok) throw new Error(`bench configuration refused: ${result.problems.join('; ')}`);
  const { presigner } = await createPresigner(result.config, {
    credentials: staticCredentialSource(benchCredentials(), 'bench'),
  });
  const bucket = result.config.buckets[0];
  app.post('/presign', async (request) => {
    const presigned = await presigner.presign({ bucket, ...request.body });
    return { ...presigned, expiresAt: presigned.expiresAt.toISOString() };
  });
  // The other routes shared with Companion (bench/shared-routes.mjs): the same signing and
  // validation as the service's, for a key picked the same way, without the route around it.
  app.post('/uploads', async (request) => {
    const { filename, contentType, contentLength } = request.body;
    const signed = await presigner.presignPost({
      bucket,
      key: `uploads/bench/${randomUUID()}/${filename}`,
      contentType,
      contentLengthRange: [contentLength, contentLength],
      expiresIn: 900,
    });
    return { url: signed.url, method: 'POST', fields: signed.fields, key: signed.key, expiresAt: signed.expiresAt };
  });
  app.post('/multipart/parts', async (request) => {
    const { key, uploadId, partNumbers, contentLength, partSize } = request.body;
    const lastPart = Math.ceil(contentLength / partSize);
    const signed = await presigner.presignParts({
      bucket,
      key,
      uploadId,
      expiresIn: 900,
      parts: partNumbers.map((partNumber) => ({
        partNumber,
        contentLength: partNumber === lastPart ? contentLength - (lastPart - 1) * partSize : partSize,
      })),
    });
    return { parts: signed.parts, expiresAt: signed.expiresAt.toISOString() };
  });
  return app;
}

async function service(engine) {
  // Loaded here, not at the top: the hello-world process must not carry the service's modules.
  const { default: pino } = await import('pino');
  const { buildApp, loggerOptions } = await import('../dist/app.js');
  const { loadConfig } = await import('../dist/config/config.js');
  const { staticCredentialSource } = await import('../dist/presign/credentials.js');
  const result = loadConfig(benchEnv(engine));
  if (!result.ok) throw new Error(`bench configuration refused: ${result.problems.join('; ')}`);
  const config = result.config;
  // Request logs at info, the cost of writing them kept in: to standard output as deployed
  // (the parent sends it to /dev/null), or to BENCH_LOG_FILE to read them.
  const file = process.env.BENCH_LOG_FILE;
  const deps = {
    credentials: staticCredentialSource(benchCredentials(), 'bench'),
    logger: loggerOptions(config, file ? pino.destination({ dest: file, sync: true }) : undefined),
    ...(await authenticationDeps(config)),
  };
  return buildApp(config, deps);
}

// ─── AUTHENTICATION (issue 3) ─────────────────────────────────────────────────────────────
// /presign needs a caller. The bench registers one API-key client that may do everything the
// service allows; the parent sends `Authorization: Bearer $BENCH_API_KEY`. If the auth API
// changes, this is the one place to adapt.
async function authenticationDeps(config) {
  const apiKey = process.env.BENCH_API_KEY;
  let auth;
  try {
    auth = {
      callers: await import('../dist/auth/callers.js'),
      keys: await import('../dist/auth/api-keys.js'),
    };
  } catch {
    return {}; // a tree without authentication: /presign is open
  }
  if (!apiKey) throw new Error('BENCH_API_KEY is not set');
  const registry = auth.callers.callerRegistryFrom(
    {
      clients: [
        {
          id: 'bench',
          apiKeySha256: auth.keys.hashApiKey(apiKey),
          policy: { operations: ['get', 'put'], keyPrefixes: [''] },
        },
      ],
    },
    config,
  );
  if (!registry.ok) throw new Error(`bench callers refused: ${registry.problems.join('; ')}`);
  return { callers: registry.registry };
}
// ───────────────────────────────────────────────────────────────────────────────────────────

const targets = {
  hello: helloWorld,
  echo,
  floor: signingFloor,
  fast: () => service('fast'),
  sdk: () => service('sdk'),
};
if (!(target in targets)) throw new Error(`unknown target ${target}; one of ${Object.keys(targets).join(', ')}`);
const app = await targets[target]();
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address();
/** An inspector session on this process, its `post` as a promise. */
async function inspectorSession() {
  const session = new (await import('node:inspector')).Session();
  session.connect();
  return (method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
}
let stopProfiler;
process.on('message', async (message) => {
  if (message === 'rss') process.send({ rss: process.memoryUsage().rss });
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
  if (message === 'pid') process.send({ pid: process.pid });
  // bench/profile.mjs: a CPU profile of the measured window only, without start-up and warm-up.
  if (message === 'profile-start') {
    const post = await inspectorSession();
    stopProfiler = async () => (await post('Profiler.stop')).profile;
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_PROFILE_INTERVAL_US ?? 1000) });
    await post('Profiler.start');
    process.send({ 'profile-start': true });
  }
  // bench/profile.mjs --heap: every allocation of the measured window, sampled (the objects a
  // scavenge collected included), so the bytes a request allocates can be laid at their source.
  if (message === 'heap-start') {
    const post = await inspectorSession();
    stopProfiler = async () => (await post('HeapProfiler.stopSampling')).profile;
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: Number(process.env.BENCH_HEAP_INTERVAL_BYTES ?? 1024),
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    process.send({ 'heap-start': true });
  }
  if (message === 'profile-stop' || message === 'heap-stop') process.send({ [message]: await stopProfiler() });
  if (message === 'close') {
    await app.close();
    process.exit(0);
  }
});
process.send({ port });
