// `s3-presign doctor --probe-store`: what the store behind the pinned route actually enforces,
// found out with real requests. Each guarantee the service's URLs and policies lean on is
// tried once the way a client could break it (other type, length, bytes, region, a late
// request, a changed form), signed here with the service's own SigV4 code, on keys under a
// probe prefix that are deleted afterwards, also when the probe fails half way. Stores differ
// here: Ceph RGW 16.2 stores other bytes under a signed x-amz-checksum-sha256 and accepts any
// SigV4 region; the embedded store verifies every checksum and Content-MD5, not the region.
//
// The probe signs every algorithm itself (not through the Presigner, whose fields are the
// service's API), so it reports on algorithms the service does not offer yet as well.
import { createHash, randomBytes } from 'node:crypto';
import { bodyPrefix, s3ErrorCode } from '../endpoint/bounded-body.js';
import { CHECKSUM_ALGORITHMS, checksumHeader, checksumOf } from '../endpoint/checksum-algorithms.js';
import type { PinnedS3 } from '../endpoint/s3-client.js';
import type { CredentialSource, SigningCredentials } from '../presign/credentials.js';
import { signPostPolicy } from '../presign/post-policy-signer.js';
import { DELEGATE, S3RouteResolver, type S3Route } from '../presign/s3-route.js';
import { encodeKeyPath } from '../presign/sigv4-encoding.js';
import { presignSigV4Query, UNSIGNED_PAYLOAD } from '../presign/sigv4-query.js';

export const STORE_GUARANTEES = [
  'signed-content-type',
  'signed-content-length',
  ...CHECKSUM_ALGORITHMS.map((algorithm) => `checksum-${algorithm}` as const),
  'content-md5',
  'post-content-length-range',
  'post-field',
  'sigv4-region',
  'expiry',
] as const;
export type StoreGuarantee = (typeof STORE_GUARANTEES)[number];

export interface GuaranteeFinding {
  guarantee: StoreGuarantee;
  /** Undefined when the probe could not tell (its baseline failed, or the store erred). */
  holds: boolean | undefined;
  /** What the store did, in a line: statuses and S3 error codes, never a URL. */
  observed: string;
}

export interface StoreProbeReport {
  /** The format of this record (S3_STORE_PROBE_FILE), for readers of older files. */
  version: 1;
  /** ISO 8601. */
  probedAt: string;
  /** The bucket's address on the pinned route: what the record is about. */
  address: string;
  bucket: string;
  /** The keys this run wrote all start with it. */
  prefix: string;
  findings: GuaranteeFinding[];
  cleanup: { deleted: number; failed: Array<{ key: string; error: string }> };
}

export interface StoreProbeOptions {
  s3: PinnedS3;
  bucket: string;
  /** The bucket's address on the pinned route, recorded with the findings. */
  address: string;
  credentials: CredentialSource;
  /** Keys go under `${prefix}${run id}/`. */
  prefix: string;
  now?: () => Date;
  /** Per request. Default 15 s. */
  timeoutMs?: number;
}

export const DEFAULT_STORE_PROBE_PREFIX = '.s3-presign-store-probe/';

/** An answer to one request: accepted, refused (4xx) or neither (5xx, no answer). */
type Answer =
  | { kind: 'accepted'; status: number }
  | { kind: 'refused'; status: number; code: string }
  | { kind: 'failed'; detail: string };

const BODY_BYTES = 64;

export async function probeStore(options: StoreProbeOptions): Promise<StoreProbeReport> {
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 15_000;
  const started = now();
  const runPrefix = `${options.prefix}${started.toISOString().replace(/[-:]|\.\d{3}/g, '')}-${randomBytes(4).toString('hex')}/`;
  const findings = new Map<StoreGuarantee, GuaranteeFinding>();
  const written = new Set<string>();
  const note = (guarantee: StoreGuarantee, holds: boolean | undefined, observed: string) =>
    findings.set(guarantee, { guarantee, holds, observed });
  const report = (): StoreProbeReport => ({
    version: 1,
    probedAt: started.toISOString(),
    address: options.address,
    bucket: options.bucket,
    prefix: runPrefix,
    findings: STORE_GUARANTEES.map(
      (guarantee) => findings.get(guarantee) ?? { guarantee, holds: undefined, observed: 'not probed' },
    ),
    cleanup: { deleted: 0, failed: [] },
  });

  const route = await new S3RouteResolver(options.s3, 1).resolve(options.bucket);
  if (route === DELEGATE) {
    const result = report();
    for (const finding of result.findings) {
      finding.observed = "not probed: this bucket's route is signed by the AWS SDK (S3 Express or SigV4a)";
    }
    return result;
  }
  const credentials = await options.credentials.get();
  const send = requester(route, credentials, timeoutMs, now);
  const body = randomBytes(BODY_BYTES);
  const other = randomBytes(BODY_BYTES);
  const put = (name: string, signed: Record<string, string>, sent: Record<string, string>, bytes: Buffer, at = {}) => {
    written.add(`${runPrefix}${name}`);
    return send.put(`${runPrefix}${name}`, signed, sent, bytes, at);
  };

  const cleanup = { deleted: 0, failed: [] as Array<{ key: string; error: string }> };
  try {
    // Without a stored baseline nothing else can be read: a refusal would prove nothing.
    const baseline = await put('baseline', { 'content-type': 'text/plain' }, { 'content-type': 'text/plain' }, body);
    if (baseline.kind !== 'accepted') {
      const why = `not found out: the baseline PUT (right type and bytes) was ${describe(baseline)}`;
      for (const guarantee of STORE_GUARANTEES) if (!guarantee.startsWith('post-')) note(guarantee, undefined, why);
    } else {
      judgeRefusal(
        note,
        'signed-content-type',
        'other content-type',
        await put('content-type', { 'content-type': 'text/plain' }, { 'content-type': 'text/html' }, body),
      );
      judgeRefusal(
        note,
        'signed-content-length',
        'one byte more than signed',
        await put(
          'content-length',
          { 'content-length': String(BODY_BYTES) },
          {},
          Buffer.concat([body, other.subarray(0, 1)]),
        ),
      );
      for (const algorithm of CHECKSUM_ALGORITHMS) {
        const header = { [checksumHeader(algorithm)]: await checksumOf(algorithm, body) };
        await judgeDigest(note, `checksum-${algorithm}`, {
          right: () => put(`checksum-${algorithm}-right`, header, header, body),
          other: () => put(`checksum-${algorithm}-other`, header, header, other),
          readBack: () => send.get(`${runPrefix}checksum-${algorithm}-other`),
          otherBytes: other,
        });
      }
      const md5 = { 'content-md5': createHash('md5').update(body).digest('base64') };
      await judgeDigest(note, 'content-md5', {
        right: () => put('content-md5-right', md5, md5, body),
        other: () => put('content-md5-other', md5, md5, other),
        readBack: () => send.get(`${runPrefix}content-md5-other`),
        otherBytes: other,
      });
      const elsewhere = route.signingRegion === 'us-west-2' ? 'eu-central-1' : 'us-west-2';
      judgeRefusal(
        note,
        'sigv4-region',
        `signed for ${elsewhere} instead of ${route.signingRegion}`,
        await put('region', {}, {}, body, { region: elsewhere }),
      );
      judgeRefusal(
        note,
        'expiry',
        'a URL that expired 59 minutes ago',
        await put('expiry', {}, {}, body, { signingDate: new Date(now().getTime() - 3600_000), expiresIn: 60 }),
      );
    }

    const policyFor = (name: string) => {
      written.add(`${runPrefix}${name}`);
      return signPostPolicy(route, {
        bucket: options.bucket,
        key: `${runPrefix}${name}`,
        contentType: 'text/plain',
        contentLengthRange: [BODY_BYTES, BODY_BYTES],
        successActionStatus: '201',
        expiresIn: 900,
        signingDate: now(),
        credentials,
      });
    };
    const postBaseline = await send.post(policyFor('post-baseline'), {}, body);
    if (postBaseline.kind !== 'accepted') {
      const why = `not found out: a form with the right file was ${describe(postBaseline)}`;
      note('post-content-length-range', undefined, why);
      note('post-field', undefined, why);
    } else {
      const over = await send.post(policyFor('post-over'), {}, Buffer.concat([body, other.subarray(0, 1)]));
      const under = await send.post(policyFor('post-under'), {}, body.subarray(1));
      if (over.kind === 'failed' || under.kind === 'failed') {
        note('post-content-length-range', undefined, `one byte over: ${describe(over)}; under: ${describe(under)}`);
      } else {
        note(
          'post-content-length-range',
          over.kind === 'refused' && under.kind === 'refused',
          `one byte over: ${describe(over)}; one under: ${describe(under)}`,
        );
      }
      judgeRefusal(
        note,
        'post-field',
        'the Content-Type field changed',
        await send.post(policyFor('post-field'), { 'Content-Type': 'text/html' }, body),
      );
    }
  } finally {
    // Every key a request named, stored or not: a refusal may still have stored, and a probe
    // that failed half way must not leave its objects behind.
    // Signed here too, not sent through the SDK, whose error reader takes a refusal's whole
    // body: a store answering two deletes with endless ones sent 1.6 GB before their timeouts.
    for (const key of written) {
      const deleted = await send.delete(key);
      if (deleted.kind === 'accepted') cleanup.deleted += 1;
      else cleanup.failed.push({ key, error: describe(deleted) });
    }
  }
  return { ...report(), cleanup };
}

type Note = (guarantee: StoreGuarantee, holds: boolean | undefined, observed: string) => void;

/** The guarantee holds when the store refuses what breaks it. */
function judgeRefusal(note: Note, guarantee: StoreGuarantee, attempt: string, answer: Answer): void {
  note(guarantee, answer.kind === 'failed' ? undefined : answer.kind === 'refused', `${attempt}: ${describe(answer)}`);
}

/**
 * A digest holds when the store takes the right bytes under it and refuses other bytes of the
 * same length; taking neither means it does not support the header at all.
 */
async function judgeDigest(
  note: Note,
  guarantee: StoreGuarantee,
  tries: {
    right: () => Promise<Answer>;
    other: () => Promise<Answer>;
    readBack: () => Promise<Buffer | undefined>;
    otherBytes: Buffer;
  },
): Promise<void> {
  const right = await tries.right();
  if (right.kind === 'refused') return note(guarantee, false, `refused even the right bytes: ${describe(right)}`);
  if (right.kind === 'failed') return note(guarantee, undefined, `the right bytes: ${describe(right)}`);
  const other = await tries.other();
  if (other.kind !== 'accepted') {
    return note(guarantee, other.kind === 'failed' ? undefined : true, `other bytes, same length: ${describe(other)}`);
  }
  const stored = await tries.readBack();
  const readBack =
    stored === undefined ? '' : stored.equals(tries.otherBytes) ? ', read back as sent' : ', read back changed';
  note(guarantee, false, `other bytes, same length: stored (${other.status})${readBack}`);
}

/** The SDK's `x-id` for each method the probe sends to a key. */
const OPERATIONS = { GET: 'GetObject', PUT: 'PutObject', DELETE: 'DeleteObject' } as const;

/** Requests signed by the service's SigV4 code for the bucket's route, and their answers. */
function requester(route: S3Route, credentials: SigningCredentials, timeoutMs: number, now: () => Date) {
  const urlFor = (
    method: keyof typeof OPERATIONS,
    key: string,
    headers: Record<string, string>,
    at: { region?: string; signingDate?: Date; expiresIn?: number },
  ) =>
    presignSigV4Query({
      method,
      origin: route.origin,
      host: route.host,
      path: `${route.pathPrefix}/${encodeKeyPath(key)}`,
      // As the service's own URLs carry them (src/presign/fast-signer.ts).
      query: [
        ['X-Amz-Content-Sha256', UNSIGNED_PAYLOAD],
        ['x-id', OPERATIONS[method]],
      ],
      headers,
      credentials,
      region: at.region ?? route.signingRegion,
      service: route.signingService,
      signingDate: at.signingDate ?? now(),
      expiresIn: at.expiresIn ?? 300,
    });
  const answer = async (request: () => Promise<Response>): Promise<Answer> => {
    try {
      const response = await request();
      if (response.ok) {
        await response.body?.cancel();
        return { kind: 'accepted', status: response.status };
      }
      const code = await s3ErrorCode(response);
      const coded = `${response.status}${code ? ` ${code}` : ''}`;
      // A redirect proves no guarantee; followed, it would take a signed request to an address
      // no one configured.
      if (response.status < 400) return { kind: 'failed', detail: `${coded}, a redirect, not followed` };
      if (response.status < 500) return { kind: 'refused', status: response.status, code };
      return { kind: 'failed', detail: coded };
    } catch (error) {
      return { kind: 'failed', detail: `no answer (${errorName(error)})` };
    }
  };
  return {
    put: (
      key: string,
      signed: Record<string, string>,
      sent: Record<string, string>,
      body: Buffer,
      at: { region?: string; signingDate?: Date; expiresIn?: number },
    ) =>
      answer(() =>
        fetch(urlFor('PUT', key, signed, at), {
          method: 'PUT',
          headers: sent,
          body,
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'manual',
        }),
      ),
    get: async (key: string): Promise<Buffer | undefined> => {
      try {
        const response = await fetch(urlFor('GET', key, {}, {}), {
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'manual',
        });
        if (response.ok) return await bodyPrefix(response, BODY_BYTES + 1);
        await response.body?.cancel();
        return undefined;
      } catch {
        return undefined;
      }
    },
    // At the real clock, whatever the probe's own did: a delete must be valid when it is sent.
    delete: (key: string) =>
      answer(() =>
        fetch(urlFor('DELETE', key, {}, { signingDate: new Date() }), {
          method: 'DELETE',
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'manual',
        }),
      ),
    post: (policy: ReturnType<typeof signPostPolicy>, changed: Record<string, string>, file: Buffer) => {
      const form = new FormData();
      for (const [name, value] of Object.entries({ ...policy.fields, ...changed })) form.append(name, value);
      form.append('file', new Blob([file], { type: changed['Content-Type'] ?? 'text/plain' }), 'probe.txt');
      return answer(() =>
        fetch(policy.url, { method: 'POST', body: form, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' }),
      );
    },
  };
}

function describe(answer: Answer): string {
  switch (answer.kind) {
    case 'accepted':
      return `stored (${answer.status})`;
    case 'refused':
      return `refused (${answer.status}${answer.code ? ` ${answer.code}` : ''})`;
    case 'failed':
      return `not answered (${answer.detail})`;
  }
}

function errorName(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' ? error.message.slice(0, 100) : error.name;
  return String(error).slice(0, 100);
}
