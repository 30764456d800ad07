// docs/cli.md's shell examples, run as a reader pastes them: each ```sh block in bash with
// `s3-presign` standing for this checkout's CLI, its output held to the ```text block that
// follows it, if any. A block that cannot run here says why in an HTML comment just before it
// (`<!-- not run: … -->`); the test lists those, so a skipped example is a visible choice.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { baseEnvironment } from '../cli/run.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Example {
  line: number;
  script: string;
  notRun?: string;
  expected?: string;
}

/** The page's ```sh blocks, with the not-run reason before each and the ```text block after it. */
export function shellExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  const blocks = [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)];
  blocks.forEach((block, index) => {
    if (block[1] !== 'sh') return;
    const before = markdown.slice(0, block.index).trimEnd();
    const notRun = /<!-- not run: ([^>]*) -->$/.exec(before)?.[1];
    const next = blocks[index + 1];
    const between = next ? markdown.slice((block.index as number) + block[0].length, next.index) : '';
    examples.push({
      line: markdown.slice(0, block.index).split('\n').length,
      script: block[2] as string,
      ...(notRun === undefined ? {} : { notRun }),
      ...(next?.[1] === 'text' && between.trim() === '' ? { expected: next[2] as string } : {}),
    });
  });
  return examples;
}

function bash(script: string): Promise<{ code: number; output: string }> {
  const prelude = `s3-presign() { node --import tsx "${root}src/cli.ts" "$@"; }\n`;
  return new Promise((resolve) => {
    execFile('bash', ['-c', prelude + script], { cwd: root, env: baseEnvironment() }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr }),
    );
  });
}

test('docs/cli.md: every shell example runs, or says why it cannot', { timeout: 120_000 }, async (t) => {
  const examples = shellExamples(await readFile(`${root}docs/cli.md`, 'utf8'));
  assert.ok(examples.length >= 3);
  const skipped = examples.filter((example) => example.notRun !== undefined);
  t.diagnostic(`not run: ${skipped.map((example) => `docs/cli.md:${example.line} (${example.notRun})`).join('; ')}`);
  const runnable = examples.filter((example) => example.notRun === undefined);
  assert.ok(runnable.length >= 1, 'at least one example runs');
  for (const example of runnable) {
    const { output } = await bash(example.script);
    if (example.expected === undefined) continue;
    // The example's URL is dated: a week on, its expiry is reported after what the page shows.
    const shown = output.replace(/^ {2}URL_EXPIRED: .*\n/m, '');
    assert.equal(shown, example.expected, `docs/cli.md:${example.line}`);
  }
});

test('shellExamples reads the markers and the expected output', () => {
  const page = '<!-- not run: needs AWS -->\n\n```sh\naws s3 ls\n```\n\n```sh\necho hi\n```\n\n```text\nhi\n```\n';
  assert.deepEqual(shellExamples(page), [
    { line: 3, script: 'aws s3 ls\n', notRun: 'needs AWS' },
    { line: 7, script: 'echo hi\n', expected: 'hi\n' },
  ]);
});
