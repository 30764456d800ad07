// Read when the first S3Client is constructed, so setting it before any test runs is enough.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as dnsPromises } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import type { Server as TlsServer } from 'node:tls';

import { S3Client } from '@aws-sdk/client-s3';

import { CachedHealth } from '../../src/health/cached-health.js';
import { classifyAddress, isPrivateAddress, probeS3, runHealthChecks } from '../../src/health/endpoint-checks.js';
import type {
  HealthCheckName,
  HealthCheckResult,
  HealthOptions,
  HealthReport,
  HealthTarget,
  S3ProbeOutcome,
} from '../../src/health/endpoint-checks.js';
import { EXAMPLE_CREDENTIALS } from '../fixtures/credentials.js';

// Only a guard against hangs: nothing here asserts how fast a check is.
const HANG_GUARD_MS = 10_000;

function check(report: HealthReport, name: HealthCheckName): HealthCheckResult {
  const found = report.checks.find((c) => c.name === name);
  assert.ok(found, `report has no ${name} check`);
  return found;
}

function okProbe(serverDate: Date = new Date()): HealthTarget['probeS3'] {
  return async () => ({ ok: true, operation: 'HeadBucket', detail: 'HeadBucket succeeded', serverDate });
}

function target(endpoint: string, overrides: Partial<HealthTarget> = {}): HealthTarget {
  return {
    endpoint: new URL(endpoint),
    expectPrivateAddresses: false,
    probeS3: okProbe(),
    credentials: async () => ({ source: 'static' }),
    ...overrides,
  };
}

function fixedLookup(...addresses: string[]): NonNullable<HealthOptions['lookup']> {
  return async () => addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
}

async function listen(server: Server | TlsServer | NetServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server | TlsServer | NetServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function withinHangGuard<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not complete within ${HANG_GUARD_MS} ms`)), HANG_GUARD_MS);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

void describe('address classification', () => {
  const table: Array<[address: string, isPrivate: boolean]> = [
    ['10.0.0.1', true],
    ['10.255.255.255', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.15.255.255', false],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['192.169.0.1', false],
    ['127.0.0.1', true],
    ['127.255.0.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['100.127.255.255', true],
    ['100.128.0.1', false],
    ['100.63.255.255', false],
    ['52.216.1.1', false],
    ['8.8.8.8', false],
    ['::1', true],
    ['::2', false],
    ['fc00::1', true],
    ['fd12:3456:789a::1', true],
    ['fe80::1', true],
    ['fe80::1%eth0', true],
    ['febf:ffff::1', true],
    ['fec0::1', false],
    ['2600:1f18:1234::1', false],
    ['::ffff:10.0.0.1', true],
    ['::ffff:a00:1', true],
    ['::ffff:192.168.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:100.64.0.1', true],
    ['::ffff:52.216.1.1', false],
    ['::ffff:34d8:101', false],
  ];
  for (const [address, expected] of table) {
    void it(`${address} is ${expected ? 'private' : 'public'}`, () => {
      assert.equal(isPrivateAddress(address), expected);
    });
  }

  void it('reports the family', () => {
    assert.deepEqual(classifyAddress('10.0.0.1'), { address: '10.0.0.1', family: 4, private: true });
    assert.deepEqual(classifyAddress('2600:1f18::1', 6), { address: '2600:1f18::1', family: 6, private: false });
  });

  void it('refuses to classify a hostname', () => {
    assert.throws(() => isPrivateAddress('s3.amazonaws.com'), TypeError);
  });
});

void describe('runHealthChecks', () => {
  let httpServer: Server;
  let httpPort: number;
  before(async () => {
    httpServer = createServer((_req, res) => res.end());
    httpPort = await listen(httpServer);
  });
  after(() => close(httpServer));

  void it('is healthy against a local http endpoint, with tls skipped', async () => {
    const report = await runHealthChecks(target(`http://127.0.0.1:${httpPort}`, { expectPrivateAddresses: true }));
    assert.equal(report.ok, true, JSON.stringify(report, null, 2));
    assert.deepEqual(
      report.checks.map((c) => c.name),
      ['dns', 'tcp', 'tls', 's3', 'credentials', 'clock'],
    );
    for (const c of report.checks) {
      assert.equal(c.ok, true, `${c.name}: ${c.message}`);
      assert.equal(c.code, undefined);
      assert.equal(typeof c.durationMs, 'number');
    }
    assert.equal(check(report, 'tls').skipped, true);
    assert.equal(check(report, 'clock').skipped, undefined);
    assert.deepEqual(check(report, 'dns').details?.addresses, [{ address: '127.0.0.1', family: 4, private: true }]);
    assert.equal(check(report, 'tcp').details?.port, httpPort);
    assert.ok(!Number.isNaN(Date.parse(report.checkedAt)));
  });

  void it('uses port 80 for an http endpoint without an explicit port', async () => {
    const report = await runHealthChecks(target('http://127.0.0.1'), {
      lookup: fixedLookup('127.0.0.1'),
      timeoutMs: 500,
    });
    assert.equal(check(report, 'tcp').details?.port, 80);
  });

  void it('accepts dns.promises.lookup as the lookup option', () => {
    const lookup: HealthOptions['lookup'] = dnsPromises.lookup;
    assert.equal(typeof lookup, 'function');
  });

  void it('fails tcp on a closed port and still completes', async () => {
    const port = await closedPort();
    const report = await withinHangGuard(runHealthChecks(target(`http://127.0.0.1:${port}`)));
    const tcp = check(report, 'tcp');
    assert.equal(report.ok, false);
    assert.equal(tcp.ok, false);
    assert.equal(tcp.code, 'TCP_FAILED');
    assert.equal(tcp.details?.errorCode, 'ECONNREFUSED');
    assert.match(tcp.message, /ECONNREFUSED/);
  });

  void it('does not hang on an unroutable address', async () => {
    // 203.0.113.0/24 is TEST-NET-3 and routes nowhere, so the connect normally hangs until our
    // timer destroys the socket. Some sandboxes refuse it at once, and some transparently proxy
    // every connection (then tcp even succeeds), so only completion is asserted strictly.
    const report = await withinHangGuard(runHealthChecks(target('http://203.0.113.1:9'), { timeoutMs: 300 }));
    const tcp = check(report, 'tcp');
    if (!tcp.ok) assert.ok(tcp.code === 'TCP_TIMEOUT' || tcp.code === 'TCP_FAILED', tcp.code);
  });

  void it('fails dns with DNS_PUBLIC_ADDRESS when an interface endpoint resolves publicly', async () => {
    const report = await runHealthChecks(
      target('https://my-bucket.s3.us-east-1.amazonaws.com', { expectPrivateAddresses: true }),
      { lookup: fixedLookup('52.216.1.1') },
    );
    const dns = check(report, 'dns');
    assert.equal(dns.ok, false);
    assert.equal(dns.code, 'DNS_PUBLIC_ADDRESS');
    assert.match(dns.message, /52\.216\.1\.1/);
    assert.deepEqual(dns.details?.addresses, [{ address: '52.216.1.1', family: 4, private: false }]);
    // No connection is attempted to an address the deployment is not supposed to use.
    for (const name of ['tcp', 'tls'] as const) {
      const c = check(report, name);
      assert.equal(c.ok, false);
      assert.equal(c.skipped, undefined);
      assert.match(c.message, /could not run/);
    }
    assert.equal(report.ok, false);
  });

  void it('names only the public addresses in a mixed answer', async () => {
    const report = await runHealthChecks(
      target(`http://vpce.example.internal:${httpPort}`, { expectPrivateAddresses: true }),
      {
        lookup: fixedLookup('10.0.1.5', '::ffff:52.216.1.1'),
      },
    );
    const dns = check(report, 'dns');
    assert.equal(dns.code, 'DNS_PUBLIC_ADDRESS');
    assert.match(dns.message, /::ffff:52\.216\.1\.1/);
    assert.doesNotMatch(dns.message, /10\.0\.1\.5/);
  });

  void it('accepts public addresses when not in interface mode', async () => {
    const report = await runHealthChecks(target(`http://bucket.example.test:${httpPort}`), {
      lookup: async (hostname, options) => {
        assert.equal(hostname, 'bucket.example.test');
        assert.deepEqual(options, { all: true, verbatim: true });
        // The first address is the one tcp connects to.
        return [
          { address: '127.0.0.1', family: 4 },
          { address: '52.216.1.1', family: 4 },
        ];
      },
    });
    assert.equal(check(report, 'dns').ok, true);
    assert.equal(check(report, 'tcp').ok, true);
    assert.equal(check(report, 'tcp').details?.address, '127.0.0.1');
  });

  void it('reports tcp and tls as failed, not skipped, when dns fails', async () => {
    const report = await runHealthChecks(target('https://nowhere.invalid'), {
      lookup: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
      },
    });
    assert.equal(check(report, 'dns').code, 'DNS_FAILED');
    assert.equal(check(report, 'dns').details?.errorCode, 'ENOTFOUND');
    assert.equal(check(report, 'tcp').code, 'TCP_FAILED');
    assert.equal(check(report, 'tls').code, 'TLS_FAILED');
    for (const name of ['tcp', 'tls'] as const) {
      assert.equal(check(report, name).skipped, undefined);
      assert.match(check(report, name).message, /could not run: the dns check failed/);
    }
  });

  void it('times out a lookup that never answers', async () => {
    const report = await withinHangGuard(
      runHealthChecks(target('https://slow.example.test'), { timeoutMs: 100, lookup: () => new Promise(() => {}) }),
    );
    assert.equal(check(report, 'dns').code, 'DNS_TIMEOUT');
    assert.equal(check(report, 'tcp').code, 'TCP_FAILED');
  });

  void it('times out and aborts an s3 probe that never answers', async () => {
    let signal: AbortSignal | undefined;
    const report = await withinHangGuard(
      runHealthChecks(
        target(`http://127.0.0.1:${httpPort}`, {
          probeS3: (s) => {
            signal = s;
            return new Promise(() => {});
          },
        }),
        { timeoutMs: 100 },
      ),
    );
    const s3 = check(report, 's3');
    assert.equal(s3.ok, false);
    assert.equal(s3.code, 'S3_TIMEOUT');
    assert.equal(signal?.aborted, true);
    assert.equal(check(report, 'clock').skipped, true);
  });

  void it('turns exceptions thrown by checks into failed results', async () => {
    const report = await runHealthChecks(
      target(`http://127.0.0.1:${httpPort}`, {
        probeS3: async () => {
          throw new TypeError('probe exploded');
        },
        credentials: () => {
          throw new Error('synchronous throw');
        },
      }),
    );
    assert.equal(report.ok, false);
    assert.equal(check(report, 's3').ok, false);
    assert.equal(check(report, 's3').code, 'S3_ERROR');
    assert.match(check(report, 's3').message, /probe exploded/);
    assert.equal(check(report, 'credentials').code, 'CREDENTIALS_MISSING');
    assert.match(check(report, 'credentials').message, /synchronous throw/);
  });

  void it('reports the s3 outcome details and failure code', async () => {
    const report = await runHealthChecks(
      target(`http://127.0.0.1:${httpPort}`, {
        probeS3: async () => ({
          ok: false,
          operation: 'GetObject',
          detail: 'GetObject rejected the request: SignatureDoesNotMatch',
          code: 'S3_AUTH_FAILED',
          httpStatus: 403,
          errorCode: 'SignatureDoesNotMatch',
        }),
      }),
    );
    const s3 = check(report, 's3');
    assert.equal(s3.code, 'S3_AUTH_FAILED');
    assert.deepEqual(s3.details, { operation: 'GetObject', httpStatus: 403, errorCode: 'SignatureDoesNotMatch' });
  });

  void it('probes a real S3 client end to end', async () => {
    const s3 = await startFakeS3(() => ({ status: 200 }));
    const client = testClient(s3.port);
    try {
      const report = await runHealthChecks(
        target(`http://127.0.0.1:${s3.port}`, {
          expectPrivateAddresses: true,
          probeS3: (signal) => probeS3(client, 'bucket', signal ? { abortSignal: signal } : {}),
        }),
      );
      assert.equal(report.ok, true, JSON.stringify(report, null, 2));
      assert.equal(check(report, 's3').details?.operation, 'HeadBucket');
      assert.equal(check(report, 'clock').skipped, undefined);
      assert.equal(check(report, 'clock').ok, true);
    } finally {
      client.destroy();
      await s3.close();
    }
  });
});

void describe('tls check', () => {
  let dir: string;
  let cert: string;
  let server: TlsServer;
  let port: number;

  before(async () => {
    // Node 20 can parse X.509 but not issue it, hence openssl.
    dir = mkdtempSync(join(tmpdir(), 'health-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    server = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (socket) => socket.end());
    server.on('tlsClientError', () => {});
    port = await listen(server);
  });
  after(async () => {
    await close(server);
    rmSync(dir, { recursive: true, force: true });
  });

  void it('reports protocol and certificate when the certificate is trusted and matches', async () => {
    const report = await runHealthChecks(target(`https://localhost:${port}`, { tlsCa: cert }), {
      lookup: fixedLookup('127.0.0.1'),
    });
    const tls = check(report, 'tls');
    assert.equal(tls.ok, true, tls.message);
    assert.equal(tls.skipped, undefined);
    assert.equal(tls.details?.servername, 'localhost');
    assert.match(String(tls.details?.protocol), /^TLSv1\.[23]$/);
    assert.equal(tls.details?.subject, 'localhost');
    assert.equal(tls.details?.subjectAltName, 'DNS:localhost');
    assert.ok(!Number.isNaN(Date.parse(String(tls.details?.validTo))));
    assert.equal(typeof tls.details?.handshakeMs, 'number');
  });

  void it('fails with TLS_CERT_NAME when a trusted certificate names another host', async () => {
    // Trusting the certificate gets the handshake past chain verification, so the name check
    // is what fails: the certificate is for DNS:localhost and we connect as 127.0.0.1.
    const report = await runHealthChecks(target(`https://127.0.0.1:${port}`, { tlsCa: cert }));
    const tls = check(report, 'tls');
    assert.equal(report.ok, false);
    assert.equal(tls.ok, false);
    assert.equal(tls.code, 'TLS_CERT_NAME');
    assert.equal(tls.details?.errorCode, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal(tls.details?.servername, null);
  });

  void it('fails with TLS_FAILED for an untrusted self-signed certificate, even when the name is wrong too', async () => {
    // Node verifies the chain before it calls checkServerIdentity and stops at the first error,
    // so an untrusted self-signed certificate reports DEPTH_ZERO_SELF_SIGNED_CERT, never the
    // name mismatch that is also present here.
    const report = await runHealthChecks(target(`https://127.0.0.1:${port}`));
    const tls = check(report, 'tls');
    assert.equal(report.ok, false);
    assert.equal(tls.ok, false);
    assert.equal(tls.code, 'TLS_FAILED');
    assert.equal(tls.details?.errorCode, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(check(report, 'tcp').ok, true);
  });

  void it('times out a handshake the server never answers and closes the socket', async () => {
    const held: Socket[] = [];
    const closed: Promise<void>[] = [];
    const silent = createNetServer((socket) => {
      held.push(socket);
      // Read and drop the ClientHello: a socket with unread data never sees the peer's FIN.
      socket.resume();
      closed.push(new Promise((resolve) => socket.on('close', () => resolve())));
    });
    const silentPort = await listen(silent);
    try {
      const report = await withinHangGuard(
        runHealthChecks(target(`https://127.0.0.1:${silentPort}`), { timeoutMs: 200 }),
      );
      assert.equal(check(report, 'tcp').ok, true);
      assert.equal(check(report, 'tls').code, 'TLS_TIMEOUT');
      // Both the tcp and the tls check connected; both sockets were closed from our side.
      assert.equal(closed.length, 2);
      await withinHangGuard(Promise.all(closed));
    } finally {
      for (const socket of held) socket.destroy();
      await close(silent);
    }
  });

  void it('fails tls on a closed port without hanging', async () => {
    const closed = await closedPort();
    const report = await withinHangGuard(runHealthChecks(target(`https://127.0.0.1:${closed}`)));
    assert.equal(check(report, 'tls').code, 'TLS_FAILED');
    assert.equal(check(report, 'tls').details?.errorCode, 'ECONNREFUSED');
  });
});

void describe('credentials check', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);

  void it('passes with the source and the remaining lifetime', async () => {
    const report = await runHealthChecks(
      target('http://127.0.0.1:1', { credentials: async () => ({ source: 'sso', expiration: at(3_600_000) }) }),
      { now: () => now, timeoutMs: 200 },
    );
    const c = check(report, 'credentials');
    assert.equal(c.ok, true);
    assert.deepEqual(c.details, { source: 'sso', expiresAt: '2030-01-01T01:00:00.000Z', remainingSeconds: 3600 });
  });

  void it('fails with CREDENTIALS_EXPIRING within the minimum remaining lifetime', async () => {
    const report = await runHealthChecks(
      target('http://127.0.0.1:1', { credentials: async () => ({ source: 'env', expiration: at(60_000) }) }),
      { now: () => now, credentialsMinRemainingMs: 300_000, timeoutMs: 200 },
    );
    const c = check(report, 'credentials');
    assert.equal(c.ok, false);
    assert.equal(c.code, 'CREDENTIALS_EXPIRING');
    assert.equal(c.details?.remainingSeconds, 60);
    assert.equal(c.details?.expiresAt, '2030-01-01T00:01:00.000Z');
  });

  void it('fails with CREDENTIALS_EXPIRING once expired', async () => {
    const report = await runHealthChecks(
      target('http://127.0.0.1:1', { credentials: async () => ({ source: 'env', expiration: at(-1000) }) }),
      { now: () => now, timeoutMs: 200 },
    );
    assert.equal(check(report, 'credentials').code, 'CREDENTIALS_EXPIRING');
    assert.match(check(report, 'credentials').message, /expired/);
  });

  void it('fails with CREDENTIALS_MISSING when none can be found', async () => {
    const report = await runHealthChecks(
      target('http://127.0.0.1:1', {
        credentials: async () => {
          const error = new Error('Could not load credentials from any providers');
          error.name = 'CredentialsProviderError';
          throw error;
        },
      }),
      { timeoutMs: 200 },
    );
    const c = check(report, 'credentials');
    assert.equal(c.ok, false);
    assert.equal(c.code, 'CREDENTIALS_MISSING');
    assert.match(c.message, /CredentialsProviderError: Could not load credentials from any providers/);
  });

  void it('never copies key material into the report', async () => {
    const { accessKeyId, secretAccessKey: secret } = EXAMPLE_CREDENTIALS;
    const withKeys = await runHealthChecks(
      target('http://127.0.0.1:1', {
        credentials: async () =>
          ({
            source: 'static',
            accessKeyId,
            secretAccessKey: secret,
            sessionToken: secret,
          }) as {
            source: string;
          },
      }),
      { timeoutMs: 200 },
    );
    const thrown = await runHealthChecks(
      target('http://127.0.0.1:1', {
        credentials: async () => {
          throw Object.assign(new Error('refresh failed'), { secretAccessKey: secret });
        },
      }),
      { timeoutMs: 200 },
    );
    const thrownObject = await runHealthChecks(
      target('http://127.0.0.1:1', {
        credentials: async () => {
          throw { secretAccessKey: secret };
        },
      }),
      { timeoutMs: 200 },
    );
    for (const report of [withKeys, thrown, thrownObject]) {
      const json = JSON.stringify(report);
      assert.ok(!json.includes(secret));
      assert.ok(!json.includes(accessKeyId));
    }
    assert.equal(check(thrownObject, 'credentials').code, 'CREDENTIALS_MISSING');
  });
});

void describe('clock check', () => {
  const now = new Date('2030-01-01T00:00:00Z');

  void it('fails with CLOCK_SKEW beyond the limit', async () => {
    const report = await runHealthChecks(
      target('http://127.0.0.1:1', { probeS3: okProbe(new Date(now.getTime() - 10 * 60_000)) }),
      { now: () => now, timeoutMs: 200 },
    );
    const clock = check(report, 'clock');
    assert.equal(clock.ok, false);
    assert.equal(clock.code, 'CLOCK_SKEW');
    assert.equal(clock.details?.skewMs, 600_000);
    assert.match(clock.message, /600 s ahead of S3/);
  });

  void it('passes within the limit', async () => {
    const report = await runHealthChecks(
      target('http://127.0.0.1:1', { probeS3: okProbe(new Date(now.getTime() + 4 * 60_000)) }),
      { now: () => now, timeoutMs: 200, maxClockSkewMs: 300_000 },
    );
    assert.equal(check(report, 'clock').ok, true);
    assert.equal(check(report, 'clock').details?.skewMs, -240_000);
  });

  void it('uses the server date of a failed probe too', async () => {
    // A RequestTimeTooSkewed rejection is exactly when the clock check has to speak up.
    const report = await runHealthChecks(
      target('http://127.0.0.1:1', {
        probeS3: async () => ({
          ok: false,
          operation: 'GetObject',
          detail: 'rejected',
          code: 'S3_AUTH_FAILED',
          errorCode: 'RequestTimeTooSkewed',
          serverDate: new Date(now.getTime() + 20 * 60_000),
        }),
      }),
      { now: () => now, timeoutMs: 200 },
    );
    assert.equal(check(report, 'clock').code, 'CLOCK_SKEW');
  });

  void it('is skipped without a server date', async () => {
    const report = await runHealthChecks(
      target('http://127.0.0.1:1', { probeS3: async () => ({ ok: true, operation: 'HeadBucket', detail: 'ok' }) }),
      { timeoutMs: 200 },
    );
    const clock = check(report, 'clock');
    assert.equal(clock.ok, true);
    assert.equal(clock.skipped, true);
  });
});

void describe('CachedHealth', () => {
  const report = (n: number): HealthReport => ({ ok: true, checkedAt: `run ${n}`, durationMs: 0, checks: [] });

  void it('shares one in-flight run between concurrent callers', async () => {
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const cache = new CachedHealth(async () => {
      runs += 1;
      await gate;
      return report(runs);
    }, 1000);
    const pending = [cache.get(), cache.get(), cache.get()];
    release();
    const results = await Promise.all(pending);
    assert.equal(runs, 1);
    assert.ok(results.every((r) => r === results[0]));
  });

  void it('reuses the result for ttlMs, then runs again', async () => {
    let runs = 0;
    let clock = 0;
    const cache = new CachedHealth(
      async () => report(++runs),
      5000,
      () => clock,
    );
    assert.equal((await cache.get()).checkedAt, 'run 1');
    clock += 4999;
    assert.equal((await cache.get()).checkedAt, 'run 1');
    clock += 1;
    assert.equal((await cache.get()).checkedAt, 'run 2');
    assert.equal(runs, 2);
  });

  void it('does not cache a failed run', async () => {
    let runs = 0;
    const cache = new CachedHealth(async () => {
      runs += 1;
      if (runs === 1) throw new Error('first run fails');
      return report(runs);
    }, 60_000);
    await assert.rejects(cache.get(), /first run fails/);
    assert.equal((await cache.get()).checkedAt, 'run 2');
  });
});

// --- probeS3 against a fake S3 ---------------------------------------------------------------

interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}
interface SeenRequest {
  method: string;
  url: string;
  range: string | undefined;
  date: string;
}

// Real S3 sends the error Code only in an XML body, and HEAD responses have no body.
function xmlError(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} message</Message><RequestId>REQ1</RequestId></Error>`;
}

async function startFakeS3(reply: (req: IncomingMessage) => FakeReply | undefined) {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    // The current time: a Date far from the local clock makes the SDK correct its offset and
    // retry, which would make the request sequence depend on timing.
    const date = new Date().toUTCString();
    requests.push({ method: req.method ?? '', url: req.url ?? '', range: req.headers.range, date });
    const answer = reply(req);
    if (!answer) return; // never answer
    const headers: Record<string, string> = { date, 'x-amz-request-id': 'REQ1', ...answer.headers };
    if (answer.body !== undefined) headers['content-type'] = 'application/xml';
    res.writeHead(answer.status, headers);
    // Node drops the body of a HEAD response on its own, as S3 does.
    res.end(answer.body);
  });
  const port = await listen(server);
  return { port, requests, close: () => close(server) };
}

function testClient(port: number): S3Client {
  return new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
  });
}

async function probeAgainst(
  reply: (req: IncomingMessage) => FakeReply | undefined,
  options: Parameters<typeof probeS3>[2] = {},
): Promise<{ outcome: S3ProbeOutcome; requests: SeenRequest[] }> {
  const fake = await startFakeS3(reply);
  const client = testClient(fake.port);
  try {
    const outcome = await withinHangGuard(probeS3(client, 'bucket', options));
    return { outcome, requests: fake.requests };
  } finally {
    client.destroy();
    await fake.close();
  }
}

const byMethod =
  (replies: { HEAD_BUCKET?: FakeReply; HEAD_OBJECT?: FakeReply; GET?: FakeReply }) =>
  (req: IncomingMessage): FakeReply => {
    const isBucket = req.url === '/bucket' || req.url === '/bucket/';
    const reply = req.method === 'HEAD' ? (isBucket ? replies.HEAD_BUCKET : replies.HEAD_OBJECT) : replies.GET;
    return reply ?? { status: 500 };
  };

void describe('probeS3', () => {
  void it('is ok on HeadBucket 200 and captures the server date', async () => {
    const { outcome, requests } = await probeAgainst(byMethod({ HEAD_BUCKET: { status: 200 } }));
    assert.equal(outcome.ok, true);
    assert.equal(outcome.operation, 'HeadBucket');
    assert.equal(requests.length, 1);
    assert.equal(outcome.serverDate?.getTime(), Date.parse(requests[0]!.date));
  });

  void it('falls back to HeadObject when HeadBucket is refused: 404 on the probe key is ok', async () => {
    const { outcome, requests } = await probeAgainst(
      byMethod({ HEAD_BUCKET: { status: 403 }, HEAD_OBJECT: { status: 404 } }),
    );
    assert.equal(outcome.ok, true, outcome.detail);
    assert.equal(outcome.operation, 'HeadObject');
    assert.equal(outcome.httpStatus, 404);
    assert.equal(outcome.code, undefined);
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.url}`),
      ['HEAD /bucket/', 'HEAD /bucket/.s3-presign-health-probe'],
    );
    assert.equal(outcome.serverDate?.getTime(), Date.parse(requests[1]!.date));
  });

  void it('uses the probe key it is given', async () => {
    const { requests } = await probeAgainst(byMethod({ HEAD_BUCKET: { status: 403 }, HEAD_OBJECT: { status: 404 } }), {
      probeKey: 'health/probe',
    });
    assert.equal(requests[1]?.url, '/bucket/health/probe');
  });

  void it('trusts an error code sent in a header on HEAD', async () => {
    const { outcome, requests } = await probeAgainst(() => ({
      status: 403,
      headers: { 'x-amz-error-code': 'SignatureDoesNotMatch' },
    }));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.code, 'S3_AUTH_FAILED');
    assert.equal(outcome.operation, 'HeadBucket');
    assert.equal(outcome.errorCode, 'SignatureDoesNotMatch');
    assert.equal(requests.length, 1);
  });

  void it('asks GetObject for the code behind a body-less 403: SignatureDoesNotMatch fails', async () => {
    const { outcome, requests } = await probeAgainst(
      byMethod({
        HEAD_BUCKET: { status: 403 },
        HEAD_OBJECT: { status: 403 },
        GET: { status: 403, body: xmlError('SignatureDoesNotMatch') },
      }),
    );
    assert.equal(outcome.ok, false);
    assert.equal(outcome.code, 'S3_AUTH_FAILED');
    assert.equal(outcome.operation, 'GetObject');
    assert.equal(outcome.errorCode, 'SignatureDoesNotMatch');
    assert.deepEqual(
      requests.map((r) => r.method),
      ['HEAD', 'HEAD', 'GET'],
    );
    assert.equal(requests[2]?.range, 'bytes=0-0');
    assert.match(outcome.detail, /HeadBucket 403 → HeadObject 403 → GetObject 403 SignatureDoesNotMatch/);
  });

  void it('asks GetObject for the code behind a body-less 403: AccessDenied is ok', async () => {
    const { outcome } = await probeAgainst(
      byMethod({
        HEAD_BUCKET: { status: 403 },
        HEAD_OBJECT: { status: 403 },
        GET: { status: 403, body: xmlError('AccessDenied') },
      }),
    );
    assert.equal(outcome.ok, true, outcome.detail);
    assert.equal(outcome.operation, 'GetObject');
    assert.equal(outcome.errorCode, 'AccessDenied');
  });

  void it('treats NoSuchKey from GetObject as ok', async () => {
    const { outcome } = await probeAgainst(
      byMethod({
        HEAD_BUCKET: { status: 403 },
        HEAD_OBJECT: { status: 403 },
        GET: { status: 404, body: xmlError('NoSuchKey') },
      }),
    );
    assert.equal(outcome.ok, true, outcome.detail);
  });

  void it('escalates a body-less 400 too, since ExpiredToken looks like that on HEAD', async () => {
    const { outcome } = await probeAgainst(
      byMethod({
        HEAD_BUCKET: { status: 400 },
        HEAD_OBJECT: { status: 400 },
        GET: { status: 400, body: xmlError('ExpiredToken') },
      }),
    );
    assert.equal(outcome.code, 'S3_AUTH_FAILED');
    assert.equal(outcome.errorCode, 'ExpiredToken');
  });

  void it('fails with S3_FORBIDDEN when not even GET names the 403', async () => {
    const { outcome } = await probeAgainst(() => ({ status: 403 }));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.code, 'S3_FORBIDDEN');
    assert.equal(outcome.operation, 'GetObject');
  });

  void it('fails with S3_NO_SUCH_BUCKET on HeadBucket 404 and names the bucket', async () => {
    const { outcome, requests } = await probeAgainst(byMethod({ HEAD_BUCKET: { status: 404 } }));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.code, 'S3_NO_SUCH_BUCKET');
    assert.equal(outcome.operation, 'HeadBucket');
    assert.match(outcome.detail, /"bucket"/);
    assert.equal(requests.length, 1);
  });

  void it('fails with S3_UNREACHABLE when nothing listens', async () => {
    const port = await closedPort();
    const client = testClient(port);
    try {
      const outcome = await withinHangGuard(probeS3(client, 'bucket'));
      assert.equal(outcome.ok, false);
      assert.equal(outcome.code, 'S3_UNREACHABLE');
      assert.equal(outcome.httpStatus, undefined);
      assert.match(outcome.detail, /ECONNREFUSED/);
    } finally {
      client.destroy();
    }
  });

  void it('stops when its abort signal fires', async () => {
    const { outcome } = await probeAgainst(() => undefined, { abortSignal: AbortSignal.timeout(100) });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.code, 'S3_TIMEOUT');
  });

  void it('does not change the shared client', async () => {
    const fake = await startFakeS3(byMethod({ HEAD_BUCKET: { status: 403 }, HEAD_OBJECT: { status: 404 } }));
    const client = testClient(fake.port);
    try {
      const before = client.middlewareStack.identify();
      await probeS3(client, 'bucket');
      assert.deepEqual(client.middlewareStack.identify(), before);
    } finally {
      client.destroy();
      await fake.close();
    }
  });
});
