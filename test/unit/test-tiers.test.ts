// The tier scripts (test:unit, test:http, test:integration, test:e2e) must add up to `npm test`:
// a test folder added to neither would run in CI but in no tier, and one in two tiers twice.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
const TIERS = ['test:unit', 'test:http', 'test:integration', 'test:e2e'];

/** The files a pattern names, expanded as the shell expands it: `*` within one path segment. */
function expand(pattern: string): string[] {
  const segments = pattern.split('/');
  let paths = [''];
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    const matches = new RegExp(`^${segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*')}$`);
    paths = paths.flatMap((dir) =>
      readdirSync(dir || '.', { withFileTypes: true })
        .filter((entry) => (last ? entry.isFile() : entry.isDirectory()) && matches.test(entry.name))
        .map((entry) => (dir ? `${dir}/${entry.name}` : entry.name)),
    );
  });
  return paths;
}

/** The test files a script's `test/…/*.test.ts` arguments name. */
function filesOf(script: string): string[] {
  const patterns = script.split(/\s+/).filter((word) => word.startsWith('test/'));
  return patterns.flatMap((pattern) => {
    assert.ok(pattern.endsWith('/*.test.ts'), `${pattern}: tiers name folders as test/…/*.test.ts`);
    return expand(pattern);
  });
}

/** Every test file below test/, however deep (the browser tests' own packages aside). */
function testFilesOnDisk(): string[] {
  return readdirSync('test', { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.test.ts') && !path.split('/').includes('node_modules'))
    .map((path) => `test/${path}`);
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

test('npm test runs every test file below test/, so a file in a new subfolder cannot be missed', () => {
  const run = new Set(filesOf(scripts.test ?? ''));
  assert.deepEqual(
    testFilesOnDisk().filter((path) => !run.has(path)),
    [],
  );
});

test('npm test and every tier run 4 files at once, the concurrency the timing-sensitive tests were checked at', () => {
  for (const script of ['test', ...TIERS]) {
    assert.match(scripts[script] ?? '', /^node --import tsx --test --test-concurrency=4 /, script);
  }
});
