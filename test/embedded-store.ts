// The embedded store as the test files of test/integration/embedded-s3*.test.ts use it: one
// per describe block (or per test), its owner's SDK client, what its refusals say, and parts
// uploaded to it.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateMultipartUploadCommand,
  S3ServiceException,
  UploadPartCommand,
  type ChecksumType,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CHECKSUM_API_NAMES,
  CHECKSUM_MEMBERS,
  checksumOf,
  type ChecksumAlgorithm,
} from '../src/endpoint/checksum-algorithms.js';
import { startEmbeddedS3, type EmbeddedS3, type EmbeddedS3Options } from '../src/local/embedded-s3.js';
import { embeddedS3Client } from './helpers.js';

export interface StoreOptions extends Omit<EmbeddedS3Options, 'directory' | 'port'> {
  /**
   * The store's directory one level down in a temporary sandbox (`sandbox/store`), so that
   * a write escaping the directory lands where the test can see it. Removed on close.
   */
  sandboxed?: boolean;
}

export interface OpenStore {
  s3: EmbeddedS3;
  /** Signs with the store's own keys, path-style (embeddedS3Client). */
  client: S3Client;
  /** With `sandboxed`: the sandbox, and the store's directory in it (`${sandbox}/store`). */
  sandbox: string;
  directory: string;
}

async function open(options: StoreOptions): Promise<OpenStore & { close(): Promise<void> }> {
  const { sandboxed, ...storeOptions } = options;
  const sandbox = sandboxed ? await mkdtemp(join(tmpdir(), 'embedded-s3-sandbox-')) : '';
  const directory = sandboxed ? join(sandbox, 'store') : '';
  if (sandboxed) await mkdir(directory);
  const s3 = await startEmbeddedS3({ ...storeOptions, ...(sandboxed && { directory }) });
  const client = embeddedS3Client(s3);
  return {
    s3,
    client,
    sandbox,
    directory,
    async close() {
      client.destroy();
      await s3.close();
      if (sandboxed) await rm(sandbox, { recursive: true, force: true });
    },
  };
}

/**
 * A store for the describe block that calls this: started in its before(), closed after its
 * last test. Read its fields in tests and hooks, not while the block is
 * being declared (the store does not run yet).
 */
export function embeddedS3ForSuite(options: StoreOptions): Readonly<OpenStore> {
  let store: Awaited<ReturnType<typeof open>> | undefined;
  before(async () => {
    store = await open(options);
  });
  after(() => store?.close());
  const started = (): OpenStore => {
    assert.ok(store, 'the suite store is read before its before() hook ran');
    return store;
  };
  return {
    get s3() {
      return started().s3;
    },
    get client() {
      return started().client;
    },
    get sandbox() {
      return started().sandbox;
    },
    get directory() {
      return started().directory;
    },
  };
}

/** A store of this test's own, closed after it. */
export async function embeddedS3ForTest(t: TestContext, options: StoreOptions): Promise<OpenStore> {
  const store = await open(options);
  t.after(() => store.close());
  return store;
}

export interface S3ErrorAnswer {
  status: number;
  /** `<Code>` of S3's XML error body, undefined when there is none. */
  code: string | undefined;
  message: string | undefined;
  body: string;
}

/** The text of an XML element in an S3 answer, its entities decoded once. */
export function xmlElement(body: string, name: string): string | undefined {
  const raw = new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
  return raw
    ?.replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/**
 * What a store answered to a plain fetch: status and the code and message of its XML error
 * body. A 403 is asserted by its code, so that it comes from the check under test and not
 * from some other mismatch.
 */
export async function s3ErrorOf(response: Response): Promise<S3ErrorAnswer> {
  const body = await response.text();
  return { status: response.status, code: xmlElement(body, 'Code'), message: xmlElement(body, 'Message'), body };
}

/** How an SDK command was refused: status, S3's error code, message. Fails if it was accepted. */
export async function s3RefusalOf(
  sent: Promise<unknown>,
): Promise<{ status: number | undefined; code: string; message: string }> {
  const error = await sent.then(
    () => assert.fail('the store accepted the request'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof S3ServiceException, String(error));
  return { status: error.$metadata.httpStatusCode, code: error.name, message: error.message };
}

/**
 * A multipart upload created with a checksum algorithm and type, each part sent with its
 * value (which the store checks against the bytes): the upload's id, and the parts as a
 * completion names them (number, ETag, value).
 */
export async function uploadChecksummedParts(
  client: S3Client,
  object: { bucket: string; key: string },
  checksum: { algorithm: ChecksumAlgorithm; type: ChecksumType },
  parts: readonly Buffer[],
): Promise<{ uploadId: string; uploaded: CompletedPart[] }> {
  const { bucket: Bucket, key: Key } = object;
  const created = await client.send(
    new CreateMultipartUploadCommand({
      Bucket,
      Key,
      ChecksumAlgorithm: CHECKSUM_API_NAMES[checksum.algorithm],
      ChecksumType: checksum.type,
    }),
  );
  assert.equal(created.ChecksumType, checksum.type);
  assert.ok(created.UploadId, 'the store named no upload id');
  const member = CHECKSUM_MEMBERS[checksum.algorithm];
  const uploaded: CompletedPart[] = [];
  for (const [index, part] of parts.entries()) {
    const value = await checksumOf(checksum.algorithm, part);
    const PartNumber = index + 1;
    const { ETag } = await client.send(
      new UploadPartCommand({ Bucket, Key, UploadId: created.UploadId, PartNumber, Body: part, [member]: value }),
    );
    uploaded.push({ PartNumber, ETag, [member]: value });
  }
  return { uploadId: created.UploadId, uploaded };
}
