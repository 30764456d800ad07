// The process: reads the environment, starts the embedded S3 server in local mode,
// listens, and shuts down gracefully. It and src/cli.ts (the CLI's process) are the only
// modules that touch process.env.
import closeWithGrace from 'close-with-grace';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp } from './app.js';
import { AuditFileUnwritable } from './audit/audit-plugin.js';
import { generateApiKey, hashApiKey } from './auth/api-keys.js';
import { developmentRegistry, loadCallerRegistry, type CallerRegistry } from './auth/callers.js';
import { describeEncryption, formatConfigProblems, loadConfig, type Config } from './config/config.js';
import { serviceOrigins } from './local/bucket-cors.js';
import { DEVELOPMENT_TOKEN_LIFETIME_SECONDS, DevelopmentTokenIssuer } from './local/development-tokens.js';
import type { EmbeddedS3 } from './local/embedded-s3.js';
import { staticCredentialSource } from './presign/credentials.js';

async function main(): Promise<void> {
  const result = loadConfig(process.env);
  if (!result.ok) {
    process.stderr.write(`${formatConfigProblems(result.problems)}\n`);
    process.exit(1);
  }
  let config = result.config;
  // Read before anything starts, so that its refusal has nothing to clean up.
  const redisPassword = await readRedisPassword(config);
  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups) await cleanup();
  };
  /** Ends a start that cannot go on. What it had started goes first: the embedded store's folder. */
  const refuseStart = async (problems: readonly string[]): Promise<never> => {
    process.stderr.write(`${formatConfigProblems(problems)}\n`);
    await cleanUp();
    process.exit(1);
  };

  let localS3: EmbeddedS3 | undefined;
  if (config.mode.kind === 'local') {
    localS3 = await startLocalS3(config);
    cleanups.push(localS3.close);
    config = { ...config, mode: { ...config.mode, endpoint: localS3.endpoint } };
  }

  let callers: CallerRegistry;
  let developmentKey: string | undefined;
  if (config.auth.clientsFile !== undefined) {
    const loaded = await loadCallerRegistry(config.auth.clientsFile, config);
    callers = loaded.ok ? loaded.registry : await refuseStart(loaded.problems);
  } else {
    // Local mode only (the configuration requires a clients file elsewhere): a fresh key per start.
    developmentKey = generateApiKey();
    callers = developmentRegistry(config, hashApiKey(developmentKey));
  }

  // Local mode, with or without a clients file: frontends get tokens without an identity provider.
  const developmentTokens = config.mode.kind === 'local' ? await DevelopmentTokenIssuer.create() : undefined;

  const app = await buildApp(config, {
    callers,
    redisPassword,
    developmentTokens,
    // The embedded store's own key pair, drawn at its start.
    credentials: localS3 ? staticCredentialSource(localS3.credentials, 'embedded-s3') : undefined,
  }).catch(async (error: unknown) => {
    if (error instanceof AuditFileUnwritable) return refuseStart([error.message]);
    await cleanUp();
    throw error;
  });
  const drainMs = config.server.shutdownDrainMs;
  closeWithGrace({ delay: drainMs + CLOSE_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an uncaught error');
    else app.log.info({ signal, drainMs }, 'shutting down');
    if (!err && drainMs > 0) {
      // Load balancers that poll /readyz stop sending before the listener goes away.
      app.readiness.draining = true;
      await sleep(drainMs);
    }
    await app.close();
    await cleanUp();
  });

  // The first requests should count in Redis, but a Redis that is down must not keep the
  // service from starting: its failure policy covers the wait.
  await app.rateLimiter.connected(REDIS_STARTUP_WAIT_MS);
  const { host, port } = config.server;
  const address = await app.listen({ host, port }).catch(async (error: NodeJS.ErrnoException) => {
    const problem = listenRefusal(error.code, host, port);
    if (problem === undefined) throw error;
    await app.close();
    return refuseStart([problem]);
  });
  if (localS3 !== undefined) {
    // Only now is the port known (PORT=0 picks one): the /demo page's origin, and the
    // frontends the service itself allows, may use the embedded bucket from a browser.
    const { port } = app.server.address() as AddressInfo;
    await localS3.allowCorsOrigins([...serviceOrigins(port), ...config.cors.origins]);
  }
  app.log.info(
    { address, mode: config.mode.kind, buckets: config.buckets, encryption: describeEncryption(config) },
    's3-presign is ready',
  );
  if (localS3 !== undefined) process.stdout.write(localBanner(address, config, localS3, developmentKey));
}

const REDIS_STARTUP_WAIT_MS = 2000;
/** Requests in flight when the listener closes have this long to finish, after the drain. */
const CLOSE_GRACE_MS = 10_000;

/** The operator's mistakes a listen reports, each with what to change, rather than an uncaught error. */
function listenRefusal(code: string | undefined, host: string, port: number): string | undefined {
  switch (code) {
    case 'EADDRINUSE':
      return `PORT: port ${port} on ${host} is in use; set PORT to a free port (0 picks one)`;
    case 'EACCES':
      return `PORT: listening on port ${port} is not permitted (ports under 1024 need privileges); set PORT to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `HOST: ${host} is not an address of this machine; set HOST to one of its addresses, or 0.0.0.0 for all`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `HOST: ${host} does not resolve to an address; set HOST to an address of this machine, or 0.0.0.0 for all`;
    default:
      return undefined;
  }
}

/** RATE_LIMIT_REDIS_PASSWORD_FILE (a mounted Kubernetes Secret): one password, trailing newline dropped. */
async function readRedisPassword(config: Config): Promise<string | undefined> {
  const file = config.rateLimit.redis?.passwordFile;
  if (file === undefined) return undefined;
  let password: string;
  try {
    password = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    process.stderr.write(
      `${formatConfigProblems([`RATE_LIMIT_REDIS_PASSWORD_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`])}\n`,
    );
    process.exit(1);
  }
  if (password === '' || /[\r\n]/.test(password)) {
    process.stderr.write(
      `${formatConfigProblems([`RATE_LIMIT_REDIS_PASSWORD_FILE: ${file} must hold one password on one line`])}\n`,
    );
    process.exit(1);
  }
  return password;
}

async function startLocalS3(config: Config): Promise<EmbeddedS3> {
  const port = config.localS3Port ?? 0;
  // s3rver never reports a taken port (the error escapes as an uncaught exception),
  // so ask the OS first and fail with a message that says what to do.
  if (port !== 0 && !(await portIsFree(port))) {
    process.stderr.write(
      `LOCAL_S3_PORT: port ${port} on 127.0.0.1 is in use; set LOCAL_S3_PORT to a free port (0 picks one)\n`,
    );
    process.exit(1);
  }
  const { startEmbeddedS3 } = await import('./local/embedded-s3.js');
  return startEmbeddedS3({ port, buckets: config.buckets });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * What local mode serves, exactly: the embedded store (with the key pair it drew), the demo
 * page and the development token issuer (always; loopback only), and the development API key
 * when there is no clients file, each with a command to try.
 */
function localBanner(address: string, config: Config, localS3: EmbeddedS3, developmentKey: string | undefined): string {
  const json = `-H 'content-type: application/json'`;
  const extract = (field: string) => `node -pe 'JSON.parse(require("fs").readFileSync(0)).${field}'`;
  const presign = (body: string) =>
    `curl -s -X POST ${address}/presign -H "authorization: Bearer $KEY" ${json} -d '${body}'`;
  const headerLines = `node -pe 'Object.entries(JSON.parse(require("fs").readFileSync(0)).headers).map(([k, v]) => k + ": " + v).join("\\n")'`;
  const callers = developmentKey
    ? `  API key:      ${developmentKey}   (development only, new at every start; a service, every route)\n`
    : `  callers:      from ${config.auth.clientsFile} (no development API key)\n`;
  return `
s3-presign is running in local mode (development only).
  service:      ${address}   (API docs: ${address}/docs)
  embedded S3:  ${localS3.endpoint.origin}   bucket: ${config.buckets[0]}
                its key pair, new at every start (for s3-presign url/upload/doctor and the AWS CLI):
                AWS_ACCESS_KEY_ID=${localS3.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${localS3.credentials.secretAccessKey}
  demo page:    ${address}/demo   (from this machine only)
  dev tokens:   POST ${address}/dev/token {"sub":"alice"}   (from this machine only; JWTs for the
                frontend routes, keys under users/<sub>/, valid ${DEVELOPMENT_TOKEN_LIFETIME_SECONDS / 60} minutes)
${callers}
Upload, then download, through presigned URLs:

  KEY=${developmentKey ?? '<your API key>'}
  put=$(${presign('{"operation":"put","key":"hello.txt","contentType":"text/plain"}')})
  url=$(echo "$put" | ${extract('url')})
  headers=$(echo "$put" | ${headerLines})
  echo "$headers" | curl -s -X PUT -H @- --data-binary 'hello from s3-presign' "$url"   # every header the answer lists (signed provenance too)

  url=$(${presign('{"operation":"get","key":"hello.txt"}')} | ${extract('url')})
  curl -s "$url"

As a frontend, with a development token:

  TOKEN=$(curl -s -X POST ${address}/dev/token ${json} -d '{"sub":"alice"}' | ${extract('token')})
  curl -s -X POST ${address}/uploads -H "authorization: Bearer $TOKEN" ${json} -d '{"filename":"hello.txt","contentType":"text/plain","contentLength":21}'

`;
}

await main();
