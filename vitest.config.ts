import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,vaults,policy,authority,node,cli,softhsm-tests,integration,scripts,bench}/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
