// Every Kubernetes object the kustomizations apply, against the API's own schemas, offline:
// kubernetes-models (JSON schemas of the Kubernetes OpenAPI document, compiled with ajv: types,
// required fields, enums, formats) and @kubernetes-models/prometheus-operator (the operator's
// CRDs: ServiceMonitor, PrometheusRule). Those validators accept unknown fields, so a second
// check holds each object, as a literal, to the models' TypeScript types, which do not: a
// misspelt `readinesProbe` fails there, as kubeconform -strict would fail it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { Check, Problems } from './check.js';
import { inMemoryProgram } from './in-memory-program.js';
import type { KubernetesObject } from './files.js';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
/** API groups whose models are in a package of their own (CRDs); the rest are in kubernetes-models. */
const GROUP_PACKAGES: Readonly<Record<string, string>> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

function versionOf(name: string): string {
  const manifest = JSON.parse(readFileSync(`${REPOSITORY}node_modules/${name}/package.json`, 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** The module holding the models of an apiVersion: `apps/v1` → `kubernetes-models/apps/v1`. */
export function modelModule(apiVersion: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const name = GROUP_PACKAGES[group ?? ''] ?? 'kubernetes-models';
  return group ? `${name}/${group}/${version}` : `${name}/${version}`;
}

const where = (object: KubernetesObject) => `${object.file} (${object.kind || '?'} ${object.name || '?'})`;

type Model = new (value: unknown) => { validate(): void };

async function schemaProblems(object: KubernetesObject): Promise<Problems> {
  if (!object.apiVersion || !object.kind) return [`${where(object)}: no apiVersion or kind`];
  if (!object.name) return [`${where(object)}: no metadata.name`];
  let models: Record<string, unknown>;
  try {
    models = (await import(modelModule(object.apiVersion))) as Record<string, unknown>;
  } catch {
    return [`${where(object)}: no schema for apiVersion ${object.apiVersion}`];
  }
  const Model = models[object.kind] as Model | undefined;
  if (typeof Model !== 'function') return [`${where(object)}: ${object.apiVersion} has no kind ${object.kind}`];
  try {
    new Model(object.value).validate();
    return [];
  } catch (error) {
    return (error instanceof Error ? error.message : String(error))
      .split(', ')
      .map((problem) => `${where(object)}: ${problem.replace(/^data\//, '')}`);
  }
}

/** TypeScript that holds each object to its model's interface; `satisfies` rejects unknown fields. */
export function typedSource(objects: readonly KubernetesObject[]): string {
  const modules = [...new Set(objects.map((object) => modelModule(object.apiVersion)))];
  const lines = modules.map((module, index) => `import type * as M${index} from '${module}';`);
  objects.forEach((object, index) => {
    const model = `M${modules.indexOf(modelModule(object.apiVersion))}.I${object.kind}`;
    lines.push(
      `// ${where(object)}`,
      `export const object${index} = ${JSON.stringify(object.value)} satisfies ${model};`,
    );
  });
  return `${lines.join('\n')}\n`;
}

/** Type-checks the source as a file of this folder (so the models resolve); one line per diagnostic. */
export function typeCheck(source: string): string[] {
  const file = fileURLToPath(new URL('./kubernetes-objects.generated.ts', import.meta.url));
  const program = inMemoryProgram(new Map([[file, source]]));
  const sourceFile = program.getSourceFile(file);
  if (!sourceFile) throw new Error(`${file} was not compiled`);
  return ts.getPreEmitDiagnostics(program, sourceFile).map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file !== sourceFile || diagnostic.start === undefined) return text;
    // The comment line above each literal names the object.
    const { line } = sourceFile.getLineAndCharacterOfPosition(diagnostic.start);
    const label = sourceFile.text.split('\n')[line - 1]?.replace(/^\/\/ /, '') ?? '?';
    return `${label}: ${text}`;
  });
}

const kubernetesModels = `kubernetes-models ${versionOf('kubernetes-models')}`;
const operatorModels = `@kubernetes-models/prometheus-operator ${versionOf('@kubernetes-models/prometheus-operator')}`;

export const CHECKS: Check[] = [
  {
    area: 'kubernetes',
    name: `every object the kustomizations apply is valid YAML and validates against its API schema (${kubernetesModels}; ServiceMonitor, PrometheusRule: ${operatorModels})`,
    async run(files) {
      const problems: string[] = [];
      for (const file of files.manifestFiles()) {
        if (!files.exists(file)) problems.push(`${file}: listed in a kustomization, but missing`);
        else problems.push(...files.yaml(file).errors.map((error) => `${file}: ${error}`));
      }
      for (const object of files.kubernetesObjects()) problems.push(...(await schemaProblems(object)));
      return problems;
    },
  },
  {
    area: 'kubernetes',
    name: "no object carries a field its API does not define (the models' TypeScript types, as kubeconform -strict)",
    run: (files) =>
      typeCheck(typedSource(files.kubernetesObjects().filter((object) => object.apiVersion && object.kind))),
  },
];
