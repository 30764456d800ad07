// The little of S3's XML that Uppy's S3 client reads and writes: result documents out, the
// CompleteMultipartUpload document in. Written by hand because it is this small and closed:
// the answers hold only strings and numbers the service produced (escaped), and the one
// document read in is parsed strictly, in linear time, bounded, and nothing in it reaches S3
// unchecked.
import { MAX_PARTS } from '../endpoint/s3-limits.js';
import { AppError } from '../errors.js';
import type { WorkCounter } from '../work-counter.js';

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

type XmlValue = string | number | ReadonlyArray<Record<string, string | number>>;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeXml = (text: string) => text.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);

function element(name: string, value: string | number): string {
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** `<Root xmlns=…><Name>value</Name>…</Root>`; an array value repeats its element. */
export function xmlDocument(root: string, fields: Record<string, XmlValue>): string {
  let body = '';
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) {
      for (const item of value as ReadonlyArray<Record<string, string | number>>) {
        body += `<${name}>${Object.entries(item)
          .map(([child, text]) => element(child, text))
          .join('')}</${name}>`;
      }
    } else {
      body += element(name, value as string | number);
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NAMESPACE}">${body}</${root}>`;
}

/**
 * The largest completion a real client sends, in bytes: the XML routes' body limit. Uppy 6
 * writes the document with no declaration, no namespace and no whitespace
 * (`S3mini._buildCompleteMultipartUploadXml` in @uppy/aws-s3 6.3.1), each ETag as S3 sent it
 * less its quotes: an MD5 in hex, 32 characters, for every part S3 (and MinIO, Ceph, R2,
 * Garage, the embedded store) stores. For S3's 10,000 parts:
 *   `<CompleteMultipartUpload>` + `</CompleteMultipartUpload>`            25 + 26 =      51
 *   `<Part><PartNumber></PartNumber><ETag></ETag></Part>`, 10,000 times   51 × 10,000 = 510,000
 *   part numbers 1..10,000 in decimal: 9×1 + 90×2 + 900×3 + 9,000×4 + 1×5       =  38,894
 *   ETags, 32 × 10,000                                                          = 320,000
 *                                                                        total  = 868,945
 * A test builds that document with Uppy's own code and checks this figure.
 */
export const MAX_COMPLETION_XML_BYTES = 868_945;

/** S3's part ETags are 34 characters quoted; a generous bound for other stores'. */
const MAX_ETAG_CHARACTERS = 200;
/** Up to 10,000. */
const MAX_PART_NUMBER_DIGITS = 5;
const ROOT = 'CompleteMultipartUpload';

const UNESCAPES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&apos;': "'",
  '&#34;': '"',
};
/** Run on one ETag (at most MAX_ETAG_CHARACTERS): each `&` must start one of the references above. */
const REFERENCE = /&(?:amp|lt|gt|quot|apos|#34);|&/g;

const isXmlSpace = (code: number) => code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;

/**
 * The parts of S3's CompleteMultipartUpload document, as Uppy writes it: `<Part>` elements
 * with a `<PartNumber>` and an `<ETag>`, nothing else (no DTD, no entity but XML's five, no
 * comment, CDATA or other element). Anything else is a 400.
 *
 * Read in one pass by a cursor that only moves forward: each character is looked at a
 * bounded number of times, so the work is linear in the body (test/unit/uppy/s3-xml.test.ts counts
 * it). A regular expression over the whole document, or a `slice` of the rest per part, made
 * 9,000 parts and 480,000 spaces cost 4.5 s. No npm parser is used: a general one accepts
 * DTDs, comments, CDATA and namespaces that this document never holds, and its work cannot be
 * counted by a test; this grammar is three elements.
 */
export function completionPartsFromXml(text: string, work?: WorkCounter): Array<{ partNumber: number; etag: string }> {
  const refuse = (why: string) =>
    new AppError('VALIDATION_FAILED', `the body must be S3's CompleteMultipartUpload document: ${why}`, {
      field: 'body',
    });
  let at = 0;
  const skipWhitespace = () => {
    const from = at;
    while (at < text.length && isXmlSpace(text.charCodeAt(at))) at++;
    if (work !== undefined) work.steps += at - from + 1;
  };
  /** Consumes `expected` when the text continues with it. */
  const literal = (expected: string) => {
    if (work !== undefined) work.steps += expected.length;
    if (!text.startsWith(expected, at)) return false;
    at += expected.length;
    return true;
  };
  /** The 1..max characters before the next `<`, consumed; undefined when there are none or more. */
  const textBeforeTag = (max: number) => {
    const from = at;
    const limit = Math.min(text.length, from + max + 1);
    while (at < limit && text.charCodeAt(at) !== 0x3c) at++;
    if (work !== undefined) work.steps += at - from + 1;
    return at > from && at - from <= max ? text.slice(from, at) : undefined;
  };

  skipWhitespace();
  if (literal('<?xml')) {
    // The declaration: `version="1.0" encoding="UTF-8"`, nothing that needs more.
    const end = text.indexOf('?>', at);
    if (work !== undefined) work.steps += (end === -1 ? text.length : end) - at + 2;
    if (end === -1 || end - at > 100) throw refuse('the XML declaration is not closed');
    at = end + 2;
    skipWhitespace();
  }
  if (!literal(`<${ROOT}`)) throw refuse(`no <${ROOT}> root`);
  if (!literal('>')) {
    skipWhitespace();
    if (!literal(`xmlns="${S3_NAMESPACE}"`)) throw refuse(`the root may carry only xmlns="${S3_NAMESPACE}"`);
    skipWhitespace();
    if (!literal('>')) throw refuse(`no <${ROOT}> root`);
  }

  const parts: Array<{ partNumber: number; etag: string }> = [];
  skipWhitespace();
  while (!literal(`</${ROOT}>`)) {
    if (parts.length === MAX_PARTS) throw refuse(`more than ${MAX_PARTS} parts`);
    const malformed = () =>
      refuse(`part ${parts.length + 1} is not <Part><PartNumber>N</PartNumber><ETag>…</ETag></Part>`);
    if (!literal('<Part>')) throw malformed();
    let partNumber: number | undefined;
    let etag: string | undefined;
    // The two children, in either order.
    for (let child = 0; child < 2; child++) {
      skipWhitespace();
      if (partNumber === undefined && literal('<PartNumber>')) {
        const digits = textBeforeTag(MAX_PART_NUMBER_DIGITS);
        if (digits === undefined || !/^\d+$/.test(digits) || !literal('</PartNumber>')) throw malformed();
        partNumber = Number(digits);
      } else if (etag === undefined && literal('<ETag>')) {
        const escaped = textBeforeTag(MAX_ETAG_CHARACTERS);
        if (escaped === undefined || !literal('</ETag>')) throw malformed();
        etag = unescapeEtag(escaped);
        if (etag === undefined)
          throw refuse(
            `part ${parts.length + 1}'s ETag holds an "&" that is not &amp;, &lt;, &gt;, &quot;, &apos; or &#34;`,
          );
      } else {
        throw malformed();
      }
    }
    skipWhitespace();
    if (!literal('</Part>')) throw malformed();
    parts.push({ partNumber: partNumber as number, etag: etag as string });
    skipWhitespace();
  }
  skipWhitespace();
  if (at !== text.length) throw refuse(`nothing may follow </${ROOT}>`);
  if (parts.length === 0) throw refuse('no <Part>');
  return parts;
}

function unescapeEtag(escaped: string): string | undefined {
  let bare = false;
  const text = escaped.replace(REFERENCE, (reference) => {
    if (reference === '&') bare = true;
    return UNESCAPES[reference] ?? reference;
  });
  return bare ? undefined : text;
}
