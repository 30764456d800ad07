// POST /dev/token: local mode's development token issuer, for frontends tried without an
// identity provider. Registered in local mode only (buildApp), and answered only on loopback:
// anyone else gets the 404 of an unknown route.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SAFE_SUBJECT, SAFE_SUBJECT_RULE } from '../auth/jwt.js';
import { errorResponses, JSON_BODY_ERRORS } from '../http/error-schema.js';
import { DEVELOPMENT_TOKEN_LIFETIME_SECONDS, type DevelopmentTokenIssuer } from './development-tokens.js';
import { loopbackOnly } from './loopback.js';

const developmentTokenRequestSchema = z
  .strictObject({
    // The rule every JWT subject follows: a subject becomes a key prefix (users/{sub}/).
    sub: z.string().regex(SAFE_SUBJECT, `must be ${SAFE_SUBJECT_RULE}`).describe('The end user the token names'),
  })
  .meta({ id: 'DevelopmentTokenRequest' });

const developmentTokenSchema = z
  .object({
    token: z.string().describe('A JWT to send as "Authorization: Bearer <token>"'),
    sub: z.string(),
    expiresAt: z.iso.datetime().describe(`${DEVELOPMENT_TOKEN_LIFETIME_SECONDS / 60} minutes after issue`),
  })
  .meta({ id: 'DevelopmentToken' });

export const developmentTokenRoutes: FastifyPluginAsyncZod<{ issuer: DevelopmentTokenIssuer }> = async (
  app,
  { issuer },
) => {
  if (app.config.mode.kind !== 'local') throw new Error('the development token issuer is for local mode only');
  app.addHook('onRequest', loopbackOnly);
  app.post(
    '/dev/token',
    {
      schema: {
        operationId: 'createDevelopmentToken',
        summary: 'Local mode only, from loopback only: a JWT for an end user, as an identity provider would issue',
        description: `The token is accepted as the local frontend: the frontend routes (/uploads, /downloads, /multipart…, Uppy's), keys under users/{sub}/. It lasts ${DEVELOPMENT_TOKEN_LIFETIME_SECONDS / 60} minutes, and no longer than the process that signed it.`,
        tags: ['frontend'],
        body: developmentTokenRequestSchema,
        // NOT_FOUND: to anyone but this machine, the route does not exist.
        response: {
          200: developmentTokenSchema,
          ...errorResponses(JSON_BODY_ERRORS, 'NOT_FOUND', 'INTERNAL_ERROR'),
        },
      },
    },
    async (request) => issuer.issue(request.body.sub),
  );
};
