// S3's refusals of multipart calls as the service's codes: each known S3 error name, the
// message that names the action, the S3 error kept as the cause, and everything else a 502;
// a store's other word for a missing upload only on the operation that uses it that way.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NoSuchUpload, S3ServiceException } from '@aws-sdk/client-s3';

import { AppError } from '../../../src/errors.js';
import { fromS3Error } from '../../../src/multipart/s3-errors.js';

function s3Error(name: string): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: `S3 said ${name}`,
  });
}

describe('fromS3Error', () => {
  it('maps each multipart refusal S3 names to its own code and message', () => {
    const expected: Array<[string, string, number, string]> = [
      [
        'NoSuchUpload',
        'NO_SUCH_UPLOAD',
        404,
        'listing the parts: S3 knows no such upload (completed, aborted or never started)',
      ],
      ['InvalidPart', 'INVALID_PART', 400, 'listing the parts: S3 has no such part, or its ETag differs'],
      [
        'InvalidPartOrder',
        'INVALID_PART_ORDER',
        400,
        'listing the parts: parts must be listed in ascending part-number order',
      ],
      ['EntityTooSmall', 'ENTITY_TOO_SMALL', 400, 'listing the parts: every part but the last must be at least 5 MiB'],
      ['AccessDenied', 'S3_ACCESS_DENIED', 403, 'listing the parts: S3 refused the service access to this upload'],
    ];
    for (const [name, code, statusCode, message] of expected) {
      const cause = s3Error(name);
      const mapped = fromS3Error(cause, 'ListParts');
      assert.ok(mapped instanceof AppError, name);
      assert.deepEqual(
        { code: mapped.code, statusCode: mapped.statusCode, message: mapped.message, field: mapped.field },
        { code, statusCode, message, field: undefined },
        name,
      );
      assert.equal(mapped.cause, cause, name);
    }
  });

  it("reads the SDK's own exception classes by name", () => {
    const cause = new NoSuchUpload({ $metadata: {}, message: 'gone' });
    const mapped = fromS3Error(cause, 'AbortMultipartUpload');
    assert.equal(mapped.code, 'NO_SUCH_UPLOAD');
    assert.equal(
      mapped.message,
      'aborting the multipart upload: S3 knows no such upload (completed, aborted or never started)',
    );
  });

  it('reads the name of an error that is not an S3ServiceException', () => {
    const cause = Object.assign(new Error('plain'), { name: 'InvalidPart' });
    const mapped = fromS3Error(cause, 'CompleteMultipartUpload');
    assert.equal(mapped.code, 'INVALID_PART');
    assert.equal(mapped.message, 'completing the multipart upload: S3 has no such part, or its ETag differs');
    assert.equal(mapped.cause, cause);
    assert.equal(fromS3Error({ name: 'EntityTooSmall' }, 'CreateMultipartUpload').code, 'ENTITY_TOO_SMALL');
  });

  it('makes any other failure a 502 naming the action, with the failure as its cause', () => {
    const failures: unknown[] = [
      s3Error('SlowDown'),
      s3Error('NoSuchBucket'),
      new Error('socket hang up'),
      new TypeError('fetch failed'),
      { name: 42 },
      { name: undefined },
      { code: 'NoSuchUpload' },
      // Names every object answers to, none of them S3's.
      s3Error('constructor'),
      s3Error('toString'),
      s3Error('__proto__'),
      { name: 'hasOwnProperty' },
      // Only a string names an S3 error, not something that reads as one.
      { name: { toString: () => 'NoSuchUpload' } },
      { name: ['InvalidPart'] },
      'NoSuchUpload',
      42,
      null,
      undefined,
    ];
    for (const cause of failures) {
      const mapped = fromS3Error(cause, 'CreateMultipartUpload');
      assert.ok(mapped instanceof AppError);
      assert.deepEqual(
        { code: mapped.code, statusCode: mapped.statusCode, message: mapped.message },
        { code: 'S3_REQUEST_FAILED', statusCode: 502, message: 'creating the multipart upload failed at S3' },
        String(cause),
      );
      assert.equal(mapped.cause, cause);
    }
  });

  it("reads Ceph RGW's NoSuchKey from ListParts as a missing upload, and on no other operation", () => {
    const missing = s3Error('NoSuchKey');
    const listed = fromS3Error(missing, 'ListParts');
    assert.deepEqual(
      { code: listed.code, statusCode: listed.statusCode, message: listed.message },
      {
        code: 'NO_SUCH_UPLOAD',
        statusCode: 404,
        message: 'listing the parts: S3 knows no such upload (completed, aborted or never started)',
      },
    );
    assert.equal(listed.cause, missing);
    for (const operation of ['CreateMultipartUpload', 'CompleteMultipartUpload', 'AbortMultipartUpload'] as const) {
      const mapped = fromS3Error(missing, operation);
      assert.deepEqual([mapped.code, mapped.statusCode], ['S3_REQUEST_FAILED', 502], operation);
    }
    assert.equal(fromS3Error({ name: 'NoSuchKey' }, 'ListParts').code, 'NO_SUCH_UPLOAD');
    // Only that word: the other "not found" codes stay the store's failures.
    for (const name of ['NoSuchBucket', 'NotFound', 'NoSuchKeys', 'nosuchkey']) {
      assert.equal(fromS3Error(s3Error(name), 'ListParts').code, 'S3_REQUEST_FAILED', name);
    }
  });

  it('passes an AppError through unchanged', () => {
    const own = new AppError('INVALID_PART_NUMBER', 'part number 0 is outside 1..3', { field: 'parts.0' });
    assert.equal(fromS3Error(own, 'CompleteMultipartUpload'), own);
    const named = new AppError('VALIDATION_FAILED', 'x');
    Object.defineProperty(named, 'name', { value: 'NoSuchUpload' });
    assert.equal(fromS3Error(named, 'ListParts'), named);
  });
});
