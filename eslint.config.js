// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import dastern from './eslint-rules/sql-placement.js';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'dist/', 'coverage/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // Typed lint: a promise nobody awaits or handles is a lost error.
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  // SQL only in the agreed places (README "Where SQL lives"): the queries files of each domain,
  // src/db/ (connections, migrations, roles) and src/backup/ (the cluster: backups, WAL, restore).
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/queries.ts', 'src/**/*-queries.ts', 'src/db/**', 'src/backup/**'],
    plugins: { dastern },
    rules: { 'dastern/sql-placement': 'error' },
  },
  // No HTTP in services (README "Inside a domain folder"): they take a RequestContext
  // (src/core/context.ts); only routes, src/http/, server.ts and the CLI see Fastify.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/routes.ts', 'src/**/*-routes.ts', 'src/http/**', 'src/server.ts', 'src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', '@fastify/*', '**/http/*'],
              message: 'services take a RequestContext (src/core/context.ts): no Fastify, no src/http/ here',
            },
          ],
        },
      ],
    },
  },
  // Settings come from one place (README "Configuration"): src/config.ts reads the environment
  // and hands it on (loadConfig, the named settings, childProcessEnv); bin/, scripts/, bench/ and
  // test/ may read it.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'read settings through src/config.ts (loadConfig, a named setting or childProcessEnv)',
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js', 'eslint-rules/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  // Layout is Prettier's (npm run format): no lint rule may disagree with it.
  prettier,
);
