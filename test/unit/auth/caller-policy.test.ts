// authorize(caller, request): each policy rule at its edges, by the code it refuses with.
// The HTTP suites (test/http/auth.test.ts) show the codes reach the caller; these pin the
// rules themselves: boundaries, several prefixes, and what a policy without limits demands.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  authorize,
  contentTypeAllowed,
  essence,
  type Caller,
  type CallerPolicy,
} from '../../../src/auth/caller-policy.js';
import type { ErrorCode } from '../../../src/errors.js';
import type { PresignRequest } from '../../../src/presign/presigner.js';
import { apiKeyCaller } from '../../fixtures/callers.js';

const OPEN_POLICY: Partial<CallerPolicy> = { buckets: ['uploads', 'archive'], keyPrefixes: [''] };

function callerWith(policy: Partial<CallerPolicy>): Caller {
  return apiKeyCaller({ ...OPEN_POLICY, ...policy }, 'svc');
}

function request(fields: Partial<PresignRequest> = {}): PresignRequest {
  return { operation: 'put', bucket: 'uploads', key: 'a/b.txt', expiresIn: 900, ...fields };
}

/** The code authorize refuses with, or 'allowed'. */
function verdict(policy: Partial<CallerPolicy>, fields: Partial<PresignRequest> = {}): ErrorCode | 'allowed' {
  try {
    authorize(callerWith(policy), request(fields));
    return 'allowed';
  } catch (error) {
    return (error as { code: ErrorCode }).code;
  }
}

describe('authorize', () => {
  it('an open policy allows a GET and a PUT that carry neither size nor type', () => {
    assert.equal(verdict({}, { operation: 'get' }), 'allowed');
    assert.equal(verdict({}, { operation: 'put' }), 'allowed');
    assert.equal(verdict({}, { operation: 'put', contentType: 'x/y', contentLength: 10 ** 12 }), 'allowed');
  });

  it('operations and buckets outside the policy are refused with their own codes and fields', () => {
    assert.equal(verdict({ operations: ['get'] }, { operation: 'put' }), 'OPERATION_NOT_ALLOWED');
    assert.equal(verdict({ operations: ['get'] }, { operation: 'get' }), 'allowed');
    assert.equal(verdict({}, { bucket: 'other' }), 'BUCKET_NOT_ALLOWED');
    assert.equal(verdict({}, { bucket: 'archive' }), 'allowed');
    assert.throws(() => authorize(callerWith({ operations: ['get'] }), request()), {
      field: 'operation',
      message: 'caller svc may not put',
    });
    assert.throws(() => authorize(callerWith({}), request({ bucket: 'other' })), {
      field: 'bucket',
      message: 'caller svc may not use bucket "other"',
    });
  });

  it('with several key prefixes, a key under any one of them is allowed, and one under none is refused', () => {
    const keyPrefixes = ['users/alice/', 'shared/'];
    assert.equal(verdict({ keyPrefixes }, { key: 'users/alice/cv.pdf' }), 'allowed');
    assert.equal(verdict({ keyPrefixes }, { key: 'shared/logo.png' }), 'allowed');
    assert.equal(verdict({ keyPrefixes }, { key: 'users/bob/cv.pdf' }), 'KEY_PREFIX_NOT_ALLOWED');
    assert.equal(verdict({ keyPrefixes }, { key: 'sharedx/logo.png' }), 'KEY_PREFIX_NOT_ALLOWED');
    assert.throws(() => authorize(callerWith({ keyPrefixes }), request({ key: 'other' })), {
      field: 'key',
      message: 'key must start with "users/alice/" or "shared/"',
    });
  });

  it('expiresIn up to the maximum is allowed, one second more is refused', () => {
    assert.equal(verdict({ maxExpiresSeconds: 600 }, { expiresIn: 600 }), 'allowed');
    assert.equal(verdict({ maxExpiresSeconds: 600 }, { expiresIn: 601 }), 'EXPIRES_NOT_ALLOWED');
    assert.throws(() => authorize(callerWith({ maxExpiresSeconds: 600 }), request({ expiresIn: 601 })), {
      field: 'expiresIn',
      message: 'expiresIn may be at most 600 seconds',
    });
  });

  it('an upload of exactly maxContentLength bytes is allowed, one byte more is refused', () => {
    assert.equal(verdict({ maxContentLength: 1024 }, { contentLength: 1024 }), 'allowed');
    assert.equal(verdict({ maxContentLength: 1024 }, { contentLength: 1025 }), 'CONTENT_LENGTH_NOT_ALLOWED');
    assert.equal(verdict({ maxContentLength: 1024 }, { contentLength: 0 }), 'allowed');
    assert.throws(() => authorize(callerWith({ maxContentLength: 1024 }), request({ contentLength: 1025 })), {
      field: 'contentLength',
      message: 'contentLength may be at most 1024 bytes',
    });
  });

  it('a size limit demands a length on uploads only; without a limit none is demanded', () => {
    assert.equal(verdict({ maxContentLength: 1024 }, { operation: 'put' }), 'CONTENT_LENGTH_REQUIRED');
    assert.throws(() => authorize(callerWith({ maxContentLength: 1024 }), request()), {
      field: 'contentLength',
      message: 'contentLength is required for uploads under this policy',
    });
    assert.equal(verdict({ maxContentLength: 1024 }, { operation: 'get' }), 'allowed');
    assert.equal(
      verdict({ maxContentLength: undefined, contentTypes: ['image/*'] }, { contentType: 'image/png' }),
      'allowed',
    );
  });

  it('a type list demands a type on uploads only; without a list none is demanded', () => {
    assert.equal(verdict({ contentTypes: ['image/*'] }, { operation: 'put' }), 'CONTENT_TYPE_REQUIRED');
    assert.throws(() => authorize(callerWith({ contentTypes: ['image/*'] }), request()), {
      field: 'contentType',
      message: 'contentType is required for uploads under this policy',
    });
    assert.equal(verdict({ contentTypes: ['image/*'] }, { operation: 'get' }), 'allowed');
    assert.equal(verdict({ contentTypes: undefined, maxContentLength: 10 }, { contentLength: 10 }), 'allowed');
  });

  it('a type outside the list is refused, naming the list and the type it got', () => {
    assert.equal(verdict({ contentTypes: ['image/*'] }, { contentType: 'text/html' }), 'CONTENT_TYPE_NOT_ALLOWED');
    assert.throws(
      () =>
        authorize(callerWith({ contentTypes: ['image/png', 'image/gif'] }), request({ contentType: 'Text/HTML; x=1' })),
      { field: 'contentType', message: 'contentType must match image/png, image/gif; got text/html' },
    );
  });

  it('the first broken rule decides, in the documented order', () => {
    const strict = {
      operations: ['get'] as const,
      buckets: ['archive'],
      keyPrefixes: ['p/'],
      maxExpiresSeconds: 60,
      maxContentLength: 1,
      contentTypes: ['image/png'],
    };
    assert.equal(verdict(strict, { contentLength: 5, contentType: 'x/y', expiresIn: 999 }), 'OPERATION_NOT_ALLOWED');
    assert.equal(verdict({ ...strict, operations: ['put'] }, { expiresIn: 999 }), 'BUCKET_NOT_ALLOWED');
    assert.equal(
      verdict({ ...strict, operations: ['put'], buckets: ['uploads'] }, { expiresIn: 999 }),
      'KEY_PREFIX_NOT_ALLOWED',
    );
    assert.equal(
      verdict({ ...strict, operations: ['put'], buckets: ['uploads'], keyPrefixes: [''] }, { expiresIn: 999 }),
      'EXPIRES_NOT_ALLOWED',
    );
    assert.equal(
      verdict(
        { ...strict, operations: ['put'], buckets: ['uploads'], keyPrefixes: [''] },
        { expiresIn: 60, contentLength: 5 },
      ),
      'CONTENT_LENGTH_NOT_ALLOWED',
    );
  });
});

describe('content types', () => {
  it('parameters, case and spaces around the essence are ignored', () => {
    assert.equal(verdict({ contentTypes: ['image/png'] }, { contentType: 'image/png ; q=1' }), 'allowed');
    assert.equal(verdict({ contentTypes: ['image/png'] }, { contentType: '  IMAGE/PNG' }), 'allowed');
    assert.equal(verdict({ contentTypes: ['Image/PNG'] }, { contentType: 'image/png' }), 'allowed');
    assert.equal(essence('Text/Plain ; charset=utf-8'), 'text/plain');
    assert.equal(essence(''), '');
  });

  it('type/* matches that type only, */* matches any, an exact pattern matches only itself', () => {
    assert.ok(contentTypeAllowed(['image/*'], 'image/svg+xml'));
    assert.ok(!contentTypeAllowed(['image/*'], 'imagex/png'));
    assert.ok(!contentTypeAllowed(['image/*'], 'image'));
    assert.ok(contentTypeAllowed(['IMAGE/*'], 'image/png'));
    assert.ok(contentTypeAllowed(['text/plain', '*/*'], 'application/zip'));
    assert.ok(!contentTypeAllowed(['text/plain'], 'text/plain2'));
    assert.ok(!contentTypeAllowed(['text/plain'], 'text/plai'));
    assert.ok(!contentTypeAllowed([], 'text/plain'));
    assert.ok(contentTypeAllowed(['text/plain', 'image/*'], 'image/gif'));
  });
});
