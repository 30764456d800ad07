// The configuration and requests every benchmark uses: regional mode (what production runs),
// temporary credentials (so URLs carry a session token), and a rotating mix of keys so that no
// single-key memo flatters a number.
import { fork } from 'node:child_process';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';

export const BUCKET = 'bench-bucket';
export const REGION = 'eu-west-1';

/** The service's environment for a given engine; loadConfig turns it into a Config. */
export function benchEnv(engine) {
  return {
    S3_ENDPOINT_MODE: 'regional',
    S3_REGION: REGION,
    S3_BUCKETS: BUCKET,
    PRESIGN_ENGINE: engine,
    LOG_LEVEL: 'info',
    // Issue 3's per-caller rate limit: high enough that the bench measures presigning, not 429s.
    RATE_LIMIT_MAX: '1000000',
    RATE_LIMIT_WINDOW_SECONDS: '60',
    // A path is required outside local mode; the bench builds its callers in memory instead.
    AUTH_CLIENTS_FILE: '/dev/null',
    // Multipart upload IDs are HMAC tokens: the bench mints one with the same secret.
    UPLOAD_TOKEN_SECRET: 'bench-upload-token-secret-bench-upload-token-secret',
  };
}

/** Temporary credentials that outlive any run: nothing clamps, every URL has a token. */
export function benchCredentials() {
  return {
    accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    sessionToken: `IQoJb3JpZ2luX2VjEXAMPLE/${'A'.repeat(300)}+token=`,
    expiration: new Date(Date.now() + 24 * 3600_000),
  };
}

const CHECKSUM = 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=';

/** A third plain GETs, a third PUTs binding type, length and checksum, a third GETs with a download name. */
export function presignRequests(count = 1024) {
  const requests = [];
  for (let i = 0; i < count; i++) {
    const key = `uploads/2026/11/user-${i % 97}/photo ${i} (original).jpg`;
    switch (i % 3) {
      case 0:
        requests.push({ operation: 'get', bucket: BUCKET, key, expiresIn: 900 });
        break;
      case 1:
        requests.push({
          operation: 'put',
          bucket: BUCKET,
          key,
          expiresIn: 900,
          contentType: 'image/jpeg',
          contentLength: 1_048_576 + i,
          checksumSha256: CHECKSUM,
        });
        break;
      default:
        requests.push({
          operation: 'get',
          bucket: BUCKET,
          key,
          expiresIn: 900,
          responseContentDisposition: `attachment; filename="photo ${i}.jpg"`,
        });
    }
  }
  return requests;
}

/** The same mix as JSON bodies for POST /presign (the bucket defaults to the first allowed). */
export function presignBodies(count = 64) {
  return presignRequests(count).map(({ bucket: _bucket, ...body }) => JSON.stringify(body));
}

/** The in-process variants, in the order each round runs them. */
export const VARIANTS = ['sdk engine', 'fast engine', 'sdk + validation', 'fast + validation', 'validation alone'];

export function machine() {
  return { node: process.version, platform: `${process.platform} ${process.arch}` };
}

/**
 * Forks a bench server script (bench/http-server.mjs, bench/companion-server.mjs) in its own
 * process and talks to it over IPC: it reports its port, answers `rss` and `cpu`, and exits on
 * `close` (killed after 5 s otherwise).
 */
export async function startBenchServer(script, args, env) {
  const child = fork(new URL(script, import.meta.url), args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)));
  });
  const ask = (question) =>
    new Promise((resolve) => {
      child.once('message', (message) => resolve(message[question]));
      child.send(question);
    });
  const close = async () => {
    child.send('close');
    await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  return { port, rss: () => ask('rss'), cpu: () => ask('cpu'), ask, close };
}
