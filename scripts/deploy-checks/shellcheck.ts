// shellcheck (Debian's package) on every shell script of the repository (.ci/run, scripts/,
// deploy/: `*.sh` or a sh/bash shebang), and on the shell the deployment files embed: the
// Dockerfile's shell-form RUN lines and compose's `sh -c` scripts, as POSIX sh (the images'
// /bin/sh). Every severity counts; a deliberate exception is a `# shellcheck disable=` with why.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Run } from 'dockerfile-ast';
import { list, type Check, type Problems } from './check.js';
import { COMPOSE_FILE, composeInterpolate, type DeployFiles } from './files.js';

const SHELLCHECK = { command: 'shellcheck', install: 'Debian package shellcheck' };
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', 'dist', 'coverage', 'reports', '.stryker-tmp']);
const SHEBANG = /^#!\s*(?:\/usr\/bin\/env\s+)?(?:\/bin\/|\/usr\/bin\/)?(?:ba)?sh\b/;

/** Shell scripts under the root: by extension or shebang. */
export function shellScripts(root: string, directory = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, directory), { withFileTypes: true })) {
    const path = directory ? `${directory}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) found.push(...shellScripts(root, path));
    } else if (entry.isFile()) {
      if (entry.name.endsWith('.sh') || SHEBANG.test(readFileSync(join(root, path), 'utf8').slice(0, 100))) {
        found.push(path);
      }
    }
  }
  return found.sort();
}

/** shellcheck's findings, one line each (`gcc` format); none when it is clean. */
function shellcheck(args: string[], input?: string): string[] {
  try {
    execFileSync('shellcheck', ['--format=gcc', ...args], {
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    return [];
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    const lines = `${stdout ?? ''}${stderr ?? ''}`.split('\n').filter(Boolean);
    return lines.length > 0 ? lines : [(error as Error).message];
  }
}

/** The shell the Dockerfile and the compose file embed, each as a named script. */
export function embeddedScripts(files: DeployFiles): Array<{ where: string; script: string }> {
  const scripts: Array<{ where: string; script: string }> = [];
  for (const instruction of files.dockerfile().getInstructions()) {
    if (!(instruction instanceof Run)) continue;
    const script = instruction.getArgumentsContent();
    if (script !== null && !script.trim().startsWith('[')) {
      scripts.push({ where: `Dockerfile line ${instruction.getRange().start.line + 1}`, script });
    }
  }
  for (const [name, service] of Object.entries(files.compose().services ?? {})) {
    const entrypoint = list((service as { entrypoint?: unknown }).entrypoint).map(String);
    const command = list((service as { command?: unknown }).command).map(String);
    if (/^(\/bin\/)?sh$/.test(entrypoint[0] ?? '') && entrypoint[1] === '-c' && command[0] !== undefined) {
      scripts.push({ where: `${COMPOSE_FILE} service ${name}`, script: composeInterpolate(command[0]) });
    }
  }
  return scripts;
}

export const CHECKS: Check[] = [
  {
    area: 'shell',
    name: 'shellcheck: every shell script in the repository',
    tool: SHELLCHECK,
    run(files): Problems {
      const scripts = shellScripts(files.root);
      if (scripts.length === 0) return ['no shell script found'];
      return shellcheck(scripts.map((script) => files.path(script))).map((line) =>
        line.startsWith(files.root) ? line.slice(files.root.length + 1) : line,
      );
    },
  },
  {
    area: 'shell',
    name: "shellcheck -s sh: the Dockerfile's RUN lines and compose's sh -c scripts",
    tool: SHELLCHECK,
    run: (files) =>
      embeddedScripts(files).flatMap(({ where, script }) =>
        shellcheck(['--shell=sh', '-'], `${script}\n`).map((line) => `${where}: ${line.replace(/^-:/, 'line ')}`),
      ),
  },
];
