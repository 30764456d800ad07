// The object operations the service signs: a download (GET) and a single-request upload (PUT).
// Callers' policies grant them, the presigner signs them, the IAM policies allow their actions.
export type Operation = 'get' | 'put';

/** A URL request as the caller rules judge it (src/auth/caller-policy.ts) and the presigner signs it. */
export interface ObjectRequest {
  operation: Operation;
  bucket: string;
  key: string;
  expiresIn: number;
  contentType?: string | undefined;
  contentLength?: number | undefined;
}
