// doctor's default-encryption check: the bucket's GetBucketEncryption against S3_SSE*, read
// over real HTTP from a loopback server that answers the way S3 does (the embedded store does
// not implement GetBucketEncryption).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import type { SseSettings } from '../../src/encryption/sse.js';
import { checkBucketEncryption, compareBucketEncryption } from '../../src/health/bucket-encryption-check.js';
import { EXAMPLE_CREDENTIALS } from '../fixtures/credentials.js';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY = `arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}`;
const OTHER = KEY.replace('1234abcd', '99999999');
const KMS: SseSettings = { algorithm: 'aws:kms', kmsKeyId: KEY, bucketKey: true };

describe('compareBucketEncryption', () => {
  const found = (algorithm: string, kmsMasterKeyId?: string, bucketKeyEnabled = false) => ({
    algorithm,
    kmsMasterKeyId,
    bucketKeyEnabled,
  });
  const cases: Array<[string, SseSettings | undefined, ReturnType<typeof found> | undefined, string, RegExp]> = [
    [
      'the configured key, by ARN, Bucket Key on',
      KMS,
      found('aws:kms', KEY, true),
      'ok',
      /aws:kms with key .*, as configured/,
    ],
    ['the configured key, by its bare key id', KMS, found('aws:kms', KEY_ID, true), 'ok', /as configured/],
    [
      'AES256 where KMS is configured',
      KMS,
      found('AES256'),
      'warn',
      /the algorithm differ: the bucket encrypts with AES256 by default, the service's uploads carry aws:kms with key arn/,
    ],
    [
      'another key',
      KMS,
      found('aws:kms', OTHER, true),
      'warn',
      /the key differ: .*with key arn:aws:kms:us-east-1:123456789012:key\/99999999/,
    ],
    [
      'the AWS managed key where a key is configured',
      KMS,
      found('aws:kms', undefined, true),
      'warn',
      /the key differ: the bucket encrypts with aws:kms with the AWS managed key aws\/s3/,
    ],
    ['Bucket Key off where on is configured', KMS, found('aws:kms', KEY, false), 'warn', /the S3 Bucket Key differ/],
    [
      'Bucket Key left to the default: not compared',
      { ...KMS, bucketKey: undefined },
      found('aws:kms', KEY, false),
      'ok',
      /as configured/,
    ],
    [
      'a key named by alias',
      KMS,
      found('aws:kms', 'alias/uploads', true),
      'warn',
      /alias alias\/uploads; check that it points to arn/,
    ],
    [
      'no default at all (an S3-compatible store)',
      { algorithm: 'AES256' },
      undefined,
      'warn',
      /the bucket has no default encryption, the service's uploads carry AES256/,
    ],
    ['no default and nothing configured', undefined, undefined, 'ok', /no default encryption, and S3_SSE is unset/],
    ['nothing configured: the default is reported', undefined, found('aws:kms', KEY), 'ok', /S3_SSE is unset/],
  ];
  for (const [what, configured, bucketDefault, status, message] of cases) {
    it(`${what}: ${status}`, () => {
      const item = compareBucketEncryption('my-bucket', configured, bucketDefault);
      assert.equal(item.status, status, item.message);
      assert.match(item.message, message);
      assert.ok(item.message.startsWith('bucket my-bucket'), item.message);
    });
  }

  it('a difference comes with the command that sets the configured default', () => {
    const item = compareBucketEncryption('my-bucket', KMS, found('AES256'));
    assert.equal(item.code, 'ENCRYPTION_DEFAULT_DIFFERS');
    const command = item.commands?.[0] ?? '';
    assert.match(
      command,
      /^aws s3api put-bucket-encryption --bucket my-bucket --server-side-encryption-configuration '/,
    );
    assert.deepEqual(JSON.parse(command.slice(command.indexOf("'") + 1, -1)), {
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY },
          BucketKeyEnabled: true,
        },
      ],
    });
  });
});

describe('checkBucketEncryption reads GetBucketEncryption over HTTP', () => {
  async function withServer(answer: { status: number; body: string }, run: (client: S3Client) => Promise<void>) {
    const seen: string[] = [];
    const server: Server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization?.split(' ')[0] ?? 'unsigned'}`);
      response.writeHead(answer.status, { 'content-type': 'application/xml', date: new Date().toUTCString() });
      response.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      forcePathStyle: true,
      credentials: EXAMPLE_CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      await run(client);
    } finally {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
    return seen;
  }
  const configuration = (byDefault: string, bucketKey: boolean) => ({
    status: 200,
    body: `<?xml version="1.0" encoding="UTF-8"?><ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault>${byDefault}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>${bucketKey}</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
  });
  const s3Error = (status: number, code: string) => ({
    status,
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message></Error>`,
  });

  it('the configured default: ok, read with one signed GET ?encryption', async () => {
    const seen = await withServer(
      configuration(`<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>${KEY}</KMSMasterKeyID>`, true),
      async (client) => {
        const item = await checkBucketEncryption(client, 'my-bucket', KMS);
        assert.equal(item.status, 'ok', item.message);
      },
    );
    assert.deepEqual(seen, ['GET /my-bucket/?encryption= AWS4-HMAC-SHA256']);
  });

  it('SSE-S3 where SSE-KMS is configured: a warning naming both', async () => {
    await withServer(configuration('<SSEAlgorithm>AES256</SSEAlgorithm>', false), async (client) => {
      const item = await checkBucketEncryption(client, 'my-bucket', KMS);
      assert.equal(item.status, 'warn');
      assert.match(item.message, /AES256 by default, the service's uploads carry aws:kms with key/);
    });
  });

  it('no permission (AccessDenied): skipped, saying how to check by hand', async () => {
    await withServer(s3Error(403, 'AccessDenied'), async (client) => {
      const item = await checkBucketEncryption(client, 'my-bucket', KMS);
      assert.equal(item.status, 'skipped');
      assert.match(
        item.message,
        /no permission to read it \(s3:GetEncryptionConfiguration\); verify by hand that it is aws:kms/,
      );
      assert.deepEqual(item.commands, ['aws s3api get-bucket-encryption --bucket my-bucket']);
    });
  });

  it('no default (ServerSideEncryptionConfigurationNotFoundError): compared as none', async () => {
    await withServer(s3Error(404, 'ServerSideEncryptionConfigurationNotFoundError'), async (client) => {
      const item = await checkBucketEncryption(client, 'my-bucket', KMS);
      assert.equal(item.status, 'warn');
      assert.match(item.message, /the bucket has no default encryption, the service's uploads carry aws:kms/);
    });
  });

  it('a store without the call (NotImplemented): skipped with the reason', async () => {
    await withServer(s3Error(501, 'NotImplemented'), async (client) => {
      const item = await checkBucketEncryption(client, 'my-bucket', undefined);
      assert.equal(item.status, 'skipped');
      assert.match(item.message, /does not answer GetBucketEncryption/);
    });
  });
});
