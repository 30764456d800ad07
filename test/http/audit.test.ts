// Issue 23: one audit event per grant and per refusal, in the documented schema, sharing the
// request id with the request's log line; the grant id signed into every URL, equal to the
// event's, and accepted by the embedded store; provenance, metadata and tags signed into every
// upload and read back from the stored object. Real app, real embedded S3 over loopback.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { GetObjectTaggingCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { auditEventSchema, type AuditEvent, type GrantEvent } from '../../src/audit/audit-event.js';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { embeddedS3Client, startLocalApp, type LocalApp } from '../helpers.js';

const GRANT = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Every audit event written so far, each held to the schema. */
function auditEvents(local: Pick<LocalApp, 'logs'>): AuditEvent[] {
  return local.logs.lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.audit === true)
    .map((line) => auditEventSchema.parse(line));
}

/** The events of an AUDIT_LOG file, each held to the schema. */
async function auditFileEvents(path: string): Promise<AuditEvent[]> {
  return (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => auditEventSchema.parse(JSON.parse(line)));
}

/** An object's tags as GetObjectTagging reads them back from the store, in order. */
async function storedTags(client: S3Client, bucket: string, key: string): Promise<Record<string, string>> {
  const { TagSet } = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return Object.fromEntries((TagSet ?? []).map(({ Key, Value }) => [Key, Value]));
}

function requestLine(local: Pick<LocalApp, 'logs'>, reqId: string): Record<string, unknown> | undefined {
  return local.logs.lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((line) => line.msg === 'request completed' && line.reqId === reqId);
}

async function appWithPolicy(t: TestContext, env: Record<string, string> = {}) {
  const serviceKey = generateApiKey();
  const local = await startLocalApp(
    t,
    { RATE_LIMIT_MAX: '1000', ...env },
    {},
    {
      clients: {
        clients: [
          {
            id: 'archive',
            apiKeySha256: hashApiKey(serviceKey),
            policy: {
              operations: ['get', 'put'],
              keyPrefixes: ['archive/'],
              metadataKeys: ['project', 'Department'],
              tagKeys: ['retention'],
            },
          },
        ],
      },
    },
  );
  return { ...local, auth: { authorization: `Bearer ${serviceKey}` } };
}

test('every grant path writes one event in the schema, its grant id signed into the URL, its reqId on the request line', async (t) => {
  const local = await appWithPolicy(t);
  const { app, auth } = local;
  const post = (url: string, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url, headers: auth, payload });

  const get = await post('/presign', {
    operation: 'get',
    key: 'archive/a.txt',
    responseContentDisposition: 'attachment',
  });
  assert.equal(get.statusCode, 200, get.body);
  const put = await post('/presign', {
    operation: 'put',
    key: 'archive/b.txt',
    contentType: 'text/plain',
    contentLength: 5,
    checksumCrc32: 'AAAAAA==',
  });
  assert.equal(put.statusCode, 200, put.body);
  const batch = await post('/presign/batch', {
    items: [
      { operation: 'get', key: 'archive/c' },
      { operation: 'get', key: 'archive/d' },
    ],
  });
  assert.equal(batch.statusCode, 200, batch.body);
  const upload = await post('/uploads', { filename: 'e.txt', contentType: 'text/plain', contentLength: 3 });
  assert.equal(upload.statusCode, 200, upload.body);
  const form = await post('/uploads', {
    filename: 'f.txt',
    contentType: 'text/plain',
    contentLength: 4,
    method: 'post',
    checksumSha256: `${'A'.repeat(43)}=`,
  });
  assert.equal(form.statusCode, 200, form.body);
  const created = await post('/multipart', {
    filename: 'g.bin',
    contentType: 'application/octet-stream',
    contentLength: 10,
  });
  assert.equal(created.statusCode, 200, created.body);
  const { key, uploadId } = created.json();
  const parts = await post('/multipart/parts', { key, uploadId, partNumbers: [1] });
  assert.equal(parts.statusCode, 200, parts.body);
  const aborted = await post('/multipart/abort', { key, uploadId });
  assert.equal(aborted.statusCode, 204, aborted.body);

  const events = auditEvents(local) as GrantEvent[];
  assert.deepEqual(
    events.map((event) => [event.event, event.operation, event.route]),
    [
      ['grant', 'get', '/presign'],
      ['grant', 'put', '/presign'],
      ['grant', 'get', '/presign/batch'],
      ['grant', 'get', '/presign/batch'],
      ['grant', 'put', '/uploads'],
      ['grant', 'post', '/uploads'],
      ['grant', 'create-multipart-upload', '/multipart'],
      ['grant', 'upload-part', '/multipart/parts'],
      ['grant', 'abort-multipart-upload', '/multipart/abort'],
    ],
  );
  for (const event of events) {
    assert.deepEqual(event.caller, { id: 'archive', kind: 'api-key' });
    assert.equal(event.clientAddress, '127.0.0.1');
    assert.ok(requestLine(local, event.reqId), `no request line with reqId ${event.reqId}`);
  }
  assert.equal(new Set(events.map((event) => event.grant)).size, events.length, 'every grant has its own id');

  // The URL names its grant: the event's id, as the last query parameter.
  const [getEvent, putEvent, batchC, batchD, uploadEvent, formEvent, createEvent, partsEvent, abortEvent] = events as [
    GrantEvent,
    GrantEvent,
    GrantEvent,
    GrantEvent,
    GrantEvent,
    GrantEvent,
    GrantEvent,
    GrantEvent,
    GrantEvent,
  ];
  const grantOf = (url: string) => new URL(url).searchParams.get('x-s3p-grant');
  assert.equal(grantOf(get.json().url), getEvent.grant);
  assert.equal(getEvent.key, 'archive/a.txt');
  assert.deepEqual(getEvent.constraints, { responseContentDisposition: 'attachment' });
  assert.equal(getEvent.expiresAt, get.json().expiresAt);
  assert.equal(grantOf(put.json().url), putEvent.grant);
  assert.deepEqual(putEvent.constraints, {
    contentType: 'text/plain',
    contentLength: 5,
    checksum: { algorithm: 'CRC32', value: 'AAAAAA==' },
    metadataKeys: ['uploaded-by', 'grant'],
  });
  const [itemC, itemD] = batch.json().results;
  assert.deepEqual([grantOf(itemC.result.url), grantOf(itemD.result.url)], [batchC.grant, batchD.grant]);
  assert.equal(grantOf(upload.json().url), uploadEvent.grant);
  assert.equal(form.json().fields['x-amz-meta-grant'], formEvent.grant);
  assert.deepEqual(formEvent.constraints?.contentLengthRange, [4, 4]);
  assert.deepEqual(formEvent.constraints?.checksum, { algorithm: 'SHA256', value: `${'A'.repeat(43)}=` });
  assert.equal(createEvent.key, key);
  assert.equal(grantOf(parts.json().parts[0].url), partsEvent.grant);
  assert.deepEqual(partsEvent.partNumbers, [1]);
  // Calls after the create name S3's upload ID, as the create's event does.
  assert.ok(createEvent.uploadId);
  assert.equal(partsEvent.uploadId, createEvent.uploadId);
  assert.equal(abortEvent.uploadId, createEvent.uploadId);
  for (const event of events) assert.match(event.grant, GRANT);
  // Never a signature, policy document or credential in an event.
  const text = local.logs.lines.filter((line) => line.includes('"audit":true')).join('\n');
  assert.doesNotMatch(text, /X-Amz-Signature|X-Amz-Credential|x-amz-signature|"policy"|Bearer/);
});

test('refusals (401, 403, 429, a refused batch item) are audited with their code; other errors are not', async (t) => {
  const local = await appWithPolicy(t, { RATE_LIMIT_MAX: '3' });
  const { app, auth } = local;
  const unauthenticated = await app.inject({
    method: 'POST',
    url: '/presign',
    payload: { operation: 'get', key: 'x' },
  });
  assert.equal(unauthenticated.statusCode, 401);
  const wrongKey = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: { authorization: `Bearer ${generateApiKey()}` },
    payload: { operation: 'get', key: 'x' },
  });
  assert.equal(wrongKey.statusCode, 401);
  const forbidden = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'get', key: 'other/x' },
  });
  assert.equal(forbidden.statusCode, 403);
  const invalid = await app.inject({ method: 'POST', url: '/presign', headers: auth, payload: { operation: 'nope' } });
  assert.equal(invalid.statusCode, 400);
  const batch = await app.inject({
    method: 'POST',
    url: '/presign/batch',
    headers: auth,
    payload: { items: [{ operation: 'get', key: 'other/y' }] },
  });
  assert.equal(batch.statusCode, 200);
  let limited;
  for (let attempt = 0; attempt < 5; attempt++) {
    limited = await app.inject({
      method: 'POST',
      url: '/presign',
      headers: auth,
      payload: { operation: 'get', key: 'archive/z' },
    });
    if (limited.statusCode === 429) break;
  }
  assert.equal(limited?.statusCode, 429);

  const refusals = auditEvents(local).filter((event) => event.event === 'refusal');
  assert.deepEqual(
    refusals.map((event) => [event.status, event.code, event.caller?.id]),
    [
      [401, 'AUTH_REQUIRED', undefined],
      [401, 'AUTH_INVALID', undefined],
      [403, forbidden.json().code, 'archive'],
      [403, batch.json().results[0].error.code, 'archive'],
      [429, 'RATE_LIMITED', 'archive'],
    ],
  );
  for (const event of refusals) assert.ok(requestLine(local, event.reqId));
});

test('uploads carry signed provenance, allowed metadata and tags; the store accepts the URL and keeps them', async (t) => {
  const local = await appWithPolicy(t);
  const { app, auth, s3 } = local;
  const response = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: {
      operation: 'put',
      key: 'archive/report.txt',
      contentType: 'text/plain',
      contentLength: 5,
      metadata: { project: 'apollo', department: 'Öko Team' },
      tags: { retention: 'P7Y' },
    },
  });
  assert.equal(response.statusCode, 200, response.body);
  const { url, headers } = response.json();
  const grant = new URL(url).searchParams.get('x-s3p-grant');
  assert.match(grant ?? '', GRANT);
  assert.equal(headers['x-amz-tagging'], 'retention=P7Y');
  const signed = new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '';
  for (const name of [
    'x-amz-meta-grant',
    'x-amz-meta-uploaded-by',
    'x-amz-meta-project',
    'x-amz-meta-department',
    'x-amz-tagging',
  ]) {
    assert.ok(signed.split(';').includes(name), `${name} is signed: ${signed}`);
  }
  const stored = await fetch(url, { method: 'PUT', headers, body: 'hello' });
  assert.equal(stored.status, 200, await stored.text());
  // A client that drops or changes a signed header is refused by the store.
  const tampered = await fetch(url, {
    method: 'PUT',
    headers: { ...headers, 'x-amz-meta-uploaded-by': 'mallory' },
    body: 'hello',
  });
  assert.equal(tampered.status, 403);

  const client = embeddedS3Client(s3);
  const head = await client.send(new HeadObjectCommand({ Bucket: local.config.buckets[0], Key: 'archive/report.txt' }));
  assert.deepEqual(head.Metadata, {
    'uploaded-by': 'archive',
    grant,
    project: 'apollo',
    department: '=?UTF-8?B?w5ZrbyBUZWFt?=',
  });
  assert.deepEqual(await storedTags(client, local.config.buckets[0] as string, 'archive/report.txt'), {
    retention: 'P7Y',
  });
  const [event] = auditEvents(local) as GrantEvent[];
  assert.equal(event?.grant, grant);
  assert.deepEqual(event?.constraints?.tagKeys, ['retention']);
});

test('a metadata value spelled as an RFC 2047 encoded word is stored encoded: decoded, it reads back as sent', async (t) => {
  const local = await appWithPolicy(t);
  const { app, auth, s3 } = local;
  // Decoded, the spelled word is a line break and a header: what the service refuses as text.
  const spelled = `=?UTF-8?B?${Buffer.from('a\r\nX-Injected: 1').toString('base64')}?=`;
  const response = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'put', key: 'archive/word.txt', contentLength: 5, metadata: { project: spelled } },
  });
  assert.equal(response.statusCode, 200, response.body);
  const { url, headers } = response.json();
  const stored = await fetch(url, { method: 'PUT', headers, body: 'hello' });
  assert.equal(stored.status, 200, await stored.text());
  const head = await embeddedS3Client(s3).send(
    new HeadObjectCommand({ Bucket: local.config.buckets[0], Key: 'archive/word.txt' }),
  );
  const value = head.Metadata?.project ?? '';
  // What a client that decodes S3's values gets: one encoded word, UTF-8, base64.
  const word = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/.exec(value);
  assert.ok(word, `stored as one encoded word: ${value}`);
  assert.equal(Buffer.from(word[1] as string, 'base64').toString('utf8'), spelled);
});

test('metadata and tags off the policy, or past S3 limits, are 400s naming the key', async (t) => {
  const local = await appWithPolicy(t);
  const { app, auth } = local;
  const put = { operation: 'put', key: 'archive/x', contentType: 'text/plain' };
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [{ ...put, metadata: { owner: 'x' } }, 'METADATA_NOT_ALLOWED', 'metadata.owner'],
    [{ ...put, metadata: { 'uploaded-by': 'x' } }, 'METADATA_NOT_ALLOWED', 'metadata.uploaded-by'],
    [{ ...put, metadata: { project: 'a', PROJECT: 'b' } }, 'METADATA_INVALID', 'metadata.PROJECT'],
    [{ ...put, metadata: { project: 'line\nbreak' } }, 'METADATA_INVALID', 'metadata.project'],
    [{ ...put, metadata: { project: 'x'.repeat(2000) } }, 'METADATA_INVALID', 'metadata.project'],
    [{ ...put, tags: { owner: 'x' } }, 'TAG_NOT_ALLOWED', 'tags.owner'],
    [{ ...put, tags: { retention: 'a<b' } }, 'TAGS_INVALID', 'tags.retention'],
    [{ operation: 'get', key: 'archive/x', metadata: { project: 'a' } }, 'VALIDATION_FAILED', 'metadata'],
  ];
  for (const [payload, code, field] of cases) {
    const response = await app.inject({ method: 'POST', url: '/presign', headers: auth, payload });
    assert.equal(response.statusCode, 400, `${JSON.stringify(payload)}: ${response.body}`);
    assert.deepEqual([response.json().code, response.json().field], [code, field], JSON.stringify(payload));
  }
  // None of them was granted.
  assert.deepEqual(auditEvents(local), []);
});

test('UPLOAD_PROVENANCE=false signs no provenance; AUDIT_LOG=<file> writes the events there, not beside the log', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 'audit-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const file = join(directory, 'logs', 'audit.jsonl');
  const local = await appWithPolicy(t, { UPLOAD_PROVENANCE: 'false', AUDIT_LOG: file });
  const response = await local.app.inject({
    method: 'POST',
    url: '/presign',
    headers: local.auth,
    payload: { operation: 'put', key: 'archive/plain', contentType: 'text/plain' },
  });
  assert.equal(response.statusCode, 200, response.body);
  assert.deepEqual(Object.keys(response.json().headers), ['content-type']);
  assert.deepEqual(auditEvents(local), []);
  await local.app.close();
  const written = await auditFileEvents(file);
  assert.equal(written.length, 1);
  const event = written[0] as GrantEvent;
  assert.equal(event.grant, new URL(response.json().url).searchParams.get('x-s3p-grant'));
  assert.ok(requestLine(local, event.reqId));
});

test('AUDIT_LOG=<file>: a grant’s event is in the file when its URL is answered, and SIGHUP opens a new file after logrotate moved the old', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 'audit-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const file = join(directory, 'audit.jsonl');
  const local = await appWithPolicy(t, { AUDIT_LOG: file });
  const grant = async (key: string) => {
    const response = await local.app.inject({
      method: 'POST',
      url: '/presign',
      headers: local.auth,
      payload: { operation: 'get', key },
    });
    assert.equal(response.statusCode, 200, response.body);
    return new URL(response.json().url).searchParams.get('x-s3p-grant');
  };
  const grantsIn = async (path: string) => (await auditFileEvents(path)).map((event) => (event as GrantEvent).grant);

  const first = await grant('archive/before-rotation');
  // Read while the app runs: written before the answer, not at close.
  assert.deepEqual(await grantsIn(file), [first]);
  await rename(file, `${file}.1`);
  process.emit('SIGHUP');
  const second = await grant('archive/after-rotation');
  assert.deepEqual(await grantsIn(file), [second]);
  assert.deepEqual(await grantsIn(`${file}.1`), [first]);
});

test('form and multipart uploads store the provenance, metadata and tags they were granted', async (t) => {
  const local = await appWithPolicy(t);
  const { app, auth, s3 } = local;
  const client = embeddedS3Client(s3);
  const bucket = local.config.buckets[0] as string;
  const post = (url: string, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url, headers: auth, payload });

  const form = await post('/uploads', {
    filename: 'form.txt',
    contentType: 'text/plain',
    contentLength: 4,
    method: 'post',
    metadata: { project: 'apollo' },
    tags: { retention: 'P1Y 6M' },
  });
  assert.equal(form.statusCode, 200, form.body);
  const { url, fields, key: formKey } = form.json();
  const body = new FormData();
  for (const [name, value] of Object.entries(fields as Record<string, string>)) body.append(name, value);
  body.append('file', new Blob(['form']), 'form.txt');
  const posted = await fetch(url, { method: 'POST', body });
  assert.ok(posted.status < 300, `${posted.status} ${await posted.text()}`);

  const created = await post('/multipart', {
    filename: 'big.bin',
    contentType: 'application/octet-stream',
    contentLength: 5,
    metadata: { project: 'gemini' },
    tags: { retention: '0030' },
  });
  assert.equal(created.statusCode, 200, created.body);
  const { key, uploadId } = created.json();
  const parts = await post('/multipart/parts', { key, uploadId, partNumbers: [1] });
  const [part] = parts.json().parts;
  const sent = await fetch(part.url, { method: 'PUT', headers: part.headers, body: 'bytes' });
  assert.equal(sent.status, 200);
  const completed = await post('/multipart/complete', {
    key,
    uploadId,
    parts: [{ partNumber: 1, etag: sent.headers.get('etag') }],
  });
  assert.equal(completed.statusCode, 200, completed.body);

  const events = auditEvents(local) as GrantEvent[];
  const grantOf = (operation: string) => events.find((event) => event.operation === operation)?.grant;
  const formHead = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: formKey }));
  assert.deepEqual(formHead.Metadata, { 'uploaded-by': 'archive', grant: grantOf('post'), project: 'apollo' });
  const multipartHead = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  assert.deepEqual(multipartHead.Metadata, {
    'uploaded-by': 'archive',
    grant: grantOf('create-multipart-upload'),
    project: 'gemini',
  });
  assert.deepEqual(await storedTags(client, bucket, formKey), { retention: 'P1Y 6M' });
  assert.deepEqual(await storedTags(client, bucket, key), { retention: '0030' });
  assert.equal(events.find((event) => event.operation === 'complete-multipart-upload')?.size, 5);
});

test("Companion's Uppy meta maps to metadata and tags under the policy; any other field is a 400 naming it", async (t) => {
  const local = await appWithPolicy(t);
  const { app, auth } = local;
  const params = (meta: Record<string, string>) =>
    app.inject({
      method: 'GET',
      url: `/s3/params?${new URLSearchParams({
        filename: 'c.txt',
        type: 'text/plain',
        'metadata[size]': '4',
        ...Object.fromEntries(Object.entries(meta).map(([name, value]) => [`metadata[${name}]`, value])),
      })}`,
      headers: auth,
    });
  const refused = await params({ owner: 'mallory' });
  assert.equal(refused.statusCode, 400, refused.body);
  assert.deepEqual([refused.json().code, refused.json().field], ['METADATA_NOT_ALLOWED', 'metadata.owner']);

  // Uppy's own name and type are dropped; project is metadata, retention a tag.
  const granted = await params({ name: 'c.txt', type: 'text/plain', project: 'apollo', retention: 'P1Y' });
  assert.equal(granted.statusCode, 200, granted.body);
  const { url, fields } = granted.json() as { url: string; fields: Record<string, string> };
  assert.equal(fields['x-amz-meta-project'], 'apollo');
  assert.equal(fields.tagging, '<Tagging><TagSet><Tag><Key>retention</Key><Value>P1Y</Value></Tag></TagSet></Tagging>');
  assert.equal(fields['x-amz-meta-name'], undefined);
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) if (name !== 'tagging') body.append(name, value);
  body.append('file', new Blob(['form']), 'c.txt');
  const posted = await fetch(url, { method: 'POST', body });
  // Without the tagging field the policy's exact condition on it fails: the form is all signed.
  assert.equal(posted.status, 403, await posted.text());

  const created = await app.inject({
    method: 'POST',
    url: '/s3/multipart',
    headers: auth,
    payload: { filename: 'm.bin', type: 'application/octet-stream', metadata: { size: 5, project: 'gemini' } },
  });
  assert.equal(created.statusCode, 200, created.body);
  const events = auditEvents(local) as GrantEvent[];
  const create = events.find((event) => event.operation === 'create-multipart-upload');
  assert.deepEqual(create?.constraints?.metadataKeys, ['uploaded-by', 'grant', 'project']);
  assert.equal(create?.route, '/s3/multipart');
});
