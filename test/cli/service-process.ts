// The service as a real process (src/server.ts through tsx), in local mode with its own
// embedded S3 server on free ports: what the fleet and fault tests run, several at once.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hashApiKey } from '../../src/auth/api-keys.js';
import { baseEnvironment } from './run.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ServiceProcess {
  /** http://127.0.0.1:PORT */
  url: string;
  child: ChildProcessWithoutNullStreams;
  output(): { stdout: string; stderr: string };
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startService(t: TestContext, env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: baseEnvironment({ PORT: '0', LOCAL_S3_PORT: '0', LOG_LEVEL: 'warn', ...env }),
  });
  // Bounds the start only (a hang guard: the start takes 3.5 s at load 28). Left running, it
  // killed the service of a test that outlasted it: the 300 MiB resumed upload of
  // service-upload.test.ts took 124 s beside other test files and met ECONNREFUSED.
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => {
    clearTimeout(guard);
    return code as number | null;
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  // SIGTERM first: on the way out the service removes its embedded S3 server's folder, which a
  // SIGKILL leaves behind in the temporary directory. SIGKILL only for one that does not stop.
  t.after(async () => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await stop('SIGTERM');
    clearTimeout(killer);
  });
  while (!/service:\s+http:\/\/\S+/.test(stdout)) {
    const ended = await Promise.race([once(child.stdout, 'data').then(() => false), exited.then(() => true)]);
    if (ended) throw new Error(`the service exited before it was ready: ${stderr}`);
  }
  clearTimeout(guard);
  const url = /service:\s+(http:\/\/\S+)/.exec(stdout)?.[1] as string;
  return { url, child, output: () => ({ stdout, stderr }), stop };
}

/**
 * An AUTH_CLIENTS_FILE with one API-key client, in a folder removed after the test; its path.
 * `policy` is the client's policy as YAML flow text: `{ operations: [get], keyPrefixes: [''] }`.
 */
export async function oneClientFile(
  t: TestContext,
  client: { id: string; apiKey: string; policy: string },
): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-clients-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const path = join(directory, 'clients.yaml');
  await writeFile(
    path,
    `clients:\n  - id: ${client.id}\n    apiKeySha256: '${hashApiKey(client.apiKey)}'\n    policy: ${client.policy}\n`,
  );
  return path;
}
