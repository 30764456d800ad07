// Static checks of the deployment files: Dockerfile, .dockerignore, docker-compose.yml and
// deploy/kubernetes/. Run by scripts/lint-deploy.sh (which adds external tools when they are
// installed); it needs no Docker engine, cluster or network.
//
// Beyond structure, it runs the service's own loadConfig (src/config/config.ts) on the
// environment each deployment gives the container, so a manifest the service would refuse at
// start-up fails here; and `sh -n` on the Dockerfile's RUN lines and the bucket job's script.
//
// Every check prints one line: `ok`, `FAIL` (with the problems under it) or `skip` (with the
// reason). The exit code is 1 when any check failed.
//
// Optional validator, used when it can be resolved from the repository (or NODE_PATH):
//   kubernetes-models  JSON-schema validation of each Kubernetes object (types, required
//                      fields, enums; it does not reject unknown fields)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { callerRegistryFrom } from '../src/auth/callers.js';
import { envSchema, formatConfigProblems, loadConfig } from '../src/config/config.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const K8S_DIR = 'deploy/kubernetes';
const COMPOSE_FILE = 'docker-compose.yml';
const SERVICE = 's3-presign';
/** The S3-compatible store of the compose stack, and the one-shot job that creates its bucket. */
const STORE_SERVICE = 'seaweedfs';
const BUCKET_JOB = 'create-bucket';
/** Routes the probes and health checks rely on. */
const PROBE_ROUTES = ['/livez', '/readyz', '/healthz'];
/** Dev-only packages that must never reach the production image. */
const DEV_ONLY_PACKAGES = ['patch-package', 'tsx', 'typescript', '@20minutes/s3rver'];

// ---------------------------------------------------------------------------------------------
// Reporting

type Outcome = 'ok' | 'FAIL' | 'skip';
const tally: Record<Outcome, number> = { ok: 0, FAIL: 0, skip: 0 };

function report(outcome: Outcome, area: string, name: string, details: readonly string[] = []): void {
  tally[outcome] += 1;
  process.stdout.write(`${outcome.padEnd(4)}  ${area.padEnd(10)} ${name}\n`);
  for (const detail of details) process.stdout.write(`                 - ${detail}\n`);
}

/** Runs one check: it returns its problems (none = ok); a throw is a failure too. */
function check(area: string, name: string, run: () => readonly string[]): void {
  let problems: readonly string[];
  try {
    problems = run();
  } catch (error) {
    problems = [`check crashed: ${error instanceof Error ? error.message : String(error)}`];
  }
  report(problems.length === 0 ? 'ok' : 'FAIL', area, name, problems);
}

function skip(area: string, name: string, why: string): void {
  report('skip', area, name, [why]);
}

// ---------------------------------------------------------------------------------------------
// Small helpers over parsed YAML/JSON (all `unknown`)

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dict(value: unknown): Dict {
  return isDict(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Follows keys and indexes; undefined as soon as one is missing. */
function at(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined;
    else current = isDict(current) ? current[key] : undefined;
  }
  return current;
}

function readText(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

function sameLabels(selector: unknown, labels: unknown): boolean {
  const wanted = Object.entries(dict(selector));
  return wanted.length > 0 && wanted.every(([key, value]) => dict(labels)[key] === value);
}

/** Kubernetes quantity to a number (cores or bytes). */
function quantity(raw: unknown): number | undefined {
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

/** Environment variables the service reads, plus those of the runtime and the AWS SDK. */
function unknownEnvNames(names: Iterable<string>): string[] {
  const known = new Set<string>(Object.keys(envSchema.shape));
  return [...names].filter((name) => !known.has(name) && !/^(AWS_|NODE_OPTIONS$)/.test(name));
}

function configProblems(env: Record<string, string>): string[] {
  const result = loadConfig(env);
  return result.ok ? [] : formatConfigProblems(result.problems).split('\n').slice(1);
}

/** The callers file as the service would load it at start-up, under that environment. */
function clientsProblems(env: Record<string, string>, text: string | undefined, where: string): string[] {
  if (text === undefined) return [`${where}: no clients file for AUTH_CLIENTS_FILE=${env.AUTH_CLIENTS_FILE}`];
  const config = loadConfig(env);
  if (!config.ok) return ['the environment itself is refused (see above)'];
  let document: unknown;
  try {
    document = parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
  const result = callerRegistryFrom(document, config.config);
  return result.ok ? [] : result.problems.map((problem) => `${where}: ${problem}`);
}

/** `sh -n`: the script parses (POSIX sh, as in the images); undefined when it does. */
function shellSyntaxProblem(script: string): string | undefined {
  try {
    execFileSync('sh', ['-n'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
    return undefined;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return stderr || (error instanceof Error ? error.message : String(error));
  }
}

/** An image reference is pinned when it names a tag other than `latest`, or a digest. */
/** Images whose releases are numbered major.minor (SeaweedFS 4.48): two parts are exact there. */
const TWO_PART_RELEASES = new Set(['chrislusf/seaweedfs']);

function imagePinProblem(image: string): string | undefined {
  const [reference = image, digest] = image.split('@');
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) return `${image}: malformed digest`;
  const lastSegment = reference.split('/').pop() ?? reference;
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
  if (digest !== undefined) return undefined;
  if (!tag) return `${image}: no tag (means "latest"); pin a version`;
  if (tag === 'latest') return `${image}: "latest" is not a version; pin one`;
  // A moving tag (`26-trixie-slim`, `lts`, `v2`) names whatever was published last; an exact
  // release has all three version parts (or a release date stamp).
  const repository = reference.slice(0, reference.length - tag.length - 1);
  const exact = TWO_PART_RELEASES.has(repository) ? /^\d+\.\d+$/ : /\d+\.\d+\.\d+|\d{4}-\d{2}-\d{2}/;
  if (!exact.test(tag)) {
    return `${image}: "${tag}" is a moving tag; pin an exact release (x.y.z) or a digest`;
  }
  return undefined;
}

/** package.json `engines.node` as [lowest, below] pairs: ">=20.19.0 <21 || >=22.13.0 <23". */
function engineRanges(engines: string): Array<{ lowest: number[]; below: number[]; text: string }> {
  return engines.split('||').map((text) => {
    const lowest = />=\s*(\d+(?:\.\d+){0,2})/.exec(text)?.[1];
    const below = /<\s*(\d+(?:\.\d+){0,2})/.exec(text)?.[1];
    const parts = (version: string | undefined) => (version ?? '').split('.').map(Number);
    return { lowest: parts(lowest), below: below ? parts(below) : [Infinity], text: text.trim() };
  });
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// YAML

interface YamlFile {
  file: string;
  documents: unknown[];
  errors: string[];
}

function loadYaml(file: string): YamlFile {
  const documents = parseAllDocuments(readText(file), { prettyErrors: true, uniqueKeys: true });
  const errors: string[] = [];
  const values: unknown[] = [];
  for (const document of Array.isArray(documents) ? documents : [documents]) {
    for (const error of document.errors) errors.push(error.message.split('\n')[0] ?? error.message);
    for (const warning of document.warnings) errors.push(`warning: ${warning.message.split('\n')[0]}`);
    if (document.errors.length === 0 && document.contents !== null) values.push(document.toJS());
  }
  return { file, documents: values, errors };
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

interface Dockerfile {
  globalArgs: Map<string, string>;
  stages: Stage[];
  heredocs: number[];
}

/** Joins continuation lines and drops comments; heredocs are reported, not interpreted. */
function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  const heredocs: number[] = [];
  let buffer = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('#') || (buffer === '' && line === '')) return;
    if (buffer === '') start = index + 1;
    if (line.endsWith('\\')) {
      buffer += `${line.slice(0, -1)} `;
      return;
    }
    buffer += line;
    const match = /^(\S+)\s*([\s\S]*)$/.exec(buffer);
    if (match?.[1]) {
      instructions.push({ keyword: match[1].toUpperCase(), args: (match[2] ?? '').trim(), line: start });
      if (/<<-?["']?[A-Za-z]/.test(match[2] ?? '')) heredocs.push(start);
    }
    buffer = '';
  });

  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      const image = (words[0] ?? '').replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => {
        return globalArgs.get((a ?? b) as string) ?? '';
      });
      const name = words[1]?.toUpperCase() === 'AS' ? words[2] : undefined;
      stages.push({ image, name, instructions: [instruction] });
    } else if (stages.length === 0) {
      const arg = /^ARG\s+(\w+)(?:=(\S*))?$/.exec(`${instruction.keyword} ${instruction.args}`);
      if (arg?.[1]) globalArgs.set(arg[1], (arg[2] ?? '').replace(/^["']|["']$/g, ''));
    } else {
      stages[stages.length - 1]?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages, heredocs };
}

function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

interface CopyInstruction {
  from: string | undefined;
  sources: string[];
  destination: string;
}

function parseCopy(args: string): CopyInstruction {
  const flags = args.match(/^(?:--\S+\s+)*/)?.[0] ?? '';
  const from = /--from=(\S+)/.exec(flags)?.[1];
  const rest = args.slice(flags.length).trim();
  const paths = execForm(rest) ?? rest.split(/\s+/);
  return { from, sources: paths.slice(0, -1), destination: paths[paths.length - 1] ?? '' };
}

/** ENV key=value pairs (and the legacy `ENV key value` form). */
function parseEnv(args: string): Map<string, string> {
  const env = new Map<string, string>();
  if (!/^\w+=/.test(args)) {
    const [key, ...value] = args.split(/\s+/);
    if (key) env.set(key, value.join(' '));
    return env;
  }
  for (const match of args.matchAll(/(\w+)=("[^"]*"|'[^']*'|\S*)/g)) {
    if (match[1]) env.set(match[1], (match[2] ?? '').replace(/^["']|["']$/g, ''));
  }
  return env;
}

/** A simplified .dockerignore matcher: `*`, `**`, `?`, `!` exceptions, last match wins. */
function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('/')
        .map((part) =>
          part === '**'
            ? '.*'
            : part
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negate, regex: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.replace(/^\.\/|\/$/g, '').split('/');
    let excluded = false;
    for (let depth = 1; depth <= parts.length; depth += 1) {
      const prefix = parts.slice(0, depth).join('/');
      for (const rule of rules) if (rule.regex.test(prefix)) excluded = !rule.negate;
    }
    return excluded;
  };
}

function lintDockerfile(): Dockerfile | undefined {
  const area = 'dockerfile';
  if (!existsSync(join(ROOT, 'Dockerfile'))) {
    check(area, 'Dockerfile exists', () => ['no Dockerfile at the repository root']);
    return undefined;
  }
  const dockerfile = parseDockerfile(readText('Dockerfile'));
  const { stages } = dockerfile;
  const final = stages[stages.length - 1];
  const finalInstructions = final?.instructions ?? [];
  const stageNames = new Set(stages.map((stage) => stage.name).filter(Boolean));
  const inFinal = (keyword: string) => finalInstructions.filter((instruction) => instruction.keyword === keyword);
  const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);

  check(area, 'no heredocs (this checker does not interpret them)', () =>
    dockerfile.heredocs.map((line) => `line ${line}: heredoc`),
  );
  check(area, 'multi-stage build (at least a build and a runtime stage)', () =>
    stages.length >= 2 ? [] : [`${stages.length} stage(s)`],
  );
  check(area, 'base images pinned to an exact version or a digest (ARG defaults resolved)', () =>
    stages.flatMap((stage) => {
      if (stageNames.has(stage.image) || stage.image === 'scratch') return [];
      if (stage.image === '') return ['FROM with an unresolvable image (ARG without a default?)'];
      return [imagePinProblem(stage.image)].filter((p): p is string => p !== undefined);
    }),
  );
  check(area, 'runtime image runs the newest Node.js line in package.json engines, within its range', () => {
    const image = final?.image ?? '';
    const version = /^(?:docker\.io\/)?(?:library\/)?node:(\d+\.\d+\.\d+)\b/.exec(image)?.[1];
    if (!version) return [`the runtime image ${image || '(none)'} is not node:<x.y.z>-…`];
    const pkg = JSON.parse(readText('package.json')) as Dict;
    const engines = String(at(pkg, 'engines', 'node') ?? '');
    if (!engines) return ['package.json has no engines.node'];
    const ranges = engineRanges(engines);
    const parts = version.split('.').map(Number);
    const problems: string[] = [];
    if (!ranges.some((r) => compareVersions(parts, r.lowest) >= 0 && compareVersions(parts, r.below) < 0)) {
      problems.push(`Node.js ${version} is outside engines "${engines}"`);
    }
    const newest = Math.max(...ranges.map((r) => r.lowest[0] ?? 0));
    if (parts[0] !== newest)
      problems.push(`the image runs Node.js ${parts[0]}; the newest line in engines is ${newest}`);
    return problems;
  });
  check(area, "the README's Node.js statement names every line in engines", () => {
    const pkg = JSON.parse(readText('package.json')) as Dict;
    const lines = engineRanges(String(at(pkg, 'engines', 'node') ?? '')).map((r) => r.lowest[0]);
    const statement = /^Needs Node\.js .*$/m.exec(readText('README.md'))?.[0];
    if (!statement) return ['README.md has no "Needs Node.js …" line'];
    return lines
      .filter((line) => !new RegExp(`\\b${line}\\b`).test(statement))
      .map((line) => `Node.js ${line} is not in: ${statement}`);
  });
  check(area, 'final stage runs as a numeric non-root USER', () => {
    const user = inFinal('USER').pop()?.args;
    if (!user) return ['no USER in the final stage: the container would run as root'];
    const name = user.split(':')[0] ?? '';
    if (name === 'root' || name === '0') return [`USER ${user} is root`];
    if (!/^\d+$/.test(name)) {
      return [`USER ${user}: use the numeric uid, so Kubernetes runAsNonRoot can verify it`];
    }
    return [];
  });
  check(area, 'final stage has an exec-form HEALTHCHECK on /livez', () => {
    const healthcheck = inFinal('HEALTHCHECK').pop()?.args;
    if (!healthcheck) return ['no HEALTHCHECK in the final stage'];
    if (/^NONE\b/i.test(healthcheck)) return ['HEALTHCHECK NONE'];
    const command = /(?:^|\s)CMD\s+([\s\S]*)$/.exec(healthcheck)?.[1] ?? '';
    const problems: string[] = [];
    if (!execForm(command)) problems.push('HEALTHCHECK CMD is not in exec (JSON array) form');
    if (!command.includes('/livez')) problems.push('HEALTHCHECK does not call /livez');
    if (/\bcurl\b|\bwget\b/.test(command)) problems.push('HEALTHCHECK uses curl/wget, which the slim image lacks');
    return problems;
  });
  check(area, 'final stage ENTRYPOINT/CMD in exec form and running dist/server.js', () => {
    const entrypoint = inFinal('ENTRYPOINT').pop();
    const cmd = inFinal('CMD').pop();
    const problems: string[] = [];
    for (const instruction of [entrypoint, cmd]) {
      if (instruction && !execForm(instruction.args)) {
        problems.push(
          `line ${instruction.line}: ${instruction.keyword} is in shell form (signals would go to /bin/sh)`,
        );
      }
    }
    const argv = [...(execForm(entrypoint?.args ?? '') ?? []), ...(execForm(cmd?.args ?? '') ?? [])];
    if (argv[0] !== 'node' || !argv.includes('dist/server.js')) {
      problems.push(`the container runs ${JSON.stringify(argv)}, not node dist/server.js`);
    }
    return problems;
  });
  check(area, 'final stage sets NODE_ENV=production and EXPOSEs 8080', () => {
    const env = new Map(inFinal('ENV').flatMap((instruction) => [...parseEnv(instruction.args)]));
    const problems: string[] = [];
    if (env.get('NODE_ENV') !== 'production') problems.push('NODE_ENV is not production in the final stage');
    if (!inFinal('EXPOSE').some((instruction) => /\b8080\b/.test(instruction.args))) problems.push('no EXPOSE 8080');
    return problems;
  });
  check(area, 'final stage copies only package.json, dist/ and node_modules/ (no ADD)', () => {
    const allowed = new Set(['package.json', 'dist', 'node_modules']);
    const problems = inFinal('ADD').map((instruction) => `line ${instruction.line}: ADD in the runtime stage`);
    for (const instruction of inFinal('COPY')) {
      for (const source of parseCopy(instruction.args).sources) {
        const base = source.replace(/\/+$/, '').split('/').pop() ?? source;
        if (!allowed.has(base)) problems.push(`line ${instruction.line}: copies ${source}`);
      }
    }
    return problems;
  });
  check(area, 'runtime node_modules come from a production-only install', () => {
    const copy = inFinal('COPY')
      .map((instruction) => parseCopy(instruction.args))
      .find((c) => c.sources.some((source) => /node_modules\/?$/.test(source)));
    if (!copy?.from) return ['node_modules is not copied from a build stage'];
    const stage = stages.find((candidate) => candidate.name === copy.from);
    if (!stage) return [`--from=${copy.from} names no stage`];
    const ok = runs(stage).some(
      (run) =>
        (/\bnpm ci\b/.test(run) && /--omit=dev\b/.test(run) && /--ignore-scripts\b/.test(run)) ||
        /\bnpm prune\b.*--omit=dev\b/.test(run),
    );
    return ok
      ? []
      : [`stage ${copy.from} runs neither "npm ci --omit=dev --ignore-scripts" nor "npm prune --omit=dev"`];
  });
  check(area, 'patches/ is copied before an npm ci that runs the postinstall hook', () =>
    stages.flatMap((stage) => {
      const problems: string[] = [];
      let patches = false;
      for (const instruction of stage.instructions) {
        if (instruction.keyword === 'COPY' && parseCopy(instruction.args).sources.some((s) => /^patches\/?$/.test(s))) {
          patches = true;
        }
        if (
          instruction.keyword === 'RUN' &&
          /\bnpm ci\b/.test(instruction.args) &&
          !/--ignore-scripts\b/.test(instruction.args) &&
          !patches
        ) {
          problems.push(`line ${instruction.line}: npm ci runs patch-package before patches/ is copied`);
        }
      }
      return problems;
    }),
  );
  check(area, 'reproducible installs and plain COPY (npm ci, not npm install; no ADD <url>)', () =>
    stages.flatMap((stage) =>
      stage.instructions.flatMap((instruction) => {
        if (instruction.keyword === 'RUN' && /\bnpm (install|i)\b/.test(instruction.args)) {
          return [`line ${instruction.line}: npm install (use npm ci)`];
        }
        if (instruction.keyword === 'ADD' && /https?:\/\//.test(instruction.args)) {
          return [`line ${instruction.line}: ADD of a URL`];
        }
        if (instruction.keyword === 'WORKDIR' && !instruction.args.startsWith('/')) {
          return [`line ${instruction.line}: relative WORKDIR`];
        }
        return [];
      }),
    ),
  );
  check(area, 'shell-form RUN commands parse (sh -n)', () =>
    stages.flatMap((stage) =>
      stage.instructions
        .filter((instruction) => instruction.keyword === 'RUN' && !instruction.args.startsWith('['))
        .flatMap((instruction) => {
          const script = instruction.args.replace(/^(--\S+\s+)+/, '');
          const problem = shellSyntaxProblem(script);
          return problem ? [`line ${instruction.line}: ${problem}`] : [];
        }),
    ),
  );
  check(area, 'build-context COPY sources exist and are not excluded by .dockerignore', () => {
    if (!existsSync(join(ROOT, '.dockerignore'))) return ['no .dockerignore'];
    const ignored = dockerignoreMatcher(readText('.dockerignore'));
    return stages.flatMap((stage) =>
      stage.instructions
        .filter((instruction) => instruction.keyword === 'COPY')
        .map((instruction) => ({ instruction, copy: parseCopy(instruction.args) }))
        .filter(({ copy }) => copy.from === undefined)
        .flatMap(({ instruction, copy }) =>
          copy.sources.flatMap((source) => {
            if (!existsSync(join(ROOT, source))) return [`line ${instruction.line}: ${source} does not exist`];
            if (ignored(source)) return [`line ${instruction.line}: ${source} is excluded by .dockerignore`];
            return [];
          }),
        ),
    );
  });
  check(area, '.dockerignore keeps node_modules, dist, .git and .env out of the context', () => {
    if (!existsSync(join(ROOT, '.dockerignore'))) return ['no .dockerignore'];
    const ignored = dockerignoreMatcher(readText('.dockerignore'));
    return ['node_modules', 'dist', '.git', '.env', 'coverage', 'src/x/node_modules']
      .filter((path) => !ignored(path))
      .map((path) => `${path} is not ignored`);
  });
  return dockerfile;
}

// ---------------------------------------------------------------------------------------------
// package.json / package-lock.json / src: what the image relies on

function lintPackage(): void {
  const area = 'package';
  const pkg = JSON.parse(readText('package.json')) as Dict;
  const lock = JSON.parse(readText('package-lock.json')) as Dict;
  const lockPackages = dict(lock.packages);

  check(area, `dev-only tools (${DEV_ONLY_PACKAGES.join(', ')}) are devDependencies only`, () =>
    DEV_ONLY_PACKAGES.flatMap((name) => {
      const problems: string[] = [];
      if (!(name in dict(pkg.devDependencies))) problems.push(`${name} is not a devDependency`);
      if (name in dict(pkg.dependencies)) problems.push(`${name} is a production dependency`);
      const locked = dict(lockPackages[`node_modules/${name}`]);
      if (Object.keys(locked).length > 0 && locked.dev !== true) {
        problems.push(`${name} would be installed by npm ci --omit=dev (package-lock.json: not dev-only)`);
      }
      return problems;
    }),
  );
  check(area, 'no production dependency needs an install script (--ignore-scripts is safe)', () =>
    Object.entries(lockPackages)
      .filter(([path, entry]) => path !== '' && dict(entry).hasInstallScript === true && dict(entry).dev !== true)
      .map(([path]) => `${path} has an install script and is a production dependency`),
  );
  check(area, 'the image entry point is built from src/server.ts into dist/', () => {
    const tsconfig = JSON.parse(readText('tsconfig.build.json')) as Dict;
    const problems: string[] = [];
    if (!existsSync(join(ROOT, 'src/server.ts'))) problems.push('src/server.ts does not exist');
    if (at(tsconfig, 'compilerOptions', 'outDir') !== 'dist') problems.push('tsconfig.build.json outDir is not dist');
    if (at(tsconfig, 'compilerOptions', 'rootDir') !== 'src') problems.push('tsconfig.build.json rootDir is not src');
    if (typeof at(pkg, 'scripts', 'build') !== 'string') problems.push('package.json has no build script');
    return problems;
  });
  check(area, `probe routes ${PROBE_ROUTES.join(', ')} are defined in src/`, () => {
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        if (entry.isDirectory()) walk(`${dir}/${entry.name}`);
        else if (entry.name.endsWith('.ts')) sources.push(readText(`${dir}/${entry.name}`));
      }
    };
    walk('src');
    return PROBE_ROUTES.filter((route) => !sources.some((text) => text.includes(`'${route}'`))).map(
      (route) => `no route '${route}' found`,
    );
  });
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

/** Compose interpolation with every variable unset: the file's own defaults. */
function interpolate(value: string): string {
  return value
    .replace(/\$\$/g, '\u0000')
    .replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, _name: string, fallback?: string) => fallback ?? '')
    .replace(/\$(\w+)/g, '')
    .replace(/\u0000/g, '$');
}

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
    else if (value !== null && value !== undefined) env[key] = interpolate(String(value));
  }
  return { env, problems };
}

function lintCompose(dockerfile: Dockerfile | undefined): void {
  const area = 'compose';
  if (!existsSync(join(ROOT, COMPOSE_FILE))) {
    check(area, `${COMPOSE_FILE} exists`, () => [`no ${COMPOSE_FILE}`]);
    return;
  }
  const yaml = loadYaml(COMPOSE_FILE);
  check(area, `${COMPOSE_FILE} is well-formed YAML (one document, no duplicate keys)`, () => [
    ...yaml.errors,
    ...(yaml.documents.length === 1 ? [] : [`${yaml.documents.length} documents`]),
  ]);
  const compose = dict(yaml.documents[0]);
  const services = dict(compose.services);
  const names = Object.keys(services);
  const finalStage = dockerfile?.stages[dockerfile.stages.length - 1];
  const dockerfileHasHealthcheck = (finalStage?.instructions ?? []).some(
    (instruction) => instruction.keyword === 'HEALTHCHECK' && !/^NONE\b/i.test(instruction.args),
  );
  const hasHealthcheck = (name: string) => {
    const service = dict(services[name]);
    if (isDict(service.healthcheck)) return service.healthcheck.disable !== true;
    return service.build !== undefined && dockerfileHasHealthcheck;
  };

  const oneShot = (name: string) => String(dict(services[name]).restart) === 'no';

  check(area, `services: ${STORE_SERVICE}, ${BUCKET_JOB} and ${SERVICE}; no obsolete top-level "version"`, () => {
    const problems: string[] = [];
    for (const name of [STORE_SERVICE, BUCKET_JOB, SERVICE]) {
      if (!names.includes(name)) problems.push(`no ${name} service`);
    }
    if (names.includes(BUCKET_JOB) && !oneShot(BUCKET_JOB)) problems.push(`${BUCKET_JOB} is not restart: 'no'`);
    if ('version' in compose) problems.push('top-level "version" is obsolete in the Compose specification');
    return problems;
  });
  check(area, 'every service has an image pinned to an exact version or a digest, or a build', () =>
    names.flatMap((name) => {
      const service = dict(services[name]);
      if (typeof service.image === 'string') {
        const problem = imagePinProblem(interpolate(service.image));
        return problem ? [`${name}: ${problem}`] : [];
      }
      return service.build === undefined ? [`${name}: neither image nor build`] : [];
    }),
  );
  check(area, 'depends_on targets exist and their conditions can be met', () =>
    names.flatMap((name) => {
      const dependsOn = dict(services[name]).depends_on;
      const entries: Array<[string, unknown]> = Array.isArray(dependsOn)
        ? dependsOn.map((target) => [String(target), { condition: 'service_started' }])
        : Object.entries(dict(dependsOn));
      return entries.flatMap(([target, spec]) => {
        if (!(target in services)) return [`${name} depends on ${target}, which is not a service`];
        if (target === name) return [`${name} depends on itself`];
        const condition = dict(spec).condition ?? 'service_started';
        const targetService = dict(services[target]);
        switch (condition) {
          case 'service_started':
            return [];
          case 'service_healthy':
            return hasHealthcheck(target) ? [] : [`${name} waits for ${target} to be healthy; it has no healthcheck`];
          case 'service_completed_successfully':
            return ['always', 'unless-stopped'].includes(String(targetService.restart))
              ? [`${name} waits for ${target} to complete, but ${target} restarts ${String(targetService.restart)}`]
              : [];
          default:
            return [`${name} -> ${target}: unknown condition ${String(condition)}`];
        }
      });
    }),
  );
  check(area, 'long-running services have a healthcheck (compose or Dockerfile HEALTHCHECK)', () =>
    names
      .filter((name) => !oneShot(name))
      .filter((name) => !hasHealthcheck(name))
      .map((name) => `${name} has no healthcheck`),
  );
  check(area, `${SERVICE} waits for every other service: healthy, or completed for one-shot jobs`, () =>
    names
      .filter((name) => name !== SERVICE)
      .flatMap((name) => {
        const expected = oneShot(name) ? 'service_completed_successfully' : 'service_healthy';
        const condition = at(services, SERVICE, 'depends_on', name, 'condition');
        return condition === expected
          ? []
          : [`${SERVICE} -> ${name}: condition ${String(condition)}, expected ${expected}`];
      }),
  );
  check(area, 'named volumes are declared', () => {
    const declared = new Set(Object.keys(dict(compose.volumes)));
    return names.flatMap((name) =>
      list(dict(services[name]).volumes)
        .map((volume) => (typeof volume === 'string' ? volume.split(':')[0] : String(dict(volume).source)))
        .filter((source): source is string => !!source && !/^[./~]/.test(source) && !declared.has(source))
        .map((source) => `${name} uses volume ${source}, which is not declared`),
    );
  });

  const service = dict(services[SERVICE]);
  const { env, problems: envTypeProblems } = composeEnvironment(service);
  const imageEnv: Record<string, string> = {};
  for (const instruction of finalStage?.instructions ?? []) {
    if (instruction.keyword === 'ENV') for (const [key, value] of parseEnv(instruction.args)) imageEnv[key] = value;
  }
  const effectiveEnv = { ...imageEnv, ...env };

  check(area, `${SERVICE} environment: custom mode against the store, strings only, names known`, () => {
    const problems = [...envTypeProblems, ...unknownEnvNames(Object.keys(env)).map((n) => `unknown variable ${n}`)];
    const expected: Record<string, string> = {
      S3_ENDPOINT_MODE: 'custom',
      S3_ALLOW_HTTP: 'true',
      S3_FORCE_PATH_STYLE: 'true',
    };
    for (const [key, value] of Object.entries(expected)) {
      if (env[key] !== value) problems.push(`${key} is ${JSON.stringify(env[key])}, expected "${value}"`);
    }
    const endpointHost = URL.canParse(env.S3_ENDPOINT_URL ?? '') ? new URL(env.S3_ENDPOINT_URL ?? '').hostname : '';
    if (!names.includes(endpointHost)) {
      problems.push(`S3_ENDPOINT_URL host "${endpointHost}" is not a compose service`);
    }
    return problems;
  });
  check(area, `${SERVICE} environment (with the image's ENV) passes the service's loadConfig`, () =>
    configProblems(effectiveEnv),
  );
  check(area, `${SERVICE} counts rate limits in a Redis service of this file, which it waits for`, () => {
    const url = env.RATE_LIMIT_REDIS_URL;
    if (url === undefined) return ['no RATE_LIMIT_REDIS_URL: replicas would count on their own'];
    const host = URL.canParse(url) ? new URL(url).hostname : '';
    if (!names.includes(host)) return [`RATE_LIMIT_REDIS_URL host "${host}" is not a compose service`];
    const problems: string[] = [];
    if (at(service, 'depends_on', host, 'condition') !== 'service_healthy') {
      problems.push(`${SERVICE} does not wait for ${host} to be healthy`);
    }
    if (list(dict(services[host]).ports).length > 0) problems.push(`${host} publishes ports: keep it on the network`);
    return problems;
  });
  check(area, `${SERVICE} mounts AUTH_CLIENTS_FILE and the service accepts its callers`, () => {
    const mount = list(service.volumes)
      .map(String)
      .map((volume) => volume.split(':'))
      .find(([, target]) => target === effectiveEnv.AUTH_CLIENTS_FILE);
    const source = mount?.[0] ? join(ROOT, mount[0]) : undefined;
    const text = source && existsSync(source) ? readFileSync(source, 'utf8') : undefined;
    return clientsProblems(effectiveEnv, text, mount?.[0] ?? 'volumes');
  });
  const store = dict(services[STORE_SERVICE]);
  const storeEnv = composeEnvironment(store).env;
  const storeCommand = list(store.command).map(String);
  /** `-s3.port=N` on the command line, else SeaweedFS's default. */
  const s3Port = /^-s3\.port=(\d+)$/.exec(storeCommand.find((arg) => arg.startsWith('-s3.port=')) ?? '')?.[1] ?? '8333';
  check(area, `${STORE_SERVICE}: one-process "weed mini" with its data on a volume and an S3 identity`, () => {
    const problems: string[] = [];
    if (storeCommand[0] !== 'mini') problems.push(`command is ${JSON.stringify(storeCommand)}, expected "mini" first`);
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
    return problems;
  });
  check(area, `${SERVICE} reaches the store's S3 port with the store's identity`, () => {
    const problems: string[] = [];
    const endpoint = URL.canParse(env.S3_ENDPOINT_URL ?? '') ? new URL(env.S3_ENDPOINT_URL ?? '') : undefined;
    if (endpoint?.hostname !== STORE_SERVICE) problems.push(`S3_ENDPOINT_URL does not name ${STORE_SERVICE}`);
    if (endpoint && endpoint.port !== s3Port)
      problems.push(`S3_ENDPOINT_URL port ${endpoint.port}, the S3 gateway listens on ${s3Port}`);
    if (!env.AWS_ACCESS_KEY_ID || env.AWS_ACCESS_KEY_ID !== storeEnv.AWS_ACCESS_KEY_ID) {
      problems.push(`AWS_ACCESS_KEY_ID does not match ${STORE_SERVICE}'s`);
    }
    if (!env.AWS_SECRET_ACCESS_KEY || env.AWS_SECRET_ACCESS_KEY !== storeEnv.AWS_SECRET_ACCESS_KEY) {
      problems.push(`AWS_SECRET_ACCESS_KEY does not match ${STORE_SERVICE}'s`);
    }
    return problems;
  });
  const job = dict(services[BUCKET_JOB]);
  check(area, `${BUCKET_JOB} creates every bucket in S3_BUCKETS`, () => {
    const jobText = JSON.stringify(job);
    return (env.S3_BUCKETS ?? '')
      .split(',')
      .map((bucket) => bucket.trim())
      .filter((bucket) => bucket && !jobText.includes(bucket))
      .map((bucket) => `bucket ${bucket} is not mentioned by ${BUCKET_JOB}`);
  });
  check(area, `${BUCKET_JOB} waits for the store, is safe to re-run, and its script parses (sh -n)`, () => {
    const problems: string[] = [];
    if (at(job, 'depends_on', STORE_SERVICE, 'condition') !== 'service_healthy') {
      problems.push(`${BUCKET_JOB} does not wait for ${STORE_SERVICE} to be healthy`);
    }
    if (job.image !== store.image) problems.push(`${BUCKET_JOB} runs ${String(job.image)}, not the store's image`);
    const text = JSON.stringify(job);
    if (!text.includes('s3.bucket.create')) problems.push('no "s3.bucket.create"');
    if (!text.includes('s3.bucket.list')) problems.push('does not check s3.bucket.list first (a re-run would fail)');
    const entrypoint = list(job.entrypoint).map(String);
    const command = list(job.command).map(String);
    if (entrypoint.join(' ') === '/bin/sh -c' && command.length === 1) {
      const problem = shellSyntaxProblem(interpolate(command[0] ?? ''));
      if (problem) problems.push(problem);
    } else {
      problems.push('expected entrypoint [/bin/sh, -c] and a one-element command (the script)');
    }
    return problems;
  });
  check(area, `${SERVICE} publishes its PORT`, () => {
    const port = effectiveEnv.PORT ?? '8080';
    const published = list(service.ports).map((entry) =>
      typeof entry === 'string' ? entry.split(':').pop() : String(dict(entry).target),
    );
    return published.includes(port) ? [] : [`container port ${port} is not published (${published.join(', ')})`];
  });
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

interface K8sObject {
  file: string;
  kind: string;
  name: string;
  value: Dict;
}

const EXPECTED_API_VERSIONS: Record<string, string> = {
  Deployment: 'apps/v1',
  Service: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  ServiceAccount: 'v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
};

const MODEL_MODULES: Record<string, string> = {
  Deployment: 'kubernetes-models/apps/v1/Deployment',
  Service: 'kubernetes-models/v1/Service',
  ConfigMap: 'kubernetes-models/v1/ConfigMap',
  Secret: 'kubernetes-models/v1/Secret',
  ServiceAccount: 'kubernetes-models/v1/ServiceAccount',
  HorizontalPodAutoscaler: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  PodDisruptionBudget: 'kubernetes-models/policy/v1/PodDisruptionBudget',
};

function lintKubernetes(dockerfile: Dockerfile | undefined): void {
  const area = 'kubernetes';
  const dir = join(ROOT, K8S_DIR);
  if (!existsSync(dir)) {
    check(area, `${K8S_DIR} exists`, () => [`no ${K8S_DIR}`]);
    return;
  }
  const files = readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort();
  const parsed = files.map((file) => loadYaml(`${K8S_DIR}/${file}`));
  check(area, `${files.length} YAML files are well-formed (no duplicate keys)`, () =>
    parsed.flatMap((file) => file.errors.map((error) => `${file.file}: ${error}`)),
  );

  const kustomization = dict(parsed.find((file) => /kustomization\.ya?ml$/.test(file.file))?.documents[0]);
  const objects: K8sObject[] = parsed
    .filter((file) => !/kustomization\.ya?ml$/.test(file.file))
    .flatMap((file) =>
      file.documents.map((value) => ({
        file: file.file,
        kind: String(dict(value).kind ?? ''),
        name: String(at(value, 'metadata', 'name') ?? ''),
        value: dict(value),
      })),
    );
  const find = (kind: string) => objects.filter((object) => object.kind === kind);
  const one = (kind: string) => find(kind)[0]?.value ?? {};

  check(area, 'every object has apiVersion, kind, metadata.name; the expected API versions', () =>
    objects.flatMap((object) => {
      const problems: string[] = [];
      const where = `${object.file} (${object.kind || '?'} ${object.name || '?'})`;
      if (!object.value.apiVersion) problems.push(`${where}: no apiVersion`);
      if (!object.kind) problems.push(`${where}: no kind`);
      if (!object.name) problems.push(`${where}: no metadata.name`);
      const expected = EXPECTED_API_VERSIONS[object.kind];
      if (object.kind && !expected) problems.push(`${where}: unexpected kind`);
      if (expected && object.value.apiVersion !== expected) {
        problems.push(`${where}: apiVersion ${String(object.value.apiVersion)}, expected ${expected}`);
      }
      return problems;
    }),
  );
  // Two ConfigMaps: the settings (envFrom) and the callers file (a volume).
  const expectedCount = (kind: string) => (kind === 'ConfigMap' ? 2 : 1);
  check(area, 'one each of Deployment, Service, ServiceAccount, HPA, PDB, Secret; two ConfigMaps', () =>
    Object.keys(EXPECTED_API_VERSIONS)
      .filter((kind) => find(kind).length !== expectedCount(kind))
      .map((kind) => `${find(kind).length} ${kind} objects`),
  );
  check(area, 'kustomization.yaml lists exactly the manifests in the directory', () => {
    const resources = list(kustomization.resources).map(String);
    const manifests = files.filter((file) => !/^kustomization\.ya?ml$/.test(file));
    return [
      ...(Object.keys(kustomization).length === 0 ? ['no kustomization.yaml'] : []),
      ...resources.filter((file) => !files.includes(file)).map((file) => `lists ${file}, which does not exist`),
      ...manifests.filter((file) => !resources.includes(file)).map((file) => `does not list ${file}`),
    ];
  });

  const deployment = one('Deployment');
  const podSpec = dict(at(deployment, 'spec', 'template', 'spec'));
  const podLabels = at(deployment, 'spec', 'template', 'metadata', 'labels');
  const containers = list(podSpec.containers).map(dict);
  const container = containers.find((c) => c.name === SERVICE) ?? containers[0] ?? {};
  const namedPorts = new Map(list(container.ports).map((port) => [dict(port).name, dict(port).containerPort]));

  check(area, 'Deployment: 2 replicas, selector matches the pod labels, service account exists', () => {
    const problems: string[] = [];
    if (at(deployment, 'spec', 'replicas') !== 2) problems.push('spec.replicas is not 2');
    if (!sameLabels(at(deployment, 'spec', 'selector', 'matchLabels'), podLabels)) {
      problems.push('spec.selector.matchLabels does not match the pod template labels');
    }
    const serviceAccount = podSpec.serviceAccountName;
    if (!serviceAccount) problems.push('no serviceAccountName');
    else if (!find('ServiceAccount').some((sa) => sa.name === serviceAccount)) {
      problems.push(`serviceAccountName ${String(serviceAccount)} is not defined here`);
    }
    if (typeof podSpec.terminationGracePeriodSeconds !== 'number') problems.push('no terminationGracePeriodSeconds');
    return problems;
  });
  check(area, 'Deployment security: non-root, seccomp RuntimeDefault, read-only root, no caps', () => {
    const pod = dict(podSpec.securityContext);
    const own = dict(container.securityContext);
    const problems: string[] = [];
    if (pod.runAsNonRoot !== true && own.runAsNonRoot !== true) problems.push('runAsNonRoot is not true');
    const uid = own.runAsUser ?? pod.runAsUser;
    if (uid === 0) problems.push('runAsUser is 0');
    const imageUser = dockerfile?.stages[dockerfile.stages.length - 1]?.instructions
      .filter((instruction) => instruction.keyword === 'USER')
      .pop()
      ?.args.split(':')[0];
    if (uid !== undefined && imageUser !== undefined && String(uid) !== imageUser) {
      problems.push(`runAsUser ${String(uid)} differs from the image's USER ${imageUser}`);
    }
    const seccomp = at(own, 'seccompProfile', 'type') ?? at(pod, 'seccompProfile', 'type');
    if (seccomp !== 'RuntimeDefault') problems.push('seccompProfile is not RuntimeDefault');
    if (own.readOnlyRootFilesystem !== true) problems.push('readOnlyRootFilesystem is not true');
    if (own.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');
    if (!list(at(own, 'capabilities', 'drop')).includes('ALL')) problems.push('capabilities do not drop ALL');
    if (own.privileged === true) problems.push('privileged');
    return problems;
  });
  check(area, 'Deployment resources: requests and limits set, requests <= limits', () => {
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
  });
  check(area, 'Deployment probes: startup, liveness /livez, readiness /readyz, on a declared port', () => {
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
      if (typeof httpGet.port === 'string' && !namedPorts.has(httpGet.port)) {
        problems.push(`${probe} port ${httpGet.port} is not a named container port`);
      }
    }
    return problems;
  });
  check(area, 'Deployment spreads pods across zones and nodes', () => {
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
  });
  check(area, 'Deployment image pinned (after the kustomize images transform)', () => {
    const image = String(container.image ?? '');
    const [name, tag] = image.split(':');
    const override = dict(
      list(kustomization.images)
        .map(dict)
        .find((entry) => entry.name === name),
    );
    const effectiveName = String(override.newName ?? name);
    const effectiveTag = override.newTag === undefined ? tag : String(override.newTag);
    const problem = imagePinProblem(effectiveTag ? `${effectiveName}:${effectiveTag}` : effectiveName);
    return problem ? [problem] : [];
  });

  /** The value an env entry takes from a Secret defined here (stringData, or base64 data). */
  const secretValue = (variable: Dict): { value?: string; problem?: string } => {
    const ref = dict(at(variable, 'valueFrom', 'secretKeyRef'));
    if (Object.keys(ref).length === 0) return {};
    const secret = find('Secret').find((candidate) => candidate.name === ref.name);
    if (!secret) return { problem: `secretKeyRef names Secret ${String(ref.name)}, which is not defined here` };
    const plain = dict(secret.value.stringData)[String(ref.key)];
    if (typeof plain === 'string') return { value: plain };
    const encoded = dict(secret.value.data)[String(ref.key)];
    if (typeof encoded === 'string') return { value: Buffer.from(encoded, 'base64').toString('utf8') };
    return { problem: `Secret ${secret.name} has no key ${String(ref.key)}` };
  };
  const envFromNames = list(container.envFrom).map((e) => at(e, 'configMapRef', 'name'));
  const configMap = find('ConfigMap').find((candidate) => envFromNames.includes(candidate.name));
  check(area, 'ConfigMap: referenced by envFrom, string values, known variable names', () => {
    const problems: string[] = [];
    if (!configMap) return ['no ConfigMap'];
    if (!envFromNames.includes(configMap.name)) problems.push(`envFrom does not reference ${configMap.name}`);
    for (const [key, value] of Object.entries(dict(configMap.value.data))) {
      if (typeof value !== 'string') problems.push(`${key}: ${typeof value} value; ConfigMap data must be strings`);
    }
    problems.push(...unknownEnvNames(Object.keys(dict(configMap.value.data))).map((n) => `unknown variable ${n}`));
    return problems;
  });
  check(area, 'pod environment (image ENV + ConfigMap + env) passes the service loadConfig', () => {
    const env: Record<string, string> = {};
    for (const instruction of dockerfile?.stages[dockerfile.stages.length - 1]?.instructions ?? []) {
      if (instruction.keyword === 'ENV') for (const [key, value] of parseEnv(instruction.args)) env[key] = value;
    }
    for (const [key, value] of Object.entries(dict(configMap?.value.data))) env[key] = String(value);
    const problems: string[] = [];
    for (const variable of list(container.env).map(dict)) {
      if (typeof variable.value === 'string') env[String(variable.name)] = variable.value;
      else if (variable.value !== undefined) problems.push(`env ${String(variable.name)}: value is not a string`);
      const fromSecret = secretValue(variable);
      if (fromSecret.problem) problems.push(`env ${String(variable.name)}: ${fromSecret.problem}`);
      else if (fromSecret.value !== undefined) env[String(variable.name)] = fromSecret.value;
    }
    problems.push(...unknownEnvNames(list(container.env).map((v) => String(dict(v).name))).map((n) => `unknown ${n}`));
    problems.push(...configProblems(env));
    const port = Number(env.PORT ?? '8080');
    if (namedPorts.get('http') !== port) problems.push(`containerPort "http" is not PORT (${port})`);
    return problems;
  });
  check(area, 'RATE_LIMIT_REDIS_URL comes from a Secret in this directory, never a literal or the ConfigMap', () => {
    const problems: string[] = [];
    if ('RATE_LIMIT_REDIS_URL' in dict(configMap?.value.data)) {
      problems.push('the ConfigMap sets RATE_LIMIT_REDIS_URL: its password belongs in a Secret');
    }
    const variable = list(container.env)
      .map(dict)
      .find((candidate) => candidate.name === 'RATE_LIMIT_REDIS_URL');
    if (!variable) return [...problems, 'the container has no RATE_LIMIT_REDIS_URL: replicas would count on their own'];
    if (variable.value !== undefined) problems.push('RATE_LIMIT_REDIS_URL is a literal value, not a secretKeyRef');
    const fromSecret = secretValue(variable);
    if (fromSecret.problem) problems.push(fromSecret.problem);
    else if (fromSecret.value === undefined) problems.push('RATE_LIMIT_REDIS_URL has no valueFrom.secretKeyRef');
    return problems;
  });
  check(area, 'the callers file is mounted at AUTH_CLIENTS_FILE and the service accepts it', () => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(dict(configMap?.value.data))) env[key] = String(value);
    for (const variable of list(container.env).map(dict)) {
      const value = typeof variable.value === 'string' ? variable.value : secretValue(variable).value;
      if (value !== undefined) env[String(variable.name)] = value;
    }
    const file = env.AUTH_CLIENTS_FILE ?? '';
    const mount = list(container.volumeMounts)
      .map(dict)
      .find((candidate) => file.startsWith(`${String(candidate.mountPath)}/`));
    if (!mount) return [`no volumeMount holds AUTH_CLIENTS_FILE=${file}`];
    const volume = list(podSpec.volumes)
      .map(dict)
      .find((candidate) => candidate.name === mount.name);
    const source = find('ConfigMap').find((candidate) => candidate.name === at(volume, 'configMap', 'name'));
    const fileName = file.slice(String(mount.mountPath).length + 1);
    const text = dict(source?.value.data)[fileName];
    return clientsProblems(env, typeof text === 'string' ? text : undefined, `ConfigMap ${source?.name ?? '?'}`);
  });
  check(area, 'Service selects the pods and targets a declared port', () => {
    const service = one('Service');
    const problems: string[] = [];
    if (!sameLabels(at(service, 'spec', 'selector'), podLabels)) problems.push('selector does not match the pods');
    for (const port of list(at(service, 'spec', 'ports')).map(dict)) {
      if (typeof port.targetPort === 'string' && !namedPorts.has(port.targetPort)) {
        problems.push(`targetPort ${port.targetPort} is not a named container port`);
      }
    }
    return problems;
  });
  check(area, 'HPA: targets the Deployment, 2..10 replicas, on CPU', () => {
    const hpa = one('HorizontalPodAutoscaler');
    const problems: string[] = [];
    const target = dict(at(hpa, 'spec', 'scaleTargetRef'));
    if (target.kind !== 'Deployment' || target.name !== at(deployment, 'metadata', 'name')) {
      problems.push('scaleTargetRef is not the Deployment');
    }
    if (at(hpa, 'spec', 'minReplicas') !== 2 || at(hpa, 'spec', 'maxReplicas') !== 10) {
      problems.push('replicas are not 2..10');
    }
    if (!list(at(hpa, 'spec', 'metrics')).some((m) => at(m, 'resource', 'name') === 'cpu'))
      problems.push('no CPU metric');
    if (at(container, 'resources', 'requests', 'cpu') === undefined)
      problems.push('CPU utilization needs a CPU request');
    return problems;
  });
  check(area, 'PDB: minAvailable 1 below the HPA minimum, selects the pods', () => {
    const pdb = one('PodDisruptionBudget');
    const problems: string[] = [];
    const minAvailable = at(pdb, 'spec', 'minAvailable');
    if (minAvailable !== 1) problems.push(`minAvailable is ${String(minAvailable)}`);
    const minReplicas = Number(at(one('HorizontalPodAutoscaler'), 'spec', 'minReplicas') ?? 0);
    if (typeof minAvailable === 'number' && minAvailable >= minReplicas) {
      problems.push('minAvailable >= minReplicas: node drains would block');
    }
    if (!sameLabels(at(pdb, 'spec', 'selector', 'matchLabels'), podLabels)) problems.push('selector misses the pods');
    return problems;
  });
  check(area, 'ServiceAccount carries the IRSA role annotation', () => {
    const arn = at(one('ServiceAccount'), 'metadata', 'annotations', 'eks.amazonaws.com/role-arn');
    return typeof arn === 'string' && /^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(arn)
      ? []
      : ['eks.amazonaws.com/role-arn is missing or not an IAM role ARN'];
  });

  // Optional: schema validation with kubernetes-models, when it is installed.
  const require = createRequire(join(ROOT, 'package.json'));
  let modelsVersion: string | undefined;
  try {
    modelsVersion = String((require('kubernetes-models/package.json') as Dict).version);
  } catch {
    modelsVersion = undefined;
  }
  if (!modelsVersion) {
    skip(area, 'objects validate against the Kubernetes schemas', 'kubernetes-models is not installed');
  } else {
    check(area, `objects validate against the Kubernetes schemas (kubernetes-models ${modelsVersion})`, () =>
      objects.flatMap((object) => {
        const modulePath = MODEL_MODULES[object.kind];
        if (!modulePath) return [`${object.file}: no model for ${object.kind}`];
        const exported = require(modulePath) as Record<string, new (value: unknown) => { validate(): void }>;
        const Model = exported[object.kind];
        if (!Model) return [`${modulePath} exports no ${object.kind}`];
        try {
          new Model(object.value).validate();
          return [];
        } catch (error) {
          return [`${object.file}: ${error instanceof Error ? error.message : String(error)}`];
        }
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------

process.stdout.write('lint-deploy: static checks of Dockerfile, docker-compose.yml and deploy/kubernetes\n');
const dockerfile = lintDockerfile();
lintPackage();
lintCompose(dockerfile);
lintKubernetes(dockerfile);
process.stdout.write(
  `lint-deploy: ${tally.ok} checks ok, ${tally.FAIL} failing, ${tally.skip} skipped (built-in checks)\n`,
);
process.exitCode = tally.FAIL > 0 ? 1 : 0;
