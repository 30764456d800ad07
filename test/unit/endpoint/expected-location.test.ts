// expectedLocation(mode, bucket): the host and path prefix the validator holds every URL to.
// Expected values are written out from AWS's S3 endpoint rules (and the endpoint-rule test
// vectors in ../shared/conformance), never computed with the code under test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EndpointMode } from '../../../src/endpoint/endpoint-mode.js';
import {
  BucketAddressError,
  expectedLocation,
  isLegacyGlobalHost,
  modeHosts,
  type ExpectedLocation,
} from '../../../src/endpoint/expected-location.js';
import {
  accelerateMode,
  customMode,
  interfaceMode,
  localMode,
  regionalMode,
  vpceDnsName,
} from '../../fixtures/endpoint-modes.js';

const VPCE = vpceDnsName('us-east-1');

const regional = regionalMode;
const iface = (options: { pathStyle?: boolean; region?: string; vpce?: string } = {}): EndpointMode =>
  interfaceMode(options.region ?? 'us-east-1', options);
const accelerate = (options: { dualstack?: boolean; region?: string } = {}): EndpointMode =>
  accelerateMode(options.region ?? 'us-east-1', options);
const custom = customMode;
const local = (port = 4568, region?: string): EndpointMode => localMode(port, region);
/** A custom mode on the legacy global endpoint: loadConfig refuses it, so it is built by hand. */
const globalCustom = (endpoint: string, options: { pathStyle?: boolean } = {}): EndpointMode => ({
  kind: 'custom',
  region: 'us-east-1',
  endpoint: new URL(endpoint),
  forcePathStyle: options.pathStyle ?? false,
});

function expectLocation(mode: EndpointMode, bucket: string, expected: ExpectedLocation): void {
  assert.deepEqual(expectedLocation(mode, bucket), expected);
}

const vh = (host: string, signingRegion: string, pathPrefix = '', protocol: 'https:' | 'http:' = 'https:') =>
  ({ protocol, host, pathPrefix, addressing: 'virtual-hosted', signingRegion }) as const;
const ps = (host: string, pathPrefix: string, signingRegion: string, protocol: 'https:' | 'http:' = 'https:') =>
  ({ protocol, host, pathPrefix, addressing: 'path-style', signingRegion }) as const;
const ap = (host: string, signingRegion: string, pathPrefix = '', protocol: 'https:' | 'http:' = 'https:') =>
  ({ protocol, host, pathPrefix, addressing: 'access-point', signingRegion }) as const;

describe('expectedLocation: regional mode', () => {
  it('virtual-hosted on the regional name', () => {
    expectLocation(regional('eu-west-1'), 'my-bucket', vh('my-bucket.s3.eu-west-1.amazonaws.com', 'eu-west-1'));
  });

  it('us-east-1 uses its regional name, never s3.amazonaws.com', () => {
    expectLocation(regional('us-east-1'), 'my-bucket', vh('my-bucket.s3.us-east-1.amazonaws.com', 'us-east-1'));
  });

  it('FIPS', () => {
    expectLocation(
      regional('us-east-1', { fips: true }),
      'my-bucket',
      vh('my-bucket.s3-fips.us-east-1.amazonaws.com', 'us-east-1'),
    );
  });

  it('dual-stack', () => {
    expectLocation(
      regional('eu-west-1', { dualstack: true }),
      'my-bucket',
      vh('my-bucket.s3.dualstack.eu-west-1.amazonaws.com', 'eu-west-1'),
    );
  });

  it('FIPS and dual-stack', () => {
    expectLocation(
      regional('us-east-1', { fips: true, dualstack: true }),
      'my-bucket',
      vh('my-bucket.s3-fips.dualstack.us-east-1.amazonaws.com', 'us-east-1'),
    );
  });

  it('China uses .amazonaws.com.cn (plain and dual-stack)', () => {
    expectLocation(regional('cn-north-1'), 'my-bucket', vh('my-bucket.s3.cn-north-1.amazonaws.com.cn', 'cn-north-1'));
    expectLocation(
      regional('cn-northwest-1', { dualstack: true }),
      'my-bucket',
      vh('my-bucket.s3.dualstack.cn-northwest-1.amazonaws.com.cn', 'cn-northwest-1'),
    );
    expectLocation(
      regional('cn-north-1', { pathStyle: true }),
      'my-bucket',
      ps('s3.cn-north-1.amazonaws.com.cn', '/my-bucket', 'cn-north-1'),
    );
  });

  it('GovCloud, plain and FIPS', () => {
    expectLocation(
      regional('us-gov-west-1'),
      'my-bucket',
      vh('my-bucket.s3.us-gov-west-1.amazonaws.com', 'us-gov-west-1'),
    );
    expectLocation(
      regional('us-gov-east-1', { fips: true }),
      'my-bucket',
      vh('my-bucket.s3-fips.us-gov-east-1.amazonaws.com', 'us-gov-east-1'),
    );
  });

  it('dotted bucket goes path-style over https (the wildcard certificate cannot cover it)', () => {
    expectLocation(
      regional('eu-west-1'),
      'my.dotted.bucket',
      ps('s3.eu-west-1.amazonaws.com', '/my.dotted.bucket', 'eu-west-1'),
    );
    expectLocation(
      regional('us-gov-west-1', { fips: true }),
      'bucket.with.dots',
      ps('s3-fips.us-gov-west-1.amazonaws.com', '/bucket.with.dots', 'us-gov-west-1'),
    );
  });

  for (const bucket of ['MyBucket', 'my_bucket', '99a_b', 'ab', '192.168.1.1', 'a'.repeat(64)]) {
    it(`bucket "${bucket.length > 20 ? `${bucket.slice(0, 8)}…(${bucket.length})` : bucket}" is not a DNS label: path-style`, () => {
      expectLocation(regional('us-west-2'), bucket, ps('s3.us-west-2.amazonaws.com', `/${bucket}`, 'us-west-2'));
    });
  }

  it('forcePathStyle, plain, FIPS and dual-stack', () => {
    expectLocation(
      regional('eu-west-1', { pathStyle: true }),
      'my-bucket',
      ps('s3.eu-west-1.amazonaws.com', '/my-bucket', 'eu-west-1'),
    );
    expectLocation(
      regional('us-east-1', { pathStyle: true, fips: true, dualstack: true }),
      'my-bucket',
      ps('s3-fips.dualstack.us-east-1.amazonaws.com', '/my-bucket', 'us-east-1'),
    );
    expectLocation(
      regional('us-east-1', { pathStyle: true, dualstack: true }),
      'my-bucket',
      ps('s3.dualstack.us-east-1.amazonaws.com', '/my-bucket', 'us-east-1'),
    );
  });

  it('access-point ARN in the accesspoint/NAME form', () => {
    expectLocation(
      regional('eu-west-1'),
      'arn:aws:s3:eu-west-1:123456789012:accesspoint/my-ap',
      ap('my-ap-123456789012.s3-accesspoint.eu-west-1.amazonaws.com', 'eu-west-1'),
    );
  });

  it('access-point ARN in the accesspoint:NAME form', () => {
    expectLocation(
      regional('us-west-2'),
      'arn:aws:s3:us-west-2:123456789012:accesspoint:myendpoint',
      ap('myendpoint-123456789012.s3-accesspoint.us-west-2.amazonaws.com', 'us-west-2'),
    );
  });

  it('access-point ARN with FIPS, dual-stack and both', () => {
    const arn = 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap';
    expectLocation(
      regional('us-east-1', { fips: true }),
      arn,
      ap('my-ap-123456789012.s3-accesspoint-fips.us-east-1.amazonaws.com', 'us-east-1'),
    );
    expectLocation(
      regional('us-east-1', { dualstack: true }),
      arn,
      ap('my-ap-123456789012.s3-accesspoint.dualstack.us-east-1.amazonaws.com', 'us-east-1'),
    );
    expectLocation(
      regional('us-east-1', { fips: true, dualstack: true }),
      arn,
      ap('my-ap-123456789012.s3-accesspoint-fips.dualstack.us-east-1.amazonaws.com', 'us-east-1'),
    );
  });

  it('access-point ARN in China', () => {
    expectLocation(
      regional('cn-north-1'),
      'arn:aws-cn:s3:cn-north-1:123456789012:accesspoint:myendpoint',
      ap('myendpoint-123456789012.s3-accesspoint.cn-north-1.amazonaws.com.cn', 'cn-north-1'),
    );
  });
});

describe('expectedLocation: interface mode (PrivateLink)', () => {
  it('virtual-hosted: BUCKET.bucket.vpce-….', () => {
    expectLocation(
      iface(),
      'my-bucket',
      vh('my-bucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com', 'us-east-1'),
    );
  });

  it('path-style: bucket.vpce-… + /BUCKET', () => {
    expectLocation(
      iface({ pathStyle: true }),
      'my-bucket',
      ps('bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com', '/my-bucket', 'us-east-1'),
    );
  });

  it('dotted bucket goes path-style on the bucket.vpce-… name', () => {
    expectLocation(
      iface(),
      'my.dotted.bucket',
      ps('bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com', '/my.dotted.bucket', 'us-east-1'),
    );
  });

  it('access points: NAME-ACCOUNT.accesspoint.vpce-…', () => {
    const expected = ap(
      'my-ap-123456789012.accesspoint.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
      'us-east-1',
    );
    expectLocation(iface(), 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap', expected);
    expectLocation(iface(), 'arn:aws:s3:us-east-1:123456789012:accesspoint:my-ap', expected);
  });

  it('China interface endpoint keeps its .amazonaws.com.cn name', () => {
    expectLocation(
      iface({ region: 'cn-north-1', vpce: 'vpce-0abc-def1.s3.cn-north-1.vpce.amazonaws.com.cn' }),
      'my-bucket',
      vh('my-bucket.bucket.vpce-0abc-def1.s3.cn-north-1.vpce.amazonaws.com.cn', 'cn-north-1'),
    );
  });
});

describe('expectedLocation: accelerate mode', () => {
  it('plain', () => {
    expectLocation(accelerate(), 'my-bucket', vh('my-bucket.s3-accelerate.amazonaws.com', 'us-east-1'));
  });

  it('dual-stack', () => {
    expectLocation(
      accelerate({ dualstack: true }),
      'my-bucket',
      vh('my-bucket.s3-accelerate.dualstack.amazonaws.com', 'us-east-1'),
    );
  });

  it('signs for the pinned region, whichever it is', () => {
    expectLocation(
      accelerate({ region: 'eu-west-1' }),
      'my-bucket',
      vh('my-bucket.s3-accelerate.amazonaws.com', 'eu-west-1'),
    );
  });
});

describe('expectedLocation: custom mode', () => {
  it('virtual-hosted with a port', () => {
    expectLocation(
      custom('https://minio.internal:9000'),
      'my-bucket',
      vh('my-bucket.minio.internal:9000', 'us-east-1'),
    );
  });

  it('the scheme default port is not part of the host', () => {
    expectLocation(custom('https://minio.internal:443'), 'my-bucket', vh('my-bucket.minio.internal', 'us-east-1'));
  });

  it('path-style with a port', () => {
    expectLocation(
      custom('https://minio.internal:9000', { pathStyle: true }),
      'my-bucket',
      ps('minio.internal:9000', '/my-bucket', 'us-east-1'),
    );
  });

  it('with a base path, virtual-hosted and path-style (trailing slash or not)', () => {
    for (const endpoint of ['https://gw.example.com/s3', 'https://gw.example.com/s3/']) {
      expectLocation(custom(endpoint), 'my-bucket', vh('my-bucket.gw.example.com', 'us-east-1', '/s3'));
      expectLocation(
        custom(endpoint, { pathStyle: true }),
        'my-bucket',
        ps('gw.example.com', '/s3/my-bucket', 'us-east-1'),
      );
    }
  });

  it('with an IPv4 host: always path-style', () => {
    expectLocation(custom('https://10.0.0.5:9000'), 'my-bucket', ps('10.0.0.5:9000', '/my-bucket', 'us-east-1'));
    expectLocation(custom('https://123.123.0.1'), 'bucketname', ps('123.123.0.1', '/bucketname', 'us-east-1'));
  });

  it('a host name that merely contains an IPv4 address is a name: virtual-hosted', () => {
    expectLocation(
      custom('https://10.0.0.5.nip.io:9000'),
      'my-bucket',
      vh('my-bucket.10.0.0.5.nip.io:9000', 'us-east-1'),
    );
    expectLocation(
      custom('https://s3-10.0.0.5.example.com'),
      'my-bucket',
      vh('my-bucket.s3-10.0.0.5.example.com', 'us-east-1'),
    );
  });

  it('with an IPv6 host: always path-style', () => {
    expectLocation(custom('https://[fd00::5]:9000'), 'my-bucket', ps('[fd00::5]:9000', '/my-bucket', 'us-east-1'));
  });

  it('http with a dotted bucket: virtual-hosted (no certificate to break)', () => {
    expectLocation(
      custom('http://example.com'),
      'bucket.name',
      vh('bucket.name.example.com', 'us-east-1', '', 'http:'),
    );
    expectLocation(
      custom('http://minio.internal:9000'),
      'logs.example.bucket',
      vh('logs.example.bucket.minio.internal:9000', 'us-east-1', '', 'http:'),
    );
  });

  it('https with a dotted bucket: path-style', () => {
    expectLocation(
      custom('https://minio.internal:9000'),
      'logs.example.bucket',
      ps('minio.internal:9000', '/logs.example.bucket', 'us-east-1'),
    );
  });

  it('path-style percent-encodes the bucket the way S3 does', () => {
    expectLocation(
      custom('https://minio.internal', { pathStyle: true }),
      'My_Bucket',
      ps('minio.internal', '/My_Bucket', 'us-east-1'),
    );
  });

  it('signs for the configured region label', () => {
    expectLocation(
      custom('https://r2.example.com', { region: 'auto' }),
      'my-bucket',
      vh('my-bucket.r2.example.com', 'auto'),
    );
  });

  it('access points in the pinned region: NAME-ACCOUNT.ENDPOINT (with port and base path)', () => {
    expectLocation(
      custom('https://beta.example.com', { region: 'us-west-2' }),
      'arn:aws:s3:us-west-2:123456789012:accesspoint:myendpoint',
      ap('myendpoint-123456789012.beta.example.com', 'us-west-2'),
    );
    expectLocation(
      custom('http://beta.example.com:1234/path', { region: 'us-west-2' }),
      'arn:aws:s3:us-west-2:123456789012:accesspoint:myendpoint',
      ap('myendpoint-123456789012.beta.example.com:1234', 'us-west-2', '/path', 'http:'),
    );
  });
});

describe('expectedLocation: local mode', () => {
  it('always path-style on http://127.0.0.1:PORT', () => {
    expectLocation(local(), 'my-bucket', ps('127.0.0.1:4568', '/my-bucket', 'us-east-1', 'http:'));
    expectLocation(
      local(4999, 'eu-west-1'),
      'local-uploads',
      ps('127.0.0.1:4999', '/local-uploads', 'eu-west-1', 'http:'),
    );
    expectLocation(local(), 'my.dotted.bucket', ps('127.0.0.1:4568', '/my.dotted.bucket', 'us-east-1', 'http:'));
  });
});

describe('expectedLocation: refusals', () => {
  const refuses = (mode: EndpointMode, bucket: string, pattern?: RegExp) => {
    assert.throws(
      () => expectedLocation(mode, bucket),
      (error: unknown) => {
        assert.ok(error instanceof BucketAddressError, `expected a BucketAddressError, got ${String(error)}`);
        assert.equal(error.name, 'BucketAddressError');
        if (pattern) assert.match(error.message, pattern);
        return true;
      },
    );
  };

  it('an access-point ARN from another region', () => {
    refuses(regional('eu-west-1'), 'arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap', /us-west-2/);
    refuses(iface(), 'arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap', /us-west-2/);
    refuses(custom('https://beta.example.com'), 'arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap', /us-west-2/);
  });

  it('an access-point ARN from another partition', () => {
    refuses(regional('us-east-1'), 'arn:aws-cn:s3:us-east-1:123456789012:accesspoint/my-ap', /aws-cn/);
    refuses(regional('cn-north-1'), 'arn:aws:s3:cn-north-1:123456789012:accesspoint/my-ap', /partition/);
    refuses(iface(), 'arn:aws-us-gov:s3:us-east-1:123456789012:accesspoint/my-ap', /partition/);
  });

  it('an access-point ARN in accelerate and local modes', () => {
    refuses(accelerate(), 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap', /Acceleration/);
    refuses(local(), 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap', /local/);
  });

  it('an access-point ARN with path-style', () => {
    const arn = 'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap';
    refuses(regional('us-east-1', { pathStyle: true }), arn, /path-style/);
    refuses(iface({ pathStyle: true }), arn, /path-style/);
    refuses(custom('https://beta.example.com', { pathStyle: true }), arn, /path-style/);
  });

  it('an access-point ARN on a custom endpoint given by IP address', () => {
    refuses(
      custom('https://10.0.0.5:9000'),
      'arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap',
      /not an IP address/,
    );
  });

  it('a bucket accelerate cannot address (dots, uppercase, too short)', () => {
    for (const bucket of ['my.dotted.bucket', 'MyBucket', 'my_bucket', 'ab']) {
      refuses(accelerate(), bucket, /cannot be used with S3 Transfer Acceleration: it needs a DNS-compatible name/);
    }
  });

  for (const bucket of [
    '',
    'bad bucket',
    'bucket!',
    'bücket',
    'a'.repeat(256),
    'my/bucket',
    'arn:aws:not-s3:us-west-2:123456789012:accesspoint:myendpoint',
    'arn:aws:s3:us-west-2:123456789012:accesspoint:myendpoint:more-data',
    'arn:aws:s3:us-west-2:123456789012:accesspoint:',
    'arn:aws:s3:us-west-2:123456_789012:accesspoint:apname',
    'arn:aws:s3:us-west-2:123456789012:accesspoint:ap_name',
    'arn:aws:s3:us-west -2:123456789012:accesspoint:myendpoint',
    'arn:aws:s3::123456789012:accesspoint:mfzwi23gnjvgw.mrap',
    'arn:aws:s3:us-west-2:123456789012:outpost:op-01234567890123456:accesspoint:reports',
    'arn:aws:s3-object-lambda:us-west-2:123456789012:accesspoint/mybanner',
    'arn:aws:s3:us-west-2:123456789012:',
    'arn:aws:sqs:us-west-2:123456789012:someresource',
  ]) {
    it(`an invalid bucket or ARN: ${JSON.stringify(bucket.length > 40 ? `${bucket.slice(0, 40)}…` : bucket)}`, () => {
      refuses(regional('us-west-2'), bucket);
    });
  }

  it('a custom endpoint that is the legacy global endpoint (defence in depth)', () => {
    refuses(globalCustom('https://s3.amazonaws.com'), 'my-bucket', /legacy global/);
    refuses(globalCustom('https://s3.amazonaws.com', { pathStyle: true }), 'my-bucket', /legacy global/);
    refuses(globalCustom('https://s3-external-1.amazonaws.com'), 'my-bucket', /legacy global/);
  });

  it('the legacy global endpoint on a non-default port or with a trailing dot is still refused', () => {
    refuses(globalCustom('https://s3.amazonaws.com:8443'), 'my-bucket', /legacy global/);
    refuses(globalCustom('https://s3.amazonaws.com:8443', { pathStyle: true }), 'my-bucket', /legacy global/);
    refuses(globalCustom('http://s3-external-1.amazonaws.com:80'), 'my-bucket', /legacy global/);
    refuses(globalCustom('https://s3.amazonaws.com.:8443', { pathStyle: true }), 'my-bucket', /legacy global/);
  });
});

describe('expectedLocation: an error that is not about the bucket', () => {
  // Only a caller that breaks the types gets here (the service's modes come from the
  // configuration schema): a bug must surface as itself, neither cached as a location nor
  // dressed as a refusal of the bucket.
  it('is thrown as it is, on every call', () => {
    const noPartition = { kind: 'regional', region: 'eu-west-1', useFips: false } as unknown as EndpointMode;
    for (const call of [1, 2]) {
      assert.throws(() => expectedLocation(noPartition, 'my-bucket'), TypeError, `call ${call}`);
    }
    for (const call of [1, 2]) {
      assert.throws(() => expectedLocation(localMode(9000), undefined as unknown as string), TypeError, `call ${call}`);
    }
  });
});

describe('isLegacyGlobalHost', () => {
  for (const host of [
    's3.amazonaws.com',
    'my-bucket.s3.amazonaws.com',
    'S3.AmazonAWS.com',
    's3-external-1.amazonaws.com',
    'my-bucket.s3-external-1.amazonaws.com',
    'my.dotted.bucket.s3.amazonaws.com',
    's3.amazonaws.com.',
    's3.amazonaws.com..',
  ]) {
    it(`${host} is the global endpoint`, () => assert.equal(isLegacyGlobalHost(host), true));
  }
  for (const host of [
    's3.us-east-1.amazonaws.com',
    'my-bucket.s3.us-east-1.amazonaws.com',
    'my-bucket.s3-accelerate.amazonaws.com',
    'my-bucket.s3.dualstack.us-east-1.amazonaws.com',
    `my-bucket.bucket.${VPCE}`,
    'mys3.amazonaws.com',
    'minio.internal',
    's3.amazonaws.com.example.org',
    'my-bucket.s3.amazonaws.com.evil.example',
  ]) {
    it(`${host} is not`, () => assert.equal(isLegacyGlobalHost(host), false));
  }
});

describe('modeHosts', () => {
  it('regional', () => {
    assert.deepEqual(modeHosts(regional('eu-west-1', { fips: true, dualstack: true })), {
      protocol: 'https:',
      pathStyleHost: 's3-fips.dualstack.eu-west-1.amazonaws.com',
      basePath: '',
      bucketHostSuffix: '.s3-fips.dualstack.eu-west-1.amazonaws.com',
      accessPointHostSuffix: '.s3-accesspoint-fips.dualstack.eu-west-1.amazonaws.com',
    });
  });

  it('interface', () => {
    assert.deepEqual(modeHosts(iface()), {
      protocol: 'https:',
      pathStyleHost: `bucket.${VPCE}`,
      basePath: '',
      bucketHostSuffix: `.bucket.${VPCE}`,
      accessPointHostSuffix: `.accesspoint.${VPCE}`,
    });
  });

  it('accelerate has no path-style host and no access points', () => {
    const hosts = modeHosts(accelerate({ dualstack: true }));
    assert.equal(hosts.pathStyleHost, undefined);
    assert.equal(hosts.accessPointHostSuffix, undefined);
    assert.equal(hosts.bucketHostSuffix, '.s3-accelerate.dualstack.amazonaws.com');
  });

  it('local has no virtual-hosted names', () => {
    const hosts = modeHosts(local());
    assert.equal(hosts.protocol, 'http:');
    assert.equal(hosts.pathStyleHost, '127.0.0.1:4568');
    assert.equal(hosts.bucketHostSuffix, undefined);
    assert.equal(hosts.accessPointHostSuffix, undefined);
  });

  it('local has no virtual-hosted names on a host name either', () => {
    // By hand: production's local mode is always on 127.0.0.1 (the embedded store's address).
    const hosts = modeHosts({ kind: 'local', region: 'us-east-1', endpoint: new URL('http://localhost:4568') });
    assert.equal(hosts.pathStyleHost, 'localhost:4568');
    assert.equal(hosts.bucketHostSuffix, undefined);
    assert.equal(hosts.accessPointHostSuffix, undefined);
  });

  it('a custom endpoint path loses all its trailing slashes', () => {
    assert.equal(modeHosts(custom('https://storage.example.com/base//')).basePath, '/base');
    assert.equal(modeHosts(custom('https://storage.example.com/base/')).basePath, '/base');
    assert.equal(modeHosts(custom('https://storage.example.com/a/b')).basePath, '/a/b');
    expectLocation(
      custom('https://storage.example.com/base//', { pathStyle: true }),
      'my-bucket',
      ps('storage.example.com', '/base/my-bucket', 'us-east-1'),
    );
  });
});
