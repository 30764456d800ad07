// FormUploadService's decisions: the key it picks, the length range it signs, what the caller's
// policy and S3's one-request limit refuse, and what it counts and records. A policy is signed
// locally and nothing here reaches S3: the forms themselves go to real stores in
// test/flows/post-policy.ts.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { GrantRecord } from '../../../src/audit/audit-trail.js';
import type { Config } from '../../../src/config/config.js';
import { FormUploadService } from '../../../src/form-uploads/form-upload-service.js';
import { createPresigner, type PresignerBundle } from '../../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../../src/presign/credentials.js';
import { apiKeyCaller } from '../../fixtures/callers.js';
import { signingConfigFrom } from '../../fixtures/config.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';

const MiB = 1_048_576;
const FIVE_GIB = 5_368_709_120;
const BUCKET = 'local-uploads';

let config: Config;
let signing: PresignerBundle;
const issued: string[] = [];
const grants: GrantRecord[] = [];
let service: FormUploadService;

before(async () => {
  config = signingConfigFrom({ S3_ENDPOINT_MODE: 'local', LOG_LEVEL: 'silent' });
  signing = await createPresigner(config, { credentials: staticCredentialSource(EXAMPLE_CREDENTIALS) });
  service = new FormUploadService({
    config,
    presigner: signing.presigner,
    onIssued: (who) => issued.push(who.id),
    audit: { grant: (_request, record) => grants.push(record) },
  });
});
after(() => signing.close());

const WEB = apiKeyCaller();

function refusal(code: string, statusCode: number, message: string, field?: string) {
  return { name: 'AppError', code, statusCode, message, field };
}

const policyOf = (fields: Record<string, string>) =>
  JSON.parse(Buffer.from(fields.Policy as string, 'base64').toString('utf8')) as { conditions: unknown[] };
const lengthRange = (fields: Record<string, string>) =>
  policyOf(fields).conditions.find((condition) => Array.isArray(condition) && condition[0] === 'content-length-range');

describe('createPostPolicy', () => {
  it('signs a form for exactly the declared length at a fresh key, and counts it', async () => {
    issued.length = 0;
    const post = await service.createPostPolicy(WEB, {
      filename: 'a b.txt',
      contentType: 'text/plain',
      contentLength: 1000,
    });
    assert.deepEqual(Object.keys(post).sort(), ['expiresAt', 'fields', 'key', 'method', 'url']);
    assert.equal(post.method, 'POST');
    assert.equal(post.url, `${config.mode.kind === 'local' ? config.mode.endpoint.origin : ''}/${BUCKET}`);
    assert.match(post.key, /^web\/[0-9a-f-]{36}\/a b\.txt$/);
    assert.equal(post.fields.key, post.key);
    assert.equal(post.fields['Content-Type'], 'text/plain');
    assert.deepEqual(lengthRange(post.fields), ['content-length-range', 1000, 1000]);
    assert.ok(post.expiresAt instanceof Date);
    assert.deepEqual(issued, ['web']);
  });

  it("without a length, allows up to the caller's limit, never past S3's 5 GiB for a form", async () => {
    const range = async (maxContentLength: number | undefined) =>
      lengthRange(
        (
          await service.createPostPolicy(apiKeyCaller({ maxContentLength }), {
            filename: 'a',
            contentType: 'text/plain',
            contentLength: undefined,
          })
        ).fields,
      );
    assert.deepEqual(await range(undefined), ['content-length-range', 0, FIVE_GIB]);
    assert.deepEqual(await range(12 * MiB), ['content-length-range', 0, 12_582_912]);
    assert.deepEqual(await range(10 * FIVE_GIB), ['content-length-range', 0, FIVE_GIB]);
  });

  it('takes exactly 5 GiB, the most S3 stores from one request', async () => {
    const post = await service.createPostPolicy(WEB, {
      filename: 'a',
      contentType: 'text/plain',
      contentLength: FIVE_GIB,
    });
    assert.deepEqual(lengthRange(post.fields), ['content-length-range', FIVE_GIB, FIVE_GIB]);
  });

  it("refuses what the caller's policy does not allow, and counts and records nothing", async () => {
    issued.length = 0;
    grants.length = 0;
    await assert.rejects(
      service.createPostPolicy(apiKeyCaller({ contentTypes: ['image/*'] }), {
        filename: 'a',
        contentType: 'text/plain',
        contentLength: 1,
      }),
      refusal('CONTENT_TYPE_NOT_ALLOWED', 403, 'contentType must match image/*; got text/plain', 'contentType'),
    );
    await assert.rejects(
      service.createPostPolicy(apiKeyCaller({ maxContentLength: 10 }), {
        filename: 'a',
        contentType: 'text/plain',
        contentLength: 11,
      }),
      { code: 'CONTENT_LENGTH_NOT_ALLOWED' },
    );
    await assert.rejects(
      service.createPostPolicy(WEB, { filename: 'a', contentType: 'text/plain', contentLength: FIVE_GIB + 1 }),
      refusal(
        'OBJECT_TOO_LARGE',
        400,
        "a form upload takes at most 5368709120 bytes (5 GiB, S3's limit for one request): upload this file in parts",
        'contentLength',
      ),
    );
    await assert.rejects(
      service.createPostPolicy(WEB, {
        filename: 'a',
        contentType: 'text/plain',
        contentLength: 1,
        tags: { team: 'a' },
      }),
      { code: 'TAG_NOT_ALLOWED', field: 'tags.team' },
    );
    assert.deepEqual(issued, []);
    assert.deepEqual(grants, []);
  });

  it('records the grant with what the form binds: type, length range, checksum, provenance and tag names', async () => {
    grants.length = 0;
    const post = await service.createPostPolicy(apiKeyCaller({ tagKeys: ['team'] }), {
      filename: 'a.txt',
      contentType: 'text/plain',
      contentLength: undefined,
      checksum: { algorithm: 'crc32', value: 'AAAAAA==' },
      tags: { team: 'blue' },
    });
    assert.equal(grants.length, 1);
    const [record] = grants as [GrantRecord];
    assert.deepEqual(
      { ...record, grant: typeof record.grant },
      {
        grant: 'string',
        operation: 'post',
        bucket: BUCKET,
        key: post.key,
        expiresAt: post.expiresAt,
        constraints: {
          contentType: 'text/plain',
          contentLengthRange: [0, FIVE_GIB],
          checksum: { algorithm: 'CRC32', value: 'AAAAAA==' },
          encryption: undefined,
          metadataKeys: ['uploaded-by', 'grant'],
          tagKeys: ['team'],
        },
      },
    );
    assert.equal(post.fields['x-amz-checksum-crc32'], 'AAAAAA==');
    assert.equal(post.fields['x-amz-meta-grant'], record.grant);
  });
});

describe('a service with neither a counter nor an audit trail given', () => {
  it('issues all the same', async () => {
    const bare = new FormUploadService({ config, presigner: signing.presigner });
    const post = await bare.createPostPolicy(WEB, { filename: 'a', contentType: 'text/plain', contentLength: 1 });
    assert.equal(post.method, 'POST');
    assert.deepEqual(lengthRange(post.fields), ['content-length-range', 1, 1]);
  });
});
