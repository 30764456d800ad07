import { promises as dnsPromises } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { classifyAddress } from './address-classification.js';
import type { ClassifiedAddress } from './address-classification.js';
import type { S3ProbeOutcome } from './s3-probe.js';

export { classifyAddress, isPrivateAddress } from './address-classification.js';
export type { ClassifiedAddress } from './address-classification.js';
export { DEFAULT_PROBE_KEY, S3_AUTH_ERROR_CODES, probeS3 } from './s3-probe.js';
export type { S3ProbeFailureCode, S3ProbeOperation, S3ProbeOutcome } from './s3-probe.js';

export type HealthCheckName = 'dns' | 'tcp' | 'tls' | 's3' | 'credentials' | 'clock';

export interface HealthCheckResult {
  name: HealthCheckName;
  ok: boolean;
  skipped?: boolean;
  durationMs: number;
  message: string;
  details?: Record<string, unknown>;
  /**
   * Stable failure code, set whenever ok is false:
   * DNS_FAILED, DNS_PUBLIC_ADDRESS, DNS_TIMEOUT;
   * TCP_FAILED, TCP_TIMEOUT; TLS_FAILED, TLS_CERT_NAME, TLS_TIMEOUT;
   * S3_AUTH_FAILED, S3_UNREACHABLE, S3_TIMEOUT, S3_NO_SUCH_BUCKET, S3_FORBIDDEN, S3_ERROR;
   * CREDENTIALS_MISSING, CREDENTIALS_EXPIRING, CREDENTIALS_TIMEOUT;
   * CLOCK_SKEW, CLOCK_FAILED.
   */
  code?: string;
}

export interface HealthReport {
  ok: boolean;
  /** ISO 8601. */
  checkedAt: string;
  durationMs: number;
  checks: HealthCheckResult[];
}

export interface HealthTarget {
  /** Origin the presigned URLs point at for the default bucket. The port may be implicit. */
  endpoint: URL;
  /** Interface VPC endpoint mode: any public address in the DNS answer fails the dns check. */
  expectPrivateAddresses: boolean;
  /** The signal aborts when the s3 check times out; see `probeS3` for a real implementation. */
  probeS3: (signal?: AbortSignal) => Promise<S3ProbeOutcome>;
  /** Throws when no credentials can be found. Only `source` and `expiration` are ever read. */
  credentials: () => Promise<{ source: string; expiration?: Date }>;
  /** Trust anchors for the tls check when the endpoint is served under a private CA. */
  tlsCa?: string | Buffer | Array<string | Buffer>;
}

/** The one form of `dns.promises.lookup` the dns check uses; `dns.promises.lookup` itself fits. */
export type HealthLookup = (hostname: string, options: { all: true; verbatim: boolean }) => Promise<LookupAddress[]>;

export interface HealthOptions {
  /** Per check. Default 2000. */
  timeoutMs?: number;
  /** Default 300000 (SigV4 rejects requests more than 15 minutes off; warn well before). */
  maxClockSkewMs?: number;
  /** Default 300000. */
  credentialsMinRemainingMs?: number;
  now?: () => Date;
  lookup?: HealthLookup;
}

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_MAX_CLOCK_SKEW_MS = 300_000;
const DEFAULT_CREDENTIALS_MIN_REMAINING_MS = 300_000;
const MAX_MESSAGE_LENGTH = 500;

const CODE_PREFIX: Record<HealthCheckName, string> = {
  dns: 'DNS',
  tcp: 'TCP',
  tls: 'TLS',
  s3: 'S3',
  credentials: 'CREDENTIALS',
  clock: 'CLOCK',
};

type CheckOutcome = Omit<HealthCheckResult, 'name' | 'durationMs'>;

/**
 * Never rejects. Each check runs under its own timeout; the worst case is roughly
 * dns + max(tcp, tls) = 2 × timeoutMs, since s3 and credentials run alongside them.
 */
export async function runHealthChecks(target: HealthTarget, options: HealthOptions = {}): Promise<HealthReport> {
  const started = performance.now();
  const timeoutMs = positiveOr(options.timeoutMs, DEFAULT_TIMEOUT_MS);
  const maxClockSkewMs = positiveOr(options.maxClockSkewMs, DEFAULT_MAX_CLOCK_SKEW_MS);
  const credentialsMinRemainingMs = nonNegativeOr(
    options.credentialsMinRemainingMs,
    DEFAULT_CREDENTIALS_MIN_REMAINING_MS,
  );
  const now = options.now ?? (() => new Date());
  const lookup: HealthLookup = options.lookup ?? dnsPromises.lookup;
  const checkedAt = safeIso(now);

  const s3Probe: { outcome?: S3ProbeOutcome } = {};
  const s3 = runCheck('s3', timeoutMs, 'S3_ERROR', (signal) => checkS3(target, signal, s3Probe));
  const credentials = runCheck('credentials', timeoutMs, 'CREDENTIALS_MISSING', () =>
    checkCredentials(target, now, credentialsMinRemainingMs),
  );

  const hostname = bareHostname(target.endpoint);
  const resolution: { addresses?: ClassifiedAddress[] } = {};
  const dns = await runCheck('dns', timeoutMs, 'DNS_FAILED', () =>
    checkDns(hostname, target.expectPrivateAddresses, lookup, resolution),
  );
  // Read only when the check passed: a lookup that answers after its timeout must not count.
  const address = dns.ok ? resolution.addresses?.[0] : undefined;
  const port = portOf(target.endpoint);
  const https = target.endpoint.protocol === 'https:';

  const [tcp, tls] = await Promise.all([
    runCheck('tcp', timeoutMs, 'TCP_FAILED', (signal) => {
      if (!address) return notRun('TCP_FAILED', 'could not run: the dns check failed');
      if (port === undefined)
        return notRun('TCP_FAILED', `could not run: unsupported protocol ${target.endpoint.protocol}`);
      return checkTcp(address, port, signal);
    }),
    runCheck('tls', timeoutMs, 'TLS_FAILED', (signal) => {
      if (target.endpoint.protocol === 'http:') return Promise.resolve(skipped('skipped: endpoint uses http'));
      if (!address) return notRun('TLS_FAILED', 'could not run: the dns check failed');
      if (!https || port === undefined) {
        return notRun('TLS_FAILED', `could not run: unsupported protocol ${target.endpoint.protocol}`);
      }
      return checkTls(address, port, hostname, target.tlsCa, signal);
    }),
  ]);

  const s3Result = await s3;
  const clock = await runCheck('clock', timeoutMs, 'CLOCK_FAILED', () =>
    checkClock(s3Probe.outcome?.serverDate, now, maxClockSkewMs),
  );
  const checks = [dns, tcp, tls, s3Result, await credentials, clock];

  return {
    ok: checks.every((check) => check.skipped === true || check.ok),
    checkedAt,
    durationMs: elapsedSince(started),
    checks,
  };
}

async function runCheck(
  name: HealthCheckName,
  timeoutMs: number,
  fallbackCode: string,
  body: (signal: AbortSignal) => Promise<CheckOutcome>,
): Promise<HealthCheckResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      resolve({
        ok: false,
        code: `${CODE_PREFIX[name]}_TIMEOUT`,
        message: `${name} check timed out after ${timeoutMs} ms`,
      });
      // Checks release what they hold (sockets, in-flight S3 requests) when this fires; a lookup
      // cannot be cancelled and is simply no longer awaited.
      controller.abort(new DOMException(`${name} check timed out after ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs);
  });

  let outcome: CheckOutcome;
  try {
    // Deferred so that a body which throws synchronously still becomes a result.
    const running = Promise.resolve().then(() => body(controller.signal));
    outcome = await Promise.race([running, timedOut]);
  } catch (error) {
    outcome = { ok: false, code: fallbackCode, message: errorText(error) };
  } finally {
    clearTimeout(timer);
  }

  const result: HealthCheckResult = {
    name,
    ok: outcome.ok,
    durationMs: elapsedSince(started),
    message: outcome.message,
  };
  if (outcome.skipped) result.skipped = true;
  if (outcome.code !== undefined) result.code = outcome.code;
  else if (!outcome.ok) result.code = fallbackCode;
  if (outcome.details !== undefined) result.details = outcome.details;
  return result;
}

async function checkDns(
  hostname: string,
  expectPrivate: boolean,
  lookup: HealthLookup,
  resolution: { addresses?: ClassifiedAddress[] },
): Promise<CheckOutcome> {
  if (hostname === '') return { ok: false, code: 'DNS_FAILED', message: 'endpoint has no hostname' };

  let addresses: ClassifiedAddress[];
  let literal = false;
  if (isIP(hostname) !== 0) {
    literal = true;
    addresses = [classifyAddress(hostname)];
  } else {
    let answers: LookupAddress[];
    try {
      answers = await lookup(hostname, { all: true, verbatim: true });
    } catch (error) {
      return {
        ok: false,
        code: 'DNS_FAILED',
        message: `could not resolve ${hostname}: ${errorText(error)}`,
        details: { hostname, errorCode: systemCode(error) },
      };
    }
    addresses = answers.map((answer) => classifyAddress(answer.address, answer.family));
  }

  const details = { hostname, literal, expectPrivateAddresses: expectPrivate, addresses };
  if (addresses.length === 0) {
    return { ok: false, code: 'DNS_FAILED', message: `${hostname} resolved to no addresses`, details };
  }
  const list = addresses.map((a) => a.address).join(', ');
  if (expectPrivate) {
    const publicAddresses = addresses.filter((a) => !a.private).map((a) => a.address);
    if (publicAddresses.length > 0) {
      return {
        ok: false,
        code: 'DNS_PUBLIC_ADDRESS',
        message:
          `${hostname} resolves to public address${publicAddresses.length > 1 ? 'es' : ''} ${publicAddresses.join(', ')}; ` +
          'an Interface VPC endpoint should resolve to private addresses only (is private DNS enabled for the endpoint?)',
        details,
      };
    }
  }
  resolution.addresses = addresses;
  return { ok: true, message: literal ? `${hostname} is an IP literal` : `${hostname} resolved to ${list}`, details };
}

/**
 * The first outcome wins and the socket is destroyed with it. The timer in runCheck aborts
 * `signal`: without destroying the socket, a connect to an unroutable address would hold a
 * handle for the OS's SYN timeout (minutes).
 */
function settleOnce(
  socket: Socket,
  signal: AbortSignal,
  resolve: (outcome: CheckOutcome) => void,
  timedOut: CheckOutcome,
): (outcome: CheckOutcome) => void {
  let settled = false;
  const finish = (outcome: CheckOutcome) => {
    if (settled) return;
    settled = true;
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
    resolve(outcome);
  };
  const onAbort = () => finish(timedOut);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return finish;
}

function checkTcp(address: ClassifiedAddress, port: number, signal: AbortSignal): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const target = `${formatHost(address.address)}:${port}`;
    const started = performance.now();
    const socket = netConnect({ host: address.address, port, family: address.family });
    const finish = settleOnce(socket, signal, resolve, {
      ok: false,
      code: 'TCP_TIMEOUT',
      message: `connect to ${target} timed out`,
      details: { address: address.address, port },
    });

    socket.once('connect', () => {
      const connectMs = elapsedSince(started);
      finish({
        ok: true,
        message: `connected to ${target} in ${connectMs} ms`,
        details: { address: address.address, family: address.family, port, connectMs },
      });
    });
    socket.once('error', (error) => {
      finish({
        ok: false,
        code: 'TCP_FAILED',
        message: `connect to ${target} failed: ${errorText(error)}`,
        details: { address: address.address, family: address.family, port, errorCode: systemCode(error) },
      });
    });
  });
}

function checkTls(
  address: ClassifiedAddress,
  port: number,
  hostname: string,
  ca: HealthTarget['tlsCa'],
  signal: AbortSignal,
): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const target = `${formatHost(address.address)}:${port}`;
    const started = performance.now();
    let connectedAt: number | undefined;
    let nameMismatch = false;
    const connectOptions: ConnectionOptions = {
      host: address.address,
      port,
      rejectUnauthorized: true,
      checkServerIdentity: (host, cert) => {
        const error = checkServerIdentity(host, cert);
        if (error) nameMismatch = true;
        return error;
      },
    };
    // SNI must not carry an IP (RFC 6066; Node warns). Without it Node checks the certificate
    // against `host`, which for an IP-literal endpoint is that same IP.
    if (isIP(hostname) === 0) connectOptions.servername = hostname;
    if (ca !== undefined) connectOptions.ca = ca;

    const socket = tlsConnect(connectOptions);
    const finish = settleOnce(socket, signal, resolve, {
      ok: false,
      code: 'TLS_TIMEOUT',
      message: `TLS handshake with ${target} timed out`,
      details: { address: address.address, port },
    });

    socket.once('connect', () => {
      connectedAt = performance.now();
    });
    socket.once('secureConnect', () => {
      const handshakeMs = elapsedSince(connectedAt ?? started);
      const cert: Partial<PeerCertificate> = socket.getPeerCertificate();
      const validTo = cert.valid_to ? new Date(cert.valid_to) : undefined;
      const protocol = socket.getProtocol();
      finish({
        ok: true,
        message: `TLS ${protocol ?? 'handshake'} with ${hostname} in ${handshakeMs} ms`,
        details: {
          address: address.address,
          port,
          servername: connectOptions.servername ?? null,
          handshakeMs,
          protocol,
          cipher: socket.getCipher()?.name,
          subject: cert.subject?.CN,
          subjectAltName: cert.subjectaltname,
          issuer: cert.issuer?.CN,
          validTo: validTo && !Number.isNaN(validTo.getTime()) ? validTo.toISOString() : cert.valid_to,
        },
      });
    });
    socket.once('error', (error) => {
      const errorCode = systemCode(error);
      // Node verifies the chain first and only then the name, so a certificate that is both
      // untrusted and for another name reports the chain error (e.g. DEPTH_ZERO_SELF_SIGNED_CERT).
      const isNameError = nameMismatch || errorCode === 'ERR_TLS_CERT_ALTNAME_INVALID';
      finish({
        ok: false,
        code: isNameError ? 'TLS_CERT_NAME' : 'TLS_FAILED',
        message: isNameError
          ? `certificate of ${target} is not valid for ${hostname}: ${errorText(error)}`
          : `TLS handshake with ${target} failed: ${errorText(error)}`,
        details: { address: address.address, port, servername: connectOptions.servername ?? null, errorCode },
      });
    });
  });
}

async function checkS3(
  target: HealthTarget,
  signal: AbortSignal,
  sink: { outcome?: S3ProbeOutcome },
): Promise<CheckOutcome> {
  const outcome = await target.probeS3(signal);
  sink.outcome = outcome;
  const details: Record<string, unknown> = { operation: outcome.operation };
  if (outcome.httpStatus !== undefined) details.httpStatus = outcome.httpStatus;
  if (outcome.errorCode !== undefined) details.errorCode = outcome.errorCode;
  if (outcome.bucketRegion !== undefined) details.bucketRegion = outcome.bucketRegion;
  if (outcome.serverDate) details.serverDate = outcome.serverDate.toISOString();
  const result: CheckOutcome = { ok: outcome.ok, message: outcome.detail, details };
  if (!outcome.ok) result.code = outcome.code ?? 'S3_ERROR';
  return result;
}

async function checkCredentials(target: HealthTarget, now: () => Date, minRemainingMs: number): Promise<CheckOutcome> {
  let identity: { source: string; expiration?: Date };
  try {
    identity = await target.credentials();
  } catch (error) {
    return { ok: false, code: 'CREDENTIALS_MISSING', message: `no credentials available: ${errorText(error)}` };
  }
  // Copy out the two fields we report: whatever else the provider returned (keys, tokens) must
  // never reach a report.
  const source = typeof identity?.source === 'string' ? identity.source : 'unknown';
  const expiration = identity?.expiration;
  if (!(expiration instanceof Date) || Number.isNaN(expiration.getTime())) {
    return { ok: true, message: `credentials from ${source} (no expiration)`, details: { source } };
  }

  const remainingMs = expiration.getTime() - now().getTime();
  const remainingSeconds = Math.floor(remainingMs / 1000);
  const details = { source, expiresAt: expiration.toISOString(), remainingSeconds };
  if (remainingMs <= minRemainingMs) {
    return {
      ok: false,
      code: 'CREDENTIALS_EXPIRING',
      message:
        remainingMs <= 0
          ? `credentials from ${source} expired at ${details.expiresAt}`
          : `credentials from ${source} expire in ${remainingSeconds} s (minimum ${Math.floor(minRemainingMs / 1000)} s)`,
      details,
    };
  }
  return { ok: true, message: `credentials from ${source}, expire in ${remainingSeconds} s`, details };
}

async function checkClock(serverDate: Date | undefined, now: () => Date, maxSkewMs: number): Promise<CheckOutcome> {
  if (!serverDate) return skipped('skipped: the s3 probe obtained no server Date');
  const local = now();
  // Positive: the local clock is ahead of S3. The Date header has one-second resolution, so
  // anything under a second is noise; the limit is minutes.
  const skewMs = local.getTime() - serverDate.getTime();
  const details = { serverDate: serverDate.toISOString(), localDate: local.toISOString(), skewMs, maxSkewMs };
  const describe = `${Math.abs(Math.round(skewMs / 1000))} s ${skewMs >= 0 ? 'ahead of' : 'behind'} S3`;
  if (Math.abs(skewMs) > maxSkewMs) {
    return {
      ok: false,
      code: 'CLOCK_SKEW',
      message: `local clock is ${describe} (limit ${Math.round(maxSkewMs / 1000)} s); signatures and presigned URL lifetimes will be off`,
      details,
    };
  }
  return { ok: true, message: `local clock is ${describe}`, details };
}

function skipped(message: string): CheckOutcome {
  return { ok: true, skipped: true, message };
}

function notRun(code: string, message: string): Promise<CheckOutcome> {
  return Promise.resolve({ ok: false, code, message });
}

function bareHostname(endpoint: URL): string {
  const host = endpoint.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function portOf(endpoint: URL): number | undefined {
  if (endpoint.port !== '') return Number(endpoint.port);
  if (endpoint.protocol === 'https:') return 443;
  if (endpoint.protocol === 'http:') return 80;
  return undefined;
}

function formatHost(address: string): string {
  return isIP(address.split('%')[0] ?? address) === 6 ? `[${address}]` : address;
}

function elapsedSince(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function nonNegativeOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

function safeIso(now: () => Date): string {
  try {
    return now().toISOString();
  } catch {
    return new Date().toISOString();
  }
}

function systemCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

// Only an Error's name, message and code reach a report, never its other properties or a
// non-Error thrown value: those can hold anything, credentials included.
function errorText(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    const code = systemCode(error);
    text = `${error.name}: ${error.message}`;
    if (code !== undefined && !text.includes(code)) text += ` (${code})`;
  } else {
    text = `non-Error value thrown (${typeof error})`;
  }
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}…` : text;
}
