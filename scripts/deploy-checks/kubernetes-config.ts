// The pod's configuration as the service reads it: the image's ENV, the ConfigMap and the
// container's env (Secrets resolved) pass the service's own loadConfig; secrets come only from
// Secrets; the callers file is mounted where AUTH_CLIENTS_FILE says, and accepted.
import { at, dict, list, type Check, type Dict } from './check.js';
import type { DeployFiles } from './files.js';
import { workload } from './kubernetes-workload.js';
import { clientsProblems, configProblems, unknownEnvNames } from './service-config.js';

/** Variables that hold a credential: only a secretKeyRef may set them. */
const SECRET_VARIABLES = ['RATE_LIMIT_REDIS_URL', 'UPLOAD_TOKEN_SECRET'];

/** The value an env entry takes from a Secret defined here (stringData, or base64 data). */
function secretValue(files: DeployFiles, variable: Dict): { value?: string | undefined; problem?: string } {
  const ref = dict(at(variable, 'valueFrom', 'secretKeyRef'));
  if (Object.keys(ref).length === 0) return {};
  const secret = files.objectsOfKind('Secret').find((candidate) => candidate.name === ref.name);
  if (!secret) {
    // An optional reference to a Secret made outside version control: unset until it exists.
    if (ref.optional === true) return { value: undefined };
    return { problem: `secretKeyRef names Secret ${String(ref.name)}, which is not defined here (make it optional)` };
  }
  const plain = dict(secret.value.stringData)[String(ref.key)];
  if (typeof plain === 'string') return { value: plain };
  const encoded = dict(secret.value.data)[String(ref.key)];
  if (typeof encoded === 'string') return { value: Buffer.from(encoded, 'base64').toString('utf8') };
  return { problem: `Secret ${secret.name} has no key ${String(ref.key)}` };
}

/** The ConfigMap the container takes its environment from (envFrom). */
function settings(files: DeployFiles): { name: string; data: Dict } | undefined {
  const names = list(workload(files).container.envFrom).map((entry) => at(entry, 'configMapRef', 'name'));
  const configMap = files.objectsOfKind('ConfigMap').find((candidate) => names.includes(candidate.name));
  return configMap && { name: configMap.name, data: dict(configMap.value.data) };
}

/** The environment the service starts with: image ENV, then the ConfigMap, then env. */
function podEnvironment(files: DeployFiles): { env: Record<string, string>; problems: string[] } {
  const env: Record<string, string> = { ...files.imageEnvironment() };
  for (const [key, value] of Object.entries(settings(files)?.data ?? {})) env[key] = String(value);
  const problems: string[] = [];
  for (const variable of list(workload(files).container.env).map(dict)) {
    const name = String(variable.name);
    if (typeof variable.value === 'string') env[name] = variable.value;
    const fromSecret = secretValue(files, variable);
    if (fromSecret.problem) problems.push(`env ${name}: ${fromSecret.problem}`);
    else if (fromSecret.value !== undefined) env[name] = fromSecret.value;
  }
  return { env, problems };
}

export const CHECKS: Check[] = [
  {
    area: 'kubernetes',
    name: 'the pod environment (image ENV + ConfigMap + env) names only variables the service reads, and passes its loadConfig',
    run(files) {
      const { container, namedPorts } = workload(files);
      const configMap = settings(files);
      if (!configMap) return ['the container takes its environment from no ConfigMap (envFrom)'];
      const { env, problems } = podEnvironment(files);
      const names = [...Object.keys(configMap.data), ...list(container.env).map((v) => String(dict(v).name))];
      problems.push(...unknownEnvNames(names).map((name) => `unknown variable ${name}`));
      problems.push(...configProblems(env));
      const port = Number(env.PORT ?? '8080');
      if (namedPorts.get('http') !== port) problems.push(`containerPort "http" is not PORT (${port})`);
      return problems;
    },
  },
  {
    area: 'kubernetes',
    name: `secrets (${SECRET_VARIABLES.join(', ')}) come only from a Secret defined here; the replicas share Redis and the upload-ID key`,
    run(files) {
      const configMap = settings(files);
      const variables = list(workload(files).container.env).map(dict);
      const problems: string[] = [];
      for (const name of SECRET_VARIABLES) {
        if (configMap && name in configMap.data) problems.push(`the ConfigMap sets ${name}: it belongs in a Secret`);
        const variable = variables.find((candidate) => candidate.name === name);
        if (!variable) continue;
        if (variable.value !== undefined) problems.push(`${name} is a literal value, not a secretKeyRef`);
        if (Object.keys(dict(at(variable, 'valueFrom', 'secretKeyRef'))).length === 0) {
          problems.push(`${name} has no valueFrom.secretKeyRef`);
        }
        const fromSecret = secretValue(files, variable);
        if (fromSecret.problem) problems.push(`${name}: ${fromSecret.problem}`);
      }
      // What each replica would otherwise keep to itself: its rate-limit counts, and the key
      // that binds multipart upload IDs (drawn per process, so a part request reaching another
      // replica than the create would be refused UPLOAD_NOT_ALLOWED).
      const shared: Array<[string, string]> = [
        ['RATE_LIMIT_REDIS_URL', 'replicas would count rate limits on their own'],
        ['UPLOAD_TOKEN_SECRET', "each replica would refuse the others' multipart upload IDs"],
      ];
      for (const [name, why] of shared) {
        if (!variables.some((variable) => variable.name === name))
          problems.push(`the container has no ${name}: ${why}`);
      }
      return problems;
    },
  },
  {
    area: 'kubernetes',
    name: 'the callers file is mounted at AUTH_CLIENTS_FILE, and the service accepts it',
    run(files) {
      const { container, podSpec } = workload(files);
      const { env } = podEnvironment(files);
      const file = env.AUTH_CLIENTS_FILE ?? '';
      const mount = list(container.volumeMounts)
        .map(dict)
        .find((candidate) => file.startsWith(`${String(candidate.mountPath)}/`));
      if (!mount) return [`no volumeMount holds AUTH_CLIENTS_FILE=${file}`];
      const volume = list(podSpec.volumes)
        .map(dict)
        .find((candidate) => candidate.name === mount.name);
      const source = files
        .objectsOfKind('ConfigMap')
        .find((candidate) => candidate.name === at(volume, 'configMap', 'name'));
      const text = dict(source?.value.data)[file.slice(String(mount.mountPath).length + 1)];
      return clientsProblems(env, typeof text === 'string' ? text : undefined, `ConfigMap ${source?.name ?? '?'}`);
    },
  },
];
