// What is read of a store's answer when only its start matters: an error document's <Code>, or
// a small object read back. A faulty or hostile store (or anything else answering on the
// pinned endpoint) can send a body that never ends; the reader holds the bound, never the body.

/** What is read of an error body: S3's error documents are well under 1 KiB. */
const ERROR_BODY_BYTES = 64 * 1024;

/**
 * The body's first `limit` bytes, fewer when it ends or breaks sooner (what came is then
 * enough); the rest is cancelled unread.
 */
export async function bodyPrefix(response: Response, limit: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
      chunks.push(chunk);
      bytes += chunk.length;
      // Leaving the loop cancels the rest of the body.
      if (bytes >= limit) break;
    }
  } catch {
    // a body cut short (a dropped connection, the caller's timeout): what came is kept
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

/** S3's error code in an answer's body ('' when there is none), from its first 64 KiB. */
export async function s3ErrorCode(response: Response): Promise<string> {
  const text = (await bodyPrefix(response, ERROR_BODY_BYTES)).toString('utf8');
  return /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1] ?? '';
}
