// Upload IDs and create grants: the exact tokens a fixed secret gives (so a change to what
// the HMAC covers shows), the state they carry back, and every way a token can be refused:
// each field changed, another caller, key or secret, expired, truncated, too long, not ours,
// and every other spelling of the same bytes. Reading a token is linear: counted, not timed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import type { Caller } from '../../../src/auth/caller-policy.js';
import { AppError } from '../../../src/errors.js';
import {
  MAX_TOKEN_LENGTH,
  tokenParts,
  UploadTokens,
  type ReadingWork,
  type UploadState,
} from '../../../src/multipart/upload-token.js';
import { apiKeyCaller } from '../../fixtures/callers.js';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
const EXPIRES_AT = 1_700_000_000;
const BEFORE_DEADLINE = new Date(1_699_999_999_999);
const AT_DEADLINE = new Date(1_700_000_000_000);

function caller(id: string, subject?: string): Caller {
  const byKey = apiKeyCaller({ operations: ['put'], buckets: ['uploads'] }, id);
  return subject === undefined ? byKey : { ...byKey, kind: 'jwt', subject };
}

const WEB = caller('web');
const USER = caller('web', 'user-1');
const STATE: UploadState = {
  s3UploadId: 's3-id',
  bucket: 'uploads',
  contentLength: 12_582_912,
  partSize: 5_242_880,
  expiresAt: EXPIRES_AT,
};
// Issued by the code under test with SECRET, then written out: what the HMAC covers (version,
// payload, caller id and subject with their lengths, key) may not change unnoticed, since
// every replica must accept the others' tokens.
const WEB_TOKEN =
  'u1.WyJzMy1pZCIsInVwbG9hZHMiLDEyNTgyOTEyLDUyNDI4ODAsMTcwMDAwMDAwMF0.4jIvx2hDD4q7Ly6atHKyPMdVEj3iCwoENEdfeEy12Lc';
const USER_TOKEN =
  'u1.WyJzMy1pZCIsInVwbG9hZHMiLDEyNTgyOTEyLDUyNDI4ODAsMTcwMDAwMDAwMF0.aH_r_7OIXlA_22UeR6fTin9XeEHpsq96snbtJivYBWg';
// The same state with S3's ID "s3-id-0": an HMAC with both "-" and "_" in it.
const DASHED_TOKEN =
  'u1.WyJzMy1pZC0wIiwidXBsb2FkcyIsMTI1ODI5MTIsNTI0Mjg4MCwxNzAwMDAwMDAwXQ.n2RmRDyhI-xuDvaUbwy-tyATa0Zx_3VmPg0q_OmJN4I';
// Issued by the version that let an upload start without its size (a null length): its HMAC
// is good under SECRET, its contents are not what this version issues.
const USER_TOKEN_NO_LENGTH =
  'u1.WyJzMy1pZCIsInVwbG9hZHMiLG51bGwsNTI0Mjg4MCwxNzAwMDAwMDAwXQ.1FgTVnGRBzHTvSzFA-SATF7vkrdzCxHwKkHG_-_ORlw';
// Good HMACs under SECRET (for USER and web/a.bin) over payloads this version never writes, as
// another version sharing the secret might: not an array, a seventh field, a number for S3's
// upload ID, for the bucket or for the checksum, an algorithm S3 does not know (md4), a type S3
// refuses for the algorithm (xxhash3:FULL_OBJECT).
// The six-field form with a checksum this version writes comes first, for contrast.
const OTHER_VERSION_TOKENS = {
  withChecksum:
    'u1.WyJzMy1pZCIsInVwbG9hZHMiLDEyNTgyOTEyLDUyNDI4ODAsMTcwMDAwMDAwMCwiY3JjMzI6Q09NUE9TSVRFIl0.BqaJtfv47qxdQOk2DkRiXcCwz_SFv-uS8EH3z-1WRJU',
  notAnArray: 'u1.eyJzM1VwbG9hZElkIjoiczMtaWQifQ.unN_Ip1qdBcqP_1AcbxTOKlNnTfY5JxhIGHlYsXWMyk',
  sevenFields:
    'u1.WyJzMy1pZCIsInVwbG9hZHMiLDEyNTgyOTEyLDUyNDI4ODAsMTcwMDAwMDAwMCwiY3JjMzI6Q09NUE9TSVRFIiwibW9yZSJd.joh_MzQAKAyhV9q_UvnBK66xRquKDVacIpkrlUH_3uw',
  numericUploadId:
    'u1.WzcsInVwbG9hZHMiLDEyNTgyOTEyLDUyNDI4ODAsMTcwMDAwMDAwMF0.CdLTY1rmVGYqMP8Oq1TjYS7910fyeV43PKd0T6IrJSs',
  numericBucket: 'u1.WyJzMy1pZCIsNywxMjU4MjkxMiw1MjQyODgwLDE3MDAwMDAwMDBd.hC9Rfk80nBDw5CTwcRad9nSh5HweiJPWS-LSMmVIaco',
  numericChecksum:
    'u1.WyJzMy1pZCIsInVwbG9hZHMiLDEyNTgyOTEyLDUyNDI4ODAsMTcwMDAwMDAwMCwzMl0.YXjREkW0WvL_T1sF5fqKbg0WlmEz8-i0mFJVdWasWXk',
  unknownAlgorithm:
    'u1.WyJzMy1pZCIsInVwbG9hZHMiLDEyNTgyOTEyLDUyNDI4ODAsMTcwMDAwMDAwMCwibWQ0OkNPTVBPU0lURSJd.jLCcVMvCXXJ3AbJaOkTR16E_e6Ask_VAUq0x8Wpeg_Q',
  typeS3Refuses:
    'u1.WyJzMy1pZCIsInVwbG9hZHMiLDEyNTgyOTEyLDUyNDI4ODAsMTcwMDAwMDAwMCwieHhoYXNoMzpGVUxMX09CSkVDVCJd.VlhAK5MB_HoqK6eeQux71Ks9loZl203A_wu-xQFMG6c',
};
const USER_GRANT =
  'g1.WyJ3ZWIvYS5iaW4iLDE3MDAwMDAwMDAsMTI1ODI5MTIsNTI0Mjg4MF0.6cl43JC46ryL-x4YIVvE_DmDpMCBPS7LKjQe3VGkh1Y';
const GRANT = { key: 'web/a.bin', expiresAt: EXPIRES_AT, contentLength: 12_582_912, partSize: 5_242_880 };

const notIssued = {
  name: 'AppError',
  code: 'INVALID_UPLOAD_ID',
  statusCode: 400,
  field: 'uploadId',
  message: 'uploadId is not one this service issued',
};
const notYours = {
  name: 'AppError',
  code: 'UPLOAD_NOT_ALLOWED',
  statusCode: 403,
  field: 'uploadId',
  message: 'this uploadId was not issued to you for this key',
};
const expired = {
  name: 'AppError',
  code: 'UPLOAD_EXPIRED',
  statusCode: 410,
  field: 'uploadId',
  message: 'this multipart upload is past its deadline; start a new one',
};
const grantNotIssued = {
  name: 'AppError',
  code: 'INVALID_UPLOAD_ID',
  statusCode: 400,
  field: 'grant',
  message: 'the create grant is not one this service issued',
};
const grantNotYours = {
  name: 'AppError',
  code: 'UPLOAD_NOT_ALLOWED',
  statusCode: 403,
  field: 'grant',
  message: 'this create grant was not issued to you',
};
const grantExpired = {
  name: 'AppError',
  code: 'UPLOAD_EXPIRED',
  statusCode: 410,
  field: 'grant',
  message: 'this create grant has expired; sign the create call again',
};

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const [, WEB_PAYLOAD, WEB_MAC] = WEB_TOKEN.split('.') as [string, string, string];

describe('UploadTokens secret', () => {
  it('must be at least 32 bytes', () => {
    assert.throws(() => new UploadTokens(Buffer.alloc(31, 1)), {
      name: 'RangeError',
      message: 'the upload token secret must be at least 32 bytes',
    });
    assert.doesNotThrow(() => new UploadTokens(Buffer.alloc(32, 1)));
  });
});

/** Every other spelling of the same bytes base64 decoders accept, and characters slipped in. */
function respellings(token: string): string[] {
  const [version, payload, mac] = token.split('.') as [string, string, string];
  const flipLastBit = (text: string) => {
    // The last character of 43 (or 63) carries 2 unused bits: flipping one decodes the same.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(text.at(-1) as string);
    return `${text.slice(0, -1)}${alphabet[last ^ 1]}`;
  };
  const standard = (text: string) => text.replaceAll('-', '+').replaceAll('_', '/');
  const spellings = [
    `${token}=`,
    `${version}.${payload}.${mac}==`,
    `${version}.${payload}=.${mac}`,
    `${version}.${standard(payload)}.${standard(mac)}`,
    `${version}.${payload}.${flipLastBit(mac)}`,
    `${version}.${flipLastBit(payload)}.${mac}`,
    `${version}.${payload}.${mac.slice(0, 10)}!${mac.slice(10)}`,
    `${version}.${payload}.${mac.slice(0, 10)} ${mac.slice(10)}`,
    `${version}.${payload}.${mac.slice(0, 10)}A${mac.slice(10)}`,
    `${version}.${payload.slice(0, 5)}!${payload.slice(5)}.${mac}`,
    `${version}.${payload}.${mac}\n`,
    ` ${token}`,
  ];
  // A token without "-" or "_" has no standard-alphabet spelling of its own.
  return spellings.filter((spelling) => spelling !== token);
}

describe('upload IDs', () => {
  const tokens = new UploadTokens(SECRET);

  it('are u1.<payload>.<HMAC>, the same for the same state, caller and key', () => {
    assert.equal(tokens.issue(STATE, WEB, 'web/a.bin'), WEB_TOKEN);
    assert.equal(tokens.issue(STATE, USER, 'web/a.bin'), USER_TOKEN, 'a JWT subject is bound too');
    assert.equal(tokens.issue({ ...STATE, s3UploadId: 's3-id-0' }, WEB, 'web/a.bin'), DASHED_TOKEN);
    assert.equal(
      Buffer.from(WEB_PAYLOAD, 'base64url').toString('utf8'),
      '["s3-id","uploads",12582912,5242880,1700000000]',
    );
  });

  it('open to the state they were issued with', () => {
    assert.deepEqual(tokens.open(WEB_TOKEN, WEB, 'web/a.bin', BEFORE_DEADLINE), STATE);
    assert.deepEqual(tokens.open(USER_TOKEN, USER, 'web/a.bin', BEFORE_DEADLINE), STATE);
    const zero = tokens.issue({ ...STATE, contentLength: 0 }, WEB, 'web/a.bin');
    assert.equal(tokens.open(zero, WEB, 'web/a.bin', BEFORE_DEADLINE).contentLength, 0);
  });

  it('carry the checksum an upload was created with, and only a pair S3 allows', () => {
    const checksum = { algorithm: 'crc64nvme', type: 'FULL_OBJECT' } as const;
    const token = tokens.issue({ ...STATE, checksum }, WEB, 'web/a.bin');
    assert.deepEqual(tokens.open(token, WEB, 'web/a.bin', BEFORE_DEADLINE), { ...STATE, checksum });
    const forbidden = tokens.issue(
      { ...STATE, checksum: { algorithm: 'sha256', type: 'FULL_OBJECT' } },
      WEB,
      'web/a.bin',
    );
    assert.throws(
      () => tokens.open(forbidden, WEB, 'web/a.bin', BEFORE_DEADLINE),
      (error: unknown) => error instanceof AppError && error.code === 'INVALID_UPLOAD_ID',
    );
  });

  it('open only in the exact form they were issued in, not in another spelling of the same bytes', () => {
    for (const [token, who] of [
      [WEB_TOKEN, WEB],
      [USER_TOKEN, USER],
      [DASHED_TOKEN, WEB],
    ] as const) {
      for (const respelled of respellings(token)) {
        assert.throws(
          () => tokens.open(respelled, who, 'web/a.bin', BEFORE_DEADLINE),
          (error: { code?: string }) => error.code === 'INVALID_UPLOAD_ID' || error.code === 'UPLOAD_NOT_ALLOWED',
          JSON.stringify(respelled),
        );
      }
    }
  });

  it('are refused when issued by a version that let uploads start without a size', () => {
    assert.throws(() => tokens.open(USER_TOKEN_NO_LENGTH, USER, 'web/a.bin', BEFORE_DEADLINE), {
      code: 'INVALID_UPLOAD_ID',
      statusCode: 400,
      field: 'uploadId',
      message: 'uploadId was issued by an older version of this service; start anew',
    });
  });

  it('are refused, as a 400 naming the older version, for any payload this version does not write', () => {
    assert.deepEqual(tokens.open(OTHER_VERSION_TOKENS.withChecksum, USER, 'web/a.bin', BEFORE_DEADLINE), {
      ...STATE,
      checksum: { algorithm: 'crc32', type: 'COMPOSITE' },
    });
    for (const [name, token] of Object.entries(OTHER_VERSION_TOKENS)) {
      if (name === 'withChecksum') continue;
      assert.throws(
        () => tokens.open(token, USER, 'web/a.bin', BEFORE_DEADLINE),
        {
          name: 'AppError',
          code: 'INVALID_UPLOAD_ID',
          statusCode: 400,
          field: 'uploadId',
          message: 'uploadId was issued by an older version of this service; start anew',
        },
        name,
      );
    }
  });

  it('are refused at and after the deadline', () => {
    assert.throws(() => tokens.open(WEB_TOKEN, WEB, 'web/a.bin', AT_DEADLINE), expired);
    assert.throws(() => tokens.open(WEB_TOKEN, WEB, 'web/a.bin', new Date(1_800_000_000_000)), expired);
    assert.equal(tokens.open(WEB_TOKEN, WEB, 'web/a.bin', new Date(0)).s3UploadId, 's3-id');
  });

  it('are refused for another caller id, subject or key, and under another secret', () => {
    assert.throws(() => tokens.open(WEB_TOKEN, caller('web2'), 'web/a.bin', BEFORE_DEADLINE), notYours);
    assert.throws(() => tokens.open(WEB_TOKEN, caller('we'), 'web/a.bin', BEFORE_DEADLINE), notYours);
    assert.throws(() => tokens.open(WEB_TOKEN, caller('web', 'user-1'), 'web/a.bin', BEFORE_DEADLINE), notYours);
    assert.throws(() => tokens.open(USER_TOKEN, WEB, 'web/a.bin', BEFORE_DEADLINE), notYours);
    assert.throws(() => tokens.open(USER_TOKEN, caller('web', 'user-2'), 'web/a.bin', BEFORE_DEADLINE), notYours);
    assert.throws(() => tokens.open(WEB_TOKEN, WEB, 'web/b.bin', BEFORE_DEADLINE), notYours);
    assert.throws(() => tokens.open(WEB_TOKEN, WEB, 'web/a.bin ', BEFORE_DEADLINE), notYours);
    const other = new UploadTokens(Buffer.from('0123456789abcdef0123456789abcdeF'));
    assert.throws(() => other.open(WEB_TOKEN, WEB, 'web/a.bin', BEFORE_DEADLINE), notYours);
  });

  it('are refused when any field of the payload is changed', () => {
    const changed = [
      '["s3-iD","uploads",12582912,5242880,1700000000]',
      '["s3-id","uploadz",12582912,5242880,1700000000]',
      '["s3-id","uploads",12582913,5242880,1700000000]',
      '["s3-id","uploads",null,5242880,1700000000]',
      '["s3-id","uploads",12582912,5242881,1700000000]',
      '["s3-id","uploads",12582912,5242880,1800000000]',
    ];
    for (const json of changed) {
      assert.throws(() => tokens.open(`u1.${b64(json)}.${WEB_MAC}`, WEB, 'web/a.bin', BEFORE_DEADLINE), notYours, json);
    }
    assert.throws(() => tokens.open(`u1.${WEB_PAYLOAD}x.${WEB_MAC}`, WEB, 'web/a.bin', BEFORE_DEADLINE), notYours);
  });

  it('are refused with a changed, truncated or extended HMAC', () => {
    const flipped = `${WEB_MAC.startsWith('4') ? '5' : '4'}${WEB_MAC.slice(1)}`;
    for (const mac of [flipped, WEB_MAC.slice(0, -4), WEB_MAC.slice(0, 10), `${WEB_MAC}AAAA`, 'AAAA']) {
      assert.throws(() => tokens.open(`u1.${WEB_PAYLOAD}.${mac}`, WEB, 'web/a.bin', BEFORE_DEADLINE), notYours, mac);
    }
  });

  it('are not ours without three non-empty base64url parts and the u1 version', () => {
    const malformed = [
      '',
      'not-ours',
      `u1.${WEB_PAYLOAD}`,
      `u1.${WEB_PAYLOAD}.${WEB_MAC}.x`,
      `u2.${WEB_PAYLOAD}.${WEB_MAC}`,
      `.${WEB_PAYLOAD}.${WEB_MAC}`,
      `U1.${WEB_PAYLOAD}.${WEB_MAC}`,
      `u1..${WEB_MAC}`,
      `u1.${WEB_PAYLOAD}.`,
      `u1.${WEB_PAYLOAD}.!!!!`,
      `u1.${WEB_PAYLOAD}.${WEB_MAC}é`,
      `g1.${WEB_PAYLOAD}.${WEB_MAC}`,
      USER_GRANT,
    ];
    for (const token of malformed) {
      assert.throws(() => tokens.open(token, WEB, 'web/a.bin', BEFORE_DEADLINE), notIssued, token);
    }
  });

  it('are read up to 2048 characters and refused beyond', () => {
    const longest = tokens.issue({ ...STATE, s3UploadId: 'x'.repeat(1458) }, WEB, 'web/a.bin');
    assert.equal(longest.length, 2047);
    assert.equal(tokens.open(longest, WEB, 'web/a.bin', BEFORE_DEADLINE).s3UploadId, 'x'.repeat(1458));
    const tooLong = tokens.issue({ ...STATE, s3UploadId: 'x'.repeat(1459) }, WEB, 'web/a.bin');
    assert.equal(tooLong.length, 2049);
    assert.throws(() => tokens.open(tooLong, WEB, 'web/a.bin', BEFORE_DEADLINE), notIssued);
  });
});

describe('create grants', () => {
  const tokens = new UploadTokens(SECRET);

  it('are g1.<payload>.<HMAC> naming the key, deadline and size', () => {
    assert.equal(tokens.issueGrant(USER, GRANT), USER_GRANT);
    assert.equal(
      Buffer.from(USER_GRANT.split('.')[1] as string, 'base64url').toString('utf8'),
      '["web/a.bin",1700000000,12582912,5242880]',
    );
  });

  it('open to what they promised for the caller they were issued to, until the deadline', () => {
    assert.deepEqual(tokens.openGrant(USER_GRANT, USER, BEFORE_DEADLINE), GRANT);
    assert.deepEqual(tokens.openGrant(USER_GRANT, USER, new Date(0)), GRANT);
    assert.throws(() => tokens.openGrant(USER_GRANT, USER, AT_DEADLINE), grantExpired);
  });

  it("carry the upload's checksum when it has one, bound by the HMAC", () => {
    const withChecksum = { ...GRANT, checksum: { algorithm: 'sha256', type: 'COMPOSITE' } } as const;
    const token = tokens.issueGrant(USER, withChecksum);
    const [, payload, mac] = token.split('.') as [string, string, string];
    assert.equal(
      Buffer.from(payload, 'base64url').toString('utf8'),
      '["web/a.bin",1700000000,12582912,5242880,"sha256:COMPOSITE"]',
    );
    assert.deepEqual(tokens.openGrant(token, USER, BEFORE_DEADLINE), withChecksum);
    // Another algorithm under the same HMAC: not what was issued.
    const changed = b64('["web/a.bin",1700000000,12582912,5242880,"crc32:COMPOSITE"]');
    assert.throws(() => tokens.openGrant(`g1.${changed}.${mac}`, USER, BEFORE_DEADLINE), grantNotYours);
    // A pair S3 refuses (SHA-256 is composite only) is never read, even if it were signed.
    const refused = b64('["web/a.bin",1700000000,12582912,5242880,"sha256:FULL_OBJECT"]');
    assert.throws(
      () => tokens.openGrant(`g1.${refused}.${mac}`, USER, BEFORE_DEADLINE),
      (error: { code?: string }) => error.code === 'INVALID_UPLOAD_ID',
    );
  });

  it('open only in the exact form they were issued in', () => {
    for (const respelled of respellings(USER_GRANT)) {
      assert.throws(
        () => tokens.openGrant(respelled, USER, BEFORE_DEADLINE),
        (error: { code?: string }) => error.code === 'INVALID_UPLOAD_ID' || error.code === 'UPLOAD_NOT_ALLOWED',
        JSON.stringify(respelled),
      );
    }
  });

  it('are refused for another caller, another secret, or a changed key, deadline, size or HMAC', () => {
    assert.throws(() => tokens.openGrant(USER_GRANT, WEB, BEFORE_DEADLINE), grantNotYours);
    assert.throws(() => tokens.openGrant(USER_GRANT, caller('web', 'user-2'), BEFORE_DEADLINE), grantNotYours);
    assert.throws(() => tokens.openGrant(USER_GRANT, caller('api', 'user-1'), BEFORE_DEADLINE), grantNotYours);
    const other = new UploadTokens(Buffer.from('0123456789abcdef0123456789abcdeF'));
    assert.throws(() => other.openGrant(USER_GRANT, USER, BEFORE_DEADLINE), grantNotYours);
    const [, , mac] = USER_GRANT.split('.') as [string, string, string];
    for (const json of [
      '["web/b.bin",1700000000,12582912,5242880]',
      '["web/a.bin",1800000000,12582912,5242880]',
      '["web/a.bin",1700000000,12582913,5242880]',
      '["web/a.bin",1700000000,12582912,5242881]',
    ]) {
      assert.throws(() => tokens.openGrant(`g1.${b64(json)}.${mac}`, USER, BEFORE_DEADLINE), grantNotYours, json);
    }
    for (const changed of [mac.slice(0, -4), `${mac.startsWith('Q') ? 'R' : 'Q'}${mac.slice(1)}`]) {
      assert.throws(
        () => tokens.openGrant(`g1.${USER_GRANT.split('.')[1]}.${changed}`, USER, BEFORE_DEADLINE),
        grantNotYours,
      );
    }
  });

  it('are not grants without three non-empty parts, the g1 version and a [key, deadline, size, part size] payload', () => {
    const [, payload, mac] = USER_GRANT.split('.') as [string, string, string];
    const malformed = [
      '',
      'g1',
      `g1.${payload}`,
      `g1.${payload}.${mac}.x`,
      `u1.${payload}.${mac}`,
      `g1..${mac}`,
      `g1.${payload}.`,
      WEB_TOKEN,
      `g1.${b64('not json')}.${mac}`,
      `g1.%%%.${mac}`,
      `g1.${b64('5')}.${mac}`,
      `g1.${b64('null')}.${mac}`,
      `g1.${b64('"web/a.bin"')}.${mac}`,
      `g1.${b64('["web/a.bin",1700000000]')}.${mac}`,
      `g1.${b64('[1,1700000000,1,1]')}.${mac}`,
      `g1.${b64('["web/a.bin","1700000000",1,1]')}.${mac}`,
      `g1.${b64('["web/a.bin",1700000000,-1,1]')}.${mac}`,
      `g1.${b64('["web/a.bin",1700000000,1.5,1]')}.${mac}`,
      `g1.${b64('["web/a.bin",1700000000,1,null]')}.${mac}`,
      `g1.${b64('["web/a.bin",1700000000,1,1,1]')}.${mac}`,
    ];
    for (const token of malformed) {
      assert.throws(() => tokens.openGrant(token, USER, BEFORE_DEADLINE), grantNotIssued, token);
    }
  });

  it('are read up to 2048 characters and refused beyond', () => {
    const longest = tokens.issueGrant(USER, { ...GRANT, key: 'k'.repeat(1468) });
    assert.equal(longest.length, 2047);
    assert.equal(tokens.openGrant(longest, USER, BEFORE_DEADLINE).key, 'k'.repeat(1468));
    const tooLong = tokens.issueGrant(USER, { ...GRANT, key: 'k'.repeat(1469) });
    assert.equal(tooLong.length, 2049);
    assert.throws(() => tokens.openGrant(tooLong, USER, BEFORE_DEADLINE), grantNotIssued);
  });
});

describe('reading a token is linear', () => {
  const read = (token: string) => {
    const work: ReadingWork = { characters: 0 };
    tokenParts(token, 'u1', work);
    return work.characters;
  };

  it('visits each character at most once, on the worst inputs of the longest length read', () => {
    const length = MAX_TOKEN_LENGTH;
    const worst = [
      'A'.repeat(length),
      `u1.${'A'.repeat(length - 5)}.A`,
      `u1.A.${'A'.repeat(length - 5)}`,
      '.'.repeat(length),
      `u1.${'A.'.repeat((length - 3) / 2)}`,
      `u1.${'A'.repeat(length - 4)}=`,
    ];
    for (const token of worst) {
      assert.ok(token.length <= length);
      assert.ok(read(token) <= token.length, `${read(token)} visits for ${token.length} characters`);
    }
    // The whole of a well-formed token is read, once.
    assert.equal(read(`u1.${'A'.repeat(length - 5)}.A`), length);
    // A third dot ends the reading.
    assert.equal(read('.'.repeat(length)), 3);
    assert.equal(read('A'.repeat(length + 1)), 0, 'too long: not read at all');
  });

  it('visits at most as many characters as the token has, whatever it holds', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('A', '_', '-', '.', '=', '+', '/', '!', 'é'), maxLength: 2100 }),
        (token) => {
          assert.ok(read(token) <= (token.length > MAX_TOKEN_LENGTH ? 0 : token.length));
        },
      ),
      { numRuns: 300 },
    );
  });
});
