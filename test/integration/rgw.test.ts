// The RGW tier: the flows the embedded store proves, run in custom mode (path style, http,
// S3_ALLOW_HTTP) against Ceph RGW 16.2 from Debian's packages, on one single-node cluster
// booted for this file (test/rgw.ts); then what RGW does differently and what the service
// does about it. The tier's cost is printed at the end: boot and total seconds.
import { after, before, describe, test } from 'node:test';
import { cliFlows } from '../flows/cli.js';
import { healthFlows } from '../flows/health.js';
import { multipartFlows } from '../flows/multipart.js';
import { postPolicyFlows } from '../flows/post-policy.js';
import { presignFlows } from '../flows/presign.js';
import { uploadClientFlows } from '../flows/upload-clients.js';
import { rgwMissing, startRgw, type RgwCluster } from '../rgw.js';
import { rgwStore } from '../stores.js';

const skip = rgwMissing();
const tierStarted = performance.now();
let cluster: RgwCluster | undefined;
before(async () => {
  if (!skip) cluster = await startRgw();
});
after(() => cluster?.stop());
const rgw = rgwStore(() => cluster);

describe('RGW: presigned PUT and GET', { skip }, () => presignFlows(rgw));
describe('RGW: browser form uploads', { skip }, () => postPolicyFlows(rgw));
describe('RGW: multipart uploads', { skip }, () => multipartFlows(rgw));
describe('RGW: Uppy and Companion routes', { skip }, () => uploadClientFlows(rgw));
describe('RGW: /healthz', { skip }, () => healthFlows(rgw));
describe('RGW: the CLI', { skip }, () => cliFlows(rgw));

test("the RGW tier's cost", { skip }, (t) => {
  t.diagnostic(
    `RGW tier: boot ${cluster?.bootSeconds.toFixed(1)} s, whole file ${((performance.now() - tierStarted) / 1000).toFixed(1)} s`,
  );
});
