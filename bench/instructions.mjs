// Instructions per URL, counted rather than timed. valgrind runs one of bench/in-process.mjs's
// variants for W steps, then for W + M, with V8 single-threaded so that its compiler and
// collector run on the counted thread rather than beside it; the difference over M is a
// warmed-up step's instructions. On this machine one build's timings move by 10 to 20% from
// run to run, while these counts repeat within about 2% (docs/performance.md, eighth pass).
// They count the work of the code, not how fast the CPU did it: caches, branch prediction and
// the HTTP path around it are not in them. Needs valgrind (`apt-get install valgrind`).
//   npm run build && node bench/instructions.mjs [--before=DIR] [--variants=a,b] [--warmup=3000] [--steps=10000]
// DIR is another built checkout (its dist/ and bench/), counted beside this one.
import { spawn } from 'node:child_process';
import console from 'node:console';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { commandLineOptions } from './options.mjs';

const options = commandLineOptions();
const variants = (options.variants ?? 'validation alone,fast + validation').split(',');
const warmup = Number(options.warmup ?? 3000);
const steps = Number(options.steps ?? 10_000);
const builds = { this: fileURLToPath(new URL('..', import.meta.url)) };
if (options.before) builds.before = resolve(options.before);

/** Instructions valgrind counted for `count` steps of `variant` in the build at `dir`. */
function instructions(dir, variant, count) {
  const args = ['--tool=cachegrind', '--cache-sim=no', '--smc-check=all-non-file', '--cachegrind-out-file=/dev/null'];
  args.push(
    process.execPath,
    '--single-threaded',
    join(dir, 'bench', 'in-process.mjs'),
    variant,
    'count',
    String(count),
  );
  const child = spawn('valgrind', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((done, fail) => {
    child.on('error', (error) =>
      fail(new Error(`valgrind could not run (apt-get install valgrind): ${error.message}`)),
    );
    child.on('close', (code) => {
      const counted = /I\s+refs:\s+([\d,]+)/.exec(stderr);
      if (code !== 0 || counted === null) fail(new Error(`${dir}, ${variant}: exit ${code}\n${stderr.slice(-800)}`));
      else done(Number(counted[1].replaceAll(',', '')));
    });
  });
}

/** One warmed-up step's instructions: the two builds counted at once, one per core. */
async function perStep(variant) {
  return Object.fromEntries(
    await Promise.all(
      Object.entries(builds).map(async ([name, dir]) => {
        const [short, long] = [
          await instructions(dir, variant, warmup),
          await instructions(dir, variant, warmup + steps),
        ];
        return [name, (long - short) / steps];
      }),
    ),
  );
}

console.log(`instructions per URL: ${warmup} steps, then ${warmup + steps}; the difference over ${steps}`);
const header = ['variant', ...Object.keys(builds), ...(builds.before ? ['this / before'] : [])];
console.log(`| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |`);
for (const variant of variants) {
  const counted = await perStep(variant);
  const cells = Object.keys(builds).map((name) => Math.round(counted[name]).toLocaleString('en-US'));
  if (builds.before) cells.push((counted.this / counted.before).toFixed(3));
  console.log(`| ${variant} | ${cells.join(' | ')} |`);
}
