// The fast engine's route per bucket (src/presign/s3-route.ts) on the edge cases of the SDK's
// own S3 customisations (resolveParamsForS3, the bucket-name middleware, the client-wide
// endpoint parameters): for each crafted bucket and endpoint mode, the fast engine signs the
// same URL as getSignedUrl or refuses with the same message, without delegating; and what the
// resolver returns where the SDK cannot tell.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';

import { parseBucket } from '../../../src/endpoint/bucket-name.js';
import type { EndpointMode } from '../../../src/endpoint/endpoint-mode.js';
import { createPinnedS3, type PinnedS3 } from '../../../src/endpoint/s3-client.js';
import { FastSigner } from '../../../src/presign/fast-signer.js';
import { DELEGATE, S3RouteResolver, type RouteEntry } from '../../../src/presign/s3-route.js';
import { SdkSigner } from '../../../src/presign/sdk-signer.js';
import type { SigningRequest, UrlSigner } from '../../../src/presign/url-signer.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';
import { ACCELERATE, customMode, INTERFACE, localMode, REGIONAL, regionalMode } from '../../fixtures/endpoint-modes.js';

const NOW = new Date('2026-03-01T12:00:00Z');

class DelegationError extends Error {}
/** Every bucket here is the fast engine's own to sign or refuse: delegating would make equality trivial. */
const noDelegation: UrlSigner = {
  engine: 'sdk',
  sign: async () => {
    throw new DelegationError('the fast engine delegated to the SDK');
  },
};

const destroyables: Array<{ destroy(): void }> = [];
after(() => {
  for (const item of destroyables) item.destroy();
});

const MODES: Record<string, EndpointMode> = {
  regional: REGIONAL,
  'regional path-style': regionalMode('eu-west-1', { pathStyle: true }),
  accelerate: ACCELERATE,
  interface: INTERFACE,
  'custom https': customMode('https://storage.example.com'),
  'custom http': customMode('http://minio.internal:9000'),
  local: localMode(9000),
};

/**
 * The mode's pinned clients without createPinnedS3's bucket-name check (which refuses `#`,
 * `?`, `/` and malformed ARNs before any signer sees them): the route resolver and getSignedUrl
 * must still agree on whatever bucket they are handed.
 */
function unchecked(mode: EndpointMode): PinnedS3 {
  const s3 = createPinnedS3(mode, async () => EXAMPLE_CREDENTIALS);
  destroyables.push(s3);
  return {
    clientFor: (bucket) => {
      try {
        return s3.clientFor(bucket);
      } catch {
        return s3.clientFor('any-bucket');
      }
    },
    destroy: () => undefined,
  };
}

function over(s3: PinnedS3): { fast: FastSigner; sdk: SdkSigner; routes: S3RouteResolver } {
  return {
    fast: new FastSigner(s3, { fallback: noDelegation }),
    sdk: new SdkSigner(s3),
    routes: new S3RouteResolver(s3),
  };
}

function clientOnly(config: S3ClientConfig): PinnedS3 {
  const client = new S3Client({ credentials: EXAMPLE_CREDENTIALS, ...config });
  destroyables.push(client);
  return { clientFor: () => client, destroy: () => undefined };
}

const MODELLED: S3ClientConfig = {
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  ignoreConfiguredEndpointUrls: true,
};

const request = (bucket: string): SigningRequest => ({
  operation: 'get',
  bucket,
  key: 'k.txt',
  expiresIn: 60,
  signingDate: NOW,
  headers: {},
  credentials: EXAMPLE_CREDENTIALS,
});

type Outcome = { url: string } | { refused: string };

async function outcome(sign: () => string | Promise<string>): Promise<Outcome> {
  try {
    return { url: await sign() };
  } catch (error) {
    if (error instanceof DelegationError) throw error;
    return { refused: (error as Error).message };
  }
}

async function route(routes: S3RouteResolver, bucket: string): Promise<RouteEntry | string> {
  try {
    return await routes.resolve(bucket);
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

// 71 characters of host labels: too long for one, fine as two under http.
const LONG_DOTTED = `${'a'.repeat(30)}.${'b'.repeat(40)}`;

const BUCKETS = [
  'abc',
  'a.b',
  'abc.def',
  '192.168.5.4',
  '100.100.100.100',
  '1.2.3.4x',
  'my..bucket',
  'MyBucket',
  'ab',
  'a_bc',
  '-abc',
  'abc-',
  LONG_DOTTED,
  'a#b',
  'a?b',
  'a/b',
  'arn:aws:s3',
  'x:y:z:a:b:c',
  'x::z:a:b:c',
  'a:b:c:d:e:f/g',
  'arn::s3:us-east-1:123456789012:accesspoint/x',
  'arn:aws::us-east-1:123456789012:accesspoint/x',
  'arn:aws:s3:us-east-1:123456789012:',
  'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap',
  'arn:aws:s3:us-east-1:123456789012:accesspoint:my-ap',
  'arn:aws:s3:eu-west-1:123456789012:accesspoint/my-ap',
  'arn:aws:s3:us-east-1:123456789012:accesspoint/ap--x-s3',
  'arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap',
];

describe('s3-route: the SDK’s bucket customisations, bucket by bucket', () => {
  for (const [name, mode] of Object.entries(MODES)) {
    it(`${name}: fast and sdk sign the same URL or refuse with the same message`, async () => {
      const { fast, sdk } = over(unchecked(mode));
      let signed = 0;
      for (const bucket of BUCKETS) {
        const fromFast = await outcome(() => fast.sign(request(bucket)));
        const fromSdk = await outcome(() => sdk.sign(request(bucket)));
        assert.deepEqual(fromFast, fromSdk, bucket);
        if ('url' in fromFast) signed++;
      }
      // Both refusing everything would also be "equal".
      assert.ok(signed > 0, `no bucket signed in ${name}`);
    });
  }

  it('forces path-style for what is not a DNS name, as the SDK does, even where the rules would not', async () => {
    const { routes } = over(unchecked(MODES['custom http'] as EndpointMode));
    const pathStyle = (bucket: string) => ({
      origin: 'http://minio.internal:9000',
      host: 'minio.internal:9000',
      pathPrefix: `/${bucket}`,
      signingRegion: 'us-east-1',
      signingService: 's3',
    });
    // Over http the rules would put either name in the host: four labels of three digits, and
    // two labels making 71 characters. The SDK's IP-address and DNS-name checks keep them in the path.
    assert.deepEqual(await route(routes, '100.100.100.100'), pathStyle('100.100.100.100'));
    assert.deepEqual(await route(routes, LONG_DOTTED), pathStyle(LONG_DOTTED));
    assert.deepEqual(await route(routes, 'abc.def'), {
      origin: 'http://abc.def.minio.internal:9000',
      host: 'abc.def.minio.internal:9000',
      pathPrefix: '',
      signingRegion: 'us-east-1',
      signingService: 's3',
    });
    // `#` and `?` are escaped before the rules encode the bucket, hence encoded twice.
    assert.deepEqual(await route(routes, 'a#b'), pathStyle('a%2523b'));
    assert.deepEqual(await route(routes, 'a?b'), pathStyle('a%253Fb'));
  });

  it('refuses as the SDK does, with its messages', async () => {
    const { routes } = over(unchecked(MODES['regional path-style'] as EndpointMode));
    assert.equal(await route(routes, 'a/b'), "refused: Bucket name shouldn't contain '/', received 'a/b'");
    for (const arn of [
      'arn::s3:us-east-1:123456789012:accesspoint/x',
      'arn:aws::us-east-1:123456789012:accesspoint/x',
      'arn:aws:s3:us-east-1:123456789012:',
    ]) {
      assert.equal(await route(routes, arn), `refused: Invalid ARN: ${arn} was an invalid ARN.`);
    }
    assert.equal(
      await route(routes, 'arn:aws:s3:eu-west-1:123456789012:accesspoint/ap--x-s3'),
      'refused: Path-style addressing cannot be used with ARN buckets',
    );
    // Not an ARN (the rules' own refusal), and not ARN-like at all (signed path-style).
    assert.equal(await route(routes, 'arn:aws:s3'), 'refused: Invalid ARN: `arn:aws:s3` was not a valid ARN');
    assert.deepEqual(await route(routes, 'x::z:a:b:c'), {
      origin: 'https://s3.eu-west-1.amazonaws.com',
      host: 's3.eu-west-1.amazonaws.com',
      pathPrefix: '/x%3A%3Az%3Aa%3Ab%3Ac',
      signingRegion: 'eu-west-1',
      signingService: 's3',
    });
  });
});

describe('s3-route: the client-wide parameters', () => {
  it('leaves a client to the SDK unless both checksum settings are WHEN_REQUIRED', async () => {
    for (const checksums of [
      { requestChecksumCalculation: 'WHEN_SUPPORTED', responseChecksumValidation: 'WHEN_REQUIRED' },
      { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_SUPPORTED' },
    ] as const) {
      const routes = new S3RouteResolver(clientOnly({ ...MODELLED, region: 'eu-west-1', ...checksums }));
      assert.equal(await routes.resolve('my-bucket'), DELEGATE, JSON.stringify(checksums));
    }
  });

  it('leaves a client to the SDK when an environment or profile could give its endpoint', async () => {
    const routes = new S3RouteResolver(
      clientOnly({ ...MODELLED, region: 'eu-west-1', ignoreConfiguredEndpointUrls: false }),
    );
    assert.equal(await routes.resolve('my-bucket'), DELEGATE);
  });

  it('signs itself for a client whose own endpoint wins over any configured one', async () => {
    const s3 = clientOnly({
      ...MODELLED,
      region: 'us-east-1',
      endpoint: 'https://storage.example.com',
      ignoreConfiguredEndpointUrls: false,
    });
    const { fast, sdk } = over(s3);
    const url = await fast.sign(request('my-bucket'));
    assert.equal(url, await sdk.sign(request('my-bucket')));
    assert.ok(url.startsWith('https://my-bucket.storage.example.com/k.txt?'), url);
  });

  it('reads a client-context parameter from clientContextParams first, as the SDK does', async () => {
    // S3 Express without session auth is plain SigV4 for `s3express`: the fast engine's own.
    const s3 = clientOnly({
      ...MODELLED,
      region: 'us-east-1',
      clientContextParams: { disableS3ExpressSessionAuth: true },
    });
    const { fast, sdk, routes } = over(s3);
    const bucket = 'my-bucket--use1-az4--x-s3';
    assert.deepEqual(await routes.resolve(bucket), {
      origin: 'https://my-bucket--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com',
      host: 'my-bucket--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com',
      pathPrefix: '',
      signingRegion: 'us-east-1',
      signingService: 's3express',
    });
    assert.equal(await fast.sign(request(bucket)), await sdk.sign(request(bucket)));
  });

  it('reads the client’s settings once per client, not once per bucket', async () => {
    let reads = 0;
    const s3 = clientOnly({
      ...MODELLED,
      region: 'eu-west-1',
      requestChecksumCalculation: async () => (reads++, 'WHEN_REQUIRED'),
    });
    const routes = new S3RouteResolver(s3);
    await routes.resolve('bucket-one');
    await routes.resolve('bucket-two');
    assert.equal(reads, 1);
  });

  it('refuses an SDK whose GetObject, PutObject and UploadPart resolve endpoints differently', async () => {
    for (const command of [PutObjectCommand, UploadPartCommand]) {
      const own = Object.getOwnPropertyDescriptor(command, 'getEndpointParameterInstructions');
      const original = command.getEndpointParameterInstructions;
      command.getEndpointParameterInstructions = () => ({
        ...original(),
        ForcePathStyle: { type: 'staticContextParams', value: true },
      });
      try {
        const routes = new S3RouteResolver(clientOnly({ ...MODELLED, region: 'eu-west-1' }));
        await assert.rejects(routes.resolve('my-bucket'), {
          message: 'GetObject, PutObject and UploadPart resolve endpoints differently in this SDK version',
        });
      } finally {
        if (own) Object.defineProperty(command, 'getEndpointParameterInstructions', own);
        else delete (command as { getEndpointParameterInstructions?: unknown }).getEndpointParameterInstructions;
      }
    }
    // Restored: the same client resolves again.
    const routes = new S3RouteResolver(clientOnly({ ...MODELLED, region: 'eu-west-1' }));
    assert.notEqual(await routes.resolve('my-bucket'), DELEGATE);
  });
});

// None of these is a client createPinnedS3 makes: the resolver is held to the SDK for any
// S3Client it is handed.
type EndpointProvider = NonNullable<S3ClientConfig['endpointProvider']>;
/** A provider that answers `result`: the rule set's shape, which the SDK's own types do not spell. */
const answering =
  (result: object): EndpointProvider =>
  () =>
    result as ReturnType<EndpointProvider>;
const SIGV4 = { name: 'sigv4', signingName: 's3', signingRegion: 'eu-west-1' };

describe('s3-route: any client’s endpoint settings, as the SDK reads them', () => {
  it('signs as the SDK does for an endpoint given as a string, a provider, an Endpoint or an EndpointV2, or empty', async () => {
    const endpoints: Record<string, S3ClientConfig['endpoint']> = {
      string: 'https://storage.example.com/base',
      provider: async () => ({ url: new URL('https://storage.example.com/base') }),
      Endpoint: { protocol: 'https:', hostname: 'storage.example.com', path: '/base' },
      EndpointV2: { url: new URL('https://storage.example.com/base') },
      // Read by its host name, whatever other keys it carries (even one named '').
      'Endpoint with other keys': {
        protocol: 'https:',
        hostname: 'storage.example.com',
        path: '/base',
        ...{ '': 'x', query: {} },
      },
      // Not a custom endpoint at all (isCustomEndpoint is false), though the client's
      // endpoint provider would throw on the empty URL if asked.
      empty: '',
    };
    for (const [name, endpoint] of Object.entries(endpoints)) {
      const { fast, sdk } = over(clientOnly({ ...MODELLED, region: 'eu-west-1', endpoint }));
      const url = await fast.sign(request('my-bucket'));
      assert.equal(url, await sdk.sign(request('my-bucket')), name);
      const expected =
        name === 'empty'
          ? 'https://my-bucket.s3.eu-west-1.amazonaws.com/k.txt?'
          : 'https://my-bucket.storage.example.com/base/k.txt?';
      assert.ok(url.startsWith(expected), `${name}: ${url}`);
    }
  });

  it('refuses as the SDK does an Endpoint object without a host name', async (t) => {
    // The SDK hands the object itself to the rules, which refuse it (and say so on the console).
    t.mock.method(console, 'error', () => undefined);
    const endpoint = { protocol: 'https:', path: '/' } as unknown as S3ClientConfig['endpoint'];
    const { fast, sdk } = over(clientOnly({ ...MODELLED, region: 'eu-west-1', endpoint }));
    const refusal = { refused: 'Custom endpoint `[object Object]` was not a valid URI' };
    assert.deepEqual(await outcome(() => sdk.sign(request('my-bucket'))), refusal);
    assert.deepEqual(await outcome(() => fast.sign(request('my-bucket'))), refusal);
  });

  it('reads clientContextParams for client-context parameters only, never for built-in ones (region, FIPS)', async () => {
    for (const clientContextParams of [{ region: 'us-west-2' }, { useFipsEndpoint: true }]) {
      const { fast, sdk, routes } = over(
        clientOnly({ ...MODELLED, region: 'eu-west-1', clientContextParams } as S3ClientConfig),
      );
      assert.deepEqual(await routes.resolve('my-bucket'), {
        origin: 'https://my-bucket.s3.eu-west-1.amazonaws.com',
        host: 'my-bucket.s3.eu-west-1.amazonaws.com',
        pathPrefix: '',
        signingRegion: 'eu-west-1',
        signingService: 's3',
      });
      assert.equal(await fast.sign(request('my-bucket')), await sdk.sign(request('my-bucket')));
    }
  });

  it('takes a custom endpoint provider’s plain SigV4 result, host and path, for its own', async () => {
    const s3 = clientOnly({
      ...MODELLED,
      region: 'eu-west-1',
      endpointProvider: answering({
        url: new URL('https://storage.example.com/base'),
        properties: { authSchemes: [{ ...SIGV4, signingRegion: 'eu-west-2' }] },
      }),
    });
    const { fast, sdk, routes } = over(s3);
    assert.deepEqual(await routes.resolve('my-bucket'), {
      origin: 'https://storage.example.com',
      host: 'storage.example.com',
      pathPrefix: '/base',
      signingRegion: 'eu-west-2',
      signingService: 's3',
    });
    assert.equal(await fast.sign(request('my-bucket')), await sdk.sign(request('my-bucket')));
  });

  it('hands a custom endpoint provider what the SDK hands it: the same parameters but Key (a route is per bucket), and the client’s logger', async () => {
    const settings: Record<string, S3ClientConfig> = {
      https: {},
      http: { endpoint: 'http://storage.example.com' },
      'path-style': { forcePathStyle: true },
      'MRAP disabled': { disableMultiregionAccessPoints: true },
    };
    for (const [name, setting] of Object.entries(settings)) {
      const calls: Array<{ params: Record<string, unknown>; context: { logger?: unknown } | undefined }> = [];
      const client = new S3Client({
        credentials: EXAMPLE_CREDENTIALS,
        ...MODELLED,
        region: 'eu-west-1',
        ...setting,
        endpointProvider: (params, context) => {
          calls.push({ params: { ...params }, context });
          return answering({ url: new URL('https://storage.example.com/'), properties: { authSchemes: [SIGV4] } })(
            params,
          );
        },
      });
      destroyables.push(client);
      const s3: PinnedS3 = { clientFor: () => client, destroy: () => undefined };
      for (const bucket of ['my-bucket', 'my.dotted.bucket', 'MyBucket']) {
        calls.length = 0;
        await new S3RouteResolver(s3).resolve(bucket);
        const [fromResolver] = calls;
        assert.ok(fromResolver, `${name}, ${bucket}: the resolver asked the provider`);
        assert.equal(fromResolver.context?.logger, client.config.logger, `${name}, ${bucket}: logger`);
        await new SdkSigner(s3).sign(request(bucket));
        const sdkCalls = calls.slice(1);
        assert.ok(sdkCalls.length > 0, `${name}, ${bucket}: the SDK asked the provider`);
        for (const call of sdkCalls) {
          const { Key, ...params } = call.params;
          assert.equal(Key, 'k.txt');
          assert.deepStrictEqual(fromResolver.params, params, `${name}, ${bucket}`);
        }
      }
    }
  });

  it('leaves to the SDK a custom endpoint provider’s result that is more than a SigV4 host and path', async () => {
    const results: Record<string, object> = {
      'no properties': { url: new URL('https://storage.example.com/') },
      'no auth schemes': { url: new URL('https://storage.example.com/'), properties: { authSchemes: [] } },
      'SigV4a first': {
        url: new URL('https://storage.example.com/'),
        properties: { authSchemes: [{ name: 'sigv4a', signingName: 's3', signingRegionSet: ['*'] }, SIGV4] },
      },
      'no signing name': {
        url: new URL('https://storage.example.com/'),
        properties: { authSchemes: [{ name: 'sigv4', signingRegion: 'eu-west-1' }] },
      },
      'no signing region': {
        url: new URL('https://storage.example.com/'),
        properties: { authSchemes: [{ name: 'sigv4', signingName: 's3' }] },
      },
      headers: {
        url: new URL('https://storage.example.com/'),
        properties: { authSchemes: [SIGV4] },
        headers: { 'x-amz-route': ['a'] },
      },
      query: { url: new URL('https://storage.example.com/?route=a'), properties: { authSchemes: [SIGV4] } },
      fragment: { url: new URL('https://storage.example.com/#a'), properties: { authSchemes: [SIGV4] } },
      'user name': { url: new URL('https://user@storage.example.com/'), properties: { authSchemes: [SIGV4] } },
      password: { url: new URL('https://:secret@storage.example.com/'), properties: { authSchemes: [SIGV4] } },
    };
    for (const [name, result] of Object.entries(results)) {
      const routes = new S3RouteResolver(
        clientOnly({ ...MODELLED, region: 'eu-west-1', endpointProvider: answering(result) }),
      );
      assert.equal(await routes.resolve('my-bucket'), DELEGATE, name);
    }
  });

  it('applies a staticContextParams instruction, which GetObject, PutObject and UploadPart may carry in another SDK version', async () => {
    const commands = [GetObjectCommand, PutObjectCommand, UploadPartCommand];
    const originals = commands.map((command) => ({
      command,
      own: Object.getOwnPropertyDescriptor(command, 'getEndpointParameterInstructions'),
      original: command.getEndpointParameterInstructions,
    }));
    for (const { command, original } of originals) {
      command.getEndpointParameterInstructions = () => ({
        ...original(),
        ForcePathStyle: { type: 'staticContextParams', value: true },
      });
    }
    try {
      const routes = new S3RouteResolver(clientOnly({ ...MODELLED, region: 'eu-west-1' }));
      assert.deepEqual(await routes.resolve('my-bucket'), {
        origin: 'https://s3.eu-west-1.amazonaws.com',
        host: 's3.eu-west-1.amazonaws.com',
        pathPrefix: '/my-bucket',
        signingRegion: 'eu-west-1',
        signingService: 's3',
      });
    } finally {
      for (const { command, own } of originals) {
        if (own) Object.defineProperty(command, 'getEndpointParameterInstructions', own);
        else delete (command as { getEndpointParameterInstructions?: unknown }).getEndpointParameterInstructions;
      }
    }
  });
});

// parseBucket is what keeps `#`, `?`, `/` and malformed ARNs from the service's own signers.
it('the service’s bucket check refuses what only the unchecked clients above let through', () => {
  for (const bucket of ['a#b', 'a?b', 'a/b', 'x:y:z:a:b:c', 'arn::s3:us-east-1:123456789012:accesspoint/x']) {
    assert.throws(() => parseBucket(bucket), bucket);
  }
});
