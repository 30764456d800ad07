import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { AUTHENTICATION_ERRORS } from '../auth/authentication.js';
import { ERROR_CODES, statusOf, type ErrorCode, type StatusOf } from '../errors.js';
import { RATE_LIMIT_ERRORS } from '../rate-limit/plugin.js';

/** The one shape of every error the service answers with. */
export const errorResponseSchema = z
  .object({
    statusCode: z.number().int().min(400).max(599),
    code: z.enum(ERROR_CODES as [string, ...string[]]).describe('Stable machine-readable code'),
    error: z.string().describe('HTTP reason phrase'),
    message: z.string().describe('What went wrong, for a person'),
    field: z.string().optional().describe('The request field at fault, when there is one'),
  })
  .meta({ id: 'Error' });
export type ErrorResponse = z.output<typeof errorResponseSchema>;

/** What every route behind authentication can answer, whatever it does. */
export const CALLER_ERRORS = [
  ...AUTHENTICATION_ERRORS,
  ...RATE_LIMIT_ERRORS,
  // The overload guard in front of the authenticated routes (app.ts), and a fault of ours.
  'OVERLOADED',
  'INTERNAL_ERROR',
] as const satisfies readonly ErrorCode[];

/** What every route with a JSON body can answer before its handler runs. */
export const JSON_BODY_ERRORS = [
  'VALIDATION_FAILED',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
] as const satisfies readonly ErrorCode[];

/** A code, or the list a module exports of the codes it raises (PRESIGNER_ERRORS). */
type Codes = ErrorCode | readonly ErrorCode[];
type Flat<C> = C extends readonly (infer Code)[] ? Code : C;

const declaredCodes = new WeakMap<object, ReadonlySet<ErrorCode>>();

function declaredErrorSchema(status: number, codes: readonly ErrorCode[]) {
  // The shared Error shape, and the codes this route answers this status with: clients
  // generated from the document get `code` as a union of exactly those.
  const schema = z
    .intersection(errorResponseSchema, z.looseObject({ code: z.enum(codes as [ErrorCode, ...ErrorCode[]]) }))
    .describe(`${STATUS_CODES[status] ?? 'Error'}: ${codes.join(', ')}`);
  declaredCodes.set(schema, new Set(codes));
  return schema;
}

/**
 * A route's error responses from the codes it can raise: its own, and the lists exported by
 * what it calls (CALLER_ERRORS, PRESIGNER_ERRORS, MULTIPART_ERRORS.complete…). Each status
 * the codes map to (src/errors.ts) gets the Error schema with `code` narrowed to them.
 */
export function errorResponses<const L extends readonly Codes[]>(...lists: L) {
  const codes = new Set(lists.flat() as ErrorCode[]);
  const byStatus = new Map<number, ErrorCode[]>();
  // In the error table's order, so the document does not change with the order of the lists.
  for (const code of ERROR_CODES.filter((code) => codes.has(code))) {
    const status = statusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, statusCodes]) => [status, declaredErrorSchema(status, statusCodes)]),
  ) as { [S in StatusOf<Flat<L[number]>>]: ReturnType<typeof declaredErrorSchema> };
}

/** The codes a response schema from errorResponses declares; undefined for any other schema. */
export function declaredErrorCodes(schema: unknown): ReadonlySet<ErrorCode> | undefined {
  return typeof schema === 'object' && schema !== null ? declaredCodes.get(schema) : undefined;
}
