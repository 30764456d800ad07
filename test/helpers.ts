// Builds the real app for tests: configuration through loadConfig, the embedded S3 server
// (which verifies signatures) on an ephemeral port, and a log capture when asked.
import { Writable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { Sha512 } from '@aws-sdk/checksums/sha';
import { Xxh3_128, Xxh3_64, Xxh64 } from '@aws-sdk/checksums/xxh';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { buildApp, loggerOptions, type AppDependencies } from '../src/app.js';
import type { Config } from '../src/config/config.js';
import { UNDECLARED_ERROR_MESSAGE } from '../src/http/error-handler.js';
import { generateApiKey, hashApiKey } from '../src/auth/api-keys.js';
import { callerRegistryFrom, developmentRegistry, type CallerRegistry } from '../src/auth/callers.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../src/local/embedded-s3.js';
import { staticCredentialSource, type CredentialSource } from '../src/presign/credentials.js';
import { configFrom } from './fixtures/config.js';
import { EXAMPLE_CREDENTIALS, UNCHECKED_CREDENTIALS } from './fixtures/credentials.js';
import { onEmbeddedStore } from './fixtures/endpoint-modes.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// The shared fixtures, here too for the tests that import them from this module.
export { configFrom, EXAMPLE_CREDENTIALS, UNCHECKED_CREDENTIALS };

/** Collects every log line the app writes, parsed. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface LocalApp {
  app: FastifyInstance;
  /** The development caller's key, and the header that presents it. */
  apiKey: string;
  auth: { authorization: string };
  s3: EmbeddedS3;
  config: Config;
  logs: LogCapture;
}

/** The app in local mode against a fresh embedded S3 server; both closed after the test. */
export async function startLocalApp(
  t: TestContext,
  env: Record<string, string> = {},
  deps: Partial<AppDependencies> = {},
  options: { clients?: unknown } = {},
): Promise<LocalApp> {
  const base = configFrom({ S3_ENDPOINT_MODE: 'local', LOG_LEVEL: 'info', ...env });
  const s3 = await startEmbeddedS3({ buckets: base.buckets });
  t.after(() => s3.close());
  const config = onEmbeddedStore(base, s3);
  const built = await buildTestApp(t, config, staticCredentialSource(s3.credentials, 'embedded-s3'), deps, options);
  return { ...built, s3, config };
}

/**
 * The app over a configuration that names its store, with a development key (or the given
 * clients) and a log capture; closed after the test.
 */
export async function buildTestApp(
  t: TestContext,
  config: Config,
  credentials: CredentialSource,
  deps: Partial<AppDependencies> = {},
  options: { clients?: unknown } = {},
): Promise<Omit<LocalApp, 's3' | 'config'>> {
  const logs = new LogCapture();
  const apiKey = generateApiKey();
  const app = await buildApp(config, {
    callers:
      options.clients === undefined
        ? developmentRegistry(config, hashApiKey(apiKey))
        : registryOf(options.clients, config),
    credentials,
    logger: loggerOptions(config, logs),
    ...deps,
  });
  t.after(() => app.close());
  t.after(() => assertErrorsDeclared(logs));
  return { app, logs, apiKey, auth: { authorization: `Bearer ${apiKey}` } };
}

/**
 * Every error a test provokes is checked against the codes its route declares in the OpenAPI
 * document: a code the declaration misses fails the test that saw it.
 */
export function assertErrorsDeclared(logs: LogCapture): void {
  const undeclared = logs.lines
    .map((line) => JSON.parse(line) as { msg?: string; route?: string; code?: string; statusCode?: number })
    .filter((line) => line.msg === UNDECLARED_ERROR_MESSAGE)
    .map((line) => `${line.route} answered ${line.statusCode} ${line.code}`);
  assert.deepEqual(
    [...new Set(undeclared)],
    [],
    "add these codes to the route's errorResponses (or to the list of what it calls)",
  );
}

function registryOf(clients: unknown, config: Config): CallerRegistry {
  const result = callerRegistryFrom(clients, config);
  if (!result.ok) throw new Error(`test clients are invalid: ${result.problems.join('; ')}`);
  return result.registry;
}

/** An SDK client for the embedded S3 server: path-style, its keys, no checksum additions. */
export function embeddedS3Client(s3: EmbeddedS3): S3Client {
  return new S3Client({
    endpoint: s3.endpoint.href,
    region: s3.region,
    forcePathStyle: true,
    credentials: s3.credentials,
    // Newer SDK defaults add CRC32 checksum headers/trailers that s3rver does not understand.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The SDK validates a GET's x-amz-checksum-* in checksum mode, and throws for the
    // algorithms it has no default implementation of: these are its own.
    checksumAlgorithms: { SHA512: Sha512, XXHASH64: Xxh64, XXHASH3: Xxh3_64, XXHASH128: Xxh3_128 },
  });
}

/** A URL's query as [name, value] pairs, as written (still percent-encoded), in order. */
export function queryOf(url: string): Array<[string, string]> {
  return (url.split('?')[1] ?? '').split('&').map((pair) => pair.split('=') as [string, string]);
}

/**
 * The app in an AWS mode (regional unless `env` says otherwise), signing with the example
 * credentials and a development key for its one caller; answers `inject`, never reaches AWS.
 */
export async function startAwsModeApp(
  t: TestContext,
  env: Record<string, string>,
): Promise<{ app: FastifyInstance; config: Config; auth: { authorization: string } }> {
  const config = configFrom({ S3_ENDPOINT_MODE: 'regional', AUTH_CLIENTS_FILE: '/dev/null', ...env });
  const apiKey = generateApiKey();
  const app = await buildApp(config, {
    callers: developmentRegistry(config, hashApiKey(apiKey)),
    credentials: staticCredentialSource(EXAMPLE_CREDENTIALS, 'test'),
    logger: false,
  });
  t.after(() => app.close());
  return { app, config, auth: { authorization: `Bearer ${apiKey}` } };
}

/**
 * An upload's headers without the provenance every upload carries (x-amz-meta-uploaded-by,
 * x-amz-meta-grant; test/http/audit.test.ts checks those): for tests about the other headers.
 */
export function withoutProvenance(headers: Record<string, string>): Record<string, string> {
  const { 'x-amz-meta-uploaded-by': _by, 'x-amz-meta-grant': _grant, ...rest } = headers;
  return rest;
}
