// What docker-compose.yml must wire together for this project: the service in custom mode
// against the SeaweedFS store (its S3 port and identity), the bucket job, Redis for the rate
// limits, the callers file; the whole environment accepted by the service's own loadConfig.
// The Compose schema (compose-schema.ts) already holds the file's shape.
import { existsSync, readFileSync } from 'node:fs';
import { at, dict, isDict, list, type Check, type Dict } from './check.js';
import { composeInterpolate, type DeployFiles } from './files.js';
import { clientsProblems, configProblems, unknownEnvNames } from './service-config.js';
import { imagePinProblem } from './versions.js';

const SERVICE = 's3-presign';
/** The S3-compatible store of the stack, and the one-shot job that creates its bucket. */
const STORE_SERVICE = 'seaweedfs';
const BUCKET_JOB = 'create-bucket';

function composeEnvironment(service: Dict): { env: Record<string, string>; problems: string[] } {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  const raw = service.environment;
  const entries: Array<[string, unknown]> = Array.isArray(raw)
    ? raw.map((item) => {
        const [key, ...value] = String(item).split('=');
        return [key ?? '', value.join('=')];
      })
    : Object.entries(dict(raw));
  for (const [key, value] of entries) {
    if (typeof value === 'boolean') problems.push(`${key}: a YAML boolean; quote it ("${value}")`);
    else if (value !== null && value !== undefined) env[key] = composeInterpolate(String(value));
  }
  return { env, problems };
}

/** The parts of the compose file every check below reads. */
function stack(files: DeployFiles) {
  const compose = files.compose();
  const services = dict(compose.services);
  const names = Object.keys(services);
  const service = dict(services[SERVICE]);
  const { env, problems: envProblems } = composeEnvironment(service);
  const store = dict(services[STORE_SERVICE]);
  const storeCommand = list(store.command).map(String);
  const hasImageHealthcheck = files.dockerfile().getHEALTHCHECKs().length > 0;
  return {
    compose,
    services,
    names,
    service,
    env,
    envProblems,
    /** The service's environment as the container sees it: the image's ENV under compose's. */
    effectiveEnv: { ...files.imageEnvironment(), ...env },
    store,
    storeEnv: composeEnvironment(store).env,
    storeCommand,
    /** `-s3.port=N` on the store's command line, else SeaweedFS's default. */
    s3Port: /^-s3\.port=(\d+)$/.exec(storeCommand.find((arg) => arg.startsWith('-s3.port=')) ?? '')?.[1] ?? '8333',
    oneShot: (name: string) => String(dict(services[name]).restart) === 'no',
    hasHealthcheck: (name: string) => {
      const candidate = dict(services[name]);
      if (isDict(candidate.healthcheck)) return candidate.healthcheck.disable !== true;
      return candidate.build !== undefined && hasImageHealthcheck;
    },
  };
}

const hostOf = (url: string | undefined) => (url && URL.canParse(url) ? new URL(url) : undefined);

export const CHECKS: Check[] = [
  {
    area: 'compose',
    name: `services ${STORE_SERVICE}, ${BUCKET_JOB} (one-shot) and ${SERVICE}; images pinned to an exact version`,
    run(files) {
      const { names, services, oneShot } = stack(files);
      const problems = [STORE_SERVICE, BUCKET_JOB, SERVICE]
        .filter((n) => !names.includes(n))
        .map((n) => `no ${n} service`);
      if (names.includes(BUCKET_JOB) && !oneShot(BUCKET_JOB)) problems.push(`${BUCKET_JOB} is not restart: 'no'`);
      for (const name of names) {
        const image = dict(services[name]).image;
        if (typeof image === 'string') {
          const problem = imagePinProblem(composeInterpolate(image));
          if (problem) problems.push(`${name}: ${problem}`);
        }
      }
      return problems;
    },
  },
  {
    area: 'compose',
    name: 'depends_on targets exist and their conditions can be met; long-running services have a healthcheck',
    run(files) {
      const { names, services, oneShot, hasHealthcheck } = stack(files);
      const problems = names
        .filter((name) => !oneShot(name) && !hasHealthcheck(name))
        .map((name) => `${name} has no healthcheck (in compose or the Dockerfile)`);
      for (const name of names) {
        const dependsOn = dict(services[name]).depends_on;
        const entries: Array<[string, unknown]> = Array.isArray(dependsOn)
          ? dependsOn.map((target) => [String(target), { condition: 'service_started' }])
          : Object.entries(dict(dependsOn));
        for (const [target, spec] of entries) {
          if (!(target in services)) problems.push(`${name} depends on ${target}, which is not a service`);
          const condition = dict(spec).condition ?? 'service_started';
          if (condition === 'service_healthy' && !hasHealthcheck(target)) {
            problems.push(`${name} waits for ${target} to be healthy; it has no healthcheck`);
          }
          const restart = String(dict(services[target]).restart);
          if (condition === 'service_completed_successfully' && ['always', 'unless-stopped'].includes(restart)) {
            problems.push(`${name} waits for ${target} to complete, but ${target} restarts ${restart}`);
          }
        }
      }
      return problems;
    },
  },
  {
    area: 'compose',
    name: `${SERVICE} waits for every other service: healthy, or completed for one-shot jobs; named volumes declared`,
    run(files) {
      const { compose, names, services, oneShot } = stack(files);
      const problems = names
        .filter((name) => name !== SERVICE)
        .flatMap((name) => {
          const expected = oneShot(name) ? 'service_completed_successfully' : 'service_healthy';
          const condition = at(services, SERVICE, 'depends_on', name, 'condition');
          return condition === expected
            ? []
            : [`${SERVICE} -> ${name}: condition ${String(condition)}, expected ${expected}`];
        });
      const declared = new Set(Object.keys(dict(compose.volumes)));
      for (const name of names) {
        for (const volume of list(dict(services[name]).volumes)) {
          const source = typeof volume === 'string' ? volume.split(':')[0] : String(dict(volume).source);
          if (source && !/^[./~]/.test(source) && !declared.has(source)) {
            problems.push(`${name} uses volume ${source}, which is not declared`);
          }
        }
      }
      return problems;
    },
  },
  {
    area: 'compose',
    name: `${SERVICE}'s environment (with the image's ENV) passes the service's loadConfig: custom mode, string values, known names`,
    run(files) {
      const { env, envProblems, effectiveEnv, names } = stack(files);
      const problems = [...envProblems, ...unknownEnvNames(Object.keys(env)).map((n) => `unknown variable ${n}`)];
      const expected: Record<string, string> = {
        S3_ENDPOINT_MODE: 'custom',
        S3_ALLOW_HTTP: 'true',
        S3_FORCE_PATH_STYLE: 'true',
      };
      for (const [key, value] of Object.entries(expected)) {
        if (env[key] !== value) problems.push(`${key} is ${JSON.stringify(env[key])}, expected "${value}"`);
      }
      const endpoint = hostOf(env.S3_ENDPOINT_URL);
      if (!names.includes(endpoint?.hostname ?? '')) {
        problems.push(`S3_ENDPOINT_URL host "${endpoint?.hostname ?? ''}" is not a compose service`);
      }
      return [...problems, ...configProblems(effectiveEnv)];
    },
  },
  {
    area: 'compose',
    name: `${SERVICE} replicas (--scale) share the upload-ID key and count rate limits in an unpublished Redis of this file, which they wait for`,
    run(files) {
      const { env, names, service, services } = stack(files);
      if (env.UPLOAD_TOKEN_SECRET === undefined)
        return ["no UPLOAD_TOKEN_SECRET: replicas would refuse each other's upload IDs"];
      if (env.RATE_LIMIT_REDIS_URL === undefined) return ['no RATE_LIMIT_REDIS_URL: replicas would count on their own'];
      const host = hostOf(env.RATE_LIMIT_REDIS_URL)?.hostname ?? '';
      if (!names.includes(host)) return [`RATE_LIMIT_REDIS_URL host "${host}" is not a compose service`];
      const problems: string[] = [];
      if (at(service, 'depends_on', host, 'condition') !== 'service_healthy') {
        problems.push(`${SERVICE} does not wait for ${host} to be healthy`);
      }
      if (list(dict(services[host]).ports).length > 0) problems.push(`${host} publishes ports: keep it on the network`);
      return problems;
    },
  },
  {
    area: 'compose',
    name: `${SERVICE} mounts AUTH_CLIENTS_FILE, and the service accepts its callers`,
    run(files) {
      const { service, effectiveEnv } = stack(files);
      const mount = list(service.volumes)
        .map(String)
        .map((volume) => volume.split(':'))
        .find(([, target]) => target === effectiveEnv.AUTH_CLIENTS_FILE);
      const source = mount?.[0] ? files.path(mount[0]) : undefined;
      const text = source && existsSync(source) ? readFileSync(source, 'utf8') : undefined;
      return clientsProblems(effectiveEnv, text, mount?.[0] ?? 'volumes');
    },
  },
  {
    area: 'compose',
    name: `${STORE_SERVICE}: "weed mini" with its data on a volume, an S3 identity, a healthcheck on the S3 port; ${SERVICE} reaches that port with that identity`,
    run(files) {
      const { store, storeEnv, storeCommand, s3Port, env } = stack(files);
      const problems: string[] = [];
      if (storeCommand[0] !== 'mini')
        problems.push(`command is ${JSON.stringify(storeCommand)}, expected "mini" first`);
      const dir = /^-dir=(.+)$/.exec(storeCommand.find((arg) => arg.startsWith('-dir=')) ?? '')?.[1];
      if (!dir) problems.push('no -dir=: the data would live in the working directory of the image');
      const mounted = list(store.volumes).map((volume) =>
        typeof volume === 'string' ? volume.split(':')[1] : String(dict(volume).target),
      );
      if (dir && !mounted.includes(dir))
        problems.push(`-dir=${dir} is not a mounted volume: data is lost with the container`);
      // Without an identity the S3 gateway accepts anonymous requests and checks no signature.
      if (!storeEnv.AWS_ACCESS_KEY_ID || !storeEnv.AWS_SECRET_ACCESS_KEY) {
        problems.push(
          'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set: without them no signature is verified',
        );
      }
      const probe = list(at(store, 'healthcheck', 'test'))
        .map(String)
        .join(' ');
      if (!probe.includes(`:${s3Port}/healthz`))
        problems.push(`the healthcheck does not probe the S3 gateway's /healthz on ${s3Port}`);
      const endpoint = hostOf(env.S3_ENDPOINT_URL);
      if (endpoint?.hostname !== STORE_SERVICE) problems.push(`S3_ENDPOINT_URL does not name ${STORE_SERVICE}`);
      if (endpoint && endpoint.port !== s3Port)
        problems.push(`S3_ENDPOINT_URL port ${endpoint.port}, the S3 gateway listens on ${s3Port}`);
      for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
        if (!env[key] || env[key] !== storeEnv[key]) problems.push(`${key} does not match ${STORE_SERVICE}'s`);
      }
      return problems;
    },
  },
  {
    area: 'compose',
    name: `${BUCKET_JOB} runs the store's image once it is healthy, creates every bucket in S3_BUCKETS, and is safe to re-run`,
    run(files) {
      const { services, store, env } = stack(files);
      const job = dict(services[BUCKET_JOB]);
      const text = JSON.stringify(job);
      const problems = (env.S3_BUCKETS ?? '')
        .split(',')
        .map((bucket) => bucket.trim())
        .filter((bucket) => bucket && !text.includes(bucket))
        .map((bucket) => `bucket ${bucket} is not mentioned by ${BUCKET_JOB}`);
      if (at(job, 'depends_on', STORE_SERVICE, 'condition') !== 'service_healthy') {
        problems.push(`${BUCKET_JOB} does not wait for ${STORE_SERVICE} to be healthy`);
      }
      if (job.image !== store.image) problems.push(`${BUCKET_JOB} runs ${String(job.image)}, not the store's image`);
      if (!text.includes('s3.bucket.create')) problems.push('no "s3.bucket.create"');
      if (!text.includes('s3.bucket.list')) problems.push('does not check s3.bucket.list first (a re-run would fail)');
      return problems;
    },
  },
  {
    area: 'compose',
    name: `${SERVICE} publishes its PORT`,
    run(files) {
      const { service, effectiveEnv } = stack(files);
      const port = effectiveEnv.PORT ?? '8080';
      const published = list(service.ports).map((entry) =>
        typeof entry === 'string' ? entry.split(':').pop() : String(dict(entry).target),
      );
      return published.includes(port) ? [] : [`container port ${port} is not published (${published.join(', ')})`];
    },
  },
];
