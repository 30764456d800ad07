// docs/errors.md is generated from the error table and its explanations (src/error-docs.ts):
// every code once, with its status, its meaning and what to do. These tests fail when a code
// has no explanation, when the page drifts from the tables, or when the pages that should lead
// to it do not. (A code added to src/errors.ts without an entry already fails `tsc`.)
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ERROR_DOCS } from '../../src/error-docs.js';
import { ERROR_CODES, statusOf } from '../../src/errors.js';
import { ERRORS_PAGE, errorDoc, renderReference, withReference } from '../../scripts/error-docs.js';

describe('docs/errors.md', () => {
  it('is what npm run docs:errors writes from the error table', async () => {
    const page = await readFile(ERRORS_PAGE, 'utf8');
    assert.equal(page, await withReference(page), 'run npm run docs:errors');
  });

  it('explains every code once, with its status, a meaning and what to do', () => {
    const reference = renderReference();
    for (const code of ERROR_CODES) {
      const doc = errorDoc(code);
      assert.ok(doc.meaning.length >= 20 && doc.action.length >= 10, `${code}: explain it in a sentence or more`);
      const sections = reference.split(`### \`${code}\`\n\n`);
      assert.equal(sections.length, 2, `${code} has one section`);
      assert.match(sections[1] as string, new RegExp(`^${statusOf(code)} `), `${code}: its status leads its section`);
    }
  });

  it('explains no code that is not in the table', () => {
    assert.deepEqual(
      Object.keys(ERROR_DOCS).filter((code) => !(ERROR_CODES as readonly string[]).includes(code)),
      [],
    );
  });

  it('refuses a code without an explanation, saying where to write it', () => {
    assert.throws(
      () => errorDoc('NOT_A_CODE'),
      /NOT_A_CODE has no explanation: add its meaning and action to ERROR_DOCS in src\/error-docs\.ts/,
    );
  });

  it('is linked from the README map and the HTTP API page', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const api = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
    assert.match(readme, /\]\(docs\/errors\.md\)/);
    assert.match(api, /\]\(errors\.md\)/);
  });
});
