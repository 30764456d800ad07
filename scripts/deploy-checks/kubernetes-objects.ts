// The objects around the Deployment, and how they refer to each other: each kustomization
// lists exactly the manifests beside it; the Service, the ServiceMonitor, the HPA and the PDB
// select the pods (or the Service) and the ports that exist; the ServiceAccount carries the role.
import { at, dict, list, type Check } from './check.js';
import { KUSTOMIZATIONS } from './files.js';
import { sameLabels, workload } from './kubernetes-workload.js';

/** How many of each kind the kustomizations apply: two ConfigMaps, the settings and the callers file. */
const EXPECTED_KINDS: Readonly<Record<string, number>> = {
  Deployment: 1,
  Service: 1,
  ServiceAccount: 1,
  HorizontalPodAutoscaler: 1,
  PodDisruptionBudget: 1,
  ConfigMap: 2,
  Secret: 1,
  ServiceMonitor: 1,
  PrometheusRule: 1,
};

export const CHECKS: Check[] = [
  {
    area: 'kubernetes',
    name: `the kustomizations apply ${Object.entries(EXPECTED_KINDS)
      .map(([kind, count]) => `${count} ${kind}`)
      .join(', ')}; each lists exactly the manifests beside it`,
    run(files) {
      const problems = Object.entries(EXPECTED_KINDS)
        .filter(([kind, count]) => files.objectsOfKind(kind).length !== count)
        .map(([kind, count]) => `${files.objectsOfKind(kind).length} ${kind} objects, expected ${count}`);
      const known = new Set(Object.keys(EXPECTED_KINDS));
      for (const object of files.kubernetesObjects()) {
        if (!known.has(object.kind))
          problems.push(`${object.file}: unexpected ${object.kind || 'object without a kind'}`);
      }
      for (const directory of KUSTOMIZATIONS) {
        const { file, value } = files.kustomization(directory);
        if (Object.keys(value).length === 0) {
          problems.push(`no ${file}`);
          continue;
        }
        const resources = list(value.resources).map(String);
        const manifests = files.yamlFilesIn(directory).filter((path) => !path.endsWith('/kustomization.yaml'));
        for (const resource of resources) {
          if (!files.exists(`${directory}/${resource}`))
            problems.push(`${file} lists ${resource}, which does not exist`);
        }
        for (const manifest of manifests) {
          if (!resources.includes(manifest.slice(directory.length + 1)))
            problems.push(`${file} does not list ${manifest}`);
        }
      }
      return problems;
    },
  },
  {
    area: 'kubernetes',
    name: 'the Service selects the pods on declared ports; the ServiceMonitor scrapes /metrics on a port of that Service',
    run(files) {
      const { podLabels, namedPorts } = workload(files);
      const service = files.objectsOfKind('Service')[0];
      const problems: string[] = [];
      if (!sameLabels(at(service?.value, 'spec', 'selector'), podLabels))
        problems.push('the Service does not select the pods');
      const servicePorts = list(at(service?.value, 'spec', 'ports')).map(dict);
      for (const port of servicePorts) {
        if (typeof port.targetPort === 'string' && !namedPorts.has(port.targetPort)) {
          problems.push(`the Service's targetPort ${port.targetPort} is not a named container port`);
        }
      }
      const monitor = files.objectsOfKind('ServiceMonitor')[0];
      if (
        !sameLabels(at(monitor?.value, 'spec', 'selector', 'matchLabels'), at(service?.value, 'metadata', 'labels'))
      ) {
        problems.push('the ServiceMonitor does not select the Service (by its labels)');
      }
      const endpoints = list(at(monitor?.value, 'spec', 'endpoints')).map(dict);
      if (endpoints.length === 0) problems.push('the ServiceMonitor has no endpoints');
      for (const endpoint of endpoints) {
        if (!servicePorts.some((port) => port.name === endpoint.port)) {
          problems.push(`the ServiceMonitor scrapes port ${String(endpoint.port)}, which the Service does not name`);
        }
        if (endpoint.path !== '/metrics')
          problems.push(`the ServiceMonitor scrapes ${String(endpoint.path)}, not /metrics`);
      }
      return problems;
    },
  },
  {
    area: 'kubernetes',
    name: 'HPA: the Deployment, 2..10 replicas on CPU (which has a request); PDB: minAvailable 1, below that, on the pods',
    run(files) {
      const { deployment, container, podLabels } = workload(files);
      const hpa = files.objectsOfKind('HorizontalPodAutoscaler')[0]?.value;
      const pdb = files.objectsOfKind('PodDisruptionBudget')[0]?.value;
      const problems: string[] = [];
      const target = dict(at(hpa, 'spec', 'scaleTargetRef'));
      if (target.kind !== 'Deployment' || target.name !== at(deployment, 'metadata', 'name')) {
        problems.push('the HPA scaleTargetRef is not the Deployment');
      }
      const minReplicas = at(hpa, 'spec', 'minReplicas');
      if (minReplicas !== 2 || at(hpa, 'spec', 'maxReplicas') !== 10) problems.push('HPA replicas are not 2..10');
      if (!list(at(hpa, 'spec', 'metrics')).some((m) => at(m, 'resource', 'name') === 'cpu'))
        problems.push('no CPU metric');
      if (at(container, 'resources', 'requests', 'cpu') === undefined)
        problems.push('CPU utilization needs a CPU request');
      const minAvailable = at(pdb, 'spec', 'minAvailable');
      if (minAvailable !== 1) problems.push(`the PDB's minAvailable is ${String(minAvailable)}`);
      if (typeof minAvailable === 'number' && minAvailable >= Number(minReplicas ?? 0)) {
        problems.push('minAvailable >= minReplicas: node drains would block');
      }
      if (!sameLabels(at(pdb, 'spec', 'selector', 'matchLabels'), podLabels)) problems.push('the PDB misses the pods');
      return problems;
    },
  },
  {
    area: 'kubernetes',
    name: 'the ServiceAccount carries the IRSA role annotation',
    run(files) {
      const arn = at(
        files.objectsOfKind('ServiceAccount')[0]?.value,
        'metadata',
        'annotations',
        'eks.amazonaws.com/role-arn',
      );
      return typeof arn === 'string' && /^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(arn)
        ? []
        : ['eks.amazonaws.com/role-arn is missing or not an IAM role ARN'];
    },
  },
];
