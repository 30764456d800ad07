// What this project's image must be: its runtime stage runs the newest Node.js line that
// package.json's engines (and the README) name, as a numeric non-root user, node dist/server.js
// in exec form with a /livez healthcheck, from a production-only install, with nothing from
// the build context but what it needs.
import type { Ignore } from '@balena/dockerignore';
import { createRequire } from 'node:module';
import type { Copy, Healthcheck, Instruction } from 'dockerfile-ast';
import { at, type Check } from './check.js';
import { execForm, type DeployFiles, type Stage } from './files.js';
import { compareVersions, engineRanges, imagePinProblem } from './versions.js';

// A CommonJS module whose types declare an ES default export; its module.exports is the factory.
const ignore = createRequire(import.meta.url)('@balena/dockerignore') as () => Ignore;

const line = (instruction: Instruction) => `line ${instruction.getRange().start.line + 1}`;
const inFinal = (files: DeployFiles, keyword: string) =>
  (files.finalStage()?.instructions ?? []).filter((instruction) => instruction.getKeyword() === keyword);
const runs = (stage: Stage) =>
  stage.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');

/** A COPY's sources (its last argument is the destination) and its --from stage. */
function copyOf(instruction: Instruction): { from: string | undefined; sources: string[] } {
  const copy = instruction as Copy;
  const words = execForm(instruction) ?? copy.getArguments().map((argument) => argument.getValue());
  return { from: copy.getFromFlag()?.getValue() ?? undefined, sources: words.slice(0, -1) };
}

function engines(files: DeployFiles): string {
  return String(at(files.json('package.json'), 'engines', 'node') ?? '');
}

export const CHECKS: Check[] = [
  {
    area: 'image',
    name: 'multi-stage build; every base image pinned to an exact version or a digest (ARGs resolved)',
    run(files) {
      const stages = files.stages();
      const names = new Set(stages.map((stage) => stage.name));
      return [
        ...(stages.length >= 2 ? [] : [`${stages.length} stage(s): build and runtime belong apart`]),
        ...stages.flatMap((stage) => {
          if (names.has(stage.image) || stage.image === 'scratch') return [];
          if (stage.image === '') return ['FROM with an unresolvable image (ARG without a default?)'];
          return [imagePinProblem(stage.image)].filter((problem): problem is string => problem !== undefined);
        }),
      ];
    },
  },
  {
    area: 'image',
    name: 'the runtime image runs the newest Node.js line in package.json engines, within its range',
    run(files) {
      const image = files.finalStage()?.image ?? '';
      const version = /^(?:docker\.io\/)?(?:library\/)?node:(\d+\.\d+\.\d+)\b/.exec(image)?.[1];
      if (!version) return [`the runtime image ${image || '(none)'} is not node:<x.y.z>-…`];
      if (!engines(files)) return ['package.json has no engines.node'];
      const ranges = engineRanges(engines(files));
      const parts = version.split('.').map(Number);
      const problems: string[] = [];
      if (!ranges.some((r) => compareVersions(parts, r.lowest) >= 0 && compareVersions(parts, r.below) < 0)) {
        problems.push(`Node.js ${version} is outside engines "${engines(files)}"`);
      }
      const newest = Math.max(...ranges.map((r) => r.lowest[0] ?? 0));
      if (parts[0] !== newest)
        problems.push(`the image runs Node.js ${parts[0]}; the newest line in engines is ${newest}`);
      return problems;
    },
  },
  {
    area: 'image',
    name: 'the README\'s "Needs Node.js" statement names every line in engines',
    run(files) {
      const lines = engineRanges(engines(files)).map((r) => r.lowest[0]);
      const statement = /^Needs Node\.js .*$/m.exec(files.text('README.md'))?.[0];
      if (!statement) return ['README.md has no "Needs Node.js …" line'];
      return lines
        .filter((major) => !new RegExp(`\\b${major}\\b`).test(statement))
        .map((major) => `Node.js ${major} is not in: ${statement}`);
    },
  },
  {
    area: 'image',
    name: 'the runtime stage runs as a numeric non-root USER',
    run(files) {
      const user = inFinal(files, 'USER').pop()?.getArgumentsContent();
      if (!user) return ['no USER in the final stage: the container would run as root'];
      const name = user.split(':')[0] ?? '';
      if (name === 'root' || name === '0') return [`USER ${user} is root`];
      if (!/^\d+$/.test(name)) return [`USER ${user}: use the numeric uid, so Kubernetes runAsNonRoot can verify it`];
      return [];
    },
  },
  {
    area: 'image',
    name: 'the runtime stage has an exec-form HEALTHCHECK on /livez (node, no curl or wget)',
    run(files) {
      const healthcheck = inFinal(files, 'HEALTHCHECK').pop() as Healthcheck | undefined;
      if (!healthcheck) return ['no HEALTHCHECK in the final stage'];
      const subcommand = healthcheck.getSubcommand();
      if (subcommand?.getValue().toUpperCase() !== 'CMD') return ['the HEALTHCHECK is not CMD (NONE?)'];
      const content = healthcheck.getArgumentsContent() ?? '';
      const command = content.slice(content.indexOf(subcommand.getValue()) + subcommand.getValue().length).trim();
      const argv = (() => {
        try {
          return JSON.parse(command) as unknown;
        } catch {
          return undefined;
        }
      })();
      const problems: string[] = [];
      if (!Array.isArray(argv)) problems.push('HEALTHCHECK CMD is not in exec (JSON array) form');
      if (!command.includes('/livez')) problems.push('HEALTHCHECK does not call /livez');
      if (/\bcurl\b|\bwget\b/.test(command)) problems.push('HEALTHCHECK uses curl/wget, which the slim image lacks');
      return problems;
    },
  },
  {
    area: 'image',
    name: 'ENTRYPOINT/CMD in exec form run node dist/server.js; NODE_ENV=production; EXPOSE 8080',
    run(files) {
      const entrypoint = inFinal(files, 'ENTRYPOINT').pop();
      const cmd = inFinal(files, 'CMD').pop();
      const problems: string[] = [];
      for (const instruction of [entrypoint, cmd]) {
        if (instruction && !execForm(instruction)) {
          problems.push(
            `${line(instruction)}: ${instruction.getKeyword()} is in shell form (signals would go to /bin/sh)`,
          );
        }
      }
      const argv = [...(execForm(entrypoint) ?? []), ...(execForm(cmd) ?? [])];
      if (argv[0] !== 'node' || !argv.includes('dist/server.js')) {
        problems.push(`the container runs ${JSON.stringify(argv)}, not node dist/server.js`);
      }
      if (files.imageEnvironment().NODE_ENV !== 'production') problems.push('NODE_ENV is not production');
      if (!inFinal(files, 'EXPOSE').some((i) => /\b8080\b/.test(i.getArgumentsContent() ?? ''))) {
        problems.push('no EXPOSE 8080');
      }
      return problems;
    },
  },
  {
    area: 'image',
    name: 'the runtime stage copies only package.json, dist/ and a production-only node_modules (no ADD)',
    run(files) {
      const stages = files.stages();
      const allowed = new Set(['package.json', 'dist', 'node_modules']);
      const problems = inFinal(files, 'ADD').map((instruction) => `${line(instruction)}: ADD in the runtime stage`);
      for (const instruction of inFinal(files, 'COPY')) {
        for (const source of copyOf(instruction).sources) {
          if (!allowed.has(source.replace(/\/+$/, '').split('/').pop() ?? source)) {
            problems.push(`${line(instruction)}: copies ${source}`);
          }
        }
      }
      const modules = inFinal(files, 'COPY')
        .map(copyOf)
        .find((copy) => copy.sources.some((source) => /node_modules\/?$/.test(source)));
      if (!modules?.from) return [...problems, 'node_modules is not copied from a build stage'];
      const stage = stages.find((candidate) => candidate.name === modules.from);
      if (!stage) return [...problems, `--from=${modules.from} names no stage`];
      const productionOnly = runs(stage).some(
        (run) =>
          (/\bnpm ci\b/.test(run) && /--omit=dev\b/.test(run) && /--ignore-scripts\b/.test(run)) ||
          /\bnpm prune\b.*--omit=dev\b/.test(run),
      );
      if (!productionOnly) {
        problems.push(
          `stage ${modules.from} runs neither "npm ci --omit=dev --ignore-scripts" nor "npm prune --omit=dev"`,
        );
      }
      return problems;
    },
  },
  {
    area: 'image',
    name: 'installs are npm ci (never npm install), after patches/ when the postinstall hook runs; no ADD of a URL',
    run: (files) =>
      files.stages().flatMap((stage) => {
        const problems: string[] = [];
        let patches = false;
        for (const instruction of stage.instructions) {
          const keyword = instruction.getKeyword();
          const text = instruction.getArgumentsContent() ?? '';
          if (keyword === 'COPY' && copyOf(instruction).sources.some((source) => /^patches\/?$/.test(source))) {
            patches = true;
          }
          if (keyword === 'RUN' && /\bnpm (install|i)\b/.test(text))
            problems.push(`${line(instruction)}: npm install (use npm ci)`);
          if (keyword === 'RUN' && /\bnpm ci\b/.test(text) && !/--ignore-scripts\b/.test(text) && !patches) {
            problems.push(`${line(instruction)}: npm ci runs patch-package before patches/ is copied`);
          }
          if (keyword === 'ADD' && /https?:\/\//.test(text)) problems.push(`${line(instruction)}: ADD of a URL`);
        }
        return problems;
      }),
  },
  {
    area: 'image',
    name: '.dockerignore keeps node_modules, dist, .git and .env out; every COPY source is in the context',
    run(files) {
      if (!files.exists('.dockerignore')) return ['no .dockerignore'];
      // @balena/dockerignore matches as Docker's own builder does.
      const ignored = ignore().add(files.text('.dockerignore'));
      const problems = ['node_modules', 'dist', '.git', '.env', 'coverage', 'src/x/node_modules']
        .filter((path) => !ignored.ignores(path))
        .map((path) => `${path} is not ignored`);
      for (const stage of files.stages()) {
        for (const instruction of stage.instructions.filter((i) => i.getKeyword() === 'COPY')) {
          const copy = copyOf(instruction);
          if (copy.from !== undefined) continue;
          for (const source of copy.sources) {
            if (!files.exists(source)) problems.push(`${line(instruction)}: ${source} does not exist`);
            else if (ignored.ignores(source.replace(/\/+$/, ''))) {
              problems.push(`${line(instruction)}: ${source} is excluded by .dockerignore`);
            }
          }
        }
      }
      return problems;
    },
  },
];
