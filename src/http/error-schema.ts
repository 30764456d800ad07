import { z } from 'zod';
import { ERROR_CODES } from '../errors.js';

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

/** Response schemas for the error statuses a route can answer with. */
export function errorResponses<const S extends readonly number[]>(...statuses: S) {
  return Object.fromEntries(statuses.map((status) => [status, errorResponseSchema])) as {
    [K in S[number]]: typeof errorResponseSchema;
  };
}
