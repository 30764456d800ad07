// authorizeUpload and authorizeUploadSize: the rules a multipart or form upload meets before
// anything is signed, each at its edge, by the code and message the caller gets. The services'
// own tests (test/unit/multipart/, test/unit/form-uploads/) show each calls them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { authorizeUpload, authorizeUploadSize } from '../../../src/auth/upload-authorization.js';
import { apiKeyCaller } from '../../fixtures/callers.js';

const BUCKET = 'local-uploads';

function refusal(code: string, message: string, field?: string) {
  return { name: 'AppError', code, message, field };
}

describe('authorizeUpload', () => {
  it('allows a put of any size and type under a policy without limits, and of no declared size', () => {
    assert.equal(authorizeUpload(apiKeyCaller(), BUCKET, 'video/mp4', 5_368_709_120), undefined);
    assert.equal(authorizeUpload(apiKeyCaller(), BUCKET, 'video/mp4', undefined), undefined);
  });

  it('refuses a caller that may not put, naming it', () => {
    assert.throws(
      () => authorizeUpload(apiKeyCaller({ operations: ['get'] }, 'reader'), BUCKET, 'text/plain', 1),
      refusal('OPERATION_NOT_ALLOWED', 'caller reader may not put', 'operation'),
    );
  });

  it("refuses a bucket outside the caller's list", () => {
    assert.throws(
      () => authorizeUpload(apiKeyCaller(), 'archive', 'text/plain', 1),
      refusal('BUCKET_NOT_ALLOWED', 'caller web may not use bucket "archive"'),
    );
  });

  it("allows exactly the caller's limit and refuses one byte more; an undeclared size passes to the signed range", () => {
    const limited = apiKeyCaller({ maxContentLength: 10 });
    assert.equal(authorizeUpload(limited, BUCKET, 'text/plain', 10), undefined);
    assert.equal(authorizeUpload(limited, BUCKET, 'text/plain', undefined), undefined);
    assert.throws(
      () => authorizeUpload(limited, BUCKET, 'text/plain', 11),
      refusal('CONTENT_LENGTH_NOT_ALLOWED', 'contentLength may be at most 10 bytes', 'contentLength'),
    );
  });

  it("refuses a type outside the caller's patterns, by its essence, after the size", () => {
    const images = apiKeyCaller({ contentTypes: ['image/*', 'application/pdf'], maxContentLength: 10 });
    assert.equal(authorizeUpload(images, BUCKET, 'Image/PNG; q=1', 1), undefined);
    assert.throws(
      () => authorizeUpload(images, BUCKET, 'Text/Plain; charset=utf-8', 1),
      refusal(
        'CONTENT_TYPE_NOT_ALLOWED',
        'contentType must match image/*, application/pdf; got text/plain',
        'contentType',
      ),
    );
    assert.throws(() => authorizeUpload(images, BUCKET, 'text/plain', 11), { code: 'CONTENT_LENGTH_NOT_ALLOWED' });
  });
});

describe('authorizeUploadSize', () => {
  it('checks the operation, bucket and size, and no type', () => {
    const images = apiKeyCaller({ contentTypes: ['image/*'], maxContentLength: 10 });
    assert.equal(authorizeUploadSize(images, BUCKET, 10), undefined);
    assert.throws(() => authorizeUploadSize(images, BUCKET, 11), { code: 'CONTENT_LENGTH_NOT_ALLOWED' });
    assert.throws(() => authorizeUploadSize(images, 'archive', 1), { code: 'BUCKET_NOT_ALLOWED' });
    assert.throws(() => authorizeUploadSize(apiKeyCaller({ operations: ['get'] }), BUCKET, 1), {
      code: 'OPERATION_NOT_ALLOWED',
    });
  });
});
