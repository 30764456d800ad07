// A real redis-server (Debian's) for the shared rate-limit tests: started on a free loopback
// port with persistence off, stopped, restarted on the same port, frozen (SIGSTOP: it accepts
// connections and never answers) and thawed. Without redis-server the tests skip and say why;
// under CI=true they fail instead, so CI can never go green without running them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';

const binary = (() => {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
})();

/** For `test(name, { skip: redisMissing() }, …)`: the reason to skip, or false. */
export function redisMissing(): string | false {
  if (binary) return false;
  if (process.env.CI === 'true') {
    throw new Error(
      'redis-server is not installed, and under CI=true the Redis tests must run (apt-get install redis-server)',
    );
  }
  return 'redis-server is not installed (apt-get install redis-server): the shared rate-limit tests are skipped';
}

export interface RedisServer {
  port: number;
  url: string;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
  /** Starts again on the same port, empty (nothing persists). */
  start(): Promise<void>;
  /** SIGSTOP: connections are accepted by the kernel, commands never answered. */
  freeze(): void;
  thaw(): void;
}

export async function startRedis(t: TestContext, options: { password?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'];
  if (options.password) args.push('--requirepass', options.password);

  const start = async () => {
    const started = spawn(binary as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections/.test(output)) resolve();
      };
      started.stdout?.on('data', onData);
      started.stderr?.on('data', onData);
      started.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    });
    const guard = setTimeout(() => started.kill('SIGKILL'), 10_000);
    try {
      await ready;
    } finally {
      clearTimeout(guard);
    }
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    running.kill('SIGCONT');
    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  t.after(stop);
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    stop,
    start,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
