// The parser-differential property of issue 25: mutate URLs the service issued (every mode,
// both addressing styles, GET, PUT and part URLs) as an attacker of /verify would, and for each
// one the validator approves, the URL parsers clients use must read the host, port, path and
// query the validator reported. WHATWG URL (browsers, fetch, undici) always; Python's urllib3
// (urllib3, requests) and urlsplit from Debian's /usr/bin/python3 where the machine has them,
// all URLs through one Python process. Under CI=true a missing urllib3 fails the test.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import fc from 'fast-check';
import { expectedLocation } from '../../../src/endpoint/expected-location.js';
import { encodeObjectKey } from '../../../src/endpoint/s3-uri-encoding.js';
import { splitRawUrl, validatePresignedUrl } from '../../../src/verify/url-validator.js';
import { issuedUrls, type IssuedUrl } from '../../issued-urls.js';

/** Mutations tried per run (DIFFERENTIAL_MUTATIONS to try more). */
const MUTATIONS = Number(process.env.DIFFERENTIAL_MUTATIONS ?? 10_000);
const PYTHON = '/usr/bin/python3';
const READER = fileURLToPath(new URL('../../python/read-urls.py', import.meta.url));

/** What parsers disagree on: dot segments in every spelling, separators, escapes, ports, globs. */
const TOKENS = [
  '/',
  '//',
  '.',
  '..',
  '/./',
  '/../',
  '/..',
  '%2e',
  '%2E',
  '%2e%2e',
  '.%2e',
  '%2E.',
  '%252e',
  '..;',
  ';',
  '%2F',
  '%2f',
  '%5C',
  '\\',
  '?',
  '#',
  '&',
  '=',
  '%',
  '%25',
  '%3D',
  '%26',
  '[',
  ']',
  '{',
  '}',
  '@',
  ':',
  ':443',
  ':9000',
  ':80',
  ':4568',
  ' ',
  '\t',
  '+',
  '%00',
  '%20',
  '~',
  '-',
  '_',
  'A',
  'a',
  '0',
  'ü',
  '%C3%BC',
  'my-bucket',
  'other-bucket',
  'base',
  'my.dotted.bucket',
  'x-id=GetObject',
  '&x=1',
  'partNumber=1',
];

type Mutation =
  | { kind: 'insert'; at: number; token: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'replace'; at: number; token: string }
  | { kind: 'copy'; from: number; length: number; at: number }
  | { kind: 'segment'; nth: number; token: string }
  | { kind: 'value'; nth: number; token: string; atEnd: boolean };

const position = fc.double({ min: 0, max: 1, noNaN: true });
const token = fc.oneof(fc.constantFrom(...TOKENS), fc.string({ minLength: 1, maxLength: 3 }));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, token }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      at: position,
      length: fc.integer({ min: 1, max: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: position, token }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('copy' as const),
      from: position,
      length: fc.integer({ min: 1, max: 12 }),
      at: position,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('segment' as const), nth: fc.nat({ max: 5 }), token }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('value' as const), nth: fc.nat({ max: 11 }), token, atEnd: fc.boolean() }),
  },
);

function mutate(url: string, change: Mutation): string {
  const index = (fraction: number) => Math.min(url.length, Math.floor(fraction * (url.length + 1)));
  switch (change.kind) {
    case 'insert':
      return url.slice(0, index(change.at)) + change.token + url.slice(index(change.at));
    case 'delete':
      return url.slice(0, index(change.at)) + url.slice(index(change.at) + change.length);
    case 'replace':
      return url.slice(0, index(change.at)) + change.token + url.slice(index(change.at) + 1);
    case 'copy': {
      const from = index(change.from);
      return url.slice(0, index(change.at)) + url.slice(from, from + change.length) + url.slice(index(change.at));
    }
    case 'segment': {
      // A whole new path segment after the nth "/" of the path: where dot segments do harm.
      const pathStart = url.indexOf('/', url.indexOf('//') + 2);
      let at = pathStart;
      for (let n = 0; n < change.nth && at !== -1; n++) {
        const next = url.indexOf('/', at + 1);
        if (next === -1 || next > url.indexOf('?')) break;
        at = next;
      }
      return at === -1 ? url : `${url.slice(0, at + 1)}${change.token}/${url.slice(at + 1)}`;
    }
    case 'value': {
      // At the start or end of the nth parameter's value: only some values (a download name)
      // are free text, and a change there keeps the URL valid.
      const query = url.indexOf('?');
      if (query === -1) return url;
      const values = url.slice(query).split('=').length - 1;
      let equals = query;
      for (let n = 0; n <= change.nth % Math.max(1, values); n++) equals = url.indexOf('=', equals + 1);
      if (equals === -1) return url;
      const end = url.indexOf('&', equals) === -1 ? url.length : url.indexOf('&', equals);
      const at = change.atEnd ? end : equals + 1;
      return url.slice(0, at) + change.token + url.slice(at);
    }
  }
}

/** Where the validator says an approved URL goes: what every parser must agree with. */
interface Reported {
  url: string;
  protocol: string;
  host: string;
  hostname: string;
  port: number;
  path: string;
  query: string;
  pairs: Array<[string, string]>;
}

function reported(url: string, issued: IssuedUrl): Reported | undefined {
  const report = validatePresignedUrl(url, issued.policy, issued.expectation);
  if (!report.valid) return undefined;
  assert.ok(report.bucket !== undefined && report.key !== undefined, `approved without a bucket and key: ${url}`);
  const location = expectedLocation(issued.policy.mode, report.bucket);
  const query = splitRawUrl(url)?.query ?? '';
  const hostname = location.host.replace(/:\d+$/, '');
  const port =
    location.host === hostname
      ? location.protocol === 'https:'
        ? 443
        : 80
      : Number(location.host.slice(hostname.length + 1));
  return {
    url,
    protocol: location.protocol,
    host: location.host,
    hostname,
    port,
    path: `${location.pathPrefix}/${encodeObjectKey(report.key)}`,
    query,
    pairs: decodedPairs(query),
  };
}

/** The query's parameters as SigV4 reads them: split at `&` and the first `=`, then decoded. */
function decodedPairs(query: string): Array<[string, string]> {
  return query.split('&').map((pair) => {
    const equals = pair.indexOf('=');
    const [name, value] = equals === -1 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
    return [decodeURIComponent(name), decodeURIComponent(value)];
  });
}

function assertWhatwgAgrees(expected: Reported): void {
  const parsed = new URL(expected.url);
  const seen = {
    protocol: parsed.protocol,
    host: parsed.host,
    path: parsed.pathname,
    query: parsed.search,
    userinfo: parsed.username + parsed.password,
    hash: parsed.hash,
    pairs: [...parsed.searchParams],
  };
  assert.deepEqual(
    seen,
    {
      protocol: expected.protocol,
      host: expected.host,
      path: expected.path,
      query: `?${expected.query}`,
      userinfo: '',
      hash: '',
      pairs: expected.pairs,
    },
    `WHATWG URL reads the approved ${JSON.stringify(expected.url)} otherwise`,
  );
}

interface PythonReading {
  urllib3: Record<string, unknown>;
  urlsplit: Record<string, unknown>;
}

/** Every URL through one Python process; undefined when the machine has no urllib3 (and not in CI). */
function readWithPython(urls: readonly string[]): { version: string; readings: PythonReading[] } | string {
  const run = spawnSync(PYTHON, [READER], {
    input: urls.map((url) => JSON.stringify(url)).join('\n'),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.error !== undefined || run.status !== 0) {
    const why = `${PYTHON} with urllib3 is not available (${run.error?.message ?? run.stderr.trim().split('\n').at(-1)}): apt-get install python3-urllib3`;
    if (process.env.CI === 'true') throw new Error(`${why}; under CI=true the Python readings must run`);
    return why;
  }
  const [header, ...lines] = run.stdout.trim().split('\n');
  const readings = lines.map((line) => JSON.parse(line) as PythonReading);
  assert.equal(readings.length, urls.length, 'one reading per URL');
  return { version: (JSON.parse(header as string) as { urllib3: string }).urllib3, readings };
}

function assertPythonAgrees(expected: Reported, reading: PythonReading): void {
  const defaultPort = expected.protocol === 'https:' ? 443 : 80;
  const { urllib3, urlsplit } = reading;
  assert.deepEqual(
    {
      scheme: urllib3.scheme,
      auth: urllib3.auth,
      host: urllib3.host,
      port: (urllib3.port as number | null) ?? defaultPort,
      // urllib3 writes %-escapes in uppercase: the same bytes once decoded, as S3 reads them.
      path: urllib3.path,
      pairs: decodedPairs(String(urllib3.query ?? '')),
      fragment: urllib3.fragment,
    },
    {
      scheme: expected.protocol.slice(0, -1),
      auth: null,
      host: expected.hostname,
      port: expected.port,
      path: expected.path,
      pairs: expected.pairs,
      fragment: null,
    },
    `urllib3 reads the approved ${JSON.stringify(expected.url)} otherwise`,
  );
  assert.deepEqual(
    {
      scheme: urlsplit.scheme,
      hostname: urlsplit.hostname,
      port: (urlsplit.port as number | null) ?? defaultPort,
      path: urlsplit.path,
      query: urlsplit.query,
      username: urlsplit.username,
    },
    {
      scheme: expected.protocol.slice(0, -1),
      hostname: expected.hostname,
      port: expected.port,
      path: expected.path,
      query: expected.query,
      username: null,
    },
    `urlsplit reads the approved ${JSON.stringify(expected.url)} otherwise`,
  );
}

test('every mutation of an issued URL that the validator approves is read alike by WHATWG URL and urllib3', async (t) => {
  const issued = await issuedUrls();
  for (const one of issued)
    assert.deepEqual(validatePresignedUrl(one.url, one.policy, one.expectation).failures, [], one.url);
  const approved: Reported[] = [];
  let tried = 0;
  fc.assert(
    fc.property(
      fc.nat({ max: issued.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 2 }),
      (index, changes) => {
        const origin = issued[index] as IssuedUrl;
        const url = changes.reduce(mutate, origin.url);
        tried++;
        const expected = reported(url, origin);
        if (expected === undefined) return;
        approved.push(expected);
        assertWhatwgAgrees(expected);
      },
    ),
    { numRuns: MUTATIONS },
  );
  const python = readWithPython(approved.map((one) => one.url));
  if (typeof python === 'string') t.diagnostic(`Python readings skipped: ${python}`);
  else approved.forEach((expected, index) => assertPythonAgrees(expected, python.readings[index] as PythonReading));
  t.diagnostic(
    `${tried} mutations of ${issued.length} issued URLs; ${approved.length} approved, each read alike by WHATWG URL${typeof python === 'string' ? '' : ` and by urllib3 ${python.version} and urlsplit`}`,
  );
  // The property proves something only if approvals happen: mutations that keep a URL valid.
  assert.ok(approved.length >= MUTATIONS / 50, `only ${approved.length} of ${tried} mutations were approved`);
});
