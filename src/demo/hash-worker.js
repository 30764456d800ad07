// The demo page's hashing, off the main thread: a part of a large file is megabytes, and the
// page must keep answering (progress, Cancel) while it is hashed. Each message is
// {id, blob}; the answer is {id, sha256} (base64, as S3 writes x-amz-checksum-sha256) or
// {id, error}. A Blob crosses to the worker without its bytes being copied; the worker reads
// them itself.
/* global self, crypto, btoa */

self.addEventListener('message', async (event) => {
  const { id, blob } = event.data;
  try {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    self.postMessage({ id, sha256: btoa(String.fromCharCode(...digest)) });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
