// Single-request browser form uploads (S3's POST Object), framework-free: a signed POST policy
// for one file at a key picked here, for /uploads with `"method": "post"`, Companion's
// /s3/params and Uppy 6's whole-file PUT. The policy comes from the Presigner and passes the
// validator, as every URL does; a file too large for one request goes to src/multipart/.
//
//   createPostPolicy(caller, {filename, contentType, contentLength, checksum?, metadata?, tags?})
//       → {url, method, fields, key, expiresAt}
import type { AuditedRequest, AuditTrail } from '../audit/audit-trail.js';
import { newGrantId } from '../audit/grant-id.js';
import { auditedChecksum, uploadConstraints } from '../audit/upload-constraints.js';
import type { Caller } from '../auth/caller-policy.js';
import { authorizeUpload, UPLOAD_AUTHORIZATION_ERRORS } from '../auth/upload-authorization.js';
import type { Config } from '../config/config.js';
import type { RequestChecksum } from '../endpoint/checksum-algorithms.js';
import { MAX_SINGLE_PUT_BYTES } from '../endpoint/s3-limits.js';
import { AppError, type ErrorCode } from '../errors.js';
import { pickUploadKey } from '../frontend-api/keys.js';
import { checkLabels, LABEL_ERRORS, objectFormFields, type ObjectLabels } from '../metadata/object-metadata.js';
import { PRESIGNER_ERRORS, type Presigner } from '../presign/presigner.js';
import { callerDefaults } from '../presign/routes.js';

export interface FormUploadDependencies {
  config: Config;
  presigner: Presigner;
  /**
   * Called once per policy issued, before it is returned: the one place where issuance is
   * counted (metrics, and a per-caller URL budget).
   */
  onIssued?: (caller: Caller) => void;
  /** Where each policy's grant is recorded. */
  audit?: Pick<AuditTrail, 'grant'>;
}

export interface FormUploadInput extends ObjectLabels {
  filename: string;
  contentType: string;
  /** Exactly this many bytes; undefined for clients that ask before they say the size. */
  contentLength: number | undefined;
  checksum?: RequestChecksum | undefined;
}

/** What createPostPolicy refuses with: the routes that call it declare this list (src/http/error-schema.ts). */
export const FORM_UPLOAD_ERRORS = [
  ...UPLOAD_AUTHORIZATION_ERRORS,
  ...LABEL_ERRORS,
  'OBJECT_TOO_LARGE',
  ...PRESIGNER_ERRORS,
] as const satisfies readonly ErrorCode[];

export class FormUploadService {
  readonly #deps: FormUploadDependencies;

  constructor(deps: FormUploadDependencies) {
    this.#deps = deps;
  }

  /**
   * A browser form upload of `contentType` to a key picked here: exactly `contentLength` bytes
   * when stated, else anything up to the caller's limit (or S3's 5 GiB for a form upload), for
   * clients that ask before they say the size (Companion's /s3/params, Uppy 6).
   */
  async createPostPolicy(caller: Caller, input: FormUploadInput, origin?: AuditedRequest) {
    const { config } = this.#deps;
    const { bucket, expiresIn } = callerDefaults(caller, config);
    authorizeUpload(caller, bucket, input.contentType, input.contentLength);
    if (input.contentLength !== undefined && input.contentLength > MAX_SINGLE_PUT_BYTES) {
      throw new AppError(
        'OBJECT_TOO_LARGE',
        `a form upload takes at most ${MAX_SINGLE_PUT_BYTES} bytes (5 GiB, S3's limit for one request): upload this file in parts`,
        { field: 'contentLength' },
      );
    }
    const labels = checkLabels(caller.policy, input);
    const grant = newGrantId();
    const fields = objectFormFields({ provenance: config.audit.provenance, caller, grant, labels });
    const contentLengthRange: [number, number] =
      input.contentLength === undefined
        ? [0, Math.min(caller.policy.maxContentLength ?? MAX_SINGLE_PUT_BYTES, MAX_SINGLE_PUT_BYTES)]
        : [input.contentLength, input.contentLength];
    const signed = await this.#deps.presigner.presignPost({
      bucket,
      key: pickUploadKey(caller, input.filename),
      contentType: input.contentType,
      contentLengthRange,
      expiresIn,
      serverFields: fields,
      checksum: input.checksum,
    });
    this.#deps.onIssued?.(caller);
    this.#deps.audit?.grant(origin, {
      grant,
      operation: 'post',
      bucket,
      key: signed.key,
      expiresAt: signed.expiresAt,
      constraints: uploadConstraints(config, bucket, fields, labels, {
        contentType: input.contentType,
        contentLengthRange,
        checksum: auditedChecksum(input.checksum),
      }),
    });
    return {
      url: signed.url,
      method: 'POST' as const,
      fields: signed.fields,
      key: signed.key,
      expiresAt: signed.expiresAt,
    };
  }
}
