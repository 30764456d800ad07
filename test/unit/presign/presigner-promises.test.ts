// With credentials held and the bucket's route cached (every request after the first), the
// Presigner signs without waiting: a URL, a POST policy or a batch of part URLs costs the one
// promise of the async method called, however many parts (issue 22, fourth pass: a batch of
// 100 part URLs paid 300 more).
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { test } from 'node:test';
import { createPresigner } from '../../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../../src/presign/credentials.js';
import { signingConfigFrom } from '../../fixtures/config.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';

async function promisesOf(work: () => Promise<unknown>): Promise<number> {
  let promises = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') promises++;
    },
  });
  hook.enable();
  try {
    await work();
  } finally {
    hook.disable();
  }
  return promises;
}

test('a URL, a POST policy and 100 part URLs each cost one promise once the route is cached', async () => {
  const config = signingConfigFrom({
    S3_ENDPOINT_MODE: 'regional',
    S3_REGION: 'eu-west-1',
    S3_BUCKETS: 'my-bucket',
    PRESIGN_ENGINE: 'fast',
  });
  const { presigner, close } = await createPresigner(config, {
    credentials: staticCredentialSource({ ...EXAMPLE_CREDENTIALS, sessionToken: 'token' }),
  });
  try {
    const target = { bucket: 'my-bucket', key: 'uploads/a.bin', expiresIn: 900 };
    const parts = (count: number) => () =>
      presigner.presignParts({
        ...target,
        uploadId: 'upload-id',
        parts: Array.from({ length: count }, (_, index) => ({ partNumber: index + 1, contentLength: 5 * 1024 ** 2 })),
      });
    const post = () => presigner.presignPost({ ...target, contentType: 'image/png', contentLengthRange: [1, 1000] });
    // The first URL and the first policy resolve the bucket's route.
    await presigner.presign({ operation: 'get', ...target });
    await post();
    // What any async method costs, measured the same way.
    const oneAsyncCall = await promisesOf(async () => undefined);
    assert.equal(await promisesOf(() => presigner.presign({ operation: 'get', ...target })), oneAsyncCall);
    assert.equal(
      await promisesOf(() => presigner.presign({ operation: 'put', ...target, contentLength: 10 })),
      oneAsyncCall,
    );
    assert.equal(await promisesOf(post), oneAsyncCall);
    assert.equal(await promisesOf(parts(1)), oneAsyncCall);
    assert.equal(await promisesOf(parts(100)), oneAsyncCall);
  } finally {
    close();
  }
});
