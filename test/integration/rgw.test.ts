// The RGW tier: the flows the embedded store proves, run in custom mode (path style, http,
// S3_ALLOW_HTTP) against Ceph RGW 16.2 from Debian's packages, on one single-node cluster
// booted for this file (test/rgw.ts); then what RGW does differently and what the service
// does about it. The tier's cost is printed at the end: boot and total seconds.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { cliFlows } from '../flows/cli.js';
import { healthFlows } from '../flows/health.js';
import { multipartFlows } from '../flows/multipart.js';
import { postPolicyFlows } from '../flows/post-policy.js';
import { presignFlows } from '../flows/presign.js';
import { uploadClientFlows } from '../flows/upload-clients.js';
import { rgwMissing, startRgw, type RgwCluster } from '../rgw.js';
import { rgwStore, startStoreApp } from '../stores.js';

const skip = rgwMissing();
const tierStarted = performance.now();
let cluster: RgwCluster | undefined;
before(async () => {
  if (!skip) cluster = await startRgw();
});
after(() => cluster?.stop());
const rgw = rgwStore(() => cluster);
const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('base64');

describe('RGW: presigned PUT and GET', { skip }, () => presignFlows(rgw));
describe('RGW: browser form uploads', { skip }, () => postPolicyFlows(rgw));
describe('RGW: multipart uploads', { skip }, () => multipartFlows(rgw));
describe('RGW: Uppy and Companion routes', { skip }, () => uploadClientFlows(rgw));
describe('RGW: /healthz', { skip }, () => healthFlows(rgw));
describe('RGW: the CLI', { skip }, () => cliFlows(rgw));

describe('RGW: what differs from S3, and what the service does about it', { skip }, () => {
  test('x-amz-checksum-sha256 is signed but not verified: RGW stores other bytes of the same length', async (t) => {
    // Claimed against the facts, to show what the claim would cost.
    const { app, auth, client, config } = await startStoreApp(t, rgw, { S3_STORE_CHECKSUMS: 'sha256' });
    const body = randomBytes(4096);
    const other = randomBytes(body.length);
    const upload = await app.inject({
      method: 'POST',
      url: '/uploads',
      headers: auth,
      payload: {
        filename: 'a.bin',
        contentType: 'application/octet-stream',
        contentLength: body.length,
        checksumSha256: sha256(body),
      },
    });
    assert.equal(upload.statusCode, 200, upload.body);
    const { url, headers, key } = upload.json();
    assert.equal(headers['x-amz-checksum-sha256'], sha256(body));
    const sent = await fetch(url, { method: 'PUT', headers, body: other });
    assert.equal(sent.status, 200, 'RGW 16.2 takes other bytes under the signed checksum');
    const stored = await client.send(new GetObjectCommand({ Bucket: config.buckets[0], Key: key }));
    assert.ok(
      Buffer.from(await (stored.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).equals(
        other,
      ),
    );
  });

  test('in custom mode a checksum field is refused (400 CHECKSUM_NOT_VERIFIED) until S3_STORE_CHECKSUMS names it', async (t) => {
    const { app, auth } = await startStoreApp(t, rgw);
    const body = randomBytes(4096);
    const refused = await app.inject({
      method: 'POST',
      url: '/uploads',
      headers: auth,
      payload: {
        filename: 'a.bin',
        contentType: 'application/octet-stream',
        contentLength: body.length,
        checksumSha256: sha256(body),
      },
    });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.deepEqual([refused.json().code, refused.json().field], ['CHECKSUM_NOT_VERIFIED', 'checksumSha256']);
    assert.match(refused.json().message, /S3_STORE_CHECKSUMS=none/);
    const without = await app.inject({
      method: 'POST',
      url: '/uploads',
      headers: auth,
      payload: { filename: 'a.bin', contentType: 'application/octet-stream', contentLength: body.length },
    });
    assert.equal(without.statusCode, 200, without.body);
  });
});

test("the RGW tier's cost", { skip }, (t) => {
  t.diagnostic(
    `RGW tier: boot ${cluster?.bootSeconds.toFixed(1)} s, whole file ${((performance.now() - tierStarted) / 1000).toFixed(1)} s`,
  );
});
