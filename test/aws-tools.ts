// Debian's python3-boto3 and awscli, for the tests that check what the real tools mint. boto3
// is run through /usr/bin/python3: the python3 first on a developer's PATH (pyenv) may have no
// boto3. Presigning needs no network: the tools run with fake static credentials and no
// configuration of the developer's. Without the packages the tests skip and say why; under
// CI=true they fail instead (.ci/run installs them).
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { EXAMPLE_CREDENTIALS } from './fixtures/credentials.js';

export const DEBIAN_PYTHON = '/usr/bin/python3';
export const DEBIAN_AWS = '/usr/bin/aws';

let problem: string | undefined | null = null;

/** Why the tools cannot run here, or undefined; asked once per process. */
function installed(): string | undefined {
  if (problem === null) problem = findProblem();
  return problem;
}

function findProblem(): string | undefined {
  const boto3 = spawnSync(DEBIAN_PYTHON, ['-c', 'import boto3'], { encoding: 'utf8' });
  if (boto3.error !== undefined || boto3.status !== 0) return `${DEBIAN_PYTHON} cannot import boto3`;
  const aws = spawnSync(DEBIAN_AWS, ['--version'], { encoding: 'utf8', env: toolEnvironment() });
  if (aws.error !== undefined || aws.status !== 0) return `${DEBIAN_AWS} does not run`;
  return undefined;
}

/** For `test(name, { skip: awsToolsMissing() }, …)`: the reason to skip, or false. */
export function awsToolsMissing(): string | false {
  const missing = installed();
  if (missing === undefined) return false;
  const install = 'apt-get install awscli python3-boto3';
  if (process.env.CI === 'true') {
    throw new Error(`${missing}, and under CI=true the boto3 and AWS CLI tests must run (${install})`);
  }
  return `${missing} (${install}): the boto3 and AWS CLI tests are skipped`;
}

/** AWS's documented example keys, and nothing from the developer's own AWS setup. */
export function toolEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: '/usr/bin:/bin',
    HOME: '/nonexistent',
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: EXAMPLE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EXAMPLE_CREDENTIALS.secretAccessKey,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/** Runs a program (python3 -, or bash -c) and answers its stdout; a failure throws with its stderr. */
export function run(command: string, args: string[], input: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
    child.stdin.end(input);
  });
}

export const runPython = (code: string, env: Record<string, string>) => run(DEBIAN_PYTHON, ['-'], code, env);
export const runBash = (script: string, env: Record<string, string>) => run('/bin/bash', ['-e'], script, env);

/**
 * The fenced code block a page marks with `<!-- … runs this block: NAME -->`, exactly as the
 * page shows it: a test runs what a reader copies.
 */
export async function pageBlock(page: URL, name: string): Promise<{ language: string; code: string }> {
  const text = await readFile(page, 'utf8');
  const marker = new RegExp(`<!-- [^\\n]*runs this block: ${name} -->\\n\\n\`\`\`(\\w+)\\n([\\s\\S]*?)\`\`\`\\n`);
  const found = marker.exec(text);
  if (!found) throw new Error(`${page.pathname} has no block marked "${name}"`);
  return { language: found[1] as string, code: found[2] as string };
}
