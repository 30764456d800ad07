// What must never reach a log line: signatures, credentials, session tokens, API keys.
// pino's path redaction cannot look inside a query string, so URLs are scrubbed here.
import type { FastifyRequest } from 'fastify';

const SECRET_QUERY_PARAMETER =
  /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId|x-amz-security-token|access_token|token|api_key|apikey)=)[^&#]*/gi;

/** Replaces the value of every secret-bearing query parameter with REDACTED. */
export function scrubUrl(url: string): string {
  return url.replace(SECRET_QUERY_PARAMETER, '$1REDACTED');
}

/** Header paths pino removes from every logged request. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-amz-security-token"]',
  'headers.authorization',
  'headers.cookie',
];

export const requestSerializers = {
  req(request: FastifyRequest) {
    return {
      method: request.method,
      url: scrubUrl(request.url),
      host: request.host,
      remoteAddress: request.ip,
    };
  },
};
