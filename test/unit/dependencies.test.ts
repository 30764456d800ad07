// Invariants of package.json and package-lock.json that a routine `npm install` can break
// without any other test noticing: exact pins, one copy of every AWS SDK package, and the
// dev-only tools staying out of the production tree (the image installs `--omit=dev`).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
}
interface PackageJson {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  overrides?: Record<string, unknown>;
  allowScripts?: Record<string, boolean>;
}

const root = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as PackageJson;
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

/** `node_modules/a/node_modules/@s/b` -> `@s/b`: the package a lock path installs. */
function nameAt(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

const installed = new Map<string, string[]>();
for (const [path, entry] of Object.entries(lock.packages)) {
  if (path === '') continue;
  const copies = installed.get(nameAt(path)) ?? [];
  copies.push(`${path}@${entry.version ?? '?'}`);
  installed.set(nameAt(path), copies);
}

const EXACT = /^\d+\.\d+\.\d+$/;

describe('dependencies', () => {
  it('every direct dependency is pinned to an exact version', () => {
    const loose = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }).filter(
      ([, range]) => !EXACT.test(range),
    );
    assert.deepEqual(loose, []);
  });

  it('the S3 client and the credential providers come from one SDK release', () => {
    assert.equal(manifest.dependencies['@aws-sdk/credential-providers'], manifest.dependencies['@aws-sdk/client-s3']);
  });

  it('no @aws-sdk/* or @smithy/* package is installed twice', () => {
    // Two copies of the client (a helper package pinning an older @aws-sdk/client-s3 exactly)
    // mean two S3Client classes whose types do not mix, and two sets of endpoint rules.
    // package.json `overrides` points every @aws-sdk/client-s3 at ours.
    const duplicated = [...installed]
      .filter(([name, copies]) => /^@(aws-sdk|smithy)\//.test(name) && copies.length > 1)
      .map(([, copies]) => copies);
    assert.deepEqual(duplicated, []);
  });

  it('no devDependency (nor esbuild, which tsx brings) reaches the production tree', () => {
    // npm marks a package `dev` only when no production dependency reaches it, so this fails
    // as soon as one of them would be installed by the image's `npm ci --omit=dev`.
    const devOnly = [...Object.keys(manifest.devDependencies), 'esbuild'];
    const reaching = devOnly.filter((name) => lock.packages[`node_modules/${name}`]?.dev !== true);
    assert.deepEqual(reaching, []);
  });

  it('every dependency install script is decided in allowScripts', () => {
    // npm 11 warns at every install about install scripts it has no decision for; the tree
    // has esbuild's and @scarf/scarf's (both denied: see docs/runtime.md, "Install scripts").
    const withScripts = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && (entry as { hasInstallScript?: boolean }).hasInstallScript)
      .map(([path]) => nameAt(path));
    const undecided = withScripts.filter((name) => typeof manifest.allowScripts?.[name] !== 'boolean');
    assert.deepEqual(undecided, []);
  });
});
