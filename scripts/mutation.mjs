#!/usr/bin/env node
// Mutation testing of the security core, one target at a time: StrykerJS mutates the
// target's sources and runs the test files that exercise it (node:test files, run with tsx
// through Stryker's TAP runner, so only the files that reach a mutant run for it).
//
//   npm run mutation -- TARGET [TARGET…] [--concurrency N]
//   npm run mutation -- --list
//   npm run mutation -- TARGET --summary   (the last run's report again, after editing the list)
//   npm run mutation -- TARGET --mutate src/verify/url-validator.ts:348-461   (part of a target)
//   npm run mutation -- TARGET --tests test/unit/verify/url-validator-edges.test.ts  (only these tests)
//   npm run mutation -- TARGET --force   (test every mutant again, not only what changed)
//
// Survivors listed in test/mutation/equivalent-mutants.md (by id) are equivalent: they
// cannot change behaviour, and the score that counts leaves them out. Exits non-zero when a
// target scores under THRESHOLD on its non-equivalent mutants, or has a survivor not listed.
import console from 'node:console';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const EQUIVALENT_FILE = 'test/mutation/equivalent-mutants.md';
const THRESHOLD = 95;

/**
 * The validator's tests, in this order: a mutant stops at the first file that fails, so the
 * files that kill most go first, and a mutant runs the slow ones only when the fast ones miss it.
 */
const VALIDATOR_TESTS = [
  'test/unit/verify/url-signature-fields.test.ts',
  'test/unit/verify/url-location.test.ts',
  'test/unit/endpoint/s3-uri-encoding.test.ts',
  'test/unit/verify/url-parsing.test.ts',
  'test/unit/verify/check-failures.test.ts',
  'test/unit/verify/url-validator.test.ts',
  'test/unit/verify/url-validator-edges.test.ts',
  'test/unit/verify/url-canonical-form.test.ts',
  'test/unit/verify/url-report-bound.test.ts',
  'test/unit/verify/url-validator-fast-path.test.ts',
  'test/unit/verify/large-upload-validator.test.ts',
  'test/unit/verify/url-dot-segments.test.ts',
];

/**
 * What each target mutates and the tests that must notice. Folders and globs, not single
 * files, so a module split into several files stays one target; add a row for a new flow.
 */
const TARGETS = {
  policy: {
    mutate: ['src/auth/caller-policy.ts', 'src/auth/upload-authorization.ts'],
    tests: [
      'test/unit/auth/caller-policy.test.ts',
      'test/unit/auth/upload-authorization.test.ts',
      'test/unit/auth/callers.test.ts',
    ],
  },
  'log-redaction': {
    mutate: ['src/http/log-redaction.ts'],
    tests: ['test/unit/http/log-redaction.test.ts', 'test/http/logging.test.ts', 'test/http/log-secrets.test.ts'],
  },
  'expected-location': {
    mutate: ['src/endpoint/expected-location.ts'],
    tests: ['test/unit/endpoint/expected-location.test.ts', 'test/unit/verify/url-validator*.test.ts'],
  },
  // The URL validator in three targets, each a report of its own (a run that is stopped
  // writes none): SigV4's fields and the parameters, the location, and the parsing.
  'validator-fields': {
    mutate: ['src/verify/signature-fields.ts', 'src/verify/url-parameters.ts', 'src/verify/url-validator.ts'],
    tests: VALIDATOR_TESTS,
  },
  'validator-location': {
    mutate: ['src/verify/url-location.ts', 'src/endpoint/s3-uri-encoding.ts'],
    tests: VALIDATOR_TESTS,
  },
  'validator-parsing': {
    mutate: ['src/verify/url-parsing.ts', 'src/verify/check-failures.ts'],
    tests: VALIDATOR_TESTS,
  },
  'fast-signer': {
    mutate: [
      'src/presign/fast-signer.ts',
      'src/presign/sigv4-*.ts',
      'src/presign/signing-key.ts',
      'src/presign/s3-route.ts',
    ],
    // The equivalence property against the SDK last: about 16 s a run.
    tests: [
      'test/unit/presign/fast-signer.test.ts',
      'test/unit/presign/sigv4-query.test.ts',
      'test/unit/presign/s3-route.test.ts',
      'test/unit/endpoint/s3-uri-encoding.test.ts',
      'test/unit/presign/signer-equivalence.test.ts',
    ],
  },
  multipart: {
    mutate: ['src/multipart/**/*.ts', '!src/multipart/routes.ts', '!src/multipart/schemas.ts'],
    // A mutant stops at the first file that fails, and files run in this order (named files
    // first, then what a glob adds): the fast unit files that kill most, then the slow
    // scenario tests (about 3 s and 7 s a run), which run only for what the unit files miss.
    tests: [
      'test/unit/multipart/part-rules.test.ts',
      'test/unit/multipart/upload-token.test.ts',
      'test/unit/multipart/s3-errors.test.ts',
      'test/unit/multipart/service.test.ts',
      'test/unit/multipart/plugin.test.ts',
      'test/http/multipart.test.ts',
      'test/integration/multipart.test.ts',
      // The checksum rules of create and complete are exercised end to end here.
      'test/integration/checksum-paths.test.ts',
      // The audit events of every grant path, the form policy's among them.
      'test/http/audit.test.ts',
      'test/unit/multipart/*.test.ts',
    ],
  },
  // Browser form uploads: the policy's signer and validator, and the service that issues one.
  'post-policy': {
    mutate: [
      'src/presign/post-policy-signer.ts',
      'src/verify/post-policy-validator.ts',
      'src/form-uploads/**/*.ts',
      'src/json-string.ts',
    ],
    tests: [
      'test/unit/*/post-policy*.test.ts',
      'test/unit/verify/large-upload-validator.test.ts',
      'test/unit/form-uploads/*.test.ts',
      'test/unit/json-string.test.ts',
    ],
  },
};

const { values: options, positionals: names } = parseArgs({
  allowPositionals: true,
  options: {
    concurrency: { type: 'string', default: '2' },
    list: { type: 'boolean', default: false },
    'no-nice': { type: 'boolean', default: false },
    'build-sandbox': { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    summary: { type: 'boolean', default: false },
    mutate: { type: 'string', multiple: true },
    tests: { type: 'string', multiple: true },
  },
});

if (options['build-sandbox']) {
  await buildSandbox();
  process.exit(0);
}

if (options.list || names.length === 0) {
  console.log('Targets (npm run mutation -- TARGET):');
  for (const [name, target] of Object.entries(TARGETS)) {
    const files = filesOf(target.mutate);
    console.log(`  ${name.padEnd(18)} ${files.length ? files.join(', ') : '(no sources yet)'}`);
  }
  process.exit(names.length === 0 && !options.list ? 1 : 0);
}
for (const name of names) {
  if (!(name in TARGETS)) {
    console.error(`unknown target "${name}"; targets: ${Object.keys(TARGETS).join(', ')}`);
    process.exit(2);
  }
}

// The machine is shared: the test processes Stryker spawns inherit this priority.
if (!options['no-nice']) setPriority(0, 10);
process.chdir(ROOT);

const equivalent = readEquivalentIds();
const summaries = [];
let failed = false;

for (const name of names) {
  const target = TARGETS[name];
  const sources = filesOf(target.mutate);
  const tests = filesOf(options.tests ?? target.tests);
  const report = `reports/mutation/${name}.json`;
  if (sources.length === 0 || tests.length === 0) {
    console.log(`\n== ${name}: no ${sources.length === 0 ? 'sources' : 'tests'} match yet; skipped`);
    continue;
  }
  let seconds;
  if (options.summary) {
    if (!existsSync(report)) {
      console.error(`${report} does not exist: run the target first`);
      process.exit(2);
    }
  } else {
    console.log(`\n== ${name}: mutating ${sources.join(', ')}\n   tests: ${tests.join(', ')}`);
    const started = Date.now();
    const { Stryker } = await import('@stryker-mutator/core');
    const stryker = new Stryker({
      mutate: options.mutate ?? target.mutate,
      // Each test file runs once per mutant in a new process: transpiled once per sandbox
      // (after Stryker instruments it) and run by plain node, a process starts in about half
      // the time it takes under tsx's loader, which transpiles on every start.
      buildCommand: 'node scripts/mutation.mjs --build-sandbox',
      testRunner: 'tap',
      tap: {
        testFiles: (options.tests ?? target.tests).map((file) => file.replace(/\.ts$/, '.js')),
        nodeArgs: ['--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
        forceBail: true,
      },
      coverageAnalysis: 'perTest',
      concurrency: Number(options.concurrency),
      timeoutMS: 10_000,
      reporters: ['progress', 'html', 'json'],
      htmlReporter: { fileName: `reports/mutation/${name}.html` },
      jsonReporter: { fileName: report },
      // A run keeps what it learnt: the next one tests again only the mutants whose code, or
      // whose covering test files, changed since (--force tests them all).
      incremental: true,
      incrementalFile: `reports/mutation/${name}.incremental.json`,
      force: options.force,
      tempDirName: '.stryker-tmp',
      cleanTempDir: true,
      fileLogLevel: 'off',
      logLevel: 'warn',
      ignorePatterns: ['reports', 'dist', 'coverage', '.s3rver', 'bench'],
    });
    await stryker.runMutationTest();
    seconds = Math.round((Date.now() - started) / 1000);
  }
  const summary = summarise(name, JSON.parse(readFileSync(report, 'utf8')), seconds);
  summaries.push(summary);
  console.log(
    `${name}: ${summary.killed} of ${summary.mutants} killed, ${summary.equivalent} equivalent, score ${summary.score}%${seconds === undefined ? '' : ` in ${seconds}s`}`,
  );
  if (summary.unlisted.length > 0 || summary.score < THRESHOLD) failed = true;
}

if (summaries.length > 0) {
  console.log('\ntarget             mutants  killed  equivalent  other survivors  score (non-equivalent)  time');
  for (const s of summaries) {
    console.log(
      `${s.name.padEnd(18)} ${String(s.mutants).padStart(7)} ${String(s.killed).padStart(7)} ${String(s.equivalent).padStart(11)} ${String(s.unlisted.length).padStart(16)}  ${`${s.score.toFixed(1)}%`.padStart(22)}  ${s.seconds === undefined ? '-' : `${s.seconds}s`}`,
    );
  }
  mkdirSync('reports/mutation', { recursive: true });
  writeFileSync('reports/mutation/summary.json', `${JSON.stringify(summaries, null, 2)}\n`);
}
process.exit(failed ? 1 : 0);

/**
 * In a Stryker sandbox: every TypeScript file under src/ and test/ transpiled to JavaScript next
 * to it (types stripped, nothing bundled), so `../src/x.js` imports resolve to the mutated code.
 */
async function buildSandbox() {
  const { build } = await import('esbuild');
  const entryPoints = filesOf(['src/**/*.ts', 'test/**/*.ts', '!**/*.d.ts', '!**/node_modules/**/*.ts']);
  await build({
    entryPoints,
    outdir: '.',
    outbase: '.',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
}

/** The files under src/ and test/ that match the patterns (`*`, `**`, and `!` to exclude). */
function filesOf(patterns) {
  const toRegExp = (glob) =>
    new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '\0')
        .replace(/\*/g, '[^/]*')
        .replace(/\0/g, '(?:.*/)?')}$`,
    );
  const include = patterns.filter((p) => !p.startsWith('!')).map(toRegExp);
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => toRegExp(p.slice(1)));
  const files = ['src', 'test'].flatMap((dir) =>
    readdirSync(resolve(ROOT, dir), { recursive: true }).map((file) => `${dir}/${file}`.replaceAll('\\', '/')),
  );
  return files.filter((f) => include.some((r) => r.test(f)) && !exclude.some((r) => r.test(f))).sort();
}

/** `[0123abcd]` at the start of a list item in the equivalent-mutants file. */
function readEquivalentIds() {
  const path = resolve(ROOT, EQUIVALENT_FILE);
  if (!existsSync(path)) return new Set();
  const ids = readFileSync(path, 'utf8').matchAll(/^- \[([0-9a-f]{10})\]/gm);
  return new Set([...ids].map((match) => match[1]));
}

/**
 * A survivor's id: its file, mutator, the code it replaces and the replacement. Line numbers
 * are left out so an edit elsewhere in the file keeps the id; a change to the code itself
 * makes a new id, and the mutant must be judged again.
 */
function mutantId(file, mutator, original, replacement) {
  return createHash('sha256').update(`${file}\0${mutator}\0${original}\0${replacement}`).digest('hex').slice(0, 10);
}

/** The mutated code; report locations count lines and columns from 1. */
function originalText(source, location) {
  const lines = source.split('\n');
  const start = { line: location.start.line - 1, column: location.start.column - 1 };
  const end = { line: location.end.line - 1, column: location.end.column - 1 };
  if (start.line === end.line) return lines[start.line].slice(start.column, end.column);
  return [
    lines[start.line].slice(start.column),
    ...lines.slice(start.line + 1, end.line),
    lines[end.line].slice(0, end.column),
  ].join('\n');
}

function oneLine(text, max = 70) {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Scores a mutation-testing-report-schema report, leaving the listed equivalent survivors out. */
function summarise(name, report, seconds) {
  const mutants = Object.entries(report.files).flatMap(([file, { source, mutants }]) =>
    mutants.map((mutant) => ({ ...mutant, file, source })),
  );
  const counted = mutants.filter((m) => !['CompileError', 'RuntimeError', 'Ignored'].includes(m.status));
  const killed = counted.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length;
  const survivors = counted
    .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
    .map((m) => {
      const original = originalText(m.source, m.location);
      return {
        id: mutantId(m.file, m.mutatorName, original, m.replacement),
        file: m.file,
        line: m.location.start.line,
        mutator: m.mutatorName,
        status: m.status,
        original,
        replacement: m.replacement,
      };
    })
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  const unlisted = survivors.filter((s) => !equivalent.has(s.id));
  const equivalentCount = survivors.length - unlisted.length;
  const score = counted.length === equivalentCount ? 100 : (100 * killed) / (counted.length - equivalentCount);
  if (unlisted.length > 0) {
    console.log(`\n${name}: survivors not listed as equivalent in ${EQUIVALENT_FILE}:`);
    for (const s of unlisted) {
      console.log(
        `- [${s.id}] ${s.file}:${s.line} ${s.mutator}${s.status === 'NoCoverage' ? ' (no test reaches it)' : ''}: \`${oneLine(s.original)}\` → \`${oneLine(s.replacement)}\``,
      );
    }
  }
  return {
    name,
    mutants: counted.length,
    killed,
    equivalent: equivalentCount,
    unlisted: unlisted.map((s) => `${s.id} ${s.file}:${s.line} ${s.mutator}`),
    score: Math.round(score * 10) / 10,
    seconds,
  };
}
