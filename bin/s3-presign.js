#!/usr/bin/env node
// The package's `s3-presign` bin. After `npm run build` it runs the build; in a fresh clone
// (just `npm ci`, no dist/) it runs the TypeScript source through tsx, a dev dependency, so
// `npx s3-presign …` works without a build step.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const built = new URL('../dist/cli.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', import.meta.url).href);
}
