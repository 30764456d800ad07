// The test page's script for Uppy's current major (@uppy/aws-s3 6.x): an app that signs
// through s3-presign with its `signRequest` option, set up as docs/upload-clients.md shows.
// Every call to the service carries the caller's Authorization header, added by the app;
// S3 sees only the presigned URLs the service returns. Bundled for the browser by esbuild in
// test/browser/uppy-page.ts.
/* global window, fetch, crypto, URL */
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
  const service = options.service;
  const authorization = `Bearer ${options.token}`;
  // Uppy's requests do not carry the file's size: the key it asks for is made here, so the
  // size can go with it (the service signs each part's exact length).
  const sizes = new Map();
  uppy.use(AwsS3, {
    shouldUseMultipart: () => options.multipart,
    // The service puts the file under the user's prefix in a fresh folder: only the name counts.
    generateObjectKey(file) {
      const key = `${crypto.randomUUID()}/${file.name}`;
      sizes.set(key, file.size);
      return key;
    },
    async signRequest(request) {
      const response = await fetch(`${service}/s3/sign`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ ...request, size: sizes.get(request.key) }),
      });
      if (!response.ok) throw new Error(`POST /s3/sign: ${response.status} ${await response.text()}`);
      const signed = await response.json();
      // Control calls (create, list, complete, abort) come back to the service, as a path
      // unless it has a PUBLIC_BASE_URL: they need the token. S3's URLs must not have it.
      const url = new URL(signed.url, service);
      if (url.origin !== new URL(service).origin) return signed;
      return { ...signed, url: url.href, headers: { ...signed.headers, authorization } };
    },
  });
  return runUpload(uppy, file, options);
};
