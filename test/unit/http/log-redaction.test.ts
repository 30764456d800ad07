// The log-redaction functions on their own, input by input: the exact text they return, where
// test/http/log-secrets.test.ts proves over real requests that no secret reaches a log line.
// Expected values are written out, never derived from the production patterns.
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import fc from 'fast-check';
import { EXAMPLE_CREDENTIALS, EXAMPLE_TEMPORARY_KEY_ID } from '../../fixtures/credentials.js';
import { assertLinearWork } from '../../linearity.js';
import { countNativeWork } from '../../native-work.js';
import {
  REQUEST_LINE_MESSAGE,
  loggableUrl,
  logLineHooks,
  mayHoldSecret,
  redactAddress,
  redactSecrets,
  requestSerializers,
} from '../../../src/http/log-redaction.js';

/** `text` percent-encoded `times` times over, the way a URL nested in URLs is. */
function encodedTimes(text: string, times: number): string {
  let encoded = text;
  for (let time = 0; time < times; time++) encoded = encodeURIComponent(encoded);
  return encoded;
}

describe('redactSecrets', () => {
  it('replaces a value under a secret name with the word REDACTED and keeps the name', () => {
    assert.equal(redactSecrets('X-Amz-Signature=short&a=1'), 'X-Amz-Signature=REDACTED&a=1');
    assert.equal(redactSecrets('{"password":"hunter2"}'), '{"password":"REDACTED"}');
    assert.equal(redactSecrets('note token: opaque1 end'), 'note token: REDACTED end');
  });

  it('keeps an HTTP authorization scheme and drops its credentials', () => {
    assert.equal(redactSecrets('authorization: Basic dXNlcjpwYXNz'), 'authorization: Basic REDACTED');
    assert.equal(redactSecrets('{"authorization":"Bearer opaque.token"}'), '{"authorization":"Bearer REDACTED"}');
  });

  it('finds a secret name hidden by percent-encoding in any letter case', () => {
    assert.equal(redactSecrets('next=%58-AMZ-SIGNATURE%3Dshort'), 'REDACTED');
    assert.equal(redactSecrets('next=X-Amz-Signature%3Dshort'), 'REDACTED');
    assert.equal(redactSecrets('next=x%2Damz%2Dsignature%3Dshort'), 'REDACTED');
  });

  it('finds it under %u escapes, which only unescape reads', () => {
    assert.equal(redactSecrets('q=X-Amz-Signature%u003Dshort'), 'REDACTED');
  });

  it('drops each encoded run whole, from the separator before it to the separator after it', () => {
    const secret = 'X-Amz-Signature%3Dshort';
    for (const separator of [' ', '"', '&', ';', '?', '#', ',', '\\']) {
      assert.equal(
        redactSecrets(`a${separator}${secret}${separator}b`),
        `a${separator}REDACTED${separator}b`,
        `separator ${JSON.stringify(separator)}`,
      );
    }
    assert.equal(redactSecrets(`${secret}`), 'REDACTED');
    assert.equal(redactSecrets(`pre${secret}post`), 'REDACTED');
  });

  it('drops only the runs that hold an escape, of every run on a line with a secret', () => {
    const line = 'X-Amz-Signature%3Dshort plain 5%Z 5%3x %uzzzz %u12z %u0041b %41 tail';
    assert.equal(redactSecrets(line), 'REDACTED plain 5%Z 5%3x %uzzzz %u12z REDACTED REDACTED tail');
  });

  it('leaves encoded text without a secret as it came', () => {
    for (const line of ['next=%2Fdocs%2Fa%20b.txt', 'a=1 50%25 off', `q=${encodedTimes('a b/c', 6)}`])
      assert.equal(redactSecrets(line), line);
  });

  it('finds a secret under up to six layers of encoding, and drops encoded runs deeper than that', () => {
    for (let times = 1; times <= 8; times++)
      assert.equal(redactSecrets(`q=${encodedTimes('token=opaque1', times)} x`), 'REDACTED x', `${times} layers`);
    assert.equal(redactSecrets(`q=${encodedTimes('a b', 7)} x`), 'REDACTED x');
  });

  it('redacts the shapes of secrets whatever they are called', () => {
    const hex = 'ab'.repeat(32);
    const base64 = 'Qk'.repeat(60);
    assert.equal(redactSecrets(`sig ${hex} end`), 'sig REDACTED end');
    assert.equal(redactSecrets(`tok ${base64} end`), 'tok REDACTED end');
    assert.equal(redactSecrets(`id ${EXAMPLE_CREDENTIALS.accessKeyId} end`), 'id REDACTED end');
    assert.equal(redactSecrets('key s3p_abc-def end'), 'key REDACTED end');
    assert.equal(redactSecrets('jwt eyJhbGciOi.eyJzdWIiOi.c2ln end'), 'jwt REDACTED end');
    assert.equal(redactSecrets('cred minio/20261201/us-east-1/s3/aws4_request end'), 'cred REDACTED end');
  });

  it('redacts them in any letter case, with nothing else on the line to look at', () => {
    assert.equal(redactSecrets(`id ${EXAMPLE_CREDENTIALS.accessKeyId.toLowerCase()} end`), 'id REDACTED end');
    assert.equal(redactSecrets('key S3P_abc-def end'), 'key REDACTED end');
    assert.equal(redactSecrets('jwt EYJhbGciOi.eyJzdWIiOi.c2ln end'), 'jwt REDACTED end');
    assert.equal(redactSecrets('cred minio/20261201/us-east-1/s3/AWS4_REQUEST end'), 'cred REDACTED end');
  });

  it('leaves a line without secrets untouched', () => {
    for (const line of ['plain text', 'GET /uploads?key', `${'ab'.repeat(31)}a`, 'é'.repeat(200)])
      assert.equal(redactSecrets(line), line);
  });
});

describe('mayHoldSecret (the first look that spares ordinary lines the full scan)', () => {
  it('lets ordinary text through', () => {
    for (const line of [
      '',
      'plain text',
      '/uploads?key&contentType',
      // 63 base64 characters: one short of the shortest secret run.
      `x ${'A'.repeat(63)} y`,
      // Long, but every run of base64 characters broken before 64.
      `${'A'.repeat(63)} `.repeat(20),
      `${'A'.repeat(63)}é`.repeat(20),
      `${'A'.repeat(63)}\u0080`.repeat(20),
      `${'A'.repeat(63)}\u0100`.repeat(20),
      `${'A'.repeat(63)}\uffff`.repeat(20),
    ])
      assert.equal(mayHoldSecret(line), false, JSON.stringify(line.slice(0, 80)));
  });

  it('stops every line that holds a secret shape', () => {
    for (const line of [
      'a=b',
      '"token":"x"',
      '5%41',
      'key s3p_x',
      'jwt eyJx',
      EXAMPLE_CREDENTIALS.accessKeyId,
      EXAMPLE_TEMPORARY_KEY_ID,
      'x/y/z/s3/aws4_request',
      // The shapes are read in any letter case: an access key ID (capitals and digits only)
      // lowercased, as a host name often is, is still the whole ID.
      EXAMPLE_CREDENTIALS.accessKeyId.toLowerCase(),
      EXAMPLE_TEMPORARY_KEY_ID.toLowerCase(),
      'key S3P_x',
      'jwt EYJx',
      'minio/20261201/us-east-1/s3/AWS4_REQUEST',
      'A'.repeat(64),
      `é${'A'.repeat(64)}`,
      `${'A'.repeat(63)} ${'b'.repeat(64)}`,
      `${'A'.repeat(70)}é`,
      `x${'A'.repeat(64)}`,
    ])
      assert.equal(mayHoldSecret(line), true, JSON.stringify(line.slice(0, 80)));
  });

  it('is true of every line that redactSecrets changes', () => {
    const alphabet = [...'aA0+/=_-%:"&;,. s3p_eyJAKIASIAaws4_request/', 'S3P_', 'EYJ', 'akia', 'Asia', 'AWS4_REQUEST'];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...alphabet), fc.string({ maxLength: 3 })), { maxLength: 200, size: 'max' }),
        (parts) => {
          const line = parts.join('');
          if (redactSecrets(line) !== line) assert.equal(mayHoldSecret(line), true, line);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('loggableUrl', () => {
  it('keeps a path without parameters whole', () => {
    assert.equal(loggableUrl('/livez'), '/livez');
    assert.equal(loggableUrl('/'), '/');
  });

  it('keeps the names of the parameters, never their values, and drops empty ones', () => {
    assert.equal(loggableUrl('/livez?X-Amz-Signature=abc&a=1'), '/livez?X-Amz-Signature&a');
    assert.equal(loggableUrl('/p?&&a=1&=x&b'), '/p?a&b');
    assert.equal(loggableUrl('/p;jsessionid=1?x=2#frag=3'), '/p?jsessionid&x&frag');
    assert.equal(loggableUrl('/p?'), '/p');
    assert.equal(loggableUrl('/p?=secret'), '/p');
  });

  it('logs a name that is not plain as REDACTED', () => {
    assert.equal(loggableUrl('/p?%58-Amz=1'), '/p?REDACTED');
    assert.equal(loggableUrl('/p?abc%41=1'), '/p?REDACTED');
    assert.equal(loggableUrl(`/p?${'n'.repeat(64)}=1`), `/p?${'n'.repeat(64)}`);
    assert.equal(loggableUrl(`/p?${'n'.repeat(65)}=1`), '/p?REDACTED');
    assert.equal(loggableUrl('/p?a[0]=1&b.c-d_e=2'), '/p?a[0]&b.c-d_e');
  });

  it('logs the first twenty names and counts the rest', () => {
    const names = Array.from({ length: 25 }, (_, index) => `n${index}`);
    const twenty = names.slice(0, 20).join('&');
    assert.equal(loggableUrl(`/p?${names.join('&')}`), `/p?${twenty}&…5 more`);
    assert.equal(loggableUrl(`/p?${names.slice(0, 20).join('&')}`), `/p?${twenty}`);
    assert.equal(loggableUrl(`/p?${names.slice(0, 21).join('&')}`), `/p?${twenty}&…1 more`);
  });

  it('drops the HMAC of an upload ID or create grant in the path, keeping its payload', () => {
    assert.equal(loggableUrl('/s3/multipart/u1.eyJ4.mac-_0/1?key=k'), '/s3/multipart/u1.eyJ4.REDACTED/1?key');
    assert.equal(loggableUrl('/s3/multipart/u1.p.mac'), '/s3/multipart/u1.p.REDACTED');
    assert.equal(loggableUrl('/x/g1.p.mac/y'), '/x/g1.p.REDACTED/y');
    assert.equal(loggableUrl('/x/U1.p.mac=='), '/x/U1.p.REDACTED');
    // Escaped dots, or a payload that is not base64url: everything after the version goes.
    assert.equal(loggableUrl('/x/u1%2Ep%2emac/1'), '/x/u1.REDACTED/1');
    assert.equal(loggableUrl('/x/u1.p+q.mac'), '/x/u1.REDACTED');
    assert.equal(loggableUrl('/x/u1.mac'), '/x/u1.REDACTED');
    // Not tokens: a version elsewhere in a segment, another version.
    assert.equal(loggableUrl('/docs/v1.2.3/au1.x.y'), '/docs/v1.2.3/au1.x.y');
    assert.equal(loggableUrl('/x/u2.p.mac'), '/x/u2.p.mac');
  });

  it('keeps a path up to 512 characters, and of a longer one only a plain first segment', () => {
    const path512 = `/seg/${'a'.repeat(507)}`;
    assert.equal(path512.length, 512);
    assert.equal(loggableUrl(path512), path512);
    assert.equal(loggableUrl(`${path512}b`), '/seg/…');
    assert.equal(loggableUrl(`${path512}b?x=1`), '/seg/…?x');
    assert.equal(loggableUrl(`/${'a'.repeat(600)}`), '/…');
    assert.equal(loggableUrl(`/${'s'.repeat(64)}/${'a'.repeat(600)}`), `/${'s'.repeat(64)}/…`);
    assert.equal(loggableUrl(`/${'s'.repeat(65)}/${'a'.repeat(600)}`), '/…');
    assert.equal(loggableUrl(`/a%41/${'a'.repeat(600)}`), '/…');
    assert.equal(loggableUrl(`x/seg/${'a'.repeat(600)}`), '/…');
    assert.equal(loggableUrl(`/a.b~c-d_e/${'a'.repeat(600)}`), '/a.b~c-d_e/…');
  });
});

describe('requestSerializers', () => {
  const request = (fields: Partial<Record<'method' | 'url' | 'host' | 'ip', string>>) =>
    ({ method: 'GET', url: '/', host: 'localhost', ip: '127.0.0.1', ...fields }) as unknown as FastifyRequest;

  it('logs method, url, host and client address, each through the redaction', () => {
    assert.deepEqual(requestSerializers.req(request({ url: '/d?X-Amz-Signature=x', host: 'h:8080', ip: '10.0.0.1' })), {
      method: 'GET',
      url: '/d?X-Amz-Signature',
      host: 'h:8080',
      remoteAddress: '10.0.0.1',
    });
    const serialized = requestSerializers.req(request({ host: EXAMPLE_CREDENTIALS.accessKeyId, ip: 'token=abc' }));
    assert.equal(serialized.host, 'REDACTED');
    assert.equal(serialized.remoteAddress, 'token=REDACTED');
  });

  it('redacts an access key ID lowercased into a host name (no port: no `:` on the line)', () => {
    const serialized = requestSerializers.req(
      request({ host: `${EXAMPLE_CREDENTIALS.accessKeyId.toLowerCase()}.localhost` }),
    );
    assert.equal(serialized.host, 'REDACTED.localhost');
  });

  it('redacts a host or client address from its memo exactly as redactSecrets does, at the first sight and every later one', () => {
    // A memo that kept a value holding a secret would hand that value back raw the second time.
    const parts = [
      '127.0.0.1',
      ':8080',
      '::ffff:',
      'localhost',
      'token=',
      'abc',
      EXAMPLE_CREDENTIALS.accessKeyId,
      'eyJ',
      's3p_',
      '%3D',
      'a'.repeat(64),
      '.',
      '-',
      '[',
      ']',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...parts), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 2, max: 4 }),
        (chosen, sightings) => {
          const address = chosen.join('');
          for (let sighting = 0; sighting < sightings; sighting++)
            assert.equal(redactAddress(address), redactSecrets(address), address);
        },
      ),
      { numRuns: 3000 },
    );
    for (const [host, logged] of [
      ['127.0.0.1:8080', '127.0.0.1:8080'],
      ['token:8080', 'token:REDACTED'],
      ['asiaiosfodnn7example.localhost:443', 'REDACTED.localhost:443'],
    ] as const) {
      for (let sighting = 0; sighting < 3; sighting++)
        assert.equal(requestSerializers.req(request({ host })).host, logged);
    }
  });

  it('keeps a host of up to 256 characters and drops a longer one', () => {
    const host256 = `${'h.'.repeat(127)}hh`;
    assert.equal(host256.length, 256);
    assert.equal(requestSerializers.req(request({ host: host256 })).host, host256);
    assert.equal(requestSerializers.req(request({ host: `${host256}h` })).host, 'REDACTED');
    assert.equal(requestSerializers.req(request({ ip: `${host256}h` })).remoteAddress, 'REDACTED');
  });

  it('never logs the raw bytes a parser error carries', () => {
    const error = Object.assign(new Error('Parse Error: Invalid header value char'), {
      code: 'HPE_INVALID_HEADER_TOKEN',
      rawPacket: Buffer.from('GET / HTTP/1.1\r\nAuthorization: Bearer secret\r\n'),
    });
    const serialized = requestSerializers.err(error);
    assert.equal('rawPacket' in serialized, false);
    assert.equal(serialized.message, 'Parse Error: Invalid header value char');
    assert.equal(serialized.type, 'Error');
    assert.equal((serialized as { code?: string }).code, 'HPE_INVALID_HEADER_TOKEN');
  });
});

describe('logLineHooks.streamWrite', () => {
  it('redacts a quoted value under a secret name inside a logged string, and the line stays JSON', () => {
    const line = (msg: string) => `${JSON.stringify({ level: 50, msg })}\n`;
    for (const [msg, redacted] of [
      ['password="hunter2"', '{"level":50,"msg":"password=\\"REDACTED\\""}\n'],
      ['upstream said {"token":"opaque1"}', '{"level":50,"msg":"upstream said {\\"token\\":\\"REDACTED\\"}"}\n'],
      ['authorization: "Bearer abc.def"', '{"level":50,"msg":"authorization: \\"Bearer REDACTED\\""}\n'],
      ['x-api-key: "s3cr3t" sent', '{"level":50,"msg":"x-api-key: \\"REDACTED\\" sent"}\n'],
      // A backslash inside the value is part of it, escaped or not.
      ['password=a\\b"c', '{"level":50,"msg":"password=REDACTED\\"c"}\n'],
      ['password=a\nb', '{"level":50,"msg":"password=REDACTED"}\n'],
      // An empty quoted value holds nothing to drop.
      ['token=""', '{"level":50,"msg":"token=\\"\\""}\n'],
    ] as const) {
      const written = logLineHooks.streamWrite(line(msg));
      assert.equal(written, redacted, msg);
      JSON.parse(written);
    }
  });

  it('writes the request line as the serializer made it: a second pass would read its JSON escapes as part of a shape', () => {
    // The url passed redactSecrets before pino escaped U+001F as \u001f, whose four digits
    // then run into the 62 that follow: 66 hex digits, a hash to a second look.
    const url = `/\u001f${'a'.repeat(62)}`;
    assert.equal(redactSecrets(url), url);
    const line = `${JSON.stringify({ level: 30, req: { url }, msg: REQUEST_LINE_MESSAGE })}\n`;
    assert.equal(logLineHooks.streamWrite(line), line);
  });

  it('redacts every line that is not the request line', () => {
    assert.equal(
      logLineHooks.streamWrite('{"level":50,"msg":"X-Amz-Signature=short"}\n'),
      '{"level":50,"msg":"X-Amz-Signature=REDACTED"}\n',
    );
    // A message that only mentions the request-line text, not at the end of the line.
    assert.equal(
      logLineHooks.streamWrite(`{"msg":"${REQUEST_LINE_MESSAGE}","token":"x"}\n`),
      `{"msg":"${REQUEST_LINE_MESSAGE}","token":"REDACTED"}\n`,
    );
  });
});

test('redaction and the logged URL cost work linear in the line (characters visited by the built-ins, counted)', () => {
  const hex63 = 'a'.repeat(63);
  assertLinearWork(
    {
      'hex runs one short of a signature': (n) => `${hex63} `.repeat(n / 64),
      'base64 runs one short of a token': (n) => `${'A'.repeat(99)} `.repeat(n / 100),
      'credential-shaped paths without the terminator': (n) => 'a/'.repeat(n / 2),
      'secret names without values': (n) => 'token='.repeat(n / 6),
      'secret names with values': (n) => 'password=x&'.repeat(n / 11),
      'JWT starts': (n) => 'eyJ.'.repeat(n / 4),
      'API key starts': (n) => 's3p_ '.repeat(n / 5),
      'deep percent-encoding': (n) => `X-Amz-Signature%${'25'.repeat(5)}3D${'%2525'.repeat(n / 5)}`,
      'many encoded runs': (n) => 'a%41 '.repeat(n / 5),
      'JSON escapes': (n) => '\\"'.repeat(n / 2),
      'nothing to find': (n) => 'x'.repeat(n),
    },
    (line, work) => countNativeWork(work, () => redactSecrets(line)),
    { perCharacter: 48 },
  );
  assertLinearWork(
    {
      'many parameters': (n) => `/livez?${'a=1&'.repeat(n / 4)}`,
      'separators only': (n) => `/livez?${'&;#?'.repeat(n / 4)}`,
      'a long path': (n) => `/${'a/'.repeat(n / 2)}`,
      'a long name': (n) => `/livez?${'a'.repeat(n)}=1`,
    },
    (url, work) => countNativeWork(work, () => loggableUrl(url)),
    { perCharacter: 24 },
  );
});
