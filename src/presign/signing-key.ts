// The parts of SigV4 that last a whole day or a whole second: the signing key (an HMAC
// chain over date, region and service), the HMAC that reuses its padded blocks, and the dates.
import { createHash, createHmac, hash } from 'node:crypto';
import { LruCache } from '../lru-cache.js';

let datesSecond = Number.NaN;
let datesCache = { longDate: '', shortDate: '' };

/** `YYYYMMDDTHHMMSSZ` and `YYYYMMDD`, truncated to the second as the SDK does; reused within a second. */
export function amzDates(date: Date): { longDate: string; shortDate: string } {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== datesSecond) {
    const longDate = date
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
      .replace(/[-:]/g, '');
    datesCache = { longDate, shortDate: longDate.slice(0, 8) };
    datesSecond = second;
  }
  return datesCache;
}

/**
 * Room for a message in HmacSha256's buffer: a URL's string to sign (~150 bytes) and a POST
 * policy's base64 (1-3 KB with a session token); longer ones take createHmac.
 */
const MAX_MESSAGE_BYTES = 12 * 1024;
/** A view per message length is kept for strings to sign; a policy's length varies with its key. */
const MAX_KEPT_VIEW_BYTES = 1024;

/**
 * HMAC-SHA256 (RFC 2104) with the key's padded blocks prepared once: two one-shot SHA-256
 * calls per message. createHmac() sets up a native HMAC context on every call, which for a
 * message this short costs more than the hashing; this is half the time, same bytes.
 */
export class HmacSha256 {
  readonly #key: Buffer;
  /** K xor ipad, then the message. */
  readonly #inner = Buffer.alloc(64 + MAX_MESSAGE_BYTES);
  /** K xor opad, then the inner digest. */
  readonly #outer = Buffer.alloc(64 + 32);
  readonly #views: Buffer[] = [];

  constructor(key: Buffer) {
    // RFC 2104: a key longer than the block is hashed first; a shorter one is zero-padded.
    this.#key = key.length > 64 ? createHash('sha256').update(key).digest() : key;
    for (let i = 0; i < 64; i++) {
      const byte = this.#key[i] ?? 0;
      this.#inner[i] = byte ^ 0x36;
      this.#outer[i] = byte ^ 0x5c;
    }
  }

  hex(message: string): string {
    // At most three UTF-8 bytes per UTF-16 unit: whatever passes this check fits.
    if (message.length * 3 > MAX_MESSAGE_BYTES) {
      return createHmac('sha256', this.#key).update(message).digest('hex');
    }
    const length = this.#inner.write(message, 64, 'utf8');
    let view = this.#views[length];
    if (view === undefined) {
      view = this.#inner.subarray(0, 64 + length);
      if (length <= MAX_KEPT_VIEW_BYTES) this.#views[length] = view;
    }
    // Hex, not a Buffer: hash()'s Buffer output costs four times its hex output.
    this.#outer.write(hash('sha256', view, 'hex'), 64, 'hex');
    return hash('sha256', this.#outer, 'hex');
  }
}

export interface SigningKey {
  /** kSigning itself. */
  key: Buffer;
  hmac: HmacSha256;
}

/** kSigning = HMAC chain over date, region, service and "aws4_request"; valid for a whole UTC day. */
export class SigningKeyCache {
  readonly #keys = new LruCache<string, SigningKey>(64);
  #last: { secret: string; shortDate: string; region: string; service: string; key: SigningKey } | undefined;

  get(secret: string, shortDate: string, region: string, service: string): SigningKey {
    const last = this.#last;
    if (
      last !== undefined &&
      last.secret === secret &&
      last.shortDate === shortDate &&
      last.region === region &&
      last.service === service
    ) {
      return last.key;
    }
    // Length-prefixed, so that no two scopes share an id: joined with `/`, service `s3/x` with
    // secret `y` and service `s3` with secret `x/y` would.
    const id = `${shortDate.length}.${region.length}.${service.length}.${shortDate}${region}${service}${secret}`;
    let key = this.#keys.get(id);
    if (key === undefined) {
      let derived = createHmac('sha256', `AWS4${secret}`).update(shortDate).digest();
      derived = createHmac('sha256', derived).update(region).digest();
      derived = createHmac('sha256', derived).update(service).digest();
      derived = createHmac('sha256', derived).update('aws4_request').digest();
      key = { key: derived, hmac: new HmacSha256(derived) };
      this.#keys.set(id, key);
    }
    this.#last = { secret, shortDate, region, service, key };
    return key;
  }
}

export const sharedSigningKeys = new SigningKeyCache();
