// The Dockerfile through dockerfile-utils, the linter of the Dockerfile language server (npm):
// unknown instructions and flags, malformed arguments, JSON forms, ARG and ENV syntax, and its
// optional rules raised to errors (relative WORKDIR, several CMD/ENTRYPOINT/HEALTHCHECK, casing).
// hadolint is neither on npm nor in Debian; its shell checks are shellcheck on the RUN lines
// (shellcheck.ts).
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import type { Check } from './check.js';

const dockerfileUtilsVersion = (await import('dockerfile-utils/package.json', { with: { type: 'json' } })).default
  .version;

const EVERY_RULE: Required<ValidatorSettings> = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

export const CHECKS: Check[] = [
  {
    area: 'image',
    name: `Dockerfile passes dockerfile-utils ${dockerfileUtilsVersion} with every rule on`,
    run: (files) =>
      validate(files.text('Dockerfile'), EVERY_RULE).map(
        (diagnostic) => `line ${diagnostic.range.start.line + 1}: ${diagnostic.message}`,
      ),
  },
];
