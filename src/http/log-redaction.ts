// What must never reach a log line: signatures, credentials, session tokens, API keys.
// pino's path redaction cannot look inside a query string, so URLs are scrubbed here.
import type { FastifyRequest } from 'fastify';

const SECRET_QUERY_PARAMETER =
  /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId|x-amz-security-token|access_token|token|api_key|apikey)=)[^&#]*/gi;

/** Replaces the value of every secret-bearing query parameter with REDACTED. */
export function scrubUrl(url: string): string {
  // The pattern needs a `?` or `&`; most request URLs (/presign) have neither.
  if (!url.includes('?') && !url.includes('&')) return url;
  return url.replace(SECRET_QUERY_PARAMETER, '$1REDACTED');
}

/**
 * Paths pino redacts in any logged object that carries raw headers. A logged request needs
 * none: its serializer below is an allowlist that never copies a header, and redacting
 * `req.headers.*` behind it cost every request line more than the rest of its `req` (measured).
 */
export const REDACTED_PATHS = [
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["x-amz-security-token"]',
];

export const requestSerializers = {
  /** What of a request reaches a log line: these four fields and nothing else. */
  req(request: FastifyRequest) {
    return {
      method: request.method,
      url: scrubUrl(request.url),
      host: request.host,
      remoteAddress: request.ip,
    };
  },
};
