// Debian's prometheus package: `prometheus` and `promtool` for the alert-rule and live-scrape
// tests. Without them the tests skip and say why; under CI=true they fail instead, so CI can
// never go green without running them (.ci/run installs the package).
import { spawnSync } from 'node:child_process';

function find(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

export const promtool = find('promtool');
export const prometheus = find('prometheus');

/** For `test(name, { skip: prometheusMissing() }, …)`: the reason to skip, or false. */
export function prometheusMissing(): string | false {
  if (promtool && prometheus) return false;
  const missing = [promtool ? undefined : 'promtool', prometheus ? undefined : 'prometheus']
    .filter(Boolean)
    .join(' and ');
  if (process.env.CI === 'true') {
    throw new Error(
      `${missing} not installed, and under CI=true the Prometheus tests must run (apt-get install prometheus)`,
    );
  }
  return `${missing} not installed (apt-get install prometheus): the Prometheus tests are skipped`;
}
