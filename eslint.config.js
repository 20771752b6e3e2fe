// A small, standard configuration: eslint's and typescript-eslint's recommended rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdktf.out/', '.gen/', 'firmware/', 'console/dist/', '.fleet/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Exact barrel paths only: a `group` pattern would also match every deep import
              // (gitignore semantics match a directory's contents).
              regex: '^@cdktf/provider-aws(/lib)?/?$',
              message: 'Import from @cdktf/provider-aws/lib/<resource> (deep import); the barrel costs seconds to load.',
            },
          ],
        },
      ],
    },
  },
);
