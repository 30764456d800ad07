// The Presigner end to end with the real SDK signer, static credentials and a fixed clock:
// exact URLs (their signatures re-derived here with node:crypto, so the hard-coded strings
// are known to be correct SigV4 and not merely what the SDK happened to print), the headers
// a PUT binds, credential clamping, request refusals, and a pinned client that signs for
// the wrong route being caught by the validator.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity } from '@aws-sdk/types';

import type { PinnedS3 } from '../../../src/endpoint/s3-client.js';
import { AppError, type ErrorCode } from '../../../src/errors.js';
import { createPresigner, type PresignerBundle } from '../../../src/presign/create-presigner.js';
import { credentialSource, staticCredentialSource, type CredentialSource } from '../../../src/presign/credentials.js';
import { Presigner, type PresignRequest, type RejectedRequest } from '../../../src/presign/presigner.js';
import {
  validatePresignedUrl,
  type ValidationReport,
  type ValidatorPolicy,
} from '../../../src/verify/url-validator.js';
import { signingConfigFrom as configFrom } from '../../fixtures/config.js';
import { EXAMPLE_CREDENTIALS, EXAMPLE_TEMPORARY_KEY_ID } from '../../fixtures/credentials.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const now = () => new Date(NOW.getTime());
const { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } = EXAMPLE_CREDENTIALS;
const LONG_TERM: AwsCredentialIdentity = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY };
const VPCE = 'vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com';
const CHECKSUM = 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=';

type Env = Record<string, string | undefined>;

const INTERFACE_ENV: Env = {
  S3_ENDPOINT_MODE: 'interface',
  S3_REGION: 'us-east-1',
  S3_VPCE_DNS_NAME: VPCE,
  S3_BUCKETS: 'my-bucket',
};
const REGIONAL_ENV: Env = { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'eu-west-1', S3_BUCKETS: 'my-bucket' };

/** SigV4 (UriEncode) as S3 specifies it, for the independent signature check. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Recomputes a presigned URL's SigV4 signature from the URL, the method, the secret and the
 * headers the client will send, following AWS's "Authenticating Requests: Using Query
 * Parameters" for S3 (no double encoding of the path, UNSIGNED-PAYLOAD).
 */
function recomputeSignature(url: string, method: string, secret: string, headers: Record<string, string> = {}): string {
  const [withoutQuery, rawQuery = ''] = url.split('?') as [string, string?];
  const authority = /^[a-z]+:\/\/([^/]*)/.exec(withoutQuery)?.[1];
  assert.ok(authority, 'URL has an authority');
  const rawPath = withoutQuery.slice(withoutQuery.indexOf(authority) + authority.length) || '/';
  const params = rawQuery
    .split('&')
    .map((pair) => pair.split('=').map(decodeURIComponent) as [string, string])
    .filter(([name]) => name !== 'X-Amz-Signature');
  const query = new Map(params);
  const canonicalQuery = params
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
  const values: Record<string, string> = { ...headers, host: new URL(url).host };
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${(values[name] ?? '').trim()}\n`).join('');
  const canonicalRequest = [
    method,
    rawPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const [, date = '', region = '', service = '', terminator = ''] = (query.get('X-Amz-Credential') ?? '').split('/');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    query.get('X-Amz-Date'),
    `${date}/${region}/${service}/${terminator}`,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  for (const part of [region, service, terminator]) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

function queryOf(url: string): Map<string, string> {
  const raw = url.split('?')[1] ?? '';
  return new Map(raw.split('&').map((pair) => pair.split('=').map(decodeURIComponent) as [string, string]));
}

async function assertRejectsWith(
  promise: Promise<unknown>,
  code: ErrorCode | RegExp,
  field?: string,
): Promise<AppError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AppError, `expected an AppError, got ${String(caught)}`);
  if (typeof code === 'string') assert.equal(caught.code, code);
  else assert.match(caught.code, code);
  if (field !== undefined) assert.equal(caught.field, field);
  return caught;
}

describe('Presigner: exact URLs in interface mode', () => {
  let virtual: PresignerBundle;
  let pathStyle: PresignerBundle;

  before(async () => {
    virtual = await createPresigner(configFrom(INTERFACE_ENV), { credentials: staticCredentialSource(LONG_TERM), now });
    pathStyle = await createPresigner(configFrom({ ...INTERFACE_ENV, S3_FORCE_PATH_STYLE: 'true' }), {
      credentials: staticCredentialSource(LONG_TERM),
      now,
    });
  });
  after(() => {
    virtual.close();
    pathStyle.close();
  });

  const GET: PresignRequest = {
    operation: 'get',
    bucket: 'my-bucket',
    key: 'reports/2026/q1 summary.pdf',
    expiresIn: 900,
  };
  const PUT: PresignRequest = {
    operation: 'put',
    bucket: 'my-bucket',
    key: 'uploads/report.pdf',
    expiresIn: 600,
    contentType: 'application/pdf',
    contentLength: 1024,
    checksumSha256: CHECKSUM,
  };
  const PUT_HEADERS = {
    'content-type': 'application/pdf',
    'content-length': '1024',
    'x-amz-checksum-sha256': CHECKSUM,
  };

  it('virtual-hosted GET', async () => {
    const result = await virtual.presigner.presign(GET);
    assert.equal(
      result.url,
      'https://my-bucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/reports/2026/q1%20summary.pdf' +
        '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD' +
        `&X-Amz-Credential=${ACCESS_KEY}%2F20260301%2Fus-east-1%2Fs3%2Faws4_request` +
        '&X-Amz-Date=20260301T120000Z&X-Amz-Expires=900' +
        '&X-Amz-Signature=f9ecf9e6409b391afb0a12400f56799eb07216657de209521ad0495c684f4b4d' +
        '&X-Amz-SignedHeaders=host&x-id=GetObject',
    );
    const url = new URL(result.url);
    assert.equal(url.protocol, 'https:');
    assert.equal(url.host, 'my-bucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com');
    assert.equal(url.pathname, '/reports/2026/q1%20summary.pdf');
    assert.equal(recomputeSignature(result.url, 'GET', SECRET_KEY), url.searchParams.get('X-Amz-Signature'));
    assert.equal(result.method, 'GET');
    assert.deepEqual(result.headers, {});
    assert.equal(result.expiresIn, 900);
    assert.equal(result.expiresAt.toISOString(), '2026-03-01T12:15:00.000Z');
    assert.equal(result.bucket, 'my-bucket');
    assert.equal(result.key, 'reports/2026/q1 summary.pdf');
    assert.deepEqual(result.endpoint, {
      mode: 'interface',
      host: 'my-bucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
    });
  });

  it('path-style GET', async () => {
    const result = await pathStyle.presigner.presign(GET);
    assert.equal(
      result.url,
      'https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/my-bucket/reports/2026/q1%20summary.pdf' +
        '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD' +
        `&X-Amz-Credential=${ACCESS_KEY}%2F20260301%2Fus-east-1%2Fs3%2Faws4_request` +
        '&X-Amz-Date=20260301T120000Z&X-Amz-Expires=900' +
        '&X-Amz-Signature=4756bc046ae6b6b729ad1120e87a1fab502e82c4830c6b72b3cb573dad8c3bce' +
        '&X-Amz-SignedHeaders=host&x-id=GetObject',
    );
    const url = new URL(result.url);
    assert.equal(url.host, 'bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com');
    assert.equal(url.pathname, '/my-bucket/reports/2026/q1%20summary.pdf');
    assert.equal(recomputeSignature(result.url, 'GET', SECRET_KEY), url.searchParams.get('X-Amz-Signature'));
    assert.deepEqual(result.endpoint, {
      mode: 'interface',
      host: 'bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
    });
  });

  it('virtual-hosted PUT binding content type, length and checksum', async () => {
    const result = await virtual.presigner.presign(PUT);
    assert.equal(
      result.url,
      'https://my-bucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/uploads/report.pdf' +
        '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD' +
        `&X-Amz-Credential=${ACCESS_KEY}%2F20260301%2Fus-east-1%2Fs3%2Faws4_request` +
        '&X-Amz-Date=20260301T120000Z&X-Amz-Expires=600' +
        '&X-Amz-Signature=397f9ed4dd6f70a26eaff2d881482a77649514ff31d58160e3d625ff99877b6f' +
        '&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost%3Bx-amz-checksum-sha256&x-id=PutObject',
    );
    assert.equal(result.method, 'PUT');
    assert.deepEqual(result.headers, PUT_HEADERS);
    assert.equal(
      recomputeSignature(result.url, 'PUT', SECRET_KEY, result.headers),
      '397f9ed4dd6f70a26eaff2d881482a77649514ff31d58160e3d625ff99877b6f',
    );
    // The signature covers the headers: another content type would not match it.
    assert.notEqual(
      recomputeSignature(result.url, 'PUT', SECRET_KEY, { ...result.headers, 'content-type': 'text/html' }),
      '397f9ed4dd6f70a26eaff2d881482a77649514ff31d58160e3d625ff99877b6f',
    );
  });

  it('path-style PUT binding content type, length and checksum', async () => {
    const result = await pathStyle.presigner.presign(PUT);
    assert.equal(
      result.url,
      'https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/my-bucket/uploads/report.pdf' +
        '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD' +
        `&X-Amz-Credential=${ACCESS_KEY}%2F20260301%2Fus-east-1%2Fs3%2Faws4_request` +
        '&X-Amz-Date=20260301T120000Z&X-Amz-Expires=600' +
        '&X-Amz-Signature=00c1dc9a59b33edd20afa78ad940609a2f37bccad6386b186afc5b1be9b83340' +
        '&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost%3Bx-amz-checksum-sha256&x-id=PutObject',
    );
    assert.deepEqual(result.headers, PUT_HEADERS);
    assert.equal(
      recomputeSignature(result.url, 'PUT', SECRET_KEY, result.headers),
      '00c1dc9a59b33edd20afa78ad940609a2f37bccad6386b186afc5b1be9b83340',
    );
  });

  it('signs access points on the endpoint’s accesspoint.vpce-… name', async () => {
    const result = await virtual.presigner.presign({
      ...GET,
      bucket: 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap',
    });
    const url = new URL(result.url);
    assert.equal(url.host, 'my-ap-123456789012.accesspoint.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com');
    assert.equal(url.pathname, '/reports/2026/q1%20summary.pdf');
    assert.equal(result.endpoint.host, url.host);
    assert.equal(recomputeSignature(result.url, 'GET', SECRET_KEY), url.searchParams.get('X-Amz-Signature'));
  });

  it('is deterministic for a fixed clock and credentials', async () => {
    const first = await virtual.presigner.presign(GET);
    const second = await virtual.presigner.presign(GET);
    assert.equal(first.url, second.url);
  });
});

describe('Presigner: headers and parameters', () => {
  let bundle: PresignerBundle;
  before(async () => {
    bundle = await createPresigner(configFrom(REGIONAL_ENV), { credentials: staticCredentialSource(LONG_TERM), now });
  });
  after(() => bundle.close());

  const put = (extra: Partial<PresignRequest> = {}) =>
    bundle.presigner.presign({ operation: 'put', bucket: 'my-bucket', key: 'uploads/a.bin', expiresIn: 300, ...extra });

  it('a PUT with contentType, contentLength and checksumSha256 signs exactly those three headers and host', async () => {
    const result = await put({ contentType: 'image/png', contentLength: 52_428_800, checksumSha256: CHECKSUM });
    const query = queryOf(result.url);
    assert.equal(query.get('X-Amz-SignedHeaders'), 'content-length;content-type;host;x-amz-checksum-sha256');
    assert.deepEqual(result.headers, {
      'content-type': 'image/png',
      'content-length': '52428800',
      'x-amz-checksum-sha256': CHECKSUM,
    });
    // The checksum is a header the client sends, not a query parameter.
    assert.equal(
      [...query.keys()].some((name) => name.toLowerCase().includes('checksum')),
      false,
    );
    assert.equal(recomputeSignature(result.url, 'PUT', SECRET_KEY, result.headers), query.get('X-Amz-Signature'));
  });

  it('a PUT with only a content type signs content-type;host', async () => {
    const result = await put({ contentType: 'text/plain; charset=utf-8' });
    assert.equal(queryOf(result.url).get('X-Amz-SignedHeaders'), 'content-type;host');
    assert.deepEqual(result.headers, { 'content-type': 'text/plain; charset=utf-8' });
  });

  it('a PUT with only a content length signs content-length;host', async () => {
    const result = await put({ contentLength: 0 });
    assert.equal(queryOf(result.url).get('X-Amz-SignedHeaders'), 'content-length;host');
    assert.deepEqual(result.headers, { 'content-length': '0' });
  });

  it('a bare PUT signs host only and asks for no headers', async () => {
    const result = await put();
    assert.equal(queryOf(result.url).get('X-Amz-SignedHeaders'), 'host');
    assert.deepEqual(result.headers, {});
    assert.equal(queryOf(result.url).get('x-id'), 'PutObject');
  });

  it('a GET asks for no headers, even when PUT-only fields are given', async () => {
    const result = await bundle.presigner.presign({
      operation: 'get',
      bucket: 'my-bucket',
      key: 'a.bin',
      expiresIn: 300,
      contentType: 'image/png',
      contentLength: 10,
      checksumSha256: CHECKSUM,
    });
    assert.equal(result.method, 'GET');
    assert.deepEqual(result.headers, {});
    assert.equal(queryOf(result.url).get('X-Amz-SignedHeaders'), 'host');
  });

  it('a GET with responseContentDisposition carries it, signed', async () => {
    const disposition = 'attachment; filename="Q1 report (final).pdf"';
    const result = await bundle.presigner.presign({
      operation: 'get',
      bucket: 'my-bucket',
      key: 'reports/q1.pdf',
      expiresIn: 300,
      responseContentDisposition: disposition,
    });
    const query = queryOf(result.url);
    assert.equal(query.get('response-content-disposition'), disposition);
    assert.equal(new URL(result.url).searchParams.get('response-content-disposition'), disposition);
    assert.equal(recomputeSignature(result.url, 'GET', SECRET_KEY), query.get('X-Amz-Signature'));
    assert.deepEqual(result.headers, {});
  });

  it('a GET of one part signs partNumber into the query, with checksum mode, and the validator holds it to the value asked', async () => {
    const result = await bundle.presigner.presign({
      operation: 'get',
      bucket: 'my-bucket',
      key: 'archives/big.tar',
      expiresIn: 300,
      checksumMode: true,
      partNumber: 37,
    });
    const query = queryOf(result.url);
    assert.equal(query.get('partNumber'), '37');
    assert.equal(query.get('x-id'), 'GetObject');
    assert.equal(query.get('X-Amz-SignedHeaders'), 'host;x-amz-checksum-mode');
    assert.deepEqual(result.headers, { 'x-amz-checksum-mode': 'ENABLED' });
    assert.equal(recomputeSignature(result.url, 'GET', SECRET_KEY, result.headers), query.get('X-Amz-Signature'));

    const expectation = {
      bucket: 'my-bucket',
      key: 'archives/big.tar',
      method: 'GET' as const,
      signedHeaders: ['x-amz-checksum-mode'],
      checksumMode: true,
    };
    const policy = bundle.policy;
    const asked = validatePresignedUrl(result.url, policy, { ...expectation, queryParameters: { partNumber: '37' } });
    assert.deepEqual(asked.failures, []);
    const otherPart = validatePresignedUrl(result.url, policy, {
      ...expectation,
      queryParameters: { partNumber: '38' },
    });
    assert.deepEqual(
      otherPart.failures.map((failure) => failure.code),
      ['URL_UNEXPECTED_PARAMETER', 'URL_MISSING_PARAMETER'],
    );
    const notAsked = validatePresignedUrl(result.url, policy, { ...expectation, queryParameters: {} });
    assert.deepEqual(
      notAsked.failures.map((failure) => failure.code),
      ['URL_UNEXPECTED_PARAMETER'],
    );
  });

  it('never adds x-amz-checksum-* (or x-amz-sdk-checksum-*) query parameters, in any mode', async () => {
    const envs: Env[] = [
      REGIONAL_ENV,
      INTERFACE_ENV,
      { S3_ENDPOINT_MODE: 'accelerate', S3_REGION: 'us-east-1', S3_BUCKETS: 'my-bucket' },
      { S3_ENDPOINT_MODE: 'custom', S3_ENDPOINT_URL: 'https://minio.internal:9000', S3_BUCKETS: 'my-bucket' },
      { S3_ENDPOINT_MODE: 'local', S3_BUCKETS: 'my-bucket' },
    ];
    for (const env of envs) {
      const b = await createPresigner(configFrom(env), { credentials: staticCredentialSource(LONG_TERM), now });
      try {
        const requests: PresignRequest[] = [
          { operation: 'put', bucket: 'my-bucket', key: 'k.bin', expiresIn: 60 },
          { operation: 'put', bucket: 'my-bucket', key: 'k.bin', expiresIn: 60, contentType: 'a/b', contentLength: 3 },
          { operation: 'put', bucket: 'my-bucket', key: 'k.bin', expiresIn: 60, checksumSha256: CHECKSUM },
          { operation: 'get', bucket: 'my-bucket', key: 'k.bin', expiresIn: 60 },
        ];
        for (const request of requests) {
          const { url } = await b.presigner.presign(request);
          const names = [...queryOf(url).keys()];
          const checksumNames = names.filter((name) => /^x-amz-(sdk-)?checksum/i.test(name));
          assert.deepEqual(checksumNames, [], `${env.S3_ENDPOINT_MODE} ${request.operation}: ${url}`);
        }
      } finally {
        b.close();
      }
    }
  });

  for (const [key, encoded] of [
    ['a b/ü.txt', 'a%20b/%C3%BC.txt'],
    ["it's (v2)*!.txt", 'it%27s%20%28v2%29%2A%21.txt'],
    ['~user/+=&?#%.txt', '~user/%2B%3D%26%3F%23%25.txt'],
    ['already%2Fencoded', 'already%252Fencoded'],
    ['a//b/', 'a//b/'],
    ['😀.png', '%F0%9F%98%80.png'],
  ] as const) {
    it(`encodes the key ${JSON.stringify(key)} as S3 expects, and the validator reads it back`, async () => {
      const result = await bundle.presigner.presign({ operation: 'get', bucket: 'my-bucket', key, expiresIn: 60 });
      assert.equal(result.url.split('?')[0], `https://my-bucket.s3.eu-west-1.amazonaws.com/${encoded}`);
      const report = validatePresignedUrl(result.url, bundle.policy);
      assert.deepEqual(report.failures, []);
      assert.equal(report.key, key);
      assert.equal(recomputeSignature(result.url, 'GET', SECRET_KEY), queryOf(result.url).get('X-Amz-Signature'));
    });
  }

  it('every returned URL passes the validator on its own', async () => {
    const result = await put({ contentType: 'image/png', contentLength: 10, checksumSha256: CHECKSUM });
    const report = validatePresignedUrl(result.url, bundle.policy, {
      bucket: 'my-bucket',
      key: 'uploads/a.bin',
      signedHeaders: Object.keys(result.headers),
      queryParameters: {},
      accessKeyId: ACCESS_KEY,
      temporaryCredentials: false,
      fresh: true,
    });
    assert.deepEqual(report.failures, []);
  });
});

describe('Presigner: credentials', () => {
  const config = configFrom(REGIONAL_ENV);

  async function presignWith(credentials: CredentialSource, request: Partial<PresignRequest> = {}) {
    const bundle = await createPresigner(config, { credentials, now });
    try {
      return await bundle.presigner.presign({
        operation: 'get',
        bucket: 'my-bucket',
        key: 'k.txt',
        expiresIn: 3600,
        ...request,
      });
    } finally {
      bundle.close();
    }
  }

  const temporary = (expiration?: Date): AwsCredentialIdentity => ({
    accessKeyId: EXAMPLE_TEMPORARY_KEY_ID,
    secretAccessKey: SECRET_KEY,
    sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars',
    ...(expiration ? { expiration } : {}),
  });

  it('temporary credentials add X-Amz-Security-Token (and sign it)', async () => {
    const result = await presignWith(staticCredentialSource(temporary(new Date('2026-03-01T18:00:00Z'))));
    const query = queryOf(result.url);
    assert.equal(query.get('X-Amz-Security-Token'), 'IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars');
    assert.equal(query.get('X-Amz-Credential')?.split('/')[0], EXAMPLE_TEMPORARY_KEY_ID);
    assert.equal(recomputeSignature(result.url, 'GET', SECRET_KEY), query.get('X-Amz-Signature'));
  });

  it('long-term credentials carry no X-Amz-Security-Token', async () => {
    const result = await presignWith(staticCredentialSource(LONG_TERM));
    assert.equal(queryOf(result.url).has('X-Amz-Security-Token'), false);
    assert.equal(result.expiresIn, 3600);
  });

  it('credentials expiring in 10 minutes clamp a 3600 s request', async () => {
    const expiration = new Date(NOW.getTime() + 10 * 60 * 1000);
    const result = await presignWith(staticCredentialSource(temporary(expiration)));
    assert.ok(result.expiresIn < 3600, `expiresIn ${result.expiresIn} is clamped`);
    assert.ok(result.expiresIn <= 600, `expiresIn ${result.expiresIn} does not outlive the credentials`);
    assert.ok(result.expiresIn >= 480, `expiresIn ${result.expiresIn} keeps most of the credentials' life`);
    assert.equal(queryOf(result.url).get('X-Amz-Expires'), String(result.expiresIn));
    assert.equal(result.expiresAt.getTime(), NOW.getTime() + result.expiresIn * 1000);
    assert.ok(result.expiresAt.getTime() <= expiration.getTime());
  });

  it('credentials expiring long after the URL do not shorten it', async () => {
    const result = await presignWith(staticCredentialSource(temporary(new Date('2026-03-02T12:00:00Z'))));
    assert.equal(result.expiresIn, 3600);
    assert.equal(result.expiresAt.toISOString(), '2026-03-01T13:00:00.000Z');
  });

  it('credentials expiring in 30 s are refused with CREDENTIALS_EXPIRED', async () => {
    const error = await assertRejectsWith(
      presignWith(staticCredentialSource(temporary(new Date(NOW.getTime() + 30 * 1000)))),
      'CREDENTIALS_EXPIRED',
    );
    assert.equal(error.statusCode, 503);
  });

  it('already expired credentials are refused with CREDENTIALS_EXPIRED', async () => {
    await assertRejectsWith(
      presignWith(staticCredentialSource(temporary(new Date(NOW.getTime() - 1000)))),
      'CREDENTIALS_EXPIRED',
    );
  });

  it('a failing credential provider is CREDENTIALS_UNAVAILABLE', async () => {
    const failing = credentialSource(async () => {
      throw new Error('no credentials in the chain');
    });
    const error = await assertRejectsWith(presignWith(failing), 'CREDENTIALS_UNAVAILABLE');
    assert.equal(error.statusCode, 503);
    assert.doesNotMatch(error.message, /no credentials in the chain/);
  });

  it('names the credential source', async () => {
    assert.equal((await staticCredentialSource(LONG_TERM).get()).source, 'static');
    assert.equal((await staticCredentialSource(LONG_TERM, 'embedded-s3').get()).source, 'embedded-s3');
    const tagged = credentialSource(async () => ({ ...LONG_TERM, $source: { CREDENTIALS_ENV_VARS: 'g' } }));
    assert.equal((await tagged.get()).source, 'environment');
  });
});

describe('Presigner: refused requests', () => {
  let bundle: PresignerBundle;
  let accelerate: PresignerBundle;
  before(async () => {
    bundle = await createPresigner(configFrom(REGIONAL_ENV), { credentials: staticCredentialSource(LONG_TERM), now });
    accelerate = await createPresigner(
      configFrom({ S3_ENDPOINT_MODE: 'accelerate', S3_REGION: 'us-east-1', S3_BUCKETS: 'my-bucket' }),
      { credentials: staticCredentialSource(LONG_TERM), now },
    );
  });
  after(() => {
    bundle.close();
    accelerate.close();
  });

  const presign = (request: Partial<PresignRequest>) =>
    bundle.presigner.presign({ operation: 'get', bucket: 'my-bucket', key: 'k.txt', expiresIn: 60, ...request });

  for (const key of [
    '',
    '/leading-slash',
    'a/../b',
    '..',
    'a/./b',
    'line\nbreak',
    'tab\there',
    'nul\u0000',
    'x'.repeat(1025),
    'é'.repeat(513),
  ]) {
    it(`key ${JSON.stringify(key.length > 20 ? `${key.slice(0, 10)}…(${key.length})` : key)} → INVALID_KEY`, async () => {
      const error = await assertRejectsWith(presign({ key }), 'INVALID_KEY', 'key');
      assert.equal(error.statusCode, 400);
    });
  }

  it('accepts a 1024-byte key', async () => {
    const result = await presign({ key: 'x'.repeat(1024) });
    assert.equal(result.key.length, 1024);
  });

  for (const bucket of [
    'bad bucket',
    '',
    'arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap',
    'arn:aws-cn:s3:eu-west-1:123456789012:accesspoint/my-ap',
    'arn:aws:s3:eu-west-1:123456789012:accesspoint:bad_name',
  ]) {
    it(`bucket ${JSON.stringify(bucket)} → INVALID_BUCKET`, async () => {
      const error = await assertRejectsWith(presign({ bucket }), 'INVALID_BUCKET', 'bucket');
      assert.equal(error.statusCode, 400);
    });
  }

  it('a dotted bucket in accelerate mode → INVALID_BUCKET', async () => {
    await assertRejectsWith(
      accelerate.presigner.presign({ operation: 'get', bucket: 'my.dotted.bucket', key: 'k', expiresIn: 60 }),
      'INVALID_BUCKET',
      'bucket',
    );
  });

  for (const expiresIn of [0, -1, 3601, 604_800, 1.5, Number.NaN]) {
    it(`expiresIn ${expiresIn} → INVALID_EXPIRES (maximum 3600)`, async () => {
      const error = await assertRejectsWith(presign({ expiresIn }), 'INVALID_EXPIRES', 'expiresIn');
      assert.equal(error.statusCode, 400);
    });
  }

  it('accepts expiresIn 1 and exactly the maximum', async () => {
    assert.equal((await presign({ expiresIn: 1 })).expiresIn, 1);
    assert.equal((await presign({ expiresIn: 3600 })).expiresIn, 3600);
  });
});

describe('Presigner: a broken pinned client is caught by the validator', () => {
  const mode = configFrom(REGIONAL_ENV).mode;
  const policy: ValidatorPolicy = { mode, maxExpiresSeconds: 3600, maxClockSkewSeconds: 300, now };
  const credentials = staticCredentialSource(LONG_TERM);
  const clients: S3Client[] = [];
  after(() => {
    for (const client of clients) client.destroy();
  });

  function brokenPresigner(clientConfig: S3ClientConfig, pinnedMode = mode, pinnedPolicy = policy) {
    const client = new S3Client({ credentials: credentials.provider, ...clientConfig });
    clients.push(client);
    const s3: PinnedS3 = { clientFor: () => client, destroy: () => client.destroy() };
    const rejected: Array<{ report: ValidationReport; request: RejectedRequest }> = [];
    const presigner = new Presigner({
      mode: pinnedMode,
      s3,
      credentials,
      policy: pinnedPolicy,
      onRejected: (report, request) => rejected.push({ report, request }),
    });
    return { presigner, rejected };
  }

  const request: PresignRequest = {
    operation: 'put',
    bucket: 'my-bucket',
    key: 'k.txt',
    expiresIn: 60,
    contentType: 'text/plain',
  };

  it('a client for another region than the mode is refused with a URL_* code, and onRejected is told', async () => {
    const { presigner, rejected } = brokenPresigner({
      region: 'us-west-2',
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const error = await assertRejectsWith(presigner.presign(request), /^URL_/);
    assert.equal(error.statusCode, 500);
    assert.doesNotMatch(
      error.message,
      /X-Amz-Signature|us-west-2\.amazonaws\.com/,
      'the refused URL is not in the error',
    );
    assert.equal(rejected.length, 1);
    const [entry] = rejected;
    assert.ok(entry);
    const failed = entry.report.failures.map((f) => f.code);
    assert.ok(failed.includes('URL_HOST'), JSON.stringify(failed));
    assert.ok(failed.includes('URL_REGION'), JSON.stringify(failed));
    assert.equal(error.code, entry.report.failures[0]?.code);
    assert.deepEqual(entry.request, request);
    assert.equal(entry.report.valid, false);
  });

  it('a client with the SDK’s default flexible checksums is refused with URL_UNEXPECTED_PARAMETER', async () => {
    const { presigner, rejected } = brokenPresigner({ region: 'eu-west-1' });
    await assertRejectsWith(presigner.presign(request), 'URL_UNEXPECTED_PARAMETER');
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0]?.report.failures.every((f) => f.code === 'URL_UNEXPECTED_PARAMETER'));
  });

  it('a client forcing path-style where the mode is virtual-hosted is refused with URL_ADDRESSING_STYLE', async () => {
    const { presigner, rejected } = brokenPresigner({
      region: 'eu-west-1',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    await assertRejectsWith(presigner.presign(request), 'URL_ADDRESSING_STYLE');
    assert.equal(rejected.length, 1);
  });

  it('interface mode with a client on the public regional endpoint is refused with URL_HOST', async () => {
    const interfaceMode = configFrom(INTERFACE_ENV).mode;
    const { presigner, rejected } = brokenPresigner(
      { region: 'us-east-1', requestChecksumCalculation: 'WHEN_REQUIRED' },
      interfaceMode,
      { ...policy, mode: interfaceMode },
    );
    await assertRejectsWith(presigner.presign(request), 'URL_HOST');
    assert.equal(rejected.length, 1);
  });

  it('a correct client through the same hand-built Presigner passes and onRejected stays silent', async () => {
    const { presigner, rejected } = brokenPresigner({
      region: 'eu-west-1',
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const result = await presigner.presign(request);
    assert.equal(new URL(result.url).host, 'my-bucket.s3.eu-west-1.amazonaws.com');
    assert.equal(rejected.length, 0);
  });
});
