// `s3-presign upload` as an operator runs it: the real CLI process against the embedded
// store (which verifies every signature, part length, ETag and SHA-256), the object read back
// with the SDK and compared byte for byte. The multipart upload runs against every store in
// test/flows/cli.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { checksumOf } from '../../src/endpoint/checksum-algorithms.js';
import { startEmbeddedS3 } from '../../src/local/embedded-s3.js';
import { embeddedS3Client } from '../helpers.js';
import { baseEnvironment, cli } from './run.js';

const BUCKET = 'cli-uploads';
const MiB = 1024 * 1024;

async function setUp(t: TestContext, bytes: Buffer) {
  const s3 = await startEmbeddedS3({ buckets: [BUCKET] });
  t.after(() => s3.close());
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-cli-upload-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const file = join(directory, 'payload.bin');
  await writeFile(file, bytes);
  // As `npm start` prints them: the store's key pair, new at each start.
  const env = {
    S3_ENDPOINT_MODE: 'local',
    LOCAL_S3_PORT: s3.endpoint.port,
    S3_BUCKETS: BUCKET,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  };
  return { s3, file, env, client: embeddedS3Client(s3) };
}

async function stored(client: ReturnType<typeof embeddedS3Client>, key: string) {
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return {
    bytes: Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
    etag: object.ETag,
    contentType: object.ContentType,
  };
}

test('upload sends a small file in one PUT that binds its SHA-256', { timeout: 60_000 }, async (t) => {
  const bytes = randomBytes(300 * 1024);
  const { file, env, client } = await setUp(t, bytes);
  const result = await cli(['upload', file, '--key', 'small.bin'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`^uploaded ${bytes.length} bytes to ${BUCKET}/small\\.bin in 1 part, ETag "`));
  assert.ok((await stored(client, 'small.bin')).bytes.equals(bytes));
});

test('upload carries the configured encryption, in one PUT and in parts', { timeout: 120_000 }, async (t) => {
  const bytes = randomBytes(6 * MiB);
  const { file, env, client } = await setUp(t, bytes);
  const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const sse = { ...env, S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: key, S3_SSE_BUCKET_KEY: 'true' };
  const whole = await cli(['upload', file, '--key', 'whole.bin', '--multipart-threshold', String(8 * MiB)], sse);
  assert.equal(whole.code, 0, whole.stderr);
  const inParts = await cli(
    ['upload', file, '--key', 'parts.bin', '--multipart-threshold', String(MiB), '--part-size', String(5 * MiB)],
    sse,
  );
  assert.equal(inParts.code, 0, inParts.stderr);
  assert.match(inParts.stdout, /in 2 parts/);
  for (const name of ['whole.bin', 'parts.bin']) {
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: name }));
    assert.deepEqual(
      [head.ServerSideEncryption, head.SSEKMSKeyId, head.BucketKeyEnabled],
      ['aws:kms', key, true],
      name,
    );
  }
});

test('upload refuses bad input with the reason and a non-zero exit', { timeout: 60_000 }, async (t) => {
  const { file, env } = await setUp(t, randomBytes(1024));
  const cases: Array<[string[], RegExp]> = [
    [['upload', file], /--key is required/],
    [['upload', '--key', 'k'], /exactly one FILE/],
    [['upload', `${file}.missing`, '--key', 'k'], /cannot read .*payload\.bin\.missing: ENOENT/],
    [['upload', file, '--key', '../escape'], /key/],
    [['upload', file, '--key', 'k', '--part-size', '1024', '--multipart-threshold', '0'], /--part-size must be/],
    [['upload', file, '--key', 'k', '--part-size', 'big'], /--part-size must be a whole number/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args, env);
    assert.notEqual(result.code, 0, args.join(' '));
    assert.match(result.stderr, message, args.join(' '));
    assert.equal(result.stdout, '');
  }
});

test("upload --mode local without --bucket uses local mode's default bucket", { timeout: 60_000 }, async (t) => {
  const s3 = await startEmbeddedS3({ buckets: ['local-uploads'] });
  t.after(() => s3.close());
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-cli-upload-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const bytes = randomBytes(2048);
  await writeFile(join(directory, 'a.bin'), bytes);
  const result = await cli(['upload', join(directory, 'a.bin'), '--key', 'a.bin', '--mode', 'local'], {
    LOCAL_S3_PORT: s3.endpoint.port,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^uploaded 2048 bytes to local-uploads\/a\.bin in 1 part/);
  const object = await embeddedS3Client(s3).send(new GetObjectCommand({ Bucket: 'local-uploads', Key: 'a.bin' }));
  assert.ok(Buffer.from(await object.Body!.transformToByteArray()).equals(bytes));
});

test(
  'Ctrl-C during an upload with AWS credentials aborts the multipart upload and exits 130',
  { timeout: 120_000 },
  async (t) => {
    const directory = await mkdtemp(join(tmpdir(), 's3-presign-cli-store-'));
    t.after(() => rm(directory, { recursive: true, force: true }));
    const s3 = await startEmbeddedS3({ buckets: [BUCKET], directory });
    t.after(() => s3.close());
    const file = join(directory, 'payload.bin');
    await writeFile(file, randomBytes(60 * MiB));
    const env = {
      S3_ENDPOINT_MODE: 'local',
      LOCAL_S3_PORT: s3.endpoint.port,
      S3_BUCKETS: BUCKET,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    };
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli.ts',
        'upload',
        file,
        '--key',
        'cut.bin',
        '--part-size',
        String(5 * MiB),
        '--progress',
      ],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), env: baseEnvironment(env) },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (/ 1\/12 parts/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const [code] = (await once(child, 'close')) as [number];
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted; the upload was aborted and S3 keeps none of it\n$/);
    // The store keeps an upload's parts as files under the bucket until it is completed or aborted.
    const entries = await readdir(join(directory, BUCKET), { recursive: true, withFileTypes: true });
    const files = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
    assert.deepEqual(files, [], 'no part is left behind');
  },
);

test(
  'upload --checksum-algorithm XXHASH3 binds it in one PUT; MD5, documented by S3 for parts only, goes up in parts however small',
  { timeout: 60_000 },
  async (t) => {
    const bytes = randomBytes(3000);
    const { file, env, client } = await setUp(t, bytes);
    const xxhash3 = await checksumOf('xxhash3', bytes);
    const whole = await cli(['upload', file, '--key', 'xx.bin', '--checksum-algorithm', 'XXHASH3'], env);
    assert.equal(whole.code, 0, whole.stderr);
    assert.equal(
      whole.stdout.replace(/ETag "[0-9a-f]+"/, 'ETag'),
      `uploaded 3000 bytes to ${BUCKET}/xx.bin in 1 part, ETag, XXHASH3 ${xxhash3} checked by the store\n`,
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'xx.bin', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumXXHASH3, xxhash3);

    const md5 = `${await checksumOf('md5', Buffer.from(await checksumOf('md5', bytes), 'base64'))}-1`;
    const parts = await cli(['upload', file, '--key', 'md5.bin', '--checksum-algorithm', 'md5'], env);
    assert.equal(parts.code, 0, parts.stderr);
    assert.equal(
      parts.stdout.replace(/ETag "[0-9a-f]+-1"/, 'ETag'),
      `uploaded 3000 bytes to ${BUCKET}/md5.bin in 1 part, ETag, MD5 ${md5} (composite, of the parts) checked by the store\n`,
    );
    const stored = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'md5.bin', ChecksumMode: 'ENABLED' }),
    );
    assert.deepEqual([stored.ChecksumMD5, stored.ChecksumType], [md5, 'COMPOSITE']);

    await writeFile(file, Buffer.alloc(0));
    const empty = await cli(['upload', file, '--key', 'empty.bin', '--checksum-algorithm', 'MD5'], env);
    assert.equal(empty.code, 1);
    assert.match(
      empty.stderr,
      /--checksum-algorithm MD5: S3 documents it for the parts of a multipart upload only, and an empty file has none/,
    );
  },
);
