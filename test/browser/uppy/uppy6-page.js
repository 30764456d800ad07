// The test page's script for Uppy's current major (@uppy/aws-s3 6.x): an app that signs
// through s3-presign with its `signRequest` option. Every call to the service carries the
// caller's Authorization header; S3 sees only the presigned URLs the service returns.
// Bundled for the browser by esbuild in test/browser/uppy-page.ts.
/* global window, fetch */
import AwsS3 from '@uppy/aws-s3';
import Uppy from '@uppy/core';
import { randomFile, runUpload } from './uppy-run.js';

/**
 * Uploads `size` random bytes with Uppy through the service at `service`.
 *
 * @param {{service: string, token: string, name: string, type: string, size: number,
 *   multipart: boolean, cancelAfterParts?: number}} options
 */
window.uploadWithUppy = async (options) => {
  const file = randomFile(options.size, options.type);
  const uppy = new Uppy({ autoProceed: false });
  uppy.use(AwsS3, {
    shouldUseMultipart: () => options.multipart,
    // The service puts the file under the user's prefix in a fresh folder: the name is enough.
    generateObjectKey: (file) => file.name,
    async signRequest(request) {
      const response = await fetch(`${options.service}/s3/sign`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      if (!response.ok) throw new Error(`POST /s3/sign: ${response.status} ${await response.text()}`);
      return response.json();
    },
  });
  return runUpload(uppy, file, options);
};
