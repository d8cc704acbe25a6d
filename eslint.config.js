// Lint: typescript-eslint's type-checked rules where they catch real bugs in this code base
// (a promise nobody awaits or handles, a promise where a callback is expected, an await of a
// non-promise), plus ESLint's recommended rules. Formatting is left to .editorconfig.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'bench/results/', '.data/', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Handlers and ports are async by contract; an implementation that needs no await is fine.
      '@typescript-eslint/require-await': 'off',
      // Input validation matches control characters on purpose (NUL and the like are refused).
      'no-control-regex': 'off',
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  {
    // Tests read JSON answers as `any` on purpose (they assert on them field by field).
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // vitest's expect(mock.method) reads a method without calling it.
      '@typescript-eslint/unbound-method': 'off',
      // Fakes stringify whatever they are handed, and tests reject with odd values on purpose.
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
    },
  },
);
