// The Deployment as this service needs it: two replicas spread over zones and nodes, locked
// down (non-root as the image's own uid, read-only, no capabilities), with resources, and
// probes on the routes meant for them, on ports the container declares.
import { at, dict, isDict, list, type Check, type Dict } from './check.js';
import type { DeployFiles } from './files.js';
import { imagePinProblem } from './versions.js';

export const SERVICE = 's3-presign';

/** The Deployment's pod: spec, labels, the service's container and its named ports. */
export function workload(files: DeployFiles) {
  const deployment = files.objectsOfKind('Deployment')[0]?.value ?? {};
  const podSpec = dict(at(deployment, 'spec', 'template', 'spec'));
  const containers = list(podSpec.containers).map(dict);
  const container: Dict = containers.find((c) => c.name === SERVICE) ?? containers[0] ?? {};
  return {
    deployment,
    podSpec,
    podLabels: at(deployment, 'spec', 'template', 'metadata', 'labels'),
    container,
    namedPorts: new Map(list(container.ports).map((port) => [dict(port).name, dict(port).containerPort])),
  };
}

export function sameLabels(selector: unknown, labels: unknown): boolean {
  const wanted = Object.entries(dict(selector));
  return wanted.length > 0 && wanted.every(([key, value]) => dict(labels)[key] === value);
}

/** A Kubernetes quantity as a number (cores or bytes); undefined when it is not one. */
export function quantity(raw: unknown): number | undefined {
  const match = /^([0-9.]+)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(String(raw ?? ''));
  if (!match) return undefined;
  const factors: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    Ki: 2 ** 10,
    M: 1e6,
    Mi: 2 ** 20,
    G: 1e9,
    Gi: 2 ** 30,
    T: 1e12,
    Ti: 2 ** 40,
  };
  return Number(match[1]) * (match[2] ? (factors[match[2]] ?? NaN) : 1);
}

export const CHECKS: Check[] = [
  {
    area: 'kubernetes',
    name: 'Deployment: 2 replicas, a selector that matches the pod labels, its ServiceAccount, a grace period',
    run(files) {
      const { deployment, podSpec, podLabels } = workload(files);
      const problems: string[] = [];
      if (at(deployment, 'spec', 'replicas') !== 2) problems.push('spec.replicas is not 2');
      if (!sameLabels(at(deployment, 'spec', 'selector', 'matchLabels'), podLabels)) {
        problems.push('spec.selector.matchLabels does not match the pod template labels');
      }
      const serviceAccount = podSpec.serviceAccountName;
      if (!serviceAccount) problems.push('no serviceAccountName');
      else if (!files.objectsOfKind('ServiceAccount').some((sa) => sa.name === serviceAccount)) {
        problems.push(`serviceAccountName ${String(serviceAccount)} is not defined here`);
      }
      if (typeof podSpec.terminationGracePeriodSeconds !== 'number') problems.push('no terminationGracePeriodSeconds');
      return problems;
    },
  },
  {
    area: 'kubernetes',
    name: "Deployment security: non-root as the image's USER, seccomp RuntimeDefault, read-only root, no capabilities",
    run(files) {
      const { podSpec, container } = workload(files);
      const pod = dict(podSpec.securityContext);
      const own = dict(container.securityContext);
      const problems: string[] = [];
      if (pod.runAsNonRoot !== true && own.runAsNonRoot !== true) problems.push('runAsNonRoot is not true');
      const uid = own.runAsUser ?? pod.runAsUser;
      if (uid === 0) problems.push('runAsUser is 0');
      const imageUser = files
        .finalStage()
        ?.instructions.filter((instruction) => instruction.getKeyword() === 'USER')
        .pop()
        ?.getArgumentsContent()
        ?.split(':')[0];
      if (uid !== undefined && imageUser !== undefined && String(uid) !== imageUser) {
        problems.push(`runAsUser ${String(uid)} differs from the image's USER ${imageUser}`);
      }
      if ((at(own, 'seccompProfile', 'type') ?? at(pod, 'seccompProfile', 'type')) !== 'RuntimeDefault') {
        problems.push('seccompProfile is not RuntimeDefault');
      }
      if (own.readOnlyRootFilesystem !== true) problems.push('readOnlyRootFilesystem is not true');
      if (own.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');
      if (!list(at(own, 'capabilities', 'drop')).includes('ALL')) problems.push('capabilities do not drop ALL');
      if (own.privileged === true) problems.push('privileged');
      return problems;
    },
  },
  {
    area: 'kubernetes',
    name: 'Deployment resources: cpu and memory requests and limits, each request within its limit',
    run(files) {
      const { container } = workload(files);
      const problems: string[] = [];
      for (const resource of ['cpu', 'memory']) {
        const request = quantity(at(container, 'resources', 'requests', resource));
        const limit = quantity(at(container, 'resources', 'limits', resource));
        if (request === undefined) problems.push(`no valid ${resource} request`);
        if (limit === undefined) problems.push(`no valid ${resource} limit`);
        if (request !== undefined && limit !== undefined && request > limit) {
          problems.push(`${resource} request is above its limit`);
        }
      }
      return problems;
    },
  },
  {
    area: 'kubernetes',
    name: 'Deployment probes: startup, liveness /livez, readiness /readyz (never /healthz), on declared ports',
    run(files) {
      const { container, namedPorts } = workload(files);
      const problems: string[] = [];
      const expected: Array<[string, string | undefined]> = [
        ['startupProbe', undefined],
        ['livenessProbe', '/livez'],
        ['readinessProbe', '/readyz'],
      ];
      for (const [probe, path] of expected) {
        const httpGet = at(container, probe, 'httpGet');
        if (!isDict(httpGet)) {
          problems.push(`no ${probe}.httpGet`);
          continue;
        }
        if (path && httpGet.path !== path) problems.push(`${probe} path is ${String(httpGet.path)}, expected ${path}`);
        if (httpGet.path === '/healthz') problems.push(`${probe} uses /healthz: an S3 outage would restart every pod`);
        const port = httpGet.port;
        const declared = typeof port === 'string' ? namedPorts.has(port) : [...namedPorts.values()].includes(port);
        if (!declared) problems.push(`${probe} port ${String(port)} is not a port the container declares`);
      }
      return problems;
    },
  },
  {
    area: 'kubernetes',
    name: 'Deployment spreads its pods across zones and nodes',
    run(files) {
      const { podSpec, podLabels } = workload(files);
      const constraints = list(podSpec.topologySpreadConstraints).map(dict);
      const problems: string[] = [];
      for (const key of ['topology.kubernetes.io/zone', 'kubernetes.io/hostname']) {
        const constraint = constraints.find((c) => c.topologyKey === key);
        if (!constraint) problems.push(`no topologySpreadConstraint on ${key}`);
        else if (!sameLabels(at(constraint, 'labelSelector', 'matchLabels'), podLabels)) {
          problems.push(`the ${key} constraint's labelSelector does not select the pods`);
        }
      }
      return problems;
    },
  },
  {
    area: 'kubernetes',
    name: "Deployment image pinned to an exact version (after the kustomization's images transform)",
    run(files) {
      const { container } = workload(files);
      const image = String(container.image ?? '');
      const [name, tag] = image.split(':');
      const override = dict(
        list(files.kustomization('deploy/kubernetes').value.images)
          .map(dict)
          .find((entry) => entry.name === name),
      );
      const effectiveName = String(override.newName ?? name);
      const effectiveTag = override.newTag === undefined ? tag : String(override.newTag);
      const problem = imagePinProblem(effectiveTag ? `${effectiveName}:${effectiveTag}` : effectiveName);
      return problem ? [problem] : [];
    },
  },
];
