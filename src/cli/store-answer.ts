// What the CLI makes of a store's answer that is not the one it hoped for, for uploads and
// downloads alike: a redirect is refused, since the URL the CLI was given (and validated, or
// the service validated) is the only one it sends to; a refusal's body is read only as far as
// S3's <Code> could be.

/** What is read of a refusal's body: S3's error documents are well under 1 KiB. */
const REFUSAL_BODY_BYTES = 64 * 1024;

/** Why a redirect is not followed, or undefined for any other answer (its body is then unread). */
export async function redirectRefusal(response: Response, what: string): Promise<string | undefined> {
  if (response.status < 300 || response.status >= 400) return undefined;
  await response.body?.cancel();
  const location = response.headers.get('location');
  return `the store answered ${response.status}${location === null ? '' : ` (a redirect to ${location})`} for ${what}: the CLI follows no redirect, since the URL it was given is the only one validated`;
}

/** S3's error code in a refusal's body ('' when there is none), from its first 64 KiB. */
export async function refusalCode(response: Response): Promise<string> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
      chunks.push(chunk);
      bytes += chunk.length;
      // Leaving the loop cancels the rest of the body.
      if (bytes >= REFUSAL_BODY_BYTES) break;
    }
  } catch {
    // a body cut short: what came is enough to look for a <Code>
  }
  const text = Buffer.concat(chunks).subarray(0, REFUSAL_BODY_BYTES).toString('utf8');
  return /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1] ?? '';
}
