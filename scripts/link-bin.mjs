// npm links the bins of dependencies into node_modules/.bin, never the project's own; `npx
// s3-presign` looks there. Run by postinstall, so a fresh clone has it after `npm ci`.
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const binDirectory = join(root, 'node_modules', '.bin');
mkdirSync(binDirectory, { recursive: true });
for (const [name, target] of Object.entries(bin)) {
  const link = join(binDirectory, name);
  rmSync(link, { force: true });
  symlinkSync(relative(binDirectory, join(root, target)), link);
  chmodSync(join(root, target), 0o755);
}
