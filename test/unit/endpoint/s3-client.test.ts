// The pinned clients ignore endpoint URLs from the environment and shared config files
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, a profile's endpoint_url): without that, the SDK
// re-routed regional and accelerate clients there, and every URL failed validation.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { EndpointMode } from '../../../src/endpoint/endpoint-mode.js';
import { createPinnedS3 } from '../../../src/endpoint/s3-client.js';
import { staticCredentialSource } from '../../../src/presign/credentials.js';
import { FastSigner } from '../../../src/presign/fast-signer.js';
import { Presigner } from '../../../src/presign/presigner.js';
import { SdkSigner } from '../../../src/presign/sdk-signer.js';
import { EXAMPLE_CREDENTIALS } from '../../fixtures/credentials.js';
import { accelerateMode, REGIONAL } from '../../fixtures/endpoint-modes.js';

const ROUTED = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3'] as const;

describe('pinned S3 clients and endpoint URLs from the environment', () => {
  const saved = new Map(ROUTED.map((name) => [name, process.env[name]]));
  before(() => {
    for (const name of ROUTED) process.env[name] = 'https://elsewhere.example.com';
  });
  after(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const modes: EndpointMode[] = [REGIONAL, accelerateMode('eu-west-1')];

  for (const mode of modes) {
    for (const engine of ['fast', 'sdk'] as const) {
      it(`${mode.kind} mode, ${engine} engine: URLs still go to the pinned host`, async () => {
        const credentials = staticCredentialSource(EXAMPLE_CREDENTIALS);
        const s3 = createPinnedS3(mode, credentials.provider);
        try {
          const sdk = new SdkSigner(s3);
          const presigner = new Presigner({
            mode,
            s3,
            credentials,
            signer: engine === 'sdk' ? sdk : new FastSigner(s3, { fallback: sdk }),
            policy: { mode, maxExpiresSeconds: 3600, maxClockSkewSeconds: 300, now: () => new Date() },
          });
          const { url } = await presigner.presign({ operation: 'get', bucket: 'my-bucket', key: 'k', expiresIn: 60 });
          const expected =
            mode.kind === 'regional' ? 'my-bucket.s3.eu-west-1.amazonaws.com' : 'my-bucket.s3-accelerate.amazonaws.com';
          assert.equal(new URL(url).host, expected);
        } finally {
          s3.destroy();
        }
      });
    }
  }
});
