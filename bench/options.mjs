// The benches' command line: `--name=value` arguments, read as { name: value }.
import process from 'node:process';

/** A bare `--name` reads as 'true'; arguments without `--` are not options. */
export function commandLineOptions(args = process.argv.slice(2)) {
  return Object.fromEntries(
    args
      .filter((arg) => arg.startsWith('--'))
      .map((arg) => {
        const [name, value = 'true'] = arg.slice(2).split('=');
        return [name, value];
      }),
  );
}
