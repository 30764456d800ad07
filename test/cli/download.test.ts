// `s3-presign download` as an operator runs it: the real CLI process against the embedded store
// (which keeps each object's checksum and answers it in checksum mode), through a TCP proxy on
// loopback that records every request and can stall or cut the answer, so a test sees the
// resumed run's `Range` and `If-Match` on the wire.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CompleteMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  CHECKSUM_MEMBERS,
  CHECKSUM_NAMES,
  checksumOf,
  type ChecksumAlgorithm,
} from '../../src/endpoint/checksum-algorithms.js';
import { startEmbeddedS3 } from '../../src/local/embedded-s3.js';
import { uploadChecksummedParts } from '../embedded-store.js';
import { embeddedS3Client } from '../helpers.js';
import { baseEnvironment, cli, type Finished } from './run.js';
import { startService } from './service-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const BUCKET = 'cli-downloads';
const MiB = 1024 * 1024;

/** What the client sent through the proxy, and switches on what it passes back. */
interface Proxy {
  port: string;
  /** Every request head (request line and headers), lower-cased, in order. */
  requests: string[];
  /** Response bytes passed back so far. */
  relayed(): number;
  /** From now on, hold the answer once this many response bytes have passed (a stalled link). */
  stallAfter(bytes: number | undefined): void;
  /** Cut the connection once this many response bytes have passed, once (a dropped link). */
  dropAfter(bytes: number | undefined): void;
  /** From now on, hold the answer to a request whose head matches once this many of its bytes have passed. */
  stallAnswer(to: RegExp | undefined, bytes: number): void;
}

async function startProxy(t: TestContext, target: number): Promise<Proxy> {
  const requests: string[] = [];
  let relayed = 0;
  let stallAt: number | undefined;
  let dropAt: number | undefined;
  let stallAnswer: { to: RegExp; bytes: number } | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    let head = '';
    /** The last request head on this connection, and the bytes of its answer passed back so far. */
    let current = '';
    let answered = 0;
    client.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      for (let end = head.indexOf('\r\n\r\n'); end !== -1; end = head.indexOf('\r\n\r\n')) {
        current = head.slice(0, end).toLowerCase();
        answered = 0;
        requests.push(current);
        head = head.slice(end + 4);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (stallAnswer !== undefined && stallAnswer.to.test(current) && answered + chunk.length > stallAnswer.bytes) {
        upstream.pause();
        return;
      }
      answered += chunk.length;
      if (dropAt !== undefined && relayed + chunk.length > dropAt) {
        const kept = dropAt - relayed;
        dropAt = undefined;
        relayed += kept;
        client.end(chunk.subarray(0, kept));
        client.destroy();
        upstream.destroy();
        return;
      }
      if (stallAt !== undefined && relayed + chunk.length > stallAt) {
        upstream.pause();
        return;
      }
      relayed += chunk.length;
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return {
    port: String((server.address() as { port: number }).port),
    requests,
    relayed: () => relayed,
    stallAfter: (bytes) => (stallAt = bytes),
    dropAfter: (bytes) => (dropAt = bytes),
    stallAnswer: (to, bytes) => (stallAnswer = to === undefined ? undefined : { to, bytes }),
  };
}

async function setUp(t: TestContext) {
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-cli-download-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const storeDirectory = join(directory, 'store');
  const s3 = await startEmbeddedS3({ buckets: [BUCKET], directory: storeDirectory });
  t.after(() => s3.close());
  const proxy = await startProxy(t, Number(s3.endpoint.port));
  const client = embeddedS3Client(s3);
  // The CLI signs for the proxy's address; the proxy passes the Host header on unchanged.
  const env = {
    S3_ENDPOINT_MODE: 'local',
    LOCAL_S3_PORT: proxy.port,
    S3_BUCKETS: BUCKET,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    XDG_STATE_HOME: join(directory, 'state'),
  };
  const put = async (key: string, body: Buffer, algorithm?: ChecksumAlgorithm) => {
    const checksum = algorithm ? { [CHECKSUM_MEMBERS[algorithm]]: await checksumOf(algorithm, body) } : {};
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ...checksum }));
  };
  /** A multipart upload whose checksum is COMPOSITE: `<the algorithm over the parts' digests>-N`. */
  const putComposite = async (key: string, parts: Buffer[], algorithm: ChecksumAlgorithm) => {
    const { uploadId, uploaded } = await uploadChecksummedParts(
      client,
      { bucket: BUCKET, key },
      { algorithm, type: 'COMPOSITE' },
      parts,
    );
    const completed = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: uploaded },
      }),
    );
    return completed[CHECKSUM_MEMBERS[algorithm]] as string;
  };
  return { directory, storeDirectory, s3, proxy, client, env, put, putComposite };
}

/** The CLI as a child process; `interrupt` decides from its progress when to send SIGINT (Ctrl-C). */
function download(args: string[], env: Record<string, string>, interrupt?: () => Promise<boolean>): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'download', ...args], {
      cwd: root,
      env: baseEnvironment(env),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let polling: NodeJS.Timeout | undefined;
    if (interrupt) {
      polling = setInterval(() => {
        void interrupt().then((now) => {
          if (now && !child.killed) {
            clearInterval(polling);
            child.kill('SIGINT');
          }
        });
      }, 50);
    }
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(guard);
      clearInterval(polling);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Ctrl-C once the download has written bytes, so there is something to go on from. */
const bytesOnDisk = (path: string) => async () => ((await stat(path).catch(() => undefined))?.size ?? 0) > 0;

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

test('download checks the bytes against each full-object checksum family S3 keeps', { timeout: 120_000 }, async (t) => {
  const { directory, env, put } = await setUp(t);
  for (const algorithm of ['crc64nvme', 'crc32', 'crc32c', 'sha1', 'sha256'] as const) {
    const body = randomBytes(300 * 1024 + 7);
    await put(`${algorithm}.bin`, body, algorithm);
    const destination = join(directory, `${algorithm}.out`);
    const result = await cli(['download', '--key', `${algorithm}.bin`, destination], env);
    assert.equal(result.code, 0, result.stderr);
    const expected = await checksumOf(algorithm, body);
    assert.equal(
      result.stdout,
      `downloaded ${body.length} bytes of ${algorithm}.bin to ${destination}, ${CHECKSUM_NAMES[algorithm]} ${expected} checked\n`,
    );
    assert.ok((await readFile(destination)).equals(body), algorithm);
    assert.equal(await exists(`${destination}.part`), false);
  }
});

test(
  'an object without a stored checksum is said so; --require-checksum refuses it',
  { timeout: 60_000 },
  async (t) => {
    const { directory, env, put } = await setUp(t);
    const body = randomBytes(4096);
    await put('plain.bin', body);
    const destination = join(directory, 'plain.out');
    const plain = await cli(['download', '--key', 'plain.bin', destination], env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /, not verified: the store keeps no checksum for this object\n$/);
    assert.ok((await readFile(destination)).equals(body));

    const strict = join(directory, 'strict.out');
    const refused = await cli(['download', '--key', 'plain.bin', strict, '--require-checksum'], env);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /--require-checksum: the store keeps no checksum for this object; the bytes were kept aside as \S+strict\.out\.unverified/,
    );
    assert.equal(await exists(strict), false, 'the destination is not written');
    assert.equal(refused.stdout, '');
  },
);

test(
  'a stored object whose bytes were changed on disk is refused, and the destination is not written',
  { timeout: 60_000 },
  async (t) => {
    const { directory, storeDirectory, env, put } = await setUp(t);
    const body = randomBytes(64 * 1024);
    await put('tampered.bin', body, 'crc64nvme');
    // The embedded store keeps the bytes as a file beside its metadata: flip one byte in place.
    const stored = join(storeDirectory, BUCKET, 'tampered.bin._S3rver_object');
    const onDisk = await readFile(stored);
    assert.ok(onDisk.equals(body), 'the store keeps the object as this file');
    onDisk[1000] = (onDisk[1000] as number) ^ 0xff;
    await writeFile(stored, onDisk);

    const destination = join(directory, 'tampered.out');
    const result = await cli(['download', '--key', 'tampered.bin', destination], env);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `^s3-presign: the bytes received do not match the stored CRC64NVME checksum \\(${(await checksumOf('crc64nvme', body)).replace(/[+/=]/g, '\\$&')}\\); they were kept aside as \\S+tampered\\.out\\.mismatch, and \\S+tampered\\.out was not written\n$`,
      ),
    );
    assert.equal(result.stdout, '');
    assert.equal(await exists(destination), false);
    assert.ok((await readFile(`${destination}.mismatch`)).equals(onDisk));
  },
);

test(
  'Ctrl-C stops a download with exit 130; the same command goes on with Range and If-Match',
  { timeout: 120_000 },
  async (t) => {
    const { directory, proxy, env, put } = await setUp(t);
    const body = randomBytes(4 * MiB);
    await put('big.bin', body, 'crc64nvme');
    const destination = join(directory, 'big.out');
    const args = ['--key', 'big.bin', destination, '--progress'];

    proxy.stallAfter(MiB);
    const first = await download(args, env, bytesOnDisk(`${destination}.part`));
    assert.equal(first.code, 130, first.stderr);
    assert.match(
      first.stderr,
      new RegExp(
        `interrupted; [\\d.]+ MiB of 4\\.0 MiB is on disk\\.\\n {2}resume: {2}s3-presign download --key big\\.bin \\S+big\\.out --progress\\n$`,
      ),
    );
    assert.equal(await exists(destination), false);
    const onDisk = (await stat(`${destination}.part`)).size;
    assert.ok(onDisk > 0 && onDisk < body.length, String(onDisk));

    proxy.stallAfter(undefined);
    const before = proxy.requests.length;
    const second = await download(args, env);
    assert.equal(second.code, 0, second.stderr);
    const resumed = proxy.requests.slice(before).filter((request) => request.startsWith('get '));
    assert.equal(resumed.length, 1, resumed.join('\n---\n'));
    assert.match(resumed[0] as string, new RegExp(`\\r\\nrange: bytes=${onDisk}-\\r\\n`));
    assert.match(resumed[0] as string, /\r\nif-match: "[0-9a-f]{32}"\r\n/);
    assert.match(second.stderr, /^resuming big\.bin: [\d.]+ MiB of 4\.0 MiB on disk/m);
    assert.match(
      second.stdout,
      /^downloaded 4194304 bytes of big\.bin to \S+ \([\d.]+ MiB from the interrupted run\), CRC64NVME \S+ checked\n$/,
    );
    assert.ok((await readFile(destination)).equals(body));
  },
);

test('an object changed between runs is downloaded again from byte 0, not spliced', { timeout: 120_000 }, async (t) => {
  const { directory, proxy, env, put } = await setUp(t);
  const original = randomBytes(4 * MiB);
  await put('moving.bin', original, 'crc64nvme');
  const destination = join(directory, 'moving.out');
  const args = ['--key', 'moving.bin', destination];

  proxy.stallAfter(MiB);
  const first = await download(args, env, bytesOnDisk(`${destination}.part`));
  assert.equal(first.code, 130, first.stderr);
  proxy.stallAfter(undefined);

  // The same size, other bytes: only the ETag (and the checksum) tell the versions apart.
  const replaced = randomBytes(original.length);
  await put('moving.bin', replaced, 'crc64nvme');
  const before = proxy.requests.length;
  const second = await download([...args, '--progress'], env);
  assert.equal(second.code, 0, second.stderr);
  const gets = proxy.requests.slice(before).filter((request) => request.startsWith('get '));
  assert.equal(gets.length, 2, gets.join('\n---\n'));
  assert.match(gets[0] as string, /\r\nif-match: /);
  assert.doesNotMatch(gets[1] as string, /\r\n(range|if-match): /);
  assert.match(second.stderr, /^moving\.bin has changed since the interrupted download: starting over$/m);
  assert.match(
    second.stdout,
    /\(the object had changed since the interrupted run: downloaded again\), CRC64NVME \S+ checked\n$/,
  );
  assert.ok((await readFile(destination)).equals(replaced));
});

test('a dropped connection is picked up in the same run with Range', { timeout: 120_000 }, async (t) => {
  const { directory, proxy, env, put } = await setUp(t);
  const body = randomBytes(3 * MiB);
  await put('flaky.bin', body, 'sha256');
  const destination = join(directory, 'flaky.out');
  proxy.dropAfter(MiB);
  const result = await download(['--key', 'flaky.bin', destination, '--progress'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^the connection dropped at [\d.]+ MiB: going on from there$/m);
  const gets = proxy.requests.filter((request) => request.startsWith('get '));
  assert.equal(gets.length, 2, gets.join('\n---\n'));
  assert.match(gets[1] as string, /\r\nrange: bytes=[1-9]\d*-\r\n/);
  assert.ok((await readFile(destination)).equals(body));
});

test(
  'the embedded store answers a GET whose If-Match names another version with 412',
  { timeout: 60_000 },
  async (t) => {
    const { client, put } = await setUp(t);
    await put('versioned.bin', randomBytes(1024));
    await assert.rejects(
      client.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: 'versioned.bin', IfMatch: '"0123456789abcdef0123456789abcdef"' }),
      ),
      (error: Error & { $metadata?: { httpStatusCode?: number } }) =>
        error.name === 'PreconditionFailed' && error.$metadata?.httpStatusCode === 412,
    );
    const current = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'versioned.bin' }));
    const matched = await client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'versioned.bin', IfMatch: current.ETag }),
    );
    assert.equal((await matched.Body!.transformToByteArray()).length, 1024);
  },
);

test('download refuses bad input with the reason and a non-zero exit', { timeout: 60_000 }, async (t) => {
  const { directory, env } = await setUp(t);
  const cases: Array<[string[], RegExp]> = [
    [['download', join(directory, 'x')], /--key is required/],
    [['download', '--key', 'k', 'a', 'b'], /at most one DEST/],
    [
      ['download', '--key', 'missing.bin', join(directory, 'missing.out')],
      /the store refused the download of missing\.bin: 404 NoSuchKey/,
    ],
    [['download', '--key', '../escape'], /key/],
    [
      ['download', '--key', 'k', '--service', 'http://127.0.0.1:1', '--bucket', 'b'],
      /--bucket does not apply with --service/,
    ],
    [['download', '--key', 'k', '--token-file', '/nonexistent'], /--token-file only applies with --service/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args, env);
    assert.notEqual(result.code, 0, args.join(' '));
    assert.match(result.stderr, message, args.join(' '));
    assert.equal(result.stdout, '');
  }
  assert.equal(await exists(join(directory, 'missing.out')), false);
});

test(
  "upload signs CRC64NVME by default, in one PUT and in parts; the store keeps the whole object's, and download checks it",
  { timeout: 120_000 },
  async (t) => {
    const { directory, client, env } = await setUp(t);
    const expected = new Map<string, string>();
    for (const [name, size] of [
      ['one-put.bin', 200 * 1024],
      ['in-parts.bin', 11 * MiB + 3],
    ] as const) {
      const body = randomBytes(size);
      const file = join(directory, name);
      await writeFile(file, body);
      const uploaded = await cli(
        ['upload', file, '--key', name, '--multipart-threshold', String(MiB), '--part-size', String(5 * MiB)],
        env,
      );
      assert.equal(uploaded.code, 0, uploaded.stderr);
      const crc64 = await checksumOf('crc64nvme', body);
      expected.set(name, crc64);
      assert.match(
        uploaded.stdout,
        new RegExp(`, CRC64NVME ${crc64.replace(/[+/]/g, '\\$&')} checked by the store\\n$`),
      );
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: name, ChecksumMode: 'ENABLED' }));
      assert.deepEqual([head.ChecksumCRC64NVME, head.ChecksumType], [crc64, 'FULL_OBJECT'], name);

      const destination = join(directory, `${name}.out`);
      const downloaded = await cli(['download', '--key', name, destination], env);
      assert.equal(downloaded.code, 0, downloaded.stderr);
      assert.match(downloaded.stdout, new RegExp(`, CRC64NVME ${crc64.replace(/[+/]/g, '\\$&')} checked\\n$`));
      assert.ok((await readFile(destination)).equals(body));
    }
    assert.equal(expected.size, 2);
  },
);

test(
  'upload --checksum-algorithm SHA256 in parts is COMPOSITE: download fetches it part by part, checks each part and the composite',
  { timeout: 120_000 },
  async (t) => {
    const { directory, env, proxy } = await setUp(t);
    const body = randomBytes(11 * MiB);
    const file = join(directory, 'composite.bin');
    await writeFile(file, body);
    const uploaded = await cli(
      [
        'upload',
        file,
        '--key',
        'composite.bin',
        '--checksum-algorithm',
        'SHA256',
        '--multipart-threshold',
        String(MiB),
        '--part-size',
        String(5 * MiB),
      ],
      env,
    );
    assert.equal(uploaded.code, 0, uploaded.stderr);
    assert.match(uploaded.stdout, /, SHA256 [A-Za-z0-9+/]{43}=-3 \(composite, of the parts\) checked by the store\n$/);

    const digests = createHash('sha256');
    for (let start = 0; start < body.length; start += 5 * MiB) {
      digests.update(
        createHash('sha256')
          .update(body.subarray(start, start + 5 * MiB))
          .digest(),
      );
    }
    const composite = `${digests.digest('base64')}-3`;

    const destination = join(directory, 'composite.out');
    const before = proxy.requests.length;
    const downloaded = await cli(['download', '--key', 'composite.bin', destination, '--require-checksum'], env);
    assert.equal(downloaded.code, 0, downloaded.stderr);
    assert.equal(
      downloaded.stdout,
      `downloaded ${body.length} bytes of composite.bin to ${destination}, SHA-256 ${composite} checked (each of the 3 parts, and the composite of their checksums)\n`,
    );
    assert.ok((await readFile(destination)).equals(body));
    // The first GET learns the checksum is COMPOSITE; then one GET per part, each held to the same version.
    // (`cli` runs in this process: its first GET can reuse the upload's connection, after a part's body.)
    const gets = proxy.requests
      .slice(before)
      .map((request) => request.slice(request.indexOf(`get /${BUCKET}/`)))
      .filter((request) => request.startsWith('get '));
    assert.equal(gets.length, 4, gets.join('\n---\n'));
    assert.doesNotMatch(gets[0] as string, /partnumber=/);
    for (const [index, get] of gets.slice(1).entries()) {
      assert.match(get, new RegExp(`^get /${BUCKET}/composite\\.bin\\?[^ ]*partnumber=${index + 1}&`));
      assert.match(get, /\r\nx-amz-checksum-mode: enabled\r\n/);
      assert.match(get, /\r\nif-match: "[0-9a-f]{32}-3"\r\n/);
      assert.doesNotMatch(get, /\r\nrange: /);
    }
  },
);

test('a COMPOSITE CRC32C object is checked part by part too, in JSON', { timeout: 120_000 }, async (t) => {
  const { directory, env, putComposite } = await setUp(t);
  const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 1), randomBytes(3)];
  const stored = await putComposite('crc32c.bin', parts, 'crc32c');
  assert.match(stored, /^[A-Za-z0-9+/]{6}==-3$/);
  const destination = join(directory, 'crc32c.out');
  const downloaded = await cli(['download', '--key', 'crc32c.bin', destination, '--json'], env);
  assert.equal(downloaded.code, 0, downloaded.stderr);
  const result = JSON.parse(downloaded.stdout) as { verification: unknown; size: number };
  assert.deepEqual(result.verification, { verified: true, algorithm: 'crc32c', checksum: stored, parts: 3 });
  assert.ok((await readFile(destination)).equals(Buffer.concat(parts)));
});

test(
  'a COMPOSITE object whose part bytes changed in the store is refused, naming the part; one whose part checksums do not make the composite too',
  { timeout: 120_000 },
  async (t) => {
    const { directory, storeDirectory, env, putComposite } = await setUp(t);
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1000)];
    const stored = await putComposite('damaged.bin', parts, 'sha256');
    const objectFile = join(storeDirectory, BUCKET, 'damaged.bin._S3rver_object');
    const onDisk = await readFile(objectFile);
    onDisk[5 * MiB + 10] = (onDisk[5 * MiB + 10] as number) ^ 0xff;
    await writeFile(objectFile, onDisk);

    const destination = join(directory, 'damaged.out');
    const refused = await cli(['download', '--key', 'damaged.bin', destination], env);
    assert.equal(refused.code, 1);
    const part2 = await checksumOf('sha256', parts[1] as Buffer);
    assert.equal(
      refused.stderr,
      `s3-presign: part 2 of 3 (bytes ${5 * MiB}-${10 * MiB - 1}) does not match its stored SHA-256 checksum (${part2}); the bytes received were kept aside as ${destination}.mismatch, and ${destination} was not written\n`,
    );
    assert.equal(refused.stdout, '');
    assert.equal(await exists(destination), false);
    // Parts 1 and 2 were fetched; part 3 never was.
    assert.equal((await stat(`${destination}.mismatch`)).size, 10 * MiB);

    // The store's record of part 2 now agrees with the changed bytes: each part passes, the composite cannot.
    const layoutFile = join(storeDirectory, BUCKET, 'damaged.bin._S3rver_parts.json');
    const layout = JSON.parse(await readFile(layoutFile, 'utf8')) as Array<{ checksum: { value: string } }>;
    layout[1]!.checksum.value = await checksumOf('sha256', onDisk.subarray(5 * MiB, 10 * MiB));
    await writeFile(layoutFile, JSON.stringify(layout));
    const again = join(directory, 'damaged-again.out');
    const composite = await cli(['download', '--key', 'damaged.bin', again], env);
    assert.equal(composite.code, 1);
    assert.equal(
      composite.stderr,
      `s3-presign: the checksums of the 3 parts received do not make the stored composite SHA-256 (${stored}); they were kept aside as ${again}.mismatch, and ${again} was not written\n`,
    );
    assert.equal(await exists(again), false);
  },
);

test(
  'Ctrl-C in the middle of a part: the same command goes on with a Range to the end of that part, then the next parts',
  { timeout: 120_000 },
  async (t) => {
    const { directory, proxy, env, putComposite } = await setUp(t);
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(2 * MiB)];
    const stored = await putComposite('resumed.bin', parts, 'sha1');
    const destination = join(directory, 'resumed.out');
    const args = ['--key', 'resumed.bin', destination];

    // Part 2's answer holds after 2 MiB of it.
    proxy.stallAnswer(/partnumber=2&/, 2 * MiB);
    const partFile = `${destination}.part`;
    const first = await download(
      args,
      env,
      async () => ((await stat(partFile).catch(() => undefined))?.size ?? 0) > 5 * MiB,
    );
    assert.equal(first.code, 130, first.stderr);
    const onDisk = (await stat(partFile)).size;
    assert.ok(onDisk > 5 * MiB && onDisk < 10 * MiB, String(onDisk));

    proxy.stallAnswer(undefined, 0);
    const before = proxy.requests.length;
    const second = await download(args, env);
    assert.equal(second.code, 0, second.stderr);
    const gets = proxy.requests.slice(before).filter((request) => request.startsWith('get '));
    assert.equal(gets.length, 2, gets.join('\n---\n'));
    assert.doesNotMatch(gets[0] as string, /partnumber=/);
    assert.match(gets[0] as string, new RegExp(`\\r\\nrange: bytes=${onDisk}-${10 * MiB - 1}\\r\\n`));
    assert.match(gets[0] as string, /\r\nif-match: "[0-9a-f]{32}-3"\r\n/);
    assert.match(gets[1] as string, /partnumber=3&/);
    assert.match(
      second.stdout,
      new RegExp(
        `, SHA-1 ${stored.replace(/[+/]/g, '\\$&')} checked \\(each of the 3 parts, and the composite of their checksums\\)\\n$`,
      ),
    );
    assert.ok((await readFile(destination)).equals(Buffer.concat(parts)));
  },
);

test(
  "a store that does not answer a COMPOSITE object's parts: fetched whole, said unverified, refused by --require-checksum",
  { timeout: 120_000 },
  async (t) => {
    const { directory, storeDirectory, env, putComposite } = await setUp(t);
    const parts = [randomBytes(5 * MiB), randomBytes(10)];
    await putComposite('no-parts.bin', parts, 'sha256');
    // Without its layout the store answers partNumber=1 with the whole object and no parts count.
    await rm(join(storeDirectory, BUCKET, 'no-parts.bin._S3rver_parts.json'));

    const destination = join(directory, 'no-parts.out');
    const downloaded = await cli(['download', '--key', 'no-parts.bin', destination, '--progress'], env);
    assert.equal(downloaded.code, 0, downloaded.stderr);
    assert.match(
      downloaded.stderr,
      /^the store answered part 1 without x-amz-mp-parts-count \(it does not serve an object's parts\): fetching no-parts\.bin whole, its COMPOSITE checksum unchecked$/m,
    );
    assert.match(
      downloaded.stdout,
      /, not verified: the stored SHA-256 is COMPOSITE \(a checksum of 2 parts' checksums\), and the store answered part 1 without x-amz-mp-parts-count \(it does not serve an object's parts\), so the parts could not be checked\n$/,
    );
    assert.ok((await readFile(destination)).equals(Buffer.concat(parts)));

    const strict = join(directory, 'strict.out');
    const refused = await cli(['download', '--key', 'no-parts.bin', strict, '--require-checksum'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--require-checksum: the stored SHA-256 is COMPOSITE/);
    assert.equal(await exists(strict), false);
  },
);

test(
  'upload --checksum-algorithm refuses what it does not know, and what the store does not verify',
  { timeout: 60_000 },
  async (t) => {
    const { directory, env } = await setUp(t);
    const file = join(directory, 'x.bin');
    await writeFile(file, randomBytes(10));
    const unknown = await cli(['upload', file, '--key', 'x', '--checksum-algorithm', 'MD4'], env);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /--checksum-algorithm must be CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5, SHA512, XXHASH64, XXHASH3, XXHASH128 or none, got "MD4"/,
    );
    const unverified = await cli(['upload', file, '--key', 'x', '--checksum-algorithm', 'CRC32'], {
      ...env,
      S3_STORE_CHECKSUMS: 'sha256',
    });
    assert.equal(unverified.code, 2);
    assert.match(
      unverified.stderr,
      /--checksum-algorithm CRC32: this store does not verify it \(S3_STORE_CHECKSUMS=sha256\)/,
    );
    const none = await cli(['upload', file, '--key', 'x', '--checksum-algorithm', 'none'], env);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /, ETag "[0-9a-f]{32}"\n$/);
  },
);

test(
  'through the service: upload --service stores CRC64NVME by default, download --service checks it; the token never in a flag',
  { timeout: 180_000 },
  async (t) => {
    const service = await startService(t, {});
    const token = /API key:\s+(s3p_\S+)/.exec(service.output().stdout)?.[1] as string;
    assert.ok(token, 'local mode prints its development key');
    const directory = await mkdtemp(join(tmpdir(), 's3-presign-cli-download-service-'));
    t.after(() => rm(directory, { recursive: true, force: true }));
    const env = { S3_PRESIGN_TOKEN: token, XDG_STATE_HOME: join(directory, 'state') };
    const body = randomBytes(11 * MiB + 5);
    const file = join(directory, 'report.bin');
    await writeFile(file, body);
    const crc64 = await checksumOf('crc64nvme', body);

    const uploaded = await cli(
      ['upload', file, '--service', service.url, '--part-size', String(5 * MiB), '--json'],
      env,
    );
    assert.equal(uploaded.code, 0, uploaded.stderr);
    const report = JSON.parse(uploaded.stdout) as { key: string; checksum: unknown };
    assert.deepEqual(report.checksum, { algorithm: 'crc64nvme', type: 'FULL_OBJECT', value: crc64 });

    const destination = join(directory, 'report.out');
    const downloaded = await cli(['download', '--key', report.key, destination, '--service', service.url], env);
    assert.equal(downloaded.code, 0, downloaded.stderr);
    assert.match(downloaded.stdout, new RegExp(`, CRC64NVME ${crc64.replace(/[+/]/g, '\\$&')} checked\\n$`));
    assert.ok((await readFile(destination)).equals(body));

    const composite = await cli(
      ['upload', file, '--service', service.url, '--part-size', String(5 * MiB), '--checksum-algorithm', 'SHA256'],
      env,
    );
    assert.equal(composite.code, 0, composite.stderr);
    assert.match(composite.stdout, /, SHA256 [A-Za-z0-9+/]{43}=-3 \(composite, of the parts\) checked by the store\n$/);
    const compositeKey = /to [^/\s]+\/(\S+) in 3 parts/.exec(composite.stdout)?.[1];
    assert.ok(compositeKey, composite.stdout);
    // /downloads signs each part's GET (partNumber) and the CLI checks each part, then the composite.
    const compositeOut = join(directory, 'composite.out');
    const byParts = await cli(
      ['download', '--key', compositeKey, compositeOut, '--service', service.url, '--require-checksum'],
      env,
    );
    assert.equal(byParts.code, 0, byParts.stderr);
    assert.match(
      byParts.stdout,
      /, SHA-256 [A-Za-z0-9+/]{43}=-3 checked \(each of the 3 parts, and the composite of their checksums\)\n$/,
    );
    assert.ok((await readFile(compositeOut)).equals(body));

    const withoutToken = await cli(['download', '--key', report.key, '--service', service.url], {});
    assert.equal(withoutToken.code, 2);
    assert.match(
      withoutToken.stderr,
      /--service needs a token \(an API key or a JWT\): set S3_PRESIGN_TOKEN or pass --token-file FILE/,
    );
    const flagged = await cli(['download', '--key', report.key, '--service', service.url, '--token', token], {});
    assert.equal(flagged.code, 2);
    assert.doesNotMatch(flagged.stderr + flagged.stdout, new RegExp(token));
  },
);
