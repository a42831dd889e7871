import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importArrows from './scripts/lint/import-arrows.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    plugins: { 'import-arrows': importArrows },
    rules: { 'import-arrows/runtime': 'error' },
  },
);
