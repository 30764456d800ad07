// The test page's script for an app that used Uppy Companion: @uppy/aws-s3 5.x pointed at
// the service's Companion-compatible routes (`endpoint`) with the caller's Authorization
// header (`headers`), and each file's size as a meta field, the switch docs/upload-clients.md
// describes. With `checksums`, the app also names the algorithm as a meta field and signs each
// part itself (Uppy 5's signPart gets the part's bytes), sending its SHA-256 as `checksum`.
// Bundled by test/browser/uppy-page.ts.
/* global window, fetch, crypto, btoa, URLSearchParams */
import AwsS3 from '@uppy/aws-s3';
import Uppy from '@uppy/core';
import { randomFile, runUpload } from '../uppy/uppy-run.js';

/** @param {Blob} blob */
async function sha256Base64(blob) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  return btoa(String.fromCharCode(...digest));
}

/**
 * @param {{service: string, token: string, name: string, type: string, size: number,
 *   multipart: boolean, cancelAfterParts?: number, checksums?: boolean}} options
 */
window.uploadWithUppy = async (options) => {
  const file = randomFile(options.size, options.type);
  const uppy = new Uppy({ autoProceed: false });
  const service = options.service;
  const headers = { authorization: `Bearer ${options.token}` };
  // Uppy sends a file's meta fields with the create call: the service signs each part's length from `size`.
  uppy.on('file-added', (added) =>
    uppy.setFileMeta(added.id, { size: added.size, ...(options.checksums && { checksumAlgorithm: 'SHA256' }) }),
  );
  uppy.use(AwsS3, {
    endpoint: service,
    headers,
    shouldUseMultipart: () => options.multipart,
    ...(options.checksums && {
      async signPart(_file, { uploadId, key, partNumber, body, signal }) {
        const query = new URLSearchParams({ key, checksum: await sha256Base64(body) });
        const response = await fetch(`${service}/s3/multipart/${encodeURIComponent(uploadId)}/${partNumber}?${query}`, {
          headers,
          signal,
        });
        if (!response.ok) throw new Error(`signing part ${partNumber}: ${response.status} ${await response.text()}`);
        return response.json(); // {url, expires, headers}: Uppy sends the part with these headers
      },
    }),
  });
  return runUpload(uppy, file, options);
};
