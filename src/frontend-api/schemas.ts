import { z } from 'zod';

export const filenameSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine((name) => name.isWellFormed(), 'must be valid UTF-8')
  .describe('The name the user sees; sanitised before it becomes part of a key or a header');

export const postPolicyResponseSchema = z
  .object({
    url: z.url(),
    method: z.literal('POST'),
    fields: z
      .record(z.string(), z.string())
      .describe('Form fields to send, in this order, before the file field (named "file", last)'),
    key: z.string(),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'PostPolicy' });
