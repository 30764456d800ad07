// s3-presign verify: a bucket allowlist when one is given (--bucket, or S3_BUCKETS as the
// service reads it), none otherwise; and --fields FILE judges a POST policy form as
// POST /verify {url, fields} does.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { EXAMPLE_CREDENTIALS } from '../helpers.js';
import { cli } from './run.js';

const MODE = ['--mode', 'regional', '--region', 'eu-west-3'];

async function scratch(t: TestContext): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-verify-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

test('verify checks the bucket against --bucket or S3_BUCKETS, and against nothing when neither is given', async () => {
  const minted = await cli(['url', '--bucket', 'other-bucket', '--key', 'x.txt', ...MODE]);
  assert.equal(minted.code, 0, minted.stderr);
  const url = minted.stdout.trim();

  const anyBucket = await cli(['verify', url, ...MODE]);
  assert.equal(anyBucket.code, 0, anyBucket.stderr);

  const flagged = await cli(['verify', url, ...MODE, '--bucket', 'my-bucket', '--bucket', 'archive']);
  assert.equal(flagged.code, 1);
  assert.equal(
    flagged.stderr,
    'invalid under regional mode (eu-west-3):\n  URL_BUCKET_NOT_ALLOWED: bucket "other-bucket" is not on the bucket allowlist (S3_BUCKETS)\n',
  );
  const fromEnvironment = await cli(['verify', url, ...MODE, '--json'], { S3_BUCKETS: 'my-bucket' });
  assert.equal(fromEnvironment.code, 1);
  assert.deepEqual(
    JSON.parse(fromEnvironment.stdout).failures.map((failure: { code: string }) => failure.code),
    ['URL_BUCKET_NOT_ALLOWED'],
  );
  assert.equal((await cli(['verify', url, ...MODE, '--bucket', 'other-bucket'])).code, 0);
});

test('verify --fields FILE judges a POST policy form', async (t) => {
  const directory = await scratch(t);
  const client = new S3Client({ region: 'eu-west-3', credentials: EXAMPLE_CREDENTIALS });
  t.after(() => client.destroy());
  const { url, fields } = await createPresignedPost(client, {
    Bucket: 'my-bucket',
    Key: 'uploads/${filename}',
    Conditions: [['starts-with', '$key', 'uploads/']],
    Expires: 600,
  });
  const file = join(directory, 'fields.json');
  await writeFile(file, JSON.stringify(fields));

  const valid = await cli(['verify', url, '--fields', file, ...MODE, '--bucket', 'my-bucket']);
  assert.equal(valid.code, 0, valid.stderr);
  assert.match(
    valid.stdout,
    /^valid under regional mode \(eu-west-3\): bucket my-bucket, key \(named at upload\), expires \d{4}-\d\d-\d\dT/,
  );

  const elsewhere = await cli(['verify', url, '--fields', file, '--mode', 'regional', '--region', 'us-east-1']);
  assert.equal(elsewhere.code, 1);
  assert.match(
    elsewhere.stderr,
    /URL_HOST: host my-bucket\.s3\.eu-west-3\.amazonaws\.com is not an S3 endpoint of the pinned regional mode \(us-east-1\)/,
  );

  // Without --fields the same URL is judged as a URL, and a form's URL is no object's URL.
  const asUrl = await cli(['verify', url, ...MODE]);
  assert.equal(asUrl.code, 1);

  const notFields = join(directory, 'form.json');
  await writeFile(notFields, JSON.stringify({ url, fields }));
  for (const [args, message] of [
    [['--fields', join(directory, 'missing.json')], /--fields: cannot read .*missing\.json \(ENOENT\)/],
    [['--fields', notFields], /--fields: .*form\.json must hold the form's fields, a JSON object of strings/],
  ] as const) {
    const refused = await cli(['verify', url, ...args, ...MODE]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, message);
  }
});
