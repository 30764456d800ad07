// docker-compose.yml against the Compose Specification's JSON schema and dclint's rules
// (dclint, an npm package: it carries the compose-spec schema, compose_spec.json, and validates
// with ajv; unknown keys and wrong types fail). Its rules about the order of keys and services
// are style only and stay off.
import { DCLinter } from 'dclint';
import type { Check } from './check.js';
import { COMPOSE_FILE } from './files.js';

const STYLE_ONLY = ['service-keys-order', 'services-alphabetical-order', 'service-dependencies-alphabetical-order'];

const dclintVersion = (await import('dclint/package.json', { with: { type: 'json' } })).default.version;

export const CHECKS: Check[] = [
  {
    area: 'compose',
    name: `${COMPOSE_FILE} validates against the Compose Specification schema and dclint's rules (dclint ${dclintVersion})`,
    run(files) {
      const linter = new DCLinter({
        rules: Object.fromEntries(STYLE_ONLY.map((rule) => [rule, 0])),
        quiet: false,
        debug: false,
        exclude: [],
      });
      const yamlErrors = files.yaml(COMPOSE_FILE).errors;
      const [result] = linter.lintFiles([files.path(COMPOSE_FILE)], false);
      return [
        ...yamlErrors,
        ...(result?.messages ?? []).map(
          (message: { line: number; message: string; rule: string; type: string }) =>
            `line ${message.line}: ${message.message} (${message.rule}, ${message.type})`,
        ),
      ];
    },
  },
];
