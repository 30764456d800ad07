// The deployment files, read once and parsed: the Dockerfile (dockerfile-ast, the parser of
// the Dockerfile language server), docker-compose.yml, and every Kubernetes object the
// kustomizations under deploy/ apply. The root is a parameter, so a test can point the checks
// at a broken copy.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, normalize, resolve } from 'node:path';
import { DockerfileParser, Env, type Dockerfile, type Instruction } from 'dockerfile-ast';
import { parseAllDocuments } from 'yaml';
import { at, dict, list, type Dict } from './readers.js';

export const COMPOSE_FILE = 'docker-compose.yml';
/** The kustomizations an operator applies; each lists its manifests (and further directories). */
export const KUSTOMIZATIONS = ['deploy/kubernetes', 'deploy/kubernetes/monitoring'];

export interface YamlFile {
  file: string;
  documents: unknown[];
  /** Parse errors and warnings (duplicate keys among them), one line each. */
  errors: string[];
}

export interface KubernetesObject {
  file: string;
  apiVersion: string;
  kind: string;
  name: string;
  value: Dict;
}

export interface Stage {
  name: string | undefined;
  /** The image after ARG substitution. */
  image: string;
  instructions: Instruction[];
}

export class DeployFiles {
  readonly root: string;
  readonly #yaml = new Map<string, YamlFile>();
  #dockerfile: Dockerfile | undefined;

  constructor(root: string) {
    this.root = resolve(root);
  }

  path(file: string): string {
    return join(this.root, file);
  }

  exists(file: string): boolean {
    return existsSync(this.path(file));
  }

  text(file: string): string {
    return readFileSync(this.path(file), 'utf8');
  }

  json(file: string): Dict {
    return dict(JSON.parse(this.text(file)));
  }

  yaml(file: string): YamlFile {
    let parsed = this.#yaml.get(file);
    if (parsed === undefined) {
      const errors: string[] = [];
      const documents: unknown[] = [];
      for (const document of parseAllDocuments(this.text(file), { prettyErrors: true, uniqueKeys: true })) {
        for (const error of document.errors) errors.push(error.message.split('\n')[0] ?? error.message);
        for (const warning of document.warnings) errors.push(`warning: ${warning.message.split('\n')[0]}`);
        if (document.errors.length === 0 && document.contents !== null) documents.push(document.toJS());
      }
      parsed = { file, documents, errors };
      this.#yaml.set(file, parsed);
    }
    return parsed;
  }

  /** docker-compose.yml as a plain object ({} when it does not parse: the schema check says why). */
  compose(): Dict {
    return dict(this.yaml(COMPOSE_FILE).documents[0]);
  }

  /** The `kustomization.yaml` of a directory, and the manifest files it lists, recursively. */
  kustomization(directory: string): { file: string; value: Dict } {
    const file = `${directory}/kustomization.yaml`;
    return { file, value: this.exists(file) ? dict(this.yaml(file).documents[0]) : {} };
  }

  /** Every manifest the kustomizations apply, each once, in order. */
  manifestFiles(): string[] {
    const files: string[] = [];
    const visit = (directory: string) => {
      for (const resource of list(this.kustomization(directory).value.resources).map(String)) {
        const path = normalize(join(directory, resource));
        if (this.exists(`${path}/kustomization.yaml`)) visit(path);
        else if (!files.includes(path)) files.push(path);
      }
    };
    for (const directory of KUSTOMIZATIONS) visit(directory);
    return files;
  }

  /** The YAML files in a directory (not below it). */
  yamlFilesIn(directory: string): string[] {
    return readdirSync(this.path(directory))
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => `${directory}/${name}`);
  }

  kubernetesObjects(): KubernetesObject[] {
    return this.manifestFiles().flatMap((file) =>
      this.yaml(file).documents.map((value) => ({
        file,
        apiVersion: String(dict(value).apiVersion ?? ''),
        kind: String(dict(value).kind ?? ''),
        name: String(at(value, 'metadata', 'name') ?? ''),
        value: dict(value),
      })),
    );
  }

  objectsOfKind(kind: string): KubernetesObject[] {
    return this.kubernetesObjects().filter((object) => object.kind === kind);
  }

  dockerfile(): Dockerfile {
    this.#dockerfile ??= DockerfileParser.parse(this.text('Dockerfile'));
    return this.#dockerfile;
  }

  stages(): Stage[] {
    const dockerfile = this.dockerfile();
    const froms = dockerfile.getFROMs();
    return froms.map((from, index) => {
      const start = from.getRange().start.line;
      const end = froms[index + 1]?.getRange().start.line ?? Infinity;
      return {
        name: from.getBuildStage() ?? undefined,
        image: from.getExpandedArguments()[0]?.getValue() ?? '',
        instructions: dockerfile.getInstructions().filter((instruction) => {
          const line = instruction.getRange().start.line;
          return line >= start && line < end;
        }),
      };
    });
  }

  finalStage(): Stage | undefined {
    return this.stages().at(-1);
  }

  /** The ENV the final stage sets: what every container of the image starts with. */
  imageEnvironment(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const instruction of this.finalStage()?.instructions ?? []) {
      if (!(instruction instanceof Env)) continue;
      for (const property of instruction.getProperties()) env[property.getName()] = property.getValue() ?? '';
    }
    return env;
  }
}

/** An instruction's arguments as a JSON array of strings (exec form), or undefined (shell form). */
export function execForm(instruction: Instruction | undefined): string[] | undefined {
  const text = instruction?.getArgumentsContent()?.trim();
  if (!text?.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Compose interpolation with every variable unset: the file's own defaults, `$$` as `$`. */
export function composeInterpolate(value: string): string {
  return value
    .replace(/\$\$/g, '\u0000')
    .replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, _name: string, fallback?: string) => fallback ?? '')
    .replace(/\$(\w+)/g, '')
    .replace(/\u0000/g, '$');
}
