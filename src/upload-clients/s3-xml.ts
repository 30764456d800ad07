// The little of S3's XML that Uppy's S3 client reads and writes: result documents out, the
// CompleteMultipartUpload document in. Written by hand because it is this small and closed:
// the answers hold only strings and numbers the service produced (escaped), and the one
// document read in is parsed strictly, bounded, and nothing in it reaches S3 unchecked.
import { AppError } from '../errors.js';

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const MAX_PARTS = 10_000;

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

const UNESCAPES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|apos|#34);/g, (_, name: string) =>
    name === '#34' ? '"' : (UNESCAPES[name] as string),
  );

const DOCUMENT =
  /^\s*(?:<\?xml[^?]{0,100}\?>\s*)?<CompleteMultipartUpload(?:\s+xmlns="[^"]{0,100}")?\s*>([\s\S]*)<\/CompleteMultipartUpload>\s*$/;
const PART =
  /\s*<Part>\s*<PartNumber>(\d{1,5})<\/PartNumber>\s*<ETag>([^<]{1,200})<\/ETag>\s*<\/Part>|\s*<Part>\s*<ETag>([^<]{1,200})<\/ETag>\s*<PartNumber>(\d{1,5})<\/PartNumber>\s*<\/Part>/y;

/**
 * The parts of S3's CompleteMultipartUpload document, as Uppy writes it: `<Part>` elements
 * with a `<PartNumber>` and an `<ETag>`, nothing else. Anything else is a 400.
 */
export function completionPartsFromXml(text: string): Array<{ partNumber: number; etag: string }> {
  const refuse = (why: string) =>
    new AppError('VALIDATION_FAILED', `the body must be S3's CompleteMultipartUpload document: ${why}`, {
      field: 'body',
    });
  const inner = DOCUMENT.exec(text)?.[1];
  if (inner === undefined) throw refuse('no <CompleteMultipartUpload> root');
  const parts: Array<{ partNumber: number; etag: string }> = [];
  PART.lastIndex = 0;
  while (PART.lastIndex < inner.length && inner.slice(PART.lastIndex).trim() !== '') {
    const match = PART.exec(inner);
    if (!match) throw refuse(`part ${parts.length + 1} is not <Part><PartNumber>N</PartNumber><ETag>…</ETag></Part>`);
    if (parts.length === MAX_PARTS) throw refuse(`more than ${MAX_PARTS} parts`);
    parts.push({ partNumber: Number(match[1] ?? match[4]), etag: unescapeXml((match[2] ?? match[3]) as string) });
  }
  if (parts.length === 0) throw refuse('no <Part>');
  return parts;
}
