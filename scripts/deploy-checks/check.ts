// What a deployment check is, and the runner that prints one line per check. A check returns
// its problems (none: ok); a throw is a failure too. A check that runs an external program
// names it: without the program it is skipped locally and fails under CI=true, so CI never
// passes a check it did not run.
import { execFileSync } from 'node:child_process';
import type { DeployFiles } from './files.js';

export type Problems = readonly string[];

export interface Check {
  /** Groups the output: `kubernetes`, `compose`, `image`… */
  area: string;
  name: string;
  /** The external program the check runs, and where to get it. */
  tool?: { command: string; install: string };
  run(files: DeployFiles): Problems | Promise<Problems>;
}

export type Outcome = 'ok' | 'FAIL' | 'skip';

export interface Result {
  check: Check;
  outcome: Outcome;
  details: Problems;
}

export function installed(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function runCheck(check: Check, files: DeployFiles, ci: boolean): Promise<Result> {
  if (check.tool && !installed(check.tool.command)) {
    const why = `${check.tool.command} is not installed (${check.tool.install})`;
    return { check, outcome: ci ? 'FAIL' : 'skip', details: [ci ? `${why}: CI runs every check` : why] };
  }
  let problems: Problems;
  try {
    problems = await check.run(files);
  } catch (error) {
    problems = [`check crashed: ${error instanceof Error ? error.message : String(error)}`];
  }
  return { check, outcome: problems.length === 0 ? 'ok' : 'FAIL', details: problems };
}

export function formatResult({ check, outcome, details }: Result): string {
  const lines = [`${outcome.padEnd(4)}  ${check.area.padEnd(10)} ${check.name}`];
  for (const detail of details) lines.push(`                 - ${detail}`);
  return lines.join('\n');
}

export { at, dict, isDict, list, type Dict } from './readers.js';
