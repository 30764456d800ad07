// Who may call: the clients file (JSON or YAML) validated against the service's own
// configuration, and the registry that turns an Authorization header into a Caller.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SIGV4_MAX_EXPIRES_SECONDS, type Config } from '../config/config.js';
import { AppError } from '../errors.js';
import { MAX_OBJECT_BYTES } from '../endpoint/s3-limits.js';
import { ApiKeyIndex, looksLikeApiKey } from './api-keys.js';
import { LOCAL_FRONTEND_ID, LOCAL_FRONTEND_POLICY, type DevelopmentTokenIssuer } from '../local/development-tokens.js';
import { JWT_ALGORITHMS, JwtVerifier, type JwtIssuer } from './jwt.js';
import { METADATA_NAME, PROVENANCE_NAMES, tagKeyProblem } from '../metadata/object-metadata.js';
import type { Caller, CallerPolicy } from './caller-policy.js';

const SUBJECT_PLACEHOLDER = '{sub}';
const MEDIA_RANGE = /^(?:\*\/\*|[A-Za-z0-9!#$&^_.+-]+\/(?:\*|[A-Za-z0-9!#$&^_.+-]+))$/;

const policySchema = z.strictObject({
  operations: z.array(z.enum(['get', 'put'])).min(1),
  buckets: z.array(z.string().min(1)).min(1).optional(),
  keyPrefixes: z
    .array(
      z
        .string()
        .max(512)
        .refine((prefix) => !prefix.startsWith('/'), 'must not start with "/"')
        .refine((prefix) => !/[\u0000-\u001f\u007f]/.test(prefix), 'must not contain control characters'),
    )
    .min(1)
    .describe('"" allows every key'),
  maxExpiresSeconds: z.number().int().min(1).max(SIGV4_MAX_EXPIRES_SECONDS).optional(),
  // The whole object, multipart included (5 TiB); a single PUT is still capped at 5 GiB by its own schema.
  maxContentLength: z.number().int().min(0).max(MAX_OBJECT_BYTES).optional(),
  contentTypes: z.array(z.string().regex(MEDIA_RANGE, 'must be type/subtype, type/* or */*')).min(1).optional(),
  presignRoutes: z
    .boolean()
    .optional()
    .describe('JWT clients only: open /presign and /presign/batch, where the end user names any key'),
  metadataKeys: z
    .array(
      z
        .string()
        .transform((name) => name.toLowerCase())
        .pipe(z.string().regex(METADATA_NAME, 'must be 1-128 of a-z 0-9 _ - (without x-amz-meta-)'))
        .refine((name) => !PROVENANCE_NAMES.has(name), 'is set by the service itself (provenance)'),
    )
    .optional()
    .describe('User metadata names uploads may carry (`metadata` in a request, Uppy meta fields)'),
  tagKeys: z
    .array(
      z.string().superRefine((key, context) => {
        const problem = tagKeyProblem(key);
        if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
      }),
    )
    .optional()
    .describe('Tag keys uploads may carry (`tags` in a request, Uppy meta fields)'),
});

const clientSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 . _ -'),
    apiKeySha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be the lowercase hex SHA-256 of the key (s3-presign keygen prints it)')
      .optional(),
    jwt: z
      .strictObject({
        jwksUrl: z.url({ protocol: /^https?$/ }),
        issuer: z.string().min(1),
        audience: z.string().min(1),
        algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).optional(),
      })
      .optional(),
    policy: policySchema,
  })
  .refine((client) => (client.apiKeySha256 === undefined) !== (client.jwt === undefined), {
    message: 'needs exactly one of apiKeySha256 (a service) or jwt (a frontend)',
  });

export const clientsFileSchema = z.strictObject({ clients: z.array(clientSchema).min(1) });
export type ClientDefinition = z.output<typeof clientSchema>;

export type RegistryResult = { ok: true; registry: CallerRegistry } | { ok: false; problems: string[] };

export class CallerRegistry {
  readonly #clients: readonly ClientDefinition[];
  readonly #apiKeys: ApiKeyIndex<Caller>;
  readonly #jwt: JwtVerifier<ClientDefinition> | undefined;
  readonly #config: Config;

  /**
   * `developmentTokens`: local mode's token issuer, whose tokens authenticate as one more
   * frontend (LOCAL_FRONTEND_POLICY) beside the clients, never instead of them.
   */
  constructor(
    clients: readonly ClientDefinition[],
    config: Config,
    options: { developmentTokens?: DevelopmentTokenIssuer } = {},
  ) {
    this.#clients = clients;
    this.#config = config;
    // An API-key caller is the same on every request: built once, frozen, shared.
    this.#apiKeys = new ApiKeyIndex(
      clients.flatMap((client) =>
        client.apiKeySha256 ? [{ sha256Hex: client.apiKeySha256, holder: this.#apiKeyCaller(client) }] : [],
      ),
    );
    const issuers: Array<JwtIssuer<ClientDefinition>> = clients.flatMap((client) =>
      client.jwt === undefined
        ? []
        : [
            {
              jwks: new URL(client.jwt.jwksUrl),
              issuer: client.jwt.issuer,
              audience: client.jwt.audience,
              algorithms: client.jwt.algorithms ?? ['RS256', 'ES256', 'EdDSA'],
              holder: client,
            },
          ],
    );
    const development = options.developmentTokens;
    if (development !== undefined) {
      issuers.push({
        jwks: development.keySet,
        issuer: development.issuer,
        audience: development.audience,
        algorithms: [development.algorithm],
        holder: { id: LOCAL_FRONTEND_ID, policy: { ...LOCAL_FRONTEND_POLICY } },
      });
    }
    this.#jwt = issuers.length === 0 ? undefined : new JwtVerifier(issuers);
  }

  /** The same callers, and the holders of local mode's development tokens as one more frontend. */
  withDevelopmentTokens(developmentTokens: DevelopmentTokenIssuer): CallerRegistry {
    return new CallerRegistry(this.#clients, this.#config, { developmentTokens });
  }

  /**
   * The caller behind an `Authorization` header, or a 401/503 AppError. An API key's caller (or
   * its refusal) comes back at once, only a JWT waits on a promise: a service's request then pays
   * no promise for authentication.
   */
  admit(authorization: string | undefined): Caller | Promise<Caller> {
    if (!authorization) throw new AppError('AUTH_REQUIRED', 'send "Authorization: Bearer <API key or token>"');
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization);
    if (!match) throw new AppError('AUTH_INVALID', 'the Authorization header must be "Bearer <API key or token>"');
    const token = match[1] as string;
    if (looksLikeApiKey(token)) {
      const caller = this.#apiKeys.find(token);
      if (!caller) throw new AppError('AUTH_INVALID', 'the API key is not valid');
      return caller;
    }
    if (!this.#jwt) throw new AppError('AUTH_INVALID', 'the bearer token is not a valid API key');
    return this.#jwt.verify(token).then(({ holder, subject }) => ({
      id: holder.id,
      kind: 'jwt',
      subject,
      policy: this.#policyOf(holder, subject),
    }));
  }

  #apiKeyCaller(client: ClientDefinition): Caller {
    const policy = this.#policyOf(client, undefined);
    Object.freeze(policy.keyPrefixes);
    return Object.freeze({ id: client.id, kind: 'api-key', subject: undefined, policy: Object.freeze(policy) });
  }

  #policyOf(client: ClientDefinition, subject: string | undefined): CallerPolicy {
    const { policy } = client;
    return {
      operations: policy.operations,
      buckets: policy.buckets ?? this.#config.buckets,
      keyPrefixes: policy.keyPrefixes.map((prefix) =>
        subject === undefined ? prefix : prefixForSubject(prefix, subject),
      ),
      maxExpiresSeconds: Math.min(policy.maxExpiresSeconds ?? Infinity, this.#config.presign.maxExpiresSeconds),
      maxContentLength: policy.maxContentLength,
      contentTypes: policy.contentTypes,
      // Services use every route; the switch is for frontends only (an API-key client that sets it is refused at start-up).
      presignRoutes: client.apiKeySha256 !== undefined || policy.presignRoutes === true,
      metadataKeys: policy.metadataKeys ?? [],
      tagKeys: policy.tagKeys ?? [],
    };
  }
}

/**
 * The prefix with every `{sub}` replaced by the subject as it is written. A function replacer,
 * because a string one reads `$'`, `` $` `` and `$&` in the subject as patterns: SAFE_SUBJECT
 * keeps `$` out today, and this holds whatever it allows tomorrow.
 */
export function prefixForSubject(prefix: string, subject: string): string {
  return prefix.replaceAll(SUBJECT_PLACEHOLDER, () => subject);
}

/**
 * Whether every `{sub}` in a prefix is followed by `/`: a prefix is matched with startsWith, so
 * `users/{sub}` for subject `alice` would also match `users/alice.smith/…`.
 */
function subjectEndsASegment(prefix: string): boolean {
  for (let at = prefix.indexOf(SUBJECT_PLACEHOLDER); at !== -1; at = prefix.indexOf(SUBJECT_PLACEHOLDER, at + 1)) {
    if (prefix[at + SUBJECT_PLACEHOLDER.length] !== '/') return false;
  }
  return true;
}

/** Checks a parsed clients document against the schema and the service configuration. */
export function callerRegistryFrom(document: unknown, config: Config): RegistryResult {
  const parsed = clientsFileSchema.safeParse(document);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'file'}: ${issue.message}`),
    };
  }
  const problems: string[] = [];
  const seenIds = new Set<string>();
  const seenKeys = new Set<string>();
  parsed.data.clients.forEach((client, index) => {
    const where = `clients.${index} (${client.id})`;
    if (seenIds.has(client.id)) problems.push(`${where}: id is used twice`);
    seenIds.add(client.id);
    if (client.apiKeySha256) {
      if (seenKeys.has(client.apiKeySha256)) problems.push(`${where}: the same API key belongs to two clients`);
      seenKeys.add(client.apiKeySha256);
    }
    for (const bucket of client.policy.buckets ?? []) {
      if (!config.buckets.includes(bucket)) problems.push(`${where}: bucket "${bucket}" is not in S3_BUCKETS`);
    }
    if (config.mode.kind === 'local' && client.id === LOCAL_FRONTEND_ID) {
      problems.push(`${where}: id ${LOCAL_FRONTEND_ID} is local mode's development tokens' own; pick another`);
    }
    if (client.apiKeySha256 && client.policy.keyPrefixes.some((prefix) => prefix.includes(SUBJECT_PLACEHOLDER))) {
      problems.push(`${where}: {sub} needs a JWT client (API keys have no subject)`);
    }
    client.policy.keyPrefixes.forEach((prefix, prefixIndex) => {
      if (!subjectEndsASegment(prefix)) {
        problems.push(
          `${where}: keyPrefixes.${prefixIndex} "${prefix}": {sub} must be followed by "/" (as in "users/{sub}/"); otherwise user "alice" would also own "alice.smith"'s keys`,
        );
      }
    });
    if (client.apiKeySha256 && client.policy.presignRoutes !== undefined) {
      // Refused rather than ignored: "presignRoutes: false" on a service would read as a
      // restriction that does not exist.
      problems.push(`${where}: presignRoutes is for JWT clients; an API-key client always has /presign`);
    }
    const max = client.policy.maxExpiresSeconds;
    if (max !== undefined && max > config.presign.maxExpiresSeconds) {
      problems.push(
        `${where}: maxExpiresSeconds ${max} is above PRESIGN_MAX_EXPIRES (${config.presign.maxExpiresSeconds})`,
      );
    }
    if (client.jwt) {
      const url = new URL(client.jwt.jwksUrl);
      if (url.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
        problems.push(`${where}: jwt.jwksUrl must be https (http only on loopback)`);
      }
    }
  });
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, registry: new CallerRegistry(parsed.data.clients, config) };
}

/** Reads AUTH_CLIENTS_FILE: YAML or JSON (JSON is YAML). */
export async function loadCallerRegistry(path: string, config: Config): Promise<RegistryResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      problems: [`AUTH_CLIENTS_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`],
    };
  }
  let document: unknown;
  try {
    document = parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    return {
      ok: false,
      problems: [`AUTH_CLIENTS_FILE: ${path} is not valid YAML or JSON: ${(error as Error).message}`],
    };
  }
  const result = callerRegistryFrom(document, config);
  return result.ok
    ? result
    : { ok: false, problems: result.problems.map((problem) => `AUTH_CLIENTS_FILE: ${problem}`) };
}

/** Local mode's one caller: everything the service allows, with a key made at start-up. */
export function developmentRegistry(config: Config, apiKeySha256: string): CallerRegistry {
  return new CallerRegistry(
    [{ id: 'local-developer', apiKeySha256, policy: { operations: ['get', 'put'], keyPrefixes: [''] } }],
    config,
  );
}
