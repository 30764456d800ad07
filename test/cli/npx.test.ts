// A new user's first command: a copy of the project as a clone has it (no dist/, no
// node_modules), `npm ci`, then `npx s3-presign …`. npm links dependencies' bins, never the
// project's own; the postinstall link and the bin's tsx fallback are what make this work.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** The files a clone of this working tree holds: tracked and new, not ignored. */
async function cloneOfWorkingTree(into: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const file of stdout.split('\0').filter(Boolean)) {
    const exists = await stat(join(root, file)).catch(() => undefined);
    if (!exists?.isFile()) continue; // deleted in the working tree
    await mkdir(dirname(join(into, file)), { recursive: true });
    await cp(join(root, file), join(into, file));
  }
}

test('npx s3-presign works straight after npm ci in a fresh clone', { timeout: 600_000 }, async (t) => {
  const clone = await mkdtemp(join(tmpdir(), 's3-presign-clone-'));
  t.after(() => rm(clone, { recursive: true, force: true }));
  await cloneOfWorkingTree(clone);
  await assert.rejects(stat(join(clone, 'dist')), 'a clone has no build');

  // The packages come from npm's cache where the project's own `npm ci` put them.
  await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: clone,
    maxBuffer: 64 * 1024 * 1024,
  });
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

  const general = await run('npx', ['s3-presign', '--help'], { cwd: clone, env });
  assert.match(general.stdout, /^Usage: s3-presign COMMAND/);
  assert.match(general.stdout, /upload +send a file/);

  const policy = await run('npx', ['s3-presign', 'policy', '--help'], { cwd: clone, env });
  assert.match(policy.stdout, /^Usage: s3-presign policy /);
  assert.match(policy.stdout, /--role-name NAME/);
  assert.match(policy.stdout, /Example:\n {2}s3-presign policy /);

  // A real command, not only help: the source runs through tsx.
  const url = await run(
    'npx',
    ['s3-presign', 'url', '--mode', 'local', '--bucket', 'local-uploads', '--key', 'a.txt'],
    { cwd: clone, env: { ...env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } },
  );
  assert.match(url.stdout, /^http:\/\/127\.0\.0\.1:4568\/local-uploads\/a\.txt\?X-Amz-/);
});

test('every command has its own help: its flags and one example', { timeout: 120_000 }, async () => {
  const { COMMANDS } = await import('../../src/cli/main.js');
  for (const [command, { help: text }] of Object.entries(COMMANDS)) {
    const shown = await run(process.execPath, [join(root, 'bin/s3-presign.js'), command, '--help'], {
      cwd: root,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    assert.equal(shown.stdout, `${text}\n`, command);
    assert.match(text, new RegExp(`^Usage: s3-presign ${command}`), command);
    assert.match(text, new RegExp(`\\nExample:\\n {2}(\\S+=\\S+ )?s3-presign ${command} `), command);
  }
});
