// The Node.js line the suite runs on: `npm start` prints no runtime warning on a supported LTS
// line, and package.json `engines` admits the line CI is testing. `.ci/run` runs the whole suite
// on every line in `engines`, so each line gets these checks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { baseEnvironment } from './run.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
/** Node.js 20 stays supported, deprecated (docs/runtime.md, "Node.js lines"); the AWS SDK warns on it. */
const DEPRECATED_LINES = [20];

/** Starts `npm start`'s command until it has printed its example, stops it, returns stderr. */
async function startAndStop(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: root, env });
  // Listened for from the start, so an exit between two reads is not missed (see server.test.ts).
  const exited = once(child, 'exit');
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    while (!/curl -s "\$url"/.test(stdout)) {
      await Promise.race([once(child.stdout, 'data'), exited.then(() => assert.fail(`exited: ${stderr}`))]);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
    clearTimeout(guard);
  }
  return stderr;
}

test(`package.json engines admits the Node.js line under test (${process.version})`, () => {
  const { engines } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    engines: { node: string };
  };
  const lines = engines.node.split('||').map((range) => Number(/>=\s*(\d+)\./.exec(range)?.[1]));
  assert.ok(lines.includes(major), `engines "${engines.node}" has no range for Node.js ${major}`);
});

test('npm start prints no runtime warning on a supported LTS line (the SDK warns on deprecated ones)', async () => {
  // The environment deliberately lacks AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED.
  const env = baseEnvironment({ PORT: '0', LOCAL_S3_PORT: '0', LOG_LEVEL: 'warn' });
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const stderr = await startAndStop(env);
  const warnings = stderr.split('\n').filter((line) => /Warning\b/.test(line));
  if (DEPRECATED_LINES.includes(major)) {
    // The check sees the warning where it must be there, so its silence on LTS lines counts.
    assert.ok(
      warnings.some((line) => line.includes('NodeVersionSupportWarning')),
      `expected the SDK's NodeVersionSupportWarning on Node.js ${major}: ${stderr}`,
    );
    assert.deepEqual(
      warnings.filter((line) => !line.includes('NodeVersionSupportWarning')),
      [],
    );
  } else {
    assert.deepEqual(warnings, [], stderr);
  }
});
