// The validator on part URLs and POST policies: what the service signs passes, and the same
// URL or policy changed in any one field it can judge is refused. (A signature replaced by
// other well-formed hex, or a date moved within the allowed skew, needs the secret key to
// notice: that is S3's check, not this one's.)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { EndpointMode } from '../../../src/endpoint/endpoint-mode.js';
import { createPinnedS3 } from '../../../src/endpoint/s3-client.js';
import { FastSigner } from '../../../src/presign/fast-signer.js';
import { PostPolicySigner } from '../../../src/presign/post-policy-signer.js';
import { SdkSigner } from '../../../src/presign/sdk-signer.js';
import { validatePostPolicy, type PostPolicyExpectation } from '../../../src/verify/post-policy-validator.js';
import { validatePresignedUrl, type UrlExpectation, type ValidatorPolicy } from '../../../src/verify/url-validator.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';
import { localMode, regionalMode } from '../../fixtures/endpoint-modes.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const MODES: EndpointMode[] = [regionalMode('eu-west-1', { dualstack: true }), localMode(4568)];
const pinned = MODES.map((mode) => createPinnedS3(mode, async () => EXAMPLE_CREDENTIALS));
after(() => pinned.forEach((s3) => s3.destroy()));
const policyFor = (mode: EndpointMode): ValidatorPolicy => ({
  mode,
  maxExpiresSeconds: 3600,
  maxClockSkewSeconds: 300,
  now: () => NOW,
});

const BUCKET = 'uploads-bucket';
const KEY = 'u/7f3a/holiday video.mp4';

describe('part URLs: signed ones pass, any one field changed is refused', () => {
  it('refuses every single-field change', async () => {
    const cases = await Promise.all(
      MODES.map(async (mode, i) => {
        const s3 = pinned[i]!;
        const signer = new FastSigner(s3, { fallback: new SdkSigner(s3) });
        const url = await signer.sign({
          operation: 'upload-part',
          bucket: BUCKET,
          key: KEY,
          expiresIn: 900,
          signingDate: NOW,
          headers: { 'content-length': '5242880' },
          part: { uploadId: 'VXBsb2FkIElEIGZvciA2aWWbWpmeXZhcmlvdXMgd2F5cw', partNumber: 7 },
          credentials: EXAMPLE_CREDENTIALS,
        });
        const expectation: UrlExpectation = {
          bucket: BUCKET,
          key: KEY,
          signedHeaders: ['content-length'],
          queryParameters: { partNumber: '7', uploadId: 'VXBsb2FkIElEIGZvciA2aWWbWpmeXZhcmlvdXMgd2F5cw' },
          uploadPart: true,
          accessKeyId: EXAMPLE_CREDENTIALS.accessKeyId,
          temporaryCredentials: false,
          fresh: true,
        };
        return { mode, url, expectation };
      }),
    );
    for (const { mode, url, expectation } of cases) {
      const report = validatePresignedUrl(url, policyFor(mode), expectation);
      assert.ok(report.valid, JSON.stringify(report.failures));
      // Without the part expectation, the same URL is not a plain PUT.
      assert.equal(validatePresignedUrl(url, policyFor(mode), { ...expectation, uploadPart: undefined }).valid, false);
    }
    const judged = [
      'partNumber',
      'uploadId',
      'x-id',
      'X-Amz-SignedHeaders',
      'X-Amz-Credential',
      'X-Amz-Algorithm',
      'X-Amz-Content-Sha256',
    ];
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('value' as const),
        name: fc.constantFrom(...judged),
        value: fc.string({ maxLength: 12 }),
      }),
      fc.record({
        kind: fc.constant('drop' as const),
        // Not the SDK's two hints: without X-Amz-Content-Sha256 S3 takes the payload as unsigned
        // all the same, and S3 ignores x-id; a URL from elsewhere may lack either.
        name: fc.constantFrom(
          ...judged.filter((name) => name !== 'X-Amz-Content-Sha256' && name !== 'x-id'),
          'X-Amz-Signature',
          'X-Amz-Date',
          'X-Amz-Expires',
        ),
      }),
      fc.record({
        kind: fc.constant('add' as const),
        name: fc.constantFrom(
          'partNumber',
          'uploadId',
          'x-amz-checksum-crc32',
          'response-content-type',
          'versionId',
          'x-id',
        ),
        value: fc.string({ maxLength: 12 }),
      }),
      fc.record({ kind: fc.constant('signature' as const), value: fc.string({ maxLength: 70 }) }),
      fc.record({
        kind: fc.constant('host' as const),
        value: fc.constantFrom('evil.example.com', 's3.amazonaws.com', '127.0.0.1:4569'),
      }),
      fc.record({
        kind: fc.constant('path' as const),
        value: fc.constantFrom('/other', '/uploads-bucket/u/other.mp4', '/'),
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...cases), mutation, ({ mode, url, expectation }, change) => {
        const changed = new URL(url);
        const params = changed.searchParams;
        switch (change.kind) {
          case 'value':
            fc.pre(params.get(change.name) !== change.value);
            params.set(change.name, change.value);
            break;
          case 'drop':
            params.delete(change.name);
            break;
          case 'add':
            params.append(change.name, change.value);
            break;
          case 'signature':
            fc.pre(!/^[0-9a-f]{64}$/.test(change.value));
            params.set('X-Amz-Signature', change.value);
            break;
          case 'host':
            changed.host = change.value;
            break;
          case 'path':
            changed.pathname = change.value;
            break;
        }
        fc.pre(changed.href !== url);
        assert.equal(validatePresignedUrl(changed.href, policyFor(mode), expectation).valid, false, changed.href);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('POST policies: signed ones pass, any one field or condition changed is refused', () => {
  it('refuses every single-field change', async () => {
    const cases = await Promise.all(
      MODES.map(async (mode, i) => {
        const signed = await new PostPolicySigner(pinned[i]!).sign({
          bucket: BUCKET,
          key: KEY,
          contentType: 'video/mp4',
          contentLengthRange: [1000, 1000],
          successActionStatus: '201',
          expiresIn: 900,
          signingDate: NOW,
          credentials: EXAMPLE_CREDENTIALS,
        });
        const expectation: PostPolicyExpectation = {
          bucket: BUCKET,
          key: KEY,
          contentType: 'video/mp4',
          contentLengthRange: [1000, 1000],
          successActionStatus: '201',
          expiresAt: new Date(NOW.getTime() + 900_000),
          accessKeyId: EXAMPLE_CREDENTIALS.accessKeyId,
          temporaryCredentials: false,
          fresh: true,
        };
        return { mode, form: { url: signed.url, fields: signed.fields }, expectation };
      }),
    );
    for (const { mode, form, expectation } of cases) {
      const report = validatePostPolicy(form, policyFor(mode), expectation);
      assert.ok(report.valid, JSON.stringify(report.failures));
    }
    const FIELDS = [
      'Content-Type',
      'success_action_status',
      'bucket',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'key',
    ];
    const text = fc.string({ maxLength: 16 });
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('field' as const), name: fc.constantFrom(...FIELDS), value: text }),
      fc.record({ kind: fc.constant('drop' as const), name: fc.constantFrom(...FIELDS, 'Policy', 'X-Amz-Signature') }),
      fc.record({
        kind: fc.constant('add' as const),
        name: fc.constantFrom('acl', 'success_action_redirect', 'x-amz-meta-a', 'X-Amz-Security-Token'),
        value: text,
      }),
      fc.record({ kind: fc.constant('signature' as const), value: fc.string({ maxLength: 70 }) }),
      fc.record({
        kind: fc.constant('url' as const),
        value: fc.constantFrom(
          'https://evil.example.com/',
          'http://127.0.0.1:4568/other',
          'https://uploads-bucket.s3.amazonaws.com/',
        ),
      }),
      fc.record({
        kind: fc.constant('condition' as const),
        index: fc.nat(20),
        value: fc.oneof(text, fc.integer(), fc.constant(null)),
      }),
      fc.record({ kind: fc.constant('drop-condition' as const), index: fc.nat(20) }),
      fc.record({
        kind: fc.constant('add-condition' as const),
        condition: fc.constantFrom(
          ['starts-with', '$key', ''],
          { acl: 'public-read' },
          ['content-length-range', 0, 1e12],
          ['eq', '$bucket', BUCKET],
        ),
      }),
      fc.record({
        kind: fc.constant('expiration' as const),
        seconds: fc.integer({ min: -3600, max: 3600 }).filter((s) => s !== 0),
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...cases), mutation, ({ mode, form, expectation }, change) => {
        const fields: Record<string, string> = { ...form.fields };
        let url = form.url;
        const document = JSON.parse(Buffer.from(fields.Policy as string, 'base64').toString('utf8'));
        let documentChanged = false;
        switch (change.kind) {
          case 'field':
            fc.pre(fields[change.name] !== change.value);
            fields[change.name] = change.value;
            break;
          case 'drop':
            delete fields[change.name];
            break;
          case 'add':
            fields[change.name] = change.value;
            break;
          case 'signature':
            fc.pre(!/^[0-9a-f]{64}$/.test(change.value));
            fields['X-Amz-Signature'] = change.value;
            break;
          case 'url':
            fc.pre(url !== change.value);
            url = change.value;
            break;
          case 'condition': {
            const index = change.index % document.conditions.length;
            const condition = document.conditions[index];
            if (Array.isArray(condition)) condition[2] = change.value;
            else condition[Object.keys(condition)[0] as string] = change.value;
            fc.pre(
              JSON.stringify(condition) !==
                JSON.stringify(
                  JSON.parse(Buffer.from(form.fields.Policy as string, 'base64').toString('utf8')).conditions[index],
                ),
            );
            documentChanged = true;
            break;
          }
          case 'drop-condition':
            document.conditions.splice(change.index % document.conditions.length, 1);
            documentChanged = true;
            break;
          case 'add-condition':
            document.conditions.push(change.condition);
            documentChanged = true;
            break;
          case 'expiration':
            document.expiration = new Date(Date.parse(document.expiration) + change.seconds * 1000)
              .toISOString()
              .replace(/\.\d{3}Z$/, 'Z');
            documentChanged = true;
            break;
        }
        if (documentChanged) fields.Policy = Buffer.from(JSON.stringify(document), 'utf8').toString('base64');
        const report = validatePostPolicy({ url, fields }, policyFor(mode), expectation);
        assert.equal(report.valid, false, `${JSON.stringify(change)} passed`);
      }),
      { numRuns: 1500 },
    );
  });
});
