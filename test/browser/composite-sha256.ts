// What S3 keeps for a multipart upload with SHA256 COMPOSITE, computed in the test to compare
// with what the store answers in checksum mode.
import { createHash } from 'node:crypto';

/** Each part's SHA-256 (base64), and S3's composite: the SHA-256 of the parts' digests, `-<parts>`. */
export function compositeSha256(bytes: Uint8Array, partSize: number): { parts: string[]; composite: string } {
  const digests: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += partSize) {
    digests.push(
      createHash('sha256')
        .update(bytes.subarray(offset, offset + partSize))
        .digest(),
    );
  }
  return {
    parts: digests.map((digest) => digest.toString('base64')),
    composite: `${createHash('sha256').update(Buffer.concat(digests)).digest('base64')}-${digests.length}`,
  };
}
