// URLs the service itself issues, in several modes, signed at a fixed clock by the real
// presigner (and so already through the validator once): the starting points of the tests
// that then change them as an attacker of /verify would.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import type { Config } from '../src/config/config.js';
import { createPresigner } from '../src/presign/create-presigner.js';
import { staticCredentialSource } from '../src/presign/credentials.js';
import { validatorPolicy, type UrlExpectation, type ValidatorPolicy } from '../src/verify/url-validator.js';
import { signingConfigFrom } from './fixtures/config.js';
import { EXAMPLE_CREDENTIALS } from './fixtures/credentials.js';

export const ISSUED_AT = new Date('2026-03-01T12:00:00Z');
export const VPCE = 'vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com';

/** One deployment: a name, its environment and the buckets it signs for. */
export const ISSUING_MODES: ReadonlyArray<{ name: string; env: Record<string, string> }> = [
  {
    name: 'regional (virtual-hosted; a dotted bucket path-style)',
    env: { S3_ENDPOINT_MODE: 'regional', S3_REGION: 'us-east-1', S3_BUCKETS: 'my-bucket,my.dotted.bucket' },
  },
  {
    name: 'interface (virtual-hosted)',
    env: { S3_ENDPOINT_MODE: 'interface', S3_REGION: 'us-east-1', S3_VPCE_DNS_NAME: VPCE, S3_BUCKETS: 'my-bucket' },
  },
  {
    name: 'interface (path-style)',
    env: {
      S3_ENDPOINT_MODE: 'interface',
      S3_REGION: 'us-east-1',
      S3_VPCE_DNS_NAME: VPCE,
      S3_FORCE_PATH_STYLE: 'true',
      S3_BUCKETS: 'my-bucket',
    },
  },
  {
    name: 'custom with a base path (path-style)',
    env: {
      S3_ENDPOINT_MODE: 'custom',
      S3_ENDPOINT_URL: 'https://minio.internal:9000/base',
      S3_FORCE_PATH_STYLE: 'true',
      S3_BUCKETS: 'my-bucket,other-bucket',
    },
  },
  {
    name: 'custom (virtual-hosted)',
    env: { S3_ENDPOINT_MODE: 'custom', S3_ENDPOINT_URL: 'https://minio.internal:9000', S3_BUCKETS: 'my-bucket' },
  },
  { name: 'local', env: { S3_ENDPOINT_MODE: 'local', LOCAL_S3_PORT: '4568', S3_BUCKETS: 'my-bucket' } },
];

export interface IssuedUrl {
  mode: string;
  operation: 'get' | 'put' | 'upload-part';
  bucket: string;
  key: string;
  url: string;
  policy: ValidatorPolicy;
  /**
   * What /verify knows of it: nothing for GET and PUT URLs; a part URL is judged as the
   * service judges its own, with its uploadId and partNumber expected (bucket and key still
   * read from the URL).
   */
  expectation: UrlExpectation;
  config: Config;
}

const KEYS = ['photos/cat.jpg', 'a b/ü-x!(1)*.txt', 'dir/sub/file.bin'];

/** GET (with and without a download name), PUT and part URLs for each bucket and key of each mode. */
export async function issuedUrls(): Promise<IssuedUrl[]> {
  const urls: IssuedUrl[] = [];
  for (const { name, env } of ISSUING_MODES) {
    const config = signingConfigFrom(env);
    const policy = validatorPolicy(config, () => ISSUED_AT);
    const bundle = await createPresigner(config, {
      credentials: staticCredentialSource(EXAMPLE_CREDENTIALS),
      now: () => ISSUED_AT,
    });
    try {
      for (const bucket of config.buckets) {
        for (const key of KEYS) {
          const add = (operation: IssuedUrl['operation'], url: string, expectation: UrlExpectation = {}) =>
            urls.push({ mode: name, operation, bucket, key, url, policy, config, expectation });
          add('get', (await bundle.presigner.presign({ operation: 'get', bucket, key, expiresIn: 900 })).url);
          add(
            'get',
            (
              await bundle.presigner.presign({
                operation: 'get',
                bucket,
                key,
                expiresIn: 900,
                responseContentDisposition: 'attachment; filename="x [1].txt"',
              })
            ).url,
          );
          add(
            'put',
            (
              await bundle.presigner.presign({
                operation: 'put',
                bucket,
                key,
                expiresIn: 900,
                contentType: 'text/plain',
                contentLength: 5,
              })
            ).url,
          );
          const uploadId = 'VXBsb2FkIElE+/=~.-_';
          const parts = await bundle.presigner.presignParts({
            bucket,
            key,
            uploadId,
            expiresIn: 900,
            parts: [{ partNumber: 7, contentLength: 5 * 1024 * 1024 }],
          });
          add('upload-part', parts.parts[0]?.url as string, {
            uploadPart: true,
            queryParameters: { uploadId, partNumber: '7' },
          });
        }
      }
    } finally {
      bundle.close();
    }
  }
  return urls;
}
