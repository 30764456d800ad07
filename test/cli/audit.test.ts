// `s3-presign audit`: joins the service's audit stream with S3 server access log records in
// S3's documented format (Amazon S3 User Guide, "Amazon S3 server access log format"). The
// grants are real: minted by the app, the upload stored by the embedded S3 server.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAccessLogLine } from '../../src/audit/access-log.js';
import { joinAuditAndAccessLogs } from '../../src/audit/audit-join.js';
import { auditTable } from '../../src/cli/audit.js';
import { startLocalApp } from '../helpers.js';
import { assertLinearWork } from '../linearity.js';
import { countNativeWork } from '../native-work.js';
import { cli } from './run.js';

const OWNER = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';

/** One record as S3 writes it: the documented example's fields, with this request's own. */
function accessLogLine(bucket: string, operation: string, key: string, requestUri: string, status = 200): string {
  return `${OWNER} ${bucket} [06/Feb/2019:00:00:38 +0000] 192.0.2.3 ${OWNER} 3E57427F3EXAMPLE ${operation} ${key} "${requestUri}" ${status} - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 QueryString ${bucket}.s3.us-west-1.amazonaws.com TLSV1.2 - - us-east-1`;
}

test("the access-log parser reads S3's documented example record and the grant in its Request-URI", () => {
  const documented =
    '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1';
  assert.deepEqual(parseAccessLogLine(documented), {
    bucket: 'amzn-s3-demo-bucket1',
    time: '06/Feb/2019:00:00:38 +0000',
    remoteIp: '192.0.2.3',
    requester: OWNER,
    requestId: '3E57427F3EXAMPLE',
    operation: 'REST.GET.VERSIONING',
    key: '-',
    requestUri: 'GET /amzn-s3-demo-bucket1?versioning HTTP/1.1',
    httpStatus: '200',
    errorCode: '-',
    grant: undefined,
  });
  const grant = '0b6f2b6e-8f0a-4b8e-9c39-0d1f3a4b5c6d';
  const withGrant = accessLogLine(
    'b',
    'REST.GET.OBJECT',
    'k',
    `GET /b/k?X-Amz-Expires=60&x-s3p-grant=${grant} HTTP/1.1`,
  );
  assert.equal(parseAccessLogLine(withGrant)?.grant, grant);
  // Not a grant id: not reported as one.
  const forged = accessLogLine('b', 'REST.GET.OBJECT', 'k', 'GET /b/k?x-s3p-grant=../../x HTTP/1.1');
  assert.equal(parseAccessLogLine(forged)?.grant, undefined);
  for (const line of [
    '',
    'not a record',
    `${OWNER} b 06/Feb/2019 1.2.3.4 r i op k uri 200 -`,
    `${OWNER} b [06/Feb/2019:00:00:38 +0000 1.2.3.4 r i op k "GET / HTTP/1.1" 200 -`,
    `${OWNER} b [06/Feb/2019:00:00:38 +0000] 1.2.3.4 r i op k "GET / HTTP/1.1`,
  ]) {
    assert.equal(parseAccessLogLine(line), undefined, line);
  }
});

test('s3-presign audit joins each S3 request with the grant it came from (table and --json)', async (t) => {
  const local = await startLocalApp(t);
  const { app, auth, config } = local;
  const bucket = config.buckets[0] as string;
  const minted = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'put', key: 'reports/q3.txt', contentType: 'text/plain', contentLength: 5 },
  });
  assert.equal(minted.statusCode, 200, minted.body);
  const { url, headers } = minted.json();
  const stored = await fetch(url, { method: 'PUT', headers, body: 'hello' });
  assert.equal(stored.status, 200);
  const signed = new URL(url);
  const grant = signed.searchParams.get('x-s3p-grant') as string;

  const directory = await mkdtemp(join(tmpdir(), 'audit-cli-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  // AUDIT_LOG=stdout: the events among the request log lines, as an operator would collect them.
  const auditLog = join(directory, 'service.log');
  await writeFile(auditLog, `${local.logs.lines.join('\n')}\n{"audit":true,"version":1,"event":"grant"}\n`);
  const accessLog = join(directory, 'access.log');
  await writeFile(
    accessLog,
    [
      accessLogLine(bucket, 'REST.PUT.OBJECT', 'reports/q3.txt', `PUT ${signed.pathname}${signed.search} HTTP/1.1`),
      accessLogLine(bucket, 'REST.GET.OBJECT', 'reports/old.txt', `GET /${bucket}/reports/old.txt HTTP/1.1`),
      accessLogLine(
        bucket,
        'REST.GET.OBJECT',
        'x',
        `GET /${bucket}/x?x-s3p-grant=11111111-1111-4111-8111-111111111111 HTTP/1.1`,
        403,
      ),
      'garbage',
    ].join('\n'),
  );

  const asTable = await cli(['audit', '--audit-log', auditLog, '--s3-access-log', accessLog]);
  assert.equal(asTable.code, 0, asTable.stderr);
  const [heading, put, ungranted, unknown] = asTable.stdout.trimEnd().split('\n');
  assert.match(
    heading ?? '',
    /^TIME\s+S3 OPERATION\s+STATUS\s+BUCKET\/KEY\s+S3 CLIENT\s+GRANT\s+GRANTED TO\s+FROM\s+GRANTED AT$/,
  );
  assert.match(
    put ?? '',
    new RegExp(
      `REST\\.PUT\\.OBJECT\\s+200\\s+${bucket}/reports/q3\\.txt\\s+192\\.0\\.2\\.3\\s+${grant}\\s+local-developer\\s+127\\.0\\.0\\.1\\s+\\d{4}-`,
    ),
  );
  assert.match(ungranted ?? '', /REST\.GET\.OBJECT\s+200\s+\S+\s+192\.0\.2\.3\s+-\s+\(no grant\)/);
  assert.match(
    unknown ?? '',
    /403\s+\S+\s+192\.0\.2\.3\s+11111111-1111-4111-8111-111111111111\s+\(grant not in the audit log\)/,
  );
  assert.match(
    asTable.stderr,
    /skipped 1 access-log line\(s\) not in S3's format and 1 audit line\(s\) not in the event schema/,
  );

  const asJson = await cli(['audit', '--audit-log', auditLog, '--s3-access-log', accessLog, '--json']);
  assert.equal(asJson.code, 0, asJson.stderr);
  const [joined, ...rest] = JSON.parse(asJson.stdout);
  assert.equal(rest.length, 2);
  assert.equal(joined.grant, grant);
  assert.equal(joined.s3.operation, 'REST.PUT.OBJECT');
  assert.deepEqual(
    [joined.granted.grant, joined.granted.operation, joined.granted.key, joined.granted.caller.id],
    [grant, 'put', 'reports/q3.txt', 'local-developer'],
  );
  assert.equal(rest[0].granted, undefined);
});

test("s3-presign audit's table holds a busy day's access log (200,000 records, one with a long key)", () => {
  const records = Array.from({ length: 200_000 }, (_, index) =>
    accessLogLine('b', 'REST.GET.OBJECT', `k${index}`, `GET /b/k${index} HTTP/1.1`),
  );
  records.push(accessLogLine('b', 'REST.GET.OBJECT', 'x'.repeat(300), `GET /b/${'x'.repeat(300)} HTTP/1.1`));
  const joined = joinAuditAndAccessLogs([], [records.join('\n')]);
  assert.equal(joined.requests.length, 200_001);
  const lines = auditTable(joined.requests).trimEnd().split('\n');
  assert.equal(lines.length, 200_002);
  // Every row's columns line up under the widest key.
  assert.equal(lines[1]?.indexOf('192.0.2.3'), lines[200_001]?.indexOf('192.0.2.3'));
  assert.equal(lines[200_001]?.indexOf('192.0.2.3'), (lines[0] as string).indexOf('S3 CLIENT'));
});

test('s3-presign audit names a missing flag or an unreadable file (exit 2)', async () => {
  const missing = await cli(['audit', '--s3-access-log', '/dev/null']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--audit-log FILE is required/);
  const unreadable = await cli(['audit', '--audit-log', '/nonexistent/audit.log', '--s3-access-log', '/dev/null']);
  assert.equal(unreadable.code, 2);
  assert.match(unreadable.stderr, /--audit-log: cannot read \/nonexistent\/audit\.log \(ENOENT\)/);
});

test('the access-log parser and the join cost work linear in their input (characters visited, counted)', () => {
  const grant = '0b6f2b6e-8f0a-4b8e-9c39-0d1f3a4b5c6d';
  const record = (uri: string) => accessLogLine('b', 'REST.GET.OBJECT', 'k', uri);
  const prefix = `${OWNER} b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 ${OWNER} 3E57427F3EXAMPLE REST.GET.OBJECT k`;
  assertLinearWork(
    {
      'unclosed brackets': (n) => `${OWNER} b ${'['.repeat(n)}`,
      'brackets closed one by one': (n) => '[] '.repeat(n / 3),
      'an unclosed time then brackets': (n) => `${OWNER} b [06/Feb/2019 ${'[ '.repeat(n / 2)}`,
      'quotes closed one by one': (n) => '"" '.repeat(n / 3),
      'an unclosed Request-URI': (n) => `${prefix} "GET /b/k?${'a=1&'.repeat(n / 4)}`,
      'spaces only': (n) => ' '.repeat(n),
      'spaces between every field': (n) => `${OWNER}${' '.repeat(n)}b${' '.repeat(n)}[t]`,
      'a Request-URI of many parameters': (n) => record(`GET /b/k?${'x-s3p-grant=1&'.repeat(n / 14)}x HTTP/1.1`),
      'a Request-URI of many grants': (n) => record(`GET /b/k?${`x-s3p-grant=${grant}&`.repeat(n / 49)} HTTP/1.1`),
      'a Request-URI of spaces': (n) => record(`GET ${' '.repeat(n)}/b/k?x-s3p-grant=${grant} HTTP/1.1`),
    },
    (line, work) => countNativeWork(work, () => parseAccessLogLine(line, work)),
    // Node 26's URLSearchParams reads through String built-ins the counter wraps: about 8.4
    // steps a character there, flat as n doubles (Node 20: under 8). A rescan still fails the
    // growth bound.
    { perCharacter: 16 },
  );
  // The whole join: many lines of each log, every audit line an event or not.
  const event = (index: number) =>
    JSON.stringify({
      audit: true,
      version: 2,
      event: 'grant',
      time: '2019-02-06T00:00:00.000Z',
      reqId: `req-${index}`,
      clientAddress: '192.0.2.3',
      method: 'POST',
      route: '/presign',
      grant,
      operation: 'get',
      bucket: 'b',
      key: 'k',
    });
  const accessLines = (n: number) => `${record(`GET /b/k?x-s3p-grant=${grant} HTTP/1.1`)}\n`.repeat(n / 400);
  assertLinearWork(
    {
      'many events and records': (n) =>
        `${Array.from({ length: n / 400 }, (_, index) => event(index)).join('\n')}\u0000${accessLines(n)}`,
      'many request lines that are not events': (n) =>
        `${'{"msg":"request completed"}\n'.repeat(n / 28)}\u0000${accessLines(n)}`,
      'many lines that are not JSON': (n) => `${'{\n'.repeat(n / 2)}\u0000${accessLines(n)}`,
      'many blank lines': (n) => `${'\n'.repeat(n)}\u0000${'\n'.repeat(n)}`,
    },
    (input, work) => {
      const [audit = '', access = ''] = input.split('\u0000');
      return countNativeWork(work, () => joinAuditAndAccessLogs([audit], [access], work));
    },
    { perCharacter: 64 },
  );
});
