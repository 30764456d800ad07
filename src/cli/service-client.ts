// The CLI as a caller of a running service: JSON over HTTP with a bearer token (an API key or
// a JWT), the service's error body turned into one line that names its code. What the service
// answers is read up to a bound and checked against the shape the CLI expects: a broken or
// hostile service gets a one-line error, never a stack trace, an unbounded read or a loop of
// its choosing.
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { redirectAnswer } from './redirect.js';

/** The CLI's own variables (not the service's configuration): the token for --service. */
export const CLI_VARIABLES = ['S3_PRESIGN_TOKEN'] as const;

/**
 * The largest answer read. The largest real one is a part list of 10,000 parts (about 1.2 MB
 * with checksums); 100 part URLs come to about 100 KB.
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** Tries per call when the service answers 503 with a Retry-After (overloaded). */
const OVERLOAD_ATTEMPTS = 4;

export class ServiceError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface ServiceClient {
  /** The answer, parsed and checked against `answer`; a ServiceError for anything else. */
  post<T>(path: string, body: unknown, answer: z.ZodType<T>, signal?: AbortSignal): Promise<T>;
  /** The service's base URL, without a trailing slash, as the user gave it. */
  readonly base: string;
}

export function serviceClient(base: string, token: string): ServiceClient {
  let origin: URL;
  try {
    origin = new URL(base);
  } catch {
    throw new ServiceError(`--service "${base}" is not a URL (e.g. http://127.0.0.1:8080)`, 0, undefined);
  }
  if (origin.protocol !== 'http:' && origin.protocol !== 'https:') {
    throw new ServiceError(`--service "${base}" must be an http or https URL`, 0, undefined);
  }
  // The base without its trailing slashes; a loop, since /\/+$/ is quadratic on a run of slashes.
  let trimmed = origin.href;
  while (trimmed.endsWith('/')) trimmed = trimmed.slice(0, -1);
  return {
    base: trimmed,
    async post<T>(path: string, body: unknown, answer: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
      let response: Response;
      let text: string;
      for (let attempt = 1; ; attempt += 1) {
        try {
          response = await fetch(`${trimmed}${path}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
            signal,
            // Followed, a redirect would take the request's body elsewhere (and, within the
            // origin, the token): --service names the one address the CLI talks to.
            redirect: 'manual',
          });
        } catch (error) {
          if (signal?.aborted) throw error;
          const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
          throw new ServiceError(`the service at ${trimmed} did not answer ${path}: ${cause}`, 0, undefined);
        }
        // An overloaded service refuses before it handles the request and says when to come
        // back: every call is then safe to send again, a completion included.
        const retryAfter = Number(response.headers.get('retry-after'));
        if (response.status !== 503 || attempt >= OVERLOAD_ATTEMPTS || !(retryAfter >= 0 && retryAfter <= 60)) break;
        await response.body?.cancel();
        await sleep(retryAfter * 1000, undefined, { signal });
      }
      const redirect = await redirectAnswer(response);
      if (redirect !== undefined) {
        throw new ServiceError(
          `the service at ${trimmed} answered ${path} with ${redirect}: give --service the address it redirects to`,
          response.status,
          undefined,
        );
      }
      try {
        text = await boundedText(response, `the service at ${trimmed} answered ${path}`);
      } catch (error) {
        if (signal?.aborted || error instanceof ServiceError) throw error;
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new ServiceError(`the service at ${trimmed} did not answer ${path}: ${cause}`, 0, undefined);
      }
      if (response.ok) {
        let parsed: unknown;
        try {
          parsed = text === '' ? null : JSON.parse(text);
        } catch {
          throw new ServiceError(
            `the service at ${trimmed} answered ${path} with ${response.status} and a body that is not JSON: ${text.slice(0, 200)}`,
            response.status,
            undefined,
          );
        }
        const checked = answer.safeParse(parsed);
        if (!checked.success) {
          const issue = checked.error.issues[0];
          throw new ServiceError(
            `the service at ${trimmed} answered ${path} with an unexpected body: ${issue?.path.join('.') || '(the body)'}: ${issue?.message ?? 'invalid'}`,
            response.status,
            undefined,
          );
        }
        return checked.data;
      }
      let code: string | undefined;
      let message = text.slice(0, 200);
      try {
        const parsed = JSON.parse(text) as { code?: string; message?: string };
        code = parsed.code;
        message = parsed.message ?? message;
      } catch {
        // not the service's JSON error: the start of the body says what answered
      }
      throw new ServiceError(
        `the service refused ${path}: ${response.status}${code ? ` ${code}` : ''}: ${message}`,
        response.status,
        code,
      );
    },
  };
}

/** The body as text, refused past MAX_ANSWER_BYTES (leaving the loop cancels the download). */
async function boundedText(response: Response, what: string): Promise<string> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of response.body) {
    bytes += chunk.byteLength;
    if (bytes > MAX_ANSWER_BYTES) {
      throw new ServiceError(`${what} with more than ${MAX_ANSWER_BYTES} bytes`, response.status, undefined);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
