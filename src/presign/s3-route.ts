// Where a bucket's requests go and what they are signed for: the SDK's endpoint rule set,
// evaluated once per bucket exactly as the SDK evaluates it per request.
import { GetObjectCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import type { PinnedS3 } from '../endpoint/s3-client.js';
import { LruCache } from '../lru-cache.js';

/** Where a bucket's URLs go and what they are signed for. */
export interface S3Route {
  origin: string;
  host: string;
  /** Before `/KEY`: '' when the endpoint path is `/`, else the endpoint path. */
  pathPrefix: string;
  signingRegion: string;
  signingService: string;
}

/** A bucket whose endpoint needs what this engine does not model (S3 Express, SigV4a, headers). */
export const DELEGATE = Symbol('delegate');
export type RouteEntry = S3Route | typeof DELEGATE;

type EndpointParams = Record<string, unknown>;
type EndpointInstruction =
  | { type: 'staticContextParams'; value: unknown }
  | { type: 'contextParams' | 'clientContextParams' | 'builtInParams'; name: string };

/** Resolves and remembers each bucket's route; the least recently used is forgotten first. */
export class S3RouteResolver {
  readonly #s3: PinnedS3;
  readonly #routes: LruCache<string, RouteEntry>;
  readonly #clientParams = new WeakMap<S3Client, Promise<EndpointParams | undefined>>();

  constructor(s3: PinnedS3, maxCachedBuckets = 1000) {
    this.#s3 = s3;
    this.#routes = new LruCache(maxCachedBuckets);
  }

  /** The remembered route, or undefined when the bucket has not been resolved yet. */
  cached(bucket: string): RouteEntry | undefined {
    return this.#routes.get(bucket);
  }

  /** Resolves the bucket's route and remembers it. */
  async resolve(bucket: string): Promise<RouteEntry> {
    const client = this.#s3.clientFor(bucket);
    let clientParams = this.#clientParams.get(client);
    if (!clientParams) {
      clientParams = modelledClientParams(client);
      this.#clientParams.set(client, clientParams);
    }
    const params = await clientParams;
    // A resolution error is thrown, not cached: the Presigner turns it into PRESIGN_FAILED,
    // as it does when getSignedUrl throws the same error.
    const route = params === undefined ? DELEGATE : routeFor(client, { ...params }, bucket);
    this.#routes.set(bucket, route);
    return route;
  }
}

/**
 * The client-wide endpoint parameters, resolved once, exactly as the SDK resolves them for
 * each request (smithy's resolveParams and createConfigValueProvider). Undefined when the
 * client is configured in a way that changes a presigned URL beyond the endpoint, which this
 * engine leaves to the SDK: flexible checksums other than WHEN_REQUIRED, or endpoint URLs read
 * from the environment or a profile.
 */
async function modelledClientParams(client: S3Client): Promise<EndpointParams | undefined> {
  const config = client.config as unknown as Record<string, unknown>;
  const value = async (name: string) => {
    const setting = config[name];
    return typeof setting === 'function' ? (setting as () => unknown)() : setting;
  };
  if ((await value('requestChecksumCalculation')) !== 'WHEN_REQUIRED') return undefined;
  if ((await value('responseChecksumValidation')) !== 'WHEN_REQUIRED') return undefined;
  if (!config.isCustomEndpoint && !config.ignoreConfiguredEndpointUrls) return undefined;

  const instructions = sameInstructions();
  const clientContext = (config.clientContextParams ?? {}) as Record<string, unknown>;
  const params: EndpointParams = {};
  for (const [param, instruction] of Object.entries(instructions)) {
    switch (instruction.type) {
      case 'staticContextParams':
        params[param] = instruction.value;
        break;
      case 'contextParams':
        // Bucket is per route; the rule set has no Key parameter (the SDK's own endpoint
        // cache leaves Key out of its cache key for the same reason).
        break;
      case 'clientContextParams':
      case 'builtInParams': {
        const { name } = instruction;
        if (name === 'endpoint') {
          params[param] = config.isCustomEndpoint === false ? undefined : endpointParam(await value('endpoint'));
          break;
        }
        let setting = instruction.type === 'clientContextParams' ? clientContext[name] : undefined;
        setting ??= config[name] ?? config[param];
        params[param] = typeof setting === 'function' ? await (setting as () => unknown)() : setting;
        break;
      }
    }
  }
  return params;
}

/** GetObject, PutObject and UploadPart share one set of endpoint instructions, hence one route per bucket. */
function sameInstructions(): Record<string, EndpointInstruction> {
  const get = GetObjectCommand.getEndpointParameterInstructions() as Record<string, EndpointInstruction>;
  for (const other of [PutObjectCommand, UploadPartCommand]) {
    if (JSON.stringify(get) !== JSON.stringify(other.getEndpointParameterInstructions())) {
      throw new Error('GetObject, PutObject and UploadPart resolve endpoints differently in this SDK version');
    }
  }
  return get;
}

function endpointParam(endpoint: unknown): unknown {
  if (endpoint && typeof endpoint === 'object') {
    if ('url' in endpoint) return (endpoint as { url: URL }).url.href;
    if ('hostname' in endpoint) {
      const { protocol, hostname, port, path } = endpoint as {
        protocol: string;
        hostname: string;
        port?: number;
        path: string;
      };
      return `${protocol}//${hostname}${port ? `:${port}` : ''}${path}`;
    }
  }
  return endpoint;
}

/** Also smithy's separate "lowercase" and "at least 3 characters" tests, which it implies. */
const DNS_COMPATIBLE_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The SDK's S3 customisations of the parameters (smithy's resolveParamsForS3, and bucket-name validation). */
function routeFor(client: S3Client, params: EndpointParams, bucket: string): RouteEntry {
  const parts = bucket.split(':');
  const arnLike = parts[0] === 'arn' && parts.length >= 6;
  if (arnLike && !(parts[1] && parts[2] && parts[5])) throw new Error(`Invalid ARN: ${bucket} was an invalid ARN.`);
  params.Bucket = bucket.replace(/#/g, '%23').replace(/\?/g, '%3F');
  if (arnLike) {
    if (params.ForcePathStyle === true) throw new Error('Path-style addressing cannot be used with ARN buckets');
  } else if (
    !DNS_COMPATIBLE_BUCKET.test(bucket) ||
    // The SDK's own test, copied as it is; `bucket` is one the operator allowed (at most 255
    // characters, validated at start-up and per request), never free input.
    // eslint-disable-next-line regexp/no-super-linear-move
    /(\d+\.){3}\d+/.test(bucket) ||
    bucket.includes('..') ||
    (bucket.includes('.') && !String(params.Endpoint).startsWith('http:'))
  ) {
    params.ForcePathStyle = true;
  }
  if (params.DisableMultiRegionAccessPoints) {
    params.disableMultiRegionAccessPoints = true;
    params.DisableMRAP = true;
  }

  const resolve = client.config.endpointProvider;
  const endpoint = resolve(params as Parameters<typeof resolve>[0], { logger: client.config.logger });
  // getSignedUrl validates the name after it has resolved the endpoint: the rules' refusal comes first.
  if (!arnLike && bucket.includes('/')) throw new Error(`Bucket name shouldn't contain '/', received '${bucket}'`);
  const url = endpoint.url;
  const scheme = endpoint.properties?.authSchemes?.[0] as
    { name?: string; signingName?: string; signingRegion?: string } | undefined;
  const plain =
    scheme?.name === 'sigv4' &&
    typeof scheme.signingName === 'string' &&
    typeof scheme.signingRegion === 'string' &&
    Object.keys(endpoint.headers ?? {}).length === 0 &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === '';
  if (!plain) return DELEGATE;
  // getSignedUrl's request carries the port whenever the endpoint URL names one; the URL
  // shows it only when non-zero, the Host header whenever it is set.
  const port = url.port === '' ? undefined : Number(url.port);
  return {
    origin: `${url.protocol}//${url.hostname}${port ? `:${port}` : ''}`,
    host: `${url.hostname}${port !== undefined ? `:${port}` : ''}`,
    pathPrefix: url.pathname === '/' ? '' : url.pathname,
    signingRegion: scheme.signingRegion as string,
    signingService: scheme.signingName as string,
  };
}
