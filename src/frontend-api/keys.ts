// Keys the service picks for new uploads: under the caller's first prefix, a fresh UUID
// folder, then the sanitised file name. Shared by /uploads and /multipart.
import { randomUUID } from 'node:crypto';
import type { Caller } from '../auth/caller-policy.js';
import { sanitizeFilename } from './filenames.js';

export function pickUploadKey(caller: Caller, filename: string): string {
  const prefix = caller.policy.keyPrefixes[0] as string;
  return `${prefix}${randomUUID()}/${sanitizeFilename(filename)}`;
}
