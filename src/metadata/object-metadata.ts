// What an upload stores besides its bytes: provenance the service sets (who uploaded it, under
// which grant), and the user metadata and tags a caller may add for the keys its policy allows
// (`metadataKeys`, `tagKeys` in the clients file), within S3's limits. All of it is signed:
// headers of a PUT URL, exact conditions of a POST policy, members of CreateMultipartUpload.
// A client can neither drop nor change any of it.
//
// S3's limits (Amazon S3 User Guide, "Working with object metadata" and "Categorizing your
// storage using tags"): user metadata at most 2 KB, counted as the UTF-8 bytes of each name
// (without `x-amz-meta-`) and value; at most 10 tags, keys of 1-128 and values of 0-256
// Unicode characters from letters, digits, spaces and `+ - = . _ : / @`, no key starting `aws:`.
import type { Caller, CallerPolicy } from '../auth/caller-policy.js';
import {
  MAX_METADATA_BYTES,
  MAX_TAG_KEY_CHARACTERS,
  MAX_TAG_VALUE_CHARACTERS,
  MAX_TAGS,
} from '../endpoint/s3-limits.js';
import { AppError } from '../errors.js';

export const METADATA_PREFIX = 'x-amz-meta-';
export const TAGGING_HEADER = 'x-amz-tagging';
/** POST Object takes the tags as an XML document in this form field. */
export const TAGGING_FIELD = 'tagging';
export const UPLOADED_BY = 'uploaded-by';
export const GRANT_METADATA = 'grant';
/** Names the service sets itself: a policy cannot hand them to a caller. */
export const PROVENANCE_NAMES: ReadonlySet<string> = new Set([UPLOADED_BY, GRANT_METADATA]);

/** What checkLabels and the header builders refuse with (routes declare them). */
export const LABEL_ERRORS = ['METADATA_NOT_ALLOWED', 'METADATA_INVALID', 'TAG_NOT_ALLOWED', 'TAGS_INVALID'] as const;

/** A metadata name as policies list it and S3 stores it (lowercase: HTTP header names are not case-sensitive). */
export const METADATA_NAME = /^[a-z0-9_-]{1,128}$/;
/** S3's tag character set (its API reference's pattern), for keys and values alike. */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** A value that goes into a header as it is: visible ASCII, single spaces inside. */
const PLAIN_VALUE = /^[\x21-\x7e](?:[\x21-\x7e]| (?! ))*$/;
/**
 * What opens an RFC 2047 encoded word. A value holding it is encoded too: sent as it is,
 * `=?UTF-8?B?DQo=?=` would read back as a line break to a client that decodes S3's values, a
 * control character the service refuses when sent as one.
 */
const ENCODED_WORD_START = '=?';
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** The user metadata and tags of one upload, as a request asks for them. */
export interface ObjectLabels {
  /** Values are checked to be text here (the request schemas let any JSON value through). */
  metadata?: Readonly<Record<string, unknown>> | undefined;
  tags?: Readonly<Record<string, unknown>> | undefined;
}

/** What an upload carries, checked: metadata by lowercase name (values as stored), tags in order. */
export interface CheckedLabels {
  metadata: ReadonlyArray<readonly [name: string, value: string]>;
  tags: ReadonlyArray<readonly [key: string, value: string]>;
}

export const NO_LABELS: CheckedLabels = Object.freeze({ metadata: Object.freeze([]), tags: Object.freeze([]) });

function refuse(
  code: 'METADATA_NOT_ALLOWED' | 'METADATA_INVALID' | 'TAGS_INVALID' | 'TAG_NOT_ALLOWED',
  message: string,
  field: string,
): never {
  throw new AppError(code, message, { field });
}

/**
 * The metadata and tags a request asks for, held to the caller's policy and S3's rules.
 * Throws a 400 AppError naming the first key at fault.
 */
export function checkLabels(policy: CallerPolicy, labels: ObjectLabels, where = ''): CheckedLabels {
  const metadata = checkMetadata(policy, labels.metadata ?? {}, where);
  const tags = checkTags(policy, labels.tags ?? {}, where);
  return metadata.length === 0 && tags.length === 0 ? NO_LABELS : { metadata, tags };
}

function checkMetadata(
  policy: CallerPolicy,
  metadata: Readonly<Record<string, unknown>>,
  where: string,
): Array<readonly [string, string]> {
  const checked: Array<readonly [string, string]> = [];
  const seen = new Set<string>();
  for (const [given, value] of Object.entries(metadata)) {
    const field = `${where}metadata.${given}`;
    const name = given.toLowerCase();
    if (!policy.metadataKeys.includes(name)) {
      refuse(
        'METADATA_NOT_ALLOWED',
        policy.metadataKeys.length === 0
          ? `metadata key ${JSON.stringify(given)} is not allowed: your policy allows no metadata`
          : `metadata key ${JSON.stringify(given)} is not allowed: your policy allows ${policy.metadataKeys.join(', ')}`,
        field,
      );
    }
    if (seen.has(name))
      refuse(
        'METADATA_INVALID',
        `metadata key ${JSON.stringify(given)} is given twice (names are not case-sensitive)`,
        field,
      );
    seen.add(name);
    if (typeof value !== 'string')
      refuse('METADATA_INVALID', `metadata key ${JSON.stringify(given)} must have a text value`, field);
    checked.push([name, storedValue(value, field)]);
  }
  return checked;
}

/**
 * A metadata value as it goes into the signed header. Plain ASCII as it is; anything else
 * (non-ASCII text, leading, trailing or repeated spaces, `=?`) RFC 2047-encoded as UTF-8, which is how
 * S3 itself returns such values and how Uppy Companion sends them. Control characters are refused.
 */
export function storedValue(value: string, field: string): string {
  if (value === '' || (PLAIN_VALUE.test(value) && !value.includes(ENCODED_WORD_START))) return value;
  if (CONTROL.test(value) || !value.isWellFormed()) {
    refuse('METADATA_INVALID', `${field} holds a control character or a broken surrogate`, field);
  }
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function checkTags(
  policy: CallerPolicy,
  tags: Readonly<Record<string, unknown>>,
  where: string,
): Array<readonly [string, string]> {
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) {
    refuse('TAGS_INVALID', `${entries.length} tags: S3 stores at most ${MAX_TAGS} per object`, `${where}tags`);
  }
  const checked: Array<readonly [string, string]> = [];
  for (const [key, value] of entries) {
    const field = `${where}tags.${key}`;
    if (!policy.tagKeys.includes(key)) {
      refuse(
        'TAG_NOT_ALLOWED',
        policy.tagKeys.length === 0
          ? `tag ${JSON.stringify(key)} is not allowed: your policy allows no tags`
          : `tag ${JSON.stringify(key)} is not allowed: your policy allows ${policy.tagKeys.join(', ')}`,
        field,
      );
    }
    if (typeof value !== 'string') refuse('TAGS_INVALID', `tag ${JSON.stringify(key)} must have a text value`, field);
    const problem = tagTextProblem(value, MAX_TAG_VALUE_CHARACTERS);
    if (problem !== undefined) refuse('TAGS_INVALID', `the value of tag ${JSON.stringify(key)} ${problem}`, field);
    checked.push([key, value]);
  }
  // Sorted: one spelling of the header and the form field for the same tags.
  return checked.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Why a tag key or value breaks S3's rules, or undefined. */
export function tagTextProblem(text: string, maxCharacters: number): string | undefined {
  if (!TAG_TEXT.test(text)) return 'may hold only letters, digits, spaces and + - = . _ : / @';
  const characters = [...text].length;
  if (characters > maxCharacters) return `is ${characters} characters long; S3 allows ${maxCharacters}`;
  return undefined;
}

/** Why a policy's tag key cannot be one, or undefined. */
export function tagKeyProblem(key: string): string | undefined {
  if (key === '') return 'must not be empty';
  if (/^aws:/i.test(key)) return 'must not start with "aws:" (S3 keeps that prefix for itself)';
  return tagTextProblem(key, MAX_TAG_KEY_CHARACTERS);
}

/** `x-amz-meta-uploaded-by`: the caller's id, and for an end user (JWT) `id/subject`. */
export function uploadedBy(caller: Pick<Caller, 'id' | 'subject'>): string {
  return caller.subject === undefined ? caller.id : `${caller.id}/${caller.subject}`;
}

export interface ObjectMetadataRequest {
  /** Whether the object carries who uploaded it and under which grant (UPLOAD_PROVENANCE). */
  provenance: boolean;
  caller: Pick<Caller, 'id' | 'subject'>;
  grant: string;
  labels: CheckedLabels;
}

/** The signed headers of a PUT (and the members of a multipart create): metadata, then tagging. */
export function objectHeaders(request: ObjectMetadataRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  if (request.provenance) {
    headers[`${METADATA_PREFIX}${UPLOADED_BY}`] = uploadedBy(request.caller);
    headers[`${METADATA_PREFIX}${GRANT_METADATA}`] = request.grant;
  }
  for (const [name, value] of request.labels.metadata) headers[`${METADATA_PREFIX}${name}`] = value;
  checkMetadataSize(headers);
  if (request.labels.tags.length > 0) headers[TAGGING_HEADER] = taggingQuery(request.labels.tags);
  return headers;
}

/** The fields of a POST policy form: the same metadata, and the tags as POST Object's XML. */
export function objectFormFields(request: ObjectMetadataRequest): Record<string, string> {
  const { [TAGGING_HEADER]: tagging, ...fields } = objectHeaders(request);
  if (tagging !== undefined) fields[TAGGING_FIELD] = taggingXml(request.labels.tags);
  return fields;
}

/** S3's 2 KB, over everything the object will carry as user metadata (provenance included). */
function checkMetadataSize(headers: Readonly<Record<string, string>>): void {
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    bytes += Buffer.byteLength(name, 'utf8') - METADATA_PREFIX.length + Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_METADATA_BYTES) {
      const key = name.slice(METADATA_PREFIX.length);
      refuse(
        'METADATA_INVALID',
        `with metadata key ${JSON.stringify(key)} the object's user metadata comes to more than S3's ${MAX_METADATA_BYTES} bytes (names and values, provenance included)`,
        `metadata.${key}`,
      );
    }
  }
}

/** `x-amz-tagging`: the tags as a URL query (S3 reads it that way), keys in order. */
export function taggingQuery(tags: CheckedLabels['tags']): string {
  return tags.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
}

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** POST Object's `tagging` field: `<Tagging><TagSet><Tag><Key>…</Key><Value>…</Value></Tag>…`. */
export function taggingXml(tags: CheckedLabels['tags']): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (char) => XML_ESCAPES[char] as string);
  const set = tags.map(([key, value]) => `<Tag><Key>${escape(key)}</Key><Value>${escape(value)}</Value></Tag>`);
  return `<Tagging><TagSet>${set.join('')}</TagSet></Tagging>`;
}

/** Uppy's own meta fields: Uppy sends them for every file, whatever the app asked for. */
export const UPPY_AUTOMATIC_META: ReadonlySet<string> = new Set(['name', 'type', 'relativePath']);

/**
 * Uppy's file meta as Companion maps it (each field a `x-amz-meta-*` header), under the
 * caller's policy: a field its policy lists in `tagKeys` becomes a tag, one in `metadataKeys`
 * metadata (both when both). Uppy's own fields (name, type, relativePath) are dropped unless the
 * policy lists them: Uppy sends them unasked, and type and name are in the upload already. Any
 * other field is refused with a 400 naming it; empty values (null, undefined) are skipped.
 */
export function labelsFromUppyMeta(
  policy: CallerPolicy,
  meta: Readonly<Record<string, unknown>> | undefined,
): ObjectLabels {
  const metadata: Record<string, string> = {};
  const tags: Record<string, string> = {};
  for (const [name, raw] of Object.entries(meta ?? {})) {
    if (raw === null || raw === undefined) continue;
    const asTag = policy.tagKeys.includes(name);
    const asMetadata = policy.metadataKeys.includes(name.toLowerCase());
    if (!asTag && !asMetadata) {
      if (UPPY_AUTOMATIC_META.has(name)) continue;
      refuse(
        'METADATA_NOT_ALLOWED',
        `Uppy meta field ${JSON.stringify(name)} is neither a metadata key nor a tag your policy allows; drop it from allowedMetaFields or ask for it in the policy`,
        `metadata.${name}`,
      );
    }
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      refuse(
        'METADATA_INVALID',
        `Uppy meta field ${JSON.stringify(name)} must be text, a number or a boolean`,
        `metadata.${name}`,
      );
    }
    const value = String(raw);
    if (asTag) tags[name] = value;
    if (asMetadata) metadata[name] = value;
  }
  return { metadata, tags };
}
