// The test page's script for Uppy's current major (@uppy/aws-s3 6.x): an app that signs
// through s3-presign with its `signRequest` option, set up as docs/upload-clients.md shows.
// Every call to the service carries the caller's Authorization header, added by the app;
// S3 sees only the presigned URLs the service returns. With `checksums`, the app hashes what
// each request sends (the whole file, or a part) with Web Crypto and sends the SHA-256 with
// it, as the documented setup with checksums does. Bundled for the browser by esbuild in
// test/browser/uppy-page.ts.
/* global window, fetch, crypto, URL, btoa */
import AwsS3 from '@uppy/aws-s3';
import Uppy from '@uppy/core';
import { randomFile, runUpload } from './uppy-run.js';

const MiB = 2 ** 20;

/** @param {Blob} blob */
async function sha256Base64(blob) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  return btoa(String.fromCharCode(...digest));
}

/**
 * Uploads `size` random bytes with Uppy through the service at `service`.
 *
 * @param {{service: string, token: string, name: string, type: string, size: number,
 *   multipart: boolean, cancelAfterParts?: number, checksums?: boolean}} options
 */
window.uploadWithUppy = async (options) => {
  const file = randomFile(options.size, options.type);
  const uppy = new Uppy({ autoProceed: false });
  const service = options.service;
  const authorization = `Bearer ${options.token}`;
  // Uppy's requests carry neither the file's size nor its bytes: the key Uppy asks for is made
  // here, and the key the service answers with, so each request finds its file.
  const files = new Map();
  uppy.use(AwsS3, {
    shouldUseMultipart: () => options.multipart,
    // The service puts the file under the user's prefix in a fresh folder: only the name counts.
    generateObjectKey(file) {
      const key = `${crypto.randomUUID()}/${file.name}`;
      files.set(key, file.data);
      return key;
    },
    async signRequest(request) {
      const data = files.get(request.key);
      const extra = {};
      if (request.uploadId === undefined) {
        extra.size = data.size;
        if (options.checksums) extra.checksumAlgorithm = 'SHA256';
        if (options.checksums && request.method === 'PUT') extra.checksum = await sha256Base64(data);
      } else if (options.checksums && request.method === 'PUT') {
        // Uppy's own split: parts of max(5 MiB, ceil(size / 10,000)), the last one shorter.
        const partSize = Math.max(5 * MiB, Math.ceil(data.size / 10_000));
        const start = (request.partNumber - 1) * partSize;
        extra.checksum = await sha256Base64(data.slice(start, start + partSize));
      }
      const response = await fetch(`${service}/s3/sign`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ ...request, ...extra }),
      });
      if (!response.ok) throw new Error(`POST /s3/sign: ${response.status} ${await response.text()}`);
      const signed = await response.json();
      if (signed.key) files.set(signed.key, data);
      // Control calls (create, list, complete, abort) come back to the service, as a path
      // unless it has a PUBLIC_BASE_URL: they need the token. S3's URLs must not have it.
      const url = new URL(signed.url, service);
      if (url.origin !== new URL(service).origin) return signed;
      return { ...signed, url: url.href, headers: { ...signed.headers, authorization } };
    },
  });
  return runUpload(uppy, file, options);
};
