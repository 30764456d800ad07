// The fast engine on its own: AWS's published presigned-URL example reproduced exactly by
// the signing core, the core's contract, the S3 layer's endpoint cache and its fallback, and
// the SDK engine signing with the credentials it is handed.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, describe, it } from 'node:test';

import { S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';

import type { EndpointMode } from '../../../src/endpoint/endpoint-mode.js';
import { createPinnedS3, type PinnedS3 } from '../../../src/endpoint/s3-client.js';
import { AppError } from '../../../src/errors.js';
import { staticCredentialSource } from '../../../src/presign/credentials.js';
import {
  FastSigner,
  HmacSha256,
  presignSigV4Query,
  SigningKeyCache,
  type SigV4QueryRequest,
} from '../../../src/presign/fast-signer.js';
import { Presigner } from '../../../src/presign/presigner.js';
import { SdkSigner } from '../../../src/presign/sdk-signer.js';
import type { SigningRequest, UrlSigner } from '../../../src/presign/url-signer.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';
import { REGIONAL, regionalMode } from '../../fixtures/endpoint-modes.js';
import { queryOf } from '../../helpers.js';

// AWS's documented example pair: its published example URL below is signed with it.
const { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } = EXAMPLE_CREDENTIALS;
const NOW = new Date('2026-03-01T12:00:00Z');

describe('AWS S3 documentation: "Authenticating Requests: Using Query Parameters"', () => {
  // The example GET of examplebucket/test.txt at 20130524T000000Z, valid 86400 s, signed for
  // the host the documentation uses (the service itself never emits global hosts).
  const example: SigV4QueryRequest = {
    method: 'GET',
    origin: 'https://examplebucket.s3.amazonaws.com',
    host: 'examplebucket.s3.amazonaws.com',
    path: '/test.txt',
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    region: 'us-east-1',
    service: 's3',
    signingDate: new Date('2013-05-24T00:00:00Z'),
    expiresIn: 86_400,
  };

  it('reproduces the documented signature aeeed9bb…', () => {
    const url = presignSigV4Query(example);
    assert.equal(
      url,
      'https://examplebucket.s3.amazonaws.com/test.txt' +
        '?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
        '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400' +
        '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404' +
        '&X-Amz-SignedHeaders=host',
    );
  });

  it('carries exactly the documented parameters (the documentation lists the signature last)', () => {
    const documented = new Map([
      ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
      ['X-Amz-Credential', 'AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request'],
      ['X-Amz-Date', '20130524T000000Z'],
      ['X-Amz-Expires', '86400'],
      ['X-Amz-SignedHeaders', 'host'],
      ['X-Amz-Signature', 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404'],
    ]);
    assert.deepEqual(new Map(queryOf(presignSigV4Query(example))), documented);
  });

  it('derives the documented signing key chain', () => {
    let expected = createHmac('sha256', `AWS4${SECRET_KEY}`).update('20130524').digest();
    for (const part of ['us-east-1', 's3', 'aws4_request'])
      expected = createHmac('sha256', expected).update(part).digest();
    const keys = new SigningKeyCache();
    assert.deepEqual(keys.get(SECRET_KEY, '20130524', 'us-east-1', 's3').key, expected);
    // Cached: the same key for the same inputs, another for another day.
    assert.equal(
      keys.get(SECRET_KEY, '20130524', 'us-east-1', 's3'),
      keys.get(SECRET_KEY, '20130524', 'us-east-1', 's3'),
    );
    assert.notDeepEqual(keys.get(SECRET_KEY, '20130525', 'us-east-1', 's3').key, expected);
    assert.deepEqual(keys.get(SECRET_KEY, '20130524', 'us-east-1', 's3').key, expected);
  });

  it('derives a key of its own for each secret, day, region and service, asked one after another', () => {
    const derive = (secret: string, day: string, region: string, service: string) => {
      let key = createHmac('sha256', `AWS4${secret}`).update(day).digest();
      for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
      return key;
    };
    const keys = new SigningKeyCache();
    const scopes: Array<[string, string, string, string]> = [
      [SECRET_KEY, '20130524', 'us-east-1', 's3'],
      [SECRET_KEY, '20130524', 'eu-west-1', 's3'],
      [SECRET_KEY, '20130524', 'eu-west-1', 's3-outposts'],
      [`${SECRET_KEY}x`, '20130524', 'eu-west-1', 's3-outposts'],
      [`${SECRET_KEY}x`, '20130525', 'eu-west-1', 's3-outposts'],
      [SECRET_KEY, '20130524', 'us-east-1', 's3'],
    ];
    for (const scope of scopes) assert.deepEqual(keys.get(...scope).key, derive(...scope), scope.join('/'));
  });

  it('derives a key of its own for scopes whose parts join to the same text', () => {
    const derive = (secret: string, day: string, region: string, service: string) => {
      let key = createHmac('sha256', `AWS4${secret}`).update(day).digest();
      for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
      return key;
    };
    const keys = new SigningKeyCache();
    // Each reads 20130524/us-east-1/s3/x/y with `/` between day, region, service and secret.
    const scopes: Array<[string, string, string, string]> = [
      ['x/y', '20130524', 'us-east-1', 's3'],
      ['y', '20130524', 'us-east-1', 's3/x'],
      ['y', '20130524', 'us-east-1/s3', 'x'],
      ['y', '20130524/us-east-1', 's3', 'x'],
    ];
    for (const scope of [...scopes, ...scopes]) {
      assert.deepEqual(keys.get(...scope).key, derive(...scope), JSON.stringify(scope));
    }
  });
});

describe('HmacSha256', () => {
  it('equals createHmac for any key and message, short or long, ASCII or not', () => {
    fc.assert(
      fc.property(
        // size 'max': fast-check's default size keeps arrays and strings near 10 long.
        fc.uint8Array({ minLength: 0, maxLength: 100, size: 'max' }),
        fc.oneof(
          fc.string({ maxLength: 400, size: 'max' }),
          fc.string({ unit: 'grapheme', maxLength: 400, size: 'max' }),
        ),
        (keyBytes, message) => {
          const key = Buffer.from(keyBytes);
          const hmac = new HmacSha256(key);
          const expected = createHmac('sha256', key).update(message).digest('hex');
          assert.equal(hmac.hex(message), expected);
          // Reused: a second, shorter message must not see the first one's bytes.
          assert.equal(
            hmac.hex(message.slice(0, 7)),
            createHmac('sha256', key).update(message.slice(0, 7)).digest('hex'),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('equals createHmac at each size limit: keys around the 64-byte block, messages around its 12 KiB buffer and the 1 KiB of kept views', () => {
    const messages = [
      '',
      'a',
      'x'.repeat(341),
      'x'.repeat(342),
      'x'.repeat(1024),
      'x'.repeat(1025),
      'x'.repeat(1100),
      '\u00e9'.repeat(600),
      'x'.repeat(4096),
      'x'.repeat(4097),
      '\u00e9'.repeat(4096),
      '\ud83d\ude00'.repeat(2048),
      'x'.repeat(12 * 1024 + 1),
      // Long then shorter again: a message without a kept view must not read the longer one's bytes.
      'y'.repeat(3000),
      'y'.repeat(2999),
    ];
    for (const keyLength of [0, 1, 63, 64, 65, 100, 200]) {
      const key = Buffer.alloc(keyLength, 0xa5);
      const hmac = new HmacSha256(key);
      for (const message of messages)
        assert.equal(
          hmac.hex(message),
          createHmac('sha256', key).update(message).digest('hex'),
          `key of ${keyLength} bytes, message of ${message.length} units`,
        );
    }
  });

  it('matches RFC 4231 test case 2', () => {
    const hmac = new HmacSha256(Buffer.from('Jefe'));
    assert.equal(
      hmac.hex('what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('FastSigner', () => {
  const clients: Array<{ destroy(): void }> = [];
  after(() => {
    for (const client of clients) client.destroy();
  });

  function pinned(mode: EndpointMode): PinnedS3 {
    const s3 = createPinnedS3(mode, async () => ({ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }));
    clients.push(s3);
    return s3;
  }

  const request = (bucket: string, key = 'k.txt'): SigningRequest => ({
    operation: 'get',
    bucket,
    key,
    expiresIn: 60,
    signingDate: NOW,
    headers: {},
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });

  function recordingFallback(): UrlSigner & { calls: string[] } {
    const calls: string[] = [];
    return { engine: 'sdk', calls, sign: async (r) => (calls.push(r.bucket), 'https://fallback.invalid/') };
  }

  it('resolves each bucket’s endpoint once, and keeps at most maxCachedBuckets of them', async () => {
    const s3 = pinned(REGIONAL);
    let resolutions = 0;
    const counting: PinnedS3 = {
      clientFor: (bucket) => (resolutions++, s3.clientFor(bucket)),
      destroy: () => undefined,
    };
    const signer = new FastSigner(counting, { fallback: recordingFallback(), maxCachedBuckets: 2 });
    await signer.sign(request('bucket-a'));
    await signer.sign(request('bucket-a', 'other/key'));
    await signer.sign(request('bucket-b'));
    assert.equal(resolutions, 2);
    await signer.sign(request('bucket-c')); // forgets bucket-a, the least recently used
    await signer.sign(request('bucket-b'));
    assert.equal(resolutions, 3);
    await signer.sign(request('bucket-a'));
    assert.equal(resolutions, 4);
  });

  it('throws the endpoint rules’ refusal, which the Presigner reports as PRESIGN_FAILED like the SDK path', async () => {
    // A client pinned to us-west-2 asked for an access point in us-east-1 (the mode's region):
    // the rule set refuses, since ARNs must not leave the client's region.
    const mode = regionalMode('us-east-1');
    const client = new S3Client({
      region: 'us-west-2',
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      useArnRegion: false,
      ignoreConfiguredEndpointUrls: true,
    });
    clients.push(client);
    const s3: PinnedS3 = { clientFor: () => client, destroy: () => client.destroy() };
    const arn = 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap';
    const sdk = new SdkSigner(s3);
    const fast = new FastSigner(s3, { fallback: recordingFallback() });
    await assert.rejects(async () => fast.sign(request(arn)), /region/i);
    await assert.rejects(async () => sdk.sign(request(arn)), /region/i);
    for (const signer of [fast, sdk]) {
      const presigner = new Presigner({
        mode,
        s3,
        signer,
        credentials: staticCredentialSource({ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }),
        policy: { mode, maxExpiresSeconds: 3600, maxClockSkewSeconds: 300, now: () => NOW },
      });
      await assert.rejects(
        presigner.presign({ operation: 'get', bucket: arn, key: 'k', expiresIn: 60 }),
        (error: unknown) => error instanceof AppError && error.code === 'PRESIGN_FAILED' && error.statusCode === 500,
      );
    }
  });

  it('signs synchronously once a bucket’s endpoint is known (only the first URL waits)', async () => {
    const signer = new FastSigner(pinned(REGIONAL), { fallback: recordingFallback() });
    const first = signer.sign(request('sync-bucket'));
    assert.ok(first instanceof Promise);
    const url = await first;
    const second = signer.sign(request('sync-bucket'));
    assert.equal(typeof second, 'string');
    assert.equal(second, url);
  });

  it('refuses an upload-part request that names no upload and part', async () => {
    const signer = new FastSigner(pinned(REGIONAL), { fallback: recordingFallback() });
    await assert.rejects(async () => signer.sign({ ...request('part-bucket'), operation: 'upload-part' }), {
      name: 'TypeError',
      message: 'an upload-part request names its upload and part',
    });
  });

  it('leaves a client it does not model (default flexible checksums) to its fallback', async () => {
    const client = new S3Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    });
    clients.push(client);
    const fallback = recordingFallback();
    const signer = new FastSigner({ clientFor: () => client, destroy: () => undefined }, { fallback });
    assert.equal(await signer.sign(request('my-bucket')), 'https://fallback.invalid/');
    assert.deepEqual(fallback.calls, ['my-bucket']);
  });

  it('leaves S3 Express directory buckets (session auth, another host) to its fallback', async () => {
    const fallback = recordingFallback();
    const signer = new FastSigner(pinned(regionalMode('us-east-1')), { fallback });
    assert.equal(await signer.sign(request('my-bucket--use1-az4--x-s3')), 'https://fallback.invalid/');
    assert.deepEqual(fallback.calls, ['my-bucket--use1-az4--x-s3']);
  });
});

describe('SdkSigner', () => {
  it('signs with the credentials it is handed, not whatever the client’s own provider holds', async () => {
    const s3 = createPinnedS3(REGIONAL, async () => ({ accessKeyId: 'AKIDTHECLIENTS', secretAccessKey: 'other' }));
    try {
      const url = await new SdkSigner(s3).sign({
        operation: 'get',
        bucket: 'my-bucket',
        key: 'k',
        expiresIn: 60,
        signingDate: NOW,
        headers: {},
        credentials: { accessKeyId: 'ASIAHANDEDIN', secretAccessKey: SECRET_KEY, sessionToken: 'tok' },
      });
      const query = new Map(queryOf(url));
      assert.match(query.get('X-Amz-Credential') ?? '', /^ASIAHANDEDIN%2F/);
      assert.equal(query.get('X-Amz-Security-Token'), 'tok');
    } finally {
      s3.destroy();
    }
  });

  it('refuses to bind a header the operation cannot carry, or a value the SDK would not send as given', async () => {
    const s3 = createPinnedS3(REGIONAL, async () => ({ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }));
    try {
      const sign = (operation: 'get' | 'put' | 'upload-part', headers: Record<string, string>) =>
        new SdkSigner(s3).sign({
          operation,
          part: { uploadId: 'u', partNumber: 1 },
          bucket: 'b-1',
          key: 'k',
          expiresIn: 60,
          signingDate: NOW,
          headers,
          credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
        });
      await assert.rejects(sign('put', { 'x-amz-acl': 'public-read' }), /cannot bind header x-amz-acl to put-object/);
      await assert.rejects(sign('put', { 'x-amz-meta-': '1' }), /cannot bind header x-amz-meta- to put-object/);
      await assert.rejects(
        sign('upload-part', { 'x-amz-server-side-encryption': 'AES256' }),
        /cannot bind header x-amz-server-side-encryption to upload-part/,
      );
      await assert.rejects(
        sign('put', { 'x-amz-server-side-encryption-bucket-key-enabled': 'TRUE' }),
        /cannot bind header x-amz-server-side-encryption-bucket-key-enabled/,
      );
      await assert.rejects(sign('put', { 'content-length': '1e3' }), /cannot bind header content-length/);
      await assert.rejects(sign('get', { 'content-type': 'a/b' }), /binds no header but x-amz-checksum-mode to a get/);
      // Metadata, tagging and encryption bind, as signed headers.
      const url = await sign('put', {
        'x-amz-meta-origin': 'cli',
        'x-amz-tagging': 'a=b',
        'x-amz-server-side-encryption': 'AES256',
      });
      assert.equal(
        new Map(queryOf(url)).get('X-Amz-SignedHeaders'),
        encodeURIComponent('host;x-amz-meta-origin;x-amz-server-side-encryption;x-amz-tagging'),
      );
    } finally {
      s3.destroy();
    }
  });
});
