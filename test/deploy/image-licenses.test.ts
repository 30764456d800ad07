// The IAM simulator the policy tests use is AGPL-3.0. It may only be a test-time
// devDependency: the image installs `npm ci --omit=dev`, so whatever package-lock.json marks
// "dev" stays out, and nothing the build compiles (src/) may import it.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('no AGPL package reaches the production install, and src/ imports none', async () => {
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { license?: string; dev?: boolean; version?: string }>;
  };
  const agpl = Object.entries(lock.packages).filter(([, entry]) => /AGPL/i.test(entry.license ?? ''));
  assert.ok(agpl.length > 0, 'the simulator is in the lock file (else this test guards nothing)');
  for (const [path, entry] of agpl) assert.equal(entry.dev, true, `${path} (${entry.license}) must be dev-only`);

  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  assert.equal(pkg.devDependencies['@cloud-copilot/iam-simulate'], '0.1.173', 'exact pin');
  assert.equal(pkg.dependencies['@cloud-copilot/iam-simulate'], undefined);

  const names = agpl.map(([path]) => path.replace(/^.*node_modules\//, ''));
  const sources = (await readdir(join(root, 'src'), { recursive: true })).filter((file) => /\.[cm]?ts$/.test(file));
  for (const file of sources) {
    const text = await readFile(join(root, 'src', file), 'utf8');
    for (const name of names) assert.ok(!text.includes(`'${name}`), `src/${file} imports ${name}`);
  }

  const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /npm ci --omit=dev/);
});
