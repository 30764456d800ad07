// A real Ceph RADOS Gateway (Debian 12's radosgw 16.2, Pacific) for the RGW tier: one monitor,
// one OSD on memstore (RAM) and radosgw, under a temporary directory, on loopback only. Every
// daemon is a child of the test process, started in the foreground and stopped by its PID
// (SIGKILL: the data lives in memory and the directory is removed with it), also when a test
// fails, when boot fails half way, and when the process exits without running its hooks.
// Without the packages the tier skips and says why; under CI=true it fails instead.
//
// Boot is about 3 s on a quiet machine: the monitor proposes every map change at once instead
// of after its 1 s paxos interval, and librados looks at ops waiting for a new pool every
// 0.2 s instead of 5 s (which alone cost radosgw's first start about 5 s).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './redis-server.js';

const BINARIES = ['ceph-authtool', 'monmaptool', 'ceph-mon', 'ceph', 'ceph-osd', 'radosgw', 'radosgw-admin'];
const PACKAGES = 'radosgw ceph-mon ceph-osd ceph-common';
const COMMAND_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 120_000;

const missingBinaries = BINARIES.filter(
  (name) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status !== 0,
);

/** For `describe(name, { skip: rgwMissing() }, …)`: the reason to skip, or false. */
export function rgwMissing(): string | false {
  if (missingBinaries.length === 0) return false;
  const install = `apt-get install --no-install-recommends ${PACKAGES}`;
  if (process.env.CI === 'true') {
    throw new Error(
      `${missingBinaries.join(', ')} not installed, and under CI=true the RGW tier must run (${install})`,
    );
  }
  return `${missingBinaries.join(', ')} not installed (${install}): the RGW tier is skipped`;
}

export interface RgwCluster {
  /** `http://127.0.0.1:PORT`: path-style S3 over plain HTTP. */
  endpoint: URL;
  region: 'us-east-1';
  /** The S3 user's keys (random per cluster). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  directory: string;
  /** Seconds from nothing to the first bucket. */
  bootSeconds: number;
  /** A fresh bucket, created over S3 as its owner. */
  createBucket(prefix?: string): Promise<string>;
  /** An SDK client for the gateway: path-style, the user's keys, no checksum additions. */
  client(): S3Client;
  /** The environment the service (or the CLI) needs for this gateway in custom mode. */
  serviceEnv(bucket: string): Record<string, string>;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';

export async function startRgw(): Promise<RgwCluster> {
  const started = performance.now();
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-rgw-'));
  const daemons: ChildProcess[] = [];
  const killAll = () => {
    for (const daemon of daemons) if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  };
  // The last line of defence: a process that exits without its after() hooks still kills
  // the daemons and removes their directory (an exit handler can only do synchronous work).
  const onExit = () => {
    killAll();
    rmSync(directory, { recursive: true, force: true, maxRetries: 3 });
  };
  process.once('exit', onExit);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const exits = daemons
      .filter((daemon) => daemon.exitCode === null && daemon.signalCode === null)
      .map((daemon) => once(daemon, 'exit'));
    killAll();
    await Promise.all(exits);
    process.removeListener('exit', onExit);
    await rm(directory, { recursive: true, force: true });
  };

  try {
    const [monPort, rgwPort] = [await freePort(), await freePort()];
    const conf = join(directory, 'ceph.conf');
    const fsid = randomUUID();
    await writeCephConf(directory, conf, fsid, monPort, rgwPort);
    const keyring = join(directory, 'keyring');
    const ceph = (command: string, ...args: string[]) => run(command, ['-c', conf, ...args], directory);

    await run(
      'ceph-authtool',
      ['--create-keyring', keyring, '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *'],
      directory,
    );
    for (const [name, ...caps] of [
      ['client.admin', 'mon', 'allow *', 'osd', 'allow *', 'mgr', 'allow *'],
      ['osd.0', 'mon', 'allow profile osd', 'osd', 'allow *', 'mgr', 'allow profile osd'],
      ['client.rgw', 'mon', 'allow rw', 'osd', 'allow rwx'],
    ] as const) {
      const capArgs = [];
      for (let i = 0; i < caps.length; i += 2) capArgs.push('--cap', caps[i] as string, caps[i + 1] as string);
      await run('ceph-authtool', [keyring, '--gen-key', '-n', name, ...capArgs], directory);
    }
    const monmap = join(directory, 'monmap');
    await run(
      'monmaptool',
      ['--create', '--addv', 'a', `[v1:127.0.0.1:${monPort}]`, '--fsid', fsid, monmap],
      directory,
    );
    await ceph('ceph-mon', '--mkfs', '-i', 'a', '--monmap', monmap, '--keyring', keyring);
    daemons.push(daemon(directory, 'ceph-mon', ['-c', conf, '-f', '-i', 'a']));

    const osdUuid = randomUUID();
    const osdId = (await ceph('ceph', '--connect-timeout', '30', 'osd', 'new', osdUuid)).trim();
    await ceph('ceph-osd', '-i', osdId, '--mkfs', '--osd-uuid', osdUuid);
    daemons.push(daemon(directory, 'ceph-osd', ['-c', conf, '-f', '-i', osdId]));
    daemons.push(daemon(directory, 'radosgw', ['-c', conf, '-f', '-n', 'client.rgw']));

    const endpoint = new URL(`http://127.0.0.1:${rgwPort}`);
    await untilAnswers(endpoint, daemons, directory);
    const credentials = {
      accessKeyId: randomBytes(10).toString('hex').toUpperCase(),
      secretAccessKey: randomBytes(30).toString('base64url'),
    };
    await ceph(
      'radosgw-admin',
      'user',
      'create',
      '--uid',
      's3-presign-test',
      '--display-name',
      's3-presign test',
      '--access-key',
      credentials.accessKeyId,
      '--secret-key',
      credentials.secretAccessKey,
    );

    const client = () =>
      new S3Client({
        endpoint: endpoint.href,
        region: REGION,
        forcePathStyle: true,
        // A copy: the SDK tags the object it is given ($source), and the cluster's keys are shared.
        credentials: { ...credentials },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
    let buckets = 0;
    const createBucket = async (prefix = 'rgw-tier') => {
      const bucket = `${prefix}-${++buckets}`;
      const s3 = client();
      try {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      } finally {
        s3.destroy();
      }
      return bucket;
    };
    await createBucket('first-bucket');
    return {
      endpoint,
      region: REGION,
      credentials,
      directory,
      bootSeconds: (performance.now() - started) / 1000,
      createBucket,
      client,
      serviceEnv: (bucket) => ({
        S3_ENDPOINT_MODE: 'custom',
        S3_ENDPOINT_URL: endpoint.origin,
        S3_FORCE_PATH_STYLE: 'true',
        S3_ALLOW_HTTP: 'true',
        S3_REGION: REGION,
        S3_BUCKETS: bucket,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      }),
      stop,
    };
  } catch (error) {
    const logs = logTails(directory);
    await stop();
    throw new Error(`the RGW cluster did not start: ${(error as Error).message}\n${logs}`, { cause: error });
  }
}

async function writeCephConf(directory: string, conf: string, fsid: string, monPort: number, rgwPort: number) {
  for (const sub of ['run', 'log', 'mon/ceph-a', 'osd/ceph-0']) await mkdir(join(directory, sub), { recursive: true });
  await writeFile(
    conf,
    `[global]
fsid = ${fsid}
mon host = v1:127.0.0.1:${monPort}
ms bind msgr2 = false
ms bind ipv6 = false
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = ${directory}/keyring
run dir = ${directory}/run
admin socket = ${directory}/run/$name.asok
log file = ${directory}/log/$name.log
pid file = ${directory}/run/$name.pid
mon data = ${directory}/mon/ceph-$id
osd data = ${directory}/osd/ceph-$id
# One OSD in RAM, pools of one replica and few placement groups.
osd objectstore = memstore
memstore device bytes = 1073741824
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
# A full disk elsewhere on the machine must not stop the monitor.
mon data avail warn = 1
mon data avail crit = 0
# Boot speed: see test/rgw.ts.
paxos propose interval = 0.05
paxos min wait = 0.01
objecter tick interval = 0.2
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw thread pool size = 32
rgw enable gc threads = false
rgw enable lc threads = false
rgw enable quota threads = false
rgw dynamic resharding = false
rgw enable usage log = false
`,
  );
}

/** A daemon in the foreground, its output in a file beside its log. */
function daemon(directory: string, command: string, args: string[]): ChildProcess {
  const output = openSync(join(directory, 'log', `${command}.out`), 'a');
  try {
    const child = spawn(command, args, { cwd: directory, stdio: ['ignore', output, output] });
    child.once('error', () => undefined);
    return child;
  } finally {
    closeSync(output);
  }
}

/** Runs a command to completion; its stdout, or an error with its output. */
function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else
        reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim() || stdout.trim()}`));
    });
  });
}

/** Until the gateway answers HTTP; fails at once when a daemon dies. */
async function untilAnswers(endpoint: URL, daemons: readonly ChildProcess[], directory: string): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const dead = daemons.find((child) => child.exitCode !== null || child.signalCode !== null);
    if (dead) throw new Error(`${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}) in ${directory}`);
    try {
      const response = await fetch(endpoint, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`radosgw did not answer on ${endpoint.origin} within ${READY_TIMEOUT_MS / 1000} s`);
}

/** The end of each daemon's output and log, to say why boot failed. */
function logTails(directory: string): string {
  const tails: string[] = [];
  for (const file of ['ceph-mon.out', 'ceph-osd.out', 'radosgw.out', 'mon.a.log', 'osd.0.log', 'client.rgw.log']) {
    try {
      const lines = readFileSync(join(directory, 'log', file), 'utf8')
        .trimEnd()
        .split('\n');
      tails.push(`--- ${file}\n${lines.slice(-15).join('\n')}`);
    } catch {
      // Not written: the daemon never started.
    }
  }
  return tails.join('\n');
}
