// A real boto3 form (Debian's python3-boto3, generate_presigned_post, the local mode's bucket
// and endpoint, the code docs/coming-from-boto3.md shows) is judged by POST /verify
// {url, fields} and by `s3-presign verify --fields`, and the embedded store, which checks POST
// policies as S3 does, takes the upload the form allows: what /verify calls valid works.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { awsToolsMissing, pageBlock, runPython, toolEnvironment } from '../aws-tools.js';
import { cli } from '../cli/run.js';
import { embeddedS3Client, startLocalApp } from '../helpers.js';

const PAGE = new URL('../../docs/coming-from-boto3.md', import.meta.url);
/** The page's code names local mode's default store; the test's store listens elsewhere. */
const PAGE_ENDPOINT = 'http://127.0.0.1:4568';

interface Form {
  url: string;
  fields: Record<string, string>;
}

test(
  'a boto3 POST policy form for local mode passes /verify and verify --fields, and the store takes its upload',
  { skip: awsToolsMissing(), timeout: 120_000 },
  async (t) => {
    const { app, s3 } = await startLocalApp(t);
    const block = await pageBlock(PAGE, 'boto3-local');
    assert.equal(block.language, 'python');
    assert.equal(block.code.split(PAGE_ENDPOINT).length, 2, 'the page names the endpoint once');
    const code = block.code.replace(PAGE_ENDPOINT, s3.endpoint.origin);
    // The page's code reads the pair `npm start` prints: this store's own, drawn at its start.
    const storeKeys = {
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    };
    const form = JSON.parse(await runPython(code, toolEnvironment(storeKeys))) as Form;
    // boto3's own shape: path-style URL without a trailing slash, lowercase field names.
    assert.equal(form.url, `${s3.endpoint.origin}/local-uploads`);
    assert.deepEqual(Object.keys(form.fields).sort(), [
      'key',
      'policy',
      'x-amz-algorithm',
      'x-amz-credential',
      'x-amz-date',
      'x-amz-signature',
    ]);

    const report = (await app.inject({ method: 'POST', url: '/verify', payload: form })).json();
    assert.deepEqual(report.failures, []);
    assert.equal(report.valid, true);
    assert.equal(report.bucket, 'local-uploads');
    assert.equal(report.addressing, 'path-style');
    assert.equal(report.key, undefined, 'the key is named at upload (${filename})');

    // The CLI judges the same form the same way.
    const directory = await mkdtemp(join(tmpdir(), 's3-presign-boto3-form-'));
    t.after(() => rm(directory, { recursive: true, force: true }));
    const fieldsFile = join(directory, 'fields.json');
    await writeFile(fieldsFile, JSON.stringify(form.fields));
    const checked = await cli(['verify', form.url, '--fields', fieldsFile, '--mode', 'local'], {
      LOCAL_S3_PORT: s3.endpoint.port,
    });
    assert.equal(checked.code, 0, checked.stderr);
    assert.equal(
      checked.stdout,
      `valid under local mode (${s3.endpoint.origin}): bucket local-uploads, key (named at upload), expires ${report.expiresAt}\n`,
    );

    // The store (which checks the signature and every condition) takes what the form allows.
    const bytes = randomBytes(4096);
    const body = new FormData();
    for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
    body.append('file', new Blob([bytes]), 'hello.bin');
    const posted = await fetch(form.url, { method: 'POST', body });
    assert.equal(posted.status, 204, await posted.text());
    // Signed with s3rver's well-known pair, as any page could, the same form stores nothing.
    const wellKnown = JSON.parse(
      await runPython(code, toolEnvironment({ AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' })),
    ) as Form;
    const foreign = new FormData();
    for (const [name, value] of Object.entries(wellKnown.fields)) foreign.append(name, value);
    foreign.append('file', new Blob([randomBytes(16)]), 'forged.bin');
    const refusedPost = await fetch(wellKnown.url, { method: 'POST', body: foreign });
    assert.equal(refusedPost.status, 403, await refusedPost.text());
    const client = embeddedS3Client(s3);
    t.after(() => client.destroy());
    const stored = await client.send(new GetObjectCommand({ Bucket: 'local-uploads', Key: 'inbox/hello.bin' }));
    assert.deepEqual(Buffer.from(await stored.Body!.transformToByteArray()), bytes);

    // The same code for a bucket outside S3_BUCKETS: a form the service would never sign.
    const elsewhere = JSON.parse(
      await runPython(code.replace("'local-uploads'", "'other-bucket'"), toolEnvironment(storeKeys)),
    ) as Form;
    const refused = (await app.inject({ method: 'POST', url: '/verify', payload: elsewhere })).json();
    assert.deepEqual(
      refused.failures.map((failure: { code: string }) => failure.code),
      ['URL_BUCKET_NOT_ALLOWED'],
    );
  },
);
