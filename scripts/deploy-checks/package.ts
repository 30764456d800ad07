// What the image relies on in package.json, package-lock.json and src/: dev-only tools stay out
// of the production install, which runs no install script, and the entry point and probe routes
// the Dockerfile and manifests name exist.
import { readdirSync } from 'node:fs';
import { at, dict, type Check } from './check.js';

/** Dev-only packages that must never reach the production image. */
const DEV_ONLY_PACKAGES = ['patch-package', 'tsx', 'typescript', '@20minutes/s3rver'];
/** Routes the probes and health checks rely on. */
const PROBE_ROUTES = ['/livez', '/readyz', '/healthz'];

export const CHECKS: Check[] = [
  {
    area: 'package',
    name: `dev-only tools (${DEV_ONLY_PACKAGES.join(', ')}) are devDependencies only`,
    run(files) {
      const pkg = files.json('package.json');
      const locked = dict(files.json('package-lock.json').packages);
      return DEV_ONLY_PACKAGES.flatMap((name) => {
        const problems: string[] = [];
        if (!(name in dict(pkg.devDependencies))) problems.push(`${name} is not a devDependency`);
        if (name in dict(pkg.dependencies)) problems.push(`${name} is a production dependency`);
        const entry = dict(locked[`node_modules/${name}`]);
        if (Object.keys(entry).length > 0 && entry.dev !== true) {
          problems.push(`${name} would be installed by npm ci --omit=dev (package-lock.json: not dev-only)`);
        }
        return problems;
      });
    },
  },
  {
    area: 'package',
    name: 'no production dependency needs an install script (--ignore-scripts is safe)',
    run: (files) =>
      Object.entries(dict(files.json('package-lock.json').packages))
        .filter(([path, entry]) => path !== '' && dict(entry).hasInstallScript === true && dict(entry).dev !== true)
        .map(([path]) => `${path} has an install script and is a production dependency`),
  },
  {
    area: 'package',
    name: `the entry point is built from src/server.ts into dist/; probe routes ${PROBE_ROUTES.join(', ')} exist in src/`,
    run(files) {
      const tsconfig = files.json('tsconfig.build.json');
      const problems: string[] = [];
      if (!files.exists('src/server.ts')) problems.push('src/server.ts does not exist');
      if (at(tsconfig, 'compilerOptions', 'outDir') !== 'dist') problems.push('tsconfig.build.json outDir is not dist');
      if (at(tsconfig, 'compilerOptions', 'rootDir') !== 'src') problems.push('tsconfig.build.json rootDir is not src');
      if (typeof at(files.json('package.json'), 'scripts', 'build') !== 'string') problems.push('no build script');
      const sources = readdirSync(files.path('src'), { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.ts'))
        .map((name) => files.text(`src/${name}`));
      for (const route of PROBE_ROUTES) {
        if (!sources.some((text) => text.includes(`'${route}'`))) problems.push(`no route '${route}' found`);
      }
      return problems;
    },
  },
];
