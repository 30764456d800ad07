// @ts-check
import js from '@eslint/js';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'openapi/', 'coverage/', 'reports/', '.stryker-tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // node:test's test() returns a promise the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-control-regex': 'off',
    },
  },
  {
    // Every regular expression literal in the service: none may take more than linear time on
    // any input (a request body, a URL, a log line). Expressions built at run time are checked
    // by test/unit/regex-linearity.test.ts with the same analysis.
    files: ['src/**/*.ts'],
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
    },
  },
  {
    // The validator judges every URL the signer makes: it must not share the signer's code, or
    // one bug would sign and approve the same wrong URL.
    files: ['src/verify/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/presign/**', '**/presign'], message: 'the validator imports nothing from src/presign/' },
          ],
        },
      ],
    },
  },
  {
    // The caller rules are read by the presigner and the upload services, not the other way
    // round: what both need (S3's limits, the operations) lives in src/endpoint/.
    files: ['src/auth/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/presign/**',
                '**/presign',
                '**/multipart/**',
                '**/multipart',
                '**/form-uploads/**',
                '**/form-uploads',
              ],
              message: 'the caller rules import nothing from src/presign/, src/multipart/ or src/form-uploads/',
            },
          ],
        },
      ],
    },
  },
  {
    // Multipart and one-request form uploads are two rooms: what they share (the upload rules,
    // labels, audit, the presigner) lives in src/auth/, src/metadata/, src/audit/ and
    // src/presign/, so neither imports the other.
    files: ['src/form-uploads/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/multipart/**', '**/multipart'], message: 'form uploads import nothing from src/multipart/' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/multipart/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/form-uploads/**', '**/form-uploads'],
              message: 'multipart uploads import nothing from src/form-uploads/',
            },
          ],
        },
      ],
    },
  },
  {
    // The code every URL, part URL and form policy runs through. Node 20's V8 copies an object
    // literal that starts with a spread and goes on (`{ ...a, b }`, `{ ...a, ...b }`) on a slow
    // path: about 0.6 µs for each property after the spread, against 0.1 µs for Object.assign
    // (docs/performance.md, "Fifth pass"). Node 26 no longer does.
    files: [
      'src/presign/routes.ts',
      'src/presign/presigner.ts',
      'src/presign/post-policy-signer.ts',
      'src/presign/fast-signer.ts',
      'src/presign/sigv4-query.ts',
      'src/presign/signing-key.ts',
      'src/audit/audit-trail.ts',
      'src/audit/upload-constraints.ts',
      'src/auth/api-keys.ts',
      'src/auth/caller-policy.ts',
      'src/auth/callers.ts',
      'src/form-uploads/**/*.ts',
      'src/frontend-api/**/*.ts',
      'src/http/error-handler.ts',
      'src/http/log-redaction.ts',
      'src/http/metrics.ts',
      'src/metadata/**/*.ts',
      'src/rate-limit/**/*.ts',
      'src/verify/**/*.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ObjectExpression > SpreadElement:first-child ~ *',
          message:
            'on the per-URL path, copy with Object.assign or write the fields out: Node 20 copies `{ ...a, b }` on a slow path',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
