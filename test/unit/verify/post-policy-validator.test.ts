// The POST policy validator, one check at a time: a form the signer made passes, and each
// single change to it is refused with exactly one failure, whose code and message are written
// out here. (test/unit/verify/large-upload-validator.test.ts throws random changes at it; this file
// pins down each check's boundary and what it says.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { signPostPolicy, type PostPolicyRequest } from '../../../src/presign/post-policy-signer.js';
import type { S3Route } from '../../../src/presign/s3-route.js';
import {
  expectedPostUrl,
  validatePostPolicy,
  type PostPolicyExpectation,
  type PostPolicyForm,
} from '../../../src/verify/post-policy-validator.js';
import type { ValidatorPolicy } from '../../../src/verify/url-validator.js';
import type { WorkCounter } from '../../../src/work-counter.js';
import { assertLinearWork } from '../../linearity.js';
import { countNativeWork } from '../../native-work.js';
import { EXAMPLE_CREDENTIALS, OTHER_CREDENTIALS } from '../../fixtures/credentials.js';
import { localMode, regionalMode } from '../../fixtures/endpoint-modes.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const LOCAL = localMode(4568);
const REGIONAL = regionalMode('eu-west-1');
const LOCAL_ROUTE: S3Route = {
  origin: 'http://127.0.0.1:4568',
  host: '127.0.0.1:4568',
  pathPrefix: '/uploads-bucket',
  signingRegion: 'us-east-1',
  signingService: 's3',
};
const REGIONAL_ROUTE: S3Route = {
  origin: 'https://uploads-bucket.s3.eu-west-1.amazonaws.com',
  host: 'uploads-bucket.s3.eu-west-1.amazonaws.com',
  pathPrefix: '',
  signingRegion: 'eu-west-1',
  signingService: 's3',
};
const KEY_ID = EXAMPLE_CREDENTIALS.accessKeyId;
const REQUEST: PostPolicyRequest = {
  bucket: 'uploads-bucket',
  key: 'u/7f3a/photo.png',
  contentType: 'image/png',
  contentLengthRange: [1, 1048576],
  successActionStatus: '201',
  expiresIn: 600,
  signingDate: NOW,
  credentials: EXAMPLE_CREDENTIALS,
};
const EXPECTATION: PostPolicyExpectation = {
  bucket: 'uploads-bucket',
  key: 'u/7f3a/photo.png',
  contentType: 'image/png',
  contentLengthRange: [1, 1048576],
  successActionStatus: '201',
  accessKeyId: KEY_ID,
  temporaryCredentials: false,
  expiresAt: new Date(NOW.getTime() + 600_000),
  fresh: true,
};
const POLICY: ValidatorPolicy = { mode: LOCAL, maxExpiresSeconds: 3600, maxClockSkewSeconds: 300, now: () => NOW };

function signed(request: Partial<PostPolicyRequest> = {}, route = LOCAL_ROUTE): PostPolicyForm {
  const { url, fields } = signPostPolicy(route, { ...REQUEST, ...request });
  return { url, fields };
}

function failures(
  form: PostPolicyForm,
  expectation: Partial<PostPolicyExpectation> = {},
  policy: Partial<ValidatorPolicy> = {},
): string[] {
  const report = validatePostPolicy(form, { ...POLICY, ...policy }, { ...EXPECTATION, ...expectation });
  assert.equal(report.valid, report.failures.length === 0);
  return report.failures.map((failure) => `${failure.code}: ${failure.message}`);
}

function withFields(form: PostPolicyForm, changes: Record<string, string | undefined>): PostPolicyForm {
  const fields: Record<string, string> = { ...form.fields };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete fields[name];
    else fields[name] = value;
  }
  return { url: form.url, fields };
}

const decoded = (form: PostPolicyForm) =>
  JSON.parse(Buffer.from(form.fields.Policy!, 'base64').toString('utf8')) as {
    expiration: unknown;
    conditions: unknown[];
  };
const encoded = (document: unknown) => Buffer.from(JSON.stringify(document), 'utf8').toString('base64');

/** The form with its policy document changed (the signature is not the validator's to check). */
function withDocument(
  form: PostPolicyForm,
  change: (document: { expiration: unknown; conditions: unknown[] }) => unknown,
) {
  return withFields(form, { Policy: encoded(change(decoded(form))) });
}

/** The form with one signed field changed (dropped, for undefined) in the form and in its exact condition alike. */
function withSignedField(form: PostPolicyForm, name: string, value: string | undefined): PostPolicyForm {
  return withDocument(withFields(form, { [name]: value }), (document) => ({
    ...document,
    conditions: document.conditions.map((condition) =>
      typeof condition === 'object' && condition !== null && name in condition ? { [name]: value } : condition,
    ),
  }));
}

describe('a form the signer made', () => {
  it('passes, and the report says where and when', () => {
    const report = validatePostPolicy(signed(), POLICY, EXPECTATION);
    assert.deepEqual(report, {
      valid: true,
      failures: [],
      bucket: 'uploads-bucket',
      key: 'u/7f3a/photo.png',
      addressing: 'path-style',
      region: 'us-east-1',
      signedAt: '2026-03-01T12:00:00.000Z',
      expiresAt: '2026-03-01T12:10:00.000Z',
    });
  });

  it('passes with temporary credentials, whose token is signed too', () => {
    const form = signed({ credentials: { ...REQUEST.credentials, sessionToken: 'FwoGZXIvYXdzEBY' } });
    assert.deepEqual(failures(form, { temporaryCredentials: true }), []);
  });

  it('passes on a virtual-hosted regional endpoint', () => {
    const form = signed({}, REGIONAL_ROUTE);
    assert.equal(form.url, 'https://uploads-bucket.s3.eu-west-1.amazonaws.com/');
    assert.deepEqual(failures(form, {}, { mode: REGIONAL }), []);
  });
});

describe('expectedPostUrl', () => {
  it('is the endpoint with the bucket path, or / when the bucket is in the host', () => {
    const base = { protocol: 'https:', host: 'h.example', addressing: 'virtual-hosted', signingRegion: 'r' } as const;
    assert.equal(expectedPostUrl({ ...base, pathPrefix: '' }), 'https://h.example/');
    assert.equal(expectedPostUrl({ ...base, pathPrefix: '/b' }), 'https://h.example/b');
  });
});

describe('the form URL', () => {
  const form = signed();
  const at = (url: string) => ({ url, fields: form.fields });

  it('must use the pinned scheme', () => {
    assert.deepEqual(failures(at('https://127.0.0.1:4568/uploads-bucket')), [
      "URL_SCHEME: the form URL's scheme must be http:",
    ]);
  });

  it('must post to the pinned host', () => {
    assert.deepEqual(failures(at('http://127.0.0.1:4569/uploads-bucket')), [
      'URL_HOST: the form must post to 127.0.0.1:4568 under the pinned local mode (http://127.0.0.1:4568)',
    ]);
  });

  it('must carry no query, fragment or user information', () => {
    for (const url of [
      'http://127.0.0.1:4568/uploads-bucket?x=1',
      'http://127.0.0.1:4568/uploads-bucket#top',
      'http://user@127.0.0.1:4568/uploads-bucket',
      'http://:pass@127.0.0.1:4568/uploads-bucket',
    ])
      assert.deepEqual(
        failures(at(url)),
        ['URL_MALFORMED: the form URL must carry no query, fragment or user information'],
        url,
      );
  });

  it('must post to the bucket path and nothing else', () => {
    for (const url of [
      'http://127.0.0.1:4568/other-bucket',
      'http://127.0.0.1:4568/uploads-bucket/',
      'http://127.0.0.1:4568/',
    ])
      assert.deepEqual(
        failures(at(url)),
        ['URL_PATH: the form must post to http://127.0.0.1:4568/uploads-bucket'],
        url,
      );
  });

  it('must be an absolute URL', () => {
    assert.deepEqual(failures(at('/uploads-bucket')), ['URL_MALFORMED: the form URL is not an absolute URL']);
  });

  it('is refused, with the rest still judged, for a bucket the pinned mode cannot address', () => {
    const report = validatePostPolicy(form, POLICY, { ...EXPECTATION, bucket: 'bad bucket!' });
    assert.equal(report.valid, false);
    assert.deepEqual(report.failures[0], {
      code: 'URL_HOST',
      message: 'bucket "bad bucket!" is not a valid S3 bucket name (1-255 of A-Z a-z 0-9 . _ -) or access-point ARN',
      count: 1,
    });
    assert.equal(report.addressing, undefined);
    assert.equal(report.region, undefined);
    // No region to compare the scope with: the scope's region is not judged.
    assert.equal(
      report.failures.some((failure) => failure.code === 'URL_REGION'),
      false,
    );
  });
});

describe('the form fields', () => {
  const form = signed();

  it('are exactly the signed ones', () => {
    assert.deepEqual(failures(withFields(form, { acl: 'public-read' })), [
      'POLICY_FIELDS: form field acl was not asked for',
    ]);
    const missing = failures(withFields(form, { success_action_status: undefined }));
    assert.deepEqual(missing, [
      'POLICY_FIELDS: form field success_action_status is missing',
      'POLICY_CONDITIONS: the condition on success_action_status differs from the form field',
    ]);
    const report = validatePostPolicy(withFields(form, { key: undefined }), POLICY, EXPECTATION);
    assert.equal(report.failures.find((failure) => failure.code === 'POLICY_FIELDS')?.count, 2);
  });

  it('name each missing one', () => {
    const fields = { ...form.fields };
    delete (fields as Record<string, string | undefined>).Policy;
    const report = validatePostPolicy({ url: form.url, fields }, POLICY, EXPECTATION);
    assert.deepEqual(
      report.failures.map((failure) => `${failure.code}: ${failure.message}`),
      ['POLICY_FIELDS: form field Policy is missing', 'POLICY_MALFORMED: Policy must be standard padded base64'],
    );
  });

  it('are strings', () => {
    const fields = { ...form.fields, bucket: 7 as unknown as string };
    assert.deepEqual(failures({ url: form.url, fields }).slice(0, 1), [
      'POLICY_FIELDS: form field bucket is not a string',
    ]);
  });

  it('hold the bucket, key, type and status the service meant', () => {
    for (const [name, value, expected] of [
      ['bucket', 'other-bucket', '"uploads-bucket"'],
      ['key', 'u/7f3a/other.png', '"u/7f3a/photo.png"'],
      ['Content-Type', 'text/html', '"image/png"'],
      ['success_action_status', '200', '"201"'],
    ] as const) {
      const changed = withSignedField(form, name, value);
      assert.deepEqual(failures(changed), [`POLICY_FIELDS: form field ${name} must be ${expected}`], name);
    }
  });

  it('read only own properties: an inherited field counts as missing', () => {
    const fields = Object.create({ bucket: 'uploads-bucket' }) as Record<string, string>;
    Object.assign(fields, form.fields);
    delete fields.bucket;
    const report = validatePostPolicy({ url: form.url, fields }, POLICY, EXPECTATION);
    assert.deepEqual(
      report.failures.map(({ code, message, count }) => [code, message, count]),
      [['POLICY_FIELDS', 'form field bucket is missing', 2]],
    );
  });

  it('carry the security token only for temporary credentials', () => {
    const withToken = signed({ credentials: { ...REQUEST.credentials, sessionToken: 'FwoGZXIvYXdzEBY' } });
    assert.deepEqual(failures(withToken), [
      'POLICY_FIELDS: form field X-Amz-Security-Token was not asked for',
      'URL_SECURITY_TOKEN: long-term credentials signed it, but it carries an X-Amz-Security-Token',
    ]);
    assert.deepEqual(failures(form, { temporaryCredentials: true }), [
      'URL_SECURITY_TOKEN: temporary credentials signed it, but X-Amz-Security-Token is missing or empty',
    ]);
    const emptyToken = withSignedField(withToken, 'X-Amz-Security-Token', '');
    assert.deepEqual(failures(emptyToken, { temporaryCredentials: true }), [
      'URL_SECURITY_TOKEN: temporary credentials signed it, but X-Amz-Security-Token is missing or empty',
    ]);
  });
});

describe('the signing fields', () => {
  const form = signed();

  it('name the SigV4 algorithm', () => {
    const changed = withSignedField(form, 'X-Amz-Algorithm', 'AWS4-HMAC-SHA1');
    assert.deepEqual(failures(changed), [
      'URL_ALGORITHM: X-Amz-Algorithm must be AWS4-HMAC-SHA256, got AWS4-HMAC-SHA1',
    ]);
    assert.ok(
      failures(withFields(form, { 'X-Amz-Algorithm': undefined })).includes(
        'URL_ALGORITHM: X-Amz-Algorithm must be AWS4-HMAC-SHA256, got nothing',
      ),
    );
  });

  it('date the signature in the basic ISO 8601 form', () => {
    assert.ok(
      failures(withFields(form, { 'X-Amz-Date': '2026-03-01T12:00:00Z' })).includes(
        'URL_DATE: X-Amz-Date must be YYYYMMDDTHHMMSSZ, got 2026-03-01T12:00:00Z',
      ),
    );
    assert.ok(
      failures(withFields(form, { 'X-Amz-Date': undefined })).includes(
        'URL_DATE: X-Amz-Date must be YYYYMMDDTHHMMSSZ, got nothing',
      ),
    );
  });

  it('date it within the clock skew of now: ahead always, behind when just signed', () => {
    const at = (offsetSeconds: number) => new Date(NOW.getTime() + offsetSeconds * 1000);
    const skew = 'URL_DATE_SKEW: X-Amz-Date ';
    // The expiry expectation moves with the date, so only the skew is judged.
    const judged = (offsetSeconds: number, fresh: boolean) =>
      failures(signed({ signingDate: at(offsetSeconds) }), {
        fresh,
        expiresAt: new Date(at(offsetSeconds).getTime() + 600_000),
      });
    assert.deepEqual(judged(300, true), []);
    assert.deepEqual(judged(301, true), [`${skew}20260301T120501Z is beyond 300s of the service's clock`]);
    assert.deepEqual(judged(-300, true), []);
    assert.deepEqual(judged(-301, true), [`${skew}20260301T115459Z is beyond 300s of the service's clock`]);
    assert.deepEqual(judged(-301, false), []);
    assert.deepEqual(judged(301, false), [`${skew}20260301T120501Z is beyond 300s of the service's clock`]);
  });

  it('hold a credential scope for this key, day, region and service', () => {
    const credential = form.fields['X-Amz-Credential']!;
    assert.equal(credential, `${KEY_ID}/20260301/us-east-1/s3/aws4_request`);
    const scoped = (value: string | undefined) =>
      failures(withSignedField(form, 'X-Amz-Credential', value)).filter((failure) => !failure.startsWith('POLICY_'));
    assert.deepEqual(scoped(credential), []);
    assert.deepEqual(scoped(`${KEY_ID}/20260301/us-east-1/s3`), [
      'URL_CREDENTIAL_SCOPE: X-Amz-Credential must be ACCESS_KEY/DATE/REGION/s3/aws4_request',
    ]);
    assert.deepEqual(scoped(undefined), [
      'URL_CREDENTIAL_SCOPE: X-Amz-Credential must be ACCESS_KEY/DATE/REGION/s3/aws4_request',
    ]);
    assert.deepEqual(scoped(`${KEY_ID}/20260301/us-east-1/sts/aws4_request`), [
      'URL_CREDENTIAL_SCOPE: credential scope must end in /s3/aws4_request, got /sts/aws4_request',
    ]);
    assert.deepEqual(scoped(`${KEY_ID}/20260301/us-east-1/s3/aws4_reques`), [
      'URL_CREDENTIAL_SCOPE: credential scope must end in /s3/aws4_request, got /s3/aws4_reques',
    ]);
    assert.deepEqual(scoped(`${KEY_ID}/20260302/us-east-1/s3/aws4_request`), [
      'URL_CREDENTIAL_SCOPE: credential scope date 20260302 differs from X-Amz-Date 20260301T120000Z',
    ]);
    assert.deepEqual(scoped(`${KEY_ID}/20260301/us-west-2/s3/aws4_request`), [
      'URL_REGION: credential scope names region us-west-2, the pinned region is us-east-1',
    ]);
    assert.deepEqual(scoped(`${OTHER_CREDENTIALS.accessKeyId}/20260301/us-east-1/s3/aws4_request`), [
      'URL_ACCESS_KEY: signed with an access key other than the service credentials',
    ]);
  });

  it('carry a 64-character lowercase hex signature', () => {
    const signature = form.fields['X-Amz-Signature']!;
    for (const value of [signature.toUpperCase(), signature.slice(1), `${signature}0`, undefined])
      assert.deepEqual(
        failures(withFields(form, { 'X-Amz-Signature': value })).filter((failure) => failure.startsWith('URL_')),
        ['URL_SIGNATURE_FORMAT: X-Amz-Signature must be 64 lowercase hex characters'],
        String(value),
      );
  });
});

describe('the policy document', () => {
  const form = signed();
  const malformed = (policy: string) => failures(withFields(form, { Policy: policy }));

  it('is standard padded base64 of a JSON object with exactly expiration and conditions', () => {
    const base64 = 'POLICY_MALFORMED: Policy must be standard padded base64';
    assert.deepEqual(malformed(''), [base64]);
    assert.deepEqual(malformed('eyJ4IjoxfQ'), [base64]);
    assert.deepEqual(malformed('eyJ4IjoxfQ=='.replace('+', '-')), [
      'POLICY_MALFORMED: Policy must hold exactly expiration and conditions',
    ]);
    assert.deepEqual(malformed('e-J4IjoxfQ=='), [base64]);
    assert.deepEqual(malformed(' eyJ4IjoxfQ=='), [base64]);
    assert.deepEqual(malformed('eyJ4IjoxfQ== '), [base64]);
    assert.deepEqual(malformed(Buffer.from('not json').toString('base64')), [
      'POLICY_MALFORMED: Policy does not decode to JSON',
    ]);
    for (const json of ['[]', 'null', '"text"', '7'])
      assert.deepEqual(
        malformed(Buffer.from(json).toString('base64')),
        ['POLICY_MALFORMED: Policy must be a JSON object'],
        json,
      );
    const document = decoded(form);
    const exactly = 'POLICY_MALFORMED: Policy must hold exactly expiration and conditions';
    assert.deepEqual(malformed(encoded({ ...document, extra: 1 })), [exactly]);
    assert.deepEqual(malformed(encoded({ expiration: document.expiration })), [exactly]);
    assert.deepEqual(malformed(encoded({ conditions: document.conditions })), [exactly]);
    assert.deepEqual(malformed(encoded({ expiration: document.expiration, other: document.conditions })), [exactly]);
    assert.deepEqual(malformed(encoded({ other: document.expiration, conditions: document.conditions })), [exactly]);
  });

  it('expires at the ISO 8601 UTC time the service meant', () => {
    const expiring = (expiration: unknown, expectation: Partial<PostPolicyExpectation> = {}) =>
      failures(
        withDocument(form, (document) => ({ ...document, expiration })),
        expectation,
      );
    const iso = 'POLICY_EXPIRATION: the policy expiration must be an ISO 8601 UTC time';
    assert.deepEqual(expiring('2026-03-01T12:10:00Z'), []);
    assert.deepEqual(expiring('2026-03-01T12:10:00.000Z'), []);
    for (const expiration of [
      1772367000000,
      // Read as text, each of these would pass: an array prints as its one element, and
      // Date.parse reads an extended year.
      ['2026-03-01T12:10:00Z'],
      '+002026-03-01T12:10:00Z',
      '2026-03-01T12:10:00',
      '2026-03-01T12:10:00+00:00',
      ' 2026-03-01T12:10:00Z',
      '2026-03-01T12:10:00Zx',
      // Date.parse stops at a NUL and reads the time before it.
      '2026-03-01T12:10:00Z\u0000x',
      '2026-13-01T12:10:00Z',
    ])
      assert.deepEqual(expiring(expiration), [iso], String(expiration));
    assert.deepEqual(expiring('2026-03-01T12:10:01Z'), [
      'POLICY_EXPIRATION: the policy expires at 2026-03-01T12:10:01.000Z, not when it was meant to',
    ]);
    // The service's own expiry is compared to the second.
    assert.deepEqual(expiring('2026-03-01T12:10:00Z', { expiresAt: new Date(NOW.getTime() + 600_999) }), []);
  });

  it('has not expired, expires after it was signed, within the maximum and the credentials', () => {
    const expiring = (
      expiration: string,
      expectation: Partial<PostPolicyExpectation> = {},
      policy: Partial<ValidatorPolicy> = {},
    ) =>
      failures(
        withDocument(form, (document) => ({ ...document, expiration })),
        { expiresAt: undefined, ...expectation },
        policy,
      );
    assert.deepEqual(expiring('2026-03-01T12:00:00Z'), [
      'POLICY_EXPIRATION: the policy expired at 2026-03-01T12:00:00.000Z',
    ]);
    assert.deepEqual(expiring('2026-03-01T12:00:01Z'), []);
    // Signed in the past (not just now), expiring before it was signed.
    const earlier = signed({ signingDate: new Date(NOW.getTime() + 120_000) });
    assert.deepEqual(
      failures(
        withDocument(earlier, (document) => ({ ...document, expiration: '2026-03-01T12:02:00Z' })),
        { expiresAt: undefined },
      ),
      ['POLICY_EXPIRATION: the policy expires before it was signed'],
    );
    assert.deepEqual(expiring('2026-03-01T13:00:00Z'), []);
    assert.deepEqual(expiring('2026-03-01T13:00:01Z'), [
      'URL_EXPIRES_OVER_MAXIMUM: the policy lives longer than the configured maximum 3600s',
    ]);
    const credentialsExpireAt = new Date('2026-03-01T12:05:00Z');
    assert.deepEqual(expiring('2026-03-01T12:05:00Z', { credentialsExpireAt }), []);
    assert.deepEqual(expiring('2026-03-01T12:05:01Z', { credentialsExpireAt }), [
      'URL_EXPIRES_AFTER_CREDENTIALS: the policy outlives its credentials',
    ]);
  });

  it('is judged against the dates even when the signature date is unreadable', () => {
    assert.deepEqual(
      failures(withFields(form, { 'X-Amz-Date': 'soon' })).filter((failure) => failure.startsWith('POLICY_EXPIRATION')),
      [],
    );
  });
});

describe('the policy conditions', () => {
  const form = signed();
  const conditioned = (change: (conditions: unknown[]) => unknown) =>
    failures(withDocument(form, (document) => ({ ...document, conditions: change(document.conditions) })));
  const isRange = (condition: unknown) => Array.isArray(condition) && condition[0] === 'content-length-range';
  const without = (name: string) => (conditions: unknown[]) =>
    conditions.filter((condition) => !(typeof condition === 'object' && condition !== null && name in condition));

  it('are an array', () => {
    assert.deepEqual(
      conditioned(() => ({ key: 'u/7f3a/photo.png' })),
      ['POLICY_MALFORMED: the policy conditions must be an array'],
    );
  });

  it('hold one content-length-range, exactly the one meant', () => {
    assert.deepEqual(
      conditioned((conditions) => [...conditions, ['content-length-range', 1, 1048576]]),
      ['POLICY_CONDITIONS: content-length-range appears more than once'],
    );
    assert.deepEqual(
      conditioned((conditions) => conditions.filter((condition) => !isRange(condition))),
      ['POLICY_CONDITIONS: content-length-range is missing: S3 would take any size'],
    );
    for (const range of [
      ['content-length-range', 0, 1048576],
      ['content-length-range', 1, 1048577],
      ['content-length-range', 1, 1048576, 5],
      ['content-length-range', 1],
    ])
      assert.deepEqual(
        conditioned((conditions) => conditions.map((condition) => (isRange(condition) ? range : condition))),
        ['POLICY_CONDITIONS: content-length-range must be [1, 1048576]'],
        JSON.stringify(range),
      );
  });

  it('match each field exactly: no starts-with, no other shape', () => {
    assert.deepEqual(
      conditioned((conditions) => [...without('key')(conditions), ['starts-with', '$key', 'u/']]),
      [
        'POLICY_CONDITIONS: condition ["starts-with","$key","u/"] is not an exact match or the size range',
        'POLICY_CONDITIONS: field key has no exact condition',
      ].slice(0, 1),
    );
    assert.deepEqual(
      conditioned((conditions) => [...conditions, 'key']),
      ['POLICY_CONDITIONS: condition "key" is not an exact match or the size range'],
    );
    assert.deepEqual(
      conditioned((conditions) => [...conditions, null]),
      ['POLICY_CONDITIONS: condition null is not an exact match or the size range'],
    );
    assert.deepEqual(
      conditioned((conditions) => [...conditions, ['eq', '$key', 'u/7f3a/photo.png']]),
      ['POLICY_CONDITIONS: condition ["eq","$key","u/7f3a/photo.png"] is not an exact match or the size range'],
    );
  });

  it('name exactly one field per exact match, once', () => {
    const each = 'POLICY_CONDITIONS: each exact-match condition names exactly one field';
    assert.deepEqual(
      conditioned((conditions) => [...conditions, {}]),
      [each],
    );
    assert.deepEqual(
      conditioned((conditions) => [...without('key')(conditions), { key: 'u/7f3a/photo.png', acl: 'public-read' }]),
      [each, 'POLICY_CONDITIONS: field key has no exact condition'].slice(0, 1),
    );
    assert.deepEqual(
      conditioned((conditions) => [...conditions, { key: 'u/7f3a/photo.png' }]),
      ['POLICY_CONDITIONS: field key is matched more than once'],
    );
  });

  it('cover every signed field with the value the form sends, and nothing else', () => {
    for (const name of ['key', 'bucket', 'Content-Type', 'X-Amz-Date'])
      assert.deepEqual(conditioned(without(name)), [`POLICY_CONDITIONS: field ${name} has no exact condition`], name);
    assert.deepEqual(
      conditioned((conditions) => [...without('key')(conditions), { key: 'u/7f3a/other.png' }]),
      ['POLICY_CONDITIONS: the condition on key differs from the form field'],
    );
    assert.deepEqual(
      conditioned((conditions) => [...conditions, { acl: 'public-read' }]),
      ['POLICY_CONDITIONS: condition on acl, which the form does not send'],
    );
    assert.deepEqual(
      conditioned((conditions) => [...conditions, { 'X-Amz-Security-Token': 'x' }]),
      ['POLICY_CONDITIONS: condition on X-Amz-Security-Token, which the form does not send'],
    );
  });

  it('cover the security token when the form sends one', () => {
    const withToken = signed({ credentials: { ...REQUEST.credentials, sessionToken: 'FwoGZXIvYXdzEBY' } });
    const dropped = withDocument(withToken, (document) => ({
      ...document,
      conditions: without('X-Amz-Security-Token')(document.conditions),
    }));
    assert.deepEqual(failures(dropped, { temporaryCredentials: true }), [
      'POLICY_CONDITIONS: field X-Amz-Security-Token has no exact condition',
    ]);
  });
});

describe('the policy document reader', () => {
  const form = signed();
  it('reads any document in work linear in its size (characters visited by the built-ins, counted)', () => {
    const check = (input: string, work: WorkCounter) =>
      countNativeWork(work, () => validatePostPolicy(withFields(form, { Policy: input }), POLICY, EXPECTATION));
    const document = (conditions: unknown[]) => encoded({ ...decoded(form), conditions });
    assertLinearWork(
      {
        'many bad conditions': (n) =>
          document(Array.from({ length: n / 20 }, (_, i) => ['starts-with', '$key', `u/${i}`])),
        'many exact conditions on one field': (n) =>
          document(Array.from({ length: n / 20 }, () => ({ key: 'u/7f3a/photo.png' }))),
        'many ranges': (n) => document(Array.from({ length: n / 30 }, () => ['content-length-range', 1, 1048576])),
        'one long condition': (n) => document([{ key: 'k'.repeat(n) }]),
        'nested arrays': (n) => document([JSON.parse('['.repeat(n / 4) + ']'.repeat(n / 4))]),
        'base64 with a bad end': (n) => `${'A'.repeat(n * 4)}=A`,
        'base64 of no JSON': (n) => Buffer.from('['.repeat(n)).toString('base64'),
      },
      check,
    );
  });

  it('names a condition nested too deep to print, rather than failing', () => {
    const { expiration, conditions } = decoded(form);
    // Written out as text: JSON.stringify could not print it either.
    const text = `{"expiration":${JSON.stringify(expiration)},"conditions":${JSON.stringify(conditions).slice(0, -1)},${'['.repeat(100_000)}${']'.repeat(100_000)}]}`;
    assert.deepEqual(failures(withFields(form, { Policy: Buffer.from(text).toString('base64') })), [
      'POLICY_CONDITIONS: condition a nested array is not an exact match or the size range',
    ]);
  });

  it('prints a condition nested 32 deep as its JSON, and names a deeper one by its kind', () => {
    const { expiration, conditions } = decoded(form);
    const judged = (condition: unknown) =>
      failures(
        withFields(form, {
          Policy: Buffer.from(JSON.stringify({ expiration, conditions: [...conditions, condition] })).toString(
            'base64',
          ),
        }),
      );
    const arrays = (depth: number): unknown => (depth === 1 ? [] : [arrays(depth - 1)]);
    assert.deepEqual(judged(arrays(32)), [
      `POLICY_CONDITIONS: condition ${JSON.stringify(arrays(32))} is not an exact match or the size range`,
    ]);
    assert.deepEqual(judged(arrays(33)), [
      'POLICY_CONDITIONS: condition a nested array is not an exact match or the size range',
    ]);
  });
});

describe("the signer's document text handed beside the form", () => {
  const form = signed({ credentials: { ...REQUEST.credentials, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE' } });
  const expectation = { ...EXPECTATION, temporaryCredentials: true };
  const text = Buffer.from(form.fields.Policy!, 'base64').toString('utf8');
  const judged = (policy: string | undefined, claimed: string | undefined) => {
    const fields = withFields(form, { Policy: policy }).fields;
    return [
      validatePostPolicy({ url: form.url, fields }, POLICY, expectation),
      validatePostPolicy({ url: form.url, fields, policyDocument: claimed }, POLICY, expectation),
    ];
  };

  it('changes no judgement: the report is the one from Policy alone, whatever the text and Policy', () => {
    const documentText = fc.oneof(
      fc.constant(text),
      fc.constant(''),
      fc.string({ unit: 'binary', maxLength: 40 }),
      // The true text, changed: a condition, an extra name, a lone surrogate, a character cut.
      fc.constantFrom(
        text.replace('image/png', 'image/gif'),
        text.replace('{"expiration"', '{"extra":1,"expiration"'),
        text.replace('photo', 'ph\ud800oto'),
        text.slice(0, -1),
        `${text} `,
      ),
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((value) => text.replace('u/7f3a/photo.png', value)),
    );
    const policyField = fc.oneof(
      fc.constant(form.fields.Policy),
      fc.constant(undefined),
      fc.constant(''),
      // Non-canonical trailing bits, and base64 with a character too many or too few.
      fc.constant(form.fields.Policy!.replace(/=+$/, '').slice(0, -1) + 'B=='),
      fc.constant(`${form.fields.Policy} `),
      fc.constant(form.fields.Policy!.slice(1)),
      documentText.map((document) => Buffer.from(document, 'utf8').toString('base64')),
      fc.string({ maxLength: 60 }),
    );
    fc.assert(
      fc.property(policyField, documentText, (policy, claimed) => {
        const [alone, withText] = judged(policy, claimed);
        assert.deepEqual(withText, alone);
      }),
      { numRuns: 3000 },
    );
  });

  it("is used when Policy encodes it, and the signer's own form passes as before", () => {
    const [alone, withText] = judged(form.fields.Policy, text);
    assert.equal(alone!.valid, true);
    assert.deepEqual(withText, alone);
    // A text that does not match Policy is set aside: Policy's own document is judged.
    const [changedAlone, changedText] = judged(form.fields.Policy, text.replace('image/png', 'image/gif'));
    assert.equal(changedText!.valid, true);
    assert.deepEqual(changedText, changedAlone);
    // A lone surrogate encodes as U+FFFD: Policy decodes to that, not to the text handed over.
    const surrogate = text.replace('{"key":"u/7f3a/photo.png"}', '["starts-with","$key","\ud800"]');
    const [surrogateAlone, surrogateText] = judged(Buffer.from(surrogate, 'utf8').toString('base64'), surrogate);
    assert.match(surrogateAlone!.failures.map((failure) => failure.message).join('\n'), /\ufffd/);
    assert.deepEqual(surrogateText, surrogateAlone);
  });
});
