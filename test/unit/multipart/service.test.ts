// MultipartService's decisions, one at a time, against the embedded S3 server (started once
// for the file): who may create, list, complete and abort, the sizes each part URL signs, what
// completion checks against the parts S3 holds, and how S3's refusals reach the caller. The
// service's clock is fixed, so every deadline is an exact value.
//
// Where a real store cannot be brought to answer a way the service must still handle (paging,
// an upload removed under a completion, a field missing from an answer), a middleware on the
// service's own S3 client changes that one exchange; S3 still answers.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import {
  AbortMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

import type { GrantRecord } from '../../../src/audit/audit-trail.js';
import type { Caller } from '../../../src/auth/caller-policy.js';
import type { Config } from '../../../src/config/config.js';
import { checksumOf } from '../../../src/endpoint/checksum-algorithms.js';
import { createPinnedS3, type PinnedS3 } from '../../../src/endpoint/s3-client.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../../../src/local/embedded-s3.js';
import { MissingEtagError } from '../../../src/multipart/completed-etag.js';
import { MultipartService } from '../../../src/multipart/multipart-service.js';
import { createPresigner, type PresignerBundle } from '../../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../../src/presign/credentials.js';

import { apiKeyCaller } from '../../fixtures/callers.js';
import { configFrom } from '../../fixtures/config.js';
import { onEmbeddedStore } from '../../fixtures/endpoint-modes.js';

const MiB = 1_048_576;
const FIVE_MIB = 5_242_880;

const BUCKET = 'local-uploads';
// 2026-01-01T00:00:00.500Z: half a second past a whole second, so rounding shows.
const START = 1_767_225_600_500;
// START's whole second plus 7 days.
const UPLOAD_DEADLINE = 1_767_830_400;

let server: EmbeddedS3;
let config: Config;
let signing: PresignerBundle;
let store: S3Client;
let clock = new Date(START);
const issued: Array<[string, string, number]> = [];
const extraClients: PinnedS3[] = [];

function serviceOver(
  s3: PinnedS3,
  secret = Buffer.alloc(32, 7),
  options: { config?: Config; audited?: GrantRecord[] } = {},
): MultipartService {
  const { audited } = options;
  return new MultipartService({
    config: options.config ?? config,
    s3,
    presigner: signing.presigner,
    tokenSecret: secret,
    now: () => clock,
    onIssued: (who, operation, count) => issued.push([who.id, operation, count]),
    ...(audited && { audit: { grant: (_request, record) => audited.push(record) } }),
  });
}
let service: MultipartService;

before(async () => {
  // Not test/helpers.ts: it loads the whole app, a second per run, and this file runs once per mutant.
  const base = configFrom({ S3_ENDPOINT_MODE: 'local', LOG_LEVEL: 'silent' });
  server = await startEmbeddedS3({ buckets: base.buckets });
  config = onEmbeddedStore(base, server);
  signing = await createPresigner(config, { credentials: staticCredentialSource(server.credentials, 'embedded-s3') });
  store = new S3Client({
    endpoint: server.endpoint.href,
    region: server.region,
    forcePathStyle: true,
    credentials: server.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  service = serviceOver(signing.s3);
});
after(async () => {
  for (const s3 of extraClients) s3.destroy();
  store.destroy();
  signing.close();
  await server.close();
});

const caller = apiKeyCaller;
const WEB = caller();
/** A 4-byte file: one part. Tests that need more parts declare more. */
const FILE = { filename: 'holiday video.mp4', contentType: 'video/mp4', contentLength: 4 };

function refusal(code: string, statusCode: number, message: string, field?: string) {
  return { name: 'AppError', code, statusCode, message, field };
}

/** A client of the service's own kind whose exchanges a test may change. */
function changeableClient(): { s3: PinnedS3; client: S3Client } {
  const s3 = createPinnedS3(config.mode, server.credentials);
  extraClients.push(s3);
  return { s3, client: s3.clientFor(BUCKET) };
}

/** Runs `change` on the answer to every `command` this client sends. */
function changeAnswers(client: S3Client, command: string, change: (output: Record<string, unknown>) => void): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === command) change(result.output as unknown as Record<string, unknown>);
      return result;
    },
    { step: 'initialize' },
  );
}

/** ListParts asks for pages of two parts: S3 pages at 1,000, through the same loop. */
function pagesOfTwo(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { query: Record<string, string> };
      if (context.commandName === 'ListPartsCommand') request.query['max-parts'] = '2';
      return next(args);
    },
    { step: 'build' },
  );
}

const md5 = (body: Uint8Array) => createHash('md5').update(body).digest('hex');

/** Part bodies sent through the part URLs the service signs; their ETags as S3 gives them. */
async function sendParts(
  svc: MultipartService,
  who: Caller,
  upload: { key: string; uploadId: string },
  bodies: Record<number, Uint8Array>,
): Promise<Record<number, string>> {
  const numbers = Object.keys(bodies).map(Number);
  const signed = await svc.signPartUrls(who, { key: upload.key, uploadId: upload.uploadId, partNumbers: numbers });
  const etags: Record<number, string> = {};
  for (const part of signed.parts) {
    const response = await fetch(part.url, { method: 'PUT', headers: part.headers, body: bodies[part.partNumber] });
    assert.equal(response.status, 200, await response.text());
    etags[part.partNumber] = response.headers.get('etag') as string;
  }
  return etags;
}

/**
 * Parts put into S3 by the store's own client, past the service: what S3 holds is what
 * listing and completion read, whoever put it there, and these may be any size.
 */
async function storeParts(upload: { key: string; uploadId: string }, bodies: Record<number, Uint8Array>) {
  const [s3UploadId] = JSON.parse(Buffer.from(upload.uploadId.split('.')[1] as string, 'base64url').toString()) as [
    string,
  ];
  const etags: Record<number, string> = {};
  for (const [partNumber, body] of Object.entries(bodies)) {
    const stored = await store.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: upload.key,
        UploadId: s3UploadId,
        PartNumber: Number(partNumber),
        Body: body,
      }),
    );
    etags[Number(partNumber)] = stored.ETag as string;
  }
  return etags;
}

/** Whether S3 still holds the upload in progress (completed and aborted ones are gone). */
async function inProgress(who: Caller, upload: { key: string; uploadId: string }): Promise<boolean> {
  try {
    await service.listParts(who, upload);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'NO_SUCH_UPLOAD') return false;
    throw error;
  }
}

/** A service whose S3 calls are written down by command name. */
function countingService(): { svc: MultipartService; sent: string[] } {
  const { s3, client } = changeableClient();
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(context.commandName as string);
      return next(args);
    },
    { step: 'initialize' },
  );
  return { svc: serviceOver(s3), sent };
}

/** S3's ETag of a multipart object: the MD5 of the parts' MD5s, then the part count. */
function multipartEtag(bodies: Uint8Array[]): string {
  const digests = Buffer.concat(bodies.map((body) => createHash('md5').update(body).digest()));
  return `"${md5(digests)}-${bodies.length}"`;
}

describe('createMultipartUpload', () => {
  it('creates the upload at a fresh key under the first prefix, with the layout and a 7-day deadline', async () => {
    clock = new Date(START);
    const upload = await service.createMultipartUpload(caller({ keyPrefixes: ['web/', 'other/'] }), {
      ...FILE,
      contentLength: 12 * MiB,
      partSize: FIVE_MIB,
    });
    assert.deepEqual(Object.keys(upload).sort(), ['bucket', 'expiresAt', 'key', 'partCount', 'partSize', 'uploadId']);
    assert.equal(upload.bucket, BUCKET);
    assert.match(upload.key, /^web\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/holiday video\.mp4$/);
    assert.equal(upload.partSize, FIVE_MIB);
    assert.equal(upload.partCount, 3);
    assert.deepEqual(upload.expiresAt, new Date(UPLOAD_DEADLINE * 1000));
    assert.match(upload.uploadId, /^u1\./);
    assert.equal(await inProgress(WEB, upload), true, 'S3 holds the upload at that key');
    assert.deepEqual(await service.listParts(caller({ keyPrefixes: ['web/', 'other/'] }), upload), { parts: [] });
  });

  it('picks 8 MiB parts when none is named, more when 10,000 of those would not hold the length', async () => {
    const tiny = await service.createMultipartUpload(WEB, FILE);
    assert.deepEqual([tiny.partSize, tiny.partCount], [8 * MiB, 1]);
    const small = await service.createMultipartUpload(WEB, { ...FILE, contentLength: 20 * MiB });
    assert.deepEqual([small.partSize, small.partCount], [8 * MiB, 3]);
    const large = await service.createMultipartUpload(WEB, { ...FILE, contentLength: 83_886_080_001 });
    assert.deepEqual([large.partSize, large.partCount], [9 * MiB, 8889]);
  });

  it('checks the part size against S3 before S3 is asked', async () => {
    const invalid = refusal(
      'INVALID_PART_SIZE',
      400,
      'partSize must be 5242880..5368709120 bytes (5 MiB..5 GiB)',
      'partSize',
    );
    await assert.rejects(
      service.createMultipartUpload(WEB, { ...FILE, contentLength: 12 * MiB, partSize: FIVE_MIB - 1 }),
      invalid,
    );
    await assert.rejects(
      service.createMultipartUpload(WEB, { ...FILE, contentLength: 52_428_800_001, partSize: FIVE_MIB }),
      { code: 'TOO_MANY_PARTS', field: 'partSize' },
    );
    const exact = await service.createMultipartUpload(WEB, { ...FILE, partSize: FIVE_MIB });
    assert.equal(exact.partSize, FIVE_MIB);
  });

  it("refuses what the caller's policy does not allow, before S3 is asked", async () => {
    const { svc, sent } = countingService();
    await assert.rejects(
      svc.createMultipartUpload(caller({ operations: ['get'] }), FILE),
      refusal('OPERATION_NOT_ALLOWED', 403, 'caller web may not put', 'operation'),
    );
    await assert.rejects(
      svc.createMultipartUpload(caller({ buckets: [] }), FILE),
      refusal('BUCKET_NOT_ALLOWED', 403, 'caller web may not use bucket "local-uploads"'),
    );
    const limited = caller({ maxContentLength: 12 * MiB });
    await assert.rejects(
      svc.createMultipartUpload(limited, { ...FILE, contentLength: 12 * MiB + 1 }),
      refusal('CONTENT_LENGTH_NOT_ALLOWED', 403, 'contentLength may be at most 12582912 bytes', 'contentLength'),
    );
    const typed = caller({ contentTypes: ['image/*', 'text/plain'] });
    await assert.rejects(
      svc.createMultipartUpload(typed, { ...FILE, contentType: 'Text/HTML; charset=utf-8' }),
      refusal(
        'CONTENT_TYPE_NOT_ALLOWED',
        403,
        'contentType must match image/*, text/plain; got text/html',
        'contentType',
      ),
    );
    assert.deepEqual(sent, [], 'S3 was not asked');

    // At the limit, and an allowed type: created.
    assert.equal((await service.createMultipartUpload(limited, { ...FILE, contentLength: 12 * MiB })).partCount, 2);
    assert.equal((await service.createMultipartUpload(typed, { ...FILE, contentType: 'image/png' })).bucket, BUCKET);
  });

  it("a bucket S3 does not have is S3's failure, a 502 naming the call", async () => {
    await assert.rejects(
      service.createMultipartUpload(caller({ buckets: ['no-such-bucket'] }), FILE),
      refusal('S3_REQUEST_FAILED', 502, 'creating the multipart upload failed at S3'),
    );
  });

  it('refuses to hand out an upload ID when S3 answers without one', async () => {
    const { s3, client } = changeableClient();
    changeAnswers(client, 'CreateMultipartUploadCommand', (output) => {
      delete output.UploadId;
    });
    await assert.rejects(
      serviceOver(s3).createMultipartUpload(WEB, FILE),
      refusal('S3_REQUEST_FAILED', 502, 'S3 created the upload but returned no upload ID'),
    );
  });
});

describe('create grants', () => {
  const PHOTO = { filename: 'photo.jpg', contentLength: 6 * MiB, partSize: FIVE_MIB };

  it('name a key and a size first and create the upload there later, for the same caller, for 10 minutes', async () => {
    clock = new Date(START);
    const user = { ...caller(), kind: 'jwt' as const, subject: 'user-1' };
    const grant = service.grantCreate(user, PHOTO);
    assert.match(grant.key, /^web\/[0-9a-f-]{36}\/photo\.jpg$/);
    clock = new Date(START - 500 + 599_999);
    const upload = await service.createGrantedMultipartUpload(user, { grant: grant.token, contentType: 'image/jpeg' });
    assert.deepEqual([upload.key, upload.partSize, upload.partCount], [grant.key, FIVE_MIB, 2]);
    assert.equal(await inProgress(user, upload), true);
    const signed = await service.signPartUrls(user, { ...upload, partNumbers: [1, 2] });
    assert.deepEqual(
      signed.parts.map((part) => part.headers['content-length']),
      [String(FIVE_MIB), String(MiB)],
      'the granted size lays out the parts',
    );

    clock = new Date(START - 500 + 600_000);
    await assert.rejects(
      service.createGrantedMultipartUpload(user, { grant: grant.token, contentType: 'image/jpeg' }),
      {
        code: 'UPLOAD_EXPIRED',
        field: 'grant',
      },
    );
    clock = new Date(START);
    await assert.rejects(
      service.createGrantedMultipartUpload(
        { ...user, subject: 'user-2' },
        { grant: grant.token, contentType: 'image/jpeg' },
      ),
      { code: 'UPLOAD_NOT_ALLOWED', field: 'grant' },
    );
  });

  it('are refused for a size over the policy, or parts S3 would not take, before any upload starts', () => {
    assert.throws(
      () => service.grantCreate(caller({ maxContentLength: 6 * MiB - 1 }), PHOTO),
      refusal('CONTENT_LENGTH_NOT_ALLOWED', 403, 'contentLength may be at most 6291455 bytes', 'contentLength'),
    );
    assert.throws(
      () => service.grantCreate(WEB, { ...PHOTO, partSize: FIVE_MIB - 1 }),
      refusal('INVALID_PART_SIZE', 400, 'partSize must be 5242880..5368709120 bytes (5 MiB..5 GiB)', 'partSize'),
    );
    assert.throws(() => service.grantCreate(WEB, { ...PHOTO, contentLength: 10_001 * FIVE_MIB }), {
      code: 'TOO_MANY_PARTS',
    });
    assert.throws(() => service.grantCreate(caller({ operations: ['get'] }), PHOTO), {
      code: 'OPERATION_NOT_ALLOWED',
    });
    assert.throws(() => service.grantCreate(caller({ buckets: [] }), PHOTO), { code: 'BUCKET_NOT_ALLOWED' });
  });

  it('still hold the policy at create time', async () => {
    clock = new Date(START);
    const grant = service.grantCreate(WEB, PHOTO);
    await assert.rejects(
      service.createGrantedMultipartUpload(caller({ contentTypes: ['image/*'] }), {
        grant: grant.token,
        contentType: 'text/plain',
      }),
      { code: 'CONTENT_TYPE_NOT_ALLOWED' },
    );
    await assert.rejects(
      service.createGrantedMultipartUpload(caller({ maxContentLength: MiB }), {
        grant: grant.token,
        contentType: 'image/jpeg',
      }),
      { code: 'CONTENT_LENGTH_NOT_ALLOWED' },
    );
  });
});

describe('checksums: what create refuses, what a grant carries, what completion answers', () => {
  const PHOTO = { filename: 'photo.jpg', contentLength: 6 * MiB, partSize: FIVE_MIB };
  /** A store that verifies SHA-256 only (S3_STORE_CHECKSUMS=sha256). */
  const sha256Only = () =>
    serviceOver(signing.s3, undefined, {
      config: { ...config, store: { ...config.store, verifiedChecksums: ['sha256'] } },
    });

  /** The checksum a create answer names (an upload without one names none). */
  const checksumNamed = (upload: { checksumAlgorithm?: string; checksumType?: string }) => [
    upload.checksumAlgorithm,
    upload.checksumType,
  ];

  /** Sends the upload's one part through a URL signed with the part's value; its ETag. */
  async function sendPart(upload: { key: string; uploadId: string }, body: Uint8Array, value: string) {
    const signed = await service.signPartUrls(WEB, {
      ...upload,
      partNumbers: [1],
      checksums: [{ partNumber: 1, value }],
    });
    const part = signed.parts[0]!;
    const response = await fetch(part.url, { method: 'PUT', headers: part.headers, body });
    assert.equal(response.status, 200, await response.text());
    return response.headers.get('etag') as string;
  }

  /** A one-part full-object CRC64NVME upload through `svc`, completed with the whole file's value. */
  async function completeFullObject(svc: MultipartService, body: Uint8Array) {
    const upload = await svc.createMultipartUpload(WEB, { ...FILE, checksumAlgorithm: 'CRC64NVME' });
    const whole = await checksumOf('crc64nvme', body);
    const etag = await sendPart(upload, body, whole);
    const completed = await svc.completeMultipartUpload(WEB, {
      ...upload,
      parts: [{ partNumber: 1, etag }],
      checksum: whole,
    });
    return { completed, whole };
  }

  it('refuses a type without an algorithm, a pair S3 refuses, an algorithm the store does not verify: each by field, saying why', async () => {
    const { svc, sent } = countingService();
    await assert.rejects(
      svc.createMultipartUpload(WEB, { ...FILE, checksumType: 'FULL_OBJECT' }),
      refusal('CHECKSUM_TYPE_NOT_ALLOWED', 400, 'checksumType needs a checksumAlgorithm', 'checksumType'),
    );
    await assert.rejects(
      svc.createMultipartUpload(WEB, { ...FILE, checksumAlgorithm: 'CRC64NVME', checksumType: 'COMPOSITE' }),
      refusal(
        'CHECKSUM_TYPE_NOT_ALLOWED',
        400,
        'S3 allows CRC64NVME only as FULL_OBJECT, not COMPOSITE',
        'checksumType',
      ),
    );
    await assert.rejects(
      svc.createMultipartUpload(WEB, { ...FILE, checksumAlgorithm: 'SHA256', checksumType: 'FULL_OBJECT' }),
      refusal('CHECKSUM_TYPE_NOT_ALLOWED', 400, 'S3 allows SHA256 only as COMPOSITE, not FULL_OBJECT', 'checksumType'),
    );
    assert.deepEqual(sent, [], 'S3 was not asked');
    assert.throws(() => svc.grantCreate(WEB, { ...PHOTO, checksumType: 'COMPOSITE' }), {
      code: 'CHECKSUM_TYPE_NOT_ALLOWED',
      field: 'checksumType',
    });

    await assert.rejects(
      sha256Only().createMultipartUpload(WEB, { ...FILE, checksumAlgorithm: 'CRC32' }),
      refusal(
        'CHECKSUM_NOT_VERIFIED',
        400,
        "this deployment's store does not verify CRC32 checksums (S3_STORE_CHECKSUMS=sha256): a part's signed value would not stop other bytes; create the upload without checksumAlgorithm or with one the store verifies",
        'checksumAlgorithm',
      ),
    );
    const verified = await sha256Only().createMultipartUpload(WEB, { ...FILE, checksumAlgorithm: 'SHA256' });
    assert.deepEqual(checksumNamed(verified), ['SHA256', 'COMPOSITE'], "SHA-256's default");
  });

  it('a create grant carries the checksum to the upload it creates, and no checksum when it named none', async () => {
    clock = new Date(START);
    const grant = service.grantCreate(WEB, { ...PHOTO, checksumAlgorithm: 'CRC32C', checksumType: 'FULL_OBJECT' });
    const upload = await service.createGrantedMultipartUpload(WEB, { grant: grant.token, contentType: 'image/jpeg' });
    assert.deepEqual(checksumNamed(upload), ['CRC32C', 'FULL_OBJECT']);
    await assert.rejects(service.signPartUrls(WEB, { ...upload, partNumbers: [1] }), {
      code: 'CHECKSUM_MISSING',
      field: 'checksums',
    });
    const plain = service.grantCreate(WEB, PHOTO);
    const plainUpload = await service.createGrantedMultipartUpload(WEB, {
      grant: plain.token,
      contentType: 'image/jpeg',
    });
    assert.deepEqual(Object.keys(plainUpload).sort(), [
      'bucket',
      'expiresAt',
      'key',
      'partCount',
      'partSize',
      'uploadId',
    ]);
  });

  it("completion answers the store's checksum, or the caller's whole-file value where the store's answer names none", async () => {
    const body = new Uint8Array([1, 2, 3, 4]);
    const composite = await service.createMultipartUpload(WEB, { ...FILE, checksumAlgorithm: 'SHA256' });
    const partValue = await checksumOf('sha256', body);
    const compositeEtag = await sendPart(composite, body, partValue);
    const done = await service.completeMultipartUpload(WEB, {
      ...composite,
      parts: [{ partNumber: 1, etag: compositeEtag }],
    });
    // S3's composite value: the SHA-256 of the parts' SHA-256s, then the part count.
    const ofParts = createHash('sha256').update(Buffer.from(partValue, 'base64')).digest('base64');
    assert.deepEqual(done, {
      bucket: BUCKET,
      key: composite.key,
      etag: multipartEtag([body]),
      size: 4,
      checksumAlgorithm: 'SHA256',
      checksumType: 'COMPOSITE',
      checksum: `${ofParts}-1`,
    });
    const head = await store.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: composite.key, ChecksumMode: 'ENABLED' }),
    );
    assert.deepEqual([head.ChecksumType, head.ChecksumSHA256], ['COMPOSITE', `${ofParts}-1`], 'S3 was told at create');

    const { s3, client } = changeableClient();
    changeAnswers(client, 'CompleteMultipartUploadCommand', (output) => delete output.ChecksumCRC64NVME);
    const { completed, whole } = await completeFullObject(serviceOver(s3), body);
    assert.deepEqual(
      [completed.checksumAlgorithm, completed.checksumType, completed.checksum],
      ['CRC64NVME', 'FULL_OBJECT', whole],
    );
  });

  it("part URLs take one well-formed value for each part asked, of the upload's algorithm, and none without one", async () => {
    const body = new Uint8Array([1, 2, 3, 4]);
    const value = await checksumOf('crc32', body);
    const upload = await service.createMultipartUpload(WEB, {
      ...FILE,
      contentLength: FIVE_MIB + 4,
      partSize: FIVE_MIB,
      checksumAlgorithm: 'CRC32',
    });
    const sign = (partNumbers: number[], checksums: Array<{ partNumber: number; value: string }>) =>
      service.signPartUrls(WEB, { ...upload, partNumbers, checksums });
    await assert.rejects(
      sign([1], [{ partNumber: 2, value }]),
      refusal('VALIDATION_FAILED', 400, 'checksums names part 2 which is not in partNumbers', 'checksums.0.partNumber'),
    );
    await assert.rejects(
      sign(
        [1],
        [
          { partNumber: 1, value },
          { partNumber: 1, value },
        ],
      ),
      refusal('VALIDATION_FAILED', 400, 'checksums names part 1 twice', 'checksums.1.partNumber'),
    );
    await assert.rejects(
      sign([2], [{ partNumber: 2, value: `${value}=` }]),
      refusal(
        'VALIDATION_FAILED',
        400,
        'checksums.0.value must be the base64 CRC32 of the part (8 characters)',
        'checksums.0.value',
      ),
    );
    await assert.rejects(
      sign([2, 1], [{ partNumber: 2, value }]),
      refusal(
        'CHECKSUM_MISSING',
        400,
        "this upload was created with CRC32: send part 1's checksum in checksums (S3 refuses a part without it)",
        'checksums',
      ),
    );
    const signed = await sign(
      [2, 1],
      [
        { partNumber: 1, value: 'AAAAAA==' },
        { partNumber: 2, value },
      ],
    );
    assert.deepEqual(
      signed.parts.map((part) => [part.partNumber, part.headers['x-amz-checksum-crc32']]),
      [
        [2, value],
        [1, 'AAAAAA=='],
      ],
    );

    const plain = await service.createMultipartUpload(WEB, FILE);
    await assert.rejects(
      service.signPartUrls(WEB, { ...plain, partNumbers: [1], checksums: [{ partNumber: 1, value }] }),
      refusal(
        'VALIDATION_FAILED',
        400,
        'this upload was created without checksumAlgorithm: its parts carry no checksum',
        'checksums',
      ),
    );
  });

  it('completion refuses checksums an upload has no algorithm for, a whole-file value on a composite upload, malformed values', async () => {
    const body = new Uint8Array([1, 2, 3, 4]);
    const plain = await service.createMultipartUpload(WEB, {
      ...FILE,
      contentLength: FIVE_MIB + 4,
      partSize: FIVE_MIB,
    });
    const plainEtags = await sendParts(service, WEB, plain, { 1: new Uint8Array(FIVE_MIB), 2: body });
    const plainParts = [1, 2].map((partNumber) => ({ partNumber, etag: plainEtags[partNumber] as string }));
    const without = 'this upload was created without checksumAlgorithm: it completes without checksums';
    await assert.rejects(
      service.completeMultipartUpload(WEB, { ...plain, parts: plainParts, checksum: 'AAAAAA==' }),
      refusal('VALIDATION_FAILED', 400, without, 'checksum'),
    );
    await assert.rejects(
      service.completeMultipartUpload(WEB, {
        ...plain,
        parts: [plainParts[0]!, { ...plainParts[1]!, checksum: 'AAAAAA==' }],
      }),
      refusal('VALIDATION_FAILED', 400, without, 'parts.1.checksum'),
    );

    const composite = await service.createMultipartUpload(WEB, { ...FILE, checksumAlgorithm: 'SHA256' });
    const partValue = await checksumOf('sha256', body);
    const parts = [{ partNumber: 1, etag: await sendPart(composite, body, partValue) }];
    await assert.rejects(
      service.completeMultipartUpload(WEB, { ...composite, parts, checksum: partValue }),
      refusal(
        'VALIDATION_FAILED',
        400,
        "a COMPOSITE upload's checksum is computed from its parts' values: complete it without checksum",
        'checksum',
      ),
    );
    await assert.rejects(
      service.completeMultipartUpload(WEB, { ...composite, parts: [{ ...parts[0]!, checksum: partValue.slice(1) }] }),
      refusal(
        'VALIDATION_FAILED',
        400,
        'parts.0.checksum must be the base64 SHA-256 of the part (44 characters)',
        'parts.0.checksum',
      ),
    );

    const full = await service.createMultipartUpload(WEB, { ...FILE, checksumAlgorithm: 'CRC64NVME' });
    const whole = await checksumOf('crc64nvme', body);
    const fullParts = [{ partNumber: 1, etag: await sendPart(full, body, whole) }];
    await assert.rejects(
      service.completeMultipartUpload(WEB, { ...full, parts: fullParts, checksum: whole.slice(1) }),
      refusal(
        'VALIDATION_FAILED',
        400,
        'checksum must be the base64 CRC64NVME of the whole file (12 characters)',
        'checksum',
      ),
    );
    // Refused before S3 joined anything: each completes once the values are right.
    assert.equal((await service.completeMultipartUpload(WEB, { ...plain, parts: plainParts })).size, FIVE_MIB + 4);
    assert.equal(
      (await service.completeMultipartUpload(WEB, { ...full, parts: fullParts, checksum: whole })).checksum,
      whole,
    );
  });

  it("a part whose value S3 does not list takes the caller's; a composite upload is refused without one, a full-object one is not", async () => {
    const { s3, client } = changeableClient();
    changeAnswers(client, 'ListPartsCommand', (output) => {
      for (const part of output.Parts as Array<Record<string, unknown>>) delete part.ChecksumSHA256;
    });
    const unlisted = serviceOver(s3);
    const body = new Uint8Array([1, 2, 3, 4]);
    const upload = await unlisted.createMultipartUpload(WEB, { ...FILE, checksumAlgorithm: 'SHA256' });
    const value = await checksumOf('sha256', body);
    const etag = await sendPart(upload, body, value);
    await assert.rejects(
      unlisted.completeMultipartUpload(WEB, { ...upload, parts: [{ partNumber: 1, etag }] }),
      refusal(
        'CHECKSUM_MISSING',
        400,
        "part 1's checksum is neither sent nor listed by S3: a composite SHA256 is computed from every part's",
        'parts.0.checksum',
      ),
    );
    const done = await unlisted.completeMultipartUpload(WEB, {
      ...upload,
      parts: [{ partNumber: 1, etag, checksum: value }],
    });
    const ofParts = createHash('sha256').update(Buffer.from(value, 'base64')).digest('base64');
    assert.equal(done.checksum, `${ofParts}-1`);

    // A full-object value is the whole file's: S3 needs no part's to check it.
    changeAnswers(client, 'ListPartsCommand', (output) => {
      for (const part of output.Parts as Array<Record<string, unknown>>) delete part.ChecksumCRC64NVME;
    });
    const { completed, whole } = await completeFullObject(unlisted, body);
    assert.equal(completed.checksum, whole);
  });
});

describe('the audit trail and the object', () => {
  it('record each create, part URL batch, completion and abort by operation, with what the upload binds', async () => {
    clock = new Date(START);
    const audited: GrantRecord[] = [];
    const svc = serviceOver(signing.s3, undefined, { audited });
    const checked = await svc.createMultipartUpload(WEB, { ...FILE, checksumAlgorithm: 'CRC64NVME' });
    const body = new Uint8Array(4);
    const value = await checksumOf('crc64nvme', body);
    const signed = await svc.signPartUrls(WEB, { ...checked, partNumbers: [1], checksums: [{ partNumber: 1, value }] });
    const part = signed.parts[0]!;
    const put = await fetch(part.url, { method: 'PUT', headers: part.headers, body });
    assert.equal(put.status, 200, await put.text());
    await svc.completeMultipartUpload(WEB, {
      ...checked,
      parts: [{ partNumber: 1, etag: put.headers.get('etag') as string }],
    });
    const plain = await svc.createMultipartUpload(WEB, FILE);
    await svc.abortMultipartUpload(WEB, plain);

    assert.deepEqual(
      audited.map((record) => [record.operation, record.key]),
      [
        ['create-multipart-upload', checked.key],
        ['upload-part', checked.key],
        ['complete-multipart-upload', checked.key],
        ['create-multipart-upload', plain.key],
        ['abort-multipart-upload', plain.key],
      ],
    );
    const bound = { contentType: 'video/mp4', contentLength: 4, encryption: undefined, tagKeys: undefined };
    assert.deepEqual(audited[0]?.constraints, {
      ...bound,
      checksum: { algorithm: 'CRC64NVME', type: 'FULL_OBJECT' },
      metadataKeys: ['uploaded-by', 'grant'],
    });
    assert.deepEqual(audited[3]?.constraints, {
      ...bound,
      checksum: undefined,
      metadataKeys: ['uploaded-by', 'grant'],
    });
    assert.equal(audited[2]?.size, 4);
    assert.deepEqual(audited[0]?.expiresAt, new Date(UPLOAD_DEADLINE * 1000), "a create's grant lasts as its upload");
  });

  it('gives the object the tags asked for at create', async () => {
    const tagging = caller({ tagKeys: ['project'] });
    const upload = await service.createMultipartUpload(tagging, { ...FILE, tags: { project: 'apollo' } });
    const etags = await sendParts(service, tagging, upload, { 1: new Uint8Array(4) });
    await service.completeMultipartUpload(tagging, { ...upload, parts: [{ partNumber: 1, etag: etags[1] as string }] });
    const { TagSet } = await store.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: upload.key }));
    assert.deepEqual(TagSet, [{ Key: 'project', Value: 'apollo' }]);
  });
});

describe('signPartUrls', () => {
  it('signs each asked part, in the order asked, with its exact size, and counts them', async () => {
    clock = new Date(START);
    const upload = await service.createMultipartUpload(WEB, { ...FILE, contentLength: 12 * MiB, partSize: FIVE_MIB });
    issued.length = 0;
    const signed = await service.signPartUrls(WEB, { ...upload, partNumbers: [3, 1] });
    assert.deepEqual(
      signed.parts.map((part) => [part.partNumber, part.method, part.headers]),
      [
        [3, 'PUT', { 'content-length': '2097152' }],
        [1, 'PUT', { 'content-length': '5242880' }],
      ],
    );
    const url = new URL(signed.parts[0]?.url as string);
    assert.equal(url.pathname, `/${BUCKET}/${encodeURIComponent(upload.key).replaceAll('%2F', '/')}`);
    assert.equal(url.searchParams.get('partNumber'), '3');
    assert.match(url.searchParams.get('uploadId') as string, /^[0-9a-f]{32}$/);
    assert.equal(signed.expiresIn, 900, "the service's default expiry");
    assert.deepEqual(issued, [['web', 'upload-part', 2]]);
  });

  it('signs for the shorter of the caller’s expiry and the time left to the deadline', async () => {
    clock = new Date(START);
    const upload = await service.createMultipartUpload(WEB, { ...FILE, contentLength: 6 * MiB, partSize: FIVE_MIB });
    const short = caller({ maxExpiresSeconds: 300 });
    assert.equal((await service.signPartUrls(short, { ...upload, partNumbers: [1] })).expiresIn, 300);
    clock = new Date((UPLOAD_DEADLINE - 100) * 1000);
    assert.equal((await service.signPartUrls(WEB, { ...upload, partNumbers: [1] })).expiresIn, 100);
    clock = new Date(UPLOAD_DEADLINE * 1000 - 1500);
    assert.equal((await service.signPartUrls(WEB, { ...upload, partNumbers: [2] })).expiresIn, 2);
    clock = new Date(UPLOAD_DEADLINE * 1000 - 1);
    assert.equal((await service.signPartUrls(WEB, { ...upload, partNumbers: [2] })).expiresIn, 1);
    clock = new Date(UPLOAD_DEADLINE * 1000);
    await assert.rejects(service.signPartUrls(WEB, { ...upload, partNumbers: [1] }), {
      code: 'UPLOAD_EXPIRED',
      statusCode: 410,
    });
    clock = new Date(START);
  });

  it('refuses part numbers outside the layout, or asked twice, naming the entry, and signs none', async () => {
    clock = new Date(START);
    const upload = await service.createMultipartUpload(WEB, { ...FILE, contentLength: 12 * MiB, partSize: FIVE_MIB });
    issued.length = 0;
    await assert.rejects(
      service.signPartUrls(WEB, { ...upload, partNumbers: [1, 4] }),
      refusal(
        'INVALID_PART_NUMBER',
        400,
        'part number 4 is outside 1..3 (this upload has that many parts)',
        'partNumbers.1',
      ),
    );
    await assert.rejects(
      service.signPartUrls(WEB, { ...upload, partNumbers: [0] }),
      refusal(
        'INVALID_PART_NUMBER',
        400,
        'part number 0 is outside 1..3 (this upload has that many parts)',
        'partNumbers.0',
      ),
    );
    await assert.rejects(
      service.signPartUrls(WEB, { ...upload, partNumbers: [2, 3, 2] }),
      refusal('INVALID_PART_NUMBER', 400, 'part number 2 is asked for twice', 'partNumbers.2'),
    );
    assert.deepEqual(issued, []);
  });

  it('binds each part to its length: S3 refuses a part one byte longer or shorter', async () => {
    clock = new Date(START);
    const upload = await service.createMultipartUpload(WEB, { ...FILE, contentLength: 6 * MiB, partSize: FIVE_MIB });
    const [part] = (await service.signPartUrls(WEB, { ...upload, partNumbers: [2] })).parts;
    for (const size of [MiB + 1, MiB - 1]) {
      // fetch sends the body's own length: the signed one is then not the one sent.
      const response = await fetch(part?.url as string, { method: 'PUT', body: new Uint8Array(size) });
      assert.equal(response.status, 403, `${size} bytes`);
      assert.match(await response.text(), /SignatureDoesNotMatch/);
    }
    assert.deepEqual(await service.listParts(WEB, upload), { parts: [] }, 'nothing was stored');
  });
});

describe("an upload ID is only the caller's own, at its key", () => {
  it('refuses a caller that may not put, a key outside its prefixes, a forged ID, a bucket no longer allowed', async () => {
    clock = new Date(START);
    const upload = await service.createMultipartUpload(WEB, { ...FILE, contentLength: 6 * MiB, partSize: FIVE_MIB });
    const calls = [
      (who: Caller, ref: { key: string; uploadId: string }) => service.listParts(who, ref),
      (who: Caller, ref: { key: string; uploadId: string }) => service.signPartUrls(who, { ...ref, partNumbers: [1] }),
      (who: Caller, ref: { key: string; uploadId: string }) =>
        service.completeMultipartUpload(who, { ...ref, parts: [{ partNumber: 1, etag: 'x' }] }),
      (who: Caller, ref: { key: string; uploadId: string }) => service.abortMultipartUpload(who, ref),
      // What the routes check before they read a body.
      async (who: Caller, ref: { key: string; uploadId: string }) => service.checkUpload(who, ref),
    ];
    for (const call of calls) {
      await assert.rejects(
        call(caller({ operations: ['get'] }), upload),
        refusal('OPERATION_NOT_ALLOWED', 403, 'caller web may not put', 'operation'),
      );
      await assert.rejects(
        call(caller({ keyPrefixes: ['other/'] }), upload),
        refusal('KEY_PREFIX_NOT_ALLOWED', 403, 'key is outside your prefixes', 'key'),
      );
      await assert.rejects(call(WEB, { ...upload, uploadId: 'u1.x.y' }), { code: 'UPLOAD_NOT_ALLOWED' });
      await assert.rejects(call(caller({}, 'web2'), upload), { code: 'UPLOAD_NOT_ALLOWED' });
      await assert.rejects(call(WEB, { key: `${upload.key}x`, uploadId: upload.uploadId }), {
        code: 'UPLOAD_NOT_ALLOWED',
      });
      await assert.rejects(
        call(caller({ buckets: ['elsewhere', 'more'] }), upload),
        refusal('BUCKET_NOT_ALLOWED', 403, 'caller web may not use bucket "local-uploads"'),
      );
    }
    // A caller with the prefix second in its list, and the bucket second: still its own.
    const wider = caller({ keyPrefixes: ['other/', 'web/'], buckets: ['elsewhere', BUCKET] });
    assert.deepEqual(await service.listParts(wider, upload), { parts: [] });
    assert.equal(service.checkUpload(wider, upload), undefined);
    assert.equal(await inProgress(WEB, upload), true, 'no refused abort reached S3');
  });
});

describe('listParts', () => {
  it("lists S3's parts with their numbers, ETags and sizes, whoever put them", async () => {
    const upload = await service.createMultipartUpload(WEB, FILE);
    const bodies = { 1: new Uint8Array(5).fill(1), 2: new Uint8Array(3).fill(2) };
    await storeParts(upload, bodies);
    assert.deepEqual(await service.listParts(WEB, upload), {
      parts: [
        { partNumber: 1, etag: `"${md5(bodies[1])}"`, size: 5 },
        { partNumber: 2, etag: `"${md5(bodies[2])}"`, size: 3 },
      ],
    });
  });

  it('merges every page S3 answers', async () => {
    const { s3, client } = changeableClient();
    pagesOfTwo(client);
    const paged = serviceOver(s3);
    const upload = await paged.createMultipartUpload(WEB, FILE);
    const bodies = {
      1: new Uint8Array([1]),
      2: new Uint8Array([2]),
      3: new Uint8Array([3]),
      4: new Uint8Array([4]),
      5: new Uint8Array([5]),
    };
    await storeParts(upload, bodies);
    const listed = await paged.listParts(WEB, upload);
    assert.deepEqual(
      listed.parts.map((part) => [part.partNumber, part.etag, part.size]),
      [1, 2, 3, 4, 5].map((n) => [n, `"${md5(new Uint8Array([n]))}"`, 1]),
    );
  });

  it('ends at a truncated page that names no next marker, rather than start over', async () => {
    const { s3, client } = changeableClient();
    pagesOfTwo(client);
    changeAnswers(client, 'ListPartsCommand', (output) => {
      delete output.NextPartNumberMarker;
    });
    const paged = serviceOver(s3);
    const upload = await paged.createMultipartUpload(WEB, FILE);
    await storeParts(upload, { 1: new Uint8Array([1]), 2: new Uint8Array([2]), 3: new Uint8Array([3]) });
    const listed = await paged.listParts(WEB, upload);
    assert.deepEqual(
      listed.parts.map((part) => part.partNumber),
      [1, 2],
    );
  });

  it('reads at most 11 pages from a store that never stops paging: enough for 10,000 parts at 1,000 a page', async () => {
    const { s3, client } = changeableClient();
    pagesOfTwo(client);
    let pages = 0;
    changeAnswers(client, 'ListPartsCommand', (output) => {
      pages++;
      output.IsTruncated = true;
      output.NextPartNumberMarker = '0';
    });
    const endless = serviceOver(s3);
    const upload = await endless.createMultipartUpload(WEB, FILE);
    await storeParts(upload, { 1: new Uint8Array([1]), 2: new Uint8Array([2]), 3: new Uint8Array([3]) });
    const listed = await endless.listParts(WEB, upload);
    assert.equal(pages, 11);
    assert.deepEqual(
      listed.parts.map((part) => part.partNumber),
      Array.from({ length: 11 }, () => [1, 2]).flat(),
    );
  });

  it('skips entries without a number or ETag and reads a missing size as 0', async () => {
    const { s3, client } = changeableClient();
    changeAnswers(client, 'ListPartsCommand', (output) => {
      const parts = output.Parts as Array<Record<string, unknown>> | undefined;
      if (parts?.[0]) delete parts[0].PartNumber;
      if (parts?.[1]) delete parts[1].ETag;
      if (parts?.[2]) delete parts[2].Size;
    });
    const changed = serviceOver(s3);
    const upload = await changed.createMultipartUpload(WEB, FILE);
    const bodies = { 1: new Uint8Array([1]), 2: new Uint8Array([2]), 3: new Uint8Array([3]), 4: new Uint8Array([4]) };
    await storeParts(upload, bodies);
    assert.deepEqual(await changed.listParts(WEB, upload), {
      parts: [
        { partNumber: 3, etag: `"${md5(bodies[3])}"`, size: 0 },
        { partNumber: 4, etag: `"${md5(bodies[4])}"`, size: 1 },
      ],
    });
  });

  it('an upload S3 no longer has is a 404 naming the listing', async () => {
    const upload = await service.createMultipartUpload(WEB, FILE);
    await service.abortMultipartUpload(WEB, upload);
    await assert.rejects(
      service.listParts(WEB, upload),
      refusal(
        'NO_SUCH_UPLOAD',
        404,
        'listing the parts: S3 knows no such upload (completed, aborted or never started)',
      ),
    );
  });
});

describe('completeMultipartUpload', () => {
  it('joins the stored parts into the object and answers its ETag and size; a first part of exactly 5 MiB will do', async () => {
    clock = new Date(START);
    const upload = await service.createMultipartUpload(WEB, {
      ...FILE,
      contentLength: FIVE_MIB + 3,
      partSize: FIVE_MIB,
    });
    const bodies = { 1: new Uint8Array(FIVE_MIB).fill(7), 2: new Uint8Array(3).fill(8) };
    const etags = await sendParts(service, WEB, upload, bodies);
    const done = await service.completeMultipartUpload(WEB, {
      ...upload,
      // An ETag given without its quotes is the same ETag.
      parts: [
        { partNumber: 1, etag: etags[1] as string },
        { partNumber: 2, etag: (etags[2] as string).replaceAll('"', '') },
      ],
    });
    assert.deepEqual(done, {
      bucket: BUCKET,
      key: upload.key,
      etag: multipartEtag([bodies[1], bodies[2]]),
      size: FIVE_MIB + 3,
    });
    const head = await store.send(new HeadObjectCommand({ Bucket: BUCKET, Key: upload.key }));
    assert.deepEqual([head.ContentLength, head.ContentType], [FIVE_MIB + 3, 'video/mp4']);
  });

  it('refuses an empty list, more than 10,000 parts, and parts out of order, before S3 is asked', async () => {
    const upload = await service.createMultipartUpload(WEB, { ...FILE, contentLength: 12 * MiB, partSize: FIVE_MIB });
    const tooMany = refusal('VALIDATION_FAILED', 400, 'parts must list 1..10000 parts', 'parts');
    await assert.rejects(service.completeMultipartUpload(WEB, { ...upload, parts: [] }), tooMany);
    const open = await service.createMultipartUpload(WEB, {
      ...FILE,
      contentLength: 10_000 * FIVE_MIB,
      partSize: FIVE_MIB,
    });
    const numbered = (count: number) => Array.from({ length: count }, (_, i) => ({ partNumber: i + 1, etag: 'x' }));
    await assert.rejects(service.completeMultipartUpload(WEB, { ...open, parts: numbered(10_001) }), tooMany);
    // 10,000 is a list it reads: the first part is then missing at S3.
    await assert.rejects(service.completeMultipartUpload(WEB, { ...open, parts: numbered(10_000) }), {
      code: 'INVALID_PART',
      message: 'part 1 has not been uploaded',
    });
    await assert.rejects(
      service.completeMultipartUpload(WEB, { ...open, parts: [{ partNumber: 10_001, etag: 'x' }] }),
      refusal(
        'INVALID_PART_NUMBER',
        400,
        'part number 10001 is outside 1..10000 (this upload has that many parts)',
        'parts.0.partNumber',
      ),
    );
    await assert.rejects(
      service.completeMultipartUpload(WEB, { ...upload, parts: [{ partNumber: 4, etag: 'x' }] }),
      refusal(
        'INVALID_PART_NUMBER',
        400,
        'part number 4 is outside 1..3 (this upload has that many parts)',
        'parts.0.partNumber',
      ),
    );
    const order = refusal(
      'INVALID_PART_ORDER',
      400,
      'parts must be listed in strictly ascending part-number order',
      'parts.2.partNumber',
    );
    for (const numbers of [
      [1, 2, 2],
      [1, 3, 2],
    ]) {
      await assert.rejects(
        service.completeMultipartUpload(WEB, {
          ...upload,
          parts: numbers.map((partNumber) => ({ partNumber, etag: 'x' })),
        }),
        order,
      );
    }
  });

  it('refuses parts S3 does not hold, or with another ETag, naming the entry', async () => {
    const upload = await service.createMultipartUpload(WEB, { ...FILE, contentLength: 6 * MiB, partSize: FIVE_MIB });
    const etags = await sendParts(service, WEB, upload, { 1: new Uint8Array(FIVE_MIB) });
    await assert.rejects(
      service.completeMultipartUpload(WEB, {
        ...upload,
        parts: [
          { partNumber: 1, etag: etags[1] as string },
          { partNumber: 2, etag: etags[1] as string },
        ],
      }),
      refusal('INVALID_PART', 400, 'part 2 has not been uploaded', 'parts.1.etag'),
    );
    // Only the one pair of quotes around an ETag is dropped before comparing.
    for (const etag of [
      `"${md5(new Uint8Array(1))}"`,
      `${etags[1]}x`,
      `x${etags[1]}`,
      `""${etags[1]}`,
      `${etags[1]}"`,
    ]) {
      await assert.rejects(
        service.completeMultipartUpload(WEB, { ...upload, parts: [{ partNumber: 1, etag }] }),
        refusal('INVALID_PART', 400, "part 1's ETag is not the stored one", 'parts.0.etag'),
        etag,
      );
    }
  });

  it('refuses a part under 5 MiB that is not the last (S3 holds parts put past the service)', async () => {
    const upload = await service.createMultipartUpload(WEB, {
      ...FILE,
      contentLength: 3 * FIVE_MIB,
      partSize: FIVE_MIB,
    });
    const etags = await storeParts(upload, {
      1: new Uint8Array(FIVE_MIB - 1),
      2: new Uint8Array(10),
      3: new Uint8Array(10),
    });
    await assert.rejects(
      service.completeMultipartUpload(WEB, {
        ...upload,
        parts: [1, 2].map((partNumber) => ({ partNumber, etag: etags[partNumber] as string })),
      }),
      refusal(
        'ENTITY_TOO_SMALL',
        400,
        'part 1 is 5242879 bytes; every part but the last must be at least 5242880',
        'parts.0',
      ),
    );
    await assert.rejects(
      service.completeMultipartUpload(WEB, {
        ...upload,
        parts: [2, 3].map((partNumber) => ({ partNumber, etag: etags[partNumber] as string })),
      }),
      refusal(
        'ENTITY_TOO_SMALL',
        400,
        'part 2 is 10 bytes; every part but the last must be at least 5242880',
        'parts.0',
      ),
    );
  });

  it("refuses, and aborts, a total over the caller's limit: a limit lowered since the upload began", async () => {
    const before = caller({ maxContentLength: 21 });
    const upload = await service.createMultipartUpload(before, { ...FILE, contentLength: 21 });
    const etags = await sendParts(service, before, upload, { 1: new Uint8Array(21) });
    const parts = [{ partNumber: 1, etag: etags[1] as string }];
    const lowered = caller({ maxContentLength: 20 });
    await assert.rejects(
      service.signPartUrls(lowered, { ...upload, partNumbers: [1] }),
      refusal('CONTENT_LENGTH_NOT_ALLOWED', 403, 'contentLength may be at most 20 bytes', 'contentLength'),
      'no more parts signed under the lowered limit',
    );
    await assert.rejects(
      service.completeMultipartUpload(lowered, { ...upload, parts }),
      refusal(
        'CONTENT_LENGTH_NOT_ALLOWED',
        403,
        'the parts add up to 21 bytes; you may store at most 20: the upload was aborted and its parts removed',
        'parts',
      ),
    );
    assert.equal(await inProgress(before, upload), false, 'S3 no longer holds the upload or its parts');

    // An abort that fails does not hide why the completion was refused.
    const { s3, client } = changeableClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'AbortMultipartUploadCommand') throw new Error('S3 is away');
        return next(args);
      },
      { step: 'initialize' },
    );
    const failing = serviceOver(s3);
    const kept = await failing.createMultipartUpload(before, { ...FILE, contentLength: 21 });
    const keptEtags = await sendParts(failing, before, kept, { 1: new Uint8Array(21) });
    await assert.rejects(
      failing.completeMultipartUpload(lowered, { ...kept, parts: [{ partNumber: 1, etag: keptEtags[1] as string }] }),
      refusal(
        'CONTENT_LENGTH_NOT_ALLOWED',
        403,
        'the parts add up to 21 bytes; you may store at most 20: aborting the upload failed: abort it, or its parts stay stored',
        'parts',
      ),
    );
    assert.equal(await inProgress(before, kept), true);

    // At the limit: completed.
    const at = await service.createMultipartUpload(lowered, { ...FILE, contentLength: 20 });
    const atEtags = await sendParts(service, lowered, at, { 1: new Uint8Array(20) });
    const done = await service.completeMultipartUpload(lowered, {
      ...at,
      parts: [{ partNumber: 1, etag: atEtags[1] as string }],
    });
    assert.equal(done.size, 20);
  });

  it('refuses parts that do not add up to the declared length, and keeps the upload to finish', async () => {
    const upload = await service.createMultipartUpload(WEB, { ...FILE, contentLength: 6 * MiB, partSize: FIVE_MIB });
    // Part 2, the last, alone: its size is right, the total is not.
    const etags = await sendParts(service, WEB, upload, { 2: new Uint8Array(MiB) });
    await assert.rejects(
      service.completeMultipartUpload(WEB, { ...upload, parts: [{ partNumber: 2, etag: etags[2] as string }] }),
      refusal(
        'CONTENT_LENGTH_MISMATCH',
        400,
        'the listed parts add up to 1048576 bytes, not the 6291456 declared at creation',
        'parts',
      ),
    );
    assert.equal(await inProgress(WEB, upload), true, 'not completed');
  });

  it("reads the object's ETag back when the store's answer names none (Ceph RGW: an empty <ETag>)", async () => {
    for (const change of [
      (output: Record<string, unknown>) => delete output.ETag,
      (output: Record<string, unknown>) => (output.ETag = ''),
    ]) {
      const { s3, client } = changeableClient();
      changeAnswers(client, 'CompleteMultipartUploadCommand', change);
      const changed = serviceOver(s3);
      const upload = await changed.createMultipartUpload(WEB, FILE);
      const etags = await sendParts(changed, WEB, upload, { 1: new Uint8Array(4) });
      const done = await changed.completeMultipartUpload(WEB, {
        ...upload,
        parts: [{ partNumber: 1, etag: etags[1] as string }],
      });
      const head = await store.send(new HeadObjectCommand({ Bucket: BUCKET, Key: upload.key }));
      assert.match(head.ETag ?? '', /^"[0-9a-f]{32}-1"$/);
      assert.deepEqual(done, { bucket: BUCKET, key: upload.key, etag: head.ETag, size: 4 });
    }
  });

  it('a completion whose ETag cannot be learned at all is a 502 that says the upload is complete', async () => {
    const { s3, client } = changeableClient();
    changeAnswers(client, 'CompleteMultipartUploadCommand', (output) => delete output.ETag);
    changeAnswers(client, 'HeadObjectCommand', (output) => delete output.ETag);
    const changed = serviceOver(s3);
    const upload = await changed.createMultipartUpload(WEB, FILE);
    const etags = await sendParts(changed, WEB, upload, { 1: new Uint8Array(4) });
    const complete = () =>
      changed.completeMultipartUpload(WEB, { ...upload, parts: [{ partNumber: 1, etag: etags[1] as string }] });
    await assert.rejects(
      complete(),
      refusal(
        'S3_REQUEST_FAILED',
        502,
        'completing the multipart upload: the store completed the upload but names no ETag, not even on HeadObject',
      ),
    );

    const { s3: failing, client: failingClient } = changeableClient();
    changeAnswers(failingClient, 'CompleteMultipartUploadCommand', (output) => delete output.ETag);
    failingClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'HeadObjectCommand')
          throw Object.assign(new Error('socket hang up'), { name: 'Error' });
        return next(args);
      },
      { step: 'initialize' },
    );
    const unreadable = serviceOver(failing);
    const second = await unreadable.createMultipartUpload(WEB, FILE);
    const secondEtags = await sendParts(unreadable, WEB, second, { 1: new Uint8Array(4) });
    const completion = unreadable.completeMultipartUpload(WEB, {
      ...second,
      parts: [{ partNumber: 1, etag: secondEtags[1] as string }],
    });
    await assert.rejects(
      completion,
      refusal(
        'S3_REQUEST_FAILED',
        502,
        'completing the multipart upload: the store completed the upload but named no ETag, and reading it back failed',
      ),
    );
    // The error handler logs a 5xx's cause in place of the AppError: the operator sees why the read failed.
    const cause = await completion.catch((error: Error) => error.cause);
    assert.ok(cause instanceof MissingEtagError);
    assert.equal((cause.cause as Error).message, 'socket hang up');
    // Completed nonetheless: the object is there.
    assert.ok((await store.send(new HeadObjectCommand({ Bucket: BUCKET, Key: second.key }))).ETag);
  });

  it("S3's refusal of the completion itself reaches the caller as its code", async () => {
    const { s3, client } = changeableClient();
    // The upload is aborted between the listing and the completion.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'CompleteMultipartUploadCommand') {
          const input = args.input as { Bucket: string; Key: string; UploadId: string };
          await store.send(
            new AbortMultipartUploadCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: input.UploadId }),
          );
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const raced = serviceOver(s3);
    const upload = await raced.createMultipartUpload(WEB, FILE);
    const etags = await sendParts(raced, WEB, upload, { 1: new Uint8Array(4) });
    await assert.rejects(
      raced.completeMultipartUpload(WEB, { ...upload, parts: [{ partNumber: 1, etag: etags[1] as string }] }),
      refusal(
        'NO_SUCH_UPLOAD',
        404,
        'completing the multipart upload: S3 knows no such upload (completed, aborted or never started)',
      ),
    );
  });

  it('a completed upload cannot be completed again', async () => {
    const upload = await service.createMultipartUpload(WEB, FILE);
    const etags = await sendParts(service, WEB, upload, { 1: new Uint8Array(4) });
    const parts = [{ partNumber: 1, etag: etags[1] as string }];
    await service.completeMultipartUpload(WEB, { ...upload, parts });
    await assert.rejects(service.completeMultipartUpload(WEB, { ...upload, parts }), {
      code: 'NO_SUCH_UPLOAD',
      message: 'listing the parts: S3 knows no such upload (completed, aborted or never started)',
    });
  });
});

describe('abortMultipartUpload', () => {
  it('removes the upload at S3; a second abort is a 404 naming the abort', async () => {
    const upload = await service.createMultipartUpload(WEB, FILE);
    await sendParts(service, WEB, upload, { 1: new Uint8Array(4) });
    assert.equal(await service.abortMultipartUpload(WEB, upload), undefined);
    assert.equal(await inProgress(WEB, upload), false);
    await assert.rejects(
      service.abortMultipartUpload(WEB, upload),
      refusal(
        'NO_SUCH_UPLOAD',
        404,
        'aborting the multipart upload: S3 knows no such upload (completed, aborted or never started)',
      ),
    );
  });
});

describe('a service with neither a clock nor a counter given', () => {
  it('runs on the real clock and issues without counting', async () => {
    const bare = new MultipartService({
      config,
      s3: signing.s3,
      presigner: signing.presigner,
      tokenSecret: Buffer.alloc(32, 9),
    });
    const before = Date.now();
    const upload = await bare.createMultipartUpload(WEB, { ...FILE, contentLength: 6 * MiB, partSize: FIVE_MIB });
    const deadline = upload.expiresAt.getTime();
    assert.ok(
      deadline >= Math.floor(before / 1000) * 1000 + 604_800_000 && deadline <= Date.now() + 604_800_000,
      upload.expiresAt.toISOString(),
    );
    const signed = await bare.signPartUrls(WEB, { ...upload, partNumbers: [2] });
    assert.deepEqual(signed.parts[0]?.headers, { 'content-length': '1048576' });
    const grant = bare.grantCreate(WEB, { filename: 'b.bin', contentLength: 1, partSize: FIVE_MIB });
    const granted = await bare.createGrantedMultipartUpload(WEB, { grant: grant.token, contentType: 'text/plain' });
    assert.equal(granted.key, grant.key);
  });
});
