// The service's own start-up rules applied to the environment a deployment gives the
// container: a manifest the service would refuse at start-up fails here instead.
import { parse as parseYaml } from 'yaml';
import { callerRegistryFrom } from '../../src/auth/callers.js';
import { envSchema, formatConfigProblems, loadConfig } from '../../src/config/config.js';

/** The names the service does not read; those of the runtime and the AWS SDK pass. */
export function unknownEnvNames(names: Iterable<string>): string[] {
  const known = new Set<string>(Object.keys(envSchema.shape));
  return [...names].filter((name) => !known.has(name) && !/^(AWS_|NODE_OPTIONS$)/.test(name));
}

/** What loadConfig refuses in this environment, one problem a line. */
export function configProblems(env: Record<string, string>): string[] {
  const result = loadConfig(env);
  return result.ok ? [] : formatConfigProblems(result.problems).split('\n').slice(1);
}

/** The callers file as the service would load it at start-up, under that environment. */
export function clientsProblems(env: Record<string, string>, text: string | undefined, where: string): string[] {
  if (text === undefined) return [`${where}: no clients file for AUTH_CLIENTS_FILE=${env.AUTH_CLIENTS_FILE}`];
  const config = loadConfig(env);
  if (!config.ok) return ['the environment itself is refused (see the loadConfig check)'];
  let document: unknown;
  try {
    document = parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
  const result = callerRegistryFrom(document, config.config);
  return result.ok ? [] : result.problems.map((problem) => `${where}: ${problem}`);
}
