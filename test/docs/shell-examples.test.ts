// Every shell example in README.md and docs/*.md, run as a reader pastes them: each ```sh,
// ```bash, ```shell and ```console block runs in bash, in a temporary directory, against a local
// instance of the service started as `npm start` starts it (local mode, embedded store), one
// instance per page whose examples name it. A page's blocks run in order and share their shell variables, as in one
// terminal. A block's output is held to the ```text block that follows it, or for ```console to
// the lines after each `$ ` command; a block with neither must exit 0.
//
// A block that cannot run here says why in an HTML comment just before it
// (`<!-- not run: … -->`), or names the test that runs it (`<!-- test/… runs this block: … -->`);
// the test lists both, so a skipped example is a visible choice. An unmarked block that fails
// fails the test.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { baseEnvironment } from '../cli/run.js';
import { startService } from '../cli/service-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);

/** What the pages show that differs here, and what it becomes in a script (and back in its output). */
const DOCUMENTED = {
  service: 'http://127.0.0.1:8080',
  store: 'http://127.0.0.1:4568',
  apiKey: 's3p_…',
};

/** Files a page's examples take as the reader's own (`photo.png` in a form upload): a 1×1 PNG. */
const READER_FILES: Record<string, Buffer> = {
  'photo.png': Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  ),
};

export interface Example {
  line: number;
  language: string;
  script: string;
  notRun?: string;
  runElsewhere?: string;
  expected?: string;
}

/** A page's shell blocks, with the marker before each and the expected output after it. */
export function shellExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  const blocks = [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)];
  blocks.forEach((block, index) => {
    const language = block[1] as string;
    if (!SHELL_LANGUAGES.has(language)) return;
    const before = markdown.slice(0, block.index).trimEnd();
    const notRun = /<!-- not run: ([^>]*) -->$/.exec(before)?.[1];
    const runElsewhere = /<!-- (\S+) runs this block: [^>]* -->$/.exec(before)?.[1];
    const next = blocks[index + 1];
    const between = next ? markdown.slice((block.index as number) + block[0].length, next.index) : '';
    const body = block[2] as string;
    const example: Example = {
      line: markdown.slice(0, block.index).split('\n').length,
      language,
      script: body,
      ...(notRun === undefined ? {} : { notRun }),
      ...(runElsewhere === undefined ? {} : { runElsewhere }),
    };
    if (language === 'console') {
      const lines = body.split('\n').slice(0, -1);
      example.script = lines
        .filter((text) => text.startsWith('$ '))
        .map((text) => `${text.slice(2)}\n`)
        .join('');
      example.expected = lines
        .filter((text) => !text.startsWith('$ '))
        .map((text) => `${text}\n`)
        .join('');
    } else if (next?.[1] === 'text' && between.trim() === '') {
      example.expected = next[2] as string;
    }
    examples.push(example);
  });
  return examples;
}

/** Whether output matches a page's expected text, where `…` stands for any run of characters on a line. */
export function matchesShown(output: string, shown: string): boolean {
  const pattern = shown
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^\\n]*');
  return new RegExp(`^${pattern}$`).test(output);
}

interface Instance {
  banner: string;
  service: string;
  store: string;
  apiKey: string;
}

function bash(script: string, cwd: string, state: string): Promise<{ code: number; output: string }> {
  // The page's earlier blocks' variables carry over, as in one terminal.
  const prelude = [
    // What `npx s3-presign` runs: the package's bin.
    `s3-presign() { node "${root}bin/s3-presign.js" "$@"; }`,
    `__known=$(compgen -v | sort)`,
    `[ -f "${state}" ] && source "${state}"`,
    `trap 'comm -13 <(echo "$__known") <(compgen -v | sort) | grep -v "^__" | while read -r v; do declare -p "$v"; done > "${state}.new" && mv "${state}.new" "${state}"' EXIT`,
    '',
  ].join('\n');
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', prelude + script],
      { cwd, env: baseEnvironment(), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

/** The script a reader runs against this instance: the documented address and key, replaced. */
function forInstance(script: string, instance: Instance | undefined): string {
  if (!instance) return script;
  return script
    .replaceAll(DOCUMENTED.service, instance.service)
    .replaceAll(DOCUMENTED.store, instance.store)
    .replaceAll(DOCUMENTED.apiKey, instance.apiKey);
}

/** The output as the page would show it: this instance's address, back to the documented one. */
function asDocumented(output: string, instance: Instance | undefined): string {
  if (!instance) return output;
  return output.replaceAll(instance.service, DOCUMENTED.service).replaceAll(instance.store, DOCUMENTED.store);
}

async function localInstance(t: TestContext): Promise<Instance> {
  const service = await startService(t, {});
  const banner = service.output().stdout;
  const store = /embedded S3:\s+(http:\/\/\S+)/.exec(banner)?.[1];
  const apiKey = /API key:\s+(s3p_\S+)/.exec(banner)?.[1];
  assert.ok(store && apiKey, `the banner names the store and the API key:\n${banner}`);
  return { banner, service: service.url, store, apiKey };
}

const pages = [
  'README.md',
  ...(await readdir(join(root, 'docs')))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

test('every shell example in README.md and docs/ runs, or says why it cannot', { timeout: 600_000 }, async (t) => {
  const all = await Promise.all(
    pages.map(async (page) => ({ page, examples: shellExamples(await readFile(join(root, page), 'utf8')) })),
  );
  const skipped = all.flatMap(({ page, examples }) =>
    examples
      .filter((example) => example.notRun !== undefined)
      .map((example) => `${page}:${example.line} (${example.notRun})`),
  );
  const elsewhere = all.flatMap(({ page, examples }) =>
    examples
      .filter((example) => example.runElsewhere !== undefined)
      .map((example) => `${page}:${example.line} (${example.runElsewhere})`),
  );
  const runnable = all
    .map(({ page, examples }) => ({
      page,
      examples: examples.filter((example) => example.notRun === undefined && example.runElsewhere === undefined),
    }))
    .filter(({ examples }) => examples.length > 0);
  const count = runnable.reduce((sum, { examples }) => sum + examples.length, 0);
  t.diagnostic(`run here: ${count} blocks on ${runnable.length} pages`);
  t.diagnostic(`run by another test: ${elsewhere.length}: ${elsewhere.join('; ')}`);
  t.diagnostic(`not run: ${skipped.length}: ${skipped.join('; ')}`);
  assert.ok(
    runnable.some(({ page }) => page === 'README.md'),
    "the README's round trip runs",
  );

  // Each page on its own instance and in its own directory; two pages at a time on this machine.
  await t.test('pages', { concurrency: 2 }, async (pagesTest) => {
    const pageRuns = runnable.map(({ page, examples }) =>
      pagesTest.test(page, async (pageTest) => {
        // A page whose examples never name the service or its key (cli.md's offline verify) needs none.
        const instance = examples.some(({ script }) =>
          Object.values(DOCUMENTED).some((shown) => script.includes(shown)),
        )
          ? await localInstance(pageTest)
          : undefined;
        const cwd = await mkdtemp(join(tmpdir(), 'doc-examples-'));
        pageTest.after(() => rm(cwd, { recursive: true, force: true }));
        for (const [name, content] of Object.entries(READER_FILES)) await writeFile(join(cwd, name), content);
        const state = join(cwd, '.shell-state');
        for (const example of examples) {
          const { code, output } = await bash(forInstance(example.script, instance), cwd, state);
          // A terminal shows output that ends without a newline (a curl of a body) on a line of its own.
          const shown = asDocumented(output.endsWith('\n') || output === '' ? output : `${output}\n`, instance);
          if (example.expected === undefined) {
            assert.equal(code, 0, `${page}:${example.line} exited ${code}:\n${shown}`);
          } else {
            assert.ok(
              matchesShown(shown, example.expected),
              `${page}:${example.line} printed:\n${shown}\nthe page shows:\n${example.expected}`,
            );
          }
        }
        // The README promises the start-up banner prints the same round trip, ready to paste.
        if (page === 'README.md' && instance) {
          const pasted = /^Upload, then download, through presigned URLs:\n([\s\S]*?)\n\S/m.exec(instance.banner)?.[1];
          assert.ok(pasted, `the banner shows a round trip:\n${instance.banner}`);
          const { output } = await bash(pasted.replace(/^ {2}/gm, ''), cwd, join(cwd, '.banner-state'));
          assert.equal(output, 'hello from s3-presign', `the banner's round trip, pasted`);
        }
      }),
    );
    await Promise.all(pageRuns);
  });
});

test('shellExamples reads the markers and the expected output', () => {
  const page = [
    '<!-- not run: needs AWS -->',
    '',
    '```sh',
    'aws s3 ls',
    '```',
    '',
    '```bash',
    'echo hi',
    '```',
    '',
    '```text',
    'hi',
    '```',
    '',
    '<!-- test/x.test.ts runs this block: x -->',
    '',
    '```console',
    '$ echo a',
    'a',
    '$ echo b',
    'b',
    '```',
    '',
    '```js',
    'x()',
    '```',
    '',
  ].join('\n');
  assert.deepEqual(shellExamples(page), [
    { line: 3, language: 'sh', script: 'aws s3 ls\n', notRun: 'needs AWS' },
    { line: 7, language: 'bash', script: 'echo hi\n', expected: 'hi\n' },
    { line: 17, language: 'console', script: 'echo a\necho b\n', runElsewhere: 'test/x.test.ts', expected: 'a\nb\n' },
  ]);
});

test('matchesShown takes … for any run of characters on one line, and nothing else', () => {
  assert.ok(matchesShown('{"key":"users/a/1.txt","size":3}\n', '{"key":"…","size":3}\n'));
  assert.ok(!matchesShown('{"key":"a","size":4}\n', '{"key":"…","size":3}\n'));
  assert.ok(!matchesShown('a\nb\nc\n', 'a\n…\n'));
  assert.ok(matchesShown('(1+1)*2\n', '(1+1)*2\n'));
});
