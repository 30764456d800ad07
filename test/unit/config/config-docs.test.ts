// docs/configuration.md is generated from envSchema: every variable once, with its type,
// default and meaning. These tests fail when the page drifts from the schema, when a variable
// lacks its documentation, or when a page names a variable the service does not read.
import { CLI_VARIABLES } from '../../../src/cli/service-client.js';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { envSchema } from '../../../src/config/config.js';
import { ERROR_CODES } from '../../../src/errors.js';
import { S3_PROBE_FAILURE_CODES } from '../../../src/health/s3-probe.js';
import { CONFIG_PAGE, envDoc, renderReference, withReference } from '../../../scripts/config-docs.js';

describe('docs/configuration.md', () => {
  it('is what npm run docs:config writes from envSchema', async () => {
    const page = await readFile(CONFIG_PAGE, 'utf8');
    assert.equal(page, await withReference(page), 'run npm run docs:config');
  });

  it('documents every variable once, with a type, a default and a meaning', () => {
    const reference = renderReference();
    for (const name of Object.keys(envSchema.shape)) {
      const doc = envDoc(name);
      assert.ok(doc.type && doc.default && doc.description, name);
      assert.equal(reference.split(`| \`${name}\` |`).length, 2, `${name} appears once`);
    }
  });

  it('names no service variable, anywhere in the docs, that the service does not read', async () => {
    // Error codes (RATE_LIMIT_UNAVAILABLE, the s3 check's S3_TIMEOUT…) share the prefixes.
    const known = new Set<string>([
      ...Object.keys(envSchema.shape),
      ...ERROR_CODES,
      ...S3_PROBE_FAILURE_CODES,
      ...CLI_VARIABLES,
    ]);
    // The service's own prefixes; AWS_*, OTEL_* and the like belong to libraries.
    const ours =
      /\b(?:S3|PRESIGN|RATE_LIMIT|VERIFY_RATE_LIMIT|HEALTH|LOCAL_S3|AUTH|CORS|HTTP|UPLOAD|OVERLOAD|SHUTDOWN)_[A-Z0-9_]*[A-Z0-9]\b/g;
    const docs = new URL('../../../docs/', import.meta.url);
    const pages = [new URL('../../../README.md', import.meta.url)];
    for (const name of await readdir(docs)) if (name.endsWith('.md')) pages.push(new URL(name, docs));
    const unknown: string[] = [];
    for (const page of pages) {
      const text = await readFile(page, 'utf8');
      for (const [name] of text.matchAll(ours)) {
        if (!known.has(name)) unknown.push(`${page.pathname.split('/').slice(-2).join('/')}: ${name}`);
      }
    }
    assert.deepEqual([...new Set(unknown)], []);
  });

  it('refuses a variable without documentation', () => {
    assert.throws(() => envDoc('NOT_A_VARIABLE'), /not in envSchema/);
  });
});
