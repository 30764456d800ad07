import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateApiKey, hashApiKey } from '../../../src/auth/api-keys.js';
import { callerRegistryFrom, loadCallerRegistry, prefixForSubject } from '../../../src/auth/callers.js';
import { contentTypeAllowed } from '../../../src/auth/caller-policy.js';
import { configFrom } from '../../helpers.js';

const config = configFrom({ S3_ENDPOINT_MODE: 'local', S3_BUCKETS: 'uploads,archive', PRESIGN_MAX_EXPIRES: '3600' });
const key = generateApiKey();

test('a clients document with many mistakes lists every one of them', () => {
  const result = callerRegistryFrom(
    {
      clients: [
        { id: 'svc', apiKeySha256: hashApiKey(key), policy: { operations: ['get'], keyPrefixes: ['svc/{sub}/'] } },
        {
          id: 'svc',
          apiKeySha256: hashApiKey(key),
          policy: { operations: ['get'], keyPrefixes: [''], buckets: ['nope'] },
        },
        {
          id: 'long',
          apiKeySha256: hashApiKey(generateApiKey()),
          policy: { operations: ['get'], keyPrefixes: [''], maxExpiresSeconds: 7200 },
        },
        {
          id: 'web',
          jwt: { jwksUrl: 'http://idp.example.test/jwks', issuer: 'i', audience: 'a' },
          policy: { operations: ['put'], keyPrefixes: ['u/{sub}/'] },
        },
        // Would share its id, and so its logs and rate limits, with development tokens.
        {
          id: 'local-frontend',
          apiKeySha256: hashApiKey(generateApiKey()),
          policy: { operations: ['get'], keyPrefixes: [''] },
        },
      ],
    },
    config,
  );
  assert.equal(result.ok, false);
  const problems = result.ok ? [] : result.problems;
  for (const expected of [
    /clients\.0 \(svc\): \{sub\} needs a JWT client/,
    /clients\.1 \(svc\): id is used twice/,
    /clients\.1 \(svc\): the same API key belongs to two clients/,
    /clients\.1 \(svc\): bucket "nope" is not in S3_BUCKETS/,
    /clients\.2 \(long\): maxExpiresSeconds 7200 is above PRESIGN_MAX_EXPIRES \(3600\)/,
    /clients\.3 \(web\): jwt\.jwksUrl must be https/,
    /clients\.4 \(local-frontend\): id local-frontend is local mode's development tokens' own; pick another/,
  ]) {
    assert.ok(
      problems.some((problem) => expected.test(problem)),
      `${expected} in:\n${problems.join('\n')}`,
    );
  }
});

test('schema problems name the path: missing credentials, both kinds, bad operations, unknown fields', () => {
  const result = callerRegistryFrom(
    {
      clients: [
        { id: 'none', policy: { operations: ['get'], keyPrefixes: [''] } },
        { id: 'bad op', apiKeySha256: 'XYZ', policy: { operations: ['delete'], keyPrefixes: ['/abs'], colour: 'red' } },
      ],
    },
    config,
  );
  assert.equal(result.ok, false);
  const text = result.ok ? '' : result.problems.join('\n');
  for (const expected of [
    /clients\.0: needs exactly one of apiKeySha256/,
    /clients\.1\.id: must be 1-64/,
    /clients\.1\.apiKeySha256: must be the lowercase hex SHA-256/,
    /clients\.1\.policy\.operations\.0/,
    /clients\.1\.policy\.keyPrefixes\.0: must not start with "\/"/,
    /clients\.1\.policy/,
  ]) {
    assert.match(text, expected);
  }
  assert.equal(callerRegistryFrom({ clients: [] }, config).ok, false);
  assert.equal(callerRegistryFrom('clients: nope', config).ok, false);
});

test('loadCallerRegistry reads YAML and JSON files and reports unreadable or broken ones', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-clients-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const yaml = join(directory, 'clients.yaml');
  await writeFile(
    yaml,
    `# services and their policies\nclients:\n  - id: svc\n    apiKeySha256: ${hashApiKey(key)}\n    policy:\n      operations: [get, put]\n      keyPrefixes: ['svc/']\n      contentTypes: ['image/*']\n`,
  );
  const fromYaml = await loadCallerRegistry(yaml, config);
  assert.ok(fromYaml.ok, fromYaml.ok ? '' : fromYaml.problems.join('\n'));
  const caller = await fromYaml.registry.admit(`Bearer ${key}`);
  assert.equal(caller.id, 'svc');
  assert.deepEqual(caller.policy.buckets, ['uploads', 'archive'], 'all allowlisted buckets by default');
  assert.equal(caller.policy.maxExpiresSeconds, 3600, 'the service maximum by default');
  // Built once and shared by every request with this key: a handler must not be able to change it.
  assert.equal(await fromYaml.registry.admit(`Bearer ${key}`), caller);
  assert.throws(() => Object.assign(caller.policy, { maxExpiresSeconds: 604800 }), TypeError);
  assert.throws(() => (caller.policy.keyPrefixes as string[]).push(''), TypeError);
  assert.throws(() => Object.assign(caller, { id: 'someone-else' }), TypeError);

  const json = join(directory, 'clients.json');
  await writeFile(
    json,
    JSON.stringify({
      clients: [{ id: 'j', apiKeySha256: hashApiKey(key), policy: { operations: ['get'], keyPrefixes: [''] } }],
    }),
  );
  assert.ok((await loadCallerRegistry(json, config)).ok);

  const missing = await loadCallerRegistry(join(directory, 'absent.yaml'), config);
  assert.deepEqual(missing.ok ? [] : missing.problems, [
    `AUTH_CLIENTS_FILE: cannot read ${join(directory, 'absent.yaml')} (ENOENT)`,
  ]);
  const broken = join(directory, 'broken.yaml');
  await writeFile(broken, 'clients:\n  - id: a\n  id: twice\n  : :\n');
  const brokenResult = await loadCallerRegistry(broken, config);
  assert.equal(brokenResult.ok, false);
});

test('content-type patterns: exact, type/*, */*, parameters ignored, case-insensitive', () => {
  assert.ok(contentTypeAllowed(['image/*'], 'image/png'));
  assert.ok(contentTypeAllowed(['image/*'], 'IMAGE/PNG; q=1'));
  assert.ok(!contentTypeAllowed(['image/*'], 'imagex/png'));
  assert.ok(!contentTypeAllowed(['image/*'], 'text/plain'));
  assert.ok(contentTypeAllowed(['application/pdf'], 'application/pdf; charset=binary'));
  assert.ok(!contentTypeAllowed(['application/pdf'], 'application/pdfx'));
  assert.ok(contentTypeAllowed(['*/*'], 'anything/at-all'));
  assert.ok(contentTypeAllowed(undefined, 'anything/at-all'));
});

test("{sub} becomes the subject as written, even one with the replacement patterns $' $` $& $$", () => {
  // SAFE_SUBJECT refuses "$" in a token's subject; the substitution must not depend on it.
  for (const subject of ["a$'b", 'a$`b', 'a$&b', 'a$$b', "$'$`$&$$$1"]) {
    assert.equal(prefixForSubject('users/{sub}/', subject), `users/${subject}/`, subject);
    assert.equal(prefixForSubject('a/{sub}/b/{sub}/', subject), `a/${subject}/b/${subject}/`, subject);
  }
  assert.equal(prefixForSubject('shared/', 'alice'), 'shared/');
});

test('{sub} must end a segment: "users/{sub}" would give user alice the keys of alice.smith', () => {
  const web = (keyPrefixes: string[]) => ({
    clients: [
      {
        id: 'web',
        jwt: { jwksUrl: 'https://idp.example.test/jwks', issuer: 'i', audience: 'a' },
        policy: { operations: ['put'], keyPrefixes },
      },
    ],
  });
  for (const accepted of [['users/{sub}/'], ['{sub}/'], ['a/{sub}/b/{sub}/', 'shared/'], ['']]) {
    assert.equal(callerRegistryFrom(web(accepted), config).ok, true, accepted.join(','));
  }
  const refused = callerRegistryFrom(web(['shared/', 'users/{sub}', 'a/{sub}/b/{sub}.x/', '{sub}-files/']), config);
  assert.deepEqual(refused.ok ? [] : refused.problems, [
    'clients.0 (web): keyPrefixes.1 "users/{sub}": {sub} must be followed by "/" (as in "users/{sub}/"); otherwise user "alice" would also own "alice.smith"\'s keys',
    'clients.0 (web): keyPrefixes.2 "a/{sub}/b/{sub}.x/": {sub} must be followed by "/" (as in "users/{sub}/"); otherwise user "alice" would also own "alice.smith"\'s keys',
    'clients.0 (web): keyPrefixes.3 "{sub}-files/": {sub} must be followed by "/" (as in "users/{sub}/"); otherwise user "alice" would also own "alice.smith"\'s keys',
  ]);
});
