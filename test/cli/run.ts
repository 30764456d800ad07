// Runs the CLI in-process through main(), and the project's entry points as child processes.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NOT_SHEDDING } from '../fixtures/config.js';
import { EXAMPLE_CREDENTIALS } from '../fixtures/credentials.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A clean environment: nothing from the developer's shell leaks into the test. A service it
 * starts does not shed load (NOT_SHEDDING) unless the test sets OVERLOAD_MAX_EVENT_LOOP_DELAY_MS.
 */
export function baseEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...NOT_SHEDDING,
    HOME: '/nonexistent',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

export function runTs(script: string, args: string[], env: Record<string, string>): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // A hang guard, not a measurement: a start takes 3.5 s at a load average of 28 here, and
    // 30 s was passed with the whole suite running beside it at --test-concurrency=4.
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The example key pair every CLI test signs with unless it passes its own. */
const EXAMPLE_KEYS = {
  AWS_ACCESS_KEY_ID: EXAMPLE_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: EXAMPLE_CREDENTIALS.secretAccessKey,
};

/**
 * The CLI in this process, through main() with captured streams: flags, output and exit code
 * without a process per call. What only a process has (the bin, process.exitCode, Ctrl-C) is
 * tested through cliProcess.
 */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<Finished & { code: number }> {
  const { main } = await import('../../src/cli/main.js');
  let stdout = '';
  let stderr = '';
  const io = {
    env: baseEnvironment({ ...EXAMPLE_KEYS, ...env }),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  };
  try {
    const code = await main(args, io);
    return { code, stdout, stderr };
  } catch (error) {
    // What the process would do with the rejection: its stack on stderr, exit 1.
    return { code: 1, stdout, stderr: `${stderr}${(error as Error).stack ?? String(error)}\n` };
  }
}

/** The CLI as a child process (src/cli.ts, the bin's entry), the way a user or CI runs it. */
export const cliProcess = (args: string[], env: Record<string, string> = {}) =>
  runTs('src/cli.ts', args, baseEnvironment({ ...EXAMPLE_KEYS, ...env }));
