// The regular expressions the service builds at run time, held to the analysis that
// eslint-plugin-regexp's no-super-linear-backtracking and no-super-linear-move rules apply to
// every literal in src/ (eslint.config.js): scslre finds any quantifier an attacker could make
// backtrack polynomially, or that would be retried at every position of a long run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse } from 'scslre';
import { HEADER_FORBIDDEN_CHARACTER } from '../../src/control-characters.js';
import { SECRET } from '../../src/http/log-redaction.js';
import { HEADER_TEXT, MEDIA_TYPE } from '../../src/presign/schemas.js';
import { CHECKSUM_ALGORITHMS, checksumValuePattern } from '../../src/endpoint/checksum-algorithms.js';
import { CHECKSUM_LIST, PART_NUMBER_LIST } from '../../src/uppy/companion-routes.js';

const problems = (pattern: RegExp) =>
  analyse({ source: pattern.source, flags: pattern.flags }).reports.map(
    (report) => `${report.type}${report.exponential ? ' (exponential)' : ''}: "${report.character.pick}" repeated`,
  );

test('the analysis finds the shapes it is here to refuse', () => {
  assert.notDeepEqual(problems(/\.+$/), [], 'a run tried at every position');
  assert.notDeepEqual(problems(/^(a+)+$/), [], 'nested quantifiers');
  assert.notDeepEqual(problems(/\s*<Part>[\s\S]*<\/Part>\s*$/), []);
});

test('every regular expression built at run time is linear on any input', () => {
  const checksumValues = Object.fromEntries(
    CHECKSUM_ALGORITHMS.map((algorithm) => [`checksumValuePattern(${algorithm})`, checksumValuePattern(algorithm)]),
  );
  for (const [name, pattern] of Object.entries({
    SECRET,
    HEADER_FORBIDDEN_CHARACTER,
    HEADER_TEXT,
    MEDIA_TYPE,
    PART_NUMBER_LIST,
    CHECKSUM_LIST,
    ...checksumValues,
  })) {
    assert.deepEqual(problems(pattern), [], name);
  }
});
