import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'
import prettier from 'eslint-config-prettier'

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      'dist/**',
      'bench-out/**',
      'bin/**',
      'test-results/**',
      '.raftlab-tmp/**'
    ]
  },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ]
    }
  },
  {
    // The Raft core is pure: no timers, no randomness, no Node or DOM (DESIGN.md).
    files: ['src/shared/raft/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        'setTimeout',
        'setInterval',
        'setImmediate',
        'process',
        'window',
        'document',
        'performance'
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'pass a seeded Rng instead' },
        { object: 'Date', property: 'now', message: 'time enters as tick()' }
      ],
      'no-restricted-imports': ['error', { patterns: ['node:*', 'zod', 'fs', 'net'] }]
    }
  },
  prettier
)
