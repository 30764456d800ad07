// The tier scripts (test:unit, test:http, test:integration, test:e2e) must add up to `npm test`:
// a test folder added to neither would run in CI but in no tier, and one in two tiers twice.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
const TIERS = ['test:unit', 'test:http', 'test:integration', 'test:e2e'];

/** The test files a script's `test/DIR/*.test.ts` arguments name (the shell expands them so). */
function filesOf(script: string): string[] {
  const patterns = script.split(/\s+/).filter((word) => word.startsWith('test/'));
  return patterns.flatMap((pattern) => {
    const match = /^test\/(\*|[\w-]+)\/\*\.test\.ts$/.exec(pattern);
    assert.ok(match, `${pattern}: tiers name folders as test/DIR/*.test.ts`);
    const folders =
      match[1] === '*'
        ? readdirSync('test', { withFileTypes: true })
            .filter((entry) => entry.isDirectory())
            .map((entry) => entry.name)
        : [match[1]];
    return folders.flatMap((folder) =>
      readdirSync(`test/${folder}`)
        .filter((name) => name.endsWith('.test.ts'))
        .map((name) => `test/${folder}/${name}`),
    );
  });
}

test('the test tiers together run exactly the files npm test runs, each once', () => {
  const all = filesOf(scripts.test ?? '').sort();
  const tiered = TIERS.flatMap((tier) => {
    assert.ok(scripts[tier], `package.json has no ${tier} script`);
    return filesOf(scripts[tier]);
  }).sort();
  assert.ok(all.length > 100, `npm test names ${all.length} files`);
  assert.deepEqual(tiered, all);
});
