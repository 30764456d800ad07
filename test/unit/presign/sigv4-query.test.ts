// presignSigV4Query as the general function it is: caller parameters sorting into every gap
// between SigV4's own, unsorted and frozen input, the memos, header folding and the exact
// refusals. Two oracles: a canonical request written out by hand and signed with node:crypto,
// and @smithy/signature-v4's SignatureV4.presign (what the SDK's getSignedUrl runs). The
// @smithy packages come with the pinned @aws-sdk/client-s3, at its versions: declaring them
// as devDependencies would put dev packages in the production tree (dependencies.test.ts).
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { describe, it } from 'node:test';

import { escapeUri } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { SourceData } from '@smithy/types';

import { presignSigV4Query, type SigV4QueryRequest } from '../../../src/presign/sigv4-query.js';
import { queryOf } from '../../helpers.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';

const { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } = EXAMPLE_CREDENTIALS;
const NOW = new Date('2026-03-01T12:00:00Z');

const base: SigV4QueryRequest = {
  method: 'GET',
  origin: 'https://b.s3.eu-west-1.amazonaws.com',
  host: 'b.s3.eu-west-1.amazonaws.com',
  path: '/k',
  credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  region: 'eu-west-1',
  service: 's3',
  signingDate: NOW,
  expiresIn: 60,
};

const withToken = (token: string): SigV4QueryRequest => ({
  ...base,
  credentials: { ...base.credentials, sessionToken: token },
});

function toBytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

/** SHA-256 for SignatureV4: a keyed one is the HMAC. */
class NodeSha256 {
  #hash: Hash | Hmac;
  readonly #secret: SourceData | undefined;
  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = this.#fresh();
  }
  #fresh(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(this.#secret));
  }
  update(data: Uint8Array): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    this.#hash = this.#fresh();
  }
}

/**
 * The SDK's presigned URL for the same request: SignatureV4.presign, then the query written
 * out sorted by name as getSignedUrl's formatUrl does (every name here sorts the same raw or
 * encoded). A body that is neither absent, a string nor bytes makes the payload UNSIGNED-PAYLOAD.
 */
async function sdkPresign(request: SigV4QueryRequest): Promise<string> {
  const signer = new SignatureV4({
    credentials: request.credentials,
    region: request.region,
    service: request.service,
    sha256: NodeSha256,
    uriEscapePath: false,
  });
  const url = new URL(request.origin);
  const presigned = await signer.presign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      path: request.path,
      query: Object.fromEntries(request.query ?? []),
      headers: { ...request.headers, host: request.host },
      body: {},
    },
    { signingDate: request.signingDate, expiresIn: request.expiresIn },
  );
  const signed = presigned.query ?? {};
  const query = Object.keys(signed)
    .sort()
    .map((name) => `${escapeUri(name)}=${escapeUri(signed[name] as string)}`)
    .join('&');
  return `${request.origin}${request.path}?${query}`;
}

async function assertSameAsSdk(request: SigV4QueryRequest, message?: string): Promise<void> {
  assert.equal(presignSigV4Query(request), await sdkPresign(request), message);
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

describe('presignSigV4Query: examples', () => {
  const put: SigV4QueryRequest = { ...base, method: 'PUT' };

  it('adds X-Amz-Security-Token for temporary credentials, and none for an empty token', () => {
    const tokenUrl = presignSigV4Query({ ...put, credentials: { ...put.credentials, sessionToken: 'a+b/c=' } });
    assert.deepEqual(
      queryOf(tokenUrl).map(([name]) => name),
      [
        'X-Amz-Algorithm',
        'X-Amz-Credential',
        'X-Amz-Date',
        'X-Amz-Expires',
        'X-Amz-Security-Token',
        'X-Amz-Signature',
        'X-Amz-SignedHeaders',
      ],
    );
    assert.equal(new Map(queryOf(tokenUrl)).get('X-Amz-Security-Token'), 'a%2Bb%2Fc%3D');
    const emptyToken = presignSigV4Query({ ...put, credentials: { ...put.credentials, sessionToken: '' } });
    assert.equal(emptyToken, presignSigV4Query(put));
  });

  it('sorts the caller’s parameters among its own and signs the headers it is given', () => {
    const url = presignSigV4Query({
      ...put,
      query: [
        ['x-id', 'PutObject'],
        ['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD'],
        ['A b', 'c d'],
      ],
      headers: { 'content-type': 'text/plain', 'content-length': '3' },
    });
    assert.deepEqual(
      queryOf(url).map(([name]) => name),
      [
        'A%20b',
        'X-Amz-Algorithm',
        'X-Amz-Content-Sha256',
        'X-Amz-Credential',
        'X-Amz-Date',
        'X-Amz-Expires',
        'X-Amz-Signature',
        'X-Amz-SignedHeaders',
        'x-id',
      ],
    );
    assert.equal(new Map(queryOf(url)).get('X-Amz-SignedHeaders'), 'content-length%3Bcontent-type%3Bhost');
    assert.equal(new Map(queryOf(url)).get('A%20b'), 'c%20d');
  });

  it('truncates the signing time to the second', () => {
    assert.equal(presignSigV4Query({ ...put, signingDate: new Date(NOW.getTime() + 999) }), presignSigV4Query(put));
  });
});

describe('presignSigV4Query: caller parameters among SigV4’s own', () => {
  it('signs a hand-written canonical request with a parameter in every gap, given unsorted', async () => {
    const request: SigV4QueryRequest = {
      ...withToken('tok/en'),
      query: [
        ['x-id', 'GetObject'],
        ['X-Amz-SignatureV', '7'],
        ['X-Amz-Sf', '6'],
        ['X-Amz-A', '0'],
        ['X-Amz-F', '5'],
        ['X-Amz-E', '4'],
        ['X-Amz-Cz', '3'],
        ['X-Amz-B', '1'],
        ['X-Amz-Signature2', '8'],
        ['A b', 'c d'],
      ],
    };
    const before =
      'A%20b=c%20d&X-Amz-A=0&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-B=1' +
      `&X-Amz-Credential=${EXAMPLE_CREDENTIALS.accessKeyId}%2F20260301%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Cz=3` +
      '&X-Amz-Date=20260301T120000Z&X-Amz-E=4&X-Amz-Expires=60&X-Amz-F=5' +
      '&X-Amz-Security-Token=tok%2Fen&X-Amz-Sf=6';
    const after = 'X-Amz-Signature2=8&X-Amz-SignatureV=7&X-Amz-SignedHeaders=host&x-id=GetObject';
    const canonicalRequest = [
      'GET',
      '/k',
      `${before}&${after}`,
      'host:b.s3.eu-west-1.amazonaws.com',
      '',
      'host',
      'UNSIGNED-PAYLOAD',
    ].join('\n');
    const stringToSign = [
      'AWS4-HMAC-SHA256',
      '20260301T120000Z',
      '20260301/eu-west-1/s3/aws4_request',
      createHash('sha256').update(canonicalRequest).digest('hex'),
    ].join('\n');
    let key = hmac(`AWS4${SECRET_KEY}`, '20260301');
    for (const part of ['eu-west-1', 's3', 'aws4_request']) key = hmac(key, part);
    const signature = hmac(key, stringToSign).toString('hex');

    const expected = `https://b.s3.eu-west-1.amazonaws.com/k?${before}&X-Amz-Signature=${signature}&${after}`;
    assert.equal(presignSigV4Query(request), expected);
    assert.equal(await sdkPresign(request), expected);
    // Same parameters given in order (and as a frozen array), same URL.
    const sorted = [...(request.query ?? [])].sort(([a], [b]) => (a < b ? -1 : 1));
    assert.equal(presignSigV4Query({ ...request, query: sorted }), expected);
    assert.equal(
      presignSigV4Query({ ...request, query: Object.freeze(sorted.map((p) => Object.freeze(p))) }),
      expected,
    );
  });

  // Names that sort, in turn: before X-Amz-Algorithm, between each pair of SigV4's own
  // parameters (the token's neighbours included), between X-Amz-Signature and
  // X-Amz-SignedHeaders, and after everything.
  const gaps = [
    '',
    'A',
    'X-Amz-A',
    'X-Amz-B',
    'X-Amz-Cz',
    'X-Amz-Dz',
    'X-Amz-E',
    'X-Amz-F',
    'X-Amz-S',
    'X-Amz-Security-Tokens',
    'X-Amz-Sf',
    'X-Amz-Signature2',
    'X-Amz-SignatureV',
    'X-Amz-Signf',
    'X-Amz-T',
    'x-id',
  ];

  for (const token of ['', 'FwoGZXIvYXdzEJr//token+/=']) {
    const request = token === '' ? base : withToken(token);
    const label = token === '' ? 'without a token' : 'with a token';

    it(`puts one parameter where the SDK does, in every gap, ${label}`, async () => {
      for (const name of gaps) await assertSameAsSdk({ ...request, query: [[name, 'v w']] }, name);
    });

    it(`puts two parameters where the SDK does, in every pair of gaps, ${label}`, async () => {
      for (const first of gaps) {
        for (const second of gaps) {
          if (first === second) continue;
          await assertSameAsSdk(
            {
              ...request,
              query: [
                [first, '1'],
                [second, '2'],
              ],
            },
            `${first} ${second}`,
          );
        }
      }
    });

    it(`puts every parameter where the SDK does, with signed headers, ${label}`, async () => {
      await assertSameAsSdk({
        ...request,
        method: 'PUT',
        query: [...gaps].reverse().map((name, i) => [name, `${i}`] as const),
        headers: { 'content-type': 'text/plain', 'content-length': '3' },
      });
    });
  }
});

describe('presignSigV4Query: memos', () => {
  it('re-reads a mutable array that changed since the last call', async () => {
    const query: Array<[string, string]> = [['x-id', 'GetObject']];
    await assertSameAsSdk({ ...base, query });
    query[0] = ['x-id', 'PutObject'];
    await assertSameAsSdk({ ...base, query });
    query.push(['A', 'b']);
    await assertSameAsSdk({ ...base, query });
  });

  it('re-reads a frozen array whose pairs are not all frozen', async () => {
    const pair: [string, string] = ['x-id', 'GetObject'];
    const query = Object.freeze([Object.freeze(['A', 'b'] as const), pair]);
    await assertSameAsSdk({ ...base, query });
    pair[1] = 'PutObject';
    await assertSameAsSdk({ ...base, query });
  });

  it('re-reads a mutable array of frozen pairs', async () => {
    const query: Array<readonly [string, string]> = [Object.freeze(['x-id', 'GetObject'] as const)];
    await assertSameAsSdk({ ...base, query });
    query[0] = Object.freeze(['x-id', 'PutObject'] as const);
    await assertSameAsSdk({ ...base, query });
  });

  it('signs the same deeply frozen array the same way every time', async () => {
    const query = Object.freeze([Object.freeze(['x-id', 'GetObject'] as const), Object.freeze(['A', 'b'] as const)]);
    const first = presignSigV4Query({ ...base, query });
    assert.equal(presignSigV4Query({ ...base, query }), first);
    assert.equal(first, await sdkPresign({ ...base, query }));
  });

  it('scopes each request to its own service, region, day and key, signed one after another', async () => {
    const requests: SigV4QueryRequest[] = [
      base,
      { ...base, service: 's3-object-lambda' },
      { ...base, service: 's3-object-lambda', region: 'us-east-1' },
      { ...base, service: 's3-object-lambda', region: 'us-east-1', signingDate: new Date('2026-03-02T12:00:00Z') },
      {
        ...base,
        service: 's3-object-lambda',
        region: 'us-east-1',
        signingDate: new Date('2026-03-02T12:00:00Z'),
        credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: SECRET_KEY },
      },
      base,
    ];
    for (const request of requests) {
      await assertSameAsSdk(request, JSON.stringify(request));
      await assertSameAsSdk(request, JSON.stringify(request));
    }
  });
});

describe('presignSigV4Query: headers', () => {
  it('folds header values as the SDK does, down to nothing for blanks alone', async () => {
    for (const value of ['\t', '\n', '\r\n', ' \t ', 'a\nb', 'a\r\n\tb', '  a  b  ', 'a\tb', 'a b', ' a', 'a ', '']) {
      await assertSameAsSdk({ ...base, headers: { 'content-type': value } }, JSON.stringify(value));
    }
    await assertSameAsSdk({ ...base, host: ' \tb.s3.eu-west-1.amazonaws.com\n' });
  });

  it('signs a line break inside a value as a space, a tab as well', () => {
    const spaced = presignSigV4Query({ ...base, headers: { 'content-type': 'a b' } });
    assert.equal(presignSigV4Query({ ...base, headers: { 'content-type': 'a\nb' } }), spaced);
    assert.equal(presignSigV4Query({ ...base, headers: { 'content-type': 'a\tb' } }), spaced);
    assert.notEqual(presignSigV4Query({ ...base, headers: { 'content-type': 'ab' } }), spaced);
    // Blanks alone sign as the empty value.
    const empty = presignSigV4Query({ ...base, headers: { 'content-type': '' } });
    assert.equal(presignSigV4Query({ ...base, headers: { 'content-type': '\t' } }), empty);
    assert.equal(presignSigV4Query({ ...base, headers: { 'content-type': '\r\n' } }), empty);
  });
});

describe('presignSigV4Query: refusals, with their messages', () => {
  it('refuses credentials without a string access key id or secret', () => {
    for (const credentials of [{ secretAccessKey: SECRET_KEY }, { accessKeyId: ACCESS_KEY }]) {
      assert.throws(
        () => presignSigV4Query({ ...base, credentials: credentials as unknown as AwsCredentialIdentity }),
        {
          name: 'TypeError',
          message: 'Resolved credential object is not valid',
        },
      );
    }
  });

  it('refuses an expiry beyond seven days', () => {
    assert.doesNotThrow(() => presignSigV4Query({ ...base, expiresIn: 604_800 }));
    for (const expiresIn of [604_801, Number.NaN]) {
      assert.throws(() => presignSigV4Query({ ...base, expiresIn }), {
        name: 'RangeError',
        message: 'SigV4 presigned URLs must expire within 604800 seconds',
      });
    }
  });

  it('refuses headers named host or not in lowercase', () => {
    for (const name of ['host', 'Host', 'Content-Type']) {
      assert.throws(() => presignSigV4Query({ ...base, headers: { 'content-length': '1', [name]: 'x' } }), {
        name: 'TypeError',
        message: `headers are named in lowercase and never host (it is always signed), got ${name}`,
      });
    }
  });

  it('refuses every parameter that signing adds, and nothing else', () => {
    // The names are those of a signed URL with a token, read back from it.
    const signed = presignSigV4Query(withToken('t'));
    const names = (signed.split('?')[1] ?? '').split('&').map((pair) => pair.slice(0, pair.indexOf('=')));
    assert.equal(names.length, 7);
    for (const name of names) {
      assert.throws(
        () =>
          presignSigV4Query({
            ...base,
            query: [
              ['a', '1'],
              [name, 'x'],
            ],
          }),
        {
          name: 'TypeError',
          message: `query parameter ${name} is added by signing`,
        },
      );
    }
    // The SDK leaves X-Amz-Signature out of the canonical query whatever the case of its name:
    // a caller's would go out unsigned, under another signature than the SDK's.
    for (const name of ['x-amz-signature', 'X-AMZ-SIGNATURE', 'x-Amz-Signature']) {
      assert.throws(() => presignSigV4Query({ ...base, query: [[name, 'x']] }), {
        name: 'TypeError',
        message: `query parameter ${name} is added by signing`,
      });
    }
    // Close to them, or empty, is the caller's.
    for (const name of ['', 'x-amz-date', 'X-Amz-Dat', 'X-Amz-Signatures', 'X-Amz-SignedHeader']) {
      assert.doesNotThrow(() => presignSigV4Query({ ...base, query: [[name, 'x']] }), name);
    }
  });

  it('refuses a parameter given twice, in order or not', () => {
    for (const query of [
      [
        ['a', '1'],
        ['a', '2'],
      ],
      [
        ['b', '1'],
        ['a', '1'],
        ['c', '1'],
        ['a', '2'],
      ],
    ] as const) {
      assert.throws(() => presignSigV4Query({ ...base, query }), {
        name: 'TypeError',
        message: 'query parameter a is given twice',
      });
    }
  });
});
