// `s3-presign upload --service` as a script on premises runs it: the real CLI process signing
// through the real service (local mode, its embedded store), interrupted with SIGINT as
// Ctrl-C does, resumed by the same command, and the object read back through a presigned GET
// and compared by hash with the file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TransferState } from '../../src/cli/state.js';
import { baseEnvironment, type Finished } from './run.js';
import { startService } from './service-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MiB = 1024 * 1024;

interface Run extends Finished {
  /** Part numbers the run reported stored, in order. */
  partsStored: number[];
}

/** The CLI as a child process; `interruptAfterParts` sends SIGINT (Ctrl-C) once that many parts are stored. */
function upload(args: string[], env: Record<string, string>, interruptAfterParts?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'upload', ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    const partsStored: number[] = [];
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      partsStored.splice(0, Infinity, ...[...stderr.matchAll(/^part (\d+) of \d+ stored$/gm)].map((m) => Number(m[1])));
      if (interruptAfterParts !== undefined && partsStored.length >= interruptAfterParts && !child.killed) {
        child.kill('SIGINT');
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, partsStored });
    });
  });
}

async function fileOfRandomBytes(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < size;) {
      const chunk = randomBytes(Math.min(16 * MiB, size - written));
      await handle.write(chunk);
      hash.update(chunk);
      written += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

async function setUp(t: TestContext) {
  const service = await startService(t, {});
  const token = /API key:\s+(s3p_\S+)/.exec(service.output().stdout)?.[1] as string;
  assert.ok(token, 'local mode prints its development key');
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-service-upload-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const stateHome = join(directory, 'state');
  const env = baseEnvironment({ S3_PRESIGN_TOKEN: token, XDG_STATE_HOME: stateHome });
  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.text()) || 'null' };
  };
  const stateFiles = async () => (await readdir(join(stateHome, 's3-presign')).catch(() => [])).map(String);
  return { service, token, directory, stateHome, env, call, stateFiles };
}

test(
  'upload --service: a 300 MiB file interrupted by Ctrl-C resumes with only the missing parts and reads back byte for byte',
  { timeout: 900_000 },
  async (t) => {
    const { service, token, directory, stateHome, env, call, stateFiles } = await setUp(t);
    const file = join(directory, 'video.bin');
    const sha256 = await fileOfRandomBytes(file, 300 * MiB);
    const args = [file, '--service', service.url, '--content-type', 'video/mp4', '--progress'];

    const first = await upload(args, env, 3);
    assert.equal(first.code, 130, first.stderr);
    const interrupted = /interrupted; (\d+) of 38 parts \([\d.]+ MiB\) are stored\./.exec(first.stderr);
    assert.ok(interrupted, first.stderr);
    assert.match(
      first.stderr,
      new RegExp(
        `\\n {2}resume: {2}s3-presign upload \\S+video\\.bin --service ${service.url} --content-type video/mp4\\n`,
      ),
    );
    assert.match(
      first.stderr,
      /\n {2}discard: s3-presign upload \S+video\.bin --service \S+ --content-type video\/mp4 --abort\n/,
    );
    assert.equal(first.stdout, '');

    // The state: in the user's state directory, one file, naming the upload and holding no token.
    const [stateFile, ...others] = await stateFiles();
    assert.ok(stateFile?.startsWith('upload-') && others.length === 0, String(await stateFiles()));
    const saved = await readFile(join(stateHome, 's3-presign', stateFile as string), 'utf8');
    assert.ok(!saved.includes(token), 'the token is not written down');
    const { state } = JSON.parse(saved) as { state: { key: string; uploadId: string; partCount: number } };
    assert.equal(state.partCount, 38);

    // S3 holds every part the CLI said it stored; a part whose answer the interruption cut off
    // may be there too, and the resume finds it.
    const listed = await call('/multipart/list', { key: state.key, uploadId: state.uploadId });
    assert.equal(listed.status, 200, listed.body);
    const storedFirst = (JSON.parse(listed.body) as { parts: Array<{ partNumber: number }> }).parts.map(
      (part) => part.partNumber,
    );
    assert.equal(first.partsStored.length, Number(interrupted[1]));
    for (const part of first.partsStored) assert.ok(storedFirst.includes(part), `part ${part} is stored`);
    assert.ok(storedFirst.length >= 3 && storedFirst.length < 38, String(storedFirst));

    const second = await upload(args, env);
    assert.equal(second.code, 0, second.stderr);
    // The store may still be finishing a part whose answer the interruption cut off when the list
    // above was taken (seen under load: 3 listed, 4 found by the resume), so the resume's own
    // count is read, and held to what is known: every part stored before stays stored, and the
    // resume sends the others, each once.
    const resumed = new RegExp(`^resuming ${state.key}: (\\d+) of 38 parts already stored`, 'm').exec(second.stderr);
    assert.ok(resumed, second.stderr);
    const resumedCount = Number(resumed[1]);
    assert.ok(resumedCount >= storedFirst.length && resumedCount < 38, `${resumedCount} parts found by the resume`);
    assert.match(second.stderr, /^completing: the store assembles 38 parts \(300\.0 MiB\)…$/m);
    assert.match(second.stderr, /^completing: the store assembles 38 parts \(300\.0 MiB\): done in \d+ s$/m);
    const sentAgain = [...second.partsStored].sort((a, b) => a - b);
    assert.equal(new Set(sentAgain).size, sentAgain.length, `each part sent once: ${sentAgain}`);
    assert.equal(sentAgain.length, 38 - resumedCount, `the resume sends only the missing parts: ${sentAgain}`);
    for (const part of storedFirst)
      assert.ok(!sentAgain.includes(part), `part ${part}, stored before, is not sent again`);
    assert.match(
      second.stdout,
      new RegExp(
        `^uploaded ${300 * MiB} bytes to local-uploads/${state.key} in 38 parts \\(${resumedCount} from the interrupted run\\), ETag "`,
      ),
    );
    assert.deepEqual(await stateFiles(), [], 'a finished upload leaves no state');

    // Read back through the service's GET URL, hashed as it streams.
    const presigned = await call('/presign', { operation: 'get', key: state.key });
    const response = await fetch((JSON.parse(presigned.body) as { url: string }).url);
    assert.equal(response.status, 200);
    const hash = createHash('sha256');
    let length = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      length += chunk.length;
    }
    assert.equal(length, 300 * MiB);
    assert.equal(hash.digest('hex'), sha256);
  },
);

test('upload --service --abort aborts the interrupted upload and forgets it', { timeout: 300_000 }, async (t) => {
  const { service, directory, env, call, stateFiles, stateHome } = await setUp(t);
  const file = join(directory, 'a.bin');
  await fileOfRandomBytes(file, 60 * MiB);
  const args = [file, '--service', service.url, '--part-size', String(5 * MiB), '--progress'];
  const first = await upload(args, env, 1);
  assert.equal(first.code, 130, first.stderr);
  const [stateFile] = await stateFiles();
  const { state } = JSON.parse(await readFile(join(stateHome, 's3-presign', stateFile as string), 'utf8')) as {
    state: { key: string; uploadId: string };
  };

  const aborted = await upload([...args, '--abort'], env);
  assert.equal(aborted.code, 0, aborted.stderr);
  assert.equal(aborted.stdout, `aborted the upload of ${state.key}: S3 holds none of its parts\n`);
  assert.deepEqual(await stateFiles(), []);
  const listed = await call('/multipart/list', { key: state.key, uploadId: state.uploadId });
  assert.equal(listed.status, 404, listed.body);

  const again = await upload([...args, '--abort'], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no interrupted upload of \S+a\.bin to http:\/\/127\.0\.0\.1:\d+/);
});

test(
  'upload --service takes its token from S3_PRESIGN_TOKEN or a file, never a flag',
  { timeout: 120_000 },
  async (t) => {
    const { service, directory, env } = await setUp(t);
    const file = join(directory, 'small.bin');
    await fileOfRandomBytes(file, 1024);
    const { S3_PRESIGN_TOKEN: token, ...withoutToken } = env;
    const tokenFile = join(directory, 'token');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });

    const fromFile = await upload([file, '--service', service.url, '--token-file', tokenFile], withoutToken);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.match(fromFile.stdout, /^uploaded 1024 bytes to local-uploads\/\S+\/small\.bin in 1 part, ETag/);

    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [[file, '--service', service.url], withoutToken, /set S3_PRESIGN_TOKEN or pass --token-file FILE/],
      [[file, '--service', service.url, '--token', 'x'], withoutToken, /Unknown option '--token'/],
      [
        [file, '--service', service.url, '--token-file', `${tokenFile}.missing`],
        withoutToken,
        /--token-file: cannot read .*ENOENT/,
      ],
      [[file, '--service', service.url, '--key', 'k'], env, /--key does not apply with --service/],
      [[file, '--service', 'not a url'], env, /--service "not a url" is not a URL/],
      [[file, '--abort'], env, /--abort only applies with --service/],
    ];
    for (const [args, environment, message] of cases) {
      const result = await upload(args, environment);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
    }
    const refused = await upload([file, '--service', service.url], { ...withoutToken, S3_PRESIGN_TOKEN: 's3p_wrong' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the service refused \/multipart: 401 /);
  },
);

/** A service that answers every POST with `answer`: what a broken or hostile host sends. */
async function hostileService(t: TestContext, answer: (path: string, response: ServerResponse) => void) {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => answer(request.url ?? '', response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = (response: ServerResponse, body: unknown) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(body));
};

test('upload --service refuses what a broken or hostile service answers, in one line, without looping on it', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-hostile-service-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const file = join(directory, 'small.bin');
  await fileOfRandomBytes(file, 1024);
  const created = { bucket: 'b', key: 'k', uploadId: 'u', partSize: 1024, partCount: 1, expiresAt: 'x' };
  const partUrl = (partNumber: number, url: string) => ({ parts: [{ partNumber, url, headers: {} }] });
  const cases: Array<[string, (path: string, response: ServerResponse) => void, RegExp]> = [
    [
      'malformed JSON',
      (_, response) => response.end('{"key": "x", '),
      /answered \/multipart with 200 and a body that is not JSON/,
    ],
    [
      'a billion parts',
      (_, response) => json(response, { ...created, partSize: 1, partCount: 1_000_000_000 }),
      /answered \/multipart with an unexpected body: partCount: /,
    ],
    [
      'parts that do not cover the file',
      (_, response) => json(response, { ...created, partSize: 100, partCount: 2 }),
      /2 part\(s\) of 100 bytes do not cover the file's 1024 bytes/,
    ],
    [
      'an endless body',
      (_, response) => {
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        const more = () => {
          while (!response.destroyed && response.write(chunk));
          if (!response.destroyed) response.once('drain', more);
        };
        response.on('error', () => undefined);
        more();
      },
      /answered \/multipart with more than 8388608 bytes/,
    ],
    [
      // Followed, a same-origin one would carry the token along, another the request's body.
      'a redirect',
      (_, response) => {
        response.writeHead(307, { location: 'http://127.0.0.1:9/multipart' });
        response.end();
      },
      /answered \/multipart with 307 \(a redirect to http:\/\/127\.0\.0\.1:9\/multipart\): give --service the address it redirects to/,
    ],
    [
      'a part URL that is not http',
      (path, response) => json(response, path === '/multipart' ? created : partUrl(1, 'file:///etc/passwd')),
      /answered \/multipart\/parts with an unexpected body: parts\.0\.url: /,
    ],
    [
      'a part it was not asked for',
      (path, response) => json(response, path === '/multipart' ? created : partUrl(7, 'http://127.0.0.1:9/')),
      /answered \/multipart\/parts with other parts than the 1 asked for/,
    ],
  ];
  for (const [name, answer, message] of cases) {
    const service = await hostileService(t, answer);
    const env = baseEnvironment({ S3_PRESIGN_TOKEN: 's3p_x', XDG_STATE_HOME: join(directory, name) });
    const result = await upload([file, '--service', service], env);
    assert.equal(result.code, 1, `${name}: ${result.stderr}`);
    assert.match(result.stderr, message, name);
    assert.doesNotMatch(result.stderr, /^\s+at /m, `${name}: no stack trace`);
  }

  // A saved state is held to the same layout before the service is asked about it.
  const service = await hostileService(t, (_, response) => json(response, { parts: [] }));
  const stateHome = join(directory, 'saved-state');
  const identity = {
    file,
    size: 1024,
    mtimeMs: (await stat(file)).mtimeMs,
    service,
    contentType: 'application/octet-stream',
    // The default algorithm is part of the upload's identity.
    checksumAlgorithm: 'crc64nvme',
  };
  await new TransferState(join(stateHome, 's3-presign'), 'upload', identity).write({
    ...created,
    partSize: 1,
    partCount: 1_000_000_000,
  });
  const resumed = await upload(
    [file, '--service', service],
    baseEnvironment({ S3_PRESIGN_TOKEN: 's3p_x', XDG_STATE_HOME: stateHome }),
  );
  assert.equal(resumed.code, 1, resumed.stderr);
  assert.match(
    resumed.stderr,
    /the saved state \S+: 1000000000 part\(s\) of 1 bytes do not cover the file's 1024 bytes/,
  );
});
