// `s3-presign download` and `upload` against a store that lies: a plain HTTP server on
// loopback in the embedded store's place answers the signed GET or PUT with what a broken or
// hostile S3-compatible server could send. The CLI must refuse with a message naming the
// problem and exit 1, write nothing under DEST's name, send nothing elsewhere and read no
// unbounded body.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { checksumOf } from '../../src/endpoint/checksum-algorithms.js';
import { TransferState } from '../../src/cli/state.js';
import { EXAMPLE_CREDENTIALS } from '../fixtures/credentials.js';
import { endlessRefusal, listen, type Handler } from '../hostile-store.js';
import { baseEnvironment, cli } from './run.js';

const BUCKET = 'hostile';

async function setUp(t: TestContext, handler: Handler) {
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-hostile-store-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const store = await listen(t, handler);
  const env = {
    S3_ENDPOINT_MODE: 'local',
    LOCAL_S3_PORT: String(store.port),
    S3_BUCKETS: BUCKET,
    XDG_STATE_HOME: join(directory, 'state'),
  };
  const destination = join(directory, 'out', 'file.bin');
  await mkdir(join(directory, 'out'));
  return { directory, destination, env, store };
}

/** What is left in DEST's directory: nothing may take DEST's name after a refusal. */
const leftIn = async (destination: string) => (await readdir(join(destination, '..'))).sort();

test('an answer without a Content-Length is refused, not taken for an empty object', { timeout: 60_000 }, async (t) => {
  const { destination, env } = await setUp(t, (_request, response) => {
    // Chunked: the store does not say how much it sends.
    response.writeHead(200, { etag: '"e"', 'transfer-encoding': 'chunked' });
    response.end('a body the CLI must not call empty');
  });
  const result = await cli(['download', '--key', 'k', destination], env);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /without an ETag or a Content-Length/);
  assert.deepEqual(await leftIn(destination), []);
});

test('a redirect is not followed to another host', { timeout: 60_000 }, async (t) => {
  const elsewhere = await listen(t, (_request, response) => {
    response.writeHead(200, { etag: '"e"', 'content-length': '5' });
    response.end('other');
  });
  const { destination, env } = await setUp(t, (_request, response) => {
    response.writeHead(307, { location: `http://127.0.0.1:${elsewhere.port}/${BUCKET}/k` });
    response.end();
  });
  const result = await cli(['download', '--key', 'k', destination], env);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /the store answered 307 \(a redirect to http:\/\/127\.0\.0\.1:\d+\/hostile\/k\)/);
  assert.equal(elsewhere.requests.length, 0);
  assert.deepEqual(await leftIn(destination), []);
});

test('an error answer whose body never ends is read up to a bound, not into memory', { timeout: 60_000 }, async (t) => {
  let sent = 0;
  const { destination, env } = await setUp(t, (_request, response) => {
    endlessRefusal(response, (bytes) => (sent += bytes));
  });
  const result = await cli(['download', '--key', 'k', destination], env);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /the store refused the download of k: 403 AccessDenied/);
  // What the server managed to push before the CLI hung up: the bound plus what the sockets buffer.
  assert.ok(sent < 16 * 1024 * 1024, `the server sent ${sent} bytes before the CLI stopped reading`);
});

test(
  'a 206 to a GET that asked for no range is refused, not taken for the whole object',
  { timeout: 60_000 },
  async (t) => {
    const { destination, env } = await setUp(t, (_request, response) => {
      response.writeHead(206, { etag: '"e"', 'content-length': '4', 'content-range': 'bytes 0-3/100' });
      response.end('part');
    });
    const result = await cli(['download', '--key', 'k', destination], env);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /answered 206 \(a part\) to a GET for the whole object/);
    assert.deepEqual(await leftIn(destination), []);
  },
);

test(
  'a malformed, composite-only or repeated checksum header is named, not called a mismatch of the bytes',
  { timeout: 60_000 },
  async (t) => {
    const body = Buffer.from('twelve bytes');
    const crc32 = await checksumOf('crc32', body);
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'x-amz-checksum-crc32': 'not base64!' }, /x-amz-checksum-crc32 "not base64!", which is not a CRC32 checksum/],
      [
        { 'x-amz-checksum-crc32': 'A'.repeat(8000) },
        /x-amz-checksum-crc32 "A{64}…" \(8000 characters\), which is not a CRC32 checksum/,
      ],
      [{ 'x-amz-checksum-sha256': crc32 }, /x-amz-checksum-sha256 ".+", which is not a SHA-256 checksum/],
      [
        { 'x-amz-checksum-crc64nvme': `${crc32}-3` },
        /x-amz-checksum-crc64nvme ".+", which is not a CRC64NVME checksum/,
      ],
      [
        { 'x-amz-checksum-crc32': crc32, 'x-amz-checksum-sha1': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
        /several checksums \(x-amz-checksum-crc32, x-amz-checksum-sha1\)/,
      ],
    ];
    let headers: Record<string, string> = {};
    const { destination, env } = await setUp(t, (_request, response) => {
      response.writeHead(200, { etag: '"e"', 'content-length': String(body.length), ...headers });
      response.end(body);
    });
    for (const [checksum, message] of cases) {
      headers = checksum;
      const result = await cli(['download', '--key', 'k', destination], env);
      assert.equal(result.code, 1, `${JSON.stringify(checksum)}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.deepEqual(await leftIn(destination), []);
    }
    // The same store with a well-formed value: downloaded and checked.
    headers = { 'x-amz-checksum-crc32': crc32 };
    const result = await cli(['download', '--key', 'k', destination], env);
    assert.equal(result.code, 0, result.stderr);
    assert.ok((await readFile(destination)).equals(body));
  },
);

test('a tampered state file is ignored (the download starts over), never a crash', { timeout: 60_000 }, async (t) => {
  const body = Buffer.from('the real bytes');
  const crc32 = await checksumOf('crc32', body);
  const { directory, destination, env, store } = await setUp(t, (_request, response) => {
    response.writeHead(200, { etag: '"e"', 'content-length': String(body.length), 'x-amz-checksum-crc32': crc32 });
    response.end(body);
  });
  // Where an interrupted run of this command keeps its state, beside DEST.part.
  const stateDirectory = join(directory, 'state', 's3-presign');
  const identity = { destination, source: `s3://${BUCKET}/k` };
  const state = new TransferState(stateDirectory, 'download', identity);
  const tampered: unknown[] = [
    { etag: '"e"', size: 5, checksum: { algorithm: 'constructor', value: 'x', type: 'FULL_OBJECT' } },
    { etag: '"e"', size: '5', checksum: null },
    { etag: 7, size: 5, checksum: null },
    { etag: '"e"', size: -1, checksum: null },
    { etag: '"e"', size: 5, checksum: { algorithm: 'crc32', value: 'x', type: 'NEITHER' } },
  ];
  for (const saved of tampered) {
    await rm(destination, { force: true });
    await writeFile(`${destination}.part`, 'fakes');
    await state.write(saved as object);
    const requestsBefore = store.requests.length;
    const result = await cli(['download', '--key', 'k', destination], env);
    assert.equal(result.code, 0, `${JSON.stringify(saved)}: ${result.stderr}`);
    assert.equal(store.requests.length, requestsBefore + 1, JSON.stringify(saved));
    assert.ok((await readFile(destination)).equals(body), JSON.stringify(saved));
    assert.equal(await stat(`${destination}.part`).catch(() => undefined), undefined);
  }
});

test(
  'a tampered state file naming parts is ignored (the download starts over), never a crash or a part request',
  { timeout: 60_000 },
  async (t) => {
    const body = Buffer.from('the real bytes');
    const crc32 = await checksumOf('crc32', body);
    const sha256 = await checksumOf('sha256', body);
    const { directory, destination, env, store } = await setUp(t, (_request, response) => {
      response.writeHead(200, { etag: '"e"', 'content-length': String(body.length), 'x-amz-checksum-crc32': crc32 });
      response.end(body);
    });
    const state = new TransferState(join(directory, 'state', 's3-presign'), 'download', {
      destination,
      source: `s3://${BUCKET}/k`,
    });
    const composite = (parts: number) => ({ algorithm: 'sha256', value: `${sha256}-${parts}`, type: 'COMPOSITE' });
    const part = (start: number, size: number, verified: boolean, checksum = sha256) => ({
      start,
      size,
      checksum,
      verified,
    });
    // Each with the bytes on disk its parts describe, so only the parts themselves are wrong.
    const tampered: Array<[state: object, onDisk: number]> = [
      [{ etag: '"e"', size: 14, checksum: null, parts: [] }, 0],
      [{ etag: '"e"', size: 14, checksum: { algorithm: 'crc32', value: crc32, type: 'FULL_OBJECT' }, parts: [] }, 0],
      // A gap between the parts, then a part that does not begin at byte 0.
      [{ etag: '"e"', size: 14, checksum: composite(2), parts: [part(0, 4, true), part(10, 4, false)] }, 12],
      [{ etag: '"e"', size: 14, checksum: composite(2), parts: [part(3, 4, false)] }, 5],
      // More parts than the composite covers, and a part checksum of another algorithm.
      [{ etag: '"e"', size: 14, checksum: composite(1), parts: [part(0, 7, true), part(7, 7, true)] }, 14],
      [{ etag: '"e"', size: 14, checksum: composite(1), parts: [part(0, 14, false, crc32)] }, 14],
      // A part past the end of the object.
      [{ etag: '"e"', size: 14, checksum: composite(1), parts: [part(0, 20, false)] }, 14],
    ];
    for (const [saved, onDisk] of tampered) {
      await rm(destination, { force: true });
      await writeFile(`${destination}.part`, Buffer.alloc(onDisk, 'f'));
      await state.write(saved);
      const requestsBefore = store.requests.length;
      const result = await cli(['download', '--key', 'k', destination], env);
      assert.equal(result.code, 0, `${JSON.stringify(saved)}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
      const asked = store.requests.slice(requestsBefore).map((request) => request.url ?? '');
      assert.equal(asked.length, 1, `${JSON.stringify(saved)}: ${asked.join(' ')}`);
      assert.doesNotMatch(asked[0] as string, /partNumber=/);
      assert.ok((await readFile(destination)).equals(body), JSON.stringify(saved));
    }
  },
);

/** How a store answers part `asked` of a COMPOSITE object, where it does not answer as S3 does. */
interface PartLies {
  /** Never answered. */
  hold?: (asked: number) => boolean;
  /** Answered with the range of this part. */
  served?: (asked: number) => number;
  /** Answered with the bytes and checksum of this part. */
  content?: (asked: number) => number;
  /** The x-amz-mp-parts-count it announces. */
  count?: (asked: number) => string;
  /** The checksum headers it sends instead of the part's own. */
  checksums?: (asked: number) => Record<string, string>;
  /** The whole object's checksum. */
  whole?: string;
}

/**
 * `body` as a COMPOSITE SHA-256 object of `partSize`-byte parts, served as S3 serves parts
 * (206, Content-Range, the parts count, in checksum mode the part's checksum) unless `lies`
 * says otherwise. Parts this small S3 would refuse at completion; a store answering as it
 * likes need not, and one-byte parts are the most a small body can claim.
 */
async function compositeStore(body: Buffer, partSize: number) {
  const parts = Math.ceil(body.length / partSize);
  const bytesOf = (part: number) => body.subarray((part - 1) * partSize, part * partSize);
  const digests = await Promise.all(
    Array.from({ length: parts }, (_, index) => checksumOf('sha256', bytesOf(index + 1))),
  );
  const composite = `${await checksumOf('sha256', Buffer.concat(digests.map((digest) => Buffer.from(digest, 'base64'))))}-${parts}`;
  const lies: PartLies = {};
  const handler: Handler = (request, response) => {
    const asked = Number(new URL(request.url ?? '', 'http://store').searchParams.get('partNumber'));
    if (asked === 0) {
      response.writeHead(200, {
        etag: '"e"',
        'content-length': String(body.length),
        'x-amz-checksum-sha256': lies.whole ?? composite,
        'x-amz-checksum-type': 'COMPOSITE',
      });
      response.end(body);
      return;
    }
    if (lies.hold?.(asked)) return;
    const served = lies.served?.(asked) ?? asked;
    const content = lies.content?.(asked) ?? served;
    const start = (served - 1) * partSize;
    const bytes = bytesOf(content);
    response.writeHead(206, {
      etag: '"e"',
      'content-length': String(bytes.length),
      'content-range': `bytes ${start}-${start + bytes.length - 1}/${body.length}`,
      'x-amz-mp-parts-count': lies.count?.(asked) ?? String(parts),
      ...(lies.checksums?.(asked) ?? { 'x-amz-checksum-sha256': digests[content - 1] as string }),
    });
    response.end(bytes);
  };
  return { digests, composite, handler, lies };
}

const partsAsked = (requests: readonly IncomingMessage[]) =>
  requests.map((request) => new URL(request.url ?? '', 'http://store').searchParams.get('partNumber'));

test(
  'a COMPOSITE object of a thousand parts writes its state in linear work, not a whole state per part',
  { timeout: 120_000 },
  async (t) => {
    const body = randomBytes(1000);
    const { handler } = await compositeStore(body, 1);
    const { destination, env } = await setUp(t, handler);
    // What the state file is written with: the work counted is the bytes of each write.
    const written: number[] = [];
    const write = TransferState.prototype.write;
    t.mock.method(TransferState.prototype, 'write', function (this: TransferState<object, object>, state: object) {
      written.push(JSON.stringify(state).length);
      return write.call(this, state);
    });
    const result = await cli(['download', '--key', 'k', destination], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /checked \(each of the 1000 parts, and the composite of their checksums\)\n$/);
    assert.ok((await readFile(destination)).equals(body));
    // A whole state per part is about `parts` times the largest one; a bounded number of them
    // is linear in the parts.
    const total = written.reduce((sum, bytes) => sum + bytes, 0);
    const largest = Math.max(...written);
    assert.ok(total <= 48 * largest, `${written.length} writes, ${total} bytes, the largest ${largest}`);
  },
);

test(
  'Ctrl-C in a download of many parts writes the parts checked so far: the same command asks for the rest only',
  { timeout: 120_000 },
  async (t) => {
    const body = randomBytes(100);
    const { handler, lies } = await compositeStore(body, 1);
    const { destination, env, store } = await setUp(t, handler);
    // Part 61's answer never comes; Ctrl-C once it has been asked for.
    lies.hold = (asked) => asked === 61;
    const { main } = await import('../../src/cli/main.js');
    let interrupt = () => {};
    const first = main(['download', '--key', 'k', destination], {
      env: baseEnvironment({
        AWS_ACCESS_KEY_ID: EXAMPLE_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EXAMPLE_CREDENTIALS.secretAccessKey,
        ...env,
      }),
      stdout: { write: () => {} },
      stderr: { write: () => {} },
      onInterrupt: (handler) => {
        interrupt = handler;
        return () => {};
      },
    });
    while (!partsAsked(store.requests).includes('61')) await new Promise((resolve) => setTimeout(resolve, 20));
    interrupt();
    assert.equal(await first, 130);

    delete lies.hold;
    const before = store.requests.length;
    const second = await cli(['download', '--key', 'k', destination], env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(
      partsAsked(store.requests.slice(before)),
      Array.from({ length: 40 }, (_, index) => String(61 + index)),
    );
    assert.ok((await readFile(destination)).equals(body));
  },
);

test(
  "a part answered with another algorithm's checksum, a malformed one or several is refused by name, not called unverifiable",
  { timeout: 60_000 },
  async (t) => {
    const body = Buffer.from('aabb');
    const { digests, handler, lies } = await compositeStore(body, 2);
    const { destination, env } = await setUp(t, handler);
    const crc32 = await checksumOf('crc32', body.subarray(0, 2));
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'x-amz-checksum-crc32': crc32 }, /answered part 1 with x-amz-checksum-crc32, not the object's SHA-256/],
      [
        { 'x-amz-checksum-sha256': 'not base64!' },
        /answered part 1 with x-amz-checksum-sha256 "not base64!", which is not a SHA-256 checksum/,
      ],
      [
        { 'x-amz-checksum-sha256': digests[0] as string, 'x-amz-checksum-crc32': crc32 },
        /answered part 1 with several checksums \(x-amz-checksum-crc32, x-amz-checksum-sha256\)/,
      ],
    ];
    for (const [headers, message] of cases) {
      lies.checksums = () => headers;
      const result = await cli(['download', '--key', 'k', destination], env);
      assert.equal(result.code, 1, `${JSON.stringify(headers)}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(await stat(destination).catch(() => undefined), undefined);
    }
    // The same store with each part's own value: each part and the composite checked.
    delete lies.checksums;
    const result = await cli(['download', '--key', 'k', destination], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /checked \(each of the 2 parts, and the composite of their checksums\)\n$/);
  },
);

test(
  'a store whose parts do not add up (count, order, bytes, a count past 10,000) is refused by name, DEST unwritten',
  { timeout: 60_000 },
  async (t) => {
    const { digests, handler, lies } = await compositeStore(Buffer.from('aabbcc'), 2);
    const { destination, env } = await setUp(t, handler);
    const cases: Array<[string, PartLies, RegExp]> = [
      [
        'a wrong parts count',
        { count: () => '4' },
        /answered part 1 of 3 with bytes 0-1\/6 of 4 parts, which does not continue/,
      ],
      [
        'a count that changes between parts',
        { count: (asked) => (asked === 2 ? '2' : '3') },
        /answered part 2 of 3 with bytes 2-3\/6 of 2 parts/,
      ],
      [
        'the next part for this one',
        { served: (asked) => (asked === 2 ? 3 : asked) },
        /answered part 2 of 3 with bytes 4-5\/6/,
      ],
      [
        "another part's bytes and checksum in this part's place",
        { served: (asked) => (asked === 2 ? 1 : asked) },
        /answered part 2 of 3 with bytes 0-1\/6/,
      ],
      [
        "another part's bytes and checksum in this part's range",
        { content: (asked) => (asked === 2 ? 1 : asked) },
        /the checksums of the 3 parts received do not make the stored composite SHA-256/,
      ],
      ['a count past 10,000', { whole: `${digests[0]}-10001` }, /which is not a SHA-256 checksum/],
    ];
    for (const [index, [name, told, message]] of cases.entries()) {
      for (const lie of Object.keys(lies) as Array<keyof PartLies>) delete lies[lie];
      Object.assign(lies, told);
      // A DEST of its own: a refused run keeps what it checked, and the next would go on from it.
      const own = `${destination}.${index}`;
      const result = await cli(['download', '--key', 'k', own], env);
      assert.equal(result.code, 1, `${name}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, message, name);
      assert.equal(await stat(own).catch(() => undefined), undefined, name);
    }
  },
);

test(
  'after a crash, bytes past the parts the state names are cut off and those parts fetched again',
  { timeout: 60_000 },
  async (t) => {
    const body = Buffer.from('aabbcc');
    const { digests, composite, handler } = await compositeStore(body, 2);
    const { directory, destination, env, store } = await setUp(t, handler);
    const state = new TransferState(join(directory, 'state', 's3-presign'), 'download', {
      destination,
      source: `s3://${BUCKET}/k`,
    });
    // Written when part 2 began; part 3 was under way when the process died.
    await state.write({
      etag: '"e"',
      size: 6,
      checksum: { algorithm: 'sha256', value: composite, type: 'COMPOSITE' },
      parts: [
        { start: 0, size: 2, checksum: digests[0], verified: true },
        { start: 2, size: 2, checksum: digests[1], verified: false },
      ],
    });
    await writeFile(`${destination}.part`, 'aabbX');
    const result = await cli(['download', '--key', 'k', destination], env);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(partsAsked(store.requests), ['3']);
    assert.match(result.stdout, /checked \(each of the 3 parts, and the composite of their checksums\)\n$/);
    assert.ok((await readFile(destination)).equals(body));
  },
);

test(
  'a DEST.part planted as a symbolic link is not written through, and DEST does not become the link',
  { timeout: 60_000 },
  async (t) => {
    const body = Buffer.from('the object');
    const { directory, destination, env } = await setUp(t, (_request, response) => {
      response.writeHead(200, { etag: '"e"', 'content-length': String(body.length) });
      response.end(body);
    });
    // Another user of a shared directory (/tmp) points DEST.part at a file of the victim's.
    const victim = join(directory, 'victim.txt');
    await writeFile(victim, 'keep me');
    await symlink(victim, `${destination}.part`);
    const result = await cli(['download', '--key', 'k', destination], env);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /file\.bin\.part is a symbolic link, not written through: remove it/);
    assert.equal(await readFile(victim, 'utf8'), 'keep me');
    assert.equal(await lstat(destination).catch(() => undefined), undefined);
  },
);

test(
  'a DEST the CLI cannot write is refused with its path and reason, not a stack trace',
  { timeout: 60_000 },
  async (t) => {
    const { directory, env } = await setUp(t, (_request, response) => {
      response.writeHead(200, { etag: '"e"', 'content-length': '3' });
      response.end('abc');
    });
    const result = await cli(['download', '--key', 'k', join(directory, 'no', 'such', 'file.bin')], env);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^s3-presign: cannot write .*\/no\/such\/file\.bin\.part: ENOENT/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  },
);

test('upload sends the file to no other host when the store redirects its PUT', { timeout: 60_000 }, async (t) => {
  const elsewhere = await listen(t, (request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { etag: '"stolen"' });
      response.end();
    });
  });
  const { directory, env } = await setUp(t, (request, response) => {
    request.resume();
    response.writeHead(307, { location: `http://127.0.0.1:${elsewhere.port}/${BUCKET}/k` });
    response.end();
  });
  const file = join(directory, 'secret.txt');
  await writeFile(file, 'private bytes');
  const result = await cli(['upload', file, '--key', 'k'], env);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /the store answered 307 \(a redirect to http:\/\/127\.0\.0\.1:\d+\/hostile\/k\)/);
  assert.equal(elsewhere.requests.length, 0);
});

test("upload reads a refusal's endless body up to a bound", { timeout: 60_000 }, async (t) => {
  let sent = 0;
  const { directory, env } = await setUp(t, (request, response) => {
    request.resume();
    endlessRefusal(response, (bytes) => (sent += bytes));
  });
  const file = join(directory, 'f.txt');
  await writeFile(file, 'bytes');
  const result = await cli(['upload', file, '--key', 'k'], env);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /S3 refused .*: 403 AccessDenied/);
  assert.ok(sent < 16 * 1024 * 1024, `the server sent ${sent} bytes before the CLI stopped reading`);
});
