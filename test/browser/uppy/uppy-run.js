// What both test pages share: random files made in the page itself (64 MiB need not cross
// the DevTools protocol), and one upload run with Uppy reported back to the test.
/* global crypto, Blob, setTimeout */

/**
 * @param {number} size
 * @param {string} type
 */
export function randomFile(size, type) {
  const chunks = [];
  for (let offset = 0; offset < size; offset += 65536) {
    // getRandomValues fills at most 64 KiB at a time.
    chunks.push(crypto.getRandomValues(new Uint8Array(Math.min(65536, size - offset))));
  }
  return new Blob(chunks, { type });
}

/** @param {Blob} blob */
export async function sha256Hex(blob) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * @param {import('@uppy/core').default} uppy
 * @param {Blob} file
 * @param {{name: string, type: string, cancelAfterParts?: number}} options
 */
export async function runUpload(uppy, file, options) {
  const events = { progress: 0, parts: 0, errors: /** @type {string[]} */ ([]), upload: undefined };
  const fileId = uppy.addFile({ name: options.name, type: options.type, data: file });
  uppy.on('upload-progress', () => {
    events.progress += 1;
  });
  uppy.on('upload-error', (_file, error) => events.errors.push(String(error?.message ?? error)));
  const cancelled = new Promise((resolve) => {
    uppy.on('s3-multipart:part-uploaded', () => {
      events.parts += 1;
      if (options.cancelAfterParts !== undefined && events.parts >= options.cancelAfterParts) {
        events.upload = uppy.getFile(fileId)?.s3Multipart;
        uppy.removeFile(fileId);
        resolve('cancelled');
      }
    });
  });
  const uploaded = uppy.upload();
  const outcome = await Promise.race([uploaded, cancelled]);
  if (outcome === 'cancelled') {
    // Uppy aborts the multipart upload in S3 (through the signer) when a file is removed.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return { cancelled: true, events };
  }
  const success = outcome?.successful?.[0];
  return {
    cancelled: false,
    events,
    key: success?.s3Multipart?.key ?? success?.response?.body?.key,
    location: success?.response?.body?.location ?? success?.uploadURL,
    failed: (outcome?.failed ?? []).map((failed) => String(failed.error)),
    sha256: await sha256Hex(file),
    size: file.size,
  };
}
