// What the service does about each guarantee a store probe found holding or not, under this
// configuration: the table `doctor --probe-store` prints and the `store` check of /healthz.
// Type, length, form conditions and expiry the service relies on (nothing makes up for them);
// checksums it offers only where S3_STORE_CHECKSUMS says the store verifies them; Content-MD5
// and the SigV4 region it neither signs nor relies on.
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/config.js';
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_FIELDS,
  verifiedChecksumsSetting,
  type ChecksumAlgorithm,
} from '../endpoint/checksum-algorithms.js';
import { expectedLocation } from '../endpoint/expected-location.js';
import type { GuaranteeFinding, StoreGuarantee, StoreProbeReport } from './store-probe.js';
import { STORE_GUARANTEES } from './store-probe.js';

export type VerdictStatus = 'ok' | 'warn' | 'fail';

export interface GuaranteeVerdict extends GuaranteeFinding {
  /** As the table names it. */
  label: string;
  status: VerdictStatus;
  /** What the service does about it, in this configuration. */
  reaction: string;
}

export interface StoreVerdict {
  verdicts: GuaranteeVerdict[];
  /** No verdict failed. */
  ok: boolean;
  /** S3_STORE_CHECKSUMS naming exactly the algorithms found verified. */
  recommendedChecksums: string;
}

const RELIED_ON: Readonly<Partial<Record<StoreGuarantee, { label: string; why: string }>>> = {
  'signed-content-type': { label: 'signed content-type', why: "PUT URLs bind the type a caller's policy allows" },
  'signed-content-length': {
    label: 'signed content-length',
    why: "PUT and part URLs bind the size a caller's policy allows",
  },
  'post-content-length-range': {
    label: 'POST content-length-range',
    why: 'form uploads (method post, /s3/params, Uppy) stay within their size',
  },
  'post-field': { label: 'POST policy conditions', why: 'a form cannot change a field its policy fixes (key, type)' },
  expiry: { label: 'URL expiry', why: 'a URL stops working at its expiresAt' },
};

/** The S3_STORE_PROBE_FILE record's address for a bucket: what a record must be about. */
export function storeAddress(config: Config, bucket: string): string {
  const location = expectedLocation(config.mode, bucket);
  return `${location.protocol}//${location.host}${location.pathPrefix}`;
}

export function judgeStore(report: StoreProbeReport, config: Config): StoreVerdict {
  const verified = config.store.verifiedChecksums;
  const verdicts = report.findings.map((finding) => ({ ...finding, ...verdictOf(finding, verified) }));
  const found = CHECKSUM_ALGORITHMS.filter(
    (algorithm) => report.findings.find((finding) => finding.guarantee === `checksum-${algorithm}`)?.holds === true,
  );
  return {
    verdicts,
    ok: verdicts.every((verdict) => verdict.status !== 'fail'),
    recommendedChecksums: verifiedChecksumsSetting(found),
  };
}

function verdictOf(
  finding: GuaranteeFinding,
  verified: readonly ChecksumAlgorithm[],
): { label: string; status: VerdictStatus; reaction: string } {
  const { guarantee, holds } = finding;
  const relied = RELIED_ON[guarantee];
  if (relied) {
    if (holds === true) return { label: relied.label, status: 'ok', reaction: `relied on: ${relied.why}` };
    return {
      label: relied.label,
      status: 'fail',
      reaction:
        holds === false
          ? `relied on, and no setting makes up for it: ${relied.why}; do not serve uploads through this store`
          : `relied on, and not found out: ${relied.why}`,
    };
  }
  if (guarantee.startsWith('checksum-')) {
    const algorithm = guarantee.slice('checksum-'.length) as ChecksumAlgorithm;
    const field = CHECKSUM_FIELDS[algorithm];
    const label = `x-amz-checksum-${algorithm}`;
    const offered = verified.includes(algorithm);
    const setting = `S3_STORE_CHECKSUMS=${verifiedChecksumsSetting(verified)}`;
    if (holds === true) {
      return offered
        ? { label, status: 'ok', reaction: `${field} is signed, and the store refuses other bytes` }
        : {
            label,
            status: 'warn',
            reaction: `${field} is refused (400 CHECKSUM_NOT_VERIFIED, ${setting}) although the store verifies it: add ${algorithm}`,
          };
    }
    return offered
      ? {
          label,
          status: 'fail',
          reaction: `${field} is signed but ${holds === false ? 'not verified' : 'not found verified'}: ${setting} claims it; leave ${algorithm} out`,
        }
      : { label, status: 'ok', reaction: `${field} is refused with 400 CHECKSUM_NOT_VERIFIED (${setting})` };
  }
  if (guarantee === 'content-md5') {
    return {
      label: 'Content-MD5',
      status: holds === true ? 'ok' : 'warn',
      reaction: `not signed by the service; a client's own Content-MD5 is ${holds === true ? '' : 'not '}checked`,
    };
  }
  // sigv4-region
  return {
    label: 'SigV4 scope region',
    status: holds === true ? 'ok' : 'warn',
    reaction:
      holds === true
        ? 'the store and the validator both hold URLs to S3_REGION'
        : 'the store takes a signature for any region; the validator still holds every URL the service issues to S3_REGION',
  };
}

/** What /healthz reports from the last probe's record (S3_STORE_PROBE_FILE). */
export interface StoreCheck {
  ok: boolean;
  skipped?: boolean;
  durationMs: number;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
}

/**
 * The record of the last `doctor --probe-store`, judged under this configuration. Read at each
 * (cached) health run, so a new probe shows without a restart. Every replica reads the same
 * file (a mounted ConfigMap or volume): one probe, no writes from the replicas.
 */
export async function storeCheck(config: Config, bucket: string): Promise<StoreCheck> {
  const started = performance.now();
  const done = (result: Omit<StoreCheck, 'durationMs'>): StoreCheck => ({
    ...result,
    durationMs: performance.now() - started,
  });
  const file = config.store.probeFile;
  if (file === undefined) {
    return done({
      ok: true,
      skipped: true,
      message:
        'no store probe recorded (S3_STORE_PROBE_FILE unset): run s3-presign doctor --probe-store to find out what the store enforces',
    });
  }
  let report: StoreProbeReport;
  try {
    report = parseStoreProbe(await readFile(file, 'utf8'));
  } catch (error) {
    return done({
      ok: false,
      code: 'STORE_PROBE_UNREADABLE',
      message: `S3_STORE_PROBE_FILE cannot be read as a store probe: ${(error as Error).message}`,
    });
  }
  const address = storeAddress(config, bucket);
  if (report.address !== address) {
    return done({
      ok: false,
      code: 'STORE_PROBE_MISMATCH',
      message: `the recorded probe is of ${report.address}, not ${address}: probe this store again`,
      details: { probedAt: report.probedAt, address: report.address },
    });
  }
  const judged = judgeStore(report, config);
  const failed = judged.verdicts.filter((verdict) => verdict.status === 'fail');
  const holding = report.findings.filter((finding) => finding.holds === true).length;
  return done({
    ok: judged.ok,
    ...(judged.ok ? {} : { code: 'STORE_GUARANTEE_MISSING' }),
    message: judged.ok
      ? `probed ${report.probedAt}: ${holding} of ${report.findings.length} guarantees hold, and the service relies on none of the others`
      : `probed ${report.probedAt}: the service relies on ${failed.map((verdict) => verdict.label).join(', ')}, not found to hold${
          failed.some((verdict) => verdict.guarantee.startsWith('checksum-'))
            ? `; S3_STORE_CHECKSUMS for this store: ${judged.recommendedChecksums}`
            : ''
        } (s3-presign doctor --probe-store shows each)`,
    details: {
      probedAt: report.probedAt,
      address: report.address,
      holds: report.findings.filter((finding) => finding.holds === true).map((finding) => finding.guarantee),
      doesNotHold: report.findings.filter((finding) => finding.holds === false).map((finding) => finding.guarantee),
      unknown: report.findings.filter((finding) => finding.holds === undefined).map((finding) => finding.guarantee),
      failed: failed.map((verdict) => verdict.guarantee),
      recommendedChecksums: judged.recommendedChecksums,
    },
  });
}

/** A probe record as written by doctor; anything else is refused, field by field. */
export function parseStoreProbe(text: string): StoreProbeReport {
  const value = JSON.parse(text) as Partial<StoreProbeReport> | null;
  if (value === null || typeof value !== 'object' || value.version !== 1) throw new Error('not a version 1 record');
  if (typeof value.probedAt !== 'string' || typeof value.address !== 'string') {
    throw new Error('probedAt and address must be strings');
  }
  const findings = Array.isArray(value.findings) ? value.findings : [];
  const known = new Map(findings.map((finding) => [finding?.guarantee, finding]));
  const complete = STORE_GUARANTEES.map((guarantee) => {
    const finding = known.get(guarantee);
    if (finding === undefined) throw new Error(`no finding for ${guarantee}`);
    if (finding.holds !== true && finding.holds !== false && finding.holds !== undefined && finding.holds !== null) {
      throw new Error(`${guarantee}: holds must be true, false or absent`);
    }
    return {
      guarantee,
      holds: finding.holds ?? undefined,
      observed: typeof finding.observed === 'string' ? finding.observed : '',
    };
  });
  return { ...(value as StoreProbeReport), findings: complete };
}
